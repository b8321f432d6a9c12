"""Fair gradient boosting on stock LightGBM: per-group multipliers on thresholded rates.

Each round of :class:`FairGBMClassifier` is one LightGBM tree grown on gradients and
hessians that this module computes (``Booster.update(fobj=...)``); LightGBM does the
histograms, the splits and the scores, nothing here grows a tree.

The objective
-------------
Training minimises a class-balanced error subject to a bound b on each chosen notion's
gap, for every protected attribute at once. For attribute a, a rate r that the notion
compares (eo: TPR and FPR; eop: TPR; fpr: FPR; dp: selection rate; eo_sum: TPR and
TNR, the same gap as FPR) and each group g of a, the constraint is

    |r_g - r_a| <= tol_g,   r_a = the rate over all of a's rows,

with ``tol_g = b * (1 - share_g)`` for a two-group attribute (exactly ``|r_g - r_h| <=
b``) and ``b / 2`` with more groups. Each side of each constraint has a multiplier
(``mu+``, ``mu-`` >= 0), so the Lagrangian

    L(F, mu) = sum_i c_i [yhat_i != y_i] + sum_arg (mu+ - mu-)_arg (r_g - r_a) - ...

is linear in each row's prediction: predicting positive for row i moves ``r_g`` by
``1 / n_g`` and ``r_a`` by ``1 / n_a`` (counted on the rows the rate is defined on:
TPR y = 1, FPR y = 0, dp all). Each row thus gets a net cost of predicting positive,
``delta_i = c_i (1 - 2 y_i) + sum_ar n ((mu+ - mu-)_g(i) / n_g(i) - sum_g (mu+ - mu-)_g
/ n_a)``; the round's tree fits the logistic loss towards the label ``[delta_i < 0]``
with weight ``|delta_i|`` (the cost-sensitive reduction of Agarwal et al. 2018, one
tree per step instead of one classifier per step), and each multiplier takes one
projected ascent step on the true thresholded rates:
``mu+ <- max(0, mu+ + fairness_weight * (r_g - r_a - tol_g))`` (and ``mu-`` on the
other side). The net multiplier of a group rises while its rate is too high and falls
back once it is not, which damps the swings that a single max-minus-min multiplier
per attribute showed (it kept growing whichever group was on top, and the model
oscillated with growing amplitude on Adult and COMPAS).

The multipliers read the rates on **held rows**: ``fairness_holdout`` (25%) of the
training rows that no tree fits (LightGBM keeps their running scores as a second score
set). Read on the fitted rows, the gaps were met in-sample and missed on new rows by
0.05-0.15 on Adult; read on held rows they come out near the bound on the test split.

Why this design, against the alternatives in the design notes (docs/algorithms.md
section 5):

- a regulariser on squared soft gaps of mean probabilities (the smooth-max version)
  acts on a proxy: equal mean probabilities are not equal rates at the threshold,
  and the squared gap's gradient vanishes just where a 0.05 bound needs pressure;
- FairGBM's proxy-Lagrangian uses one-sided group constraints and smooth proxies in
  the descent step; with several attributes and many small groups its defaults were
  measured near chance;
- here the ascent reads the thresholded rates that are reported (a bound means what
  the front shows), the descent sees exact per-row costs of those rates in both
  directions (a group above the others is pulled down, not only the one below pushed
  up), and every attribute's groups have their own multipliers at once.

Class balance: ``c_i`` weights class y by ``(n / (2 n_y)) ** class_balance`` (1: the
balanced error, whose prior log-odds are 0; 0: plain error). The initial score is the
weighted prior log-odds, folded into the first tree's leaves when training ends, so
the booster alone (and its ONNX graph) gives the model's scores.

Rounds and fronts
-----------------
Every round is a point scored on a validation split held out inside ``fit``
(stratified by label and intersectional group). The validation scores are
LightGBM's own running sums (a validation set added to the booster: each new tree's
output is added to them), never re-predicted from the start;
``staged_positive_matrix`` accumulates each tree's leaf outputs for any rows from one
``pred_leaf`` pass. Rounds on the front, the selection rules (constraints, weights,
the default choice), the trivial guard and ``at_round`` are those of the boosting
learners.
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
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ..fronts import (
    Constraint,
    NoEligiblePointError,
    SelectionRule,
    mark_front,
    select,
)
from ..metrics import NOTIONS, GroupIndex, evaluate_many, get_notion
from ._boosting import RoundInfo, points_from_metrics, stratified_validation_split

__all__ = [
    "CONSTRAINT_MARGIN",
    "DEFAULT_BOUND",
    "FairGBMClassifier",
    "selection_rule_from",
]

log = logging.getLogger(__name__)

DEFAULT_BOUND = 0.02
"""Training bound on every chosen notion's gap when neither ``bound`` nor a constraint sets one."""
CONSTRAINT_MARGIN = 0.5
"""Training aims at this share of a constraint's bound: held-out gaps exceed in-sample ones."""
_MAX_SEED = np.iinfo(np.int32).max
_MIN_HESSIAN = 1e-6
# Rows each rate is defined on: the label they must have (None: every row).
_RATE_ROWS: dict[str, int | None] = {"tpr": 1, "tnr": 0, "fpr": 0, "selection_rate": None}


