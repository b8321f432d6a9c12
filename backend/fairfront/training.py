"""A run: load data, fit a fair learner, score every round, write the front.

This is what the command line and the service's jobs call. Nothing here imports a
web framework. A run directory holds:

- ``front.json``: every round as a point (``round``, ``on_front``, ``selected``,
  ``trivial``, ``validation`` and, when the data have a test split, ``test`` blocks);
- ``run.json``: what was asked (the :class:`RunSpec`), timings, library versions and
  the sha256 of the model file;
- ``model.joblib``: the fitted pipeline (preprocessing + learner), written by this
  process and loaded only after its sha256 matches ``run.json``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.pipeline import Pipeline

from . import __version__
from .datasets import Dataset, load_dataset
from .fronts import Constraint, mark_selected
from .learners import (
    AdaFairClassifier,
    FairBoostingClassifier,
    FairGBMClassifier,
    MMMFairClassifier,
    RoundInfo,
    group_threshold_references,
)
from .metrics import NOTIONS, evaluate_many, get_notion

__all__ = [
    "LEARNERS",
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

LEARNERS = ("mmm_fair", "adafair", "fair_gbm")
FRONT_FILE, RUN_FILE, MODEL_FILE = "front.json", "run.json", "model.joblib"
ADAFAIR_NOTIONS = ("eo", "dp", "eop")
MAX_ROUNDS = 2000
BASELINE_ROUNDS = 100


class RunDirectoryError(ValueError):
    """A directory that does not hold a complete, intact run."""


@dataclass
class RunSpec:
    """Everything that defines a run; JSON-friendly."""

    data: str
    target: str | None = None
    positive: str | None = None
    protected: list[str] | None = None
    drop: list[str] = field(default_factory=list)
    learner: str = "mmm_fair"
    notions: list[str] = field(default_factory=lambda: ["eo"])
    rounds: int = 300
    constraints: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    test_size: float | None = None
    random_state: int = 0
    baseline: bool = True
    references: bool = False
    """Add group-threshold reference points (they need the protected attributes at
    prediction time; drawn beside the front, never exported)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunSpec:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def build_learner(spec: RunSpec) -> FairBoostingClassifier | FairGBMClassifier:
    """The unfitted estimator a spec asks for, with its parameters checked."""
    if spec.learner not in LEARNERS:
        raise ValueError(f"unknown learner {spec.learner!r}; choose from {', '.join(LEARNERS)}")
    if not 1 <= spec.rounds <= MAX_ROUNDS:
        raise ValueError(f"rounds must be between 1 and {MAX_ROUNDS}, got {spec.rounds}")
    for notion in spec.notions:
        get_notion(notion)
    params = dict(spec.params)
    learner_class: type[Any] = {
        "adafair": AdaFairClassifier,
        "fair_gbm": FairGBMClassifier,
    }.get(spec.learner, MMMFairClassifier)
    accepted = learner_class().get_params()
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ValueError(
            f"{spec.learner} has no parameter {', '.join(unknown)}; it takes "
            f"{', '.join(sorted(set(accepted) - {'n_estimators', 'random_state', 'estimator'}))}"
        )
    if spec.learner == "adafair":
        if len(spec.notions) != 1 or spec.notions[0] not in ADAFAIR_NOTIONS:
            raise ValueError(
                "AdaFair takes one notion among "
                f"{', '.join(ADAFAIR_NOTIONS)}; got {', '.join(spec.notions)}"
            )
        if spec.constraints:
            raise ValueError(
                "AdaFair chooses its ensemble size by its own rule; constraints need "
                "--learner mmm_fair"
            )
        return AdaFairClassifier(
            n_estimators=spec.rounds,
            notion=spec.notions[0],
            random_state=spec.random_state,
            **params,
        )
    learner = learner_class(
        n_estimators=spec.rounds,
        notions=tuple(spec.notions),
        constraints=tuple(spec.constraints) or None,
        random_state=spec.random_state,
        **params,
    )
    learner.selection_rule()  # a bad constraint is an error now, not after training
    return learner


@dataclass
class TrainedRun:
    """A fitted run: the data, the model, and every round as a point."""

    spec: RunSpec
    dataset: Dataset
    model: Pipeline
    points: list[dict[str, Any]]
    notions: tuple[str, ...]
    selection: dict[str, Any]
    seconds: dict[str, float]
    created: str
    baseline: dict[str, Any] | None = None
    references: list[dict[str, Any]] = field(default_factory=list)

    @property
    def learner(self) -> FairBoostingClassifier:
        learner: FairBoostingClassifier = self.model.named_steps["learner"]
        return learner

    @property
    def selected_round(self) -> int:
        return int(self.selection["round"])

    def front(self) -> dict[str, Any]:
        """The ``front.json`` document."""
        return {
            "format": "fairfront.front/1",
            "dataset": self.dataset.name,
            "target": self.dataset.target,
            "positive": self.dataset.positive,
            "protected": [p.describe() for p in self.dataset.protected],
            "learner": self.spec.learner,
            "notions": list(self.notions),
            "notion_labels": {n: NOTIONS[n].label for n in self.notions},
            "objectives": "validation split, held out inside fit; test figures only reported",
            "selection": self.selection,
            "front_rounds": [p["round"] for p in self.points if p["on_front"]],
            "baseline": self.baseline,
            "references": self.references,
            "points": self.points,
        }


