"""Shared machinery of the fair boosting learners (AdaFair, MMM-Fair).

One round, vectorised over rows:

1. fit a weak learner on the current weights: a histogram tree grown on the data
   binned once at the start of ``fit`` (``tree_method="hist"``, see ``_hist.py``) or
   scikit-learn's exact tree on the float32 matrix (``"exact"``); ``"auto"`` (the
   default) takes histogram trees from AUTO_HIST_ROWS training rows on, exact trees
   below, where they cost little and their results are today's; weighted error e_t;
   a learner with e_t >= 0.5 is worse than chance and stops the boosting (it never
   gets a negative weight); alpha_t = learning_rate * ln((1 - e_t) / e_t);
2. update the partial ensemble's scores on the training and validation rows
   (incrementally: only the new learner is applied);
3. fairness costs from the partial ensemble's per-group rates on the training rows:
   one ``np.bincount`` of its predictions over (intersectional cell, label) gives every
   attribute's confusion counts, and every rule's cost depends on a row only through
   its groups and label, so the costs are a small table looked up per mistake;
4. reweight only the rows the new learner got wrong: w_i *= u_i * exp(alpha_t * conf_i),
   with conf_i the learner's confidence (its largest class probability); normalise.

After the last round the validation predictions of every partial ensemble are scored
at once (``evaluate_many``): these are the points of the front over rounds.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.model_selection import train_test_split
from sklearn.tree import BaseDecisionTree, DecisionTreeClassifier
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ..fronts import mark_front
from ..metrics import GroupIndex, ManyModelsMetrics, confusion_by_group, evaluate_many, group_rates
from ._hist import FeatureBins, HistogramTree, HistogramTreeGrower, dense_row_blocks

__all__ = ["FairBoostingClassifier", "RoundInfo", "fairness_costs", "points_from_metrics"]

log = logging.getLogger(__name__)

_MAX_SEED = np.iinfo(np.int32).max
_MIN_ERROR = 1e-10
AUTO_STEP = 0.4
AUTO_HIST_ROWS = 100_000
"""``tree_method="auto"``: histogram trees from this many training rows, exact below."""
AUTO_MAX = 4.0

# For each per-group rate that a notion compares: which misclassified rows the cost
# applies to (their true label; None = any label) and whether the disadvantaged group
# is the one with the lowest (True) or highest (False) rate.
_COST_RULES: dict[str, tuple[int | None, bool]] = {
    "tpr": (1, True),  # missed positives of the group with the lowest TPR
    "tnr": (0, True),  # false alarms in the group with the lowest TNR
    "fpr": (0, False),  # the same group, seen as the highest FPR
    "selection_rate": (1, True),  # missed positives of the least-selected group
    "accuracy": (None, True),  # any mistake in the least-accurate group
    "ppv": (0, True),  # false positives of the group with the lowest precision
}


@dataclass(frozen=True)
class RoundInfo:
    """What one boosting round did, passed to a ``callback`` as it happens."""

    round: int
    n_rounds: int
    error: float
    alpha: float
    seconds: float
    validation: dict[str, Any] | None = None
    """This round's ``front.json`` validation block (when the learner scores rounds live)."""
    trivial: bool = False


def fairness_costs(
    y: np.ndarray,
    y_partial: np.ndarray,
    wrong: np.ndarray,
    groups: GroupIndex,
    rates: Sequence[str],
    weight: float = 1.0,
) -> np.ndarray:
    """Per-row cost u_i: 1, or 1 + weight * gap for a mistake that hurts a disadvantaged group.

    For every attribute and every rate, the group with the worst rate of the partial
    ensemble is disadvantaged, and the mistakes of the new learner that feed that gap
    cost 1 + weight * the gap (largest minus smallest rate over the attribute's groups;
    weight 1 is the published rule). A row takes the max over attributes and rates.
    """
    cost = np.ones(y.shape[0])
    y = np.asarray(y, dtype=np.intp)
    for codes, labels in zip(groups.codes, groups.labels, strict=True):
        if len(labels) < 2:
            continue
        counts = confusion_by_group(y, y_partial, codes, len(labels))[0]
        table = attribute_cost_table(counts, rates, weight)
        np.maximum(cost, table[codes, y], out=cost, where=wrong)
    return cost


