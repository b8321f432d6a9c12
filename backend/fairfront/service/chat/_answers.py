"""Answers to questions: definitions from the registries, figures from stored numbers.

Nothing here computes a metric: a definition is the registry's text, a figure is read
from a point's stored blocks (``front.json``) or from the explainer's
:class:`~fairfront.service.explain.FactSheet`, and every number said is one of those.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fairfront.service.explain import FactSheet
from fairfront.vocabulary import NOTIONS, PERFORMANCE

__all__ = [
    "compare_answer",
    "define",
    "move_along",
    "point_answer",
    "points_answer",
    "worst_group_answer",
]


def _f(value: Any) -> str:
    return "n/a" if not isinstance(value, int | float) else f"{value:.3f}"


def _label(name: str) -> str:
    if name in NOTIONS:
        return f"{NOTIONS[name].short or NOTIONS[name].label} ({name})"
    return PERFORMANCE[name].label if name in PERFORMANCE else name


def define(term: str) -> str:
    """What ``term`` (a notion or performance metric) means, from the registry."""
    if term in PERFORMANCE:
        metric = PERFORMANCE[term]
        return f"{metric.label.capitalize()}: {metric.description}. Higher is better."
    notion = NOTIONS[term]
    text = (
        f"{notion.short or notion.label} ({notion.name}): {notion.description}, compared "
        "between the groups of each protected attribute; 0 means equal rates, lower is fairer."
    )
    if notion.convention:
        text += f" It is {notion.convention}."
        others = [
            n
            for n in NOTIONS.values()
            if n.rates != notion.rates
            and n.convention
            and n.name != notion.name
            and {"tpr"} <= set(n.rates)
        ]
        for other in others:
            text += f" The other equalized-odds convention is {other.name}: {other.convention}."
    return text


def _block(point: Mapping[str, Any]) -> tuple[Mapping[str, Any], str]:
    if isinstance(point.get("test"), Mapping):
        return point["test"], "test"
    return point.get("validation") or {}, "validation"


def _value(block: Mapping[str, Any], name: str) -> Any:
    entry = block.get(name)
    return entry.get("value") if isinstance(entry, Mapping) else entry


def point_answer(point: Mapping[str, Any], notions: Sequence[str], metric: str | None) -> str:
    """A point's figure(s): ``metric``, or its accuracy and every notion when None."""
    block, split = _block(point)
    names = [metric] if metric else ["accuracy", "balanced_accuracy", *notions]
    said = []
    for name in names:
        value = _value(block, name)
        if value is None:
            said.append(f"{_label(name)} is not measured in this run")
            continue
        text = f"{_label(name)} {_f(value)}"
        by_attr = (block.get(name) or {}).get("by_attribute") if name in NOTIONS else None
        if isinstance(by_attr, Mapping) and len(by_attr) > 1:
            text += " (" + ", ".join(f"{a} {_f(v)}" for a, v in by_attr.items()) + ")"
        said.append(text)
    return f"Round {point.get('round')}: " + "; ".join(said) + f" ({split} split)."


def points_answer(front: Mapping[str, Any]) -> str:
    points = front.get("points") or []
    on_front = [p["round"] for p in points if p.get("on_front")]
    selection = front.get("selection") or {}
    shown = ", ".join(str(r) for r in on_front[:15]) + (" ..." if len(on_front) > 15 else "")
    chosen = f" The chosen point is round {selection['round']}." if selection.get("round") else ""
    return (
        f"The run has {len(points)} points (one per round); {len(on_front)} of them are on "
        f"the Pareto front (rounds {shown or 'none'}).{chosen}"
    )


def worst_group_answer(facts: FactSheet) -> str:
    gap = facts.largest_gap
    if gap is None:
        return "This run stores no per-group rates to compare (it has no test split)."
    rate = {
        "tpr": "true-positive rate",
        "fpr": "false-positive rate",
        "selection_rate": "selection rate",
        "accuracy": "accuracy",
    }[gap.rate]
    worse_is_high = gap.rate == "fpr"
    worst = gap.high_group if worse_is_high else gap.low_group
    worst_value, best_value = (
        (gap.high_value, gap.low_value) if worse_is_high else (gap.low_value, gap.high_value)
    )
    best = gap.low_group if worse_is_high else gap.high_group
    return (
        f"At round {facts.point.round}, the largest gap is in {gap.attribute}: the "
        f"{rate} of {worst} is {_f(worst_value)} against {_f(best_value)} for {best} "
        f"(a gap of {_f(gap.gap)}, {facts.split} split; {gap.low_n + gap.high_n} rows in "
        "those two groups). So "
        f"{worst} is worst off by that rate."
    )


