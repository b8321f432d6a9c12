"""Choosing one row of a front by preference: the knee, or the best match to weights."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from ._arrays import TIE, BoolArray, FloatArray, IntArray, as_matrix, first_best, valid_rows
from ._dominance import non_dominated_mask

__all__ = [
    "WEIGHT_METHODS",
    "WeightMethod",
    "check_method",
    "check_weights",
    "knee",
    "select_by_weights",
]

WeightMethod = Literal["chebyshev", "pseudo_weights"]
WEIGHT_METHODS: tuple[str, ...] = get_args(WeightMethod)


def check_method(method: object) -> None:
    """``ValueError`` unless ``method`` is one of :data:`WEIGHT_METHODS`."""
    if method not in WEIGHT_METHODS:
        raise ValueError(f"method must be 'chebyshev' or 'pseudo_weights', got {method!r}")


def check_weights(weights: npt.ArrayLike, k: int, names: Sequence[str] | None = None) -> FloatArray:
    """Weights as a float vector summing to 1; ``ValueError`` naming the problem."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1:
        raise ValueError(f"weights must be a flat sequence of numbers, got shape {w.shape}")
    if w.size != k:
        of = f" ({', '.join(names)})" if names else ""
        raise ValueError(f"weights has {w.size} values but there are {k} objectives{of}")
    if not np.isfinite(w).all():
        raise ValueError(f"weights must be finite numbers, got {w.tolist()}")
    if (w < 0).any():
        raise ValueError(f"weights must be non-negative, got {w.tolist()}")
    total = float(w.sum())
    if total <= 0:
        raise ValueError("weights are all zero; give at least one objective a positive weight")
    out: FloatArray = w / total
    return out


def _normalised_front(
    F: npt.ArrayLike, eligible: npt.ArrayLike | None
) -> tuple[IntArray, FloatArray, BoolArray] | None:
    """Front rows, their objectives scaled to [0, 1] by ideal and nadir, varying columns.

    Rows with an infinite value are treated as ineligible (they cannot be scaled).
    Columns constant over the front scale to 0.
    """
    arr = as_matrix(F)
    valid = valid_rows(arr, eligible) & np.isfinite(arr).all(axis=1)
    idx = np.flatnonzero(valid)
    idx = idx[non_dominated_mask(arr[idx])]
    if idx.size == 0:
        return None
    front = arr[idx]
    ideal, nadir = front.min(axis=0), front.max(axis=0)
    span = nadir - ideal
    active = span > 0
    X = np.zeros_like(front)
    X[:, active] = (front[:, active] - ideal[active]) / span[active]
    return idx, X, active


def knee(F: npt.ArrayLike, eligible: npt.ArrayLike | None = None) -> int | None:
    """Row index of the knee of the front of the eligible, NaN-free rows.

    The front's objectives are scaled to [0, 1] by its ideal (best) and nadir
    (worst) values. The extreme points are the front's minimisers of each
    objective (ties: smallest sum of the others). The knee is the front point
    furthest below (on the ideal side of) the hyperplane through the extreme
    points -- for two objectives, the largest perpendicular distance from the line
    joining the two ends of the front. Falls back to the point nearest the ideal
    point (Euclidean, scaled) when the front is degenerate: one point, extremes
    that coincide or are affinely dependent, or no point strictly below the plane
    (a straight or concave front). Rows with infinite values are ignored; ties go
    to the lowest row. Returns None when no row is eligible.
    """
    res = _normalised_front(F, eligible)
    if res is None:
        return None
    idx, X, active = res
    Xa = X[:, active]
    ka = Xa.shape[1]
    nearest = int(idx[first_best(np.linalg.norm(Xa, axis=1))])
    if idx.size == 1 or ka < 2:
        return nearest
    totals = Xa.sum(axis=1)
    anchors = [first_best(Xa[:, j], totals - Xa[:, j]) for j in range(ka)]
    A = Xa[anchors]
    if len(set(anchors)) < ka or np.linalg.matrix_rank(A) < ka:
        return nearest
    normal = np.linalg.solve(A, np.ones(ka))
    below = (1.0 - Xa @ normal) / float(np.linalg.norm(normal))
    if float(below.max()) <= TIE:
        return nearest
    return int(idx[first_best(-below)])


def select_by_weights(
    F: npt.ArrayLike,
    weights: npt.ArrayLike,
    eligible: npt.ArrayLike | None = None,
    method: WeightMethod = "chebyshev",
) -> int | None:
    """Row index of the front point that best matches ``weights`` (one per objective).

    Only non-dominated, eligible, finite rows are candidates; objectives are scaled
    to [0, 1] by the front's ideal and nadir, and weights are rescaled to sum to 1
    (a larger weight means that objective matters more).

    * ``"chebyshev"``: smallest weighted Chebyshev distance ``max_j w_j x_j`` to the
      ideal point;
    * ``"pseudo_weights"`` (Deb): each point's pseudo-weights
      ``(1 - x_j) / sum_l (1 - x_l)`` say how near it is to the best of each
      objective; pick the point whose pseudo-weights are closest (Euclidean) to
      ``weights`` (renormalised over objectives that vary on the front).

    Ties go to the smallest sum of scaled objectives, then the lowest row. Returns
    None when no row is eligible.
    """
    check_method(method)
    arr = as_matrix(F)
    w = check_weights(weights, arr.shape[1])
    res = _normalised_front(arr, eligible)
    if res is None:
        return None
    idx, X, active = res
    if idx.size == 1 or not active.any():
        return int(idx[0])
    totals = X.sum(axis=1)
    if method == "chebyshev":
        score = (X * w).max(axis=1)
    else:
        closeness = np.where(active, 1.0 - X, 0.0)
        pseudo = closeness / closeness.sum(axis=1, keepdims=True)  # >= 1 varying column
        w_active = np.where(active, w, 0.0)
        mass = float(w_active.sum())
        target = w_active / mass if mass > 0 else active / float(active.sum())
        score = np.linalg.norm(pseudo - target, axis=1)
    return int(idx[first_best(score, totals)])
