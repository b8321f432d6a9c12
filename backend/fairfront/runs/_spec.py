"""The one run spec, for every learner family: what was asked, JSON-friendly."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field
from itertools import product
from typing import Any

from ..vocabulary import LEARNERS, LearnerTerm

__all__ = [
    "MAX_EPOCHS",
    "MAX_ROUNDS",
    "MAX_SETTINGS",
    "RunSpec",
    "SpecError",
    "check_sweep",
    "setting_label",
]

MAX_ROUNDS = 2000
MAX_EPOCHS = 1000
MAX_SETTINGS = 12


class SpecError(ValueError):
    """A spec that cannot run; ``field`` names the spec field at fault."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class RunSpec:
    """Everything that defines a run; the family comes from the learner's vocabulary entry.

    Boosting learners read ``target``/``positive``, ``rounds``, ``notions`` and
    ``constraints``; multi-task learners read ``tasks``/``positives``, ``epochs`` and
    ``sweep`` (learner parameters to try, e.g. ``{"fairness_weight": [0.5, 1, 2]}``: one
    fit per combination, a point per (setting, epoch), one selection over all).
    """

    data: str
    target: str | None = None
    positive: str | None = None
    protected: list[str] | None = None
    drop: list[str] = field(default_factory=list)
    keep: list[str] = field(default_factory=list)
    """Flagged columns (identifier, leakage) used as features after all."""
    target_rule: str | None = None
    """Binarises a numeric or multi-class target: ``"G3 >= 10"``, ``"score > median"``."""
    learner: str = "mmm_fair"
    notions: list[str] = field(default_factory=lambda: ["eo"])
    rounds: int = 300
    constraints: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    test_size: float | None = None
    random_state: int = 0
    baseline: bool = True
    references: bool = False
    """Boosting and gbm learners: add group-threshold reference points to the front
    (they need the protected attributes at prediction time; drawn, never exported)."""
    tasks: list[str] | None = None
    positives: dict[str, str] = field(default_factory=dict)
    epochs: int = 30
    sweep: dict[str, list[Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunSpec:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    @property
    def term(self) -> LearnerTerm:
        """The learner's vocabulary entry; a ValueError naming the choices if unknown."""
        term = LEARNERS.get(self.learner)
        if term is None:
            raise ValueError(f"unknown learner {self.learner!r}; choose from {', '.join(LEARNERS)}")
        return term

    @property
    def family(self) -> str:
        return self.term.family

    def settings(self) -> list[dict[str, Any]]:
        """The combinations of :attr:`sweep` (``[{}]`` without a sweep), in order."""
        combos = product(*self.sweep.values())
        settings = [dict(zip(self.sweep, combo, strict=True)) for combo in combos]
        if len(settings) > MAX_SETTINGS:
            raise SpecError(
                f"the sweep has {len(settings)} settings; at most {MAX_SETTINGS} are allowed",
                field="sweep",
            )
        return settings


def setting_label(setting: Mapping[str, Any]) -> str:
    """``fairness_weight=2, tau=0.6``; empty for no setting."""
    return ", ".join(f"{k}={v}" for k, v in setting.items())


def check_sweep(spec: RunSpec, sweepable: Collection[str]) -> None:
    """Refuse a sweep of a name not in ``sweepable`` (the learner's parameters a sweep may
    vary), of a name also given a fixed value, or with no values (a :class:`SpecError`)."""
    for name, values in spec.sweep.items():
        if name not in sweepable:
            raise SpecError(
                f"cannot sweep {name!r}: {spec.learner} sweeps {', '.join(sorted(sweepable))}",
                field="sweep",
            )
        if name in spec.params:
            raise SpecError(
                f"{name!r} is both a fixed parameter and swept; give one", field="sweep"
            )
        if not isinstance(values, list | tuple) or not values:
            raise SpecError(f"sweep {name!r}: give a non-empty list of values", field="sweep")