def attribute_cost_table(counts: np.ndarray, rates: Sequence[str], weight: float) -> np.ndarray:
    """(groups, 2) cost of a mistake on a row of each group and true label, for one attribute.

    ``counts``: the partial ensemble's confusion counts per group, shape (groups, 2, 2).
    The rules of :func:`fairness_costs`, as a table: 1 where no rule applies.
    """
    table = np.ones((counts.shape[0], 2))
    if counts.shape[0] < 2:
        return table
    per_group = group_rates(counts)
    for rate in rates:
        values = per_group[rate]
        if np.isnan(values).sum() > len(values) - 2:
            continue
        cost = 1.0 + weight * float(np.nanmax(values) - np.nanmin(values))
        label, lowest_is_worse = _COST_RULES[rate]
        worst = int(np.nanargmin(values) if lowest_is_worse else np.nanargmax(values))
        labels = slice(None) if label is None else label
        table[worst, labels] = np.maximum(table[worst, labels], cost)
        if rate == "selection_rate":
            # Costs that only ever raise the lowest selection rate ratchet every
            # group's rate upwards (the lowest group changes as it catches up): the
            # most-selected group's false positives cost as much, so the gap also
            # closes from above.
            top = int(np.nanargmax(values))
            table[top, 0] = max(table[top, 0], cost)
    return table


def largest_gap(
    y: np.ndarray, y_partial: np.ndarray, groups: GroupIndex, rates: Sequence[str]
) -> float:
    """The largest gap between groups, over attributes and rates (NaN when none is defined)."""
    largest = np.nan
    for codes, labels in zip(groups.codes, groups.labels, strict=True):
        if len(labels) < 2:
            continue
        per_group = group_rates(confusion_by_group(y, y_partial, codes, len(labels))[0])
        for rate in rates:
            values = per_group[rate]
            if np.isnan(values).sum() <= len(values) - 2:
                largest = np.fmax(largest, np.nanmax(values) - np.nanmin(values))
    return float(largest)


def imbalance_costs(
    y: np.ndarray, y_partial: np.ndarray, wrong: np.ndarray, weight: float
) -> np.ndarray:
    """Per-row cost 1 + weight * |TPR - TNR| on the mistakes in the worse-served class.

    Class imbalance treated like a protected attribute whose groups are the two
    classes: the partial ensemble's lower per-class recall marks the class whose
    mistakes (of the new learner) cost more.
    """
    y = np.asarray(y, dtype=np.intp)
    counts = confusion_by_group(y, y_partial, np.zeros_like(y), 1)[0, 0]
    return np.where(wrong, class_balance_factors(counts, weight)[y], 1.0)


def class_balance_factors(counts: np.ndarray, weight: float) -> np.ndarray:
    """(2,) cost of a mistake on a row of each true label, from overall confusion counts (2, 2).

    The rule of :func:`imbalance_costs`: 1 + weight * |TPR - TNR| for the class with the
    lower recall, 1 for the other (and for both when either recall is undefined).
    """
    factors = np.ones(2)
    positives, negatives = counts[1].sum(), counts[0].sum()
    if positives == 0 or negatives == 0:
        return factors
    tpr = counts[1, 1] / positives
    tnr = counts[0, 0] / negatives
    if tpr != tnr:
        factors[1 if tpr < tnr else 0] = 1.0 + weight * abs(float(tpr - tnr))
    return factors


