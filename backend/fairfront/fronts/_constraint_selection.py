"""Choosing by constraints: the best point among those meeting every bound."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._arrays import BoolArray, FloatArray, IntArray, first_best
from ._errors import ConstraintError, NoFeasiblePointError, no_eligible_point_error
from ._metric_names import PERFORMANCE_METRICS, format_number, metric_phrase
from ._points import Point, metrics_block, read_metric
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


def _infeasible(
    rule: SelectionRule, values: FloatArray, rounds: IntArray, n_eligible: int
) -> NoFeasiblePointError:
    """The error naming each constraint and the best value any eligible point reached."""
    details: list[dict[str, Any]] = []
    parts: list[str] = []
    for j, c in enumerate(rule.constraints):
        col = values[:, j]
        met = int(c.holds(col).sum())
        pos = first_best(col if c.op == "<=" else -col)
        best, rnd = float(col[pos]), int(rounds[pos])
        details.append({"constraint": str(c), "met_by": met, "best": best, "round": rnd})
        if met:
            parts.append(f"{c.describe()} is met by {met} of {n_eligible} eligible points")
        else:
            word = "lowest" if c.op == "<=" else "highest"
            parts.append(
                f"no point has {c.describe()}; the {word} reached is {format_number(best)} "
                f"(round {rnd})"
            )
    message = "; ".join(parts)
    if all(d["met_by"] for d in details):
        message = "no eligible point meets all constraints together: " + message
    return NoFeasiblePointError(message, details)


def select_by_constraints(
    points: Sequence[Point], rule: SelectionRule, split: str, rounds: IntArray, trivial: BoolArray
) -> tuple[int, str]:
    """Position (in round order) and reason for a ``constraints`` rule."""
    for c in rule.constraints:
        _check_present(points, c.metric, c.attribute, split, str(c))
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
        raise _infeasible(rule, values[eligible], rounds[eligible], int(eligible.sum()))
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
