"""A run on a binarised numeric target, exported to ONNX: the card and the graph's
metadata state the rule, and the card's test figures are onnxruntime's on the test
split (recomputed with scikit-learn and Fairlearn as oracles)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
from csv_family import family
from fairlearn.metrics import equalized_odds_difference
from sklearn.metrics import balanced_accuracy_score

from fairfront.datasets import load_dataset
from fairfront.export import OUTPUT_NAMES, card_markdown, export_model, onnx_feed
from fairfront.training import RunSpec, train, write_run

RULE = "credit_amount > median"
PROTECTED = ["sex", "age:25,60"]


@pytest.mark.slow
def test_binarised_target_exports_with_its_rule(tmp_path: Path) -> None:
    case = next(c for c in family() if c.name == "german_amount.csv")
    path = case.write(tmp_path)
    spec = RunSpec(data=str(path), target_rule=RULE, protected=PROTECTED, rounds=40, baseline=False)
    write_run(train(spec), tmp_path / "run")
    onnx_bytes, card = export_model(tmp_path / "run")

    rule = card["target"]["binarised_by"]
    assert rule["text"] == RULE and rule["column"] == "credit_amount"
    assert card["target"]["positive"] == f"credit_amount > {rule['threshold']:g}"
    metadata = {p.key: p.value for p in onnx.load_from_string(onnx_bytes).metadata_props}
    assert metadata["fairfront.target_rule"] == RULE
    assert "binarised from column 'credit_amount'" in metadata["description"]
    assert f"binarised by the rule `{RULE}`" in card_markdown(card)
    assert str(tmp_path) not in str(card)  # no server path
    assert card["run"]["spec"]["data"] == "german_amount"

    data = load_dataset(path, target_rule=RULE, protected=PROTECTED)
    assert data.X_test is not None and data.y_test is not None
    assert data.sensitive_test is not None
    session = onnxruntime.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    label, _ = session.run(list(OUTPUT_NAMES), onnx_feed(data.X_test, card["inputs"]))
    label = np.asarray(label).astype(int)
    test = card["metrics"]["test"]
    assert test["balanced_accuracy"] == pytest.approx(
        balanced_accuracy_score(data.y_test, label), abs=1e-12
    )
    for column in data.sensitive_test.columns:
        gap = equalized_odds_difference(
            data.y_test, label, sensitive_features=data.sensitive_test[column]
        )
        assert test["eo"]["by_attribute"][column] == pytest.approx(gap, abs=1e-12)
    print(
        f"\nrule {RULE!r}: test balanced accuracy {test['balanced_accuracy']:.4f}, "
        f"eo {test['eo']['value']:.4f} ({test['eo']['by_attribute']}), onnxruntime rows "
        f"{len(label)}"
    )