def selection_rule_from(
    constraints: Sequence[str | Constraint] | None,
    weights: Sequence[float] | None,
    maximize: str,
    notions: Sequence[str],
) -> SelectionRule:
    """The rule a learner's ``constraints`` / ``weights`` / ``maximize`` ask for, else the
    default choice (:meth:`SelectionRule.default`), as MMM-Fair's."""
    if constraints:
        parsed = tuple(c if isinstance(c, Constraint) else Constraint.parse(c) for c in constraints)
        return SelectionRule(kind="constraints", constraints=parsed, maximize=maximize)
    if weights is not None:
        values = tuple(float(w) for w in weights)
        if len(values) != 2 + len(notions):
            raise ValueError(
                f"weights has {len(values)} values; expected {2 + len(notions)}: one each for "
                f"1 - accuracy, 1 - balanced accuracy and each notion ({', '.join(notions)})"
            )
        return SelectionRule(kind="weights", weights=values)
    return SelectionRule.default()


@dataclass(frozen=True)
class _GapTerm:
    """One (attribute, rate) gap: its groups on the rows the rate is defined on."""

    attribute: int  # index into the GroupIndex's attributes
    rate: str
    label: int | None  # the label of the rows the rate is defined on (None: every row)
    bound: float
    n_rows: int  # rows the rate is defined on
    sizes: np.ndarray  # rows per group (0 for a group absent from these rows)


def _gap_terms(y: np.ndarray, groups: GroupIndex, bounds: dict[str, float]) -> list[_GapTerm]:
    """One term per (attribute, rate) of the chosen notions over the rows of ``y``.

    The tightest bound of the notions sharing a rate wins. Attributes with fewer than
    two groups give no term.
    """
    rate_bound: dict[str, float] = {}
    for notion, bound in bounds.items():
        for rate in get_notion(notion).rates:
            # tnr and fpr are the same gap.
            key = "fpr" if rate == "tnr" else rate
            rate_bound[key] = min(rate_bound.get(key, np.inf), bound)
    terms = []
    for a, (codes, labels) in enumerate(zip(groups.codes, groups.labels, strict=True)):
        if len(labels) < 2:
            continue
        for rate, bound in rate_bound.items():
            label = _RATE_ROWS[rate]
            sub = codes if label is None else codes[y == label]
            sizes = np.bincount(sub, minlength=len(labels))
            terms.append(_GapTerm(a, rate, label, bound, int(sub.shape[0]), sizes))
    return terms


