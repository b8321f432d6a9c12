"""The built-in datasets, read from the gzip'd CSVs packaged under ``data/``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import pandas as pd

from fairfront.datasets._csv import read_csv_frame
from fairfront.datasets._dataset import Dataset, build_dataset
from fairfront.datasets.errors import InvalidOptionError, UnknownDatasetError
from fairfront.groups import ProtectedAttribute

logger = logging.getLogger(__name__)

_AGE_25_59 = ProtectedAttribute(
    "age",
    edges=(25, 60),
    groups={"25-59": ("25-59",), "under 25 or 60+": ("under 25", "60+")},
)


def read_packaged(filename: str) -> pd.DataFrame:
    """Read one of the packaged ``data/*.csv.gz`` files (a fresh copy of the frame read
    once per process: the files never change, and typing their columns is most of a
    built-in dataset's load time)."""
    return _read_packaged_once(filename).copy()


@lru_cache(maxsize=8)
def _read_packaged_once(filename: str) -> pd.DataFrame:
    resource = resources.files("fairfront.datasets").joinpath("data", filename)
    with resource.open("rb") as handle:
        return read_csv_frame(handle, compression="gzip")


def read_adult() -> tuple[pd.DataFrame, pd.DataFrame | None]:
    train = read_packaged("adult.data.csv.gz")
    test = read_packaged("adult.test.csv.gz")
    test["Y"] = test["Y"].str.removesuffix(".")
    return train, test


COMPAS_FEATURES = (
    "sex",
    "age",
    "age_cat",
    "race",
    "juv_fel_count",
    "juv_misd_count",
    "juv_other_count",
    "priors_count",
    "c_charge_degree",
)


def _compas() -> tuple[pd.DataFrame, pd.DataFrame | None]:
    # The file repeats decile_score and priors_count; pandas names the second
    # copies "decile_score.1" and "priors_count.1", which are left out below.
    raw = read_packaged("compas.csv.gz")
    days = raw["days_b_screening_arrest"]
    keep = (
        days.between(-30, 30)
        & (raw["is_recid"] != -1)
        & (raw["c_charge_degree"] != "O")
        & raw["score_text"].notna()
        & (raw["score_text"] != "N/A")
    )
    return raw.loc[keep, [*COMPAS_FEATURES, "two_year_recid"]].reset_index(drop=True), None


GERMAN_SEX = {"A91": "male", "A92": "female", "A93": "male", "A94": "male", "A95": "female"}

GERMAN_COLUMNS = {
    "1": "checking_status",
    "2": "duration",
    "4": "purpose",
    "5": "credit_amount",
    "8": "installment_rate",
    "10": "other_debtors",
    "11": "residence_since",
    "12": "property",
    "14": "other_installment_plans",
    "15": "housing",
    "16": "existing_credits",
    "17": "job",
    "18": "people_liable",
    "19": "telephone",
    "20": "foreign_worker",
}
"""Names (after the Statlog documentation) for the columns the file names by number."""


def _german() -> tuple[pd.DataFrame, pd.DataFrame | None]:
    raw = read_packaged("german.csv.gz")
    unknown = sorted(set(raw["sex"].dropna()) - set(GERMAN_SEX))
    if unknown:
        raise ValueError(f"german.csv holds unexpected sex codes {unknown!r}")
    raw["sex"] = raw["sex"].map(GERMAN_SEX).astype(object)
    return raw.rename(columns=GERMAN_COLUMNS), None


def _bank() -> tuple[pd.DataFrame, pd.DataFrame | None]:
    return read_packaged("bank.csv.gz"), None


@dataclass(frozen=True)
class _Builtin:
    """How to load one built-in dataset."""

    read: Callable[[], tuple[pd.DataFrame, pd.DataFrame | None]]
    target: str
    positive: str
    protected: tuple[ProtectedAttribute, ...]
    description: str


_BUILTINS: dict[str, _Builtin] = {
    "adult": _Builtin(
        read=read_adult,
        target="Y",
        positive=">50K",
        protected=(
            ProtectedAttribute("sex", groups={"Female": ("Female",), "Male": ("Male",)}),
            ProtectedAttribute("race", groups={"White": ("White",)}, rest="non-White"),
            _AGE_25_59,
        ),
        description=(
            "UCI Adult (Census Income, 1994): predict income >50K. Train is adult.data "
            "(32,561 rows), test is adult.test (16,281 rows; its own file, so test_size is "
            "ignored). '?' is missing. Defaults follow the multi-fairness setting: sex, race "
            "(White / non-White) and age (25-59 / under 25 or 60+)."
        ),
    ),
    "compas": _Builtin(
        read=_compas,
        target="two_year_recid",
        positive="1",
        protected=(
            ProtectedAttribute(
                "race", groups={"African-American": ("African-American",)}, rest="other"
            ),
            ProtectedAttribute("sex", groups={"Female": ("Female",), "Male": ("Male",)}),
        ),
        description=(
            "ProPublica COMPAS (Broward County, 2013-2014): predict re-offending within two "
            "years (1 = reoffended). ProPublica's filter keeps 6,172 of 7,214 rows: "
            "days_b_screening_arrest in [-30, 30], is_recid != -1, c_charge_degree != 'O' and "
            "score_text present. Features: " + ", ".join(COMPAS_FEATURES) + "; identifiers, "
            "dates, case numbers, COMPAS scores and label-leaking columns are left out."
        ),
    ),
    "german": _Builtin(
        read=_german,
        target="Probability",
        positive="1",
        protected=(
            ProtectedAttribute("sex", groups={"female": ("female",), "male": ("male",)}),
            ProtectedAttribute("age", edges=(25,)),
        ),
        description=(
            "UCI Statlog German Credit (1,000 rows): predict good credit (Probability 1 = "
            "good, 2 = bad). Columns the file names by number get their Statlog names "
            "(e.g. '1' -> checking_status, '5' -> credit_amount); categorical values keep "
            "their A-codes, except 'sex' (A91-A95) mapped to female (A92, A95) and male "
            "(A91, A93, A94)."
        ),
    ),
    "bank": _Builtin(
        read=_bank,
        target="Probability",
        positive="yes",
        protected=(
            _AGE_25_59,
            ProtectedAttribute("marital", groups={"married": ("married",)}, rest="not married"),
        ),
        description=(
            "UCI Bank Marketing (balanced 11,162-row sample): predict term-deposit "
            "subscription. Note that 'duration' is known only after the call."
        ),
    ),
}


def list_datasets() -> list[str]:
    """Return the names of the built-in datasets."""
    return sorted(_BUILTINS)


def _spec(name: str) -> _Builtin:
    try:
        return _BUILTINS[name]
    except KeyError:
        raise UnknownDatasetError(
            f"no built-in dataset named {name!r}; built-ins: {', '.join(list_datasets())}"
        ) from None


def builtin_info(name: str) -> _Builtin:
    """How a built-in dataset loads: its target, positive class, protected attributes."""
    return _spec(name)


def default_protected(name: str) -> dict[str, ProtectedAttribute]:
    """Return a built-in dataset's default protected attributes, keyed by column."""
    return {a.column: a for a in _spec(name).protected}


def load_builtin(
    name: str,
    *,
    target: str | None = None,
    positive: str | None = None,
    protected: Sequence[str | ProtectedAttribute] | None = None,
    drop: Sequence[str] = (),
    keep: Sequence[str] = (),
    drop_protected: bool = False,
    test_size: float | None = None,
    random_state: int = 0,
    target_rule: Any = None,
) -> Dataset:
    """Load a built-in dataset (see :func:`fairfront.datasets.load_dataset`).

    A ``target_rule`` must be about the built-in's target column; its curated
    columns are never excluded as flagged (``keep`` is accepted and checked).
    """
    spec = _spec(name)
    if target is not None and target != spec.target:
        raise InvalidOptionError(
            f"built-in dataset {name!r} has target {spec.target!r}, not {target!r}",
            column=target,
        )
    train, test = spec.read()
    if test is not None and test_size is not None:
        logger.info("%s has its own test file: test_size=%s is ignored", name, test_size)
    defaults: Mapping[str, ProtectedAttribute] = default_protected(name)
    return build_dataset(
        train,
        test,
        name=name,
        target=spec.target,
        positive=(spec.positive if positive is None else positive)
        if target_rule is None
        else positive,
        protected=list(spec.protected) if protected is None else protected,
        defaults=defaults,
        drop=drop,
        keep=keep,
        drop_protected=drop_protected,
        test_size=test_size,
        random_state=random_state,
        description=spec.description,
        target_rule=target_rule,
    )
