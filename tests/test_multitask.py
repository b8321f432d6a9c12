"""Multi-task learners, views, runs, the command line and the ONNX export (COMPAS, few epochs)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

torch = pytest.importorskip("torch")

from app.cli import main  # noqa: E402
from fairfront.datasets import (  # noqa: E402
    MultiTaskDataset,
    SingleClassTaskError,
    TargetNotBinaryError,
    load_dataset,
    load_multitask,
)
from fairfront.export import export_multitask  # noqa: E402
from fairfront.learners.multitask import (  # noqa: E402
    EpochInfo,
    FairBranchClassifier,
    L2TFMTClassifier,
    MultiTaskMLPClassifier,
    TaskClassError,
)
from fairfront.metrics import evaluate  # noqa: E402
from fairfront.runs import RunSpec, load_model, read_run, train, write_run  # noqa: E402


def load_multitask_model(run_dir: Path) -> tuple[Any, Any, dict[str, Any]]:
    """The selected point's preprocessor and network, and run.json."""
    model = load_model(run_dir)
    return model.preprocess, model.network, read_run(run_dir)


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def compas_mt() -> MultiTaskDataset:
    return load_multitask("compas", protected=["race"])


@pytest.fixture(scope="module")
def compas_matrix(compas_mt: MultiTaskDataset) -> tuple[np.ndarray, np.ndarray]:
    pre = compas_mt.preprocessor()
    return pre.fit_transform(compas_mt.X), pre.transform(compas_mt.X_test)


# ----- views ----------------------------------------------------------------------


def test_compas_view_keeps_the_single_task_rows(compas_mt: MultiTaskDataset) -> None:
    single = load_dataset("compas", protected=["race"])
    assert compas_mt.tasks == ["two_year_recid", "is_violent_recid"]
    assert compas_mt.Y.shape == (len(single.X), 2)
    assert len(compas_mt.X) + len(compas_mt.X_test) == 6172
    assert set(compas_mt.sensitive["race"]) == {"African-American", "other"}
    assert "is_violent_recid" not in compas_mt.X.columns
    # Violent recidivism implies recidivism within the data's follow-up for most rows.
    assert compas_mt.Y[:, 1].mean() < compas_mt.Y[:, 0].mean()


def test_adult_view_has_married_without_its_leaking_columns() -> None:
    view = load_multitask("adult", protected=["sex"])
    assert view.tasks == ["income", "married"]
    assert view.positives == {"income": ">50K", "married": "1"}
    assert {"marital-status", "relationship"}.isdisjoint(view.X.columns)
    assert len(view.X) == 32561 and len(view.X_test) == 16281
    assert 0.4 < view.Y[:, 1].mean() < 0.55


def _csv(tmp_path: Path, **columns: list[object]) -> Path:
    n = 60
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "g": np.where(np.arange(n) % 2, "a", "b"),
            "t1": rng.integers(0, 2, n),
            "t2": rng.integers(0, 2, n),
        }
    )
    for name, values in columns.items():
        frame[name] = values
    path = tmp_path / "tasks.csv"
    frame.to_csv(path, index=False)
    return path


def test_csv_with_several_targets(tmp_path: Path) -> None:
    view = load_multitask(_csv(tmp_path), tasks=["t1", "t2"], protected=["g"])
    assert view.Y.shape[1] == 2 and view.positives == {"t1": "1", "t2": "1"}


def test_csv_non_binary_target_names_the_column(tmp_path: Path) -> None:
    path = _csv(tmp_path, t2=[0, 1, 2] * 20)
    with pytest.raises(TargetNotBinaryError, match="'t2'"):
        load_multitask(path, tasks=["t1", "t2"], protected=["g"])


def test_single_class_task_in_training_part_names_the_column(tmp_path: Path) -> None:
    from fairfront.datasets._multitask import build_multitask

    frame = pd.read_csv(_csv(tmp_path))
    train, test = frame.iloc[:40].copy(), frame.iloc[40:].copy()
    train["t2"] = 0
    test["t2"] = 1
    with pytest.raises(SingleClassTaskError, match="task 't2' has a single class"):
        build_multitask(train, test, name="x", tasks=["t1", "t2"], positives=None, protected=["g"])


