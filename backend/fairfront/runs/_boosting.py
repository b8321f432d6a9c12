"""The boosting family: one estimator fitted round by round, a point per round.

Any estimator with the fair-boosting interface (``fit(X, y, sensitive_features=,
callback=)`` calling back a ``RoundInfo`` per round, ``points_``,
``staged_positive_matrix``, ``at_round``, ``selected_round_``, ``selection_reason_``,
``n_estimators_``, ``stop_reason_``, optionally ``selection_rule_``) runs through this
family: AdaFair and MMM-Fair, and a fair LightGBM learner registered as ``gbm``. Its
model is one scikit-learn pipeline (preprocess + learner) saved with joblib.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
from sklearn.pipeline import Pipeline

from ..datasets import Dataset, load_dataset
from ..fronts import Baseline, FrontSelection, MetricBlock, Point, mark_selected
from ..metrics import NOTIONS, evaluate_many, get_notion
from ._family import OnPoint, PointEvent, TrainedRun
from ._shared import Stopwatch, data_options, describe_dataset, describe_learner, fitted_run
from ._spec import MAX_ROUNDS, RunSpec, SpecError

__all__ = ["BASELINE_ROUNDS", "BOOSTING", "GBM", "BoostingFamily", "MODEL_FILE"]

MODEL_FILE = "model.joblib"
BASELINE_ROUNDS = 100
_FIXED = {"n_estimators", "random_state", "estimator", "notion", "notions", "constraints"}


def load_data(spec: RunSpec) -> Dataset:
    """The run's dataset (the same rows and split every time for a spec)."""
    return load_dataset(spec.data, target=spec.target, positive=spec.positive, **data_options(spec))


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
        if spec.sweep:
            raise SpecError(
                f"sweep applies to the multi-task learners, not to {spec.learner}", field="sweep"
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
        kwargs: dict[str, Any] = {
            **spec.params,
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
        self.build(spec)

    def check_data(self, spec: RunSpec) -> None:
        """Nothing to read ahead: the job reports data errors (it loads the data at once)."""

    def fit(self, spec: RunSpec, on_point: OnPoint | None, dataset: Any = None) -> TrainedRun:
        """Fit the learner of ``spec``; score every round on validation and test rows."""
        learner = self.build(spec)
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
        objectives = tuple(spec.notions)

        def callback(info: Any) -> None:
            if on_point is None or info.validation is None:
                return
            point = Point(round=info.round, trivial=info.trivial, validation=info.validation)
            on_point(PointEvent(point, info.round, info.n_rounds, objectives))

        learner.fit(X, dataset.y, sensitive_features=dataset.sensitive, callback=callback)
        clock.lap("fit")

        points = learner.points_
        notions = learner.validation_metrics_.notions
        X_test = None
        if dataset.X_test is not None and dataset.y_test is not None:
            X_test = preprocess.transform(dataset.X_test)
            staged = learner.staged_positive_matrix(X_test)
            test = evaluate_many(
                dataset.y_test, staged, sensitive_features=dataset.sensitive_test, notions=notions
            )
            for i, point in enumerate(points):
                point["test"] = test.block(i)
        mark_selected(points, learner.selected_round_ - 1)
        clock.lap("score")
        baseline = self._baseline(learner, X, X_test, dataset, notions) if spec.baseline else None
        clock.lap("baseline")
        rule = getattr(learner, "selection_rule_", None)
        return fitted_run(
            spec,
            self.kind,
            points=points,
            clock=clock,
            model=Pipeline([("preprocess", preprocess), ("learner", learner)]),
            learner=learner,
            dataset=dataset,
            target=dataset.target,
            positive=dataset.positive,
            notions=list(notions),
            notion_labels={n: NOTIONS[n].label for n in notions},
            objectives="validation split, held out inside fit; test figures only reported",
            selection=FrontSelection(
                round=int(learner.selected_round_),
                rule=rule.to_dict() if rule is not None else {"kind": f"{spec.learner}_own"},
                reason=learner.selection_reason_,
            ),
            baseline=baseline,
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
        joblib.dump(run.model, folder / MODEL_FILE)
        return [MODEL_FILE]

    def describe(self, run: TrainedRun) -> dict[str, Any]:
        data = run.dataset
        return {
            "dataset": describe_dataset(
                data, target=data.target, positive=data.positive, negative=data.negative
            ),
            "learner": describe_learner(
                run.spec, run.learner, rounds_fitted=int(run.learner.n_estimators_)
            ),
        }

    def load(self, run_dir: Path, run: dict[str, Any], round: int | None) -> Pipeline:
        """The fitted pipeline (all rounds; ``at_round`` truncates it)."""
        # Our own file, sha256-checked by the caller; user-sent bytes never reach this.
        model: Pipeline = joblib.load(Path(run_dir) / MODEL_FILE)
        return model

    def export(self, run_dir: Path, round: int | None) -> tuple[bytes, dict[str, Any]]:
        from ..export import export_model

        return export_model(run_dir, round=round)


BOOSTING = BoostingFamily()
GBM = BoostingFamily(kind="gbm")
