"""Sweeps of the boosting learners: one fit per setting, one union front, one selection.

Checked against independent computations: each setting fitted on its own with the
estimator itself, the union's Pareto flags by brute force, the constraint rule by a
plain filter-and-max, and the exported/loaded model of a point against that point's own
standalone estimator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fairfront.datasets import load_dataset
from fairfront.learners import MMMFairClassifier
from fairfront.runs import (
    RunSpec,
    SpecError,
    check,
    combine_parts,
    load_model,
    parts,
    read_front,
    train,
    train_part,
    write_run,
)

WEIGHTS = [0.5, 2.0]
ROUNDS = 12


def _spec(**extra: Any) -> RunSpec:
    return RunSpec(
        data="german",
        learner="mmm_fair",
        rounds=ROUNDS,
        notions=["eo"],
        sweep={"fairness_weight": WEIGHTS},
        baseline=False,
        **extra,
    )


@pytest.fixture(scope="module")
def sweep_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    run = train(_spec(constraints=["eo<=0.15"]))
    out = tmp_path_factory.mktemp("sweep") / "run"
    write_run(run, out)
    return run, out


@pytest.fixture(scope="module")
def standalone() -> list[Any]:
    """Each setting fitted directly with the estimator, as a user of the library would."""
    data = load_dataset("german")
    fits = []
    for weight in WEIGHTS:
        preprocess = data.preprocessor()
        X = preprocess.fit_transform(data.X)
        learner = MMMFairClassifier(
            n_estimators=ROUNDS,
            random_state=0,
            notions=("eo",),
            fairness_weight=weight,
            constraints=("eo<=0.15",),
        ).fit(X, data.y, sensitive_features=data.sensitive)
        fits.append((preprocess, learner))
    return fits


def _dominates(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all(a <= b) and np.any(a < b))


def test_the_union_holds_every_setting_s_points_numbered_setting_by_setting(
    sweep_run: tuple[Any, Path], standalone: list[Any]
) -> None:
    run, _ = sweep_run
    points = run.front.points
    assert [p.round for p in points] == list(range(1, 2 * ROUNDS + 1))
    for index, (_, learner) in enumerate(standalone):
        own = points[index * ROUNDS : (index + 1) * ROUNDS]
        assert all(p.setting == {"fairness_weight": WEIGHTS[index]} for p in own)
        assert [p.epoch for p in own] == list(range(1, ROUNDS + 1))
        for point, expected in zip(own, learner.points_, strict=True):
            assert point.validation.model_dump(mode="json") == expected["validation"]


def test_the_union_front_is_the_pareto_set_of_all_settings(sweep_run: tuple[Any, Path]) -> None:
    """Non-dominated over every point of every setting, by brute force, in the objectives
    the learner draws its front over (1 - accuracy, 1 - balanced accuracy, its notions)."""
    run, _ = sweep_run
    points = run.front.points
    notions = run.learner.front_notions()
    assert notions == ("eo",)
    rows = np.array(
        [
            [
                1 - p.validation.accuracy,
                1 - p.validation.balanced_accuracy,
                *(p.validation.notion(n).value for n in notions),
            ]
            for p in points
        ]
    )
    expected = [
        not p.trivial
        and not any(_dominates(rows[j], rows[i]) for j in range(len(points)) if j != i)
        for i, p in enumerate(points)
    ]
    assert [p.on_front for p in points] == expected
    assert run.front.front_rounds == [p.round for p in points if p.on_front]
    settings = {p.setting["fairness_weight"] for p in points if p.on_front and p.setting}
    assert settings, "the union front has points"


def test_one_selection_over_every_setting_follows_the_constraint(
    sweep_run: tuple[Any, Path],
) -> None:
    """eo <= 0.15 on validation, then the highest balanced accuracy (earliest round on a
    tie): a plain filter over the union, not each setting's own choice."""
    run, _ = sweep_run
    eligible = [
        p
        for p in run.front.points
        if not p.trivial and p.validation.notion("eo").value <= 0.15  # type: ignore[union-attr]
    ]
    assert eligible, "the constraint is met somewhere, so the fallback is not what is tested"
    best = max(eligible, key=lambda p: (p.validation.balanced_accuracy, -p.round))
    selection = run.selection
    assert selection.round == best.round
    assert selection.setting == best.setting and selection.epoch == best.epoch
    assert [p.round for p in run.front.points if p.selected] == [best.round]
    assert "over all 2 settings" in selection.reason
    chosen = run.learner
    assert chosen.fairness_weight == best.setting["fairness_weight"]  # type: ignore[index]
    assert chosen.selected_round_ == best.epoch