# ----- estimators -----------------------------------------------------------------


@pytest.mark.parametrize("cls", [MultiTaskMLPClassifier, FairBranchClassifier, L2TFMTClassifier])
def test_fit_shapes_determinism_and_callback(
    cls: type, compas_mt: MultiTaskDataset, compas_matrix: tuple[np.ndarray, np.ndarray]
) -> None:
    X, X_test = compas_matrix
    seen: list[EpochInfo] = []
    params = {"max_epochs": 4, "random_state": 3, "patience": None}
    if cls is FairBranchClassifier:
        params["branch_every"] = 1
    model = cls(**params).fit(
        X, compas_mt.Y, sensitive_features=compas_mt.sensitive, callback=seen.append
    )
    assert [i.epoch for i in seen] == [1, 2, 3, 4]
    assert set(seen[0].validation) == {"task_0", "task_1"}
    assert {"eo", "eo_sum"} <= set(seen[0].validation["task_0"])
    proba = model.predict_proba(X_test)
    assert proba.shape == (X_test.shape[0], 2, 2)
    np.testing.assert_allclose(proba.sum(axis=2), 1.0, rtol=1e-6)
    labels = model.predict(X_test)
    assert labels.shape == (X_test.shape[0], 2)
    np.testing.assert_array_equal(labels, (proba[:, :, 1] > 0.5).astype(int))
    again = cls(**params).fit(X, compas_mt.Y, sensitive_features=compas_mt.sensitive)
    np.testing.assert_array_equal(again.predict_proba(X_test), proba)
    assert 1 <= model.selected_epoch_ <= 4
    if cls is FairBranchClassifier:
        assert [b["depth"] for b in model.branch_log_] == [1, 0]


def test_parameters_round_trip_through_clone() -> None:
    from sklearn.base import clone

    for model in (
        MultiTaskMLPClassifier(class_balance=False, max_epochs=3),
        FairBranchClassifier(tau=0.5, gradnorm_alpha=1.0, random_state=4),
        L2TFMTClassifier(epsilon=0.1, patience=None),
    ):
        params = model.get_params()
        assert params["class_balance"] is model.class_balance
        assert clone(model).get_params() == params
    assert MultiTaskMLPClassifier().class_balance is True


def test_class_balance_keeps_the_rare_task_useful_and_the_trivial_flag_honest(
    compas_mt: MultiTaskDataset, compas_matrix: tuple[np.ndarray, np.ndarray]
) -> None:
    """is_violent_recid (base rate 0.11): all-negative without class balance, and said so."""
    X, _ = compas_matrix
    Y = compas_mt.task_frame(compas_mt.Y)
    fits = {
        balance: MultiTaskMLPClassifier(max_epochs=4, random_state=0, class_balance=balance).fit(
            X, Y, sensitive_features=compas_mt.sensitive
        )
        for balance in (False, True)
    }
    plain, balanced = fits[False], fits[True]
    assert all(h["trivial"] for h in plain.history_)
    assert all(b["is_violent_recid"]["trivial"] for b in plain.validation_blocks_)
    assert plain.selection_reason_.startswith("every checkpoint is trivial on some task")
    assert "mean error" in plain.selection_reason_
    assert not any(h["trivial"] for h in balanced.history_)
    assert "mean balanced error" in balanced.selection_reason_
    block = balanced.validation_blocks_[balanced.selected_epoch_ - 1]["is_violent_recid"]
    assert not block["trivial"] and block["balanced_accuracy"] > 0.52
    ratio = balanced.class_weights_[1, 1] / balanced.class_weights_[1, 0]
    rows = compas_mt.Y[np.setdiff1d(np.arange(len(Y)), balanced.validation_rows_), 1]
    assert ratio == pytest.approx((rows == 0).sum() / (rows == 1).sum())