def compare_answer(facts: FactSheet) -> str:
    base = facts.baseline
    if base is None:
        return "This run has no unconstrained baseline stored (it was trained without one)."
    mine = facts.report
    lines = [
        f"Round {facts.point.round} against the same learner without fairness costs "
        f"({facts.split} split):",
        f"- accuracy {_f(mine.accuracy)} vs {_f(base.accuracy)} "
        f"(change {_f(base.accuracy_change)})",
        f"- balanced accuracy {_f(mine.balanced_accuracy)} vs {_f(base.balanced_accuracy)} "
        f"(change {_f(base.balanced_accuracy_change)})",
    ]
    for name, theirs in base.notions.items():
        lines.append(
            f"- {_label(name)} {_f(mine.notion(name))} vs {_f(theirs)} "
            f"(change {_f(base.notion_changes.get(name))})"
        )
    return "\n".join(lines)


def move_along(front: Mapping[str, Any], current: int, direction: str) -> tuple[int | None, str]:
    """The next front point from round ``current``: fairer (lower first notion) or more
    accurate (higher balanced accuracy), with what changes (validation split)."""
    notion = (front.get("notions") or ["eo"])[0]
    points = [p for p in front.get("points") or [] if p.get("on_front") and not p.get("trivial")]
    here = next((p for p in front.get("points") or [] if p.get("round") == current), None)
    if here is None or not points:
        return None, "There is no front to move along."
    value = _value(here["validation"], notion)
    bacc = here["validation"].get("balanced_accuracy")
    if direction == "fairer":
        better = [p for p in points if _value(p["validation"], notion) < value]
        pick = max(better, key=lambda p: _value(p["validation"], notion), default=None)
    else:
        better = [p for p in points if p["validation"].get("balanced_accuracy", 0) > bacc]
        pick = min(better, key=lambda p: p["validation"]["balanced_accuracy"], default=None)
    if pick is None:
        word, most = (
            ("fairer", "fairest") if direction == "fairer" else ("more accurate", "most accurate")
        )
        return None, (
            f"Round {current} is already the {most} point of the front; there is no {word} one."
        )
    new_value = _value(pick["validation"], notion)
    new_bacc = pick["validation"]["balanced_accuracy"]
    return pick["round"], (
        f"Moved from round {current} to round {pick['round']}: {_label(notion)} "
        f"{_f(value)} -> {_f(new_value)} (change {_f(new_value - value)}), balanced accuracy "
        f"{_f(bacc)} -> {_f(new_bacc)} (change {_f(new_bacc - bacc)}), validation split."
    )


def single_task_answer(front: Mapping[str, Any], point: Mapping[str, Any]) -> str | None:
    """A multi-task point against the single-task models stored with its run (the front's
    ``baselines``), task by task; None when the run stores none."""
    baselines = front.get("baselines")
    if not isinstance(baselines, Mapping) or not isinstance(baselines.get("tasks"), Mapping):
        return None
    split = str(baselines.get("split") or "validation")
    mine = point.get("tasks") if isinstance(point.get("tasks"), Mapping) else {}
    notions = [n for n in front.get("notions") or [] if n in NOTIONS]
    lines = [f"Round {point.get('round')} against one single-task model per task ({split} split):"]
    for task, entry in baselines["tasks"].items():
        theirs = entry.get(split) if isinstance(entry, Mapping) else None
        ours = (mine.get(task) or {}).get(split) if isinstance(mine, Mapping) else None
        if not isinstance(theirs, Mapping) or not isinstance(ours, Mapping):
            continue
        figures = [
            f"{_label(name)} {_f(_value(ours, name))} vs {_f(_value(theirs, name))}"
            for name in ("accuracy", "balanced_accuracy", *notions)
        ]
        lines.append(f"- {task}: " + "; ".join(figures))
    return "\n".join(lines) if len(lines) > 1 else None
