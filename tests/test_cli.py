"""The command line on real data: train writes a front, bad input writes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from app.cli import main
from fairfront.datasets import load_dataset
from fairfront.metrics import evaluate
from fairfront.runs import load_model

# The raw German credit file, from the copy packaged with fairfront (a gzip of the original).
GERMAN_GZ = resources.files("fairfront.datasets") / "data" / "german.csv.gz"


def _check_block(block: dict, notions: list[str], attributes: list[str]) -> None:
    assert 0 <= block["accuracy"] <= 1 and 0 <= block["balanced_accuracy"] <= 1
    for notion in notions:
        assert set(block[notion]["by_attribute"]) == set(attributes)
        worst = max(v for v in block[notion]["by_attribute"].values() if v is not None)
        assert block[notion]["value"] == pytest.approx(worst)


def test_train_writes_a_front_with_validation_and_test_blocks(tmp_path: Path) -> None:
    out = tmp_path / "run"
    code = main(
        ["train", "--data", "compas", "--notions", "eo", "dp", "--rounds", "40",
         "--out", str(out), "-q"]
    )
    assert code == 0
    front = json.loads((out / "front.json").read_text())
    points = front["points"]
    assert [p["round"] for p in points] == list(range(1, len(points) + 1))
    assert len(points) == 40
    assert front["notions"] == ["eo", "dp", "eo_sum"]
    for point in points:
        _check_block(point["validation"], ["eo", "dp", "eo_sum"], ["race", "sex"])
        _check_block(point["test"], ["eo", "dp", "eo_sum"], ["race", "sex"])
    selected = [p for p in points if p["selected"]]
    assert len(selected) == 1 and not selected[0]["trivial"] and selected[0]["on_front"]
    assert front["selection"]["round"] == selected[0]["round"]
    assert front["front_rounds"] == [p["round"] for p in points if p["on_front"]]
    assert not any(p["on_front"] and p["trivial"] for p in points)

    # The saved model predicts at the selected round, and its test figures are the
    # ones written in front.json.
    model = load_model(out)
    data = load_dataset("compas")
    assert data.X_test is not None
    report = evaluate(
        data.y_test, model.predict(data.X_test), sensitive_features=data.sensitive_test,
        notions=["eo", "dp", "eo_sum"],
    )
    assert report.block()["balanced_accuracy"] == pytest.approx(
        selected[0]["test"]["balanced_accuracy"], abs=1e-12
    )
    assert report.block()["eo"]["value"] == pytest.approx(selected[0]["test"]["eo"]["value"])
    run = json.loads((out / "run.json").read_text())
    assert run["spec"]["rounds"] == 40 and run["selection"]["round"] == selected[0]["round"]


def test_constraint_selects_the_best_point_meeting_it(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert main(["train", "--data", "compas", "--rounds", "40", "--constraint", "eo<=0.1",
                 "--out", str(out), "-q"]) == 0
    points = json.loads((out / "front.json").read_text())["points"]
    meeting = [p for p in points if not p["trivial"] and p["validation"]["eo"]["value"] <= 0.1]
    chosen = next(p for p in points if p["selected"])
    if meeting:
        best = max(p["validation"]["balanced_accuracy"] for p in meeting)
        assert chosen["validation"]["balanced_accuracy"] == pytest.approx(best)
        assert chosen["validation"]["eo"]["value"] <= 0.1


def test_constraint_with_confidence_reads_the_interval(tmp_path: Path) -> None:
    """``--confidence 0.95``: the best point whose eo interval's upper end meets the
    bound; when none does, the closest one, and the reason says so."""
    out = tmp_path / "run"
    assert main(["train", "--data", "compas", "--rounds", "40", "--constraint", "eo<=0.2",
                 "--confidence", "0.95", "--out", str(out), "-q", "--no-baseline"]) == 0
    front = json.loads((out / "front.json").read_text())
    assert front["selection"]["rule"]["constraints"][0]["confidence"] == 0.95
    points = [p for p in front["points"] if not p["trivial"]]
    upper = {p["round"]: p["validation"]["eo"]["ci"]["value"][1] for p in points}
    chosen = next(p for p in front["points"] if p["selected"])
    meeting = [p for p in points if upper[p["round"]] <= 0.2]
    if meeting:
        best = max(p["validation"]["balanced_accuracy"] for p in meeting)
        assert chosen["validation"]["balanced_accuracy"] == pytest.approx(best)
        assert upper[chosen["round"]] <= 0.2
    else:
        assert upper[chosen["round"]] == min(upper.values())
        assert "closest to meeting" in front["selection"]["reason"]


def test_adafair_needs_one_protected_attribute(tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    assert main(["train", "--data", "compas", "--learner", "adafair", "--out", str(out)]) == 2
    assert "one protected attribute" in capsys.readouterr().err
    assert not out.exists()
    assert main(["train", "--data", "compas", "--learner", "adafair", "--protected", "race",
                 "--rounds", "30", "--out", str(out), "-q"]) == 0
    assert (out / "front.json").is_file()


def test_adult_front_has_fair_and_accurate_points(tmp_path: Path) -> None:
    """The acceptance setting: Adult, sex + race + age, eo, 300 rounds (about 12 s)."""
    out = tmp_path / "adult"
    assert main(["train", "--data", "adult", "--protected", "sex", "race", "age",
                 "--learner", "mmm_fair", "--notions", "eo", "--rounds", "300",
                 "--out", str(out), "-q"]) == 0
    points = json.loads((out / "front.json").read_text())["points"]
    chosen = next(p for p in points if p["selected"])
    assert not chosen["trivial"] and chosen["test"]["balanced_accuracy"] > 0.75
    front = [p for p in points if p["on_front"]]
    fair = [p for p in front if p["test"]["eo"]["value"] <= 0.06]
    assert fair and max(p["test"]["balanced_accuracy"] for p in fair) >= 0.78


# ----- bad input: a message naming the column, exit code 2, nothing written -----------


@pytest.fixture(scope="module")
def german_frame() -> pd.DataFrame:
    with GERMAN_GZ.open("rb") as handle:
        return pd.read_csv(handle, compression="gzip")


def _bad_csv_cases(frame: pd.DataFrame) -> dict[str, tuple[pd.DataFrame, list[str], str]]:
    half_empty = frame.copy()
    half_empty.loc[: len(frame) * 2 // 3, "savings"] = np.nan
    constant = frame.copy()
    constant["sex"] = "A93"
    three_classes = frame.copy()
    three_classes.loc[:9, "Probability"] = 3
    return {
        "missing column": (frame, ["--target", "Probability", "--positive", "1",
                                   "--protected", "gender"], "gender"),
        "target not binary": (three_classes, ["--target", "Probability", "--positive", "1",
                                              "--protected", "sex"], "Probability"),
        "positive class not given": (frame, ["--target", "Probability", "--protected", "sex"],
                                     "Probability"),
        "constant protected column": (constant, ["--target", "Probability", "--positive", "1",
                                                 "--protected", "sex"], "sex"),
        # left out by default (flagged mostly_missing); kept on request, it is an error
        "column more than half empty": (half_empty, ["--target", "Probability", "--positive",
                                                     "1", "--protected", "sex", "--keep",
                                                     "savings"], "savings"),
    }


@pytest.mark.parametrize(
    "case",
    ["missing column", "target not binary", "positive class not given",
     "constant protected column", "column more than half empty"],
)
def test_bad_csv_names_the_column_and_writes_nothing(
    case: str, german_frame: pd.DataFrame, tmp_path: Path
) -> None:
    frame, options, column = _bad_csv_cases(german_frame)[case]
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "app", "train", "--data", str(path), *options,
         "--rounds", "5", "--out", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 2, result.stderr
    assert column in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
    assert not list(tmp_path.glob(".out.*")), "no scratch folder left behind"


def test_train_refuses_a_non_empty_out(tmp_path: Path, capsys) -> None:
    (tmp_path / "keep.txt").write_text("precious")
    assert main(["train", "--data", "compas", "--rounds", "5", "--out", str(tmp_path)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert (tmp_path / "keep.txt").read_text() == "precious"


def test_out_of_range_rounds_is_refused(tmp_path: Path, capsys) -> None:
    assert main(["train", "--data", "compas", "--rounds", "0", "--out", str(tmp_path / "r")]) == 2
    assert "rounds must be between 1 and 2000" in capsys.readouterr().err


def test_metrics_audits_another_models_predictions(tmp_path: Path, capsys) -> None:
    from sklearn.linear_model import LogisticRegression

    data = load_dataset("compas")
    pre = data.preprocessor()
    model = LogisticRegression(max_iter=500).fit(pre.fit_transform(data.X), data.y)
    assert data.X_test is not None
    predictions = model.predict(pre.transform(data.X_test))
    path = tmp_path / "preds.csv"
    pd.DataFrame({"prediction": predictions}).to_csv(path, index=False)
    report_path = tmp_path / "report.json"
    assert main(["metrics", "--data", "compas", "--predictions", str(path),
                 "--json", str(report_path)]) == 0
    printed = capsys.readouterr().out
    expected = evaluate(data.y_test, predictions, sensitive_features=data.sensitive_test)
    assert f"balanced accuracy {expected.overall['balanced_accuracy']:.4f}" in printed
    written = json.loads(report_path.read_text())
    assert written["attributes"]["race"]["differences"]["eo"] == pytest.approx(
        expected.attributes["race"].differences["eo"]
    )
    # Predictions for the wrong number of rows are refused with the counts.
    pd.DataFrame({"prediction": predictions[:-3]}).to_csv(path, index=False)
    assert main(["metrics", "--data", "compas", "--predictions", str(path)]) == 2
    assert f"{len(predictions) - 3} predictions" in capsys.readouterr().err


def test_a_bad_constraint_is_refused_before_training(tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    assert main(["train", "--data", "compas", "--constraint", "eo<5", "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert "use <= or >=" in captured.err and "boosting" not in captured.err
    assert not out.exists()
