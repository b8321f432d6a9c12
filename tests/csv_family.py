"""A family of transformed CSVs made from the shipped datasets, with the set-up each
should reach.

Every case is a real table (Adult, Bank, COMPAS, German credit) written the way
people's files come: other delimiters and encodings, a byte-order mark, decimal
commas, float, yes/no and 1/2 labels, an ID and an index column, a leaky column, a
numeric target to binarise, a protected attribute with a tiny group. ``expected``
holds what a person reading the file would set up (written by hand, not copied
from the profile), so tests (the profile's, the API's, the chat's) can assert it.

Use: ``for case in family(): path = case.write(tmp_path)``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from fairfront.datasets import builtin_info

__all__ = ["CSVCase", "family", "raw_frame"]


@dataclass(frozen=True)
class CSVCase:
    """One transformed CSV and the set-up it should reach."""

    name: str
    """The file name a person uploads (also the display name)."""
    description: str
    content: bytes
    target: str
    positive: str | None
    """The positive class the profile infers; None when it must ask."""
    answer: str | None
    """What a person answers when asked for the positive class (None: nothing asked)."""
    target_rule: str | None
    """The binarisation rule a person gives (None: the target is binary)."""
    protected: tuple[str, ...]
    """The default protected attributes, as ``RunSpec.protected`` texts."""
    excluded: tuple[str, ...]
    """Columns left out of the features by default."""
    csv: dict[str, object]
    """What the reader should detect (a subset of ``CSVFormat.to_dict()``)."""
    warned: tuple[str, ...] = ()
    """Suggested protected columns that must carry a small-group warning."""
    words: dict[str, str] = field(default_factory=dict)
    """Plain words for the set-up (for chat tests): target, positive, rule."""
    source: pd.DataFrame | None = field(default=None, compare=False, repr=False)
    """The frame written (before encoding), to check what is read back."""

    def write(self, folder: Path) -> Path:
        path = Path(folder) / self.name
        path.write_bytes(self.content)
        return path

    @property
    def run_positive(self) -> str | None:
        """The positive class a run uses (the inferred one, or the answer)."""
        return self.positive if self.positive is not None else self.answer


@cache
def raw_frame(name: str) -> pd.DataFrame:
    """A built-in's rows as its loader reads them (Adult: its train file only)."""
    train, _ = builtin_info(name).read()
    return train.reset_index(drop=True)


def _sample(name: str, n: int, seed: int) -> pd.DataFrame:
    frame = raw_frame(name)
    if n >= len(frame):
        return frame.copy()
    return frame.sample(n=n, random_state=seed).reset_index(drop=True)


def _text(frame: pd.DataFrame, **to_csv: object) -> str:
    buffer = io.StringIO()
    frame.to_csv(buffer, lineterminator="\n", **to_csv)  # type: ignore[call-overload]
    return buffer.getvalue()


def _german_semicolon() -> CSVCase:
    frame = raw_frame("german").copy()
    frame.insert(5, "monthly_rate", (frame["credit_amount"] / frame["duration"]).round(2))
    text = _text(frame, index=False, sep=";", decimal=",")
    return CSVCase(
        name="german_semicolon.csv",
        description="German credit: ';' delimiter, decimal commas, labels 1/2 (1 = good)",
        content=text.encode("utf-8"),
        target="Probability",
        positive=None,
        answer="1",
        target_rule=None,
        protected=("sex", "age:25,60"),
        excluded=(),
        csv={"delimiter": ";", "decimal": ",", "encoding": "utf-8", "bom": False},
        warned=("foreign_worker",),
        words={"target": "Probability", "positive": "1 means good credit"},
        source=frame,
    )


def _adult_tab_utf16() -> CSVCase:
    frame = _sample("adult", 3000, 1).rename(columns={"Y": "income"})
    text = _text(frame, index=False, sep="\t", na_rep="?")
    return CSVCase(
        name="adult_tab_utf16.csv",
        description="Adult: tab delimiter, UTF-16 with a byte-order mark, '?' for missing",
        content=text.encode("utf-16"),
        target="income",
        positive=">50K",
        answer=None,
        target_rule=None,
        protected=("sex", "race:=White,Black,Asian-Pac-Islander", "age:25,60"),
        excluded=(),
        csv={"delimiter": "\t", "encoding": "utf-16-le", "bom": True, "missing_tokens": ["?"]},
        words={"target": "income"},
        source=frame,
    )


def _compas_latin1() -> CSVCase:
    frame = raw_frame("compas").copy()
    frame["two_year_recid"] = frame["two_year_recid"].astype(float)
    rng = np.random.default_rng(3)
    frame.insert(
        4, "court", rng.choice(["Fort Lauderdale", "Pompano Beach", "Délégation"], len(frame))
    )
    text = _text(frame, index=True, float_format="%.1f")
    return CSVCase(
        name="compas_latin1.csv",
        description="COMPAS: Latin-1, labels 1.0/0.0, the index written as 'Unnamed: 0'",
        content=text.encode("latin-1"),
        target="two_year_recid",
        positive="1",
        answer=None,
        target_rule=None,
        protected=("sex", "race:=African-American,Caucasian,Hispanic", "age:25,60"),
        excluded=("Unnamed: 0",),
        csv={"delimiter": ",", "encoding": "latin-1", "bom": False},
        words={"target": "two_year_recid"},
        source=frame,
    )