class _RoundCosts:
    """The cost of each round's mistakes as a table over (intersectional cell, label).

    Every cost rule depends on a row only through its groups and its label, so one
    ``np.bincount`` of the partial ensemble's predictions over the cells gives every
    attribute's confusion counts, and the costs of all the mistakes follow by lookup.
    """

    def __init__(self, y: np.ndarray, groups: GroupIndex) -> None:
        cells, _ = groups.intersection()
        cells = np.asarray(cells, dtype=np.intp)
        self.n_cells = int(cells.max()) + 1 if cells.size else 1
        self.key = cells * 2 + np.asarray(y, dtype=np.intp)
        _, first = np.unique(cells, return_index=True)
        self.cell_groups = [
            (codes[first], len(labels))
            for codes, labels in zip(groups.codes, groups.labels, strict=True)
            if len(labels) >= 2
        ]

    def cell_counts(self, partial: np.ndarray) -> np.ndarray:
        """(cells, 2, 2) confusion counts of the partial ensemble's predictions."""
        index = self.key * 2 + partial
        return np.bincount(index, minlength=4 * self.n_cells).reshape(self.n_cells, 2, 2)

    def factors(
        self, counts: np.ndarray, rates: Sequence[str], weight: float, class_balance: float
    ) -> np.ndarray:
        """Cost of a mistake by ``key`` (cell * 2 + label): fairness times class balance."""
        cost = np.ones((self.n_cells, 2))
        for cell_group, n_groups in self.cell_groups:
            by_group = np.zeros((n_groups, 2, 2))
            np.add.at(by_group, cell_group, counts)
            np.maximum(cost, attribute_cost_table(by_group, rates, weight)[cell_group], out=cost)
        if class_balance > 0:
            cost *= class_balance_factors(counts.sum(axis=0), class_balance)
        return cost.ravel()


def points_from_metrics(
    metrics: ManyModelsMetrics, split: str = "validation"
) -> list[dict[str, Any]]:
    """One ``front.json`` point per model (round t = index + 1) with a ``split`` block."""
    return [
        {
            "round": i + 1,
            "on_front": False,
            "selected": False,
            "trivial": bool(metrics.trivial[i]),
            split: metrics.block(i),
        }
        for i in range(metrics.n_models)
    ]


def stratified_validation_split(
    y: np.ndarray, groups: GroupIndex, size: float, random_state: np.random.RandomState
) -> tuple[np.ndarray, np.ndarray]:
    """Train and validation row indices, stratified by label and intersectional group.

    Strata too small to split fall back to the label alone. Returns the same rows twice
    when the data are too small to hold any out.
    """
    n = y.shape[0]
    rows = np.arange(n)
    n_val = int(np.floor(size * n))
    if size <= 0 or n_val < 2 or n - n_val < 2:
        return rows, rows
    cells, _ = groups.intersection()
    strata = cells.astype(np.int64) * 2 + y
    sizes = np.bincount(strata)
    # A (group, label) stratum too small to split joins the largest stratum of its label.
    for label in (0, 1):
        same_label = np.arange(label, sizes.size, 2)
        largest = same_label[np.argmax(sizes[same_label])] if same_label.size else label
        small = (sizes[strata] < 2) & (y == label)
        strata[small] = largest
    _, sizes = np.unique(strata, return_counts=True)
    stratify: np.ndarray | None = strata
    if sizes.min() < 2 or min(n_val, n - n_val) < sizes.size:
        stratify = y if np.bincount(y).min() >= 2 else None
    train, val = train_test_split(
        rows, test_size=n_val, stratify=stratify, random_state=random_state
    )
    if np.unique(y[train]).size < 2:
        return rows, rows
    return np.sort(train), np.sort(val)