def train(
    spec: RunSpec,
    *,
    dataset: Dataset | None = None,
    on_round: Callable[[RoundInfo], None] | None = None,
) -> TrainedRun:
    """Fit the learner of ``spec`` and score every round on validation and test rows."""
    learner = build_learner(spec)
    started = time.perf_counter()
    if dataset is None:
        dataset = load_dataset(
            spec.data,
            target=spec.target,
            positive=spec.positive,
            protected=spec.protected,
            drop=spec.drop,
            test_size=spec.test_size,
            random_state=spec.random_state,
        )
    if spec.learner == "adafair" and dataset.sensitive.shape[1] != 1:
        raise ValueError(
            "AdaFair handles one protected attribute; this run has "
            f"{', '.join(dataset.sensitive.columns)}. Name one with --protected, or use "
            "--learner mmm_fair"
        )
    loaded = time.perf_counter()
    preprocess = dataset.preprocessor()
    X = preprocess.fit_transform(dataset.X)
    learner.fit(X, dataset.y, sensitive_features=dataset.sensitive, callback=on_round)
    fitted = time.perf_counter()

    points = learner.points_
    notions = learner.validation_metrics_.notions
    if dataset.X_test is not None and dataset.y_test is not None:
        staged = learner.staged_positive_matrix(preprocess.transform(dataset.X_test))
        test = evaluate_many(
            dataset.y_test, staged, sensitive_features=dataset.sensitive_test, notions=notions
        )
        for i, point in enumerate(points):
            point["test"] = test.block(i)
    mark_selected(points, learner.selected_round_ - 1)
    scored = time.perf_counter()
    baseline = _baseline(learner, X, dataset, preprocess, notions) if spec.baseline else None
    references = _references(spec, X, dataset, preprocess) if spec.references else []
    rule = getattr(learner, "selection_rule_", None)
    selection = {
        "round": int(learner.selected_round_),
        "rule": rule.to_dict() if rule is not None else {"kind": "adafair_theta"},
        "reason": learner.selection_reason_,
    }
    return TrainedRun(
        spec=spec,
        dataset=dataset,
        model=Pipeline([("preprocess", preprocess), ("learner", learner)]),
        points=points,
        notions=tuple(notions),
        selection=selection,
        seconds={
            "load": loaded - started,
            "fit": fitted - loaded,
            "score": scored - fitted,
            "baseline": time.perf_counter() - scored,
        },
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        baseline=baseline,
        references=references,
    )


def _references(spec: RunSpec, X: Any, dataset: Dataset, preprocess: Any) -> list[dict[str, Any]]:
    """Group thresholds on a class-balanced LightGBM, for the run's eo/eop/fpr/dp notions.

    One reference per bound of the run's constraints on those notions (default 0.05).
    """
    notions = [n for n in spec.notions if n in ("eo", "eop", "fpr", "dp")]
    if not notions:
        return []
    asked = [Constraint.parse(c) for c in spec.constraints]
    bounds = sorted({c.bound for c in asked if c.metric in notions and c.op == "<="}) or [0.05]
    has_test = dataset.X_test is not None and dataset.y_test is not None
    return group_threshold_references(
        X,
        dataset.y,
        dataset.sensitive,
        preprocess.transform(dataset.X_test) if has_test else None,
        dataset.y_test if has_test else None,
        dataset.sensitive_test if has_test else None,
        notions=notions,
        bounds=bounds,
        random_state=spec.random_state,
    )


