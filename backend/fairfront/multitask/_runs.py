"""A multi-task run: load a view, fit, score every epoch per task, compare with single tasks.

``front.json`` keeps the shape of the boosting runs (a point per epoch, ``round`` = the
epoch, ``validation`` / ``test`` blocks read by :mod:`fairfront.fronts`) where those
blocks hold the **mean over tasks**, and adds:

* per point, ``tasks`` (each task's ``validation`` and ``test`` blocks, each with the
  task's own ``trivial`` flag; the point's ``trivial`` is true when any task's validation
  predictions are) and ``worst`` (the worst task per figure: lowest accuracy, highest
  violation);
* at the top, ``tasks`` (names and positive classes) and ``baselines``: the single-task
  models (the same network with T = 1, trained the same way) with their test figures,
  and the gains of the multi-task model over them (knowledge gain = accuracy MTL - STL,
  also in balanced accuracy; discrimination gain = violation MTL - STL, lower is better)
  per task and averaged.

A run directory holds ``front.json``, ``run.json`` (spec, network structure, sha256 of
the model files), ``model.pt`` (the chosen checkpoint's ``state_dict``, loaded with
``torch.load(weights_only=True)``) and ``preprocess.joblib`` (the fitted preprocessor,
loaded only after its sha256 matches ``run.json``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from itertools import product
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import torch
from sklearn.compose import ColumnTransformer

from ..datasets import MultiTaskDataset, load_multitask
from ..fronts import mark_front, mark_selected
from ..metrics import NOTIONS, evaluate_many
from ..training import FRONT_FILE, RUN_FILE, RunDirectoryError, _sha256, _staging, _versions
from ..training import _write_json as write_json
from ._estimators import (
    TRACKED_NOTIONS,
    EpochInfo,
    FairBranchClassifier,
    L2TFMTClassifier,
    MultiTaskBase,
    MultiTaskMLPClassifier,
    choose_checkpoint,
)
from ._network import BranchedNetwork

__all__ = [
    "MTL_LEARNERS",
    "MultiTaskRun",
    "MultiTaskSpec",
    "aggregate_blocks",
    "build_multitask_learner",
    "gains",
    "load_multitask_model",
    "read_multitask_run",
    "task_blocks",
    "train_multitask",
    "write_multitask_run",
]

MTL_LEARNERS: dict[str, type[MultiTaskBase]] = {
    "fairbranch": FairBranchClassifier,
    "l2t_fmt": L2TFMTClassifier,
    "mtl": MultiTaskMLPClassifier,
}
STATE_FILE, PREPROCESS_FILE = "model.pt", "preprocess.joblib"
MAX_EPOCHS = 1000
MAX_SETTINGS = 12


@dataclass
class MultiTaskSpec:
    """Everything that defines a multi-task run; JSON-friendly."""

    data: str
    tasks: list[str] | None = None
    positives: dict[str, str] = field(default_factory=dict)
    protected: list[str] | None = None
    drop: list[str] = field(default_factory=list)
    learner: str = "fairbranch"
    epochs: int = 30
    params: dict[str, Any] = field(default_factory=dict)
    test_size: float | None = None
    random_state: int = 0
    baseline: bool = True
    sweep: dict[str, list[Any]] = field(default_factory=dict)
    """Learner parameters to try, e.g. ``{"fairness_weight": [0.5, 1, 2]}``: one fit per
    combination, a point per (setting, epoch), one selection rule over all of them."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def settings(self) -> list[dict[str, Any]]:
        """The combinations of :attr:`sweep` (``[{}]`` without a sweep), checked."""
        if learner_class := MTL_LEARNERS.get(self.learner):
            known = set(learner_class().get_params(deep=False))
            fixed = {"max_epochs", "random_state"}
            for name, values in self.sweep.items():
                if name not in known or name in fixed:
                    allowed = ", ".join(sorted(known - fixed))
                    raise ValueError(
                        f"cannot sweep {name!r}: {self.learner} has no such parameter "
                        f"(it has {allowed})"
                    )
                if name in self.params:
                    raise ValueError(f"{name!r} is both a fixed parameter and swept; give one")
                if not isinstance(values, list | tuple) or not values:
                    raise ValueError(f"sweep {name!r}: give a non-empty list of values")
        combos = product(*self.sweep.values())
        settings = [dict(zip(self.sweep, combo, strict=True)) for combo in combos]
        if len(settings) > MAX_SETTINGS:
            raise ValueError(
                f"the sweep has {len(settings)} settings; at most {MAX_SETTINGS} are allowed"
            )
        return settings


