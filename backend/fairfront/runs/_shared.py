"""What every family's fit does the same way: data options, timings, run.json parts."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from ..fronts import Front, Point
from ._directory import json_params
from ._family import TrainedRun
from ._spec import RunSpec

__all__ = [
    "Stopwatch",
    "data_options",
    "describe_dataset",
    "describe_learner",
    "fitted_run",
]


def data_options(spec: RunSpec) -> dict[str, Any]:
    """The keyword arguments every dataset loader takes from a spec."""
    return {
        "protected": spec.protected,
        "drop": spec.drop,
        "test_size": spec.test_size,
        "random_state": spec.random_state,
    }


class Stopwatch:
    """Seconds per stage of a fit: ``lap("load")`` ends the stage begun at the last lap."""

    def __init__(self) -> None:
        self._last = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        tick = time.perf_counter()
        self.seconds[stage] = tick - self._last
        self._last = tick


def fitted_run(
    spec: RunSpec,
    kind: str,
    *,
    points: list[dict[str, Any]],
    clock: Stopwatch,
    model: Any,
    learner: Any,
    dataset: Any,
    extra: dict[str, Any] | None = None,
    **front: Any,
) -> TrainedRun:
    """The :class:`TrainedRun` of a fit: its points (marked) typed into a Front with the
    ``front`` fields, the rounds on the front, and the timings."""
    return TrainedRun(
        spec=spec,
        kind=kind,
        front=Front(
            kind=kind,  # type: ignore[arg-type]
            dataset=dataset.name,
            protected=[p.describe() for p in dataset.protected],
            learner=spec.learner,
            front_rounds=[p["round"] for p in points if p["on_front"]],
            points=[Point.model_validate(p) for p in points],
            **front,
        ),
        model=model,
        learner=learner,
        dataset=dataset,
        seconds=clock.seconds,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        extra=extra or {},
    )


def describe_dataset(data: Any, **target: Any) -> dict[str, Any]:
    """``run.json``'s dataset part: ``target`` (target/positive or tasks/positives), the
    feature kinds, the protected attributes, rows and warnings."""
    return {
        "name": data.name,
        **target,
        "categorical": data.categorical,
        "numeric": data.numeric,
        "protected": [p.describe() for p in data.protected],
        "rows": {"train": len(data.X), "test": 0 if data.X_test is None else len(data.X_test)},
        "warnings": data.warnings,
    }


def describe_learner(spec: RunSpec, learner: Any, **more: Any) -> dict[str, Any]:
    """``run.json``'s learner part: name, class, parameters, stop reason and ``more``."""
    return {
        "name": spec.learner,
        "class": type(learner).__name__,
        "params": json_params(learner.get_params(deep=False)),
        "stop_reason": learner.stop_reason_,
        **more,
    }
