"""The multi-task family: one fit per sweep setting, a point per (setting, epoch).

A point's ``validation`` / ``test`` blocks hold the **mean over tasks** (what the
front is drawn over, ``eo_sum`` against accuracy), ``tasks`` each task's blocks (with
its own ``trivial`` flag; the point is trivial when any task is) and ``worst`` the worst
task per figure. The front's ``baselines`` are the single-task models (the same network
with T = 1, the same parameters, sweep and selection rule) with the gains of the
multi-task model over them: knowledge gain = accuracy MTL - STL (also in balanced
accuracy), discrimination gain = violation MTL - STL (lower is better), per task and
averaged.

Model files: ``model.pt`` (every point's network weights, ``{"round-<r>": state_dict}``,
loaded with ``torch.load(weights_only=True)``: tensors only) and ``preprocess.joblib``
(the fitted preprocessor); ``run.json`` holds each point's network structure, so every
point can be exported, not only the chosen one. Needs torch (the ``mtl`` extra).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import torch
from sklearn.compose import ColumnTransformer

from ..datasets import MULTITASK_VIEWS, MultiTaskDataset, load_multitask
from ..fronts import FrontSelection, MultiTaskBaselines, Point, TaskInfo, mark_front
from ..learners.multitask import (
    TRACKED_NOTIONS,
    BranchedNetwork,
    EpochInfo,
    MultiTaskBase,
    choose_checkpoint,
)
from ..metrics import NOTIONS, evaluate_many
from ._directory import library_versions
from ._family import OnPoint, PointEvent, TrainedRun
from ._shared import Stopwatch, data_options, describe_dataset, describe_learner, fitted_run
from ._spec import MAX_EPOCHS, RunSpec, SpecError, check_sweep, setting_label

__all__ = [
    "FRONT_OBJECTIVES",
    "MULTITASK",
    "MultiTaskFamily",
    "MultiTaskModel",
    "MultiTaskPart",
    "SweepFit",
    "aggregate_blocks",
    "choose_over",
    "gains",
    "task_blocks",
    "torch_threads",
]

STATE_FILE, PREPROCESS_FILE = "model.pt", "preprocess.joblib"
FRONT_OBJECTIVES = ("eo_sum",)
"""The notion the multi-task front is drawn over (with accuracy and balanced accuracy)."""
_FIXED = {"max_epochs", "random_state"}


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
        """(setting index, epoch) of every checkpoint, in fit order; round = index + 1."""
        return [(i, e) for i, fit in enumerate(self.learners) for e in range(1, fit.n_epochs_ + 1)]

    def selected_index(self) -> int:
        return self.checkpoints().index((self.chosen, self.learner.selected_epoch_))


def choose_over(settings: Sequence[dict[str, Any]], learners: Sequence[MultiTaskBase]) -> SweepFit:
    """The checkpoint with the lowest validation score over every setting's fit.

    The rule is each learner's own (:func:`choose_checkpoint` over its validation score)
    applied to every (setting, epoch); with one setting it is the learner's own choice.
    Each fit has the same ``random_state``, so settings differ only by their parameters;
    the chosen fit is set to predict with the chosen epoch.
    """
    fits = SweepFit(list(settings), list(learners), 0, "")
    where = fits.checkpoints()
    index, reason = choose_checkpoint(
        [learners[i].validation_score_[e - 1] for i, e in where],
        [learners[i].history_[e - 1]["trivial"] for i, e in where],
        learners[0].score_description(),
        [", ".join(filter(None, [setting_label(settings[i]), f"epoch {e}"])) for i, e in where],
    )
    fits.chosen, epoch = where[index]
    fits.learner.use_epoch(epoch)
    fits.learner.selection_reason_ = fits.reason = reason
    return fits


@dataclass
class MultiTaskPart:
    """One setting of a multi-task run, fitted (a part that may come back from another
    process): the network, and with baselines one single-task network per task."""

    index: int
    setting: dict[str, Any]
    preprocess: Any
    learner: MultiTaskBase
    singles: list[MultiTaskBase]
    seconds: dict[str, float]


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
    for notion in (n for n in NOTIONS if n in blocks[0]):
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
) -> list[dict[str, dict[str, Any]]]:
    """Per model (the m columns of ``predicted``, shape n x T x m) and task, a metrics block
    from :func:`fairfront.metrics.evaluate_many`, with the task's ``trivial`` flag."""
    blocks: list[dict[str, dict[str, Any]]] = [{} for _ in range(predicted.shape[2])]
    for t, name in enumerate(tasks):
        metrics = evaluate_many(
            Y[:, t], predicted[:, t, :], sensitive_features=sensitive, notions=TRACKED_NOTIONS
        )
        for i, block in enumerate(blocks):
            block[name] = {**metrics.block(i), "trivial": bool(metrics.trivial[i])}
    return blocks


