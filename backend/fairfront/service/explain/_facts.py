"""The fact sheet: every number an explanation of one point may use, and nothing else.

:func:`build_fact_sheet` gathers a point's validation and test figures (as stored in
``front.json``), its test-split rates per group, its neighbours on the front and an
unconstrained baseline, and derives the few comparisons an explanation needs (the
largest gap between groups, what a neighbour gains and gives up). It computes no
metric itself: every figure comes from the metrics engine's stored output.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from fairfront.fronts import Constraint, read_metric
from fairfront.metrics import NOTIONS, TOO_WIDE, FairnessReport, get_notion

__all__ = [
    "GROUP_RATES",
    "MIN_GROUP_SIZE",
    "Comparison",
    "ConstraintFacts",
    "FactSheet",
    "Gap",
    "GroupRates",
    "NotionFacts",
    "PointFacts",
    "ProtectedFacts",
    "SplitFacts",
    "build_fact_sheet",
    "by_group_from_report",
    "front_neighbours",
]

GROUP_RATES = ("tpr", "fpr", "selection_rate", "accuracy")
"""Per-group rates a fact sheet carries (besides the group size ``n``)."""
MIN_GROUP_SIZE = 30
"""Groups smaller than this (test rows) are flagged as noisy."""

_NOTION_RATES = {
    "eo": ("tpr", "fpr"),
    "eo_sum": ("tpr", "fpr"),
    "dp": ("selection_rate",),
    "eop": ("tpr",),
    "fpr": ("fpr",),
    "acc": ("accuracy",),
    "ppv": (),
}
"""Which carried per-group rates feed each notion (a TNR gap equals the FPR gap)."""

_CONVENTIONS = {
    "eo": "worst case (Fairlearn convention): the larger of the true-positive-rate gap and "
    "the false-positive-rate gap",
    "eo_sum": "sum (disparate-mistreatment convention): the true-positive-rate gap plus the "
    "true-negative-rate gap, up to twice the worst-case figure",
}
_LEARNER_LABELS = {"mmm_fair": "MMM-Fair", "adafair": "AdaFair"}

Number = float | None


def _num(x: Any) -> float | None:
    """A finite float, or None for missing, null or NaN values."""
    if x is None or isinstance(x, bool):
        return None
    try:
        value = float(x)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _pair(x: Any) -> list[float] | None:
    """``[lo, hi]`` of finite floats, or None."""
    if not isinstance(x, Sequence) or isinstance(x, str) or len(x) != 2:
        return None
    lo, hi = _num(x[0]), _num(x[1])
    return None if lo is None or hi is None else [lo, hi]


def _mapping(x: Any) -> Mapping[str, Any]:
    return x if isinstance(x, Mapping) else {}


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


# ------------------------------------------------------------------------ models


class NotionValue(BaseModel):
    """A notion's violation: worst attribute and per attribute."""

    value: Number = None
    by_attribute: dict[str, Number] = Field(default_factory=dict)
    level: Number = None
    """Confidence level of ``ci`` (e.g. 0.95); None when the block has no intervals."""
    ci: list[float] | None = None
    ci_by_attribute: dict[str, list[float] | None] = Field(default_factory=dict)


class SplitFacts(BaseModel):
    """One split's block of a point: performance and each notion's violation."""

    accuracy: Number = None
    balanced_accuracy: Number = None
    notions: dict[str, NotionValue] = Field(default_factory=dict)
    group_sizes: dict[str, dict[str, int]] = Field(default_factory=dict)

    @classmethod
    def from_block(cls, block: Mapping[str, Any] | None) -> SplitFacts | None:
        if not isinstance(block, Mapping):
            return None
        notions = {}
        for name in NOTIONS:
            entry = block.get(name)
            if isinstance(entry, Mapping):
                by_attr = entry.get("by_attribute")
                ci = _mapping(entry.get("ci"))
                ci_by = _mapping(ci.get("by_attribute"))
                notions[name] = NotionValue(
                    value=_num(entry.get("value")),
                    by_attribute={
                        str(a): _num(v)
                        for a, v in (by_attr.items() if isinstance(by_attr, Mapping) else ())
                    },
                    level=_num(ci.get("level")),
                    ci=_pair(ci.get("value")),
                    ci_by_attribute={str(a): _pair(v) for a, v in ci_by.items()},
                )
        sizes = block.get("group_sizes")
        return cls(
            accuracy=_num(block.get("accuracy")),
            balanced_accuracy=_num(block.get("balanced_accuracy")),
            notions=notions,
            group_sizes={
                str(a): {str(g): int(n) for g, n in groups.items()}
                for a, groups in (sizes.items() if isinstance(sizes, Mapping) else ())
                if isinstance(groups, Mapping)
            },
        )

    def notion(self, name: str) -> float | None:
        entry = self.notions.get(name)
        return None if entry is None else entry.value


