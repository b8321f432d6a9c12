"""Group thresholds on the unconstrained model: the reference every fair learner must beat.

"Unprocessing" (Cruz & Hardt, 2024): the best unconstrained model with one decision
threshold per group traces a front that contains most mitigation methods' results. It
needs the protected attributes **at prediction time** (to know which threshold applies),
so its points are references drawn beside a front, labelled as such, never a model
this project exports.

Here the unconstrained model is a class-balanced LightGBM (``FairGBMClassifier`` with
``fairness_weight=0``), at its round of best validation balanced accuracy. The groups
are the intersectional cells of the protected attributes (one threshold per cell, so
that every attribute's groups can be balanced at once). For each asked bound, the
thresholds are chosen on the validation split held out inside that model's ``fit``:
the best validation balanced accuracy whose worst violation of the chosen notions
(over attributes, per-attribute gaps as everywhere in fairfront) is within the bound.
The search is coordinate ascent over cells on ``balanced accuracy - penalty * excess
violation``, each cell trying a grid of its own score quantiles, with the penalty
raised in turn (``PENALTIES``, each search starting where the last one ended), from the
model's own threshold (raw score 0) everywhere. Coordinate moves can stall above a
tight bound; a reference then says so (``meets_bound`` False). All counts come from
per-cell cumulative sums, so a candidate costs O(cells); the reported figures are then
computed by the metrics engine on the thresholded predictions (validation and test).

Each reference is a dict in the ``front.json`` point shape::

    {"kind": "group_thresholds", "label": "...", "needs_protected_at_prediction": True,
     "protected": [...], "bound": 0.05, "thresholds": {cell: raw score, ...},
     "validation": block, "test": block}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..metrics import GroupIndex, evaluate_many, get_notion
from ._fair_gbm import FairGBMClassifier

__all__ = ["PENALTIES", "GroupThresholds", "fit_group_thresholds", "group_threshold_references"]

PENALTIES = (10.0, 100.0, 1000.0)
"""Weights of the excess violation against balanced accuracy, in turn (each search
starts where the previous one ended)."""
_QUANTILES = 32
_MAX_SWEEPS = 30
_SUPPORTED = {"tpr", "tnr", "fpr", "selection_rate"}


@dataclass(frozen=True)
class GroupThresholds:
    """One raw-score threshold per intersectional cell (predict positive when score > it)."""

    attributes: tuple[str, ...]
    thresholds: dict[str, float]
    default: float = 0.0
    """For a cell that validation never saw."""

    def predict(self, scores: np.ndarray, sensitive: Any) -> np.ndarray:
        cells, labels = GroupIndex.from_sensitive(sensitive, scores.shape[0]).intersection()
        per_cell = np.array([self.thresholds.get(label, self.default) for label in labels])
        return np.asarray(scores > per_cell[cells])


def _cell_counts(
    scores: np.ndarray, y: np.ndarray, cells: np.ndarray, n_cells: int
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Per cell: candidate thresholds and the positives / negatives above each."""
    candidates, above_pos, above_neg = [], [], []
    for c in range(n_cells):
        mine = cells == c
        s, labels = scores[mine], y[mine]
        grid = np.unique(
            np.concatenate(
                [np.quantile(s, np.linspace(0, 1, _QUANTILES)) if s.size else [], [0.0]]
            )
        )
        # Thresholds just below each grid value too, so "everyone at this score" is reachable.
        grid = np.unique(np.concatenate([grid, np.nextafter(grid, -np.inf)]))
        order = np.sort(s[labels == 1]), np.sort(s[labels == 0])
        above_pos.append(order[0].size - np.searchsorted(order[0], grid, side="right"))
        above_neg.append(order[1].size - np.searchsorted(order[1], grid, side="right"))
        candidates.append(grid)
    return candidates, np.array(above_pos, dtype=object), np.array(above_neg, dtype=object)


class _Search:
    """Balanced accuracy and violations of a choice of one candidate per cell, from counts."""

    def __init__(
        self,
        scores: np.ndarray,
        y: np.ndarray,
        groups: GroupIndex,
        rates: Sequence[str],
    ) -> None:
        self.cells, self.labels = groups.intersection()
        self.n_cells = len(self.labels)
        self.candidates, self.pos, self.neg = _cell_counts(scores, y, self.cells, self.n_cells)
        self.n_pos = np.bincount(self.cells[y == 1], minlength=self.n_cells).astype(float)
        self.n_neg = np.bincount(self.cells[y == 0], minlength=self.n_cells).astype(float)
        # membership[j]: cells x groups of attribute j (0/1)
        first_row = np.zeros(self.n_cells, dtype=np.intp)
        first_row[self.cells[::-1]] = np.arange(self.cells.size)[::-1]
        self.membership = []
        for codes, labels in zip(groups.codes, groups.labels, strict=True):
            matrix = np.zeros((self.n_cells, len(labels)))
            matrix[np.arange(self.n_cells), codes[first_row]] = 1.0
            self.membership.append(matrix)
        self.rates = tuple(rates)

    def evaluate(self, choice: np.ndarray) -> tuple[float, float]:
        tp = np.array([self.pos[c][choice[c]] for c in range(self.n_cells)], dtype=float)
        fp = np.array([self.neg[c][choice[c]] for c in range(self.n_cells)], dtype=float)
        tpr = tp.sum() / self.n_pos.sum()
        tnr = 1.0 - fp.sum() / self.n_neg.sum()
        worst = 0.0
        for matrix in self.membership:
            g_pos, g_neg = self.n_pos @ matrix, self.n_neg @ matrix
            g_tp, g_fp = tp @ matrix, fp @ matrix
            with np.errstate(invalid="ignore", divide="ignore"):
                per_rate = {
                    "tpr": g_tp / g_pos,
                    "fpr": g_fp / g_neg,
                    "tnr": g_fp / g_neg,  # same gap as fpr
                    "selection_rate": (g_tp + g_fp) / (g_pos + g_neg),
                }
            for rate in self.rates:
                values = per_rate[rate]
                values = values[np.isfinite(values)]
                if values.size >= 2:
                    worst = max(worst, float(values.max() - values.min()))
        return (tpr + tnr) / 2.0, worst

    def run(self, bound: float) -> np.ndarray:
        choice = np.array(
            [int(np.searchsorted(cand, 0.0, side="left")) for cand in self.candidates]
        )
        choice = np.minimum(choice, [len(c) - 1 for c in self.candidates])

        for penalty in PENALTIES:

            def score(ch: np.ndarray, penalty: float = penalty) -> float:
                ba, worst = self.evaluate(ch)
                return ba - penalty * max(0.0, worst - bound)

            best = score(choice)
            for _ in range(_MAX_SWEEPS):
                improved = False
                for c in range(self.n_cells):
                    keep = choice[c]
                    for k in range(len(self.candidates[c])):
                        choice[c] = k
                        value = score(choice)
                        if value > best + 1e-12:
                            best, keep, improved = value, k, True
                    choice[c] = keep
                if not improved:
                    break
        return choice


