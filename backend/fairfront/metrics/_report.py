"""The engine's two entry points: one model (a full report) or many (a table).

``evaluate`` audits one model's predictions: overall performance, every notion per
protected attribute and over intersectional cells, differences and ratios, group
sizes and small-group flags, and the trivial-model flag. ``evaluate_many`` computes
the figures that fronts need for m models at once (e.g. every boosting round) from
one matrix product. Both read the same counts and rates, so numbers agree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from ._counts import confusion_by_group, gaps, group_rates, ratios
from ._groups import GroupIndex
from ._intervals import (
    DEFAULT_LEVEL,
    Interval,
    check_level,
    notion_interval,
    rate_intervals,
    too_wide_groups,
    worst_interval,
)
from ._notions import NOTIONS, RATES, get_notion

__all__ = [
    "AttributeFairness",
    "FairnessReport",
    "ManyModelsMetrics",
    "evaluate",
    "evaluate_many",
    "overall_rates",
]

Aggregation = Literal["max", "sum"]
DEFAULT_MIN_GROUP_SIZE = 30
DEFAULT_TRIVIAL_TOLERANCE = 0.01


def _clean(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


def _clean_pair(lo: float, hi: float) -> list[float] | None:
    """``[lo, hi]`` for JSON, or None when the interval is undefined."""
    a, b = _clean(lo), _clean(hi)
    return None if a is None or b is None else [a, b]


def _ci_entry(
    level: float, worst: Interval, by_attribute: dict[str, Interval], i: int
) -> dict[str, Any]:
    """The ``ci`` entry of one notion in a metrics block, for model ``i``."""
    return {
        "level": level,
        "value": _clean_pair(worst.lo[i], worst.hi[i]),
        "by_attribute": {a: _clean_pair(c.lo[i], c.hi[i]) for a, c in by_attribute.items()},
    }


def _notion_gaps(
    rates: dict[str, np.ndarray], notion: str, included: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Violation (difference) and ratio of ``notion`` for rates shaped (..., G)."""
    spec = get_notion(notion)
    diffs = [gaps(rates[r], included) for r in spec.rates]
    rats = [ratios(rates[r], included) for r in spec.rates]
    combined = diffs[0]
    for d in diffs[1:]:
        combined = combined + d if spec.combine == "sum" else np.fmax(combined, d)
        if spec.combine == "max":
            # fmax ignores one NaN; a notion is undefined if any of its rates is.
            combined = np.where(np.isnan(d), np.nan, combined)
    ratio = rats[0]
    for r in rats[1:]:
        ratio = np.minimum(ratio, r)
    return combined, ratio


def overall_rates(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Overall performance from per-group counts ``(m, G, 2, 2)``: arrays of shape (m,)."""
    rates = group_rates(counts.sum(axis=1))
    tpr, tnr = rates["tpr"], rates["tnr"]
    balanced = (tpr + tnr) / 2
    return {
        "accuracy": rates["accuracy"],
        "balanced_accuracy": balanced,
        "balanced_error": 1 - balanced,
        "tpr": tpr,
        "tnr": tnr,
        "fpr": rates["fpr"],
        "selection_rate": rates["selection_rate"],
        "base_rate": rates["base_rate"],
        "imbalance_gap": np.abs(tpr - tnr),
    }


def _trivial(selection_rate: np.ndarray, tolerance: float) -> np.ndarray:
    return (selection_rate <= tolerance) | (selection_rate >= 1 - tolerance)


@dataclass
class AttributeFairness:
    """One attribute's (or the intersectional cells') groups and violations."""

    name: str
    groups: dict[str, dict[str, Any]]
    differences: dict[str, float]
    ratios: dict[str, float]
    intervals: dict[str, tuple[float, float]] | None = None
    """Each notion's gap interval (NaN ends when undefined); None when not computed."""

    def interval(self, notion: str) -> list[float] | None:
        """``[lo, hi]`` of a notion's gap, or None (undefined or not computed)."""
        if self.intervals is None:
            return None
        return _clean_pair(*self.intervals[notion])

    def too_small(self, notion: str) -> list[str]:
        """Groups too small to judge ``notion`` (see :func:`too_wide_groups`)."""
        return too_wide_groups(self.groups, notion)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "groups": {
                g: {k: (_clean(v) if isinstance(v, float) else v) for k, v in stats.items()}
                for g, stats in self.groups.items()
            },
            "differences": {k: _clean(v) for k, v in self.differences.items()},
            "ratios": {k: _clean(v) for k, v in self.ratios.items()},
        }
        if self.intervals is not None:
            out["intervals"] = {k: self.interval(k) for k in self.intervals}
        return out


