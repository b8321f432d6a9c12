"""Choosing one point by a :class:`SelectionRule`, and marking the chosen one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._arrays import BoolArray, IntArray
from ._constraint_selection import select_by_constraints
from ._dominance import non_dominated
from ._errors import (
    NoEligiblePointError,
    NoFeasiblePointError,
    RoundNotFoundError,
    no_eligible_point_error,
)
from ._metric_names import format_number
from ._points import Point, PointsT, objective_matrix, trivial_mask
from ._preference import check_weights, knee, select_by_weights
from ._selection_rule import SelectionRule, list_weights

__all__ = ["Selection", "mark_selected", "select"]


@dataclass
class Selection:
    """The chosen point: its position in the list, its round, the rule and why."""

    index: int
    round: int
    rule: SelectionRule
    reason: str
    fallback: bool = False
    """True when no point met the constraints and this is the closest one."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        out = {
            "index": self.index,
            "round": self.round,
            "rule": self.rule.to_dict(),
            "reason": self.reason,
        }
        if self.fallback:
            out["fallback"] = True
        return out


def mark_selected(points: PointsT, selection: Selection | int | None) -> PointsT:
    """Set ``selected`` True on the chosen point (by index) and False elsewhere."""
    chosen = selection.index if isinstance(selection, Selection) else selection
    for i, p in enumerate(points):
        p["selected"] = i == chosen
    return points


def _rounds(points: Sequence[Point]) -> IntArray:
    """Round number of every point."""
    try:
        return np.array([int(p["round"]) for p in points], dtype=np.intp)
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"every point needs an integer 'round' ({err})") from None


def _select_round(rule: SelectionRule, rounds: IntArray, trivial: BoolArray) -> tuple[int, str]:
    """Position (in round order) and reason for a ``round`` rule."""
    hits = np.flatnonzero(rounds == rule.round)
    if hits.size == 0:
        have = f"{int(rounds.min())}-{int(rounds.max())}" if rounds.size else "none"
        raise RoundNotFoundError(f"no point for round {rule.round} (rounds present: {have})")
    pos = int(hits[0])
    if trivial[pos]:
        raise NoEligiblePointError(
            f"round {rule.round} is trivial (predicts one class) and cannot be selected"
        )
    return pos, f"round {rule.round} was chosen by hand"


def _select_on_front(
    points: Sequence[Point],
    rule: SelectionRule,
    notions: Sequence[str],
    split: str,
    rounds: IntArray,
    trivial: BoolArray,
) -> tuple[int, str]:
    """Position (in round order) and reason for a ``knee`` or ``weights`` rule."""
    F, names = objective_matrix(points, notions, split=split)
    nan = np.asarray(np.isnan(F).any(axis=1), dtype=bool)
    eligible = ~trivial & ~nan & np.isfinite(F).all(axis=1)
    if not eligible.any():
        raise no_eligible_point_error(len(points), trivial, nan, f"{split} {', '.join(names)}")
    n_front = int(non_dominated(F, eligible).sum())
    if rule.kind == "knee":
        found = knee(F, eligible)
        what = f"is the knee of the {split} Pareto front of {', '.join(names)}"
    else:
        weights = check_weights(rule.weights or (), F.shape[1], names)
        found = select_by_weights(F, weights, eligible, method=rule.method)
        how = (
            "is closest to the ideal point in weighted Chebyshev distance"
            if rule.method == "chebyshev"
            else "has the pseudo-weights closest to the weights"
        )
        what = f"{how} ({list_weights(weights.tolist(), names)}) on the {split} Pareto front"
    if found is None:  # pragma: no cover - eligible rows always give a front
        raise no_eligible_point_error(len(points), trivial, nan, f"{split} {', '.join(names)}")
    return found, f"round {int(rounds[found])} {what} ({n_front} points)"


def _select_fairest(
    points: Sequence[Point],
    rule: SelectionRule,
    notions: Sequence[str],
    split: str,
    rounds: IntArray,
    trivial: BoolArray,
) -> tuple[int, str]:
    """Position (in round order) and reason for a ``fairest`` rule: the best balanced
    accuracy among the points whose violation (the largest over ``notions``, worst
    attribute) is within ``rule.tolerance`` of the lowest."""
    F, names = objective_matrix(points, notions, split=split)  # 1-acc, 1-bacc, notions
    nan = np.asarray(np.isnan(F).any(axis=1), dtype=bool)
    eligible = ~trivial & ~nan & np.isfinite(F).all(axis=1)
    if not eligible.any():
        raise no_eligible_point_error(len(points), trivial, nan, f"{split} {', '.join(names)}")
    violation = F[:, 2:].max(axis=1)
    lowest = float(violation[eligible].min())
    near = np.flatnonzero(eligible & (violation <= lowest + rule.tolerance + 1e-12))
    # best balanced accuracy; ties: lower violation, then accuracy, then the earliest
    # round -- so the choice is never dominated on the front's objectives
    order = np.lexsort((near, F[near, 0], F[near, 2:].sum(axis=1), violation[near], F[near, 1]))
    pos = int(near[order[0]])
    what = names[2] if len(names) == 3 else f"largest of {', '.join(names[2:])}"
    reason = (
        f"round {int(rounds[pos])} has the best {split} balanced accuracy "
        f"({format_number(1 - float(F[pos, 1]))}) among the {near.size} points whose {what} "
        f"is within {format_number(rule.tolerance)} of the lowest ({format_number(lowest)}); "
        f"its {what} is {format_number(float(violation[pos]))}"
    )
    return pos, reason


def select(
    points: Sequence[Point],
    rule: SelectionRule,
    notions: Sequence[str],
    split: str = "validation",
    *,
    fallback: bool = False,
) -> Selection:
    """Choose one point by ``rule``, reading the ``split`` block (validation by default).

    Trivial points are never chosen. ``knee`` and ``weights`` choose among the
    front of :func:`objective_matrix`; ``constraints`` among every eligible point
    (non-trivial, no NaN in the metrics it reads). Ties go to the earliest round.
    Raises :class:`NoEligiblePointError`, :class:`NoFeasiblePointError` or
    :class:`RoundNotFoundError`; with ``fallback``, a ``constraints`` rule that no
    point meets chooses the point closest to meeting it instead (the reason says so,
    and ``Selection.fallback`` is set).
    """
    rounds_raw = _rounds(points)
    order = np.lexsort((np.arange(len(points)), rounds_raw))  # by round, then list order
    pts = [points[i] for i in order]
    rounds = rounds_raw[order]
    trivial = trivial_mask(pts)
    if rule.kind == "round":
        pos, reason = _select_round(rule, rounds, trivial)
    elif rule.kind == "constraints":
        try:
            pos, reason = select_by_constraints(pts, rule, split, rounds, trivial)
        except NoFeasiblePointError as error:
            if not fallback or error.closest is None:
                raise
            pos = error.closest
            reason = f"{error}; chose round {int(rounds[pos])}, the point closest to meeting them"
            return Selection(
                index=int(order[pos]),
                round=int(rounds[pos]),
                rule=rule,
                reason=reason,
                fallback=True,
            )
    elif rule.kind == "fairest":
        pos, reason = _select_fairest(pts, rule, notions, split, rounds, trivial)
    else:
        pos, reason = _select_on_front(pts, rule, notions, split, rounds, trivial)
    return Selection(index=int(order[pos]), round=int(rounds[pos]), rule=rule, reason=reason)
