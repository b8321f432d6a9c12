"""Exact hypervolume of the rows of ``F`` (all objectives minimised)."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from ._arrays import FloatArray, as_matrix
from ._dominance import non_dominated_mask, pairwise_non_dominated_mask

__all__ = ["hypervolume"]


def _hypervolume_2d(P: FloatArray, ref: FloatArray) -> float:
    """Two-objective hypervolume of any points strictly below ``ref``."""
    order = np.lexsort((P[:, 1], P[:, 0]))
    x, y = P[order, 0], P[order, 1]
    widths = np.diff(np.append(x, ref[0]))
    heights = ref[1] - np.minimum.accumulate(y)
    return float(np.dot(widths, heights))


def _front_hypervolume(P: FloatArray, ref: FloatArray) -> float:
    """Exact hypervolume of non-dominated points strictly below ``ref``.

    Slices along the last objective (points taken in ascending order); the
    (k-1)-dimensional area of each slice grows by each new point's exclusive
    contribution, computed as its box minus the hypervolume of the earlier points
    limited to that box (the WFG recursion), down to a sweep in two dimensions.
    """
    n, k = P.shape
    if n == 0:
        return 0.0
    if k == 1:
        return float(ref[0] - P[:, 0].min())
    if n == 1:
        return float(np.prod(ref - P[0]))
    if k == 2:
        return _hypervolume_2d(P, ref)
    P = P[np.argsort(P[:, -1], kind="stable")]
    Q, sub_ref = P[:, :-1], ref[:-1]
    thickness = np.diff(np.append(P[:, -1], ref[-1]))
    boxes = np.prod(sub_ref - Q, axis=1)
    area = 0.0
    total = 0.0
    for i in range(n):
        exclusive = float(boxes[i])
        if i > 0:
            earlier = Q[:i]
            if (earlier <= Q[i]).all(axis=1).any():
                exclusive = 0.0  # covered in this slice already
            else:
                limited = np.maximum(earlier, Q[i])
                if limited.shape[1] > 2:
                    limited = np.unique(limited, axis=0)
                    limited = limited[pairwise_non_dominated_mask(limited)]
                exclusive -= _front_hypervolume(limited, sub_ref)
        area += exclusive
        total += area * float(thickness[i])
    return total


def hypervolume(F: npt.ArrayLike, reference: npt.ArrayLike) -> float:
    """Exact volume dominated by the rows of ``F`` and bounded by ``reference``.

    Only rows strictly better than ``reference`` in every objective contribute;
    rows with NaN are ignored. Two objectives: one sort. Three or more: exact
    slicing with exclusive contributions (fine for a few hundred points, k <= 5).
    """
    arr = as_matrix(F)
    k = arr.shape[1]
    ref = np.asarray(reference, dtype=np.float64)
    if k == 0:
        raise ValueError("F has no objectives")
    if ref.shape != (k,):
        raise ValueError(f"reference must have {k} values (one per objective), got {ref.shape}")
    if not np.isfinite(ref).all():
        raise ValueError("reference must be finite")
    keep = ~np.isnan(arr).any(axis=1) & (arr < ref).all(axis=1)
    pts = arr[keep]
    if pts.shape[0] == 0:
        return 0.0
    if np.isneginf(pts).any():
        return math.inf
    pts = np.unique(pts, axis=0)
    pts = pts[non_dominated_mask(pts)]
    return float(_front_hypervolume(pts, ref))
