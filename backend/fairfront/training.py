"""Former home of the run pipeline, kept for the names other modules still import.

The pipeline is :mod:`fairfront.runs` (one spec, one ``train``, one run directory
format for every learner family); these names are derived from it and from
:mod:`fairfront.vocabulary`.
"""

from __future__ import annotations

from typing import Any

from .runs import (
    MAX_EPOCHS,
    MAX_ROUNDS,
    RunDirectoryError,
    RunSpec,
    TrainedRun,
    family_for,
    load_model,
    read_front,
    read_run,
    train,
    write_run,
)
from .vocabulary import LEARNERS as _VOCABULARY
from .vocabulary import learner_names

__all__ = [
    "ADAFAIR_NOTIONS",
    "LEARNERS",
    "MAX_EPOCHS",
    "MAX_ROUNDS",
    "MTL_LEARNERS",
    "RunDirectoryError",
    "RunSpec",
    "TrainedRun",
    "build_learner",
    "load_model",
    "read_front",
    "read_run",
    "train",
    "write_run",
]

LEARNERS = learner_names("boosting")
MTL_LEARNERS = learner_names("multitask")
ADAFAIR_NOTIONS = _VOCABULARY["adafair"].notions


def build_learner(spec: RunSpec) -> Any:
    """The unfitted estimator a spec asks for, with its parameters checked."""
    return family_for(spec.family).build(spec)
