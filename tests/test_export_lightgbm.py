"""ONNX export of a fair_gbm run: preprocessing + LightGBM trees in one graph.

Parity with the Python pipeline on Adult's whole test split, plus rows whose numeric
values lie on (and one float32 step either side of) the trees' split thresholds and
rows with missing values and unseen categories.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from fairfront.export import export_model, onnx_feed
from fairfront.runs import RunSpec, TrainedRun, train, write_run

PROBABILITY_TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def gbm_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TrainedRun]:
    out = tmp_path_factory.mktemp("adult-gbm") / "run"
    trained = train(RunSpec(data="adult", learner="fair_gbm", rounds=60, baseline=False))
    write_run(trained, out)
    return out, trained


def _split_thresholds(node: dict[str, Any], found: list[tuple[int, float]]) -> None:
    stack = [node]
    while stack:
        current = stack.pop()
        if "split_feature" in current:
            found.append((int(current["split_feature"]), float(current["threshold"])))
            stack += [current["left_child"], current["right_child"]]


def _probe_rows(trained: TrainedRun, n_rounds: int) -> tuple[pd.DataFrame, int]:
    """The test split, then rows on and beside each numeric split threshold, then edge rows."""
    data = trained.dataset
    assert data.X_test is not None
    base = data.X_test.copy()
    for column in data.numeric:
        base[column] = base[column].astype(np.float64)
    names = list(trained.model.named_steps["preprocess"].get_feature_names_out())
    splits: list[tuple[int, float]] = []
    booster = trained.learner.booster_
    for tree in booster.dump_model(num_iteration=n_rounds)["tree_info"]:
        _split_thresholds(tree["tree_structure"], splits)
    template = base.iloc[:200].to_dict("records")
    extra: list[dict[str, Any]] = []
    for k, (feature, threshold) in enumerate(sorted(set(splits))):
        column = names[feature].split("__", 1)[-1]
        if column not in data.numeric:
            continue
        on = np.float32(threshold)
        for value in (
            np.nextafter(on, np.float32(-np.inf)),
            on,
            np.nextafter(on, np.float32(np.inf)),
        ):
            row = dict(template[k % len(template)])
            row[column] = float(value)
            extra.append(row)
    n_threshold = len(extra)
    for j, column in enumerate([*data.categorical, *data.numeric]):
        row = dict(template[j % len(template)])
        row[column] = np.nan
        extra.append(row)
        if column in data.categorical:
            unseen = dict(template[(j + 3) % len(template)])
            unseen[column] = "never-seen-in-training"
            extra.append(unseen)
    frame = pd.concat([base, pd.DataFrame(extra, columns=base.columns)], ignore_index=True)
    for column in data.categorical:
        frame[column] = frame[column].astype(object)
    return frame, n_threshold


@pytest.mark.parametrize("which", ["selected", "first", "last"])
def test_fair_gbm_onnx_parity_on_adult(gbm_run: tuple[Path, TrainedRun], which: str) -> None:
    out, trained = gbm_run
    learner = trained.learner
    round_ = {"selected": None, "first": 1, "last": learner.n_estimators_}[which]
    onnx_bytes, card = export_model(out, round=round_)
    chosen = card["selection"]["exported_round"]
    assert card["parity"]["passed"] and card["parity"]["rows"] == 16281
    assert card["learner"]["weak_learner"].startswith("LightGBM")
    model = onnx.load_from_string(onnx_bytes)
    assert "TreeEnsembleClassifier" in {n.op_type for n in model.graph.node}

    rows, n_threshold = _probe_rows(trained, chosen)
    assert n_threshold > 0
    truncated = learner.at_round(chosen)
    python = Pipeline(
        [("preprocess", trained.model.named_steps["preprocess"]), ("learner", truncated)]
    )
    expected = python.predict_proba(rows)
    expected_label = (python.predict(rows) == learner.classes_[1]).astype(np.int64)
    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    label, probabilities = session.run(["label", "probabilities"], onnx_feed(rows, card["inputs"]))
    assert label.dtype == np.int64 and label.shape == (len(rows),)
    assert probabilities.dtype == np.float32 and probabilities.shape == (len(rows), 2)
    difference = np.abs(probabilities.astype(np.float64) - expected).max()
    print(f"round {chosen}: {len(rows)} rows, max |p diff| {difference:.3g}")
    assert difference <= PROBABILITY_TOLERANCE
    assert np.array_equal(label, expected_label)