class NotionFacts(BaseModel):
    """A fairness notion in words (with its equalized-odds convention where it has one)."""

    name: str
    label: str
    description: str
    convention: str | None = None


class ProtectedFacts(BaseModel):
    column: str
    groups: list[str]


class ConstraintFacts(BaseModel):
    """A constraint of the run and whether this point meets it (on validation data)."""

    text: str
    description: str
    bound: float
    validation_value: Number
    met: bool | None
    test_value: Number = None


class PointFacts(BaseModel):
    round: int
    on_front: bool
    selected: bool
    trivial: bool
    validation: SplitFacts
    test: SplitFacts | None = None
    setting: dict[str, float | int | bool | str] | None = None
    """A sweep's point: the parameter setting it was fitted with."""
    setting_round: int | None = None
    """A sweep's point: its round within its setting's own fit."""


class GroupRates(BaseModel):
    """One group's test-split size and rates."""

    n: int = Field(ge=0)
    tpr: Number = None
    fpr: Number = None
    selection_rate: Number = None
    accuracy: Number = None
    intervals: dict[str, list[float] | None] = Field(default_factory=dict)
    """95% (Wilson) interval of each rate above, when the report carries them."""


class OverallRates(BaseModel):
    """The whole test split: size, and how often each class is recognised."""

    n: int | None = None
    tpr: Number = None
    tnr: Number = None
    base_rate: Number = None


class Gap(BaseModel):
    """The largest difference in one rate between two groups of one attribute."""

    attribute: str
    rate: Literal["tpr", "fpr", "selection_rate", "accuracy"]
    notion: str | None
    high_group: str
    high_value: float
    high_n: int
    low_group: str
    low_value: float
    low_n: int
    gap: float


class Comparison(BaseModel):
    """Another model's figures on the report split, and this point minus them."""

    against: Literal["neighbour", "baseline"]
    round: int | None = None
    side: Literal["lower", "higher"] | None = Field(
        default=None, description="a neighbour's validation balanced accuracy vs this point's"
    )
    accuracy: Number = None
    balanced_accuracy: Number = None
    notions: dict[str, Number] = Field(default_factory=dict)
    accuracy_change: Number = None
    balanced_accuracy_change: Number = None
    notion_changes: dict[str, Number] = Field(default_factory=dict)


class SmallGroup(BaseModel):
    """A group too small to judge: fewer than ``min_group_size`` rows, or a compared
    rate whose interval is wider than ``TOO_WIDE`` (listed in ``wide_rates``)."""

    attribute: str
    group: str
    n: int
    wide_rates: dict[str, list[float]] = Field(default_factory=dict)


