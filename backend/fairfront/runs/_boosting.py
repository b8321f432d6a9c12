"""The boosting family: one estimator fitted round by round, a point per round.

Any estimator with the fair-boosting interface (``fit(X, y, sensitive_features=,
callback=)`` calling back a ``RoundInfo`` per round, ``points_``,
``staged_positive_matrix``, ``at_round``, ``selected_round_``, ``selection_reason_``,
``n_estimators_``, ``stop_reason_``, optionally ``selection_rule_``) runs through this
family: AdaFair and MMM-Fair, and a fair LightGBM learner registered as ``gbm``. Its
model is one scikit-learn pipeline (preprocess + learner) saved with joblib.

A sweep (MMM-Fair, fair_gbm: learners whose round is chosen by a selection rule) fits
one such pipeline per setting. Each setting is a *part* (:meth:`BoostingFamily.fit_part`)
that can run in its own process or on another machine; :meth:`BoostingFamily.combine`
joins the parts into one union front (points numbered setting by setting), applies the
rule once over all of them and keeps every setting's pipeline, so any point exports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
from sklearn.pipeline import Pipeline

from ..datasets import Dataset, load_dataset
from ..fronts import (
    Baseline,
    Constraint,
    FrontSelection,
    MetricBlock,
    Point,
    Reference,
    mark_front,
    mark_selected,
)
from ..fronts import select as select_point
from ..learners import group_threshold_references
from ..metrics import NOTIONS, evaluate_many, get_notion
from ._family import OnPoint, PointEvent, TrainedRun
from ._shared import Stopwatch, data_options, describe_dataset, describe_learner, fitted_run
from ._spec import MAX_ROUNDS, RunSpec, SpecError, check_sweep, setting_label

__all__ = ["BASELINE_ROUNDS", "BOOSTING", "GBM", "BoostingFamily", "MODEL_FILE", "SettingFit"]

MODEL_FILE = "model.joblib"
BASELINE_ROUNDS = 100
_FIXED = {"n_estimators", "random_state", "estimator", "notion", "notions", "constraints"}
_NOT_SWEPT = _FIXED | {"weights", "maximize", "n_jobs"}
"""Parameters a sweep cannot vary: fixed by the spec, or the selection rule itself (one
rule chooses over every setting's points)."""


def setting_model_file(index: int) -> str:
    """The model file of a sweep's setting ``index``."""
    return f"model-{index}.joblib"


@dataclass
class SettingFit:
    """One setting of a run, fitted: a part that may come back from another process.

    ``points`` are the setting's own rounds (1, 2, ...) with validation and test blocks;
    :meth:`BoostingFamily.combine` renumbers them into the run's union front.
    """

    index: int
    setting: dict[str, Any]
    preprocess: Any
    learner: Any
    points: list[dict[str, Any]]
    seconds: dict[str, float] = field(default_factory=dict)


def load_data(spec: RunSpec) -> Dataset:
    """The run's dataset (the same rows and split every time for a spec)."""
    return load_dataset(
        spec.data,
        target=spec.target,
        positive=spec.positive,
        keep=spec.keep,
        target_rule=spec.target_rule,
        **data_options(spec),
    )


@dataclass(frozen=True)
class BoostingFamily:
    """Fits the learner of a spec's vocabulary entry; see the module docstring."""

    kind: str = "boosting"

    def build(self, spec: RunSpec, setting: Mapping[str, Any] | None = None) -> Any:
        """The unfitted estimator a spec asks for, with its parameters checked."""
        term = spec.term
        if term.family != self.kind:
            raise SpecError(
                f"{spec.learner} is a {term.family} learner, not a {self.kind} one", field="learner"
            )
        if spec.tasks:
            raise SpecError(
                f"{spec.learner} learns one target; tasks need a multi-task learner "
                "(fairbranch, l2t_fmt, mtl)",
                field="tasks",
            )
        if not 1 <= spec.rounds <= MAX_ROUNDS:
            raise SpecError(
                f"rounds must be between 1 and {MAX_ROUNDS}, got {spec.rounds}", field="rounds"
            )
        for notion in spec.notions:
            get_notion(notion)
        cls = term.estimator_class()
        accepted = cls().get_params(deep=False)
        unknown = sorted(set(spec.params) - set(accepted))
        if unknown:
            raise SpecError(
                f"{spec.learner} has no parameter {', '.join(unknown)}; it takes "
                f"{', '.join(sorted(set(accepted) - _FIXED))}",
                field="params",
            )
        if spec.sweep:
            _check_sweep(spec, cls, accepted)
        kwargs: dict[str, Any] = {
            **spec.params,
            **(setting or {}),
            "n_estimators": spec.rounds,
            "random_state": spec.random_state,
        }
        if "notions" in accepted:
            kwargs["notions"] = tuple(spec.notions)
        else:
            if len(spec.notions) != 1 or spec.notions[0] not in term.notions:
                raise SpecError(
                    f"{term.label} takes one notion among {', '.join(term.notions)}; "
                    f"got {', '.join(spec.notions)}",
                    field="notions",
                )
            kwargs["notion"] = spec.notions[0]
        if spec.constraints and not term.constraints:
            raise SpecError(
                f"{term.label} chooses its ensemble size by its own rule; constraints need "
                "--learner mmm_fair",
                field="constraints",
            )
        if term.constraints:
            kwargs["constraints"] = tuple(spec.constraints) or None
        learner = cls(**kwargs)
        if hasattr(learner, "selection_rule"):
            learner.selection_rule()  # a bad constraint is an error now, not after training
        return learner

    def check(self, spec: RunSpec) -> None:
        self.build(spec)  # the sweep itself first (an empty list gives no settings)
        for setting in spec.settings():
            self.build(spec, setting)

    def parts(self, spec: RunSpec) -> int:
        """How many independent fits the run is made of: one per sweep setting."""
        return len(spec.settings())

    def check_data(self, spec: RunSpec) -> None:
        """Nothing to read ahead: the job reports data errors (it loads the data at once)."""

    def fit(self, spec: RunSpec, on_point: OnPoint | None, dataset: Any = None) -> TrainedRun:
        """Fit every setting of ``spec`` here, one after another, and combine them."""
        clock = Stopwatch()
        if dataset is None:
            dataset = load_data(spec)
        clock.lap("load")
        parts = [self.fit_part(spec, index, on_point, dataset) for index in range(self.parts(spec))]
        run = self.combine(spec, parts, dataset)
        run.seconds["load"] += clock.seconds["load"]
        return run

    def fit_part(
        self, spec: RunSpec, index: int, on_point: OnPoint | None = None, dataset: Any = None
    ) -> SettingFit:
        """Fit setting ``index`` of ``spec``; score each round on validation and test rows.

        Live points carry the round they will have on the union front when every
        setting runs all its rounds (setting ``index`` starts after ``index * rounds``).
        """
        settings = spec.settings()
        setting = settings[index]
        learner = self.build(spec, setting)
        term = spec.term
        clock = Stopwatch()
        if dataset is None:
            dataset = load_data(spec)
        most = term.max_attributes
        if most is not None and dataset.sensitive.shape[1] > most:
            count = "one protected attribute" if most == 1 else f"{most} protected attributes"
            raise ValueError(
                f"{term.label} handles {count}; this run has "
                f"{', '.join(dataset.sensitive.columns)}. Name "
                f"{'one' if most == 1 else 'fewer'} with --protected, or use --learner mmm_fair"
            )
        clock.lap("load")
        preprocess = dataset.preprocessor()
        X = preprocess.fit_transform(dataset.X)
        objectives = tuple(learner.front_notions())  # what the final front is drawn over
        swept = bool(spec.sweep)
        offset = index * spec.rounds
        total = spec.rounds * len(settings)

        def callback(info: Any) -> None:
            if on_point is None or info.validation is None:
                return
            point = Point(
                round=offset + info.round,
                trivial=info.trivial,
                validation=info.validation,
                epoch=info.round if swept else None,
                setting=setting if swept else None,
            )
            on_point(PointEvent(point, offset + info.round, total, objectives))

        learner.fit(X, dataset.y, sensitive_features=dataset.sensitive, callback=callback)
        clock.lap("fit")
        points = learner.points_
        if dataset.X_test is not None and dataset.y_test is not None:
            staged = learner.staged_positive_matrix(preprocess.transform(dataset.X_test))
            test = evaluate_many(
                dataset.y_test,
                staged,
                sensitive_features=dataset.sensitive_test,
                notions=learner.validation_metrics_.notions,
            )
            for i, point in enumerate(points):
                point["test"] = test.block(i)
        clock.lap("score")
        return SettingFit(index, setting, preprocess, learner, points, clock.seconds)

    def combine(
        self, spec: RunSpec, parts: Sequence[SettingFit], dataset: Any = None
    ) -> TrainedRun:
        """One run from its settings' fits: the union front, one selection over it (the
        learner's rule; without a sweep, the learner's own choice), the baseline and the
        references of the chosen setting's learner."""
        parts = sorted(parts, key=lambda part: part.index)
        expected = self.parts(spec)
        if [part.index for part in parts] != list(range(expected)):
            raise ValueError(
                f"a run of {expected} settings needs each setting's fit once; got "
                f"{[part.index for part in parts]}"
            )
        clock = Stopwatch()
        if dataset is None:
            dataset = load_data(spec)
        clock.lap("load")
        points, where = _union(parts, swept=bool(spec.sweep))
        first = parts[0].learner
        notions = first.validation_metrics_.notions
        if spec.sweep:
            mark_front(points, first.front_notions())
            chosen_index, local, selection = _select_over(spec, parts, points, where, notions)
        else:
            chosen_index, local = 0, int(first.selected_round_)
            rule = getattr(first, "selection_rule_", None)
            selection = FrontSelection(
                round=local,
                rule=rule.to_dict() if rule is not None else {"kind": f"{spec.learner}_own"},
                reason=first.selection_reason_,
            )
        chosen = parts[chosen_index]
        learner = chosen.learner
        # the setting's fit predicts with the round chosen over every setting
        learner.selected_round_, learner.selection_reason_ = local, selection.reason
        mark_selected(points, selection.round - 1)
        X = X_test = None
        if spec.baseline or spec.references:
            X = chosen.preprocess.transform(dataset.X)
            if dataset.X_test is not None and dataset.y_test is not None:
                X_test = chosen.preprocess.transform(dataset.X_test)
        baseline = self._baseline(learner, X, X_test, dataset, notions) if spec.baseline else None
        clock.lap("baseline")
        references = _references(spec, X, X_test, dataset) if spec.references else []
        if spec.references:
            clock.lap("references")
        for stage in ("load", "fit", "score"):  # the parts' stages, summed over settings
            clock.seconds[stage] = clock.seconds.get(stage, 0.0) + sum(
                part.seconds.get(stage, 0.0) for part in parts
            )
        pipelines = [
            Pipeline([("preprocess", part.preprocess), ("learner", part.learner)]) for part in parts
        ]
        return fitted_run(
            spec,
            self.kind,
            points=points,
            clock=clock,
            model=pipelines[chosen_index],
            learner=learner,
            dataset=dataset,
            target=dataset.target,
            positive=dataset.positive,
            notions=list(notions),
            notion_labels={n: NOTIONS[n].label for n in notions},
            objectives="validation split, held out inside fit; test figures only reported",
            selection=selection,
            baseline=baseline,
            references=[Reference.model_validate(r) for r in references],
            extra={"pipelines": pipelines, "settings": [part.setting for part in parts]}
            if spec.sweep
            else None,
        )

    @staticmethod
    def _baseline(learner: Any, X: Any, X_test: Any, dataset: Dataset, notions: Any) -> Baseline:
        """The same learner with no fairness or class-balance costs: what fairness costs.

        At most ``BASELINE_ROUNDS`` rounds, on the same training rows and validation
        split; its last round is reported, on validation and (when there is one) test rows.
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
        test = None
        if X_test is not None and dataset.y_test is not None:
            staged = plain.staged_positive_matrix(X_test)[:, -1:]
            test = evaluate_many(
                dataset.y_test, staged, sensitive_features=dataset.sensitive_test, notions=notions
            ).block(0)
        return Baseline(
            description=(
                f"{type(learner).__name__} with no fairness costs, {plain.n_estimators_} rounds"
            ),
            round=int(plain.n_estimators_),
            validation=MetricBlock.model_validate(plain.points_[-1]["validation"]),
            test=None if test is None else MetricBlock.model_validate(test),
        )

    def save(self, run: TrainedRun, folder: Path) -> list[str]:
        pipelines = run.extra.get("pipelines")
        if not pipelines:
            joblib.dump(run.model, folder / MODEL_FILE)
            return [MODEL_FILE]
        names = [setting_model_file(i) for i in range(len(pipelines))]
        for name, pipeline in zip(names, pipelines, strict=True):
            joblib.dump(pipeline, folder / name)
        return names

    def describe(self, run: TrainedRun) -> dict[str, Any]:
        data = run.dataset
        described: dict[str, Any] = {
            "dataset": describe_dataset(
                data, target=data.target, positive=data.positive, negative=data.negative
            ),
            "learner": describe_learner(
                run.spec, run.learner, rounds_fitted=int(run.learner.n_estimators_)
            ),
        }
        pipelines = run.extra.get("pipelines")
        if pipelines:
            described["sweep"] = {
                "settings": run.extra["settings"],
                "rounds": [int(p.named_steps["learner"].n_estimators_) for p in pipelines],
                "models": [setting_model_file(i) for i in range(len(pipelines))],
            }
        return described

    def load(self, run_dir: Path, run: dict[str, Any], round: int | None) -> Pipeline:
        """The fitted pipeline: with ``round`` (a point of the run's front), its setting's
        pipeline truncated at that point; without, the chosen setting's, all rounds
        (``at_round`` truncates it)."""
        sweep = run.get("sweep")
        if not sweep:
            model = _load_pipeline(Path(run_dir) / MODEL_FILE)
            if round is None:
                return model
            _check_round(round, int(model.named_steps["learner"].n_estimators_))
            return _truncated(model, round)
        counts = [int(n) for n in sweep["rounds"]]
        if round is None:
            index, _ = locate_round(counts, int(run["selection"]["round"]))
            return _load_pipeline(Path(run_dir) / sweep["models"][index])
        _check_round(round, sum(counts))
        index, local = locate_round(counts, round)
        return _truncated(_load_pipeline(Path(run_dir) / sweep["models"][index]), local)

    def export(self, run_dir: Path, round: int | None) -> tuple[bytes, dict[str, Any]]:
        from ..export import export_model

        return export_model(run_dir, round=round)


def locate_round(counts: Sequence[int], round: int) -> tuple[int, int]:
    """(setting index, its own round) of point ``round`` of a union front whose settings
    fitted ``counts`` rounds each, numbered setting by setting."""
    start = 0
    for index, count in enumerate(counts):
        if round <= start + count:
            return index, round - start
        start += count
    raise ValueError(f"round {round} is past the run's {start} points")


def _check_round(round: int, count: int) -> None:
    if not 1 <= round <= count:
        raise ValueError(f"the run has rounds 1 to {count}; there is no round {round}")


def _truncated(model: Pipeline, round: int) -> Pipeline:
    learner = model.named_steps["learner"].at_round(round)
    return Pipeline([("preprocess", model.named_steps["preprocess"]), ("learner", learner)])


def _load_pipeline(path: Path) -> Pipeline:
    # Our own file, sha256-checked by the caller; user-sent bytes never reach this.
    model: Pipeline = joblib.load(path)
    return model


def _check_sweep(spec: RunSpec, cls: Any, accepted: Mapping[str, Any]) -> None:
    """A sweep varies parameters the learner has, that no rule or spec field fixes, and
    needs a learner whose round a selection rule chooses (one rule over every setting)."""
    if not hasattr(cls, "selection_rule"):
        raise SpecError(
            f"{spec.learner} chooses its round by its own criterion per fit, so settings "
            "cannot be compared by one rule; sweep mmm_fair or fair_gbm",
            field="sweep",
        )
    check_sweep(spec, set(accepted) - _NOT_SWEPT)


def _union(parts: Sequence[SettingFit], *, swept: bool) -> tuple[list[dict[str, Any]], list[int]]:
    """The parts' points numbered setting by setting (a sweep's points name their setting
    and their own round); with the setting index of each point."""
    if not swept:
        return parts[0].points, [0] * len(parts[0].points)
    points: list[dict[str, Any]] = []
    where: list[int] = []
    for part in parts:
        for point in part.points:
            own = {"epoch": point["round"], "setting": part.setting}
            points.append({**point, **own, "round": len(points) + 1})
            where.append(part.index)
    return points, where


def _select_over(
    spec: RunSpec,
    parts: Sequence[SettingFit],
    points: list[dict[str, Any]],
    where: Sequence[int],
    notions: Sequence[str],
) -> tuple[int, int, FrontSelection]:
    """The learner's rule applied once to every setting's points: (setting index, its own
    round, the selection, whose round is the union front's)."""
    rule = parts[0].learner.selection_rule_
    chosen = select_point(points, rule, notions, fallback=True)
    index = where[chosen.round - 1]
    local = int(points[chosen.round - 1]["epoch"])
    label = setting_label(parts[index].setting)
    return (
        index,
        local,
        FrontSelection(
            round=chosen.round,
            rule=rule.to_dict(),
            reason=(
                f"{chosen.reason} (over all {len(parts)} settings; this is {label}, "
                f"its round {local})"
            ),
            epoch=local,
            setting=parts[index].setting,
        ),
    )


def _references(spec: RunSpec, X: Any, X_test: Any, dataset: Dataset) -> list[dict[str, Any]]:
    """Group thresholds on a class-balanced LightGBM for the run's eo/eop/fpr/dp notions.

    One reference per bound of the run's constraints on those notions (default 0.05);
    see :func:`fairfront.learners.group_threshold_references`.
    """
    notions = [n for n in spec.notions if n in ("eo", "eop", "fpr", "dp")]
    if not notions:
        return []
    asked = [Constraint.parse(c) for c in spec.constraints]
    bounds = sorted({c.bound for c in asked if c.metric in notions and c.op == "<="}) or [0.05]
    has_test = X_test is not None and dataset.y_test is not None
    return group_threshold_references(
        X,
        dataset.y,
        dataset.sensitive,
        X_test if has_test else None,
        dataset.y_test if has_test else None,
        dataset.sensitive_test if has_test else None,
        notions=notions,
        bounds=bounds,
        random_state=spec.random_state,
    )


BOOSTING = BoostingFamily()
GBM = BoostingFamily(kind="gbm")
