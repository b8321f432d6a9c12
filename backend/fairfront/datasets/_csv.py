"""Reading CSV files (user uploads and the packaged built-ins) into data frames."""

from __future__ import annotations

import csv
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Literal

import numpy as np
import pandas as pd

from fairfront.datasets._dataset import DEFAULT_TEST_SIZE, Dataset, build_dataset
from fairfront.datasets.errors import CSVReadError
from fairfront.groups import ProtectedAttribute

logger = logging.getLogger(__name__)

MISSING_MARKERS = ("?", "")
"""Cell texts read as missing, besides pandas' defaults (NA, N/A, NaN, null, ...)."""


def read_csv_frame(
    source: str | Path | IO[bytes], *, compression: Literal["infer", "gzip"] = "infer"
) -> pd.DataFrame:
    """Read a CSV into a frame: "?" and empty cells are missing, text is stripped.

    Column names and string cells lose surrounding whitespace. Raises
    :class:`CSVReadError` for a missing, empty or unreadable file.
    """
    label = str(source) if isinstance(source, str | Path) else getattr(source, "name", "upload")
    if isinstance(source, str | Path) and not Path(source).is_file():
        raise CSVReadError(f"no such file: {str(source)!r}")
    if isinstance(source, str | Path) and _looks_binary(Path(source)):
        raise CSVReadError(f"the file {label!r} is not a readable CSV: it holds binary data")
    try:
        try:
            frame = _read(source, compression, "utf-8")
        except UnicodeDecodeError:
            if not isinstance(source, str | Path):
                raise
            logger.info("%s is not UTF-8; reading it as Latin-1", label)
            frame = _read(source, compression, "latin-1")
    except pd.errors.EmptyDataError as exc:
        raise CSVReadError(f"the file {label!r} is empty") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, csv.Error, OSError, EOFError) as exc:
        raise CSVReadError(f"the file {label!r} is not a readable CSV: {exc}") from exc
    names = [str(c).strip() for c in frame.columns]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise CSVReadError(f"the file {label!r} repeats the column names {repeated!r}")
    frame.columns = pd.Index(names, dtype=object)
    if len(names) == 1 and any(sep in names[0] for sep in (";", "\t", "|")):
        raise CSVReadError(
            f"the file {label!r} has a single column {names[0]!r}: values must be "
            "separated by commas"
        )
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_string_dtype(series.dtype) or series.dtype == object:
            stripped = series.map(lambda v: v.strip() if isinstance(v, str) else v)
            frame[column] = stripped.where(~stripped.isin(MISSING_MARKERS), np.nan)
    return frame


_COMPRESSED = (".gz", ".bz2", ".zip", ".xz", ".zst", ".tar")


def _looks_binary(path: Path) -> bool:
    """True for an uncompressed file whose first 4 KiB hold a NUL byte."""
    if path.suffix.lower() in _COMPRESSED:
        return False
    with path.open("rb") as handle:
        return b"\x00" in handle.read(4096)


def _read(
    source: str | Path | IO[bytes], compression: Literal["infer", "gzip"], encoding: str
) -> pd.DataFrame:
    return pd.read_csv(
        source,
        skipinitialspace=True,
        na_values=list(MISSING_MARKERS),
        compression=compression,
        encoding=encoding,
    )


def dataset_name(path: str | Path) -> str:
    """Return a dataset name from a file path (its name without .csv/.gz)."""
    name = Path(path).name
    for suffix in (".gz", ".csv"):
        name = name.removesuffix(suffix)
    return name or "csv"


def load_csv(
    path: str | Path,
    *,
    target: str,
    positive: str | None = None,
    protected: Sequence[str | ProtectedAttribute] = (),
    drop: Sequence[str] = (),
    drop_protected: bool = False,
    test_size: float | None = DEFAULT_TEST_SIZE,
    random_state: int = 0,
) -> Dataset:
    """Load a user CSV with a binary ``target`` and at least one protected attribute.

    ``positive`` must name one of the target's two values. ``protected`` items
    are :class:`ProtectedAttribute` objects or texts for
    :meth:`ProtectedAttribute.parse`. A held-out test part of ``test_size``
    is split off (0 for none). Raises a :class:`DatasetError` subclass naming
    the column, value or limit when the file does not fit.
    """
    frame = read_csv_frame(path)
    logger.info("read %s: %d rows, %d columns", path, len(frame), frame.shape[1])
    return build_dataset(
        frame,
        None,
        name=dataset_name(path),
        target=target.strip(),
        positive=positive,
        protected=protected,
        drop=[c.strip() for c in drop],
        drop_protected=drop_protected,
        test_size=test_size,
        random_state=random_state,
        description=f"CSV file {Path(path).name}",
    )