@dataclass
class FairnessReport:
    """Everything the engine says about one model's predictions on one set of rows."""

    n_rows: int
    notions: tuple[str, ...]
    overall: dict[str, float]
    trivial: bool
    attributes: dict[str, AttributeFairness]
    intersectional: AttributeFairness | None
    min_group_size: int
    aggregation: Aggregation = "max"
    small_groups: list[str] = field(default_factory=list)
    ci_level: float | None = None
    """Level of the intervals (None: not computed)."""

    def violation(self, notion: str, attribute: str | None = None) -> float:
        """A notion's gap for one attribute, or aggregated over all (``aggregation``)."""
        if attribute is not None:
            if attribute == "intersectional" and self.intersectional is not None:
                return self.intersectional.differences[notion]
            return self.attributes[attribute].differences[notion]
        values = [a.differences[notion] for a in self.attributes.values()]
        return _aggregate(np.array(values), self.aggregation)

    def interval(self, notion: str, attribute: str | None = None) -> list[float] | None:
        """``[lo, hi]`` of a notion's gap (one attribute, or the worst), or None."""
        if self.ci_level is None:
            return None
        if attribute is not None:
            fairness = (
                self.intersectional
                if attribute == "intersectional" and self.intersectional is not None
                else self.attributes[attribute]
            )
            return fairness.interval(notion)
        worst = worst_interval(
            [
                Interval(np.array([f.intervals[notion][0]]), np.array([f.intervals[notion][1]]))
                for f in self.attributes.values()
                if f.intervals is not None
            ],
            self.aggregation,
        )
        return _clean_pair(worst.lo[0], worst.hi[0])

    def group_sizes(self) -> dict[str, dict[str, int]]:
        """Rows per group, per attribute."""
        return {
            a: {g: int(s["n"]) for g, s in f.groups.items()} for a, f in self.attributes.items()
        }

    def block(self) -> dict[str, Any]:
        """The compact ``front.json`` block: performance and each notion's violations."""
        out: dict[str, Any] = {
            "accuracy": _clean(self.overall["accuracy"]),
            "balanced_accuracy": _clean(self.overall["balanced_accuracy"]),
        }
        for notion in self.notions:
            out[notion] = {
                "value": _clean(self.violation(notion)),
                "by_attribute": {
                    a: _clean(f.differences[notion]) for a, f in self.attributes.items()
                },
            }
            if self.ci_level is not None:
                out[notion]["ci"] = {
                    "level": self.ci_level,
                    "value": self.interval(notion),
                    "by_attribute": {a: f.interval(notion) for a, f in self.attributes.items()},
                }
        if self.ci_level is not None:
            out["group_sizes"] = self.group_sizes()
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_rows": self.n_rows,
            "notions": list(self.notions),
            "notion_labels": {n: NOTIONS[n].label for n in self.notions},
            "aggregation": self.aggregation,
            "min_group_size": self.min_group_size,
            "ci_level": self.ci_level,
            "overall": {k: _clean(v) for k, v in self.overall.items()},
            "trivial": self.trivial,
            "small_groups": list(self.small_groups),
            "attributes": {a: f.to_dict() for a, f in self.attributes.items()},
            "intersectional": (
                None if self.intersectional is None else self.intersectional.to_dict()
            ),
        }


def _aggregate(values: np.ndarray, aggregation: Aggregation) -> float | Any:
    """Max (or sum) over attributes (axis 0), ignoring undefined ones; NaN if none defined."""
    defined = ~np.isnan(values)
    if aggregation == "sum":
        total = np.where(defined, values, 0.0).sum(axis=0)
    else:
        total = np.where(defined, values, -np.inf).max(axis=0)
    return np.where(defined.any(axis=0), total, np.nan)


def _attribute_fairness(
    name: str,
    counts: np.ndarray,
    sizes: np.ndarray,
    labels: Sequence[str],
    notions: Iterable[str],
    min_group_size: int,
    exclude_small: bool,
    ci_level: float | None = None,
) -> AttributeFairness:
    rates = group_rates(counts[0])
    rated = rate_intervals(counts[0], ci_level, RATES) if ci_level is not None else None
    small = sizes < min_group_size
    included = ~small if exclude_small else None
    groups = {}
    for g, label in enumerate(labels):
        stats: dict[str, Any] = {"n": int(sizes[g]), "share": float(sizes[g] / sizes.sum())}
        stats["small"] = bool(small[g])
        if exclude_small:
            stats["excluded"] = bool(small[g])
        for rate in ("selection_rate", "tpr", "fpr", "tnr", "accuracy", "ppv", "base_rate"):
            stats[rate] = float(rates[rate][g])
        if rated is not None:
            stats["intervals"] = {
                rate: _clean_pair(ci.lo[g], ci.hi[g]) for rate, (_, ci) in rated.items()
            }
        groups[label] = stats
    differences, ratio_values = {}, {}
    for notion in notions:
        diff, ratio = _notion_gaps(rates, notion, included)
        differences[notion] = float(diff)
        ratio_values[notion] = float(ratio)
    intervals = None
    if ci_level is not None:
        intervals = {}
        for notion in notions:
            ci = notion_interval(counts[0], notion, ci_level, included)
            intervals[notion] = (float(ci.lo), float(ci.hi))
    return AttributeFairness(name, groups, differences, ratio_values, intervals)


