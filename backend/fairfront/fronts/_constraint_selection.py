"""Choosing by constraints: the best point among those meeting every bound.

When no point meets them all, the error names, per constraint, how close the points
came, and the point closest to meeting them all (smallest largest shortfall; ties:
the best ``maximize``, then the earliest round): a caller may fall back to it
(``select(..., fallback=True)``). For a confidence constraint the error also says
which group's size makes the interval too wide, and what would narrow it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._arrays import BoolArray, FloatArray, IntArray, first_best
from ._constraints import Constraint
from ._errors import ConstraintError, NoFeasiblePointError, no_eligible_point_error
from ._metric_names import PERFORMANCE_METRICS, format_number, metric_phrase
from ._points import Point, metrics_block, read_interval, read_metric
from ._selection_rule import SelectionRule

__all__ = ["select_by_constraints"]


def _check_present(
    points: Sequence[Point], metric: str, attribute: str | None, split: str, text: str
) -> None:
    """``ConstraintError`` when no point records ``metric`` (or its ``attribute``)."""
    blocks = [metrics_block(p, split) for p in points]
    entries = [b[metric] for b in blocks if metric in b]
    if not entries:
        raise ConstraintError(f"{text}: no point has a {split} value for {metric!r}")
    if attribute is None:
        return
    known: set[str] = set()
    for e in entries:
        by_attr = e.get("by_attribute") if isinstance(e, Mapping) else None
        if isinstance(by_attr, Mapping):
            known.update(str(a) for a in by_attr)
    if attribute not in known:
        choices = ", ".join(sorted(known)) or "none"
        raise ConstraintError(
            f"{text}: no point has {metric} for attribute {attribute!r} (known: {choices})"
        )


def _check_level(points: Sequence[Point], c: Constraint, split: str) -> None:
    """``ConstraintError`` when no point carries intervals at ``c``'s confidence level."""
    levels = {read_interval(p, c.metric, None, split)[2] for p in points}
    levels = {x for x in levels if x == x}  # drop NaN
    if not levels:
        raise ConstraintError(
            f"{c}: the points carry no confidence intervals for {c.metric}; "
            "re-score them with intervals (fairfront computes 95% ones by default)"
        )
    if not any(abs(x - (c.confidence or 0)) < 1e-9 for x in levels):
        have = ", ".join(f"{x:.0%}" for x in sorted(levels))
        raise ConstraintError(
            f"{c}: the points carry {have} intervals, not {c.confidence:.0%}; "
            f"ask for @{max(levels):.0%}"
        )


def shortfall(rule: SelectionRule, values: FloatArray) -> FloatArray:
    """How far each point (row of ``values``) is from meeting each constraint (>= 0)."""
    bounds = np.array([c.bound for c in rule.constraints])
    upper = np.array([c.op == "<=" for c in rule.constraints])
    gap = np.where(upper, values - bounds, bounds - values)
    out: FloatArray = np.maximum(gap, 0.0)
    return out


def _closest(rule: SelectionRule, values: FloatArray, target: FloatArray) -> int:
    """Row closest to meeting every constraint: smallest largest shortfall, then the
    smallest total, then the best ``target``, then the first."""
    short = shortfall(rule, values)
    higher = rule.maximize in PERFORMANCE_METRICS
    order = np.lexsort(
        (
            np.arange(len(values)),
            -target if higher else target,
            short.sum(axis=1),
            short.max(axis=1),
        )
    )
    return int(order[0])


def _too_wide(c: Constraint, point: Point, split: str) -> str:
    """Why a confidence constraint fails on ``point``: which group's size, what would help."""
    lo, hi, level = read_interval(point, c.metric, c.attribute, split)
    block = metrics_block(point, split)
    entry = block.get(c.metric)
    value = read_metric(point, c.metric, c.attribute, split)
    attribute = c.attribute
    if attribute is None and isinstance(entry, Mapping):
        by_attr = (entry.get("ci") or {}).get("by_attribute") or {}
        ends = {a: v[1] for a, v in by_attr.items() if isinstance(v, Sequence) and len(v) == 2}
        attribute = max(ends, key=lambda a: ends[a]) if ends else None
    sizes = block.get("group_sizes")
    groups = sizes.get(attribute) if isinstance(sizes, Mapping) and attribute else None
    text = f"{c.metric} is {format_number(value)} with {level:.0%} interval "
    text += f"[{format_number(lo)}, {format_number(hi)}]"
    if attribute is not None and c.attribute is None:
        text += f" (widest on {attribute})"
    if not isinstance(groups, Mapping) or not groups:
        return text
    small = min(groups, key=lambda g: groups[g])
    text += f"; the smallest {attribute} group, {attribute}={small}, has {int(groups[small])} rows"
    if value >= c.bound:
        return text + f", and the measured gap itself is above {format_number(c.bound)}"
    factor = ((hi - value) / (c.bound - value)) ** 2
    return text + (
        f": the interval would fit under {format_number(c.bound)} with roughly "
        f"{format_number(factor)}x as many rows (more data for that group), or with that "
        "group merged into a larger one (coarser groups)"
    )