class FactSheet(BaseModel):
    """Everything an explanation of one point may say, JSON-serialisable.

    ``split`` is the split the reported figures come from (``test`` when the point
    has a test block, else ``validation``). Changes are *this point minus the other
    model*: a positive balanced-accuracy change is a gain, a positive notion change a
    wider gap.
    """

    dataset: str
    target: str
    positive: str
    target_rule: str | None = None
    """The rule that binarised the target (``"G3 >= 10"``), when one did."""
    learner: str
    learner_label: str
    protected: list[ProtectedFacts]
    notions: list[NotionFacts]
    constraints: list[ConstraintFacts]
    split: Literal["test", "validation"]
    point: PointFacts
    overall: OverallRates | None = None
    by_group: dict[str, dict[str, GroupRates]] = Field(default_factory=dict)
    largest_gap: Gap | None = None
    neighbours: list[Comparison] = Field(default_factory=list)
    baseline: Comparison | None = None
    min_group_size: int = MIN_GROUP_SIZE
    small_groups: list[SmallGroup] = Field(default_factory=list)
    too_wide: float = TOO_WIDE
    """A group's rate interval wider than this marks it too small to judge."""

    @property
    def report(self) -> SplitFacts:
        """The block the figures are reported from."""
        return (
            self.point.test if self.split == "test" and self.point.test else self.point.validation
        )

    def values(self) -> list[float]:
        """Every number the sheet holds (and each one's absolute value), plus numbers
        written inside its texts (e.g. the ``25`` of a group called ``under 25``)."""
        out: list[float] = []
        for item in _leaves(self.model_dump(mode="json")):
            if isinstance(item, bool) or item is None:
                continue
            if isinstance(item, int | float):
                out.extend((float(item), abs(float(item))))
            elif isinstance(item, str):
                out.extend(float(n) for n in re.findall(r"\d+(?:\.\d+)?", item))
        return out

    def numbers(self) -> set[str]:
        """The allowed numbers as text: each value and its natural renderings
        (0.0512 gives "0.0512", "0.051", "0.05", "5.1%", "5%" and so on)."""
        out: set[str] = set()
        for value in self.values():
            out.update(renderings(value))
        return out


def renderings(value: float) -> set[str]:
    """How a number may be written: decimals to 0-4 places, percentages to 0-2."""
    out = {repr(value)}
    if float(value).is_integer():
        whole = int(value)
        out.update({str(whole), f"{whole:,}"})
    out.update(f"{value:.{d}f}" for d in range(5))
    out.update(f"{value * 100:.{d}f}%" for d in range(3))
    return out


def _leaves(data: Any) -> Iterable[Any]:
    if isinstance(data, Mapping):
        for key, value in data.items():
            yield key
            yield from _leaves(value)
    elif isinstance(data, list | tuple):
        for value in data:
            yield from _leaves(value)
    else:
        yield data


# ------------------------------------------------------------------------ building


def _protected(protected: Sequence[Mapping[str, Any]]) -> list[ProtectedFacts]:
    return [
        ProtectedFacts(column=str(p["column"]), groups=[str(g) for g in p.get("groups") or ()])
        for p in protected
    ]


def _notion_facts(notions: Sequence[str]) -> list[NotionFacts]:
    return [
        NotionFacts(
            name=n,
            label=NOTIONS[n].label,
            description=NOTIONS[n].description,
            convention=_CONVENTIONS.get(n),
        )
        for n in notions
        if n in NOTIONS
    ]


def _constraint_facts(
    constraints: Sequence[str], point: Mapping[str, Any], has_test: bool
) -> list[ConstraintFacts]:
    out = []
    for text in constraints:
        c = Constraint.parse(text) if isinstance(text, str) else Constraint.from_dict(text)
        value = _num(c.value(point, "validation"))
        out.append(
            ConstraintFacts(
                text=str(c),
                description=c.describe(),
                bound=c.bound,
                validation_value=value,
                met=None if value is None else bool(c.holds(value)),
                test_value=_num(c.value(point, "test")) if has_test else None,
            )
        )
    return out


def _group_rates(
    by_group: Mapping[str, Mapping[str, Mapping[str, Any]]],
) -> dict[str, dict[str, GroupRates]]:
    out: dict[str, dict[str, GroupRates]] = {}
    for attribute, groups in by_group.items():
        out[str(attribute)] = {
            str(group): GroupRates(
                n=int(stats.get("n") or 0),
                **{r: _num(stats.get(r)) for r in GROUP_RATES},
                intervals={
                    r: _pair(v)
                    for r, v in (stats.get("intervals") or {}).items()
                    if r in GROUP_RATES
                },
            )
            for group, stats in groups.items()
        }
    return out