def test_class_balance_lets_fairbranch_switch_the_fairness_loss_on(
    compas_mt: MultiTaskDataset, compas_matrix: tuple[np.ndarray, np.ndarray]
) -> None:
    """Unweighted, the rare task's L_t points against F_t on its head nearly always."""
    X, _ = compas_matrix
    share = {}
    for balance in (False, True):
        model = FairBranchClassifier(max_epochs=2, random_state=0, class_balance=balance)
        model.fit(X, compas_mt.Y, sensitive_features=compas_mt.sensitive)
        share[balance] = model.lambda_on_share_ / model.n_steps_
    assert share[False][1] < 0.3 < 0.6 < share[True][1]


def test_single_task_is_the_same_network_with_one_head(
    compas_mt: MultiTaskDataset, compas_matrix: tuple[np.ndarray, np.ndarray]
) -> None:
    X, X_test = compas_matrix
    model = FairBranchClassifier(max_epochs=2, random_state=0).fit(
        X, compas_mt.Y[:, 0], sensitive_features=compas_mt.sensitive
    )
    # One 1-D target: scikit-learn's shapes, (n,) labels and (n, 2) probabilities.
    assert model.n_tasks_ == 1 and model.predict(X_test).shape == (X_test.shape[0],)
    assert model.predict_proba(X_test).shape == (X_test.shape[0], 2)


def test_any_two_labels_per_task_the_second_sorted_is_positive(
    compas_mt: MultiTaskDataset, compas_matrix: tuple[np.ndarray, np.ndarray]
) -> None:
    X, X_test = compas_matrix
    Y = pd.DataFrame(
        {
            "recid": np.where(compas_mt.Y[:, 0] == 1, "yes", "no"),
            "violent": compas_mt.Y[:, 1],
        }
    )
    named = MultiTaskMLPClassifier(max_epochs=2, random_state=0).fit(X, Y)
    plain = MultiTaskMLPClassifier(max_epochs=2, random_state=0).fit(X, compas_mt.Y)
    labels = named.predict(X_test)
    assert set(labels[:, 0]) <= {"no", "yes"}
    np.testing.assert_array_equal(labels[:, 0] == "yes", plain.predict(X_test)[:, 0] == 1)
    np.testing.assert_array_equal(named.predict_proba(X_test), plain.predict_proba(X_test))
    with pytest.raises(TaskClassError, match="Unknown label type: task 'score'"):
        MultiTaskMLPClassifier(max_epochs=1).fit(
            X, pd.DataFrame({"score": np.linspace(0, 1, X.shape[0])})
        )


def test_labels_must_be_binary_and_both_classes_present(
    compas_mt: MultiTaskDataset, compas_matrix: tuple[np.ndarray, np.ndarray]
) -> None:
    X, _ = compas_matrix
    Y = pd.DataFrame(compas_mt.Y, columns=compas_mt.tasks)
    bad = Y.copy()
    bad.loc[0, "is_violent_recid"] = 2
    with pytest.raises(TaskClassError, match="is_violent_recid"):
        MultiTaskMLPClassifier(max_epochs=1).fit(X, bad)
    constant = Y.copy()
    constant["is_violent_recid"] = 0
    with pytest.raises(TaskClassError, match="is_violent_recid.*single class"):
        MultiTaskMLPClassifier(max_epochs=1).fit(X, constant)


# ----- runs, command line, export -------------------------------------------------


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("mt") / "run"
    spec = RunSpec(data="compas", protected=["race"], learner="fairbranch", epochs=5)
    run = train(spec)
    write_run(run, out)
    return out


def test_front_has_tasks_and_baselines(run_dir: Path, compas_mt: MultiTaskDataset) -> None:
    front = json.loads((run_dir / "front.json").read_text())
    assert front["kind"] == "multitask" and [t["name"] for t in front["tasks"]] == compas_mt.tasks
    point = next(p for p in front["points"] if p["selected"])
    for task in compas_mt.tasks:
        block = point["tasks"][task]["test"]
        assert {"accuracy", "eo", "eo_sum"} <= set(block)
    # The point's blocks are the mean (and worst) over tasks.
    accs = [point["tasks"][t]["test"]["accuracy"] for t in compas_mt.tasks]
    assert point["test"]["accuracy"] == pytest.approx(np.mean(accs))
    assert point["worst"]["test"]["accuracy"] == pytest.approx(min(accs))
    baselines = front["baselines"]
    gains = baselines["gains"]
    for task in compas_mt.tasks:
        mtl, stl = point["tasks"][task]["test"], baselines["tasks"][task]["test"]
        assert isinstance(mtl["trivial"], bool) and isinstance(stl["trivial"], bool)
        assert gains["tasks"][task]["knowledge_gain"] == pytest.approx(
            mtl["accuracy"] - stl["accuracy"]
        )
        assert gains["tasks"][task]["balanced_knowledge_gain"] == pytest.approx(
            mtl["balanced_accuracy"] - stl["balanced_accuracy"]
        )
        assert gains["tasks"][task]["discrimination_gain"]["eo_sum"] == pytest.approx(
            mtl["eo_sum"]["value"] - stl["eo_sum"]["value"]
        )


