"""Per-group confusion counts and the rates derived from them.

Everything the engine reports comes from one array of counts of shape
``(m, G, 2, 2)``: for each of m models and G groups, the (weighted) number of rows
with true label ``y`` and prediction ``yhat`` at ``[.., y, yhat]``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["confusion_by_group", "gaps", "group_rates", "rate_fractions", "ratios"]


_BINCOUNT_MODELS = 4
"""Up to this many models, counts come from one bincount per model."""


def confusion_by_group(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    codes: np.ndarray,
    n_groups: int,
    sample_weight: np.ndarray | None = None,
) -> np.ndarray:
    """Confusion counts per group for one model (``y_pred`` 1-D) or m models (n x m).

    ``y_true`` and ``y_pred`` hold 0/1 (or booleans); the result has shape
    ``(m, n_groups, 2, 2)``, with m = 1 for a 1-D ``y_pred``.
    """
    y = np.asarray(y_true, dtype=np.intp)
    if y_pred.ndim == 1:
        index = (codes * 2 + y) * 2 + np.asarray(y_pred, dtype=np.intp)
        flat = np.bincount(index, weights=sample_weight, minlength=4 * n_groups)
        return flat.reshape(1, n_groups, 2, 2).astype(np.float64)
    n, m = y_pred.shape
    if sample_weight is None and m <= _BINCOUNT_MODELS:
        # A few models (a live round's point): one bincount each, much cheaper than
        # building the group indicator matrix; the same integer counts.
        index = (codes * 2 + y) * 2
        return np.stack(
            [
                np.bincount(index + y_pred[:, j], minlength=4 * n_groups)
                .reshape(n_groups, 2, 2)
                .astype(np.float64)
                for j in range(m)
            ]
        )
    weights = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    cell = codes * 2 + y
    indicator = sp.csr_matrix((weights, (cell, np.arange(n))), shape=(2 * n_groups, n))
    predicted_positive = np.asarray(indicator @ y_pred.astype(np.float64))  # (2G, m)
    totals = np.bincount(cell, weights=weights, minlength=2 * n_groups)  # (2G,)
    counts = np.empty((m, n_groups, 2, 2))
    pp = predicted_positive.T.reshape(m, n_groups, 2)
    counts[..., 1] = pp
    counts[..., 0] = totals.reshape(n_groups, 2)[None] - pp
    return counts


def rate_fractions(counts: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Numerator and denominator of every per-group rate from counts ``(..., 2, 2)``.

    Each rate is a share of some of a group's rows (e.g. tpr: found among its
    positives), which is what the confidence intervals need.
    """
    tn, fp = counts[..., 0, 0], counts[..., 0, 1]
    fn, tp = counts[..., 1, 0], counts[..., 1, 1]
    n = tn + fp + fn + tp
    return {
        "selection_rate": (tp + fp, n),
        "tpr": (tp, tp + fn),
        "fpr": (fp, fp + tn),
        "tnr": (tn, tn + fp),
        "accuracy": (tp + tn, n),
        "ppv": (tp, tp + fp),
        "base_rate": (tp + fn, n),
    }


def group_rates(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Every per-group rate from counts ``(..., 2, 2)``; undefined rates are NaN."""
    fractions = rate_fractions(counts)
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = {name: k / n for name, (k, n) in fractions.items()}
    return {"n": fractions["base_rate"][1], **rates}


def gaps(rates: np.ndarray, included: np.ndarray | None = None) -> np.ndarray:
    """Largest gap between groups (last axis), ignoring NaN and excluded groups.

    NaN where fewer than two groups have a defined rate.
    """
    values = rates if included is None else np.where(included, rates, np.nan)
    defined = (~np.isnan(values)).sum(axis=-1)
    hi = np.max(np.where(np.isnan(values), -np.inf, values), axis=-1)
    lo = np.min(np.where(np.isnan(values), np.inf, values), axis=-1)
    with np.errstate(invalid="ignore"):
        return np.where(defined >= 2, hi - lo, np.nan)


def ratios(rates: np.ndarray, included: np.ndarray | None = None) -> np.ndarray:
    """Smallest over largest rate between groups; 1 when all defined rates are 0."""
    values = rates if included is None else np.where(included, rates, np.nan)
    defined = (~np.isnan(values)).sum(axis=-1)
    hi = np.max(np.where(np.isnan(values), -np.inf, values), axis=-1)
    lo = np.min(np.where(np.isnan(values), np.inf, values), axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(hi > 0, lo / hi, 1.0)
    return np.where(defined >= 2, ratio, np.nan)
