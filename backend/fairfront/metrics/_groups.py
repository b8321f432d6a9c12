"""Integer group codes for the protected attributes of a set of rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["GroupIndex", "MissingGroupError"]

INTERSECTION_SEP = " & "


class MissingGroupError(ValueError):
    """A protected attribute has missing values, so some rows belong to no group."""


@dataclass(frozen=True)
class GroupIndex:
    """Group membership of ``n_rows`` rows for each protected attribute.

    ``codes[j][i]`` is the index into ``labels[j]`` of row i's group for attribute j.
    Labels are sorted, so that reports are deterministic.
    """

    attributes: tuple[str, ...]
    codes: tuple[np.ndarray, ...]
    labels: tuple[tuple[str, ...], ...]

    @property
    def n_rows(self) -> int:
        return int(self.codes[0].shape[0]) if self.codes else 0

    @classmethod
    def single(cls, n_rows: int, name: str = "all") -> GroupIndex:
        """Every row in one group (no protected attribute given)."""
        return cls((name,), (np.zeros(n_rows, dtype=np.intp),), (("all",),))

    @classmethod
    def from_sensitive(cls, sensitive_features: Any, n_rows: int | None = None) -> GroupIndex:
        """Build from a DataFrame, Series, mapping of columns, 1-D or 2-D array.

        Values are group labels of any type (they are reported as text). Rows with a
        missing value raise :class:`MissingGroupError` naming the attribute.
        """
        columns = _as_columns(sensitive_features)
        if not columns:
            raise ValueError("sensitive_features has no columns")
        codes, labels = [], []
        for name, values in columns.items():
            if n_rows is not None and len(values) != n_rows:
                raise ValueError(
                    f"sensitive feature {name!r} has {len(values)} rows, expected {n_rows}"
                )
            code, uniques = _factorize(values)
            if (code < 0).any():
                raise MissingGroupError(
                    f"protected attribute {name!r} has {int((code < 0).sum())} missing "
                    "values; give them a group of their own or drop those rows"
                )
            codes.append(code)
            labels.append(tuple(str(u) for u in uniques))
        return cls(tuple(columns), tuple(codes), tuple(labels))

    def take(self, rows: np.ndarray) -> GroupIndex:
        """The same attributes and labels, restricted to ``rows``."""
        return GroupIndex(self.attributes, tuple(c[rows] for c in self.codes), self.labels)

    def intersection(self) -> tuple[np.ndarray, tuple[str, ...]]:
        """Codes and labels of the observed cells of the attributes' cross product."""
        if len(self.codes) == 1:
            return self.codes[0], self.labels[0]
        combined = np.zeros(self.n_rows, dtype=np.int64)
        for code, labels in zip(self.codes, self.labels, strict=True):
            combined = combined * len(labels) + code
        observed, inverse = np.unique(combined, return_inverse=True)
        cell_labels = []
        for value in observed:
            parts = []
            for labels in reversed(self.labels):
                value, k = divmod(int(value), len(labels))
                parts.append(labels[k])
            cell_labels.append(INTERSECTION_SEP.join(reversed(parts)))
        return inverse.astype(np.intp), tuple(cell_labels)


def _as_columns(sensitive_features: Any) -> dict[str, Any]:
    if isinstance(sensitive_features, GroupIndex):
        raise TypeError("pass the GroupIndex itself, not as sensitive_features")
    if isinstance(sensitive_features, pd.DataFrame):
        return {str(c): sensitive_features[c].to_numpy() for c in sensitive_features.columns}
    if isinstance(sensitive_features, pd.Series):
        name = str(sensitive_features.name) if sensitive_features.name is not None else "sf0"
        return {name: sensitive_features.to_numpy()}
    if isinstance(sensitive_features, Mapping):
        return {str(k): np.asarray(v) for k, v in sensitive_features.items()}
    array = np.asarray(sensitive_features)
    if array.ndim == 1:
        return {"sf0": array}
    if array.ndim == 2:
        return {f"sf{j}": array[:, j] for j in range(array.shape[1])}
    raise ValueError(f"sensitive_features must be 1-D or 2-D, got {array.ndim} dimensions")


def _factorize(values: Any) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(values, pd.Categorical):
        values = np.asarray(values)
    code, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
    return np.asarray(code, dtype=np.intp), np.asarray(uniques)
