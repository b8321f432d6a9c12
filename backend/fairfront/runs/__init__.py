"""Runs: one pipeline for every learner family.

A :class:`RunSpec` names the data, the target (or the tasks), the protected attributes,
the learner (its family comes from :data:`fairfront.vocabulary.LEARNERS`), the notions,
constraints, rounds or epochs, a sweep and the learner's parameters. Then:

* :func:`check` refuses a bad spec before any data is read;
* :func:`train` fits it through its family (``_family``: the protocol and the registry;
  ``_boosting``: AdaFair, MMM-Fair and any learner with their interface; ``_multitask``:
  FairBranch, L2T-FMT, the plain network), calling ``on_point`` with each
  :class:`PointEvent` as it comes; it returns a :class:`TrainedRun` whose ``front`` is a
  typed :class:`~fairfront.fronts.Front`;
* a run of several parts (a sweep's settings) can also be fitted part by part anywhere
  (:func:`parts`, :func:`train_part`) and joined with :func:`combine_parts`;
* :func:`write_run` writes one run directory format (``_directory``: staging folder
  renamed into place, sha256 of every model file, versions, the family as ``kind``);
  :func:`read_run`, :func:`read_front`, :func:`load_model` (sha256 checked first) read it;
* :func:`export_point` turns one point into ONNX bytes and a model card.

Nothing here imports a web framework; the multi-task family imports torch only when used.
"""

from ._directory import (
    FRONT_FILE,
    RUN_FILE,
    RunDirectoryError,
    file_sha256,
    read_front,
    read_run,
    run_kind,
)
from ._family import (
    WARM_UP_SPECS,
    Family,
    OnPoint,
    PointEvent,
    TrainedRun,
    family_for,
    import_families,
    register_family,
    warm_up_families,
)
from ._pipeline import (
    check,
    combine_parts,
    export_point,
    load_model,
    parts,
    run_data,
    train,
    train_part,
    write_run,
)
from ._spec import MAX_EPOCHS, MAX_ROUNDS, MAX_SETTINGS, RunSpec, SpecError, setting_label

__all__ = [
    "FRONT_FILE",
    "MAX_EPOCHS",
    "MAX_ROUNDS",
    "MAX_SETTINGS",
    "RUN_FILE",
    "WARM_UP_SPECS",
    "Family",
    "OnPoint",
    "PointEvent",
    "RunDirectoryError",
    "RunSpec",
    "SpecError",
    "TrainedRun",
    "check",
    "combine_parts",
    "export_point",
    "family_for",
    "file_sha256",
    "import_families",
    "load_model",
    "parts",
    "read_front",
    "read_run",
    "register_family",
    "run_data",
    "run_kind",
    "setting_label",
    "train",
    "train_part",
    "warm_up_families",
    "write_run",
]