def _largest_gap(
    by_group: Mapping[str, Mapping[str, GroupRates]], notions: Sequence[str]
) -> Gap | None:
    rates = [r for n in notions for r in _NOTION_RATES.get(n, ())] or list(GROUP_RATES)
    best: Gap | None = None
    for attribute, groups in by_group.items():
        for rate in dict.fromkeys(rates):
            present = [
                (g, getattr(s, rate), s.n)
                for g, s in groups.items()
                if s.n > 0 and getattr(s, rate) is not None
            ]
            if len(present) < 2:
                continue
            high = max(present, key=lambda t: t[1])
            low = min(present, key=lambda t: t[1])
            gap = high[1] - low[1]
            if best is None or gap > best.gap:
                notion = next((n for n in notions if rate in _NOTION_RATES.get(n, ())), None)
                best = Gap(
                    attribute=attribute,
                    rate=rate,  # type: ignore[arg-type]
                    notion=notion,
                    high_group=high[0],
                    high_value=high[1],
                    high_n=high[2],
                    low_group=low[0],
                    low_value=low[1],
                    low_n=low[2],
                    gap=gap,
                )
    return best


def _compare(
    mine: SplitFacts,
    other: SplitFacts | None,
    notions: Sequence[str],
    against: Literal["neighbour", "baseline"],
    round_: int | None = None,
) -> Comparison | None:
    if other is None:
        return None
    theirs = {n: other.notion(n) for n in notions}
    return Comparison(
        against=against,
        round=round_,
        accuracy=other.accuracy,
        balanced_accuracy=other.balanced_accuracy,
        notions=theirs,
        accuracy_change=_diff(mine.accuracy, other.accuracy),
        balanced_accuracy_change=_diff(mine.balanced_accuracy, other.balanced_accuracy),
        notion_changes={n: _diff(mine.notion(n), theirs[n]) for n in notions},
    )


def build_fact_sheet(
    *,
    dataset: str,
    target: str,
    positive: str,
    protected: Sequence[Mapping[str, Any]],
    learner: str,
    notions: Sequence[str],
    constraints: Sequence[str],
    point: Mapping[str, Any],
    by_group: Mapping[str, Mapping[str, Mapping[str, Any]]],
    neighbours: Sequence[Mapping[str, Any]],
    baseline: Mapping[str, Any] | None,
    overall: Mapping[str, Any] | None = None,
    min_group_size: int = MIN_GROUP_SIZE,
    target_rule: str | None = None,
) -> FactSheet:
    """The facts about one ``front.json`` point.

    ``protected``: ``[{"column", "groups"}]``; ``by_group``: test-split rates,
    ``{attribute: {group: {"n", "tpr", "fpr", "selection_rate", "accuracy"}}}`` (see
    :func:`by_group_from_report`); ``neighbours``: the front points just before and
    after this one by balanced accuracy (see :func:`front_neighbours`); ``baseline``:
    an unconstrained model's ``{"validation", "test"}`` blocks, or None; ``overall``:
    the test split's overall rates (``FairnessReport.overall``: ``tpr``, ``tnr``,
    ``base_rate``; optional ``n``), or None. Figures are reported from the test block
    when the point has one, else from the validation block.
    """
    validation = SplitFacts.from_block(point.get("validation")) or SplitFacts()
    test = SplitFacts.from_block(point.get("test"))
    split: Literal["test", "validation"] = "test" if test is not None else "validation"
    mine = test if test is not None else validation
    names = [n for n in notions if n in NOTIONS]
    shown = list(dict.fromkeys([*names, *(n for n in mine.notions if n not in names)]))
    groups = _group_rates(by_group)
    compared = []
    for nb in neighbours:
        found = _compare(
            mine,
            SplitFacts.from_block(nb.get(split)),
            shown,
            "neighbour",
            int(nb["round"]) if nb.get("round") is not None else None,
        )
        theirs = _num(read_metric(nb, "balanced_accuracy", None, "validation"))
        if found is not None and theirs is not None and validation.balanced_accuracy is not None:
            found.side = "lower" if theirs <= validation.balanced_accuracy else "higher"
        compared.append(found)
    base = None
    if baseline is not None:
        base = _compare(mine, SplitFacts.from_block(baseline.get(split)), shown, "baseline")
    sizes = [sum(s.n for s in g.values()) for g in groups.values()]
    overall_facts = None
    if overall is not None:
        n = overall.get("n")
        overall_facts = OverallRates(
            n=int(n) if n is not None else (sizes[0] if sizes else None),
            tpr=_num(overall.get("tpr")),
            tnr=_num(overall.get("tnr")),
            base_rate=_num(overall.get("base_rate")),
        )
    return FactSheet(
        dataset=dataset,
        target=target,
        positive=positive,
        target_rule=target_rule,
        learner=learner,
        learner_label=_LEARNER_LABELS.get(learner, learner),
        protected=_protected(protected),
        notions=_notion_facts(shown),
        constraints=_constraint_facts(constraints, point, test is not None),
        split=split,
        point=PointFacts(
            round=int(point["round"]),
            on_front=bool(point.get("on_front", False)),
            selected=bool(point.get("selected", False)),
            trivial=bool(point.get("trivial", False)),
            validation=validation,
            test=test,
            setting=point.get("setting") or None,
            setting_round=point.get("epoch") if point.get("setting") else None,
        ),
        overall=overall_facts,
        by_group=groups,
        largest_gap=_largest_gap(groups, names),
        neighbours=[c for c in compared if c is not None],
        baseline=base,
        min_group_size=min_group_size,
        small_groups=_small_groups(groups, names, min_group_size),
    )


