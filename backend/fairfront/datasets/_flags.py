"""What a column looks like: its kind, and flags (identifier, constant, free text, leakage).

Identifier and leakage columns are left out of the features by default (see
:func:`excluded_columns`); the caller can put them back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from fairfront.datasets._preprocess import LEAKAGE_THRESHOLD, balanced_accuracy_alone

__all__ = [
    "EXCLUDED_FLAGS",
    "FLAGS",
    "Kind",
    "column_flags",
    "column_kind",
    "excluded_columns",
    "leakage_columns",
    "name_tokens",
]

Kind = Literal["numeric", "binary", "categorical", "text", "datetime", "empty"]

FLAGS = ("identifier", "constant", "free_text", "leakage", "mostly_missing")
"""Flags a column may carry."""

EXCLUDED_FLAGS = ("identifier", "leakage", "mostly_missing")
"""Flags that leave a column out of the features unless it is kept."""

MOSTLY_MISSING = 0.5
"""Missing share above which a column is flagged ``mostly_missing``."""

ID_TOKENS = frozenset({"id", "ids", "uuid", "guid", "index", "idx", "unnamed", "rowid", "key"})
_INDEX_NAME = re.compile(r"unnamed:?\s*\d+|index|level_\d+", re.IGNORECASE)
_DATE = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2})?.*)?|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}"
)
FREE_TEXT_LENGTH = 30
"""Mean characters from which a mostly-distinct text column reads as free text."""
LEAKAGE_MAX_CATEGORIES = 0.05
"""A categorical with more distinct values than this share of rows is not tested for leakage
(one value per handful of rows maps to a class by chance)."""


def name_tokens(name: str) -> list[str]:
    """Lower-case words of a column name: ``"customerID"`` -> ``["customer", "id"]``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", str(name))
    return [t for t in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if t]


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
        series.dtype
    )


def _looks_like_dates(present: pd.Series) -> bool:
    sample = present.astype(str).head(200)
    return bool(len(sample)) and bool(sample.str.fullmatch(_DATE).mean() >= 0.95)


def _is_free_text(present: pd.Series, distinct: int) -> bool:
    if not len(present):
        return False
    texts = present.astype(str)
    return (
        distinct > 0.5 * len(present)
        and float(texts.str.len().mean()) >= FREE_TEXT_LENGTH
        and float(texts.str.contains(" ", regex=False).mean()) >= 0.5
    )


def column_kind(series: pd.Series) -> Kind:
    """numeric, binary (two values), categorical, text (free text), datetime or empty."""
    present = series.dropna()
    distinct = int(present.nunique())
    if distinct == 0:
        return "empty"
    if distinct == 2:
        return "binary"
    if _is_numeric(series):
        return "numeric"
    if _looks_like_dates(present):
        return "datetime"
    if _is_free_text(present, distinct):
        return "text"
    return "categorical"


def _is_identifier(name: str, series: pd.Series) -> bool:
    if _INDEX_NAME.fullmatch(name.strip()):
        return True
    present = series.dropna()
    n = len(present)
    if n < 20 or len(series) and n < 0.95 * len(series):
        return False
    unique = int(present.nunique()) == n
    if not unique:
        return False
    if ID_TOKENS & set(name_tokens(name)):
        return True
    if _is_numeric(series):
        x = present.to_numpy(dtype=float)
        integral = bool(np.all(np.mod(x, 1) == 0))
        return integral and float(x.max() - x.min()) == n - 1  # a row counter
    return True  # text unique per row: names, codes, keys


def column_flags(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Target-independent flags per column (identifier, constant, free_text, mostly_missing)."""
    flags: dict[str, list[str]] = {}
    for column in frame.columns:
        series = frame[column]
        name = str(column)
        found: list[str] = []
        present = series.dropna()
        distinct = int(present.nunique())
        if _is_identifier(name, series):
            found.append("identifier")
        if distinct <= 1:
            found.append("constant")
        if not _is_numeric(series) and _is_free_text(present, distinct):
            found.append("free_text")
        if len(series) and float(series.isna().mean()) > MOSTLY_MISSING:
            found.append("mostly_missing")
        flags[name] = found
    return flags


def leakage_columns(
    frame: pd.DataFrame,
    y: np.ndarray,
    *,
    skip: Iterable[str] = (),
    threshold: float = LEAKAGE_THRESHOLD,
) -> dict[str, float]:
    """Columns that alone predict the binary ``y`` almost perfectly, with that score.

    ``frame`` and ``y`` are aligned (rows with a label). The score is the best balanced
    accuracy of one column on its own: a value-to-class map for a categorical (tested
    only when it has at most 5% as many values as rows), one threshold for a number.
    """
    skipped = set(skip)
    n = len(y)
    out: dict[str, float] = {}
    if n == 0 or len(np.unique(y)) < 2:
        return out
    for column in frame.columns:
        name = str(column)
        if name in skipped:
            continue
        series = frame[column]
        distinct = int(series.nunique(dropna=True))
        if distinct <= 1:
            continue
        numeric = _is_numeric(series)
        if not numeric and distinct > max(2, LEAKAGE_MAX_CATEGORIES * n):
            continue
        score = balanced_accuracy_alone(series, y, numeric=numeric)
        if score >= threshold:
            out[name] = score
    return out


def excluded_columns(
    flags: Mapping[str, Sequence[str]], keep: Iterable[str] = ()
) -> dict[str, str]:
    """Columns left out of the features (identifier, leakage) and why, less ``keep``."""
    kept = set(keep)
    out: dict[str, str] = {}
    for column, found in flags.items():
        reasons = [f for f in found if f in EXCLUDED_FLAGS]
        if reasons and column not in kept:
            out[column] = " and ".join(reasons)
    return out