class GroupMultipliers:
    """The multipliers of every (attribute, rate, group), read and applied once a round.

    ``y_read`` / ``groups_read``: the rows whose thresholded rates the multipliers
    step on; ``y_push`` / ``groups_push``: the rows whose costs they change (the rows
    the trees fit). Each term (attribute, rate) has a slot per group, so a round is a
    few whole-array operations whatever the number of attributes:

    - rates: per attribute, one ``np.bincount`` of the read rows' positive
      predictions by (group, label); each slot adds up its labels' counts
      (integers, exact in any order);
    - the ascent step of the module docstring, vectorised over the slots (a term with
      fewer than two groups present on both sides never steps nor pushes);
    - the push: a term's change to a row's cost depends only on the row's group and
      label, so it is a table over (group, label) gathered per row and added term by
      term, in the terms' order (a row outside a term's rows gets 0.0 from its table,
      which leaves its cost unchanged). Per row this is the arithmetic, in the order,
      of adding each term's push to its rows one term after another.
    """

    def __init__(
        self,
        y_read: np.ndarray,
        groups_read: GroupIndex,
        y_push: np.ndarray,
        groups_push: GroupIndex,
        bounds: dict[str, float],
        step_size: float,
    ) -> None:
        read = _gap_terms(y_read, groups_read, bounds)
        push = _gap_terms(y_push, groups_push, bounds)
        self.terms = read
        self.step_size = float(step_size)
        self.n_push = int(y_push.shape[0])
        n_terms = len(read)
        widths = [int(t.sizes.size) for t in read]
        self.term_of_slot = np.repeat(np.arange(n_terms), widths).astype(np.intp)
        self.term_start = np.cumsum([0, *widths])[:-1].astype(np.intp)
        n_slots = int(sum(widths))
        empty = np.zeros(0, dtype=np.intp)
        self.read_sizes = np.concatenate([t.sizes for t in read]) if read else empty
        push_sizes = np.concatenate([t.sizes for t in push]) if push else empty
        self.read_present = self.read_sizes > 0
        self.present = self.read_present & (push_sizes > 0)
        n_present = np.bincount(self.term_of_slot, weights=self.present, minlength=n_terms)
        self.active_term = n_present >= 2
        self.inactive_term = ~self.active_term
        self.active = self.active_term[self.term_of_slot]
        self.read_rows = np.array([t.n_rows for t in read], dtype=np.float64)
        # Each group's tolerance: the bound times (1 - its share of the term's rows)
        # for two present groups (exactly |r_g - r_h| <= bound), else half the bound.
        share = np.zeros(n_slots)
        for k, term in enumerate(read):
            share[self.term_start[k] : self.term_start[k] + widths[k]] = (
                term.sizes / term.sizes.sum() if term.sizes.sum() else 0.0
            )
        bound = np.array([t.bound for t in read], dtype=np.float64)[self.term_of_slot]
        two = (n_present == 2)[self.term_of_slot]
        self.tolerance = np.where(two, bound * (1.0 - share), bound * 0.5)
        self.inverse = 1.0 / np.maximum(push_sizes, 1)
        self.push_rows = np.array([t.n_rows for t in push], dtype=np.float64)[self.term_of_slot]
        self.above = np.zeros(n_slots)
        self.below = np.zeros(n_slots)
        # Read side: per attribute, the read rows' keys (group * 2 + label); each
        # slot's hits are the sum of two entries of the attributes' counts laid end to
        # end (the second one a zero past the end when the rate reads one label).
        attributes = sorted({t.attribute for t in read})
        offset, width = {}, 0
        for a in attributes:
            offset[a] = width
            width += 2 * len(groups_read.labels[a])
        self.read_keys = [(groups_read.codes[a] * 2 + y_read).astype(np.intp) for a in attributes]
        self.read_widths = [2 * len(groups_read.labels[a]) for a in attributes]
        self.first = np.zeros(n_slots, dtype=np.intp)
        self.second = np.full(n_slots, width, dtype=np.intp)
        for k, term in enumerate(read):
            groups = np.arange(widths[k])
            slots = slice(self.term_start[k], self.term_start[k] + widths[k])
            at = offset[term.attribute] + groups * 2
            self.first[slots] = at + (0 if term.label is None else term.label)
            if term.label is None:
                self.second[slots] = at + 1
        # Push side: tables over (group, label), one per block of consecutive terms of
        # one attribute on disjoint labels (eo's TPR and FPR terms: a row is in one of
        # them, so one gather adds what the two would, the other's being 0.0); laid end
        # to end, with each pushed row's index into its block's table and the slot
        # that fills each table entry.
        self.push_index: list[np.ndarray] = []
        self.block_of_term = np.zeros(n_terms, dtype=np.intp)
        entries, sources, start = [], [], 0
        block_labels: set[int] = set()
        for k, term in enumerate(push):
            labels = {0, 1} if term.label is None else {term.label}
            joins = k > 0 and term.attribute == push[k - 1].attribute
            if not (joins and not labels & block_labels):
                start += 2 * widths[k - 1] if k > 0 else 0
                codes = groups_push.codes[term.attribute]
                self.push_index.append((start + codes * 2 + y_push).astype(np.intp))
                block_labels = set()
            block_labels |= labels
            self.block_of_term[k] = len(self.push_index) - 1
            groups = np.arange(widths[k])
            for label in sorted(labels):
                entries.append(start + groups * 2 + label)
                sources.append(self.term_start[k] + groups)
        self.table = np.zeros(start + (2 * widths[-1] if widths else 0))
        self.table_entries = np.concatenate(entries) if entries else empty
        self.table_sources = np.concatenate(sources) if sources else empty
        self.term_of_entry = self.term_of_slot[self.table_sources]

    @property
    def n_terms(self) -> int:
        return len(self.terms)

    def hits(self, positive: np.ndarray) -> np.ndarray:
        """Each slot's count of positive predictions among its read rows."""
        counts = np.concatenate(
            [
                *(
                    np.bincount(keys, weights=positive, minlength=width)
                    for keys, width in zip(self.read_keys, self.read_widths, strict=True)
                ),
                [0.0],
            ]
        )
        return np.asarray(counts[self.first] + counts[self.second])

    def rates(self, hits: np.ndarray) -> np.ndarray:
        """Each slot's rate from its hits (NaN for a group absent from its read rows)."""
        rates = np.full(hits.shape, np.nan)
        np.divide(hits, self.read_sizes, out=rates, where=self.read_present)
        return rates

    def step(self, read_positive: np.ndarray, delta: np.ndarray) -> np.ndarray:
        """One round: each term's gap on the read rows (largest minus smallest rate;
        NaN for a term that never steps), then one ascent step of the multipliers
        and their push added to the pushed rows' costs ``delta`` (in place)."""
        if not self.terms:
            return np.zeros(0)
        hits = self.hits(read_positive)
        rates = self.rates(hits)
        starts = self.term_start
        gaps = np.fmax.reduceat(rates, starts) - np.fmin.reduceat(rates, starts)
        gaps[self.inactive_term] = np.nan
        if self.step_size <= 0:
            return gaps
        slot_term = self.term_of_slot
        n_terms = self.n_terms
        # Each group's distance to its term's overall rate (hits over rows).
        overall = np.bincount(slot_term, weights=hits, minlength=n_terms) / self.read_rows
        distance = np.where(self.present, rates - overall[slot_term], 0.0)
        step, present, active = self.step_size, self.present, self.active
        above = np.maximum(0.0, self.above + step * (distance - self.tolerance)) * present
        below = np.maximum(0.0, self.below + step * (-distance - self.tolerance)) * present
        self.above = np.where(active, above, self.above)
        self.below = np.where(active, below, self.below)
        signed = self.above - self.below
        # Per term, the sum over its groups (added in order, as np.sum adds a few values).
        total = np.bincount(slot_term, weights=signed, minlength=n_terms)
        pushing = self.active_term & (np.bincount(slot_term, weights=signed != 0) > 0)
        if not pushing.any():
            return gaps
        push = self.n_push * (signed * self.inverse - total[slot_term] / self.push_rows)
        fill = pushing[self.term_of_entry]
        self.table[:] = 0.0
        self.table[self.table_entries[fill]] = push[self.table_sources[fill]]
        for block in np.unique(self.block_of_term[pushing]):
            delta += self.table[self.push_index[block]]
        return gaps

    @property
    def largest(self) -> float:
        """The largest net multiplier |mu+ - mu-| (0 with no term)."""
        return float(np.abs(self.above - self.below).max()) if self.above.size else 0.0

    def net(self) -> list[np.ndarray]:
        """Per term, each group's net multiplier mu+ - mu-."""
        signed = self.above - self.below
        return [
            signed[s : s + t.sizes.size] for s, t in zip(self.term_start, self.terms, strict=True)
        ]