def test_per_task_figures_agree_with_the_engine(run_dir: Path, compas_mt: MultiTaskDataset) -> None:
    preprocess, network, run = load_multitask_model(run_dir)
    front = json.loads((run_dir / "front.json").read_text())
    point = next(p for p in front["points"] if p["selected"])
    X_test = preprocess.transform(compas_mt.X_test)
    with torch.no_grad():
        logits = network(torch.from_numpy(np.asarray(X_test.toarray(), np.float32)))
    for t, task in enumerate(compas_mt.tasks):
        report = evaluate(
            compas_mt.Y_test[:, t],
            (logits[:, t] > 0).numpy().astype(int),
            sensitive_features=compas_mt.sensitive_test,
            notions=["eo", "eo_sum"],
        )
        block = point["tasks"][task]["test"]
        assert block["accuracy"] == pytest.approx(report.overall["accuracy"])
        assert block["eo_sum"]["value"] == pytest.approx(float(report.violation("eo_sum")))
        assert block["eo"]["value"] == pytest.approx(float(report.violation("eo")))


def test_onnx_export_matches_pytorch(run_dir: Path) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    data, card = export_multitask(run_dir)
    assert [o["name"] for o in card["outputs"]] == [
        "probabilities_two_year_recid",
        "probabilities_is_violent_recid",
    ]
    parity = card["parity"]
    assert parity["checked"] and parity["split"] == "test"
    assert parity["max_abs_probability_difference"] <= 1e-5