class FairBoostingClassifier(ClassifierMixin, BaseEstimator):
    """Base of the fair boosting learners; subclasses set the costs and the choice.

    Binary classification; the positive class is ``classes_[1]`` (encode labels so,
    e.g. 0/1 with 1 positive). The model predicts with the first ``selected_round_``
    learners; ``at_round`` gives the same model truncated at any other round.
    """

    _parameter_constraints: dict[str, list[Any]] = {
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "n_estimators": [Interval(Integral, 1, 10_000, closed="both")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "validation_size": [Interval(Real, 0, 0.9, closed="both")],
        "fairness_weight": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "class_balance": [Interval(Real, 0, None, closed="left")],
        "tree_method": [StrOptions({"auto", "hist", "exact"})],
        "max_bins": [Interval(Integral, 2, 65536, closed="both")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator: Any = None,
        *,
        n_estimators: int = 200,
        learning_rate: float = 1.0,
        validation_size: float = 0.2,
        fairness_weight: float | str = 1.0,
        class_balance: float = 0.0,
        tree_method: str = "auto",
        max_bins: int = 4096,
        random_state: Any = None,
    ) -> None:
        self.estimator = estimator
        self.tree_method = tree_method
        self.max_bins = max_bins
        self.fairness_weight = fairness_weight
        self.class_balance = class_balance
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.validation_size = validation_size
        self.random_state = random_state

    # ----- what subclasses decide -------------------------------------------------
    def _cost_rates(self) -> tuple[str, ...]:
        raise NotImplementedError

    def _tracked_notions(self) -> tuple[str, ...]:
        """Notions scored on validation data for every round."""
        raise NotImplementedError

    def _front_notions(self) -> tuple[str, ...]:
        """Notions whose violations are objectives of the front."""
        return self._tracked_notions()

    def front_notions(self) -> tuple[str, ...]:
        """The notions whose violations (with 1 - accuracy and 1 - balanced accuracy) are
        the objectives ``points_``' ``on_front`` flags are drawn over."""
        return self._front_notions()

    def _tree_depth(self) -> int:
        """Depth of the built-in trees (used when ``estimator`` is None): stumps."""
        return 1

    def _default_estimator(self) -> Any:
        """The exact weak learner used when ``estimator`` is None and ``tree_method="exact"``."""
        return DecisionTreeClassifier(max_depth=self._tree_depth())

    def _check_groups(self, groups: GroupIndex) -> None:
        """Reject protected attributes the learner cannot handle."""

    def _check_selection(self) -> None:
        """Reject a selection rule that cannot be applied, before any boosting."""

    def _choose_round(self, metrics: ManyModelsMetrics) -> tuple[int, str]:
        raise NotImplementedError

    # ----- scikit-learn API -------------------------------------------------------
    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.sparse = True
        return tags

    def fit(
        self,
        X: Any,
        y: Any,
        *,
        sensitive_features: Any = None,
        sample_weight: Any = None,
        callback: Callable[[RoundInfo], None] | None = None,
    ) -> FairBoostingClassifier:
        """Boost on (X, y); ``sensitive_features``: one column per protected attribute.

        ``callback`` is called after each round with a :class:`RoundInfo` (progress
        bars, live fronts).
        """
        self._validate_params()
        self._check_selection()
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32]
        )
        check_classification_targets(y)
        self.classes_, y_encoded = np.unique(y, return_inverse=True)
        if self.classes_.shape[0] != 2:
            raise ValueError(
                "Only binary classification is supported. "
                f"{type(self).__name__} needs two classes; y has "
                f"{self.classes_.shape[0]} class(es): {list(self.classes_)[:5]}"
            )
        y01 = y_encoded.astype(np.intp)
        n = y01.shape[0]
        weight0 = _check_sample_weight(sample_weight, X, dtype=np.float64)
        groups = (
            GroupIndex.single(n)
            if sensitive_features is None
            else GroupIndex.from_sensitive(sensitive_features, n)
        )
        self._check_groups(groups)
        self.protected_ = groups.attributes
        self.groups_ = dict(zip(groups.attributes, groups.labels, strict=True))
        rng = check_random_state(self.random_state)

        train, val = stratified_validation_split(y01, groups, self.validation_size, rng)
        self.validation_on_training_data_ = train is val
        if self.validation_on_training_data_ and self.validation_size > 0:
            log.warning("too few rows to hold out a validation split; choosing on training data")
        y_train, y_val = y01[train], y01[val]
        truth_train = y_train.astype(bool)
        groups_train, groups_val = groups.take(train), groups.take(val)
        weights = weight0[train] / weight0[train].sum()
        tick = time.perf_counter()
        self.tree_method_ = (
            "estimator"
            if self.estimator is not None
            else self.tree_method
            if self.tree_method != "auto"
            else ("hist" if train.shape[0] >= AUTO_HIST_ROWS else "exact")
        )
        weak = (
            _HistogramLearners(
                X, train, val, y_train, self._tree_depth(), self.max_bins, weight0
            )
            if self.tree_method_ == "hist"
            else _EstimatorLearners(
                self.estimator if self.estimator is not None else self._default_estimator(),
                X,
                train,
                val,
                y_train,
                rng,
            )
        )
        self.fit_seconds_ = {
            "preparation": time.perf_counter() - tick,
            "weak_learners": 0.0,
            "total": 0.0,
        }
        rates = self._cost_rates()
        auto = self.fairness_weight == "auto"
        weight: float | None = None if auto else float(self.fairness_weight)
        score_train = np.zeros(train.shape[0])
        score_val = np.zeros(val.shape[0])
        val_votes = np.zeros((self.n_estimators, val.shape[0]), dtype=bool)  # round x row
        costs = _RoundCosts(y_train, groups_train)
        self.estimators_: list[Any] = []
        alphas: list[float] = []
        errors: list[float] = []
        self.stop_reason_ = "all rounds done"
        started = time.perf_counter()
        for t in range(self.n_estimators):
            tick = time.perf_counter()
            learner, vote, confidence = weak.fit(weights)
            self.fit_seconds_["weak_learners"] += time.perf_counter() - tick
            wrong = vote != truth_train
            error = float(np.sum(weights, where=wrong))
            if error >= 0.5:
                self.stop_reason_ = (
                    f"round {t + 1}: weak learner error {error:.3f} >= 0.5 (worse than "
                    "chance); stopped there"
                )
                log.info(self.stop_reason_)
                break
            clipped = max(error, _MIN_ERROR)
            alpha = self.learning_rate * np.log((1 - clipped) / clipped)
            self.estimators_.append(learner)
            alphas.append(float(alpha))
            errors.append(error)
            _add_vote(score_train, vote, alpha)
            _add_vote(score_val, weak.validation_vote(learner), alpha)
            np.greater(score_val, 0, out=val_votes[t])
            perfect = error <= _MIN_ERROR
            if not perfect:
                partial = score_train > 0
                if weight is None:
                    weight = self._resolve_weight(y_train, partial, groups_train, rates)
                factors = costs.factors(
                    costs.cell_counts(partial), rates, weight, self.class_balance
                )
                mistakes = np.flatnonzero(wrong)
                weights[mistakes] *= factors[costs.key[mistakes]] * np.exp(
                    alpha * confidence[mistakes]
                )
                weights /= weights.sum()
            if callback is not None:
                live = evaluate_many(
                    y_val,
                    val_votes[t : t + 1].T,
                    sensitive_features=groups_val,
                    notions=self._tracked_notions(),
                )
                seconds = time.perf_counter() - tick
                callback(
                    RoundInfo(
                        t + 1,
                        self.n_estimators,
                        error,
                        float(alpha),
                        seconds,
                        validation=live.block(0),
                        trivial=bool(live.trivial[0]),
                    )
                )
            if perfect:
                self.stop_reason_ = f"round {t + 1}: the weak learner fits every training row"
                break

        if not self.estimators_:
            raise ValueError(
                "the first weak learner is no better than chance on the training data; "
                "nothing to boost"
            )
        self.fit_seconds_["total"] = time.perf_counter() - started
        self.fairness_weight_ = weight if weight is not None else 1.0
        self.n_estimators_ = len(self.estimators_)
        self.estimator_weights_ = np.asarray(alphas)
        self.estimator_errors_ = np.asarray(errors)
        self.validation_metrics_ = evaluate_many(
            y_val,
            val_votes[: self.n_estimators_].T,
            sensitive_features=groups_val,
            notions=self._tracked_notions(),
        )
        self.points_ = points_from_metrics(self.validation_metrics_)
        mark_front(self.points_, self._front_notions())
        self.front_rounds_ = [p["round"] for p in self.points_ if p["on_front"]]
        self.selected_round_, self.selection_reason_ = self._choose_round(self.validation_metrics_)
        return self

    def _resolve_weight(
        self, y: np.ndarray, partial: np.ndarray, groups: GroupIndex, rates: Sequence[str]
    ) -> float:
        """``fairness_weight="auto"``: bound the first cost step to 1 + AUTO_STEP.

        w = AUTO_STEP / (largest gap after round 1), clipped to [1, AUTO_MAX]: small
        gaps (Adult: about 0.1) get a strong push, large ones (COMPAS race: about 0.25)
        a gentler one, since large steps make the costs swing between groups.
        """
        gap = largest_gap(y, partial, groups, rates)
        if not np.isfinite(gap) or gap <= 0:
            return AUTO_MAX
        return float(np.clip(AUTO_STEP / gap, 1.0, AUTO_MAX))

    def at_round(self, round: int) -> FairBoostingClassifier:
        """This model truncated at ``round`` (1-based), as a new estimator."""
        check_is_fitted(self)
        if not 1 <= round <= self.n_estimators_:
            raise ValueError(
                f"round {round} does not exist: this model has rounds 1 to {self.n_estimators_}"
            )
        truncated = copy.copy(self)
        truncated.selected_round_ = int(round)
        truncated.selection_reason_ = f"round {round}, chosen by the caller"
        return truncated

    def decision_function(self, X: Any) -> np.ndarray:
        """Weighted vote of the first ``selected_round_`` learners, scaled to [-1, 1]."""
        check_is_fitted(self)
        votes = self._votes(X, self.selected_round_)
        alphas = self.estimator_weights_[: self.selected_round_]
        return np.asarray(votes @ alphas / alphas.sum())

    def predict_proba(self, X: Any) -> np.ndarray:
        """Columns for ``classes_``: p(positive) = (1 + decision) / 2."""
        positive = (1.0 + self.decision_function(X)) / 2.0
        return np.column_stack([1.0 - positive, positive])

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        return np.asarray(self.classes_[(self.decision_function(X) > 0).astype(np.intp)])

    def staged_decision_function(self, X: Any) -> Iterator[np.ndarray]:
        """The decision function after each round 1..n_estimators_."""
        check_is_fitted(self)
        votes = self._votes(X, self.n_estimators_)
        scores = np.cumsum(votes * self.estimator_weights_, axis=1)
        scores /= np.cumsum(self.estimator_weights_)
        for t in range(self.n_estimators_):
            yield scores[:, t]

    def staged_predict_proba(self, X: Any) -> Iterator[np.ndarray]:
        for decision in self.staged_decision_function(X):
            positive = (1.0 + decision) / 2.0
            yield np.column_stack([1.0 - positive, positive])

    def staged_predict(self, X: Any) -> Iterator[np.ndarray]:
        for decision in self.staged_decision_function(X):
            yield self.classes_[(decision > 0).astype(np.intp)]

    def staged_positive_matrix(self, X: Any) -> np.ndarray:
        """Boolean n x n_estimators_: does round t's ensemble predict the positive class."""
        check_is_fitted(self)
        votes = self._votes(X, self.n_estimators_)
        return np.cumsum(votes * self.estimator_weights_, axis=1) > 0

    # ----- internals --------------------------------------------------------------
    def _votes(self, X: Any, n_rounds: int) -> np.ndarray:
        """+1 / -1 votes of the first ``n_rounds`` learners, shape (n, n_rounds)."""
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32], reset=False
        )
        votes = np.empty((X.shape[0], n_rounds))
        if isinstance(self.estimators_[0], HistogramTree):
            for start, block in dense_row_blocks(X):
                rows = slice(start, start + block.shape[0])
                for t in range(n_rounds):
                    tree = self.estimators_[t]
                    votes[rows, t] = np.where(tree.node_vote_[tree.apply_dense(block)], 1.0, -1.0)
            return votes
        _, X_pred = _tree_layouts(X, fit_layout=False)
        fast = isinstance(self.estimators_[0], BaseDecisionTree)
        for t in range(n_rounds):
            votes[:, t] = np.where(_vote(self.estimators_[t], X_pred, fast), 1.0, -1.0)
        return votes