def _prepare(
    y_true: Any, sensitive_features: Any, n_rows: int, pos_label: Any
) -> tuple[np.ndarray, GroupIndex]:
    y = np.asarray(y_true)
    if y.ndim != 1 or y.shape[0] != n_rows:
        raise ValueError(f"y_true must be 1-D with {n_rows} rows, got shape {y.shape}")
    groups = (
        sensitive_features
        if isinstance(sensitive_features, GroupIndex)
        else (
            GroupIndex.single(n_rows)
            if sensitive_features is None
            else GroupIndex.from_sensitive(sensitive_features, n_rows)
        )
    )
    if groups.n_rows != n_rows:
        raise ValueError(f"sensitive_features has {groups.n_rows} rows, expected {n_rows}")
    return (y == pos_label).astype(np.intp), groups


def evaluate(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    notions: Sequence[str] | None = None,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    intersectional: bool = True,
    aggregation: Aggregation = "max",
    sample_weight: np.ndarray | None = None,
    pos_label: Any = 1,
    trivial_tolerance: float = DEFAULT_TRIVIAL_TOLERANCE,
    ci_level: float | None = DEFAULT_LEVEL,
) -> FairnessReport:
    """Audit one model's predictions.

    ``y_true`` and ``y_pred`` are labels (``pos_label`` marks the positive class);
    ``sensitive_features`` a DataFrame (one column per protected attribute), a Series,
    an array, a mapping of columns, or a :class:`GroupIndex`. Per-attribute gaps use
    every group (small ones are flagged); intersectional gaps leave out cells smaller
    than ``min_group_size`` and flag them. Every rate and gap gets a ``ci_level``
    confidence interval (see :mod:`fairfront.metrics._intervals`; None: none, and
    none with ``sample_weight``).
    """
    notions = tuple(notions) if notions is not None else tuple(NOTIONS)
    if sample_weight is not None:
        ci_level = None
    if ci_level is not None:
        ci_level = check_level(ci_level)
    for notion in notions:
        get_notion(notion)
    pred = np.asarray(y_pred)
    if pred.ndim != 1:
        raise ValueError(f"y_pred must be 1-D, got shape {pred.shape}; see evaluate_many")
    y, groups = _prepare(y_true, sensitive_features, pred.shape[0], pos_label)
    yhat = (pred == pos_label).astype(np.intp)

    attributes, small_groups, first_counts = {}, [], None
    for name, codes, labels in zip(groups.attributes, groups.codes, groups.labels, strict=True):
        counts = confusion_by_group(y, yhat, codes, len(labels), sample_weight)
        first_counts = counts if first_counts is None else first_counts
        sizes = np.bincount(codes, minlength=len(labels))
        fairness = _attribute_fairness(
            name, counts, sizes, labels, notions, min_group_size, False, ci_level
        )
        attributes[name] = fairness
        small_groups += [f"{name}={g}" for g, s in fairness.groups.items() if s["small"]]

    cells = None
    if intersectional and len(groups.attributes) > 1:
        codes, labels = groups.intersection()
        counts = confusion_by_group(y, yhat, codes, len(labels), sample_weight)
        sizes = np.bincount(codes, minlength=len(labels))
        cells = _attribute_fairness(
            "intersectional", counts, sizes, labels, notions, min_group_size, True, ci_level
        )
        small_groups += [g for g, s in cells.groups.items() if s["small"]]

    assert first_counts is not None  # noqa: S101 - GroupIndex always has an attribute
    overall = {k: float(v[0]) for k, v in overall_rates(first_counts).items()}
    return FairnessReport(
        n_rows=int(pred.shape[0]),
        notions=notions,
        overall=overall,
        trivial=bool(_trivial(np.array([overall["selection_rate"]]), trivial_tolerance)[0]),
        attributes=attributes,
        intersectional=cells,
        min_group_size=min_group_size,
        aggregation=aggregation,
        small_groups=small_groups,
        ci_level=ci_level,
    )


