"""Intents on learner parameters: one value, a sweep of several, back to the defaults."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from ._types import MAX_SETTINGS, STRICT, ParameterName, ParameterValue, unique

__all__ = [
    "MAX_SETTINGS",
    "ParameterName",
    "ParameterValue",
    "ResetParameters",
    "SetParameter",
    "SweepParameter",
]


class SetParameter(BaseModel):
    """Give a learner parameter one value (e.g. fairness weight 2, learning rate 0.05)."""

    model_config = STRICT
    kind: Literal["set_parameter"] = "set_parameter"
    name: ParameterName
    value: ParameterValue


class SweepParameter(BaseModel):
    """Try several values of a learner parameter in one run (a sweep): one fit per
    combination of every swept parameter's values, one front and one choice over them all."""

    model_config = STRICT
    kind: Literal["sweep_parameter"] = "sweep_parameter"
    name: ParameterName
    values: list[ParameterValue] = Field(min_length=2, max_length=MAX_SETTINGS)

    @field_validator("values")
    @classmethod
    def _once(cls, values: list[float]) -> list[float]:
        return unique(values, "values")


class ResetParameters(BaseModel):
    """Put learner parameters back to their defaults: the named ones (all when none are
    named); with ``sweep_only``, drop only their sweeps ("no sweep")."""

    model_config = STRICT
    kind: Literal["reset_parameters"] = "reset_parameters"
    names: list[ParameterName] = Field(default_factory=list, max_length=20)
    sweep_only: bool = False

    @field_validator("names")
    @classmethod
    def _once(cls, names: list[str]) -> list[str]:
        return unique(names, "parameters")
