"""Protected attributes and how their raw values map to groups.

A :class:`ProtectedAttribute` names a column and says how its values form the
groups that fairness metrics compare:

* neither ``groups`` nor ``edges``: every distinct value is its own group;
* ``edges``: a numeric column is cut into buckets at the given inner edges,
  e.g. ``(25, 60)`` gives ``"under 25"``, ``"25-59"`` and ``"60+"``;
* ``groups``: group labels mapped to the raw values (or, with ``edges``, the
  bucket labels) they hold, with ``rest`` labelling everything not listed.

Missing values (NaN/None) always form their own group, labelled ``"missing"``;
that group exists only when the data holds missing values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "MISSING_LABEL",
    "GroupingError",
    "NotNumericError",
    "ProtectedAttribute",
    "ProtectedSpecError",
    "UncoveredValueError",
    "value_text",
]

MISSING_LABEL = "missing"
"""Group label given to missing values."""


class GroupingError(ValueError):
    """Base class for errors about protected attributes and their groups."""


class ProtectedSpecError(GroupingError):
    """A protected-attribute definition or command-line text is malformed."""


class UncoveredValueError(GroupingError):
    """A value falls in no group and the attribute has no ``rest`` label."""

    def __init__(self, column: str, value: object, message: str | None = None) -> None:
        self.column = column
        self.value = value
        super().__init__(
            message
            or f"protected attribute {column!r}: value {value!r} is in no group "
            "(list it in a group or give a 'rest' label)"
        )


class NotNumericError(GroupingError):
    """A column bucketed by numeric edges holds a non-numeric value."""

    def __init__(self, column: str, value: object) -> None:
        self.column = column
        self.value = value
        super().__init__(
            f"protected attribute {column!r} is bucketed by numeric edges but holds "
            f"the non-numeric value {value!r}"
        )


def value_text(value: object) -> str:
    """Return the text form of a raw value (integral floats lose their ``.0``)."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        return str(int(number)) if math.isfinite(number) and number.is_integer() else str(number)
    if isinstance(value, np.generic):
        return str(value.item())
    return str(value)


