"""Array helpers shared by the array-level functions: the objective matrix ``F``
(points x minimised objectives), its usable rows, and a tie-aware argmin."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = [
    "TIE",
    "BoolArray",
    "FloatArray",
    "IntArray",
    "as_matrix",
    "first_best",
    "valid_rows",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]

TIE = 1e-12
"""Relative tolerance under which two scores count as tied."""


def as_matrix(F: npt.ArrayLike) -> FloatArray:
    """``F`` as a 2-D float array; ``ValueError`` otherwise."""
    arr = np.asarray(F, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"F must be 2-D (points x objectives), got shape {arr.shape}")
    return arr


def valid_rows(F: FloatArray, eligible: npt.ArrayLike | None) -> BoolArray:
    """Rows that are eligible and hold no NaN."""
    m = F.shape[0]
    if eligible is None:
        mask = np.ones(m, dtype=bool)
    else:
        mask = np.asarray(eligible, dtype=bool)
        if mask.shape != (m,):
            raise ValueError(f"eligible must have shape ({m},), got {mask.shape}")
    out: BoolArray = mask & ~np.isnan(F).any(axis=1)
    return out


def first_best(primary: FloatArray, secondary: FloatArray | None = None) -> int:
    """Position of the smallest ``primary`` (then ``secondary``); ties go to the first."""
    best = float(primary.min())
    cand = np.flatnonzero(primary <= best + TIE * max(1.0, abs(best)))
    if secondary is not None and cand.size > 1:
        sec = secondary[cand]
        s_best = float(sec.min())
        cand = cand[sec <= s_best + TIE * max(1.0, abs(s_best))]
    return int(cand[0])