def _add_vote(score: np.ndarray, vote: np.ndarray, alpha: float) -> None:
    """score += alpha where the learner votes positive, -alpha elsewhere (in place)."""
    score += np.where(vote, alpha, -alpha)


class _HistogramLearners:
    """Histogram trees: the rows binned once, each round's tree grown on the bins."""

    def __init__(
        self,
        X: Any,
        train: np.ndarray,
        val: np.ndarray,
        y_train: np.ndarray,
        max_depth: int,
        max_bins: int,
        sample_weight: np.ndarray,
    ) -> None:
        bins = FeatureBins(X, max_bins, sample_weight)
        codes, bins.codes = bins.codes, np.empty((0, 0), dtype=np.intp)
        self.grower = HistogramTreeGrower(bins, codes[:, train], y_train, max_depth)
        self.val_codes = codes[:, val]

    def fit(self, weights: np.ndarray) -> tuple[HistogramTree, np.ndarray, np.ndarray]:
        """The tree, its vote (True: positive) and confidence on each training row."""
        tree, leaf = self.grower.grow(weights)
        return tree, tree.node_vote_[leaf], tree.node_confidence_[leaf]

    def validation_vote(self, tree: HistogramTree) -> np.ndarray:
        return np.asarray(tree.node_vote_[self.grower.apply_codes(tree, self.val_codes)])


