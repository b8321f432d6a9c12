"""Tests for the built-in datasets, user CSV loading and the shared preprocessor."""

from __future__ import annotations

import gzip
import hashlib
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairfront.datasets import (
    ConstantProtectedError,
    CSVReadError,
    Dataset,
    DatasetError,
    InvalidOptionError,
    MissingColumnError,
    MostlyMissingColumnError,
    PositiveClassRequiredError,
    ProtectedAttribute,
    ProtectedAttributeError,
    TargetNotBinaryError,
    TooFewRowsError,
    UnknownDatasetError,
    UnknownPositiveClassError,
    UnknownValueError,
    default_protected,
    list_datasets,
    load_csv,
    load_dataset,
    make_preprocessor,
    prepare_for_onnx,
)

DATA = resources.files("fairfront.datasets").joinpath("data")


def _packaged(name: str) -> pd.DataFrame:
    with DATA.joinpath(name).open("rb") as handle:
        return pd.read_csv(handle, compression="gzip", skipinitialspace=True, na_values=["?"])


@pytest.fixture(scope="module")
def adult() -> Dataset:
    return load_dataset("adult")


@pytest.fixture(scope="module")
def compas() -> Dataset:
    return load_dataset("compas")


@pytest.fixture(scope="module")
def german() -> Dataset:
    return load_dataset("german")


@pytest.fixture(scope="module")
def bank() -> Dataset:
    return load_dataset("bank")


@pytest.fixture(scope="module")
def bank_raw() -> pd.DataFrame:
    """The first 400 rows of the real Bank Marketing file (both classes present)."""
    frame = _packaged("bank.csv.gz")
    return pd.concat(
        [
            frame[frame["Probability"] == "yes"].head(200),
            frame[frame["Probability"] == "no"].head(200),
        ]
    ).reset_index(drop=True)


def _write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def _check_common(ds: Dataset) -> None:
    assert ds.y.dtype == np.int64
    assert set(np.unique(ds.y)) == {0, 1}
    assert len(ds.X) == len(ds.y) == len(ds.sensitive)
    assert ds.X.index.equals(ds.sensitive.index)
    assert list(ds.sensitive.columns) == [a.column for a in ds.protected]
    assert ds.target not in ds.X.columns
    assert sorted(ds.categorical + ds.numeric) == sorted(ds.X.columns)
    for column in ds.categorical:
        assert ds.X[column].dtype == object
        assert all(isinstance(v, str) for v in ds.X[column].dropna())
    for column in ds.sensitive.columns:
        assert all(isinstance(v, str) for v in ds.sensitive[column])
    if ds.has_test:
        assert ds.X_test is not None and ds.y_test is not None and ds.sensitive_test is not None
        assert list(ds.X_test.columns) == list(ds.X.columns)
        assert len(ds.X_test) == len(ds.y_test) == len(ds.sensitive_test)
        pre = ds.preprocessor()
        train = pre.fit_transform(ds.X)
        test = pre.transform(ds.X_test)
        assert train.shape[1] == test.shape[1]
        assert train.shape[0] == len(ds.X)


# ----------------------------------------------------------------- packaging
def test_list_datasets() -> None:
    assert list_datasets() == ["adult", "bank", "compas", "german"]


def test_packaged_files_match_provenance_hashes() -> None:
    provenance = resources.files("fairfront.datasets").joinpath("PROVENANCE.md").read_text()
    hashes = {
        Path(name).name: digest
        for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", provenance, flags=re.M)
    }
    packaged = {
        "adult.data": "adult.data.csv.gz",
        "adult.test": "adult.test.csv.gz",
        "compas-scores-two-years.csv": "compas.csv.gz",
        "german.csv": "german.csv.gz",
        "bank.csv": "bank.csv.gz",
    }
    assert set(hashes) == set(packaged)
    for original, name in packaged.items():
        raw = gzip.decompress(DATA.joinpath(name).read_bytes())
        assert hashlib.sha256(raw).hexdigest() == hashes[original], name