def _lightgbm() -> Any:
    try:
        import lightgbm
    except ImportError as error:  # pragma: no cover - a pinned dependency
        raise ImportError("FairGBMClassifier needs lightgbm: pip install lightgbm") from error
    return lightgbm


class FairGBMClassifier(ClassifierMixin, BaseEstimator):
    """Fair gradient boosting on LightGBM over several protected attributes at once.

    Binary classification; the positive class is ``classes_[1]``. See the module
    docstring for the objective (per-group multipliers on each attribute's thresholded
    rates, read on held rows; one LightGBM tree per round). Parameters:

    - ``notions``: the notions kept under ``bound`` (eo, eop, fpr, dp, eo_sum; acc and
      ppv are refused: their rates are not linear in one row's prediction);
    - ``bound``: the gap training aims for on every notion (held rows);
      None: ``CONSTRAINT_MARGIN`` times the smallest bound of ``constraints`` on a
      chosen notion (gaps on new rows come out larger than those training reads),
      else ``DEFAULT_BOUND``;
    - ``fairness_weight``: the multipliers' ascent step (0.05: measured stable on Adult
      and COMPAS, 0.1 already swung on COMPAS); 0 switches fairness off (a
      class-balanced LightGBM, the run's "no fairness" baseline);
    - ``class_balance``: 1 (default) trains for balanced error, 0 for plain error;
    - ``fairness_holdout``: the share of the training rows the multipliers read and
      no tree fits (0: they read the fitted rows);
    - ``constraints`` / ``weights`` / ``maximize``: the selection rule on validation
      points, as for MMM-Fair (default: ``SelectionRule.default()``);
    - ``n_estimators``, ``learning_rate``, ``num_leaves``, ``max_depth``,
      ``min_child_samples`` (default 100, at most 5% of the fitted rows; on Adult, an
      early version of this learner reached test eo 0.06-0.09 in its late rounds with
      LightGBM's 20 and 0.04-0.07 with 100): LightGBM's;
    - ``n_jobs``: LightGBM's threads, 1 by default (runs already go in parallel worker
      processes, and OpenMP threads competing for busy cores made a 200-tree fit 15x
      slower here); None or negative: all cores.
    """

    _parameter_constraints: dict[str, list[Any]] = {
        "n_estimators": [Interval(Integral, 1, 10_000, closed="both")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "num_leaves": [Interval(Integral, 2, 131_072, closed="both")],
        "max_depth": [Interval(Integral, -1, None, closed="left")],
        "min_child_samples": [Interval(Integral, 1, None, closed="left")],
        "notions": ["array-like", StrOptions(set(NOTIONS))],
        "bound": [Interval(Real, 0, 1, closed="both"), None],
        "fairness_weight": [Interval(Real, 0, None, closed="left")],
        "class_balance": [Interval(Real, 0, 1, closed="both")],
        "fairness_holdout": [Interval(Real, 0, 0.9, closed="left")],
        "constraints": ["array-like", None],
        "weights": ["array-like", None],
        "maximize": [StrOptions({"balanced_accuracy", "accuracy", *NOTIONS})],
        "validation_size": [Interval(Real, 0, 0.9, closed="both")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        n_estimators: int = 300,
        learning_rate: float = 0.1,
        num_leaves: int = 31,
        max_depth: int = -1,
        min_child_samples: int = 100,
        notions: Sequence[str] | str = ("eo",),
        bound: float | None = None,
        fairness_weight: float = 0.05,
        class_balance: float = 1.0,
        fairness_holdout: float = 0.25,
        constraints: Sequence[str | Constraint] | None = None,
        weights: Sequence[float] | None = None,
        maximize: str = "balanced_accuracy",
        validation_size: float = 0.2,
        n_jobs: int | None = 1,
        random_state: Any = None,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_child_samples = min_child_samples
        self.notions = notions
        self.bound = bound
        self.fairness_weight = fairness_weight
        self.class_balance = class_balance
        self.fairness_holdout = fairness_holdout
        self.constraints = constraints
        self.weights = weights
        self.maximize = maximize
        self.validation_size = validation_size
        self.n_jobs = n_jobs
        self.random_state = random_state

    # ----- notions and selection ------------------------------------------------------
    def front_notions(self) -> tuple[str, ...]:
        """The notions the ``on_front`` flags of ``points_`` are drawn over."""
        return self._notion_list()

    def _notion_list(self) -> tuple[str, ...]:
        notions = (self.notions,) if isinstance(self.notions, str) else tuple(self.notions)
        if not notions:
            raise ValueError("notions is empty: choose at least one of " + ", ".join(NOTIONS))
        for notion in notions:
            unsupported = [r for r in get_notion(notion).rates if r not in _RATE_ROWS]
            if unsupported:
                raise ValueError(
                    f"fair_gbm cannot push the rate {unsupported[0]!r} of notion {notion!r}; "
                    "choose among eo, eop, fpr, dp, eo_sum"
                )
        return notions

    def _tracked_notions(self) -> tuple[str, ...]:
        """The chosen notions, plus the other equalized-odds convention when one is chosen."""
        notions = self._notion_list()
        extra = [b for a, b in (("eo", "eo_sum"), ("eo_sum", "eo")) if a in notions]
        return tuple(dict.fromkeys((*notions, *extra)))

    def selection_rule(self) -> SelectionRule:
        """The rule ``fit`` applies, from ``constraints``, ``weights`` and ``maximize``."""
        return selection_rule_from(
            self.constraints, self.weights, self.maximize, self._notion_list()
        )

    def training_bounds(self) -> dict[str, float]:
        """The gap each chosen notion is trained towards (see ``bound``)."""
        bounds: dict[str, float] = {}
        rule = self.selection_rule()
        for notion in self._notion_list():
            if self.bound is not None:
                bounds[notion] = float(self.bound)
                continue
            asked = [c.bound for c in rule.constraints if c.metric == notion and c.op == "<="]
            bounds[notion] = CONSTRAINT_MARGIN * float(min(asked)) if asked else DEFAULT_BOUND
        return bounds

    # ----- scikit-learn API -------------------------------------------------------------
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
    ) -> FairGBMClassifier:
        """Boost on (X, y); ``sensitive_features``: one column per protected attribute.

        ``callback`` gets a :class:`RoundInfo` after each round, with that round's
        validation block. ``error`` in it is the round's class-balanced training error,
        ``alpha`` the largest multiplier.
        """
        self._validate_params()
        rule = self.selection_rule()
        bounds = self.training_bounds()
        lgb = _lightgbm()
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
        self.protected_ = groups.attributes
        self.groups_ = dict(zip(groups.attributes, groups.labels, strict=True))
        rng = check_random_state(self.random_state)

        train, val = stratified_validation_split(y01, groups, self.validation_size, rng)
        self.validation_on_training_data_ = train is val
        self.validation_indices_ = val
        if self.validation_on_training_data_ and self.validation_size > 0:
            log.warning("too few rows to hold out a validation split; choosing on training data")
        X = sp.csr_matrix(X) if sp.issparse(X) else np.ascontiguousarray(X)
        y_train, y_val = y01[train], y01[val]
        groups_train, groups_val = groups.take(train), groups.take(val)

        # The trees fit the ``fitted`` rows; the multipliers read the gaps on the
        # ``held`` rows, which no tree fits, so that a bound is met on rows the model
        # has not memorised. LightGBM keeps the held rows' scores as a second running
        # score set, like the validation rows'.
        n_train = train.shape[0]
        fitted, held = np.arange(n_train), np.arange(n_train)
        separate = self.fairness_weight > 0 and self.fairness_holdout > 0
        if separate:
            fitted, held = stratified_validation_split(
                y_train, groups_train, self.fairness_holdout, rng
            )
            separate = fitted is not held
        y_fit, y_held = y_train[fitted], y_train[held]
        groups_fit, groups_held = groups_train.take(fitted), groups_train.take(held)
        n_fit = int(fitted.shape[0])

        # Class weights (mean 1 over the fitted rows) times the caller's sample weights.
        w_user = weight0[train][fitted]
        counts = np.bincount(y_fit, weights=w_user, minlength=2)
        if counts.min() <= 0:
            raise ValueError(
                f"class {self.classes_[int(np.argmin(counts))]} has no sample weight on "
                "the rows the trees fit; both classes need positive weight"
            )
        class_w = (counts.sum() / (2.0 * counts)) ** self.class_balance
        base = w_user * class_w[y_fit]
        base *= n_fit / base.sum()
        positive_share = float(base[y_fit == 1].sum() / n_fit)
        init = float(np.log(positive_share / (1.0 - positive_share)))
        # Per (attribute, rate) and group: the multipliers of "rate_g - overall rate"
        # above and below its tolerance (projected to >= 0).
        multipliers = GroupMultipliers(
            y_held, groups_held, y_fit, groups_fit, bounds, float(self.fairness_weight)
        )
        # Each row's cost of predicting positive before the multipliers' push
        # (+: predicting positive is a mistake).
        base_cost = base * (1.0 - 2.0 * y_fit)
        is_positive = y_fit == 1

        params = {
            "objective": "none",
            "learning_rate": float(self.learning_rate),
            "num_leaves": int(self.num_leaves),
            "max_depth": int(self.max_depth),
            # At most 5% of the fitted rows, so that small data can still split.
            "min_child_samples": int(min(self.min_child_samples, max(1, n_fit // 20))),
            "min_sum_hessian_in_leaf": 1e-3,
            "seed": int(rng.randint(_MAX_SEED)),
            "deterministic": True,
            "num_threads": 0 if self.n_jobs is None or self.n_jobs < 0 else int(self.n_jobs),
            "verbosity": -1,
            "metric": "None",
        }
        # Keep every feature: LightGBM would otherwise drop those it cannot split under
        # min_child_samples, and fail on data where that is all of them.
        # The datasets are binned with the booster's threads too (LightGBM's default
        # would take every core for it).
        data_params = {
            "verbosity": -1,
            "feature_pre_filter": False,
            "num_threads": params["num_threads"],
        }
        # Each dataset gets its rows of X (one copy at a time, freed once LightGBM has
        # binned them: no training-split copy of the whole matrix is kept).
        train_set = lgb.Dataset(
            X[train[fitted]],
            label=y_fit.astype(np.float64),
            init_score=np.full(n_fit, init),
            params=data_params,
            free_raw_data=True,
        )
        booster = lgb.Booster(params=params, train_set=train_set)
        # LightGBM keeps the validation (and held) scores itself, adding each new
        # tree's output (its score updater); eval_valid hands them to ``_capture``.
        for name, rows, rows_y in (
            ("validation", val, y_val),
            *((("held", train[held], y_held),) if separate else ()),
        ):
            booster.add_valid(
                lgb.Dataset(
                    X[rows],
                    label=rows_y.astype(np.float64),
                    init_score=np.full(rows_y.shape[0], init),
                    reference=train_set,
                    params=data_params,
                ),
                name,
            )
        captured: list[np.ndarray] = []

        def _capture(scores: np.ndarray, _: Any) -> tuple[str, float, bool]:
            captured.append(np.array(scores, dtype=np.float64))
            return "captured", 0.0, False

        history: dict[str, list[Any]] = {"error": [], "multiplier": [], "gaps": []}
        held_scores = [np.full(held.shape[0], init)]
        # Buffers reused every round (the gradients in float32, as LightGBM takes them).
        p = np.empty(n_fit)
        work = np.empty(n_fit)
        grad = np.empty(n_fit, dtype=np.float32)
        hess = np.empty(n_fit, dtype=np.float32)

        def objective(scores: np.ndarray, _: Any) -> tuple[np.ndarray, np.ndarray]:
            positive = scores > 0
            read_positive = held_scores[0] > 0 if separate else positive
            # (A masked sum, not ``base @ mask``: a BLAS dot product of this length
            # may start threads, which cost milliseconds a round on a busy machine.)
            history["error"].append(float(np.sum(base, where=positive != is_positive)) / n_fit)
            delta = base_cost.copy()
            history["gaps"].append(multipliers.step(read_positive, delta))
            history["multiplier"].append(multipliers.largest)
            # The logistic loss towards [delta < 0] with weight |delta|:
            # grad = |delta| (p - target), hess = max(|delta| p (1 - p), _MIN_HESSIAN).
            target = delta < 0
            weight = np.abs(delta, out=delta)
            expit(scores, out=p)
            np.subtract(p, target, out=work)
            np.multiply(weight, work, out=work)
            grad[:] = work
            np.multiply(weight, p, out=work)
            np.subtract(1.0, p, out=p)
            np.multiply(work, p, out=work)
            np.maximum(work, _MIN_HESSIAN, out=work)
            hess[:] = work
            return grad, hess

        val_positive = np.zeros((val.shape[0], self.n_estimators), dtype=bool)
        notions = self._tracked_notions()
        self.stop_reason_ = "all rounds done"
        started = time.perf_counter()
        n_done = 0
        for t in range(self.n_estimators):
            tick = time.perf_counter()
            empty = booster.update(fobj=objective)
            if empty and t > 0:
                # The tree has no split: the scores would never change again.
                self.stop_reason_ = f"round {t + 1}: no split improves the objective; stopped"
                break
            captured.clear()
            booster.eval_valid(feval=_capture)
            val_positive[:, t] = captured[0] > 0
            if separate:
                held_scores[0] = captured[1]
            n_done = t + 1
            if callback is not None:
                live = evaluate_many(
                    y_val,
                    val_positive[:, t : t + 1],
                    sensitive_features=groups_val,
                    notions=notions,
                )
                callback(
                    RoundInfo(
                        t + 1,
                        self.n_estimators,
                        history["error"][-1],
                        history["multiplier"][-1],
                        time.perf_counter() - tick,
                        validation=live.block(0),
                        trivial=bool(live.trivial[0]),
                    )
                )
        if n_done == 0:
            raise ValueError("LightGBM grew no tree on this data; nothing to boost")
        if booster.current_iteration() > n_done:
            booster.rollback_one_iter()
        leaf_values = _leaf_values(booster)
        _fold_initial_score(booster, leaf_values, init)
        self.fit_seconds_ = {"total": time.perf_counter() - started}
        self.booster_ = booster
        self.n_estimators_ = n_done
        self.init_score_ = init
        self.training_bounds_ = bounds
        self.multipliers_ = {
            f"{groups_held.attributes[term.attribute]}:{term.rate}:{label}": float(value)
            for term, net in zip(multipliers.terms, multipliers.net(), strict=True)
            for label, value in zip(groups_held.labels[term.attribute], net, strict=True)
        }
        self.training_error_ = np.asarray(history["error"][:n_done])
        # Gaps of the model before round t's tree (row t), one column per multiplier.
        self.training_gaps_ = np.asarray(history["gaps"][:n_done]).reshape(
            n_done, multipliers.n_terms
        )
        self._leaf_values = leaf_values
        self.validation_metrics_ = evaluate_many(
            y_val,
            val_positive[:, :n_done],
            sensitive_features=groups_val,
            notions=notions,
        )
        self.points_ = points_from_metrics(self.validation_metrics_)
        mark_front(self.points_, self._notion_list())
        self.front_rounds_ = [p["round"] for p in self.points_ if p["on_front"]]
        self.selected_round_, self.selection_reason_ = self._choose_round(rule)
        return self

    def _choose_round(self, rule: SelectionRule) -> tuple[int, str]:
        """The rule's round, as MMM-Fair chooses (constraints fall back to the closest)."""
        self.selection_rule_ = rule
        try:
            chosen = select(self.points_, rule, self._notion_list(), fallback=True)
        except NoEligiblePointError as error:
            return self.n_estimators_, f"{error}; kept every round"
        return chosen.round, chosen.reason

    def at_round(self, round: int) -> FairGBMClassifier:
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

    def _check_X(self, X: Any) -> Any:
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32], reset=False
        )
        return sp.csr_matrix(X) if sp.issparse(X) else X

    def decision_function(self, X: Any) -> np.ndarray:
        """The raw score (log-odds) of the first ``selected_round_`` trees."""
        X = self._check_X(X)
        return np.asarray(
            self.booster_.predict(X, num_iteration=self.selected_round_, raw_score=True)
        )

    def predict_proba(self, X: Any) -> np.ndarray:
        """Columns for ``classes_``: p(positive) = sigmoid(raw score)."""
        positive = expit(self.decision_function(X))
        return np.column_stack([1.0 - positive, positive])

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        return np.asarray(self.classes_[(self.decision_function(X) > 0).astype(np.intp)])

    def staged_decision_function(self, X: Any) -> Iterator[np.ndarray]:
        """The raw score after each round 1..n_estimators_."""
        scores = self._staged_scores(X)
        for t in range(self.n_estimators_):
            yield scores[:, t]

    def staged_predict_proba(self, X: Any) -> Iterator[np.ndarray]:
        for score in self.staged_decision_function(X):
            positive = expit(score)
            yield np.column_stack([1.0 - positive, positive])

    def staged_predict(self, X: Any) -> Iterator[np.ndarray]:
        for score in self.staged_decision_function(X):
            yield self.classes_[(score > 0).astype(np.intp)]

    def staged_positive_matrix(self, X: Any) -> np.ndarray:
        """Boolean n x n_estimators_: does round t's model predict the positive class."""
        return self._staged_scores(X) > 0

    def _staged_scores(self, X: Any) -> np.ndarray:
        """n x n_estimators_ raw scores: each tree's leaf output, accumulated (one pass)."""
        X = self._check_X(X)
        leaves = np.asarray(
            self.booster_.predict(X, pred_leaf=True, num_iteration=self.n_estimators_),
            dtype=np.intp,
        ).reshape(X.shape[0], -1)
        outputs = np.empty(leaves.shape, dtype=np.float64)
        for t in range(self.n_estimators_):
            outputs[:, t] = self._leaf_values[t][leaves[:, t]]
        return np.cumsum(outputs, axis=1)


def _leaf_values(booster: Any) -> list[np.ndarray]:
    """Each tree's leaf outputs, indexed by leaf (the order ``pred_leaf`` reports).

    Read from the model text (one ``leaf_value=`` line per tree, written at full
    precision), much faster than the JSON dump.
    """
    return [
        np.array(line[len("leaf_value=") :].split(), dtype=np.float64)
        for line in booster.model_to_string().splitlines()
        if line.startswith("leaf_value=")
    ]


def _fold_initial_score(booster: Any, leaf_values: list[np.ndarray], init: float) -> None:
    """Add the initial score to every leaf of the first tree (each row hits one), in
    the booster and in ``leaf_values`` (its trees' leaf outputs, updated in place)."""
    if init == 0.0:
        return
    leaf_values[0] = leaf_values[0] + init
    for leaf, value in enumerate(leaf_values[0]):
        booster.set_leaf_output(0, leaf, float(value))
