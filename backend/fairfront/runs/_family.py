"""The protocol a learner family implements, and the registry the pipeline dispatches on.

A family turns a :class:`RunSpec` into a fitted run and back:

* ``build(spec, setting)``: the unfitted estimator (one sweep setting's);
* ``check(spec)``: refuse a bad spec before any data is read (a ValueError whose
  message names the field and the allowed values);
* ``check_data(spec)``: refuse what only the data can show (a task column that is not
  binary), as far as that is quick;
* ``fit(spec, on_point)``: load the data, fit, call ``on_point`` with a
  :class:`PointEvent` as each round / epoch ends, score every point on the test split,
  fit the baselines; returns a :class:`TrainedRun`;
* ``save(run, folder)``: write the model files (returns their names) and
  ``describe(run)``: the family's part of ``run.json``;
* ``load(run_dir, run, round)``: the model of a run directory whose files passed their
  sha256 check;
* ``export(run_dir, round)``: ONNX bytes and a model card for one point.

``register_family(name, family)`` adds one; a learner's vocabulary entry names its
family. A learner with the fair-boosting estimator interface (``fit(X, y,
sensitive_features=, callback=)``, ``points_``, ``staged_positive_matrix``, ``at_round``,
``selected_round_``, ...) needs no new family: register its family name to
:data:`fairfront.runs.BOOSTING` (see ``"gbm"``).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..fronts import Front, FrontSelection, Point
from ._spec import RunSpec

__all__ = [
    "WARM_UP_SPECS",
    "Family",
    "PartedFamily",
    "import_families",
    "OnPoint",
    "PointEvent",
    "TrainedRun",
    "family_for",
    "register_family",
    "warm_up_families",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PointEvent:
    """One new point while a run trains, with the progress so far."""

    point: Point
    done: int
    """Points so far (this one included)."""
    total: int
    """Points the run will have at most (rounds, or epochs x settings)."""
    objectives: tuple[str, ...]
    """The notions the front is drawn over (validation block)."""
    note: str = ""


OnPoint = Callable[[PointEvent], None]


@dataclass
class TrainedRun:
    """A fitted run of any family: its front (typed), the model and the data it saw."""

    spec: RunSpec
    kind: str
    front: Front
    model: Any
    """The family's model: a preprocess + learner Pipeline (boosting), a
    :class:`~fairfront.runs.MultiTaskModel` (multi-task)."""
    learner: Any
    """The fitted estimator of the chosen point (predicting with the chosen round/epoch)."""
    dataset: Any
    seconds: dict[str, float]
    created: str
    extra: dict[str, Any] = field(default_factory=dict)
    """Family-specific results (multi-task: the sweep's fits)."""

    @property
    def selection(self) -> FrontSelection:
        if self.front.selection is None:  # pragma: no cover - train() always selects
            raise ValueError("the run has no selected point")
        return self.front.selection

    @property
    def selected_round(self) -> int:
        return self.selection.round

    @property
    def selected_point(self) -> Point:
        return self.front.points[self.selected_round - 1]

    @property
    def points(self) -> list[dict[str, Any]]:
        """The points as ``front.json`` dicts."""
        return [p.model_dump(mode="json") for p in self.front.points]


class Family(Protocol):
    kind: str

    def build(self, spec: RunSpec, setting: Mapping[str, Any] | None = None) -> Any: ...

    def check(self, spec: RunSpec) -> None: ...

    def check_data(self, spec: RunSpec) -> None: ...

    def fit(self, spec: RunSpec, on_point: OnPoint | None, dataset: Any = None) -> TrainedRun: ...

    def save(self, run: TrainedRun, folder: Path) -> list[str]: ...

    def describe(self, run: TrainedRun) -> dict[str, Any]: ...

    def load(self, run_dir: Path, run: dict[str, Any], round: int | None) -> Any: ...

    def export(self, run_dir: Path, round: int | None) -> tuple[bytes, dict[str, Any]]: ...


class PartedFamily(Family, Protocol):
    """A family whose runs can be fitted part by part (a sweep's settings), each part
    anywhere, then joined: ``parts(spec)``, ``fit_part(spec, index, on_point)`` (a
    picklable result) and ``combine(spec, fitted)``."""

    def parts(self, spec: RunSpec) -> int: ...

    def fit_part(
        self, spec: RunSpec, index: int, on_point: OnPoint | None = None, dataset: Any = None
    ) -> Any: ...

    def combine(self, spec: RunSpec, parts: Any, dataset: Any = None) -> TrainedRun: ...


_FAMILIES: dict[str, Family | str] = {
    "boosting": "fairfront.runs._boosting:BOOSTING",
    "gbm": "fairfront.runs._boosting:GBM",
    "multitask": "fairfront.runs._multitask:MULTITASK",
}
"""Family name -> implementation, or ``module:NAME`` imported on first use (the
multi-task family needs torch)."""


def register_family(name: str, family: Family | str) -> None:
    """Make ``family`` (or ``"module:NAME"``, imported on first use) the one for ``name``."""
    _FAMILIES[name] = family


def family_for(kind: str) -> Family:
    """The implementation of a family (``boosting``, ``multitask``, ...)."""
    try:
        family = _FAMILIES[kind]
    except KeyError:
        raise ValueError(
            f"no learner family {kind!r}; known: {', '.join(sorted(_FAMILIES))}"
        ) from None
    if isinstance(family, str):
        module, _, name = family.partition(":")
        try:
            family = getattr(importlib.import_module(module), name)
        except ImportError as error:
            raise ValueError(
                f"the {kind} learners need an extra that is not installed ({error.name}); "
                "install fairfront[mtl]"
            ) from error
        _FAMILIES[kind] = family
    assert not isinstance(family, str)  # noqa: S101 - resolved above
    return family


def import_families() -> list[str]:
    """Import every learner family the vocabulary names (torch too, when installed), so
    that the first run of each pays no import; returns the families available."""
    from ..vocabulary import LEARNERS

    available: list[str] = []
    for kind in sorted({term.family for term in LEARNERS.values()}):
        try:
            family_for(kind)
        except ValueError:  # an optional extra that is not installed
            continue
        available.append(kind)
    return available


WARM_UP_SPECS: dict[str, dict[str, Any]] = {
    "multitask": {"data": "compas", "learner": "fairbranch", "epochs": 1, "baseline": False},
}
"""Per family, a small real run that :func:`warm_up_families` trains once (the multi-task
one on COMPAS, the smaller built-in multi-task view, one epoch, no baselines)."""


def warm_up_families() -> list[str]:
    """:func:`import_families`, then each family's warm-up run (:data:`WARM_UP_SPECS`),
    so that a worker's first run pays none of torch's first-call set-up (its first fit
    took ~3 s longer than the next on a busy 2-core machine); returns the families
    available. A warm-up that fails is logged and skipped: it only costs speed."""
    from ._pipeline import train

    available = import_families()
    for kind in available:
        spec = WARM_UP_SPECS.get(kind)
        if spec is None:
            continue
        try:
            train(RunSpec.from_dict(spec))
        except Exception:  # a warm-up never stops a worker
            log.warning("the %s warm-up run failed", kind, exc_info=True)
    return available