# ------------------------------------------------------------------ built-ins
def test_adult(adult: Dataset) -> None:
    _check_common(adult)
    assert adult.X.shape == (32_561, 14)
    assert adult.X_test is not None and adult.X_test.shape == (16_281, 14)
    assert (adult.target, adult.positive, adult.negative) == ("Y", ">50K", "<=50K")
    assert [a.column for a in adult.protected] == ["sex", "race", "age"]
    raw = _packaged("adult.data.csv.gz")
    expected_sex = raw["sex"].value_counts().to_dict()
    assert expected_sex == {"Male": 21_790, "Female": 10_771}
    assert adult.sensitive["sex"].value_counts().to_dict() == expected_sex
    race = adult.sensitive["race"].value_counts().to_dict()
    assert race == {"White": 27_816, "non-White": 32_561 - 27_816}
    prime_age = int(raw["age"].between(25, 59).sum())
    assert adult.sensitive["age"].value_counts().to_dict() == {
        "25-59": prime_age,
        "under 25 or 60+": 32_561 - prime_age,
    }
    assert int(adult.y.sum()) == int((raw["Y"] == ">50K").sum()) == 7_841
    assert adult.y_test is not None and 0.2 < adult.y_test.mean() < 0.3  # test labels lost "."
    assert adult.X["workclass"].isna().sum() == 1_836  # "?" is missing
    assert adult.warnings == []


def test_adult_ignores_test_size() -> None:
    ds = load_dataset("adult", test_size=0.5, protected=["sex"])
    assert ds.X_test is not None and len(ds.X_test) == 16_281


def test_adult_all_values_views() -> None:
    ds = load_dataset("adult", protected=["race:all", "age:25,45,65"], drop_protected=True)
    assert ds.sensitive["race"].nunique() == 5
    assert set(ds.sensitive["age"]) == {"under 25", "25-44", "45-64", "65+"}
    assert "race" not in ds.X.columns and "age" not in ds.X.columns
    assert "race" not in ds.categorical and "age" not in ds.numeric


def test_compas(compas: Dataset) -> None:
    _check_common(compas)
    assert compas.X_test is not None
    assert len(compas.X) + len(compas.X_test) == 6_172
    assert abs(len(compas.X_test) - 0.25 * 6_172) <= 1
    assert sorted(compas.X.columns) == sorted(
        [
            "sex", "age", "age_cat", "race", "juv_fel_count", "juv_misd_count",
            "juv_other_count", "priors_count", "c_charge_degree",
        ]
    )  # fmt: skip
    assert (compas.target, compas.positive, compas.negative) == ("two_year_recid", "1", "0")
    assert set(compas.sensitive["race"]) == {"African-American", "other"}
    assert set(compas.sensitive["sex"]) == {"Female", "Male"}
    assert compas.sensitive_test is not None
    total_aa = (compas.sensitive["race"] == "African-American").sum() + (
        compas.sensitive_test["race"] == "African-American"
    ).sum()
    assert total_aa == 3_175
    assert 0.40 < compas.y.mean() < 0.50
    assert compas.warnings == []


def test_compas_split_is_stratified(compas: Dataset) -> None:
    assert compas.y_test is not None and compas.sensitive_test is not None
    assert abs(compas.y.mean() - compas.y_test.mean()) < 0.01
    train_aa = (compas.sensitive["race"] == "African-American").mean()
    test_aa = (compas.sensitive_test["race"] == "African-American").mean()
    assert abs(train_aa - test_aa) < 0.01


def test_german(german: Dataset) -> None:
    _check_common(german)
    assert german.X_test is not None and len(german.X) + len(german.X_test) == 1_000
    assert (german.positive, german.negative) == ("1", "2")
    assert set(german.X["sex"]) == {"female", "male"}
    assert {"checking_status", "duration", "credit_amount", "foreign_worker"} <= set(german.X)
    assert not any(c.isdigit() for c in german.X.columns)
    assert set(german.sensitive["age"]) == {"under 25", "25+"}
    sensitive_test = german.sensitive_test
    assert sensitive_test is not None
    females = (german.sensitive["sex"] == "female").sum() + (
        sensitive_test["sex"] == "female"
    ).sum()
    assert females == 310  # A92 only: the file has no A95
    assert german.y_test is not None
    assert np.concatenate([german.y, german.y_test]).sum() == 700


def test_bank(bank: Dataset) -> None:
    _check_common(bank)
    assert bank.X_test is not None and len(bank.X) + len(bank.X_test) == 11_162
    assert (bank.positive, bank.negative) == ("yes", "no")
    assert set(bank.sensitive["age"]) == {"25-59", "under 25 or 60+"}
    assert set(bank.sensitive["marital"]) == {"married", "not married"}
    assert 0.45 < bank.y.mean() < 0.5