def build_multitask_learner(
    spec: MultiTaskSpec, setting: Mapping[str, Any] | None = None
) -> MultiTaskBase:
    """The unfitted estimator a spec asks for (with one ``setting`` of its sweep)."""
    if spec.learner not in MTL_LEARNERS:
        raise ValueError(
            f"unknown multi-task learner {spec.learner!r}; choose from {', '.join(MTL_LEARNERS)}"
        )
    if not 1 <= spec.epochs <= MAX_EPOCHS:
        raise ValueError(f"epochs must be between 1 and {MAX_EPOCHS}, got {spec.epochs}")
    return MTL_LEARNERS[spec.learner](
        max_epochs=spec.epochs, random_state=spec.random_state, **spec.params, **(setting or {})
    )


def setting_label(setting: Mapping[str, Any]) -> str:
    """``fairness_weight=2, tau=0.6``; empty for no setting."""
    return ", ".join(f"{k}={v}" for k, v in setting.items())


def _checkpoint_label(setting: Mapping[str, Any], epoch: int) -> str:
    return ", ".join(filter(None, [setting_label(setting), f"epoch {epoch}"]))


@dataclass
class SweepFit:
    """The fits of one sweep (one per setting) and the checkpoint chosen among them all."""

    settings: list[dict[str, Any]]
    learners: list[MultiTaskBase]
    chosen: int
    """Index of the chosen setting."""
    reason: str

    @property
    def learner(self) -> MultiTaskBase:
        """The chosen setting's fit, predicting with the chosen epoch."""
        return self.learners[self.chosen]

    def checkpoints(self) -> list[tuple[int, int]]:
        """(setting index, epoch) of every checkpoint, in fit order."""
        return [(i, e) for i, fit in enumerate(self.learners) for e in range(1, fit.n_epochs_ + 1)]


def fit_sweep(
    make: Callable[[Mapping[str, Any]], MultiTaskBase],
    settings: Sequence[dict[str, Any]],
    X: Any,
    Y: Any,
    sensitive: Any,
    on_epoch: Callable[[EpochInfo], None] | None = None,
) -> SweepFit:
    """One fit per setting; then the checkpoint with the lowest validation score over all.

    The rule is each learner's own (:func:`choose_checkpoint` over its validation
    score), applied to every (setting, epoch); with one setting it is the learner's own
    choice. Each fit's ``random_state`` is the same, so settings differ only by their
    parameters.
    """
    learners = []
    for setting in settings:
        learner = make(setting)
        callback = None
        if on_epoch is not None:

            def callback(info: EpochInfo, setting: dict[str, Any] = setting) -> None:
                on_epoch(replace(info, setting=dict(setting)))

        learners.append(learner.fit(X, Y, sensitive_features=sensitive, callback=callback))
    fits = SweepFit(list(settings), learners, 0, "")
    where = fits.checkpoints()
    index, reason = choose_checkpoint(
        [learners[i].validation_score_[e - 1] for i, e in where],
        [learners[i].history_[e - 1]["trivial"] for i, e in where],
        learners[0]._score_text(),
        [_checkpoint_label(settings[i], e) for i, e in where],
    )
    fits.chosen, epoch = where[index]
    fits.learner._use_epoch(epoch)
    fits.learner.selection_reason_ = fits.reason = reason
    return fits