class _EstimatorLearners:
    """A scikit-learn weak learner (exact trees, or any ``estimator``) fitted each round."""

    def __init__(
        self,
        base: Any,
        X: Any,
        train: np.ndarray,
        val: np.ndarray,
        y_train: np.ndarray,
        rng: np.random.RandomState,
    ) -> None:
        self.base = clone(base)
        self.fast_tree = isinstance(self.base, BaseDecisionTree)
        self.seeds = "random_state" in self.base.get_params()
        self.rng = rng
        X_fit, X_pred = _tree_layouts(X)
        self.X_train_fit, self.X_train_pred, self.X_val = X_fit[train], X_pred[train], X_pred[val]
        self.y_train = y_train

    def fit(self, weights: np.ndarray) -> tuple[Any, np.ndarray, np.ndarray]:
        """The fitted learner, its vote (True: positive) and confidence on each training row."""
        learner = clone(self.base)
        if self.seeds:
            learner.set_params(random_state=self.rng.randint(_MAX_SEED))
        if self.fast_tree:
            learner.fit(self.X_train_fit, self.y_train, sample_weight=weights, check_input=False)
            proba = learner.predict_proba(self.X_train_pred, check_input=False)
        else:
            learner.fit(self.X_train_fit, self.y_train, sample_weight=weights)
            proba = learner.predict_proba(self.X_train_pred)
        return learner, proba[:, 1] > proba[:, 0], proba.max(axis=1)

    def validation_vote(self, learner: Any) -> np.ndarray:
        return _vote(learner, self.X_val, self.fast_tree)


def _vote(learner: Any, X: Any, fast_tree: bool) -> np.ndarray:
    proba = learner.predict_proba(X, check_input=False) if fast_tree else learner.predict_proba(X)
    return np.asarray(proba[:, 1] > proba[:, 0])


def _tree_layouts(X: Any, fit_layout: bool = True) -> tuple[Any, Any]:
    """The layouts scikit-learn trees use without copying: float32, CSC to fit, CSR to predict."""
    if sp.issparse(X):
        X_pred = sp.csr_matrix(X, dtype=np.float32)
        # scikit-learn's tree code reads 32-bit indices without checking.
        X_pred.indices = X_pred.indices.astype(np.int32, copy=False)
        X_pred.indptr = X_pred.indptr.astype(np.int32, copy=False)
        X_pred.sort_indices()
        X_fit = sp.csc_matrix(X_pred) if fit_layout else None
        if X_fit is not None:
            X_fit.sort_indices()
        return X_fit, X_pred
    dense = np.asarray(X, dtype=np.float32)
    return (np.asfortranarray(dense) if fit_layout else None), np.ascontiguousarray(dense)