def test_defaults_and_options() -> None:
    assert list(default_protected("adult")) == ["sex", "race", "age"]
    assert list(default_protected("compas")) == ["race", "sex"]
    assert default_protected("german")["age"].edges == (25.0,)
    assert default_protected("bank")["marital"].rest == "not married"
    with pytest.raises(UnknownDatasetError, match="'nope'"):
        default_protected("nope")
    ds = load_dataset("german", protected=["sex", "age:30"], test_size=0)
    assert not ds.has_test and ds.X_test is None and len(ds.X) == 1_000
    assert ds.protected[0] == default_protected("german")["sex"]
    assert set(ds.sensitive["age"]) == {"under 30", "30+"}
    swapped = load_dataset("german", positive="2", drop=["telephone"], test_size=0)
    assert swapped.y.sum() == 300 and "telephone" not in swapped.X.columns
    with pytest.raises(InvalidOptionError, match="is_violent_recid"):
        load_dataset("compas", target="is_violent_recid")
    with pytest.raises(InvalidOptionError, match="test_size"):
        load_dataset("german", test_size=1.5)
    with pytest.raises(UnknownDatasetError, match="no-such-dataset"):
        load_dataset("no-such-dataset")
    with pytest.raises(ProtectedAttributeError, match="'sex' is given twice"):
        load_dataset("german", protected=["sex", "sex:all"])


# --------------------------------------------------------------- preprocessor
def test_preprocessor_unseen_and_missing(compas: Dataset) -> None:
    pre = compas.preprocessor()
    width = pre.fit_transform(compas.X).shape[1]
    odd = compas.X.head(3).copy()
    odd.loc[0, "race"] = "Martian"
    odd.loc[1, "c_charge_degree"] = np.nan
    odd.loc[2, "priors_count"] = np.nan
    out = pre.transform(odd)
    assert out.shape == (3, width)
    assert np.isfinite(out.toarray()).all()
    # pandas' own str dtype (the pandas 3 default) works as well.
    as_str = compas.X.head(5).astype(dict.fromkeys(compas.categorical, "str"))
    assert pre.transform(as_str).shape == (5, width)


def test_make_preprocessor_structure() -> None:
    pre = make_preprocessor(["a"], ["b"])
    assert [name for name, _, _ in pre.transformers] == ["cat", "num"]
    assert pre.sparse_threshold == 1.0
    assert [name for name, _, _ in make_preprocessor([], ["b"]).transformers] == ["num"]


def test_prepare_for_onnx_converts(german: Dataset) -> None:
    skl2onnx = pytest.importorskip("skl2onnx")
    ort = pytest.importorskip("onnxruntime")
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    pre = german.preprocessor().fit(german.X)
    converted = prepare_for_onnx(pre)
    cat_impute = pre.named_transformers_["cat"].named_steps["impute"]
    assert (
        cat_impute.missing_values
        is not converted.named_transformers_["cat"].named_steps["impute"].missing_values
    )  # original untouched
    types = [
        (c, StringTensorType([None, 1]) if c in german.categorical else FloatTensorType([None, 1]))
        for c in german.X.columns
    ]
    model = skl2onnx.convert_sklearn(converted, initial_types=types, target_opset=17)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    rows = german.X.head(4).copy()
    rows.loc[0, "savings"] = np.nan
    feeds = {
        c: (
            rows[c].fillna("").to_numpy(dtype=object)
            if c in german.categorical
            else rows[c].to_numpy(dtype=np.float32)
        ).reshape(-1, 1)
        for c in german.X.columns
    }
    got = np.asarray(session.run(None, feeds)[0])
    np.testing.assert_allclose(got, pre.transform(rows).toarray(), rtol=1e-5)


# ------------------------------------------------------------------ user CSVs
def test_csv_loads_like_a_builtin(tmp_path: Path, bank_raw: pd.DataFrame) -> None:
    path = _write(bank_raw, tmp_path / "my bank.csv")
    ds = load_dataset(path, target="Probability", positive="yes", protected=["marital:married"])
    _check_common(ds)
    assert ds.name == "my bank"
    assert ds.X_test is not None and len(ds.X) + len(ds.X_test) == 400
    assert set(ds.sensitive["marital"]) == {"married", "non-married"}
    same = load_csv(path, target="Probability", positive="yes", protected=["marital:married"])
    pd.testing.assert_frame_equal(ds.X, same.X)


