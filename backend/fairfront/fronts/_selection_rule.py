"""How to choose one point of a front: :class:`SelectionRule`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np

from ._constraints import Constraint
from ._metric_names import PERFORMANCE_METRICS, metric_phrase, require_metric
from ._preference import WeightMethod, check_method, check_weights

__all__ = ["DEFAULT_TOLERANCE", "RuleKind", "SelectionRule", "list_weights"]

DEFAULT_TOLERANCE = 0.02
"""How far above the lowest violation the default choice may go for balanced accuracy:
about the test noise of a gap on Adult's smaller groups (+-0.02), so the points it
weighs cannot be told apart on fairness. See ``bench/bench_default_choice.py``."""
RuleKind = Literal["knee", "weights", "constraints", "round", "fairest"]
_KINDS: tuple[str, ...] = get_args(RuleKind)
_KEYS = {"kind", "weights", "constraints", "maximize", "round", "method", "tolerance"}


def list_weights(weights: Sequence[float], names: Sequence[str] | None = None) -> str:
    """``"1-accuracy 0.5, eo 0.5"`` (or ``"0.5, 0.5"`` without matching names)."""
    if names is not None and len(names) == len(weights):
        return ", ".join(f"{n} {w:.3g}" for n, w in zip(names, weights, strict=True))
    return ", ".join(f"{w:.3g}" for w in weights)


@dataclass(frozen=True)
class SelectionRule:
    """How to choose one point.

    * ``fairest`` (the default, :meth:`default`): the best balanced accuracy among the
      points whose violation (the largest of the notions' worst-attribute values) is
      within ``tolerance`` of the lowest any point reaches;
    * ``knee``: the knee of the validation front (see :func:`knee`);
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
    tolerance: float = DEFAULT_TOLERANCE

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"rule kind must be one of {', '.join(_KINDS)}, got {self.kind!r}")
        check_method(self.method)
        tolerance = float(self.tolerance) if not isinstance(self.tolerance, bool) else -1.0
        if not 0.0 <= tolerance <= 1.0:
            raise ValueError(f"tolerance must be in [0, 1], got {self.tolerance!r}")
        object.__setattr__(self, "tolerance", tolerance)
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
        if self.kind == "fairest":
            return (
                f"the point with the best {split} balanced accuracy among those whose "
                f"violation is within {self.tolerance:g} of the lowest any point reaches"
            )
        if self.kind == "knee":
            of = f" ({', '.join(objectives)})" if objectives else ""
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
            "tolerance": self.tolerance,
        }

    @classmethod
    def default(cls) -> SelectionRule:
        """The rule used when nothing else is asked for: ``fairest`` within
        :data:`DEFAULT_TOLERANCE` (0.02) of the lowest violation."""
        return cls(kind="fairest")

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
            tolerance=data.get("tolerance", DEFAULT_TOLERANCE),
        )