@dataclass
class ManyModelsMetrics:
    """Figures of m models on the same rows (e.g. every round of a boosting run).

    Arrays have shape (m,); ``violations[notion][attribute]`` too.
    """

    notions: tuple[str, ...]
    attributes: tuple[str, ...]
    overall: dict[str, np.ndarray]
    trivial: np.ndarray
    violations: dict[str, dict[str, np.ndarray]]
    aggregation: Aggregation = "max"
    ci_level: float | None = None
    """Level of ``intervals`` (None: not computed)."""
    intervals: dict[str, dict[str, Interval]] = field(default_factory=dict)
    """``intervals[notion][attribute]``: the gap's interval, ends of shape (m,)."""
    group_sizes: dict[str, dict[str, int]] = field(default_factory=dict)
    """Rows per group, per attribute (the same for every model)."""
    _worst: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    """``worst`` and ``worst_interval`` per notion, computed once (``block(i)`` for
    every i would otherwise aggregate all m models m times)."""

    @property
    def n_models(self) -> int:
        return int(self.trivial.shape[0])

    def worst(self, notion: str) -> np.ndarray:
        """The notion's violation aggregated over attributes, for every model."""
        return self._cached_worst(notion).copy()

    def worst_interval(self, notion: str) -> Interval:
        """Interval of the notion's aggregated violation, for every model."""
        found = self._cached_interval(notion)
        return Interval(found.lo.copy(), found.hi.copy())

    def _cached_worst(self, notion: str) -> np.ndarray:
        key = f"value:{notion}"
        if key not in self._worst:
            stacked = np.stack([self.violations[notion][a] for a in self.attributes])
            self._worst[key] = np.asarray(_aggregate(stacked, self.aggregation))
        found: np.ndarray = self._worst[key]
        return found

    def _cached_interval(self, notion: str) -> Interval:
        key = f"interval:{notion}"
        if key not in self._worst:
            self._worst[key] = worst_interval(
                [self.intervals[notion][a] for a in self.attributes], self.aggregation
            )
        found: Interval = self._worst[key]
        return found

    def block(self, i: int) -> dict[str, Any]:
        """Model i's ``front.json`` block (same shape as ``FairnessReport.block``)."""
        out: dict[str, Any] = {
            "accuracy": _clean(self.overall["accuracy"][i]),
            "balanced_accuracy": _clean(self.overall["balanced_accuracy"][i]),
        }
        for notion in self.notions:
            out[notion] = {
                "value": _clean(self._cached_worst(notion)[i]),
                "by_attribute": {a: _clean(self.violations[notion][a][i]) for a in self.attributes},
            }
            if self.ci_level is not None:
                out[notion]["ci"] = _ci_entry(
                    self.ci_level, self._cached_interval(notion), self.intervals[notion], i
                )
        if self.ci_level is not None:
            out["group_sizes"] = {a: dict(s) for a, s in self.group_sizes.items()}
        return out


def evaluate_many(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    notions: Sequence[str] | None = None,
    aggregation: Aggregation = "max",
    pos_label: Any = 1,
    trivial_tolerance: float = DEFAULT_TRIVIAL_TOLERANCE,
    ci_level: float | None = DEFAULT_LEVEL,
) -> ManyModelsMetrics:
    """Per-attribute figures for the m columns of ``y_pred`` (n x m), all at once.

    With ``ci_level`` (default 0.95; None: none) every gap gets a confidence interval
    from the same counts, and the blocks carry ``ci`` and ``group_sizes``.
    """
    notions = tuple(notions) if notions is not None else tuple(NOTIONS)
    level = None if ci_level is None else check_level(ci_level)
    pred = np.asarray(y_pred)
    if pred.ndim != 2:
        raise ValueError(f"y_pred must be n x m, got shape {pred.shape}")
    y, groups = _prepare(y_true, sensitive_features, pred.shape[0], pos_label)
    yhat = pred == pos_label if pred.dtype != bool else pred

    violations: dict[str, dict[str, np.ndarray]] = {n: {} for n in notions}
    intervals: dict[str, dict[str, Interval]] = {n: {} for n in notions}
    sizes: dict[str, dict[str, int]] = {}
    counts = None
    for name, codes, labels in zip(groups.attributes, groups.codes, groups.labels, strict=True):
        counts = confusion_by_group(y, yhat, codes, len(labels))
        rates = group_rates(counts)
        for notion in notions:
            violations[notion][name] = _notion_gaps(rates, notion, None)[0]
            if level is not None:
                intervals[notion][name] = notion_interval(counts, notion, level)
        if level is not None:
            n_rows = np.bincount(codes, minlength=len(labels))
            sizes[name] = {g: int(k) for g, k in zip(labels, n_rows, strict=True)}
    assert counts is not None  # noqa: S101 - GroupIndex always has an attribute
    overall = overall_rates(counts)
    return ManyModelsMetrics(
        notions=notions,
        attributes=groups.attributes,
        overall=overall,
        trivial=_trivial(overall["selection_rate"], trivial_tolerance),
        violations=violations,
        aggregation=aggregation,
        ci_level=level,
        intervals=intervals if level is not None else {},
        group_sizes=sizes,
    )