def test_csv_missing_markers_and_whitespace(tmp_path: Path, bank_raw: pd.DataFrame) -> None:
    frame = bank_raw.astype({"job": object})
    frame.loc[0, "job"] = "?"
    frame.loc[1, "job"] = "  admin.  "
    frame = frame.rename(columns={"job": " job "})
    path = _write(frame, tmp_path / "bank.csv")
    ds = load_csv(path, target="Probability", positive="yes", protected=["marital"], test_size=0)
    assert "job" in ds.X.columns
    assert ds.X["job"].isna().iloc[0]
    assert ds.X.loc[1, "job"] == "admin."


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"target": "Probabilty", "positive": "yes", "protected": ["marital"]},
            MissingColumnError,
            "'Probabilty'.*did you mean 'Probability'",
        ),
        (
            {"target": "Probability", "positive": "yes", "protected": ["maritl"]},
            MissingColumnError,
            "protected column 'maritl'.*'marital'",
        ),
        (
            {
                "target": "Probability",
                "positive": "yes",
                "protected": ["marital"],
                "drop": ["jobs"],
            },
            MissingColumnError,
            "drop column 'jobs'.*'job'",
        ),
        (
            {"target": "education", "positive": "primary", "protected": ["marital"]},
            TargetNotBinaryError,
            "'education'.*found [34]",
        ),
        (
            {"target": "Probability", "positive": None, "protected": ["marital"]},
            PositiveClassRequiredError,
            "'Probability'.*'(yes|no)' or '(yes|no)'",
        ),
        (
            {"target": "Probability", "positive": "Yes", "protected": ["marital"]},
            UnknownPositiveClassError,
            "'Yes'.*'Probability'",
        ),
        (
            {"target": "Probability", "positive": "yes", "protected": ["marital:marreid"]},
            UnknownValueError,
            "'marital'.*'marreid'.*did you mean 'married'",
        ),
        (
            {"target": "Probability", "positive": "yes", "protected": []},
            ProtectedAttributeError,
            "at least one protected",
        ),
        (
            {"target": "Probability", "positive": "yes", "protected": ["Probability"]},
            ProtectedAttributeError,
            "'Probability' is the target",
        ),
        (
            {"target": "Probability", "positive": "yes", "protected": ["job:25"]},
            ProtectedAttributeError,
            "'job'.*non-numeric",
        ),
        (
            {"target": "Probability", "positive": "yes", "protected": ["marital:"]},
            ProtectedAttributeError,
            "marital:",
        ),
    ],
)
def test_csv_errors(
    tmp_path: Path,
    bank_raw: pd.DataFrame,
    kwargs: dict[str, object],
    error: type[DatasetError],
    match: str,
) -> None:
    path = _write(bank_raw, tmp_path / "bank.csv")
    with pytest.raises(error, match=match) as info:
        load_csv(path, **kwargs)  # type: ignore[arg-type]
    assert isinstance(info.value, DatasetError)
    assert isinstance(info.value, ValueError)


def test_csv_constant_protected(tmp_path: Path, bank_raw: pd.DataFrame) -> None:
    married = bank_raw[bank_raw["marital"] == "married"]
    path = _write(married, tmp_path / "married.csv")
    with pytest.raises(ConstantProtectedError, match="'marital'.*single group 'married'") as info:
        load_csv(path, target="Probability", positive="yes", protected=["marital"])
    assert info.value.column == "marital"


def test_csv_mostly_missing_column(tmp_path: Path, bank_raw: pd.DataFrame) -> None:
    frame = bank_raw.astype({"job": object})
    frame.loc[frame.index[: int(0.6 * len(frame))], "job"] = np.nan
    path = _write(frame, tmp_path / "holes.csv")
    # Flagged and left out by default, with a warning that says so.
    ds = load_csv(path, target="Probability", positive="yes", protected=["marital"])
    assert "job" not in ds.X.columns and ds.excluded == {"job": "mostly_missing"}
    assert any("'job' is left out" in w for w in ds.warnings)
    # Put back, it is the error it always was.
    with pytest.raises(MostlyMissingColumnError, match=r"'job' is 60% missing.*drop") as info:
        load_csv(path, target="Probability", positive="yes", protected=["marital"], keep=["job"])
    assert info.value.column == "job"
    ds = load_csv(path, target="Probability", positive="yes", protected=["marital"], drop=["job"])
    assert "job" not in ds.X.columns and ds.excluded == {}


def test_csv_mostly_missing_target(tmp_path: Path, bank_raw: pd.DataFrame) -> None:
    frame = bank_raw.copy()
    frame.loc[frame.index[::3], "Probability"] = np.nan
    frame.loc[frame.index[1::3], "Probability"] = np.nan
    path = _write(frame, tmp_path / "unlabelled.csv")
    with pytest.raises(MostlyMissingColumnError, match="target column 'Probability' is 67%"):
        load_csv(path, target="Probability", positive="yes", protected=["marital"])