def _infeasible(
    rule: SelectionRule,
    points: Sequence[Point],
    values: FloatArray,
    target: FloatArray,
    rounds: IntArray,
    split: str,
) -> NoFeasiblePointError:
    """The error naming each constraint, the best value any eligible point reached and
    the point closest to meeting them all (``values`` etc. hold eligible points only)."""
    details: list[dict[str, Any]] = []
    parts: list[str] = []
    for j, c in enumerate(rule.constraints):
        col = values[:, j]
        met = int(c.holds(col).sum())
        pos = first_best(col if c.op == "<=" else -col)
        best, rnd = float(col[pos]), int(rounds[pos])
        details.append({"constraint": str(c), "met_by": met, "best": best, "round": rnd})
        what = " upper end" if c.confidence is not None else ""
        if met:
            parts.append(f"{c.describe()} is met by {met} of {len(points)} eligible points")
        else:
            word = "lowest" if c.op == "<=" else "highest"
            parts.append(
                f"no point has {c.describe()}; the {word}{what} reached is "
                f"{format_number(best)} (round {rnd})"
            )
    message = "; ".join(parts)
    if all(d["met_by"] for d in details):
        message = "no eligible point meets all constraints together: " + message
    pos = _closest(rule, values, target)
    short = shortfall(rule, values[pos : pos + 1])[0]
    missed = [
        f"{c.describe()} by {format_number(float(s))}"
        for c, s in zip(rule.constraints, short, strict=True)
        if s > 0
    ]
    closest = f"round {int(rounds[pos])} comes closest (misses {'; '.join(missed)})"
    why = [
        _too_wide(c, points[pos], split)
        for c, s in zip(rule.constraints, short, strict=True)
        if s > 0 and c.confidence is not None
    ]
    if why:
        closest += ": " + "; ".join(why)
    error = NoFeasiblePointError(f"{message}. {closest}", details)
    error.closest = pos
    error.closest_reason = closest
    return error


def select_by_constraints(
    points: Sequence[Point], rule: SelectionRule, split: str, rounds: IntArray, trivial: BoolArray
) -> tuple[int, str]:
    """Position (in round order) and reason for a ``constraints`` rule."""
    for c in rule.constraints:
        _check_present(points, c.metric, c.attribute, split, str(c))
        if c.confidence is not None:
            _check_level(points, c, split)
    values = np.array(
        [[c.value(p, split) for c in rule.constraints] for p in points], dtype=np.float64
    ).reshape(len(points), len(rule.constraints))
    target = np.array([read_metric(p, rule.maximize, None, split) for p in points])
    nan: BoolArray = np.isnan(values).any(axis=1) | np.isnan(target)
    eligible = ~trivial & ~nan
    if not eligible.any():
        needed = sorted(
            {rule.maximize}
            | {
                c.metric if c.attribute is None else f"{c.metric}[{c.attribute}]"
                for c in rule.constraints
            }
        )
        raise no_eligible_point_error(len(points), trivial, nan, f"{split} {', '.join(needed)}")
    ok = eligible.copy()
    for j, c in enumerate(rule.constraints):
        ok &= c.holds(values[:, j])
    if not ok.any():
        keep = np.flatnonzero(eligible)
        error = _infeasible(
            rule, [points[int(i)] for i in keep], values[keep], target[keep], rounds[keep], split
        )
        if error.closest is not None:
            error.closest = int(keep[error.closest])
        raise error
    cand = np.flatnonzero(ok)
    higher = rule.maximize in PERFORMANCE_METRICS
    score = -target[cand] if higher else target[cand]
    pos = int(cand[first_best(score)])
    word = "best" if higher else "lowest"
    among = (
        f"among the {cand.size} of {int(eligible.sum())} eligible points with "
        + " and ".join(c.describe() for c in rule.constraints)
        if rule.constraints
        else f"among all {cand.size} eligible points"
    )
    reason = (
        f"round {int(rounds[pos])} has the {word} {split} {metric_phrase(rule.maximize)} "
        f"({format_number(float(target[pos]))}) {among}"
    )
    return pos, reason