def aggregate_blocks(blocks: Sequence[Mapping[str, Any]], how: str = "mean") -> dict[str, Any]:
    """One block from per-task blocks: their mean, or the worst task per figure."""

    def combine(values: list[Any], higher_is_better: bool) -> float | None:
        known = [float(v) for v in values if v is not None]
        if not known:
            return None
        if how == "mean":
            return float(np.mean(known))
        return float(min(known) if higher_is_better else max(known))

    out: dict[str, Any] = {}
    for metric in ("accuracy", "balanced_accuracy"):
        out[metric] = combine([b[metric] for b in blocks], True)
    notions = [n for n in NOTIONS if n in blocks[0]]
    for notion in notions:
        attributes = list(blocks[0][notion]["by_attribute"])
        out[notion] = {
            "value": combine([b[notion]["value"] for b in blocks], False),
            "by_attribute": {
                a: combine([b[notion]["by_attribute"][a] for b in blocks], False)
                for a in attributes
            },
        }
    return out


def task_blocks(
    Y: np.ndarray, predicted: np.ndarray, sensitive: Any, tasks: Sequence[str]
) -> tuple[list[dict[str, dict[str, Any]]], list[bool]]:
    """Per model (the m columns of ``predicted``, shape n x T x m) and task, a metrics block.

    Every number comes from :func:`fairfront.metrics.evaluate_many`; each block also says
    whether that task's predictions are ``trivial`` (one class for nearly every row).
    """
    m = predicted.shape[2]
    blocks: list[dict[str, dict[str, Any]]] = [{} for _ in range(m)]
    trivial = [False] * m
    for t, name in enumerate(tasks):
        metrics = evaluate_many(
            Y[:, t], predicted[:, t, :], sensitive_features=sensitive, notions=TRACKED_NOTIONS
        )
        for i in range(m):
            blocks[i][name] = {**metrics.block(i), "trivial": bool(metrics.trivial[i])}
            trivial[i] = trivial[i] or bool(metrics.trivial[i])
    return blocks, trivial


