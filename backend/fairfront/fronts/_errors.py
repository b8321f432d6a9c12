"""Errors raised when a constraint is malformed or a rule cannot pick a point."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._arrays import BoolArray

__all__ = [
    "ConstraintError",
    "NoEligiblePointError",
    "NoFeasiblePointError",
    "RoundNotFoundError",
    "SelectionError",
    "no_eligible_point_error",
]


class ConstraintError(ValueError):
    """A constraint is malformed: bad text, unknown metric, bad bound or attribute."""


class SelectionError(ValueError):
    """Base class for a selection rule that cannot pick a point."""


class NoEligiblePointError(SelectionError):
    """Every point is trivial or lacks (NaN) a metric the rule needs."""


class NoFeasiblePointError(SelectionError):
    """No eligible point satisfies every constraint.

    ``details`` holds, per constraint, its text, how many eligible points meet it
    and the best value any eligible point reached (with that point's round).
    ``closest`` is the position (in round order) of the eligible point closest to
    meeting them all, and ``closest_reason`` says so in words (None when unknown).
    """

    def __init__(self, message: str, details: Sequence[Mapping[str, Any]] = ()) -> None:
        super().__init__(message)
        self.details: list[dict[str, Any]] = [dict(d) for d in details]
        self.closest: int | None = None
        self.closest_reason: str | None = None


class RoundNotFoundError(SelectionError, LookupError):
    """A rule asks for a round that no point has."""


def no_eligible_point_error(
    n: int, trivial: BoolArray, nan: BoolArray, what: str
) -> NoEligiblePointError:
    """The error for a list of ``n`` points where none can be chosen.

    ``trivial`` and ``nan`` flag each point; ``what`` names the values the rule reads.
    """
    if n == 0:
        return NoEligiblePointError("no points to choose from")
    n_nan = int((nan & ~trivial).sum())
    return NoEligiblePointError(
        f"no eligible point among {n}: {int(trivial.sum())} trivial (predicting one class) "
        f"and {n_nan} with a missing (NaN) value of {what}"
    )