def _number_text(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def bucket_labels(edges: tuple[float, ...]) -> list[str]:
    """Return the bucket labels for inner ``edges`` (``len(edges) + 1`` labels)."""
    if all(float(e).is_integer() for e in edges):
        ints = [int(e) for e in edges]
        labels = [f"under {ints[0]}"]
        for lo, hi in zip(ints[:-1], ints[1:], strict=True):
            labels.append(str(lo) if hi - 1 == lo else f"{lo}-{hi - 1}")
        labels.append(f"{ints[-1]}+")
        return labels
    bounds = ["-inf", *(_number_text(e) for e in edges), "inf"]
    labels = [f"({bounds[0]}, {bounds[1]})"]
    labels += [f"[{lo}, {hi})" for lo, hi in zip(bounds[1:-1], bounds[2:], strict=True)]
    return labels


@dataclass(frozen=True)
class ProtectedAttribute:
    """A protected column and the groups its values form.

    ``edges`` are inner bucket edges for a numeric column (a bucket holds
    ``lo <= x < hi``); ``groups`` maps each group label to the raw values, or
    bucket labels when ``edges`` is set, that it holds; ``rest`` labels every
    value not listed in ``groups``. Raw values are compared by their text form
    (``1.0`` and ``1`` both read ``"1"``). Missing values form the group
    ``"missing"``.
    """

    column: str
    edges: tuple[float, ...] | None = None
    groups: Mapping[str, tuple[str, ...]] | None = None
    rest: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.column, str) or not self.column.strip():
            raise ProtectedSpecError(
                f"protected attribute needs a column name, got {self.column!r}"
            )
        if self.edges is not None:
            try:
                edges = tuple(float(e) for e in self.edges)
            except (TypeError, ValueError) as exc:
                raise ProtectedSpecError(
                    f"protected attribute {self.column!r}: edges must be numbers, "
                    f"got {self.edges!r}"
                ) from exc
            if not edges:
                raise ProtectedSpecError(f"protected attribute {self.column!r}: edges are empty")
            if not all(math.isfinite(e) for e in edges):
                raise ProtectedSpecError(
                    f"protected attribute {self.column!r}: edges must be finite, got {edges!r}"
                )
            if any(b <= a for a, b in zip(edges[:-1], edges[1:], strict=True)):
                raise ProtectedSpecError(
                    f"protected attribute {self.column!r}: edges must be strictly increasing, "
                    f"got {edges!r}"
                )
            object.__setattr__(self, "edges", edges)
        if self.groups is not None:
            groups: dict[str, tuple[str, ...]] = {}
            for label, members in self.groups.items():
                if isinstance(members, str):
                    members = (members,)
                groups[str(label)] = tuple(str(m) for m in members)
            if not groups:
                raise ProtectedSpecError(f"protected attribute {self.column!r}: groups are empty")
            self._check_groups(groups)
            object.__setattr__(self, "groups", groups)
        elif self.rest is not None:
            raise ProtectedSpecError(
                f"protected attribute {self.column!r}: 'rest' needs 'groups' to be given"
            )

    def _check_groups(self, groups: Mapping[str, tuple[str, ...]]) -> None:
        seen: dict[str, str] = {}
        for label, members in groups.items():
            if not members:
                raise ProtectedSpecError(
                    f"protected attribute {self.column!r}: group {label!r} has no members"
                )
            for member in members:
                if member in seen:
                    raise ProtectedSpecError(
                        f"protected attribute {self.column!r}: value {member!r} is in both "
                        f"groups {seen[member]!r} and {label!r}"
                    )
                seen[member] = label
        if self.rest is not None and self.rest in groups:
            raise ProtectedSpecError(
                f"protected attribute {self.column!r}: rest label {self.rest!r} is also a group"
            )
        if self.edges is not None:
            buckets = set(bucket_labels(self.edges))
            unknown = [m for m in seen if m not in buckets]
            if unknown:
                raise ProtectedSpecError(
                    f"protected attribute {self.column!r}: {unknown!r} are not bucket labels; "
                    f"edges {self.edges!r} give {bucket_labels(self.edges)!r}"
                )

    def __hash__(self) -> int:
        groups = None if self.groups is None else tuple(sorted(self.groups.items()))
        return hash((self.column, self.edges, groups, self.rest))

    # ------------------------------------------------------------------ views
    @property
    def is_all_values(self) -> bool:
        """True when every distinct value (or bucket) is its own group."""
        return self.groups is None

    def bucket_labels(self) -> list[str] | None:
        """Return the bucket labels when ``edges`` is set, else None."""
        return None if self.edges is None else bucket_labels(self.edges)

    def group_labels(self) -> list[str] | None:
        """Return the known group labels in order, or None for an all-values view."""
        if self.groups is not None:
            labels = list(self.groups)
            if self.rest is not None:
                labels.append(self.rest)
            return labels
        return self.bucket_labels()

    def member_values(self) -> list[str]:
        """Return the raw values listed in ``groups`` (empty with edges or no groups)."""
        if self.groups is None or self.edges is not None:
            return []
        return [m for members in self.groups.values() for m in members]

    def describe(self) -> dict[str, Any]:
        """Return a JSON-able description for model cards."""
        return {
            "column": self.column,
            "edges": None if self.edges is None else [_json_number(e) for e in self.edges],
            "buckets": self.bucket_labels(),
            "groups": None
            if self.groups is None
            else {label: list(members) for label, members in self.groups.items()},
            "rest": self.rest,
            "missing_label": MISSING_LABEL,
            "all_values": self.is_all_values,
        }

    # --------------------------------------------------------------- encoding
    def _label_of(self, key: str, example: object) -> str:
        if self.groups is None:
            return key
        for label, members in self.groups.items():
            if key in members:
                return label
        if self.rest is not None:
            return self.rest
        if self.edges is not None:
            raise UncoveredValueError(
                self.column,
                example,
                f"protected attribute {self.column!r}: value {example!r} falls in bucket "
                f"{key!r}, which is in no group (list it in a group or give a 'rest' label)",
            )
        raise UncoveredValueError(self.column, example)

    def _keys(self, present: pd.Series) -> tuple[pd.Series, dict[str, object]]:
        """Return the grouping key (text or bucket label) of each non-missing value."""
        raw = present.to_numpy(dtype=object)
        if self.edges is None:
            text = {v: value_text(v) for v in pd.unique(raw)}
            keys = present.map(text).astype(object)
            return keys, {t: v for v, t in text.items()}
        numbers = pd.to_numeric(present, errors="coerce")
        bad = present[numbers.isna()]
        if len(bad):
            raise NotNumericError(self.column, bad.iloc[0])
        labels = np.asarray(bucket_labels(self.edges), dtype=object)
        idx = np.searchsorted(np.asarray(self.edges), numbers.to_numpy(dtype=float), side="right")
        keys = pd.Series(labels[idx], index=present.index, dtype=object)
        _, first = np.unique(idx, return_index=True)
        return keys, {str(labels[idx[i]]): raw[i] for i in first}

    def encode(self, series: pd.Series) -> pd.Series:
        """Map raw values to group labels (object dtype of str, same index).

        Missing values get the label ``"missing"``. Raises
        :class:`UncoveredValueError` for a value in no group when there is no
        ``rest`` label, and :class:`NotNumericError` for a non-numeric value
        when ``edges`` is set.
        """
        missing = series.isna().to_numpy()
        out = np.full(len(series), MISSING_LABEL, dtype=object)
        present = series[~missing]
        if len(present):
            keys, examples = self._keys(present)
            mapping = {key: self._label_of(key, example) for key, example in examples.items()}
            out[~missing] = keys.map(mapping).to_numpy(dtype=object)
        return pd.Series(out, index=series.index, name=self.column, dtype=object)

    # ---------------------------------------------------------------- parsing
    @classmethod
    def parse(
        cls, text: str, defaults: Mapping[str, ProtectedAttribute] | None = None
    ) -> ProtectedAttribute:
        """Parse command-line text into a protected attribute.

        * ``sex``: the default for that column if ``defaults`` has one, else all values;
        * ``race:all``: every distinct value is its own group;
        * ``age:25,60``: numeric bucket edges (all parts numbers);
        * ``race:White``: that value against the rest, labelled ``"non-White"``;
        * ``race:White,Asian-Pac-Islander``: those values each against the rest,
          labelled ``"other"``;
        * ``code:=1,2``: a leading ``=`` forces values, even when they look numeric.
        """
        if not isinstance(text, str):
            raise ProtectedSpecError(f"protected attribute must be text, got {text!r}")
        column, sep, spec = text.strip().partition(":")
        column = column.strip()
        if not column:
            raise ProtectedSpecError(f"protected attribute {text!r}: missing column name")
        if not sep:
            if defaults is not None and column in defaults:
                return defaults[column]
            return cls(column)
        spec = spec.strip()
        if not spec:
            raise ProtectedSpecError(
                f"protected attribute {text!r}: nothing after ':' "
                "(use e.g. 'race:all', 'age:25,60' or 'race:White')"
            )
        if spec.lower() == "all":
            return cls(column)
        force_values = spec.startswith("=")
        parts = [p.strip() for p in (spec[1:] if force_values else spec).split(",")]
        if any(not p for p in parts):
            raise ProtectedSpecError(f"protected attribute {text!r}: empty value in list {spec!r}")
        if len(set(parts)) != len(parts):
            raise ProtectedSpecError(f"protected attribute {text!r}: repeated value in {spec!r}")
        numbers = None if force_values else _parse_numbers(parts)
        if numbers is not None:
            return cls(column, edges=tuple(numbers))
        rest = f"non-{parts[0]}" if len(parts) == 1 else "other"
        if rest in parts:
            raise ProtectedSpecError(
                f"protected attribute {text!r}: value {rest!r} clashes with the rest label"
            )
        return cls(column, groups={p: (p,) for p in parts}, rest=rest)


def _parse_numbers(parts: Iterable[str]) -> list[float] | None:
    numbers: list[float] = []
    for part in parts:
        try:
            numbers.append(float(part))
        except ValueError:
            return None
    return numbers


def _json_number(x: float) -> float | int:
    return int(x) if float(x).is_integer() else float(x)


def unique_columns(attributes: Iterable[ProtectedAttribute]) -> list[str]:
    """Return the attributes' columns, raising on a repeated column."""
    seen: list[str] = []
    for attribute in attributes:
        if attribute.column in seen:
            raise ProtectedSpecError(f"protected column {attribute.column!r} is given twice")
        seen.append(attribute.column)
    return seen
