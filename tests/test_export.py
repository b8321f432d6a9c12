"""ONNX export: one graph from raw columns to label and probabilities, and its card.

Parity is checked on the whole Adult test set and on COMPAS, at the selected round and
another one, with extra rows whose numeric values lie exactly on (and one float32 step
either side of) the trees' split thresholds, rows with unseen categories and rows with
missing values (Python: NaN; ONNX: "" for categoricals, NaN for numerics).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
import pytest
import skl2onnx
from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType, StringTensorType
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier

from app.cli import main
from fairfront.datasets import prepare_for_onnx
from fairfront.export import (
    ExportError,
    card_markdown,
    card_paths,
    export_model,
    input_name,
    onnx_feed,
    register_converters,
    write_export,
)
from fairfront.export._converters import ensemble_arrays, leaf_votes
from fairfront.learners import AdaFairClassifier, HistogramTree, MMMFairClassifier
from fairfront.metrics import evaluate
from fairfront.runs import RunSpec, TrainedRun, train, write_run

ROOT = Path(__file__).resolve().parents[1]
PROBABILITY_TOLERANCE = 1e-5
UNSEEN = "never-seen-in-training"


@dataclass
class Run:
    dir: Path
    trained: TrainedRun


@pytest.fixture(scope="module")
def adult_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    out = tmp_path_factory.mktemp("adult") / "run"
    trained = train(RunSpec(data="adult", rounds=100))
    write_run(trained, out)
    return Run(out, trained)


@pytest.fixture(scope="module")
def compas_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    out = tmp_path_factory.mktemp("compas") / "run"
    trained = train(RunSpec(data="compas", rounds=100))
    write_run(trained, out)
    return Run(out, trained)


# ----- rows that probe the edges ------------------------------------------------------


def _threshold_values(run: TrainedRun, n_rounds: int) -> tuple[dict[str, set[float]], int]:
    """For each numeric column, float32 values on and one step either side of its splits."""
    preprocess = run.model.named_steps["preprocess"]
    names = list(preprocess.get_feature_names_out())
    numeric = set(run.dataset.numeric)
    values: dict[str, set[float]] = {}
    exact = 0
    for tree in run.learner.estimators_[:n_rounds]:
        structure = tree.tree_
        for node in np.flatnonzero(structure.children_left != -1):
            column = names[int(structure.feature[node])]
            if column not in numeric:
                continue
            threshold = float(structure.threshold[node])
            on = np.float32(threshold)
            exact += float(on) == threshold
            below = np.nextafter(on, np.float32(-np.inf))
            above = np.nextafter(on, np.float32(np.inf))
            values.setdefault(column, set()).update(float(v) for v in (below, on, above))
    return values, exact


def probe_rows(run: TrainedRun, n_rounds: int) -> tuple[pd.DataFrame, dict[str, int]]:
    """The whole test split plus threshold, unseen-category and missing-value rows."""
    data = run.dataset
    assert data.X_test is not None
    base = data.X_test.copy()
    for column in data.numeric:
        base[column] = base[column].astype(np.float64)
    extra: list[dict[str, Any]] = []
    template = base.iloc[: min(len(base), 200)].to_dict("records")
    thresholds, exact = _threshold_values(run, n_rounds)
    k = 0
    for column, values in sorted(thresholds.items()):
        for value in sorted(values):
            row = dict(template[k % len(template)])
            row[column] = value
            extra.append(row)
            k += 1
    n_threshold = len(extra)
    for column in data.categorical:
        for j in range(3):
            unseen = dict(template[(k + j) % len(template)])
            unseen[column] = UNSEEN
            missing = dict(template[(k + j + 7) % len(template)])
            missing[column] = np.nan
            extra += [unseen, missing]
    for column in data.numeric:
        for j in range(3):
            missing = dict(template[(k + j) % len(template)])
            missing[column] = np.nan
            extra.append(missing)
    everything_missing = dict.fromkeys(base.columns, np.nan)
    everything_unseen = {c: (UNSEEN if c in data.categorical else np.nan) for c in base.columns}
    extra += [everything_missing, everything_unseen]
    frame = pd.concat([base, pd.DataFrame(extra, columns=base.columns)], ignore_index=True)
    for column in data.categorical:
        frame[column] = frame[column].astype(object)
    counts = {
        "test": len(base),
        "threshold": n_threshold,
        "exactly_on_threshold_splits": exact,
        "edge": len(extra) - n_threshold,
    }
    return frame, counts


def parity(run: Run, n_rounds: int | None) -> dict[str, Any]:
    """Export at ``n_rounds`` and compare onnxruntime with the Python pipeline."""
    onnx_bytes, card = export_model(run.dir, round=n_rounds)
    chosen = card["selection"]["exported_round"]
    rows, counts = probe_rows(run.trained, chosen)
    learner = run.trained.learner.at_round(chosen)
    python = Pipeline(
        [("preprocess", run.trained.model.named_steps["preprocess"]), ("learner", learner)]
    )
    expected_proba = python.predict_proba(rows)
    expected_label = (python.predict(rows) == learner.classes_[1]).astype(np.int64)
    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    label, probabilities = session.run(["label", "probabilities"], onnx_feed(rows, card["inputs"]))
    return {
        "round": chosen,
        "rows": len(rows),
        **counts,
        "label_agreement": float(np.mean(label == expected_label)),
        "max_abs_probability_difference": float(
            np.max(np.abs(probabilities.astype(np.float64) - expected_proba))
        ),
        "label_dtype": label.dtype,
        "label_shape": label.shape,
        "probabilities_dtype": probabilities.dtype,
        "probabilities_shape": probabilities.shape,
        "card": card,
    }


def _check_parity(result: dict[str, Any]) -> None:
    print({k: v for k, v in result.items() if k != "card"})
    assert result["label_agreement"] == 1.0
    assert result["max_abs_probability_difference"] <= PROBABILITY_TOLERANCE
    assert result["label_dtype"] == np.int64 and result["label_shape"] == (result["rows"],)
    assert result["probabilities_dtype"] == np.float32
    assert result["probabilities_shape"] == (result["rows"], 2)
    assert result["threshold"] > 0 and result["exactly_on_threshold_splits"] > 0


# ----- parity -------------------------------------------------------------------------


def test_adult_parity_at_the_selected_round(adult_run: Run) -> None:
    result = parity(adult_run, None)
    assert result["round"] == adult_run.trained.selected_round
    assert result["test"] == 16281
    _check_parity(result)
    assert result["card"]["parity"]["label_agreement"] == 1.0


def test_adult_parity_at_another_round(adult_run: Run) -> None:
    selected = adult_run.trained.selected_round
    other = 100 if selected != 100 else 50
    result = parity(adult_run, other)
    assert result["round"] == other
    _check_parity(result)
    assert result["card"]["selection"]["is_selected_round"] is False
    assert "NOT the run's selected round" in result["card"]["selection"]["note"]


@pytest.mark.parametrize("which", ["selected", "first"])
def test_compas_parity(compas_run: Run, which: str) -> None:
    result = parity(compas_run, None if which == "selected" else 1)
    assert result["test"] == 1543
    _check_parity(result)


def test_adafair_converts_and_agrees(tmp_path: Path) -> None:
    trained = train(RunSpec(data="compas", learner="adafair", protected=["race"], rounds=30))
    assert isinstance(trained.learner, AdaFairClassifier)
    write_run(trained, tmp_path / "run")
    _check_parity(parity(Run(tmp_path / "run", trained), None))


@pytest.mark.parametrize(
    ("tree_method", "max_bins"), [("hist", 4096), ("hist", 32), ("exact", 4096)]
)
def test_converter_is_exact_on_thresholds_that_float32_cannot_hold(
    tree_method: str, max_bins: int
) -> None:
    """Random float features: split thresholds are double midpoints, mostly not float32.

    Histogram trees with one bin per value (4096 bins for 600 rows) and with quantile
    bins (32), and scikit-learn's exact trees.
    """
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 4)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] ** 2 + rng.normal(scale=0.7, size=600) > 0.3).astype(int)
    sensitive = rng.integers(0, 2, size=600)
    learner = MMMFairClassifier(
        n_estimators=25, max_depth=3, tree_method=tree_method, max_bins=max_bins, random_state=0
    )
    learner.fit(X, y, sensitive_features=sensitive)
    expected_tree = HistogramTree if tree_method == "hist" else DecisionTreeClassifier
    assert all(isinstance(tree, expected_tree) for tree in learner.estimators_)
    probes = [X]
    not_float32 = 0
    for tree in learner.estimators_:
        structure = tree.tree_
        for node in np.flatnonzero(structure.children_left != -1):
            threshold = float(structure.threshold[node])
            not_float32 += float(np.float32(threshold)) != threshold
            on = np.float32(threshold)
            for value in (
                np.nextafter(on, np.float32(-np.inf)),
                on,
                np.nextafter(on, np.float32(np.inf)),
            ):
                row = X[node % X.shape[0]].copy()
                row[int(structure.feature[node])] = value
                probes.append(row[None, :])
    rows = np.vstack(probes).astype(np.float32)
    assert not_float32 > 0
    register_converters()
    model = skl2onnx.to_onnx(learner, initial_types=[("X", FloatTensorType([None, 4]))])
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    label, probabilities = session.run(["label", "probabilities"], {"X": rows})
    assert np.array_equal(label, learner.predict(rows))
    assert np.max(np.abs(probabilities - learner.predict_proba(rows))) <= PROBABILITY_TOLERANCE

    # Double input holding the thresholds themselves: rounded to float32 first, as in Python.
    doubles = np.vstack([rows.astype(np.float64), *_threshold_rows_double(learner, X)])
    model = skl2onnx.to_onnx(learner, initial_types=[("X", DoubleTensorType([None, 4]))])
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    label, probabilities = session.run(["label", "probabilities"], {"X": doubles})
    assert np.array_equal(label, learner.predict(doubles))
    assert np.max(np.abs(probabilities - learner.predict_proba(doubles))) <= PROBABILITY_TOLERANCE


def _threshold_rows_double(learner: MMMFairClassifier, X: np.ndarray) -> list[np.ndarray]:
    rows = []
    for tree in learner.estimators_:
        structure = tree.tree_
        for node in np.flatnonzero(structure.children_left != -1):
            row = X[node % X.shape[0]].astype(np.float64)
            row[int(structure.feature[node])] = float(structure.threshold[node])
            rows.append(row[None, :])
    return rows


def test_leaf_votes_follow_sklearn_and_ties_vote_negative() -> None:
    X = np.array([[0.0], [0.0], [1.0], [1.0], [2.0], [2.0], [2.0]], dtype=np.float32)
    y = np.array([0, 1, 0, 1, 1, 1, 0])
    tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    leaves = tree.apply(X)
    proba = tree.predict_proba(X)
    expected = np.where(proba[:, 1] > proba[:, 0], 1.0, -1.0)
    assert np.array_equal(leaf_votes(tree)[leaves], expected)
    assert (proba[:, 1] == proba[:, 0]).any()  # a tied leaf, which votes -1


# ----- the graph ----------------------------------------------------------------------


def test_graph_takes_raw_columns_and_returns_label_and_probabilities(adult_run: Run) -> None:
    onnx_bytes, card = export_model(adult_run.dir)
    model = onnx.load_from_string(onnx_bytes)
    onnx.checker.check_model(model)
    graph = model.graph
    data = adult_run.trained.dataset
    inputs = {i.name: i.type.tensor_type for i in graph.input}
    assert list(inputs) == [input_name(c) for c in data.X.columns]
    assert card["input_names"]["marital-status"] == "marital_status"
    for spec in card["inputs"]:
        tensor = inputs[spec["name"]]
        categorical = spec["column"] in data.categorical
        kind = onnx.TensorProto.STRING if categorical else onnx.TensorProto.FLOAT
        assert tensor.elem_type == kind
        assert [d.dim_value for d in tensor.shape.dim][1:] == [1]
    outputs = {o.name: o.type.tensor_type for o in graph.output}
    assert list(outputs) == ["label", "probabilities"]
    assert outputs["label"].elem_type == onnx.TensorProto.INT64
    assert len(outputs["label"].shape.dim) == 1
    assert outputs["probabilities"].elem_type == onnx.TensorProto.FLOAT
    assert outputs["probabilities"].shape.dim[1].dim_value == 2
    ops = [n.op_type for n in graph.node]
    assert "ZipMap" not in ops and ops.count("TreeEnsembleRegressor") == 1
    ensemble = next(n for n in graph.node if n.op_type == "TreeEnsembleRegressor")
    tree_ids = next(a.ints for a in ensemble.attribute if a.name == "nodes_treeids")
    assert len(set(tree_ids)) == adult_run.trained.selected_round
    arrays = ensemble_arrays(adult_run.trained.learner)
    assert arrays.n_trees == adult_run.trained.selected_round
    assert card["model"]["sha256"] == hashlib.sha256(onnx_bytes).hexdigest()


def test_skl2onnx_converts_the_whole_pipeline_in_one_call(compas_run: Run) -> None:
    register_converters()
    model = compas_run.trained.model
    pipeline = Pipeline(
        [
            ("preprocess", prepare_for_onnx(model.named_steps["preprocess"])),
            ("learner", model.named_steps["learner"]),
        ]
    )
    data = compas_run.trained.dataset
    types = [
        (c, (StringTensorType if c in data.categorical else FloatTensorType)([None, 1]))
        for c in data.X.columns
    ]
    converted = skl2onnx.to_onnx(pipeline, initial_types=types)
    assert [o.name for o in converted.graph.output] == ["label", "probabilities"]


# ----- files, card and command line ---------------------------------------------------


def test_cli_export_writes_onnx_and_card(
    adult_run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x" / "model.onnx"
    assert main(["export", str(adult_run.dir), "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "model.card.json",
        "model.card.md",
        "model.onnx",
    ]
    card = json.loads((out.parent / "model.card.json").read_text(encoding="utf-8"))
    front = json.loads((adult_run.dir / "front.json").read_text(encoding="utf-8"))
    run = json.loads((adult_run.dir / "run.json").read_text(encoding="utf-8"))
    assert card["model"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert card["model"]["file"] == "model.onnx"
    assert card["target"] == card["target"] | {
        "column": "Y",
        "positive": ">50K",
        "negative": "<=50K",
        "classes": ["<=50K", ">50K"],
    }
    workclass = next(s for s in card["inputs"] if s["column"] == "workclass")
    assert workclass["type"] == "tensor(string)" and "Private" in workclass["categories"]
    age = next(s for s in card["inputs"] if s["column"] == "age")
    assert age["type"] == "tensor(float)" and age["median"] == 37.0
    assert card["protected"] == run["dataset"]["protected"]
    assert card["learner"]["class"] == "MMMFairClassifier" and card["learner"]["params"]
    selection = card["selection"]
    assert selection["exported_round"] == selection["selected_round"] == front["selection"]["round"]
    assert selection["rule"] == front["selection"]["rule"] and selection["is_selected_round"]
    point = next(p for p in front["points"] if p["selected"])
    assert card["metrics"]["validation"] == point["validation"]
    assert card["metrics"]["test"] == point["test"]
    by_group = card["metrics"]["test_by_group"]
    assert by_group["available"] and by_group["matches_front_json"]
    assert by_group["overall"]["balanced_accuracy"] == pytest.approx(
        point["test"]["balanced_accuracy"], abs=1e-12
    )
    assert set(by_group["attributes"]) == {"sex", "race", "age"}
    assert {"eo", "eo_sum"} <= set(by_group["attributes"]["sex"]["differences"])
    assert "max(TPR gap, FPR gap)" in card["metrics"]["conventions"]["eo"]
    assert "TPR gap + TNR gap" in card["metrics"]["conventions"]["eo_sum"]
    assert set(by_group["attributes"]["sex"]["groups"]) == {"Female", "Male"}
    summary = card["front"]
    assert summary["points"] == 100 and summary["front_rounds"] == front["front_rounds"]
    low, high = summary["ranges_over_front"]["validation"]["balanced_accuracy"]
    assert low <= point["validation"]["balanced_accuracy"] <= high
    assert card["versions"]["export"]["onnxruntime"] == ort.__version__
    assert card["versions"]["export"]["skl2onnx"] == skl2onnx.__version__
    assert re.match(r"\d{4}-\d\d-\d\dT", card["created"])
    markdown = (out.parent / "model.card.md").read_text(encoding="utf-8")
    for heading in (
        "## Inputs",
        "## Outputs",
        "## Protected attributes",
        "## Learner",
        "## Choice of the point",
        "## Metrics at this round",
        "## The front",
        "## Versions",
        "marital_status",
        card["model"]["sha256"],
    ):
        assert heading in markdown
    # every gap with its confidence interval; groups too small to judge are named
    eo = point["test"]["eo"]
    lo, hi = eo["ci"]["value"]
    assert lo <= eo["value"] <= hi
    assert f"{eo['value']:.4f} [{lo:.4f}, {hi:.4f}]" in markdown
    assert "95% confidence interval" in markdown and "Group sizes on test" in markdown
    race = by_group["attributes"]["race"]
    low_eo, high_eo = race["intervals"]["eo"]
    assert low_eo <= race["differences"]["eo"] <= high_eo
    flagged = _too_wide(by_group)
    assert ("Too small to judge" in markdown) == bool(flagged)
    for group, n in flagged:
        assert f"{group} ({n} rows:" in markdown
    # on 150 test rows, groups with few positives are flagged by their intervals
    trained = adult_run.trained
    data = trained.dataset
    rows = data.X_test.iloc[:150]
    predicted = (trained.model.predict(rows) == trained.learner.classes_[1]).astype(int)
    report = evaluate(
        data.y_test[:150],
        predicted,
        sensitive_features=data.sensitive_test.iloc[:150],
        notions=trained.front.notions,
    )
    small = {**card, "metrics": {**card["metrics"], "test_by_group": {
        "available": True, "n_rows": 150, "matches_front_json": True, **report.to_dict()}}}
    text = card_markdown(small)
    wide = _too_wide(small["metrics"]["test_by_group"])
    assert len(wide) > len(flagged) and "Too small to judge" in text
    assert all(f"{group} ({n} rows:" in text for group, n in wide)


def _too_wide(by_group: dict) -> list[tuple[str, int]]:
    """Groups (and intersectional cells) with a tpr, fpr or ppv interval wider than 0.2."""
    sections = [*by_group["attributes"].values(), by_group.get("intersectional") or {}]
    return [
        (group, stats["n"])
        for section in sections
        for group, stats in (section.get("groups") or {}).items()
        if any(
            (ci := stats["intervals"][rate]) is None or ci[1] - ci[0] > 0.2
            for rate in ("tpr", "fpr", "ppv")
        )
    ]


def test_card_paths_sit_beside_the_onnx_file() -> None:
    assert card_paths("x/model.onnx") == (Path("x/model.card.json"), Path("x/model.card.md"))
    assert card_paths("m") == (Path("m.card.json"), Path("m.card.md"))


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("no_run", "holds no complete run"),
        ("round_high", "rounds 1 to 100"),
        ("round_zero", "rounds 1 to 100"),
        ("out_under_a_file", "is a file, not a folder"),
        ("out_is_a_folder", "is a folder"),
    ],
)
def test_cli_export_errors_write_nothing(
    case: str, message: str, adult_run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (target / "a_file").write_text("x")
    out = target / "sub" / "model.onnx"
    args = ["export", str(adult_run.dir), "--out", str(out)]
    if case == "no_run":
        args[1] = str(tmp_path / "empty")
    elif case == "round_high":
        args += ["--round", "101"]
    elif case == "round_zero":
        args += ["--round", "0"]
    elif case == "out_under_a_file":
        args[3] = str(target / "a_file" / "model.onnx")
    else:
        args[3] = str(target)
    assert main(args) == 2
    assert message in capsys.readouterr().err
    assert sorted(p.name for p in target.iterdir()) == ["a_file"]
    assert not (adult_run.dir / "model.onnx").exists()


def test_write_export_leaves_nothing_when_a_file_cannot_be_written(
    compas_run: Run, tmp_path: Path
) -> None:
    out = tmp_path / "model.onnx"
    (tmp_path / "model.card.md").mkdir()  # the Markdown card's path is taken by a folder
    with pytest.raises(ExportError, match="cannot write"):
        write_export(compas_run.dir, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.card.md"]


# ----- onnxruntime alone, as the README shows --------------------------------------


def _readme_script() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Scoring with onnxruntime alone", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None, "the README section has no python block"
    return match.group(1)


def test_readme_script_scores_adult_test_without_fairfront(adult_run: Run, tmp_path: Path) -> None:
    exported = write_export(adult_run.dir, tmp_path / "model.onnx")
    packaged = resources.files("fairfront.datasets") / "data" / "adult.test.csv.gz"
    (tmp_path / "rows.csv").write_bytes(gzip.decompress(packaged.read_bytes()))
    site = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    prelude = (
        "import importlib.util, sys\n"
        f"sys.path.extend({site!r})  # site-packages, without its .pth hooks\n"
        "assert importlib.util.find_spec('fairfront') is None, 'fairfront is importable'\n"
    )
    epilogue = (
        "\nassert 'fairfront' not in sys.modules\n"
        "truth = rows[card['target']['column']].astype(str).str.strip().str.rstrip('.')\n"
        "positive = (truth == card['target']['positive']).to_numpy()\n"
        "tpr = float((labels[positive] == 1).mean())\n"
        "tnr = float((labels[~positive] == 0).mean())\n"
        "print('RESULT', json.dumps({'accuracy': float((labels == positive).mean()),\n"
        "      'balanced_accuracy': (tpr + tnr) / 2, 'rows': int(labels.shape[0])}))\n"
    )
    script = tmp_path / "score.py"
    script.write_text(prelude + _readme_script() + epilogue, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-I", "-S", str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.split("RESULT ", 1)[1])
    test = exported.card["metrics"]["test"]
    assert result["rows"] == 16281
    assert result["accuracy"] == pytest.approx(test["accuracy"], abs=1e-12)
    assert result["balanced_accuracy"] == pytest.approx(test["balanced_accuracy"], abs=1e-12)