def _small_groups(
    groups: Mapping[str, Mapping[str, GroupRates]], notions: Sequence[str], min_size: int
) -> list[SmallGroup]:
    """Groups too small to judge: under ``min_size`` rows, or a rate the notions compare
    with an interval wider than ``TOO_WIDE``."""
    rates = [r for n in notions for r in get_notion(n).rates if r in GROUP_RATES]
    out = []
    for a, gs in groups.items():
        for g, s in gs.items():
            wide = {
                r: ci
                for r in dict.fromkeys(rates)
                if (ci := s.intervals.get(r)) is not None and ci[1] - ci[0] > TOO_WIDE
            }
            if 0 < s.n < min_size or wide:
                out.append(SmallGroup(attribute=a, group=g, n=s.n, wide_rates=wide))
    return out


# ----------------------------------------------------------------- service helpers


def by_group_from_report(report: FairnessReport) -> dict[str, dict[str, dict[str, Any]]]:
    """``by_group`` for :func:`build_fact_sheet` from an :func:`~fairfront.metrics.evaluate`
    report (per attribute; intersectional cells are left out)."""
    return {
        attribute: {
            group: {
                "n": int(stats["n"]),
                **{r: _num(stats.get(r)) for r in GROUP_RATES},
                "intervals": {
                    r: v for r, v in (stats.get("intervals") or {}).items() if r in GROUP_RATES
                },
            }
            for group, stats in fairness.groups.items()
        }
        for attribute, fairness in report.attributes.items()
    }


def front_neighbours(
    points: Sequence[Mapping[str, Any]], round_: int, split: str = "validation"
) -> list[Mapping[str, Any]]:
    """The front points just below and just above round ``round_`` by balanced accuracy.

    The point itself is never returned; a point off the front gets the front points
    on either side of its balanced accuracy. Missing sides are left out.
    """
    front = [p for p in points if p.get("on_front") and not p.get("trivial")]
    me = next((p for p in points if int(p["round"]) == round_), None)
    if me is None:
        return []

    def score(p: Mapping[str, Any]) -> float:
        value = read_metric(p, "balanced_accuracy", None, split)
        return -math.inf if math.isnan(value) else value

    mine = score(me)
    others = sorted(
        (p for p in front if int(p["round"]) != round_), key=lambda p: (score(p), p["round"])
    )
    below = [p for p in others if score(p) <= mine]
    above = [p for p in others if score(p) > mine]
    return [*below[-1:], *above[:1]]