def fit_group_thresholds(
    scores: np.ndarray,
    y: np.ndarray,
    sensitive: Any,
    *,
    notions: Sequence[str] = ("eo",),
    bound: float = 0.05,
) -> GroupThresholds:
    """Per-cell thresholds on ``scores`` with the best balanced accuracy within ``bound``."""
    groups = GroupIndex.from_sensitive(sensitive, scores.shape[0])
    rates: dict[str, None] = {}
    for notion in notions:
        spec = get_notion(notion)
        if spec.combine == "sum" and len(spec.rates) > 1:
            raise ValueError(
                f"group thresholds bound each rate's gap; {notion!r} adds two gaps: use eo"
            )
        for rate in spec.rates:
            if rate not in _SUPPORTED:
                raise ValueError(
                    f"group thresholds cannot balance the rate {rate!r} of notion {notion!r}"
                )
            rates[rate] = None
    search = _Search(np.asarray(scores, float), np.asarray(y).astype(np.intp), groups, tuple(rates))
    choice = search.run(bound)
    thresholds = {
        label: float(search.candidates[c][choice[c]]) for c, label in enumerate(search.labels)
    }
    return GroupThresholds(groups.attributes, thresholds)


def group_threshold_references(
    X: Any,
    y: Any,
    sensitive: pd.DataFrame,
    X_test: Any = None,
    y_test: Any = None,
    sensitive_test: pd.DataFrame | None = None,
    *,
    notions: Sequence[str] = ("eo",),
    bounds: Sequence[float] = (0.02, 0.05, 0.1),
    n_estimators: int = 200,
    random_state: Any = 0,
) -> list[dict[str, Any]]:
    """Reference points: group thresholds on a class-balanced LightGBM, one per bound.

    ``X`` / ``y`` / ``sensitive``: the run's training rows (the model holds out its own
    validation split, on which the thresholds are chosen); the test rows, when given,
    are only scored.
    """
    model = FairGBMClassifier(
        n_estimators=n_estimators, fairness_weight=0.0, random_state=random_state
    ).fit(X, y, sensitive_features=sensitive)
    best_round = int(np.nanargmax(model.validation_metrics_.overall["balanced_accuracy"])) + 1
    model = model.at_round(best_round)
    rows = model.validation_indices_
    y_all = np.asarray(y)
    y_val = (y_all[rows] == model.classes_[1]).astype(np.intp)
    s_val = sensitive.iloc[rows]
    scores_val = model.decision_function(X[rows])
    scores_test = None if X_test is None else model.decision_function(X_test)
    tracked = tuple(dict.fromkeys((*notions, *(["eo_sum"] if "eo" in notions else []))))
    attributes = ", ".join(str(c) for c in sensitive.columns)
    references = []
    for bound in bounds:
        fitted = fit_group_thresholds(scores_val, y_val, s_val, notions=notions, bound=bound)
        worded = " and ".join(f"{n} <= {bound:g}" for n in notions)
        reference: dict[str, Any] = {
            "kind": "group_thresholds",
            "label": (
                f"group thresholds ({worded} on validation) on a class-balanced LightGBM; "
                f"needs {attributes} at prediction time"
            ),
            "needs_protected_at_prediction": True,
            "protected": [str(c) for c in sensitive.columns],
            "bound": float(bound),
            "notions": list(notions),
            "base_model": f"class-balanced LightGBM, round {best_round} of {n_estimators}",
            "thresholds": fitted.thresholds,
            "validation": evaluate_many(
                y_val,
                fitted.predict(scores_val, s_val)[:, None],
                sensitive_features=s_val,
                notions=tracked,
            ).block(0),
        }
        reference["meets_bound"] = all(
            (reference["validation"][n]["value"] or 0.0) <= bound + 1e-12 for n in notions
        )
        if scores_test is not None and y_test is not None and sensitive_test is not None:
            y_t = (np.asarray(y_test) == model.classes_[1]).astype(np.intp)
            reference["test"] = evaluate_many(
                y_t,
                fitted.predict(scores_test, sensitive_test)[:, None],
                sensitive_features=sensitive_test,
                notions=tracked,
            ).block(0)
        references.append(reference)
    return references