def _bank_bom_id() -> CSVCase:
    frame = _sample("bank", 3000, 2).rename(columns={"Probability": "y"})
    rng = np.random.default_rng(4)
    frame.insert(0, "ID", rng.choice(np.arange(100000, 999999), size=len(frame), replace=False))
    text = _text(frame, index=False)
    return CSVCase(
        name="bank_bom_id.csv",
        description="Bank marketing: UTF-8 with a byte-order mark, labels yes/no, an ID column",
        content=b"\xef\xbb\xbf" + text.encode("utf-8"),
        target="y",
        positive="yes",
        answer=None,
        target_rule=None,
        protected=("age:25,60", "marital"),
        excluded=("ID",),
        csv={"delimiter": ",", "encoding": "utf-8", "bom": True},
        words={"target": "y"},
        source=frame,
    )


def _bank_leaky_quoted() -> CSVCase:
    frame = _sample("bank", 3000, 5).rename(columns={"Probability": "subscribed"})
    frame["job"] = frame["job"].replace(
        {"admin.": "admin., office", "services": "services, retail"}
    )
    frame["education"] = frame["education"].replace({"unknown": np.nan})
    rng = np.random.default_rng(6)
    outcome = np.where(frame["subscribed"] == "yes", "accepted offer", "declined offer")
    flip = rng.random(len(frame)) < 0.005
    outcome[flip] = np.where(outcome[flip] == "accepted offer", "declined offer", "accepted offer")
    frame.insert(3, "call_result", outcome)
    text = _text(frame, index=False, na_rep="NA")
    return CSVCase(
        name="bank_leaky_quoted.csv",
        description="Bank marketing: quoted fields holding commas, 'NA' for missing, a column "
        "that leaks the label",
        content=text.encode("utf-8"),
        target="subscribed",
        positive="yes",
        answer=None,
        target_rule=None,
        protected=("age:25,60", "marital"),
        excluded=("call_result",),
        csv={"delimiter": ",", "quotechar": '"', "missing_tokens": ["NA"]},
        words={"target": "subscribed"},
        source=frame,
    )


def _adult_education_rule() -> CSVCase:
    frame = _sample("adult", 3000, 7).drop(columns=["Y"])
    text = _text(frame, index=False, na_rep="")
    return CSVCase(
        name="adult_education.csv",
        description="Adult without its income column: predict education-num >= 13 "
        "(a numeric target to binarise; 'education' then leaks it)",
        content=text.encode("utf-8"),
        target="education-num",
        positive=None,
        answer=None,
        target_rule="education-num >= 13",
        protected=("sex", "race:=White,Black,Asian-Pac-Islander", "age:25,60"),
        excluded=("education",),
        csv={"delimiter": ",", "encoding": "utf-8", "missing_tokens": [""]},
        words={"target": "education-num", "rule": "education-num at least 13"},
        source=frame,
    )


def _german_amount_rule() -> CSVCase:
    frame = raw_frame("german").copy()
    text = _text(frame, index=False, sep="|")
    return CSVCase(
        name="german_amount.csv",
        description="German credit, '|' delimiter: predict a credit amount above the median",
        content=text.encode("utf-8"),
        target="credit_amount",
        positive=None,
        answer=None,
        target_rule="credit_amount > median",
        protected=("sex", "age:25,60", "foreign_worker"),
        excluded=(),
        csv={"delimiter": "|"},
        words={"target": "credit_amount", "rule": "credit amount above the median"},
        source=frame,
    )


def _german_tiny_group() -> CSVCase:
    frame = raw_frame("german").copy()
    frame["Probability"] = frame["Probability"].map({1: "good", 2: "bad"})
    rng = np.random.default_rng(8)
    religion = np.array(["none"] * 500 + ["christian"] * 400 + ["muslim"] * 88 + ["jewish"] * 12)
    frame.insert(9, "religion", rng.permutation(religion))
    frame = frame.drop(columns=["foreign_worker"])
    text = _text(frame, index=False)
    return CSVCase(
        name="german_religion.csv",
        description="German credit, labels good/bad, a religion column with a 12-row group",
        content=text.encode("utf-8"),
        target="Probability",
        positive=None,
        answer="good",
        target_rule=None,
        protected=("sex", "age:25,60", "religion:=none,christian"),
        excluded=(),
        csv={"delimiter": ","},
        words={"target": "Probability", "positive": "good"},
        source=frame,
    )


@cache
def _family() -> tuple[CSVCase, ...]:
    return (
        _german_semicolon(),
        _adult_tab_utf16(),
        _compas_latin1(),
        _bank_bom_id(),
        _bank_leaky_quoted(),
        _adult_education_rule(),
        _german_amount_rule(),
        _german_tiny_group(),
    )


def family() -> tuple[CSVCase, ...]:
    """Every case, built once per process."""
    return _family()