def _baseline(
    learner: FairBoostingClassifier,
    X: Any,
    dataset: Dataset,
    preprocess: Any,
    notions: Sequence[str],
) -> dict[str, Any]:
    """The same learner with no fairness or class-balance costs: what fairness costs.

    At most ``BASELINE_ROUNDS`` rounds, on the same training rows and validation split;
    its last round is reported, on validation and (when there is one) test rows.
    """
    params = learner.get_params(deep=False)
    params.update(
        fairness_weight=0.0,
        class_balance=0.0,
        n_estimators=min(learner.n_estimators, BASELINE_ROUNDS),
    )
    if "constraints" in params:
        params.update(constraints=None, weights=None)
    plain = type(learner)(**params)
    plain.fit(X, dataset.y, sensitive_features=dataset.sensitive)
    plain = plain.at_round(plain.n_estimators_)
    block: dict[str, Any] = {
        "description": (
            f"{type(learner).__name__} with no fairness costs, {plain.n_estimators_} rounds"
        ),
        "round": int(plain.n_estimators_),
        "validation": plain.points_[-1]["validation"],
    }
    if dataset.X_test is not None and dataset.y_test is not None:
        staged = plain.staged_positive_matrix(preprocess.transform(dataset.X_test))[:, -1:]
        test = evaluate_many(
            dataset.y_test, staged, sensitive_features=dataset.sensitive_test, notions=notions
        )
        block["test"] = test.block(0)
    return block


def _versions() -> dict[str, str]:
    return {
        "fairfront": __version__,
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_json(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document, indent=1, allow_nan=False) + "\n", encoding="utf-8")


@contextlib.contextmanager
def _staging(out: Path) -> Iterator[Path]:
    """A scratch folder beside ``out`` whose files move into ``out`` only on success."""
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        yield scratch
        out.mkdir(exist_ok=True)
        for item in scratch.iterdir():
            os.replace(item, out / item.name)
    finally:
        for item in scratch.iterdir():
            item.unlink()
        scratch.rmdir()


def write_run(run: TrainedRun, out: Path) -> None:
    """Write ``front.json``, ``run.json`` and the model into ``out``, all or nothing."""
    out = Path(out)
    with _staging(out) as scratch:
        joblib.dump(run.model, scratch / MODEL_FILE)
        _write_json(scratch / FRONT_FILE, run.front())
        _write_json(
            scratch / RUN_FILE,
            {
                "format": "fairfront.run/1",
                "created": run.created,
                "spec": run.spec.to_dict(),
                "dataset": {
                    "name": run.dataset.name,
                    "target": run.dataset.target,
                    "positive": run.dataset.positive,
                    "negative": run.dataset.negative,
                    "categorical": run.dataset.categorical,
                    "numeric": run.dataset.numeric,
                    "protected": [p.describe() for p in run.dataset.protected],
                    "rows": {
                        "train": len(run.dataset.X),
                        "test": 0 if run.dataset.X_test is None else len(run.dataset.X_test),
                    },
                    "warnings": run.dataset.warnings,
                },
                "learner": {
                    "name": run.spec.learner,
                    "class": type(run.learner).__name__,
                    "params": {
                        k: v if isinstance(v, str | int | float | bool | type(None)) else repr(v)
                        for k, v in run.learner.get_params(deep=False).items()
                    },
                    "rounds_fitted": int(run.learner.n_estimators_),
                    "stop_reason": run.learner.stop_reason_,
                },
                "selection": run.selection,
                "seconds": run.seconds,
                "versions": _versions(),
                "model_sha256": _sha256(scratch / MODEL_FILE),
            },
        )


def read_run(out: Path) -> dict[str, Any]:
    """``run.json`` of a run directory; a clear error when it is not one."""
    out = Path(out)
    missing = [name for name in (RUN_FILE, FRONT_FILE, MODEL_FILE) if not (out / name).is_file()]
    if not out.is_dir() or missing:
        raise RunDirectoryError(
            f"{str(out)!r} holds no complete run (missing: {', '.join(missing) or 'the folder'}); "
            "make one with `fairfront train ... --out DIR`"
        )
    try:
        document: dict[str, Any] = json.loads((out / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RunDirectoryError(f"{str(out / RUN_FILE)!r} is unreadable: {error}") from error
    return document


def read_front(out: Path) -> dict[str, Any]:
    read_run(out)
    front: dict[str, Any] = json.loads((Path(out) / FRONT_FILE).read_text(encoding="utf-8"))
    return front


def load_model(out: Path) -> Pipeline:
    """The fitted pipeline of a run this program wrote, after checking its sha256.

    Only files written by :func:`write_run` on this machine are loaded; never pass a
    path to bytes someone else sent.
    """
    run = read_run(out)
    path = Path(out) / MODEL_FILE
    if _sha256(path) != run.get("model_sha256"):
        raise RunDirectoryError(
            f"{str(path)!r} does not match the sha256 recorded in run.json; refusing to load it"
        )
    # Our own file, sha256-checked above; user-sent bytes never reach this.
    model: Pipeline = joblib.load(path)
    return model


def notions_for(points: Sequence[Mapping[str, Any]]) -> list[str]:
    """The notions present in points' blocks, in the engine's order."""
    if not points:
        return []
    block = points[0].get("validation", {})
    return [n for n in NOTIONS if n in block]