def _diff(a: Any, b: Any) -> float | None:
    return None if a is None or b is None else float(a) - float(b)


def _mean(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return float(np.mean(known)) if known else None


def gains(
    mtl: Mapping[str, Mapping[str, Any]], stl: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """Knowledge gain (accuracy MTL - STL) and discrimination gain (violation MTL - STL).

    Per task and averaged over tasks; the knowledge gain in balanced accuracy too
    (``balanced_knowledge_gain``), discrimination gains for every tracked notion.
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


def _validation_point(
    round_: int,
    epoch: int,
    setting: Mapping[str, Any],
    blocks: Mapping[str, Any],
    tasks: Sequence[str],
    trivial: bool,
    score: float | None,
) -> dict[str, Any]:
    ordered = [blocks[t] for t in tasks]
    return {
        "round": round_,
        "epoch": epoch,
        "setting": dict(setting),
        "trivial": bool(trivial),
        "validation_score": score,
        "validation": aggregate_blocks(ordered),
        "worst": {"validation": aggregate_blocks(ordered, "worst")},
        "tasks": {t: {"validation": blocks[t]} for t in tasks},
    }


@dataclass
class MultiTaskModel:
    """One point's model: the fitted preprocessor and that checkpoint's network."""

    preprocess: ColumnTransformer
    network: BranchedNetwork
    tasks: list[str]
    round: int

    def features(self, rows: pd.DataFrame) -> np.ndarray:
        X = self.preprocess.transform(rows)
        return np.asarray(X.toarray() if hasattr(X, "toarray") else X, np.float32)

    def positive_proba(self, rows: pd.DataFrame) -> np.ndarray:
        """P(positive) per row and task, shape (n, T)."""
        with torch.no_grad():
            logits = self.network(torch.from_numpy(self.features(rows)))
            return torch.sigmoid(logits).numpy().astype(np.float64)

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        """0/1 labels per row and task, shape (n, T) (1 = the task's positive class)."""
        with torch.no_grad():
            logits = self.network(torch.from_numpy(self.features(rows)))
            return (logits > 0).numpy().astype(np.int64)


def load_data(spec: RunSpec) -> MultiTaskDataset:
    """The run's multi-task view (the same rows and split every time for a spec)."""
    return load_multitask(
        spec.data, tasks=spec.tasks or None, positives=spec.positives or None, **data_options(spec)
    )


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run torch's CPU operations on ``n`` threads inside the block, as before after it."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass(frozen=True)
class MultiTaskFamily:
    """FairBranch, L2T-FMT and the plain shared trunk; see the module docstring.

    Fits run on ``threads`` torch threads (default 1): the networks are small, so more
    threads only wait on each other -- on a busy 2-core machine a 2-thread fit of COMPAS
    took several times longer than a 1-thread one, with the same numbers.
    """

    kind: str = "multitask"
    threads: int = 1

    def build(self, spec: RunSpec, setting: Mapping[str, Any] | None = None) -> MultiTaskBase:
        cls = spec.term.estimator_class()
        learner: MultiTaskBase = cls(
            max_epochs=spec.epochs,
            random_state=spec.random_state,
            **spec.params,
            **(setting or {}),
        )
        return learner

    def check(self, spec: RunSpec) -> None:
        """Refuse a bad spec before any data is read; the message names the field."""
        term = spec.term
        if term.family != self.kind:
            raise SpecError(
                f"{spec.learner} is a {term.family} learner, not a multi-task one", field="learner"
            )
        if spec.tasks is not None and len(spec.tasks) < 2:
            raise SpecError(
                f"{term.label} learns several tasks at once; name at least two task columns "
                f"(got {', '.join(spec.tasks) or 'none'})",
                field="tasks",
            )
        if spec.tasks is not None and len(set(spec.tasks)) != len(spec.tasks):
            raise SpecError(f"tasks are repeated: {', '.join(spec.tasks)}", field="tasks")
        protected = {p.split(":", 1)[0].strip() for p in spec.protected or []}
        both = [t for t in spec.tasks or [] if t in protected]
        if both:
            raise SpecError(
                f"column {both[0]!r} is a task; it cannot also be protected", field="tasks"
            )
        if spec.constraints:
            raise SpecError(
                f"{term.label} chooses its checkpoint by its validation score; constraints "
                "apply to mmm_fair",
                field="constraints",
            )
        if not 1 <= spec.epochs <= MAX_EPOCHS:
            raise SpecError(
                f"epochs must be between 1 and {MAX_EPOCHS}, got {spec.epochs}", field="epochs"
            )
        known = set(term.estimator_class()().get_params(deep=False))
        allowed = ", ".join(sorted(known - _FIXED))
        for name in spec.params:
            if name not in known or name in _FIXED:
                raise SpecError(
                    f"{spec.learner} has no parameter {name!r}; it takes {allowed}", field="params"
                )
        check_sweep(spec, known - _FIXED)
        for setting in spec.settings():  # a bad parameter value, before any data is read
            self.build(spec, setting).check_params()

    def check_data(self, spec: RunSpec) -> None:
        """Refuse tasks the data cannot give (a column that is not binary, not there...).

        A built-in view's tasks are known to be binary: only their names are checked; a
        CSV is read and checked whole (typed :class:`~fairfront.datasets.DatasetError`).
        """
        view = MULTITASK_VIEWS.get(spec.data)
        if view is None:
            load_data(spec)
            return
        unknown = [t for t in spec.tasks or [] if t not in view.tasks]
        if unknown:
            raise SpecError(
                f"the multi-task view of {spec.data!r} has tasks {', '.join(view.tasks)}; "
                f"not {', '.join(map(repr, unknown))}",
                field="tasks",
            )

    def parts(self, spec: RunSpec) -> int:
        """How many independent fits the run is made of: one per sweep setting."""
        return len(spec.settings())

    def fit(self, spec: RunSpec, on_point: OnPoint | None, dataset: Any = None) -> TrainedRun:
        """Fit every setting here, one after another, and combine them."""
        self.check(spec)
        clock = Stopwatch()
        data: MultiTaskDataset = dataset if dataset is not None else load_data(spec)
        clock.lap("load")
        fitted = [self.fit_part(spec, i, on_point, data) for i in range(self.parts(spec))]
        run = self.combine(spec, fitted, data)
        run.seconds["load"] += clock.seconds["load"]
        return run

    def fit_part(
        self, spec: RunSpec, index: int, on_point: OnPoint | None = None, dataset: Any = None
    ) -> MultiTaskPart:
        """Fit setting ``index``: its network (a point per epoch, live), and with baselines
        its single-task networks. Live points carry the round they have on the union
        front when every setting runs all its epochs (setting ``index`` starts after
        ``index * epochs``)."""
        with torch_threads(self.threads):
            settings = spec.settings()
            setting = settings[index]
            clock = Stopwatch()
            data: MultiTaskDataset = dataset if dataset is not None else load_data(spec)
            clock.lap("load")
            preprocess = data.preprocessor()
            X = preprocess.fit_transform(data.X)
            tasks = list(data.tasks)
            offset, total = index * spec.epochs, spec.epochs * len(settings)

            def callback(info: EpochInfo) -> None:
                if on_point is None:
                    return
                round_ = offset + info.epoch
                point = _validation_point(
                    round_, info.epoch, setting, info.validation, tasks, info.trivial, None
                )
                on_point(
                    PointEvent(
                        Point.model_validate(point), round_, total, FRONT_OBJECTIVES, info.note
                    )
                )

            learner = self.build(spec, setting).fit(
                X, data.task_frame(data.Y), sensitive_features=data.sensitive, callback=callback
            )
            clock.lap("fit")
            singles: list[MultiTaskBase] = []
            if spec.baseline:  # the same class, parameters and setting with T = 1, per task
                params = learner.get_params(deep=False)
                singles = [
                    type(learner)(**params).fit(X, data.Y[:, t], sensitive_features=data.sensitive)
                    for t in range(len(tasks))
                ]
            clock.lap("baseline")
            return MultiTaskPart(index, setting, preprocess, learner, singles, clock.seconds)

    def combine(
        self, spec: RunSpec, parts: Sequence[MultiTaskPart], dataset: Any = None
    ) -> TrainedRun:
        """One run from its settings' fits: every checkpoint a point, scored on the test
        split, one choice over all; the baselines chosen over every setting per task."""
        parts = sorted(parts, key=lambda part: part.index)
        if [part.index for part in parts] != list(range(self.parts(spec))):
            raise ValueError(
                f"a run of {self.parts(spec)} settings needs each setting's fit once; got "
                f"{[part.index for part in parts]}"
            )
        with torch_threads(self.threads):
            clock = Stopwatch()
            data: MultiTaskDataset = dataset if dataset is not None else load_data(spec)
            clock.lap("load")
            settings = [part.setting for part in parts]
            fits = choose_over(settings, [part.learner for part in parts])
            preprocess = parts[0].preprocess  # every part fitted it on the same rows
            X_test = preprocess.transform(data.X_test) if data.X_test is not None else None
            points = self._points(fits, X_test, data)
            clock.lap("score")
            selected = fits.selected_index()
            baselines = (
                self._baselines(fits, parts, X_test, data, points[selected])
                if spec.baseline
                else None
            )
            clock.lap("baseline")
        for stage in ("load", "fit", "baseline"):  # the parts' own stages, summed
            clock.seconds[stage] = clock.seconds.get(stage, 0.0) + sum(
                part.seconds.get(stage, 0.0) for part in parts
            )
        tasks = list(data.tasks)
        learner = fits.learner
        return fitted_run(
            spec,
            self.kind,
            points=points,
            clock=clock,
            model=MultiTaskModel(preprocess, learner.network_, tasks, selected + 1),
            learner=learner,
            dataset=data,
            extra={"fits": fits, "preprocess": preprocess},
            tasks=[TaskInfo(name=t, positive=data.positives[t]) for t in tasks],
            sweep=spec.sweep,
            notions=list(TRACKED_NOTIONS),
            notion_labels={n: NOTIONS[n].label for n in TRACKED_NOTIONS},
            objectives=(
                "validation split, held out inside fit; point blocks are the mean over "
                "tasks ('worst': the worst task per figure); test figures only reported"
            ),
            selection=FrontSelection(
                round=selected + 1,
                epoch=int(learner.selected_epoch_),
                setting=fits.settings[fits.chosen],
                rule={"kind": "validation_score", "score": learner.score_description()},
                reason=fits.reason,
            ),
            baselines=baselines,
        )

    @staticmethod
    def _points(fits: SweepFit, X_test: Any, data: MultiTaskDataset) -> list[dict[str, Any]]:
        """A point per (setting, epoch); ``round`` numbers them 1, 2, ... in fit order."""
        tasks = data.tasks
        points: list[dict[str, Any]] = []
        for i, e in fits.checkpoints():
            learner = fits.learners[i]
            points.append(
                _validation_point(
                    len(points) + 1,
                    e,
                    fits.settings[i],
                    learner.validation_blocks_[e - 1],
                    tasks,
                    learner.history_[e - 1]["trivial"],
                    learner.validation_score_[e - 1],
                )
            )
        if X_test is not None and data.Y_test is not None:
            predicted = np.stack(
                [fits.learners[i].at_epoch(e).predict(X_test) for i, e in fits.checkpoints()],
                axis=2,
            )
            for point, blocks in zip(
                points, task_blocks(data.Y_test, predicted, data.sensitive_test, tasks), strict=True
            ):
                ordered = [blocks[t] for t in tasks]
                point["test"] = aggregate_blocks(ordered)
                point["worst"]["test"] = aggregate_blocks(ordered, "worst")
                for t in tasks:
                    point["tasks"][t]["test"] = blocks[t]
        mark_front(points, list(FRONT_OBJECTIVES))
        for index, point in enumerate(points):
            point["selected"] = index == fits.selected_index()
        return points

    @staticmethod
    def _baselines(
        fits: SweepFit,
        parts: Sequence[MultiTaskPart],
        X_test: Any,
        data: MultiTaskDataset,
        selected: Mapping[str, Any],
    ) -> MultiTaskBaselines:
        """Single-task models: the learner's class, parameters and sweep with T = 1, per
        task, each chosen over every setting by the same rule."""
        learner = fits.learners[0]
        swept = ", the same sweep" if len(fits.settings) > 1 else ""
        entries: dict[str, Any] = {}
        for t, task in enumerate(data.tasks):
            single_fits = choose_over(fits.settings, [part.singles[t] for part in parts])
            single = single_fits.learner
            entry: dict[str, Any] = {
                "epoch": int(single.selected_epoch_),
                "setting": single_fits.settings[single_fits.chosen],
                "epochs_fitted": int(sum(f.n_epochs_ for f in single_fits.learners)),
                "fit_seconds": float(sum(f.fit_seconds_ for f in single_fits.learners)),
                "validation": single.validation_blocks_[single.selected_epoch_ - 1][
                    single.tasks_[0]
                ],
            }
            if X_test is not None and data.Y_test is not None:
                predicted = single.predict(X_test).reshape(-1, 1, 1)
                blocks = task_blocks(
                    data.Y_test[:, t : t + 1], predicted, data.sensitive_test, [task]
                )
                entry["test"] = blocks[0][task]
            entries[task] = entry
        split = "test" if data.X_test is not None else "validation"
        stl = {task: entry[split] for task, entry in entries.items()}
        mtl = {task: selected["tasks"][task][split] for task in data.tasks}
        return MultiTaskBaselines.model_validate(
            {
                "description": (
                    f"{type(learner).__name__} with one task (T = 1), same parameters{swept}, "
                    "split and selection rule, one model per task"
                ),
                "tasks": entries,
                "split": split,
                "mean": aggregate_blocks([stl[t] for t in data.tasks]),
                "gains": gains(mtl, stl),
            }
        )

    def save(self, run: TrainedRun, folder: Path) -> list[str]:
        fits: SweepFit = run.extra["fits"]
        states = {}
        for round_, (i, e) in enumerate(fits.checkpoints(), start=1):
            states[f"round-{round_}"] = fits.learners[i].checkpoints_[e - 1][1]
        torch.save(states, folder / STATE_FILE)
        joblib.dump(run.extra["preprocess"], folder / PREPROCESS_FILE)
        return [STATE_FILE, PREPROCESS_FILE]

    def describe(self, run: TrainedRun) -> dict[str, Any]:
        fits: SweepFit = run.extra["fits"]
        data: MultiTaskDataset = run.dataset
        learner = fits.learner
        return {
            "dataset": describe_dataset(data, tasks=data.tasks, positives=data.positives),
            "learner": describe_learner(
                run.spec,
                learner,
                sweep=run.spec.sweep,
                epochs_fitted=int(learner.n_epochs_),
                setting=fits.settings[fits.chosen],
                network=learner.network_.config(),
                networks={
                    f"round-{r}": fits.learners[i].checkpoints_[e - 1][0]
                    for r, (i, e) in enumerate(fits.checkpoints(), start=1)
                },
                task_weights=[float(w) for w in learner.task_weights_],
                class_weights={
                    task: {"negative": float(w[0]), "positive": float(w[1])}
                    for task, w in zip(learner.tasks_, learner.class_weights_, strict=True)
                },
                branching=getattr(learner, "branch_log_", None),
            ),
            "versions": library_versions(torch=torch.__version__),
        }

    def load(self, run_dir: Path, run: dict[str, Any], round: int | None) -> MultiTaskModel:
        """The point's model (default: the selected point); files sha256-checked by the caller."""
        round_ = int(run["selection"]["round"]) if round is None else int(round)
        networks = run["learner"].get("networks", {})
        key = f"round-{round_}"
        if key not in networks:
            raise SpecError(
                f"round {round_} does not exist: the run has rounds 1 to {len(networks)}",
                field="round",
            )
        network = BranchedNetwork.from_config(networks[key])
        states = torch.load(Path(run_dir) / STATE_FILE, weights_only=True)
        network.load_state_dict(states[key])
        network.eval()
        # Our own file, sha256-checked by the caller; user-sent bytes never reach this.
        preprocess: ColumnTransformer = joblib.load(Path(run_dir) / PREPROCESS_FILE)
        return MultiTaskModel(preprocess, network, list(run["dataset"]["tasks"]), round_)

    def export(self, run_dir: Path, round: int | None) -> tuple[bytes, dict[str, Any]]:
        from ..export import export_multitask

        return export_multitask(run_dir, round=round)


MULTITASK = MultiTaskFamily()
