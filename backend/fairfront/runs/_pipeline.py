"""The run pipeline every learner family goes through: check, train, write, load, export."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from ._directory import check_files, read_run, write_run_directory
from ._family import OnPoint, PartedFamily, TrainedRun, family_for
from ._spec import RunSpec

__all__ = [
    "check",
    "combine_parts",
    "export_point",
    "load_model",
    "parts",
    "run_data",
    "train",
    "train_part",
    "write_run",
]


def check(spec: RunSpec, *, data: bool = False) -> None:
    """Refuse a bad spec before any data is read (a ValueError naming the field); with
    ``data``, also what a quick look at the data shows (typed dataset errors)."""
    family = family_for(spec.family)
    family.check(spec)
    if data:
        family.check_data(spec)


def train(spec: RunSpec, *, on_point: OnPoint | None = None, dataset: Any = None) -> TrainedRun:
    """Fit the learner of ``spec`` through its family; ``on_point`` sees each point live."""
    return family_for(spec.family).fit(spec, on_point, dataset)


def run_data(spec: RunSpec) -> Any:
    """The data a run of ``spec`` trains on: the same rows and split every time (a
    :class:`~fairfront.datasets.Dataset`, or a multi-task view for the multi-task
    learners)."""
    if spec.family == "multitask":
        from ._multitask import load_data as load_view

        return load_view(spec)
    from ._boosting import load_data

    return load_data(spec)


def parts(spec: RunSpec) -> int:
    """How many independent fits ``spec`` is made of (a sweep's settings, for the families
    that fit a setting on its own); a run of one part is trained with :func:`train`."""
    family = family_for(spec.family)
    return cast(PartedFamily, family).parts(spec) if hasattr(family, "parts") else 1


def _parted(spec: RunSpec) -> PartedFamily:
    family = family_for(spec.family)
    if not hasattr(family, "fit_part"):
        raise ValueError(f"{spec.learner} runs are fitted whole, not part by part")
    return cast(PartedFamily, family)


def train_part(spec: RunSpec, index: int, *, on_point: OnPoint | None = None) -> Any:
    """Fit part ``index`` of ``spec`` (anywhere: another process, another machine); the
    result is picklable and goes to :func:`combine_parts` with the others."""
    return _parted(spec).fit_part(spec, index, on_point)


def combine_parts(spec: RunSpec, fitted: list[Any]) -> TrainedRun:
    """The run made of every part's fit: one union front and one selection over it."""
    return _parted(spec).combine(spec, fitted)


def write_run(run: TrainedRun, out: Path) -> None:
    """Write the run directory (``front.json``, ``run.json``, model files), all or nothing."""
    family = family_for(run.kind)
    described = family.describe(run)
    write_run_directory(
        Path(out),
        kind=run.kind,
        front=run.front,
        run={
            "created": run.created,
            "spec": run.spec.to_dict(),
            **described,
            "selection": run.selection.model_dump(mode="json"),
            "seconds": run.seconds,
        },
        write_models=lambda folder: family.save(run, folder),
    )


def load_model(out: Path, round: int | None = None) -> Any:
    """The fitted model of a run this program wrote, after checking every file's sha256.

    Boosting: the preprocess + learner pipeline (``at_round`` gives any round);
    multi-task: the point's :class:`~fairfront.runs.MultiTaskModel` (default: the
    selected point). Only files written by :func:`write_run` on this machine are loaded;
    never pass a path to bytes someone else sent.
    """
    run = read_run(out)
    check_files(Path(out), run)
    return family_for(run["kind"]).load(Path(out), run, round)


def export_point(run_dir: Path, round: int | None = None) -> tuple[bytes, dict[str, Any]]:
    """One point of a run (default: the selected one) as ONNX bytes and its model card."""
    run = read_run(run_dir)
    return family_for(run["kind"]).export(Path(run_dir), round)
