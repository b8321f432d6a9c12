"""The one CSV reader, the profile and the default set-up, on the transformed-CSV family.

Oracles: the frame each file was written from (read back equal), the set-up a person
would choose (``tests/csv_family.py``, written by hand), and group sizes counted on the
dataset :func:`load_dataset` builds for that set-up.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from csv_family import CSVCase, family

from fairfront.datasets import (
    CSVReadError,
    InvalidOptionError,
    TargetRule,
    TargetRuleError,
    TooFewRowsError,
    group_floor,
    label_text,
    load_dataset,
    profile_csv,
    read_csv,
)
from fairfront.datasets import infer_positive as infer

CASES = {case.name: case for case in family()}


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> CSVCase:
    return CASES[request.param]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("family")


def test_reader_detects_the_format_and_reads_the_values_back(case: CSVCase, folder: Path) -> None:
    frame, detected = read_csv(case.write(folder))
    found = detected.to_dict()
    for key, value in case.csv.items():
        assert found[key] == value, (key, found)
    assert case.source is not None
    source = case.source.reset_index(drop=True)
    if "Unnamed: 0" in frame.columns:  # the written index
        assert (frame["Unnamed: 0"].to_numpy() == np.arange(len(frame))).all()
        frame = frame.drop(columns=["Unnamed: 0"])
    assert list(frame.columns) == [str(c) for c in source.columns]
    for column in source.columns:
        want, got = source[column], frame[str(column)]
        assert (want.isna().to_numpy() == got.isna().to_numpy()).all(), column
        if pd.api.types.is_numeric_dtype(want.dtype):
            assert pd.api.types.is_numeric_dtype(got.dtype), column
            np.testing.assert_allclose(got.to_numpy(float), want.to_numpy(float), rtol=1e-9)
        else:
            present = want.notna().to_numpy()
            assert (
                got[present].astype(str).to_numpy() == want[present].astype(str).to_numpy()
            ).all()


def test_profile_reaches_the_set_up_a_person_would(case: CSVCase, folder: Path) -> None:
    profile = profile_csv(
        case.write(folder), display_name=case.name, target_rule=case.target_rule
    ).to_dict()
    assert profile["display_name"] == case.name
    assert profile["setup_error"] is None
    assert profile["target"] == case.target
    assert profile["target_rule"] == case.target_rule
    assert profile["positive"] == case.positive
    top = profile["target_suggestions"][0]
    assert top["column"] == case.target
    if case.target_rule is None:
        assert top["binary"] is True
        assert top["positive"] == case.positive
        assert (top["positive_question"] is None) == (case.positive is not None)
    assert tuple(profile["suggested_protected"]) == case.protected
    assert tuple(e["column"] for e in profile["excluded"]) == case.excluded
    flags = {c["name"]: c["flags"] for c in profile["columns"]}
    for column in case.excluded:
        assert {"identifier", "leakage"} & set(flags[column])
    warned = {p["column"] for p in profile["protected_suggestions"] if p["warnings"]}
    assert set(case.warned) <= warned


def test_no_suggestion_hides_too_many_or_too_small_groups(case: CSVCase, folder: Path) -> None:
    profile = profile_csv(case.write(folder), target_rule=case.target_rule).to_dict()
    floor = profile["floor"]
    assert floor == group_floor(profile["split"]["train"])
    for suggestion in profile["protected_suggestions"]:
        groups = suggestion["groups"]
        small = [g for g, size in groups.items() if size["train"] < floor]
        if len(groups) > 8 or small:
            assert suggestion["warnings"], suggestion
            assert not suggestion["default"], suggestion
        for group in small:
            assert any(repr(group) in w for w in suggestion["warnings"])
        if suggestion["bins"] is not None:  # numeric: binned, never one group per value
            assert len(groups) <= len(suggestion["bins"]) + 2


def test_group_sizes_are_those_of_the_dataset_the_run_loads(case: CSVCase, folder: Path) -> None:
    path = case.write(folder)
    profile = profile_csv(path, target_rule=case.target_rule).to_dict()
    data = load_dataset(
        path,
        target=case.target if case.target_rule is None else None,
        positive=case.run_positive,
        protected=list(case.protected),
        target_rule=case.target_rule,
    )
    assert tuple(data.excluded) == case.excluded
    assert not set(case.excluded) & set(data.X.columns)
    assert data.sensitive_test is not None
    for suggestion in profile["protected_suggestions"]:
        if not suggestion["default"]:
            continue
        column = suggestion["column"]
        train = data.sensitive[column].value_counts().to_dict()
        test = data.sensitive_test[column].value_counts().to_dict()
        assert {g: s["train"] for g, s in suggestion["groups"].items()} == train
        assert {g: s["test"] for g, s in suggestion["groups"].items() if s["test"]} == test
    assert profile["split"]["train"] == len(data.X)


def test_float_labels_are_numbers() -> None:
    assert label_text(1.0) == label_text("1") == label_text("1.0") == label_text(1) == "1"
    assert infer(["0", "1"]) == "1" and infer(["1", "2"]) is None
    assert infer(["No", "Yes"]) == "Yes" and infer(["<=50K", ">50K"]) == ">50K"
    assert infer(["good", "bad"]) is None


def test_positive_given_as_a_float_matches_integer_labels(folder: Path) -> None:
    case = CASES["compas_latin1.csv"]
    path = case.write(folder)
    for given in ("1", "1.0", 1.0):
        data = load_dataset(path, target="two_year_recid", positive=given, protected=["sex"])  # type: ignore[arg-type]
        assert data.positive == "1" and data.negative == "0"
    source = case.source
    assert source is not None
    assert int(data.y.sum() + (data.y_test.sum() if data.y_test is not None else 0)) == int(
        (source["two_year_recid"] == 1.0).sum()
    )


@pytest.mark.parametrize(
    ("text", "column", "op", "value"),
    [
        ("G3 >= 10", "G3", ">=", 10.0),
        ("score > median", "score", ">", "median"),
        ("class == A", "class", "==", "A"),
        ("class = 'A'", "class", "==", "A"),
        ("income != >50K", "income", "!=", ">50K"),
        ("hours-per-week<=40.5", "hours-per-week", "<=", 40.5),
    ],
)
def test_target_rule_parse(text: str, column: str, op: str, value: object) -> None:
    rule = TargetRule.parse(text)
    assert (rule.column, rule.op, rule.value) == (column, op, value)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "reads"),
        ("G3 10", "no comparison"),
        ("G3 >= A", "needs a number"),
        (">= 3", "names no column"),
    ],
)
def test_target_rule_errors(text: str, match: str) -> None:
    with pytest.raises(TargetRuleError, match=match):
        TargetRule.parse(text)


def test_target_rule_binarises_as_numpy_does(folder: Path) -> None:
    path = CASES["german_amount.csv"].write(folder)
    source = CASES["german_amount.csv"].source
    assert source is not None
    amount = source["credit_amount"].to_numpy(float)
    for text, expected in (
        ("credit_amount > median", amount > np.median(amount)),
        ("credit_amount >= 5000", amount >= 5000),
    ):
        data = load_dataset(path, target_rule=text, protected=["sex"], test_size=0)
        assert data.target == "credit_amount" and "credit_amount" not in data.X.columns
        np.testing.assert_array_equal(data.y, expected.astype(int))
        assert data.target_rule is not None and data.target_rule["text"] == text
    rule = load_dataset(path, target_rule="purpose == A43", protected=["sex"], test_size=0)
    np.testing.assert_array_equal(rule.y, (source["purpose"] == "A43").to_numpy().astype(int))
    assert rule.positive == "purpose == A43" and rule.negative == "purpose != A43"


def test_target_rule_mistakes_are_named(folder: Path) -> None:
    path = CASES["german_amount.csv"].write(folder)
    with pytest.raises(TargetRuleError, match="'purpose'.*non-numeric"):
        load_dataset(path, target_rule="purpose >= 3", protected=["sex"])
    with pytest.raises(TargetRuleError, match="'A4'.*did you mean"):
        load_dataset(path, target_rule="purpose == A4", protected=["sex"])
    with pytest.raises(TargetRuleError, match="holds for no row"):
        load_dataset(path, target_rule="credit_amount > 1e9", protected=["sex"])
    with pytest.raises(InvalidOptionError, match="leave the positive class unset"):
        load_dataset(path, target_rule="credit_amount > median", positive="1", protected=["sex"])
    with pytest.raises(TargetRuleError, match="about column 'credit_amount'"):
        load_dataset(path, target="duration", target_rule="credit_amount > 1", protected=["sex"])


def test_a_class_too_small_to_train_on_is_an_error_not_a_trivial_run(folder: Path) -> None:
    path = CASES["german_amount.csv"].write(folder)
    with pytest.raises(TooFewRowsError, match=r"class 'credit_amount > 15000'.*at least 10"):
        load_dataset(path, target_rule="credit_amount > 15000", protected=["sex"])


def test_leakage_depends_on_the_target(folder: Path) -> None:
    case = CASES["adult_education.csv"]
    profile = profile_csv(case.write(folder))
    assert profile.leakage_for("education-num", "education-num >= 13").keys() == {"education"}
    assert profile.leakage_for("sex") == {}


def test_kept_columns_come_back(folder: Path) -> None:
    case = CASES["bank_bom_id.csv"]
    path = case.write(folder)
    data = load_dataset(path, target="y", positive="yes", protected=["marital"], keep=["ID"])
    assert "ID" in data.X.columns and data.excluded == {} and data.kept == ["ID"]
    assert any("'ID' is flagged as identifier" in w for w in data.warnings)


@pytest.mark.parametrize(
    "content",
    [
        b"k\x90HM$\xcd\x84\rB",  # a lone carriage return in an unquoted field
        b'a,b\n"x,1\n',  # a quote never closed
        b"\xff\xfe\x00",  # a UTF-16 byte-order mark and half a character
    ],
)
def test_garbage_is_a_read_error_or_a_frame(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "junk.csv"
    path.write_bytes(content)
    try:
        frame, _ = read_csv(path)
    except CSVReadError as error:
        assert "'junk.csv'" in str(error)
    else:
        assert isinstance(frame, pd.DataFrame)
