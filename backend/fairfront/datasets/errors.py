"""Typed errors raised while loading a dataset.

Every error is a :class:`DatasetError`, itself a :class:`ValueError`, and its
message names the column, value or limit involved so that it can be shown to a
user as is. ``column`` holds the column concerned, when there is one.
"""

from __future__ import annotations

__all__ = [
    "CSVLimitError",
    "CSVReadError",
    "ConstantProtectedError",
    "DatasetError",
    "InvalidOptionError",
    "MissingColumnError",
    "MostlyMissingColumnError",
    "NoFeaturesError",
    "PositiveClassRequiredError",
    "ProtectedAttributeError",
    "TargetNotBinaryError",
    "TargetRuleError",
    "TooFewRowsError",
    "UnknownDatasetError",
    "UnknownPositiveClassError",
    "UnknownValueError",
]


class DatasetError(ValueError):
    """Base class: a dataset cannot be loaded as asked."""

    def __init__(self, message: str, *, column: str | None = None) -> None:
        super().__init__(message)
        self.column = column


class UnknownDatasetError(DatasetError):
    """Neither a built-in dataset name nor an existing file."""


class CSVReadError(DatasetError):
    """The file is empty or is not a readable CSV."""


class CSVLimitError(CSVReadError):
    """The file has more rows or columns than allowed; ``limit`` is "rows" or "columns"."""

    def __init__(self, message: str, *, limit: str) -> None:
        super().__init__(message)
        self.limit = limit


class MissingColumnError(DatasetError):
    """A target, protected or dropped column is not in the data."""


class TooFewRowsError(DatasetError):
    """The data has fewer rows than the minimum."""


class TargetNotBinaryError(DatasetError):
    """The target column does not hold exactly two distinct values."""


class TargetRuleError(DatasetError):
    """A binarisation rule for the target is malformed or does not fit its column."""


class PositiveClassRequiredError(DatasetError):
    """No positive class was given; the message lists the two to choose from."""


class UnknownPositiveClassError(DatasetError):
    """The positive class given is not one of the target's values."""


class MostlyMissingColumnError(DatasetError):
    """A column is more than half empty."""


class ProtectedAttributeError(DatasetError):
    """A protected attribute is malformed or does not fit the data."""


class UnknownValueError(ProtectedAttributeError):
    """A protected attribute lists a value that does not occur in its column."""


class ConstantProtectedError(ProtectedAttributeError):
    """A protected attribute puts every row in one group."""


class NoFeaturesError(DatasetError):
    """No feature column is left once the target and dropped columns are removed."""


class InvalidOptionError(DatasetError):
    """A loading option is out of range or does not apply to this dataset."""