def test_a_point_of_any_setting_loads_as_its_own_model(
    sweep_run: tuple[Any, Path], standalone: list[Any]
) -> None:
    """The run keeps every setting's pipeline (sha256-checked files): the model of round
    r predicts exactly as that setting's standalone estimator at its own round."""
    run, out = sweep_run
    data = load_dataset("german")
    for round_ in (3, ROUNDS + 7):
        index, local = divmod(round_ - 1, ROUNDS)
        preprocess, learner = standalone[index]
        expected = learner.at_round(local + 1).predict_proba(preprocess.transform(data.X_test))
        model = load_model(out, round=round_)
        assert np.array_equal(model.predict_proba(data.X_test), expected)
    chosen = load_model(out)  # no round: the chosen setting, predicting with the chosen round
    assert chosen.named_steps["learner"].fairness_weight == run.selection.setting["fairness_weight"]
    assert chosen.named_steps["learner"].selected_round_ == run.selection.epoch
    assert read_front(out).model_dump(mode="json") == run.front.model_dump(mode="json")
    with pytest.raises(ValueError, match="rounds 1 to 24"):
        load_model(out, round=2 * ROUNDS + 1)


def test_parts_fitted_apart_combine_into_the_same_run(sweep_run: tuple[Any, Path]) -> None:
    """What the jobs do (each part anywhere, in any order, then one combine) gives the
    very run that fitting here in one go gives."""
    spec = _spec(constraints=["eo<=0.15"])
    assert parts(spec) == 2
    fitted = [train_part(spec, 1), train_part(spec, 0)]
    run = combine_parts(spec, fitted)
    expected, _ = sweep_run
    assert run.front.model_dump(mode="json") == expected.front.model_dump(mode="json")
    with pytest.raises(ValueError, match="each setting's fit once"):
        combine_parts(spec, fitted[:1])


@pytest.mark.parametrize(
    ("learner", "sweep", "params", "message"),
    [
        ("adafair", {"fairness_weight": [1, 2]}, {}, "own criterion per fit"),
        ("mmm_fair", {"weights": [1, 2]}, {}, "cannot sweep 'weights'"),
        ("mmm_fair", {"no_such": [1, 2]}, {}, "cannot sweep 'no_such'"),
        ("mmm_fair", {"fairness_weight": [1, 2]}, {"fairness_weight": 1}, "both a fixed"),
        ("mmm_fair", {"fairness_weight": []}, {}, "non-empty list"),
        ("fair_gbm", {"bound": list(range(13))}, {}, "at most 12"),
    ],
)
def test_a_sweep_that_cannot_run_is_refused_before_any_data_is_read(
    learner: str, sweep: dict[str, list[Any]], params: dict[str, Any], message: str
) -> None:
    spec = RunSpec(data="no-such-dataset", learner=learner, sweep=sweep, params=params)
    with pytest.raises(SpecError, match=message) as error:
        check(spec)
    assert error.value.field == "sweep"


def test_fair_gbm_sweeps_its_bound() -> None:
    spec = RunSpec(
        data="compas",
        learner="fair_gbm",
        rounds=8,
        sweep={"bound": [0.01, 0.05]},
        baseline=False,
    )
    run = train(spec)
    assert len(run.front.points) == 16
    bounds = [p.setting["bound"] for p in run.front.points if p.setting]
    assert bounds == [0.01] * 8 + [0.05] * 8
    assert run.learner.bound == run.selection.setting["bound"]  # type: ignore[index]


def test_a_multitask_sweep_fitted_part_by_part_is_the_same_run() -> None:
    """FairBranch's settings as parts (as the service's parallel jobs fit them), in any
    order: the same points, choice and single-task baselines as one fit here."""
    pytest.importorskip("torch")
    spec = RunSpec(
        data="compas",
        learner="fairbranch",
        protected=["race"],
        epochs=3,
        sweep={"fairness_weight": [0.5, 2.0]},
    )
    assert parts(spec) == 2
    whole = train(spec)
    joined = combine_parts(spec, [train_part(spec, 1), train_part(spec, 0)])

    def figures(run: Any) -> dict[str, Any]:  # all but the seconds each fit took
        front = run.front.model_dump(mode="json")
        for entry in front["baselines"]["tasks"].values():
            entry.pop("fit_seconds")
        return front

    assert figures(joined) == figures(whole)
    points = whole.front.points
    assert [p.setting for p in points] == [
        {"fairness_weight": w} for w in (0.5, 2.0) for _ in range(3)
    ]
    assert whole.front.baselines is not None
    assert set(whole.front.baselines.tasks) == set(whole.front.points[0].tasks or {})