def test_csv_too_few_rows(tmp_path: Path, bank_raw: pd.DataFrame) -> None:
    path = _write(bank_raw.iloc[195:205], tmp_path / "tiny.csv")
    with pytest.raises(TooFewRowsError, match="10 rows; at least 20"):
        load_csv(path, target="Probability", positive="yes", protected=["marital"])


def test_csv_missing_target_rows_are_removed(tmp_path: Path, bank_raw: pd.DataFrame) -> None:
    frame = bank_raw.copy()
    frame.loc[[0, 1, 2], "Probability"] = np.nan
    path = _write(frame, tmp_path / "gaps.csv")
    ds = load_csv(path, target="Probability", positive="yes", protected=["marital"], test_size=0)
    assert len(ds.X) == 397
    assert any("3 rows with a missing target" in w for w in ds.warnings)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "empty"),
        (b"a,b,c\n1,2,3\n1,2,3,4,5\n", "not a readable CSV"),
        (b"\x1f\x8b\x08\x00garbage", "binary data"),
        (b"PK\x03\x04\x14\x00\x06\x00", "binary data"),
    ],
)
def test_csv_unreadable(tmp_path: Path, content: bytes, match: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(CSVReadError, match=match):
        load_csv(path, target="Probability", positive="yes", protected=["marital"])


def test_csv_latin1_and_bool_columns(tmp_path: Path, bank_raw: pd.DataFrame) -> None:
    frame = bank_raw.copy()
    frame["city"] = ["Zürich" if i % 2 else "Genève" for i in range(len(frame))]
    frame["has_card"] = frame["balance"] > 1000
    path = tmp_path / "latin1.csv"
    path.write_bytes(frame.to_csv(index=False).encode("latin-1"))
    ds = load_csv(path, target="Probability", positive="yes", protected=["marital"], test_size=0)
    assert set(ds.X["city"]) == {"Zürich", "Genève"}
    assert "has_card" in ds.categorical
    assert set(ds.X["has_card"]) == {"True", "False"}


def test_csv_split_falls_back_when_a_group_is_tiny(tmp_path: Path, bank_raw: pd.DataFrame) -> None:
    frame = bank_raw.iloc[185:215].assign(flag=["rare"] + ["common"] * 29)
    path = _write(frame, tmp_path / "tiny_group.csv")
    ds = load_csv(path, target="Probability", positive="yes", protected=["flag"])
    assert ds.X_test is not None and len(ds.X) + len(ds.X_test) == 30
    assert ds.y_test is not None and set(ds.y_test) == {0, 1}


def test_csv_path_errors(tmp_path: Path) -> None:
    with pytest.raises(CSVReadError, match="no such file"):
        load_csv(tmp_path / "absent.csv", target="y", positive="1", protected=["sex"])
    with pytest.raises(UnknownDatasetError, match="absent.csv"):
        load_dataset(tmp_path / "absent.csv", target="y")


def test_leakage_warning(tmp_path: Path, bank_raw: pd.DataFrame) -> None:
    frame = bank_raw.copy()
    frame["outcome_copy"] = frame["Probability"]
    frame["outcome_code"] = (frame["Probability"] == "yes").astype(int) * 10 + 3
    path = _write(frame, tmp_path / "leaky.csv")
    ds = load_csv(path, target="Probability", positive="yes", protected=["marital"])
    # Left out by default, and the warnings say so.
    assert ds.excluded == {"outcome_copy": "leakage", "outcome_code": "leakage"}
    assert not {"outcome_copy", "outcome_code"} & set(ds.X.columns)
    joined = " | ".join(ds.warnings)
    assert "'outcome_copy' is left out" in joined and "'outcome_code' is left out" in joined
    # Put back on request: used as features, and still warned about.
    kept = ["outcome_copy", "outcome_code"]
    ds = load_csv(path, target="Probability", positive="yes", protected=["marital"], keep=kept)
    joined = " | ".join(ds.warnings)
    assert "'outcome_copy'" in joined
    assert "'outcome_code'" in joined
    assert "outcome_copy" in ds.X.columns and ds.kept == kept and ds.excluded == {}
    assert not any("'balance'" in w or "'job'" in w for w in ds.warnings)


def test_protected_attribute_objects_accepted(tmp_path: Path, bank_raw: pd.DataFrame) -> None:
    path = _write(bank_raw, tmp_path / "bank.csv")
    attr = ProtectedAttribute("age", edges=(40,))
    ds = load_csv(path, target="Probability", positive="yes", protected=[attr, "marital:all"])
    assert ds.protected[0] is attr
    assert set(ds.sensitive["age"]) == {"under 40", "40+"}
    assert set(ds.sensitive["marital"]) == {"married", "single", "divorced"}
