"""How to choose one point of a front: :class:`SelectionRule`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np

from ._constraints import Constraint
from ._metric_names import PERFORMANCE_METRICS, metric_phrase, require_metric
from ._preference import WeightMethod, check_method, check_weights

__all__ = ["KNEE_PERFORMANCE", "RuleKind", "SelectionRule", "list_weights"]

KNEE_PERFORMANCE: tuple[str, ...] = ("balanced_accuracy",)
"""The performance objective of the knee (the default choice): the knee is taken on
the front of (1 - balanced accuracy, each notion's worst violation). Accuracy is left
out: next to balanced accuracy it counts performance twice against fairness, and it
rewards predicting the majority class. Measured in ``bench/bench_default_choice.py``
against the earlier knee of (1 - accuracy, 1 - balanced accuracy, violations)."""
RuleKind = Literal["knee", "weights", "constraints", "round"]
_KINDS: tuple[str, ...] = get_args(RuleKind)
_KEYS = {"kind", "weights", "constraints", "maximize", "round", "method"}


def list_weights(weights: Sequence[float], names: Sequence[str] | None = None) -> str:
    """``"1-accuracy 0.5, eo 0.5"`` (or ``"0.5, 0.5"`` without matching names)."""
    if names is not None and len(names) == len(weights):
        return ", ".join(f"{n} {w:.3g}" for n, w in zip(names, weights, strict=True))
    return ", ".join(f"{w:.3g}" for w in weights)


@dataclass(frozen=True)
class SelectionRule:
    """How to choose one point.

    * ``knee`` (the default): the knee of the validation front of balanced accuracy
      against the notions' violations (:data:`KNEE_PERFORMANCE`; see :func:`knee`);
    * ``weights``: the front point best matching ``weights`` (one per objective of
      :func:`objective_matrix`; see :func:`select_by_weights` for ``method``);
    * ``constraints``: the best ``maximize`` (a notion is minimised instead) among
      all eligible points meeting every constraint;
    * ``round``: that round.
    """

    kind: RuleKind
    weights: tuple[float, ...] | None = None
    constraints: tuple[Constraint, ...] = ()
    maximize: str = "balanced_accuracy"
    round: int | None = None
    method: WeightMethod = "chebyshev"

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"rule kind must be one of {', '.join(_KINDS)}, got {self.kind!r}")
        check_method(self.method)
        object.__setattr__(self, "maximize", require_metric(self.maximize, "maximize metric"))
        constraints = tuple(
            c if isinstance(c, Constraint) else Constraint.from_dict(c) for c in self.constraints
        )
        object.__setattr__(self, "constraints", constraints)
        if self.weights is not None:
            check_weights(self.weights, len(self.weights))
            object.__setattr__(self, "weights", tuple(float(x) for x in self.weights))
        elif self.kind == "weights":
            raise ValueError("a 'weights' rule needs weights, one per objective")
        if self.round is not None:
            if isinstance(self.round, bool) or not isinstance(self.round, int | np.integer):
                raise ValueError(f"round must be an integer, got {self.round!r}")
            if self.round < 1:
                raise ValueError(f"rounds are numbered from 1, got {self.round}")
            object.__setattr__(self, "round", int(self.round))
        elif self.kind == "round":
            raise ValueError("a 'round' rule needs the round number")

    def describe(self, objectives: Sequence[str] | None = None, split: str = "validation") -> str:
        """A plain-language sentence for a model card."""
        if self.kind == "round":
            return f"the model from round {self.round}, chosen by hand"
        if self.kind == "knee":
            names = [f"1-{p}" for p in KNEE_PERFORMANCE] + [
                o for o in objectives or () if not o.startswith("1-")
            ]
            of = f" ({', '.join(names)})" if objectives else " (1-balanced_accuracy, violations)"
            return (
                f"the knee of the {split} Pareto front{of}: with each objective scaled to "
                "[0, 1], the front point furthest below the plane through the front's "
                "extreme points"
            )
        if self.kind == "weights":
            raw = self.weights or ()
            ws = [w / sum(raw) for w in raw] if sum(raw) > 0 else list(raw)
            if self.method == "chebyshev":
                how = "closest to the ideal point in weighted Chebyshev distance"
            else:
                how = "whose trade-off (Deb's pseudo-weights) is closest to the weights"
            return (
                f"the point of the {split} Pareto front {how}, with weights "
                f"{list_weights(ws, objectives)} on the objectives scaled to [0, 1]"
            )
        target = metric_phrase(self.maximize)
        if self.maximize in PERFORMANCE_METRICS:
            head = f"the point with the best {split} {target}"
        else:
            head = f"the point with the lowest {split} {target} (worst attribute)"
        if not self.constraints:
            return f"{head} among all non-trivial points"
        parts = [c.describe() for c in self.constraints]
        joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        return f"{head} among those with {joined}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "kind": self.kind,
            "weights": None if self.weights is None else [float(w) for w in self.weights],
            "constraints": [c.to_dict() for c in self.constraints],
            "maximize": self.maximize,
            "round": self.round,
            "method": self.method,
        }

    @classmethod
    def default(cls) -> SelectionRule:
        """The rule used when nothing else is asked for: the knee."""
        return cls(kind="knee")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SelectionRule:
        """Inverse of :meth:`to_dict` (constraints may also be given as text)."""
        unknown = set(data) - _KEYS
        if unknown:
            raise ValueError(f"unknown selection-rule keys: {', '.join(sorted(unknown))}")
        if "kind" not in data:
            raise ValueError("selection rule is missing 'kind'")
        weights = data.get("weights")
        return cls(
            kind=data["kind"],
            weights=None if weights is None else tuple(float(w) for w in weights),
            constraints=tuple(Constraint.from_dict(c) for c in data.get("constraints") or ()),
            maximize=data.get("maximize", "balanced_accuracy"),
            round=data.get("round"),
            method=data.get("method", "chebyshev"),
        )