def gains(
    mtl: Mapping[str, Mapping[str, Any]], stl: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """Knowledge gain (accuracy MTL - STL) and discrimination gain (violation MTL - STL).

    Per task and averaged over tasks; the knowledge gain in balanced accuracy too
    (``balanced_knowledge_gain``, the figure a class-balanced fit aims at), and
    discrimination gains for every tracked notion (lower is better, as for violations).
    """
    per_task: dict[str, Any] = {}
    for task, block in mtl.items():
        base = stl[task]
        per_task[task] = {
            "knowledge_gain": _diff(block["accuracy"], base["accuracy"]),
            "balanced_knowledge_gain": _diff(block["balanced_accuracy"], base["balanced_accuracy"]),
            "discrimination_gain": {
                n: _diff(block[n]["value"], base[n]["value"]) for n in TRACKED_NOTIONS
            },
        }
    values = list(per_task.values())
    return {
        "tasks": per_task,
        "mean": {
            "knowledge_gain": _mean([v["knowledge_gain"] for v in values]),
            "balanced_knowledge_gain": _mean([v["balanced_knowledge_gain"] for v in values]),
            "discrimination_gain": {
                n: _mean([v["discrimination_gain"][n] for v in values]) for n in TRACKED_NOTIONS
            },
        },
    }


def _diff(a: Any, b: Any) -> float | None:
    return None if a is None or b is None else float(a) - float(b)


def _mean(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return float(np.mean(known)) if known else None


@dataclass
class MultiTaskRun:
    """A fitted multi-task run: the data, the fits, a point per checkpoint, the baselines.

    ``learner`` is the chosen setting's fit, predicting with the chosen epoch;
    ``selected`` is the chosen point's index in ``points``.
    """

    spec: MultiTaskSpec
    dataset: MultiTaskDataset
    preprocess: ColumnTransformer
    fits: SweepFit
    points: list[dict[str, Any]]
    selected: int
    baselines: dict[str, Any] | None
    seconds: dict[str, float]
    created: str

    @property
    def learner(self) -> MultiTaskBase:
        return self.fits.learner

    @property
    def setting(self) -> dict[str, Any]:
        """The swept parameters of the chosen point (empty without a sweep)."""
        return self.fits.settings[self.fits.chosen]

    def front(self) -> dict[str, Any]:
        """The ``front.json`` document."""
        return {
            "format": "fairfront.front/1",
            "multitask": True,
            "dataset": self.dataset.name,
            "tasks": [
                {"name": t, "positive": self.dataset.positives[t]} for t in self.dataset.tasks
            ],
            "protected": [p.describe() for p in self.dataset.protected],
            "learner": self.spec.learner,
            "sweep": self.spec.sweep,
            "notions": list(TRACKED_NOTIONS),
            "notion_labels": {n: NOTIONS[n].label for n in TRACKED_NOTIONS},
            "objectives": (
                "validation split, held out inside fit; point blocks are the mean over "
                "tasks ('worst': the worst task per figure); test figures only reported"
            ),
            "selection": {
                "round": int(self.points[self.selected]["round"]),
                "epoch": int(self.learner.selected_epoch_),
                "setting": self.setting,
                "rule": {"kind": "validation_score", "score": self.learner._score_text()},
                "reason": self.fits.reason,
            },
            "front_rounds": [p["round"] for p in self.points if p["on_front"]],
            "baseline": None,
            "baselines": self.baselines,
            "points": self.points,
        }


def _points(fits: SweepFit, X: Any, dataset: MultiTaskDataset) -> list[dict[str, Any]]:
    """A point per (setting, epoch); ``round`` numbers them 1, 2, ... in fit order."""
    tasks = dataset.tasks
    points: list[dict[str, Any]] = []
    for i, e in fits.checkpoints():
        learner = fits.learners[i]
        blocks = learner.validation_blocks_[e - 1]
        ordered = [blocks[t] for t in tasks]
        points.append(
            {
                "round": len(points) + 1,
                "epoch": e,
                "setting": fits.settings[i],
                "on_front": False,
                "selected": False,
                "trivial": bool(learner.history_[e - 1]["trivial"]),
                "validation_score": learner.validation_score_[e - 1],
                "validation": aggregate_blocks(ordered),
                "worst": {"validation": aggregate_blocks(ordered, "worst")},
                "tasks": {t: {"validation": blocks[t]} for t in tasks},
            }
        )
    if dataset.X_test is not None and dataset.Y_test is not None and X is not None:
        predicted = np.stack(
            [fits.learners[i].at_epoch(e).predict(X) for i, e in fits.checkpoints()], axis=2
        )
        test_blocks, _ = task_blocks(dataset.Y_test, predicted, dataset.sensitive_test, tasks)
        for point, blocks in zip(points, test_blocks, strict=True):
            ordered = [blocks[t] for t in tasks]
            point["test"] = aggregate_blocks(ordered)
            point["worst"]["test"] = aggregate_blocks(ordered, "worst")
            for t in tasks:
                point["tasks"][t]["test"] = blocks[t]
    mark_front(points, ["eo_sum"])
    mark_selected(points, _selected_index(fits))
    return points


def _selected_index(fits: SweepFit) -> int:
    return fits.checkpoints().index((fits.chosen, fits.learner.selected_epoch_))


def _baselines(
    fits: SweepFit,
    X: Any,
    X_test: Any,
    dataset: MultiTaskDataset,
    selected: Mapping[str, Any],
) -> dict[str, Any]:
    """Single-task models: the learner's class, parameters and sweep with T = 1, per task."""
    learner = fits.learners[0]
    params = learner.get_params(deep=False)
    swept = ", the same sweep" if len(fits.settings) > 1 else ""
    out: dict[str, Any] = {
        "description": (
            f"{type(learner).__name__} with one task (T = 1), same parameters{swept}, split "
            "and selection rule, one model per task"
        ),
        "tasks": {},
    }
    for t, task in enumerate(dataset.tasks):
        single_fits = fit_sweep(
            lambda setting: type(learner)(**{**params, **setting}),
            fits.settings,
            X,
            dataset.Y[:, t],
            dataset.sensitive,
        )
        single = single_fits.learner
        entry: dict[str, Any] = {
            "epoch": int(single.selected_epoch_),
            "setting": single_fits.settings[single_fits.chosen],
            "epochs_fitted": int(sum(f.n_epochs_ for f in single_fits.learners)),
            "fit_seconds": float(sum(f.fit_seconds_ for f in single_fits.learners)),
            "validation": single.validation_blocks_[single.selected_epoch_ - 1][single.tasks_[0]],
        }
        if X_test is not None and dataset.Y_test is not None:
            predicted = single.predict(X_test).reshape(-1, 1, 1)
            blocks, _ = task_blocks(
                dataset.Y_test[:, t : t + 1], predicted, dataset.sensitive_test, [task]
            )
            entry["test"] = blocks[0][task]
        out["tasks"][task] = entry
    split = "test" if dataset.X_test is not None else "validation"
    stl = {task: entry[split] for task, entry in out["tasks"].items()}
    mtl = {task: selected["tasks"][task][split] for task in dataset.tasks}
    out["split"] = split
    out["mean"] = aggregate_blocks([stl[t] for t in dataset.tasks])
    out["gains"] = gains(mtl, stl)
    return out


def train_multitask(
    spec: MultiTaskSpec,
    *,
    dataset: MultiTaskDataset | None = None,
    on_epoch: Callable[[EpochInfo], None] | None = None,
) -> MultiTaskRun:
    """Fit the multi-task learner of ``spec`` (once per setting of its sweep); score every
    checkpoint; fit the baselines."""
    settings = spec.settings()
    for setting in settings:  # refuse a bad parameter value before loading data or fitting
        build_multitask_learner(spec, setting)._validate_params()
    started = time.perf_counter()
    if dataset is None:
        dataset = load_multitask(
            spec.data,
            tasks=spec.tasks,
            positives=spec.positives or None,
            protected=spec.protected,
            drop=spec.drop,
            test_size=spec.test_size,
            random_state=spec.random_state,
        )
    loaded = time.perf_counter()
    preprocess = dataset.preprocessor()
    X = preprocess.fit_transform(dataset.X)
    fits = fit_sweep(
        lambda setting: build_multitask_learner(spec, setting),
        settings,
        X,
        dataset.task_frame(dataset.Y),
        dataset.sensitive,
        on_epoch,
    )
    fitted = time.perf_counter()
    X_test = preprocess.transform(dataset.X_test) if dataset.X_test is not None else None
    points = _points(fits, X_test, dataset)
    scored = time.perf_counter()
    selected = _selected_index(fits)
    baselines = _baselines(fits, X, X_test, dataset, points[selected]) if spec.baseline else None
    return MultiTaskRun(
        spec=spec,
        dataset=dataset,
        preprocess=preprocess,
        fits=fits,
        points=points,
        selected=selected,
        baselines=baselines,
        seconds={
            "load": loaded - started,
            "fit": fitted - loaded,
            "score": scored - fitted,
            "baseline": time.perf_counter() - scored,
        },
        created=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def write_multitask_run(run: MultiTaskRun, out: Path) -> None:
    """Write ``front.json``, ``run.json``, ``model.pt`` and ``preprocess.joblib``, all or none."""
    out = Path(out)
    learner = run.learner
    with _staging(out) as scratch:
        torch.save(learner.network_.state_dict(), scratch / STATE_FILE)
        joblib.dump(run.preprocess, scratch / PREPROCESS_FILE)
        write_json(scratch / FRONT_FILE, run.front())
        dataset = run.dataset
        params = {
            k: v if isinstance(v, str | int | float | bool | type(None)) else repr(v)
            for k, v in learner.get_params(deep=False).items()
        }
        write_json(
            scratch / RUN_FILE,
            {
                "format": "fairfront.run/1",
                "kind": "multitask",
                "created": run.created,
                "spec": run.spec.to_dict(),
                "dataset": {
                    "name": dataset.name,
                    "tasks": dataset.tasks,
                    "positives": dataset.positives,
                    "categorical": dataset.categorical,
                    "numeric": dataset.numeric,
                    "protected": [p.describe() for p in dataset.protected],
                    "rows": {
                        "train": len(dataset.X),
                        "test": 0 if dataset.X_test is None else len(dataset.X_test),
                    },
                    "warnings": dataset.warnings,
                },
                "learner": {
                    "name": run.spec.learner,
                    "class": type(learner).__name__,
                    "params": params,
                    "sweep": run.spec.sweep,
                    "epochs_fitted": int(learner.n_epochs_),
                    "setting": run.setting,
                    "stop_reason": learner.stop_reason_,
                    "network": learner.network_.config(),
                    "task_weights": [float(w) for w in learner.task_weights_],
                    "class_weights": {
                        task: {"negative": float(w[0]), "positive": float(w[1])}
                        for task, w in zip(learner.tasks_, learner.class_weights_, strict=True)
                    },
                    "branching": getattr(learner, "branch_log_", None),
                },
                "selection": run.front()["selection"],
                "seconds": run.seconds,
                "versions": {**_versions(), "torch": torch.__version__},
                "model_sha256": _sha256(scratch / STATE_FILE),
                "preprocess_sha256": _sha256(scratch / PREPROCESS_FILE),
            },
        )


def read_multitask_run(out: Path) -> dict[str, Any]:
    """``run.json`` of a multi-task run directory; a clear error when it is not one."""
    import json

    out = Path(out)
    names = (RUN_FILE, FRONT_FILE, STATE_FILE, PREPROCESS_FILE)
    missing = [n for n in names if not (out / n).is_file()]
    if not out.is_dir() or missing:
        raise RunDirectoryError(
            f"{str(out)!r} holds no complete multi-task run (missing: "
            f"{', '.join(missing) or 'the folder'}); make one with "
            "`fairfront train ... --tasks T1 T2 --out DIR`"
        )
    document: dict[str, Any] = json.loads((out / RUN_FILE).read_text(encoding="utf-8"))
    if document.get("kind") != "multitask":
        raise RunDirectoryError(f"{str(out)!r} holds a single-task run, not a multi-task one")
    return document


def load_multitask_model(out: Path) -> tuple[ColumnTransformer, BranchedNetwork, dict[str, Any]]:
    """The fitted preprocessor, the network and ``run.json`` of a run this program wrote.

    Both files are checked against the sha256 in ``run.json``; the weights load with
    ``torch.load(weights_only=True)`` (tensors only, no code).
    """
    out = Path(out)
    run = read_multitask_run(out)
    for name, key in ((STATE_FILE, "model_sha256"), (PREPROCESS_FILE, "preprocess_sha256")):
        if _sha256(out / name) != run.get(key):
            raise RunDirectoryError(
                f"{str(out / name)!r} does not match the sha256 recorded in run.json; "
                "refusing to load it"
            )
    network = BranchedNetwork.from_config(run["learner"]["network"])
    network.load_state_dict(torch.load(out / STATE_FILE, weights_only=True))
    network.eval()
    # Our own file, sha256-checked above; user-sent bytes never reach this.
    preprocess: ColumnTransformer = joblib.load(out / PREPROCESS_FILE)
    return preprocess, network, run
