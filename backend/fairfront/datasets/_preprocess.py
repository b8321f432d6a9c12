"""Feature typing, the shared preprocessor and the leakage check."""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from fairfront.groups import value_text

logger = logging.getLogger(__name__)

LEAKAGE_THRESHOLD = 0.98
"""Balanced accuracy on train from which a single feature is reported as leaking."""

IDENTIFIER_SHARE = 0.5
"""A categorical with more distinct values than this share of rows looks like an identifier."""

CATEGORICAL_FILL = "missing"
"""Category that missing categorical values become before one-hot encoding."""


def make_preprocessor(categorical: Sequence[str], numeric: Sequence[str]) -> ColumnTransformer:
    """Return a fresh, unfitted preprocessor for the given feature columns.

    Categorical columns are imputed with the constant ``"missing"`` then one-hot
    encoded (unknown categories encode as all zeros); numeric columns are
    median-imputed and passed through unscaled. The output is a sparse matrix
    whenever there is a categorical column. Steps are named ``"cat"`` (with
    ``"impute"`` and ``"onehot"``) and ``"num"``. Only SimpleImputer,
    OneHotEncoder, Pipeline and ColumnTransformer are used, so skl2onnx can
    convert it (see :func:`prepare_for_onnx`).
    """
    transformers: list[tuple[str, Pipeline | SimpleImputer, list[str]]] = []
    if categorical:
        cat = Pipeline(
            [
                ("impute", SimpleImputer(strategy="constant", fill_value=CATEGORICAL_FILL)),
                ("onehot", OneHotEncoder(handle_unknown="ignore", dtype=np.float32)),
            ]
        )
        transformers.append(("cat", cat, list(categorical)))
    if numeric:
        transformers.append(("num", SimpleImputer(strategy="median"), list(numeric)))
    return ColumnTransformer(transformers, sparse_threshold=1.0, verbose_feature_names_out=False)


def prepare_for_onnx(preprocessor: ColumnTransformer) -> ColumnTransformer:
    """Return a copy of a fitted preprocessor whose string imputer skl2onnx accepts.

    skl2onnx converts a string SimpleImputer only when ``missing_values`` is a
    string, while the fitted one looks for NaN. The copy looks for ``""``
    instead, so ONNX callers pass missing categorical values as empty strings.
    The original is left untouched; use the copy only for conversion.
    """
    converted = copy.deepcopy(preprocessor)
    for name, transformer, _ in getattr(converted, "transformers_", []):
        if name == "cat" and isinstance(transformer, Pipeline):
            transformer.named_steps["impute"].set_params(missing_values="")
    return converted


def split_kinds(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Return (categorical, numeric) column names: numeric dtypes are numeric."""
    categorical: list[str] = []
    numeric: list[str] = []
    for column in frame.columns:
        dtype = frame[column].dtype
        is_num = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
        (numeric if is_num else categorical).append(str(column))
    return categorical, numeric


def as_categorical(series: pd.Series) -> pd.Series:
    """Cast to object dtype holding str, keeping missing values as NaN."""
    raw = series.to_numpy(dtype=object)
    missing = pd.isna(raw)
    out = np.full(len(raw), np.nan, dtype=object)
    present = raw[~missing]
    texts = {v: value_text(v) for v in pd.unique(present)}
    out[~missing] = pd.Series(present, dtype=object).map(texts).to_numpy(dtype=object)
    return pd.Series(out, index=series.index, name=series.name, dtype=object)


def _categorical_balanced_accuracy(values: pd.Series, y: np.ndarray) -> float:
    """Best balanced accuracy of mapping each value to one class (missing is a value)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)  # missing: a value too
    labels = np.asarray(y, dtype=np.int64)
    n_pos, n_neg = int((labels == 1).sum()), int((labels == 0).sum())
    if n_pos == 0 or n_neg == 0:
        return 0.5
    counts = np.bincount(codes * 2 + labels, minlength=2 * len(uniques)).reshape(-1, 2)
    neg = counts[:, 0] / n_neg
    pos = counts[:, 1] / n_pos
    return float(0.5 * np.maximum(neg, pos).sum())


def _threshold_balanced_accuracy(values: pd.Series, y: np.ndarray) -> float:
    """Best balanced accuracy of one threshold on a numeric column (missing rows ignored)."""
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    keep = ~np.isnan(x)
    x, t = x[keep], y[keep]
    n_pos, n_neg = int(t.sum()), int(len(t) - t.sum())
    if n_pos == 0 or n_neg == 0:
        return 0.5
    order = np.argsort(x, kind="stable")
    x, t = x[order], t[order]
    last = np.r_[x[1:] != x[:-1], True]  # last position of each distinct value
    pos_below = np.cumsum(t)[last] / n_pos
    neg_below = np.cumsum(1 - t)[last] / n_neg
    # Predict positive above the cut (or below it): balanced accuracy of both directions.
    above = 0.5 * ((1 - pos_below) + neg_below)
    return float(np.max(np.maximum(above, 1 - above)))


def balanced_accuracy_alone(values: pd.Series, y: np.ndarray, *, numeric: bool) -> float:
    """Best balanced accuracy of one column alone on binary ``y``.

    A numeric column is cut at one threshold (rows missing it ignored); any other
    maps each value (missing is a value) to one class.
    """
    if numeric:
        return _threshold_balanced_accuracy(values, y)
    return _categorical_balanced_accuracy(as_categorical(values), y)


def leakage_warnings(
    X: pd.DataFrame, y: np.ndarray, categorical: Sequence[str], numeric: Sequence[str]
) -> list[str]:
    """Return warnings for features that alone predict ``y`` almost perfectly."""
    warnings: list[str] = []
    n = len(y)
    for column in categorical:
        distinct = int(X[column].nunique(dropna=True))
        if n >= 20 and distinct > IDENTIFIER_SHARE * n:
            warnings.append(
                f"column {column!r} has {distinct} distinct values for {n} rows: it looks like "
                "an identifier; consider dropping it"
            )
            continue
        score = _categorical_balanced_accuracy(X[column], y)
        if score >= LEAKAGE_THRESHOLD:
            warnings.append(_leak_message(column, score, "its values map each to one class"))
    for column in numeric:
        score = _threshold_balanced_accuracy(X[column], y)
        if score >= LEAKAGE_THRESHOLD:
            how = "a single threshold separates the classes"
            warnings.append(_leak_message(column, score, how))
    for message in warnings:
        logger.warning(message)
    return warnings


def _leak_message(column: str, score: float, how: str) -> str:
    return (
        f"column {column!r} alone predicts the target almost perfectly ({how}: balanced "
        f"accuracy {score:.3f} on train); it may leak the label, consider dropping it"
    )