def test_cli_exports_a_multitask_run(run_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    out = tmp_path / "export" / "model.onnx"
    assert main(["export", str(run_dir), "--out", str(out)]) == 0
    card = json.loads((tmp_path / "export" / "model.card.json").read_text())
    assert out.stat().st_size > 0 and card["parity"]["max_abs_probability_difference"] <= 1e-5
    # Any point exports, not only the selected one; a round that does not exist is refused.
    assert main(["export", str(run_dir), "--round", "3", "--out", str(tmp_path / "x.onnx")]) == 0
    card = json.loads((tmp_path / "x.card.json").read_text())
    assert card["round"] == 3 and card["parity"]["max_abs_probability_difference"] <= 1e-5
    assert main(["export", str(run_dir), "--round", "99", "--out", str(tmp_path / "y.onnx")]) == 2
    assert not (tmp_path / "y.onnx").exists()


def test_cli_trains_a_multitask_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli"
    code = main(
        [
            "train", "--data", "compas", "--tasks", "two_year_recid", "is_violent_recid",
            "--protected", "race", "--learner", "mtl", "--epochs", "2", "--no-baseline",
            "--out", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    captured = capsys.readouterr()
    assert "epoch 1/2" in captured.err and "selected: epoch" in captured.out
    assert {"front.json", "run.json", "model.pt", "preprocess.joblib"} <= {
        p.name for p in out.iterdir()
    }
    states = torch.load(out / "model.pt", weights_only=True)
    assert sorted(states) == ["round-1", "round-2"]  # every point's weights, tensors only
    assert all(isinstance(v, torch.Tensor) for state in states.values() for v in state.values())


def test_cli_default_fairbranch_command_gives_a_useful_front(
    tmp_path: Path, compas_mt: MultiTaskDataset, capsys: pytest.CaptureFixture[str]
) -> None:
    """The documented command: a non-empty front, a selected point useful on both tasks."""
    out = tmp_path / "fb"
    code = main(
        [
            "train", "--data", "compas", "--tasks", "two_year_recid", "is_violent_recid",
            "--protected", "race", "--learner", "fairbranch", "--epochs", "30",
            "--out", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    assert "every checkpoint is trivial" not in capsys.readouterr().out
    front = json.loads((out / "front.json").read_text())
    assert front["front_rounds"]
    on_front = [p for p in front["points"] if p["on_front"]]
    assert on_front and not any(p["trivial"] for p in on_front)
    selected = next(p for p in front["points"] if p["selected"])
    assert not selected["trivial"]
    assert "balanced error" in front["selection"]["rule"]["score"]
    preprocess, network, _ = load_multitask_model(out)
    X_test = preprocess.transform(compas_mt.X_test)
    with torch.no_grad():
        logits = network(torch.from_numpy(np.asarray(X_test.toarray(), np.float32)))
    for t, task in enumerate(compas_mt.tasks):
        for split in ("validation", "test"):
            assert not selected["tasks"][task][split]["trivial"], (task, split)
        report = evaluate(
            compas_mt.Y_test[:, t],
            (logits[:, t] > 0).numpy().astype(int),
            sensitive_features=compas_mt.sensitive_test,
            notions=["eo_sum"],
        )
        assert not report.trivial, task
        assert report.overall["balanced_accuracy"] > 0.55, task
        assert selected["tasks"][task]["test"]["balanced_accuracy"] == pytest.approx(
            report.overall["balanced_accuracy"]
        )


def test_cli_rejects_tasks_with_a_boosting_learner(tmp_path: Path) -> None:
    code = main(
        ["train", "--data", "compas", "--tasks", "two_year_recid", "--learner", "mmm_fair",
         "--out", str(tmp_path / "x")]
    )  # fmt: skip
    assert code == 2


# ----- sweeps over a learner parameter ------------------------------------------------


def test_sweep_gives_a_point_per_setting_and_epoch_and_one_choice_over_all(
    tmp_path: Path, compas_mt: MultiTaskDataset
) -> None:
    seen: list[tuple[float, int]] = []
    spec = RunSpec(
        data="compas",
        protected=["race"],
        learner="fairbranch",
        epochs=3,
        sweep={"fairness_weight": [2.0, 0.0]},
    )
    run = train(
        spec,
        dataset=compas_mt,
        on_point=lambda e: seen.append((e.point.setting["fairness_weight"], e.point.epoch)),
    )
    assert seen == [(2.0, 1), (2.0, 2), (2.0, 3), (0.0, 1), (0.0, 2), (0.0, 3)]
    out = tmp_path / "sweep"
    write_run(run, out)
    front = json.loads((out / "front.json").read_text())
    points = front["points"]
    assert [p["round"] for p in points] == [1, 2, 3, 4, 5, 6]
    assert [(p["setting"]["fairness_weight"], p["epoch"]) for p in points] == seen
    # One rule over every checkpoint: the lowest validation score among non-trivial points.
    eligible = [p for p in points if not p["trivial"]] or points
    best = min(eligible, key=lambda p: p["validation_score"])
    selected = next(p for p in points if p["selected"])
    assert selected["round"] == best["round"] == front["selection"]["round"]
    assert front["selection"]["setting"] == selected["setting"]
    # Here the choice falls in the second setting: the point's round is not its epoch.
    assert selected["round"] == 3 + selected["epoch"] == 3 + front["selection"]["epoch"]
    assert (
        f"fairness_weight={selected['setting']['fairness_weight']}" in front["selection"]["reason"]
    )
    # The saved model is that checkpoint, with that setting.
    preprocess, network, document = load_multitask_model(out)
    assert (
        document["learner"]["params"]["fairness_weight"] == selected["setting"]["fairness_weight"]
    )
    X_test = preprocess.transform(compas_mt.X_test)
    with torch.no_grad():
        logits = network(torch.from_numpy(np.asarray(X_test.toarray(), np.float32)))
    accuracy = ((logits[:, 0] > 0).numpy() == compas_mt.Y_test[:, 0]).mean()
    assert selected["tasks"]["two_year_recid"]["test"]["accuracy"] == pytest.approx(accuracy)
    # The export is that checkpoint and says which.
    if importlib.util.find_spec("onnxruntime") and importlib.util.find_spec("onnxscript"):
        _, card = export_multitask(out)
        assert card["epoch"] == selected["epoch"] and card["setting"] == selected["setting"]
        assert card["parity"]["max_abs_probability_difference"] <= 1e-5
    # Baselines go through the same sweep.
    assert "same sweep" in front["baselines"]["description"]
    for entry in front["baselines"]["tasks"].values():
        assert entry["setting"]["fairness_weight"] in (0.0, 2.0)


@pytest.mark.parametrize(
    ("sweep", "params", "message"),
    [
        ({"depth": [1, 2]}, {}, "cannot sweep 'depth'"),
        ({"random_state": [1, 2]}, {}, "cannot sweep 'random_state'"),
        ({"tau": []}, {}, "non-empty list"),
        ({"tau": [0.5]}, {"tau": 0.6}, "both a fixed parameter and swept"),
        ({"tau": [0.1, 0.2, 0.3, 0.4], "fairness_weight": [1, 2, 3, 4]}, {}, "16 settings"),
        ({"tau": [0.7, 1.5]}, {}, "'tau' parameter of FairBranchClassifier must be"),
        ({}, {"fairness_weight": -1}, "'fairness_weight' parameter"),
    ],
)
def test_a_bad_sweep_is_refused_before_any_fit(
    sweep: dict[str, list[float]], params: dict[str, float], message: str
) -> None:
    spec = RunSpec(data="compas", learner="fairbranch", sweep=sweep, params=params)
    with pytest.raises(ValueError, match=message):
        train(spec)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--sweep", "fairness_weight"], "NAME=V1,V2"),
        (["--sweep", "fairness_weight=a,b"], "must be numbers"),
        (["--sweep", "gamma=1,2"], "cannot sweep 'gamma'"),
        (["--max-depth", "3"], "--max-depth applies to the boosting learners"),
        (["--confidence", "0.95"], "--confidence applies to the boosting learners"),
        (["--references"], "--references applies to the boosting learners"),
    ],
)
def test_cli_explains_a_bad_multitask_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    out = tmp_path / "x"
    code = main(
        ["train", "--data", "compas", "--tasks", "two_year_recid", "is_violent_recid",
         "--learner", "fairbranch", "--epochs", "1", "--no-baseline", "--out", str(out), *extra]
    )  # fmt: skip
    assert code == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_cli_passes_learner_options_to_the_multitask_learner(tmp_path: Path) -> None:
    out = tmp_path / "opts"
    code = main(
        ["train", "--data", "compas", "--tasks", "two_year_recid", "is_violent_recid",
         "--protected", "race", "--learner", "fairbranch", "--epochs", "2", "--no-baseline",
         "--fairness-weight", "1.5", "--learning-rate", "0.002", "--sweep", "tau=0.6,0.8",
         "-q", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    document = json.loads((out / "run.json").read_text())
    params = document["learner"]["params"]
    assert params["fairness_weight"] == 1.5 and params["learning_rate"] == 0.002
    assert params["tau"] in (0.6, 0.8) and document["spec"]["sweep"] == {"tau": [0.6, 0.8]}
    front = json.loads((out / "front.json").read_text())
    assert [p["setting"]["tau"] for p in front["points"]] == [0.6, 0.6, 0.8, 0.8]


# ----- scikit-learn's estimator checks --------------------------------------------------

_CHECKED = [
    cls(
        max_epochs=40,
        hidden_layer_sizes=(16,),
        learning_rate=0.01,
        batch_size=64,
        random_state=0,
    )
    for cls in (MultiTaskMLPClassifier, FairBranchClassifier, L2TFMTClassifier)
]


def _expected_failures(estimator: object) -> dict[str, str]:
    return {
        "check_classifier_multioutput": (
            "predict_proba of several tasks is n x T x 2 by design (one array, the ONNX "
            "output layout), not scikit-learn's list of T (n, 2) arrays"
        )
    }


@parametrize_with_checks(_CHECKED, expected_failed_checks=_expected_failures)
def test_scikit_learn_compatible(estimator: object, check: Any) -> None:
    check(estimator)
