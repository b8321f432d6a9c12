"""Pareto dominance over the rows of ``F`` (all objectives minimised)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ._arrays import BoolArray, FloatArray, as_matrix, valid_rows

__all__ = ["non_dominated", "non_dominated_mask", "pairwise_non_dominated_mask"]


def _sweep_2d_mask(F: FloatArray) -> BoolArray:
    """Non-dominated mask for two objectives by one sort (O(m log m))."""
    order = np.lexsort((F[:, 1], F[:, 0]))
    x, y = F[order, 0], F[order, 1]
    new_group = np.ones(x.size, dtype=bool)
    new_group[1:] = x[1:] != x[:-1]
    group = np.cumsum(new_group) - 1
    starts = np.flatnonzero(new_group)
    group_min = y[starts]  # y is sorted within each run of equal x
    running = np.minimum.accumulate(y)
    prev_min = np.full(starts.size, np.inf)
    prev_min[1:] = running[starts[1:] - 1]
    has_prev = group > 0
    # dominated by an equal-x point with smaller y, or by any smaller-x point with y <= ours
    dominated = (y > group_min[group]) | (has_prev & (prev_min[group] <= y))
    out = np.empty(x.size, dtype=bool)
    out[order] = ~dominated
    return out


def _dominated_by(cand: FloatArray, others: FloatArray) -> BoolArray:
    """For each row of ``cand``, whether some row of ``others`` dominates it (chunked)."""
    n, k = cand.shape
    out = np.zeros(n, dtype=bool)
    if others.shape[0] == 0:
        return out
    chunk = max(1, (1 << 22) // max(1, others.shape[0] * max(k, 1)))
    rows = others[None, :, :]
    for a in range(0, n, chunk):
        block = cand[a : a + chunk, None, :]
        weakly = np.asarray((rows <= block).all(axis=2), dtype=bool)
        strictly = np.asarray((rows < block).any(axis=2), dtype=bool)
        out[a : a + chunk] = (weakly & strictly).any(axis=1)
    return out


def pairwise_non_dominated_mask(F: FloatArray) -> BoolArray:
    """Non-dominated mask by all-pairs comparison (any k)."""
    return ~_dominated_by(F, F)


def _blocked_mask(F: FloatArray, block: int = 512) -> BoolArray:
    """Non-dominated mask for many rows: blocks in (sum, lexicographic) order.

    A dominator always sorts before the rows it dominates, so each block only needs
    comparing with itself and with the front kept so far (by transitivity).
    """
    keys = tuple(F[:, j] for j in range(F.shape[1] - 1, -1, -1)) + (F.sum(axis=1),)
    order = np.lexsort(keys)
    keep = np.zeros(F.shape[0], dtype=bool)
    front = F[:0]
    for a in range(0, order.size, block):
        rows = order[a : a + block]
        B = F[rows]
        alive = ~_dominated_by(B, front)
        pos = np.flatnonzero(alive)
        # what the front kills would only kill less
        alive[pos] = pairwise_non_dominated_mask(B[pos])
        keep[rows[alive]] = True
        front = np.concatenate([front, B[alive]])
    return keep


def non_dominated_mask(F: FloatArray) -> BoolArray:
    """Non-dominated mask of NaN-free rows (no eligibility handling)."""
    m, k = F.shape
    if m == 0:
        return np.zeros(0, dtype=bool)
    if k == 2:
        return _sweep_2d_mask(F)
    if m > 1024 and np.isfinite(F).all():
        return _blocked_mask(F)
    return pairwise_non_dominated_mask(F)


def non_dominated(F: npt.ArrayLike, eligible: npt.ArrayLike | None = None) -> BoolArray:
    """True for rows no other eligible row dominates (all objectives minimised).

    A row dominates another when it is no worse in every objective and strictly
    better in one. Rows with a NaN, or not ``eligible``, are False and dominate
    nothing. Identical rows do not dominate each other: every copy is kept.
    Two objectives use an O(m log m) sweep; more use chunked pairwise comparison,
    in blocks against the front found so far when there are many rows.
    """
    arr = as_matrix(F)
    valid = valid_rows(arr, eligible)
    out = np.zeros(arr.shape[0], dtype=bool)
    idx = np.flatnonzero(valid)
    out[idx] = non_dominated_mask(arr[idx])
    return out
