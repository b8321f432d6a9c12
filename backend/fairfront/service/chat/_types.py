"""The value types intents share: bounded names and texts, registry-checked names."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

from fairfront.fronts import Constraint
from fairfront.runs import MAX_EPOCHS, MAX_ROUNDS, MAX_SETTINGS
from fairfront.vocabulary import LEARNERS, NOTIONS, PARAMETERS, PERFORMANCE

__all__ = [
    "MAX_EPOCHS",
    "MAX_ROUNDS",
    "MAX_SETTINGS",
    "NAME_MAX",
    "STRICT",
    "TEXT_MAX",
    "ConstraintText",
    "LearnerName",
    "MetricName",
    "Name",
    "NotionName",
    "ParameterName",
    "ParameterValue",
    "Round",
    "Text",
    "canonical_constraint",
    "unique",
]


NAME_MAX = 200
"""Longest dataset name, column name or class value an intent carries."""
TEXT_MAX = 1000
"""Longest question or answer text an intent carries."""


def _one_of(choices: tuple[str, ...], what: str) -> Any:
    def check(value: str) -> str:
        if value not in choices:
            raise ValueError(f"unknown {what} {value!r}; choose from {', '.join(choices)}")
        return value

    return AfterValidator(check)


_NOTIONS = tuple(NOTIONS)
_METRICS = (*PERFORMANCE, *NOTIONS)
_LEARNERS = tuple(LEARNERS)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX)]
ConstraintText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=120)
]
NotionName = Annotated[
    str, _one_of(_NOTIONS, "notion"), Field(json_schema_extra={"enum": list(_NOTIONS)})
]
MetricName = Annotated[
    str, _one_of(_METRICS, "metric"), Field(json_schema_extra={"enum": list(_METRICS)})
]
LearnerName = Annotated[
    str, _one_of(_LEARNERS, "learner"), Field(json_schema_extra={"enum": list(_LEARNERS)})
]
_PARAMETERS = tuple(PARAMETERS)
ParameterName = Annotated[
    str,
    _one_of(_PARAMETERS, "learner parameter"),
    Field(json_schema_extra={"enum": list(_PARAMETERS)}),
]
ParameterValue = Annotated[int | float, Field(ge=-1e6, le=1e6, allow_inf_nan=False)]
"""A learner parameter's value; each learner's own range is checked against the session."""
Round = Annotated[int, Field(ge=1, le=MAX_ROUNDS)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=TEXT_MAX)]

STRICT = ConfigDict(extra="forbid")


def canonical_constraint(text: str) -> str:
    """``text`` parsed by :meth:`Constraint.parse` and written back canonically."""
    return str(Constraint.parse(text))


def unique(values: list[Any], what: str) -> list[Any]:
    if len(set(values)) != len(values):
        raise ValueError(f"{what} are repeated: {values}")
    return values
