"""The one CSV reader: user uploads (command line and service) and the packaged built-ins.

What a file looks like is detected, never assumed, and reported as a :class:`CSVFormat`:

* encoding: a byte-order mark (UTF-8, UTF-16) wins; UTF-16 without one is recognised
  by its zero bytes; otherwise strict UTF-8, else Latin-1 (Windows-1252 when the
  bytes 0x80-0x9F occur, where the two differ);
* delimiter and quote character: Python's :class:`csv.Sniffer` (standard library,
  maintained with CPython) among ``, ; TAB |``, checked against the rows: the
  delimiter must give the same number of fields on (almost) every sampled line, or
  the most consistent candidate is taken instead;
* header: :meth:`csv.Sniffer.has_header` (reported; the first row always names the
  columns);
* missing values: cells equal to one of :data:`MISSING_TOKENS` after stripping
  whitespace (the tokens actually found are reported);
* decimal comma: a column whose every value reads ``12,5`` (with ``;``, tab or ``|``
  as delimiter) is numeric.

Cells are read as text first and a column becomes numeric only when every present
value parses as a number, so ``1``, ``1.0`` and ``"1"`` are the same number.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import io
import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import pandas as pd

from fairfront.datasets._dataset import DEFAULT_TEST_SIZE, Dataset, build_dataset
from fairfront.datasets.errors import CSVLimitError, CSVReadError
from fairfront.groups import ProtectedAttribute

logger = logging.getLogger(__name__)

__all__ = [
    "DELIMITERS",
    "MISSING_TOKENS",
    "CSVFormat",
    "dataset_name",
    "load_csv",
    "read_csv",
    "read_csv_frame",
]

MISSING_TOKENS = (
    "", "?", "NA", "N/A", "n/a", "NaN", "nan", "NAN", "null", "NULL", "Null", "#N/A", "<NA>",
)  # fmt: skip
"""Cell texts (after stripping whitespace) read as missing. "None" and "none" are not:
they are often a real answer (religion: none)."""

DELIMITERS = (",", ";", "\t", "|")
"""Delimiters the reader considers, in order of preference on a tie."""

DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}

SNIFF_CHARS = 16 * 1024
"""How much of the decoded text the sniffer reads."""

CONSISTENT_SHARE = 0.9
"""Share of sampled lines that must have the modal field count for a delimiter to hold."""

_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+|[+-]?\d+")
_COMPRESSED = (".gz", ".bz2", ".zip", ".xz", ".zst", ".tar")


@dataclass(frozen=True)
class CSVFormat:
    """What was detected in a CSV file."""

    delimiter: str = ","
    encoding: str = "utf-8"
    bom: bool = False
    decimal: str = "."
    quotechar: str = '"'
    header: bool = True
    missing_tokens: tuple[str, ...] = ()
    decimal_comma_columns: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """JSON form: the delimiter also by name (``"tab"``), tokens as found."""
        return {
            "delimiter": self.delimiter,
            "delimiter_name": DELIMITER_NAMES.get(self.delimiter, self.delimiter),
            "encoding": self.encoding,
            "bom": self.bom,
            "decimal": self.decimal,
            "quotechar": self.quotechar,
            "header": self.header,
            "missing_tokens": list(self.missing_tokens),
            "decimal_comma_columns": list(self.decimal_comma_columns),
            "notes": list(self.notes),
        }


# ----- bytes to text ------------------------------------------------------------------


def _utf16_without_bom(sample: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when the sample looks like mostly-ASCII UTF-16, else None."""
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    zero_even = even.count(0) / len(even)
    zero_odd = odd.count(0) / len(odd)
    if zero_odd > 0.7 and zero_even < 0.1:
        return "utf-16-le"
    if zero_even > 0.7 and zero_odd < 0.1:
        return "utf-16-be"
    return None


def decode_bytes(data: bytes, label: str) -> tuple[str, str, bool]:
    """Return (text, encoding, had a BOM); raises :class:`CSVReadError` for binary data."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding), encoding, True
            except UnicodeDecodeError as exc:
                raise CSVReadError(
                    f"the file {label!r} starts with a {encoding} byte-order mark but is not "
                    f"valid {encoding}: {exc}"
                ) from exc
    head = data[:4096]
    if b"\x00" in head:
        encoding16 = _utf16_without_bom(head)
        if encoding16 is None:
            raise CSVReadError(f"the file {label!r} is not a readable CSV: it holds binary data")
        try:
            return data.decode(encoding16), encoding16, False
        except UnicodeDecodeError as exc:
            raise CSVReadError(f"the file {label!r} is not valid {encoding16}: {exc}") from exc
    try:
        return data.decode("utf-8"), "utf-8", False
    except UnicodeDecodeError:
        pass
    if not any(0x80 <= b <= 0x9F for b in data):  # Latin-1 and Windows-1252 agree
        text, encoding = data.decode("latin-1"), "latin-1"
    else:
        try:
            text, encoding = data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            text, encoding = data.decode("latin-1"), "latin-1"
    logger.info("%s is not UTF-8; read as %s", label, encoding)
    return text, encoding, False


def _read_bytes(source: str | Path | IO[bytes], compression: str, label: str) -> bytes:
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise CSVReadError(f"no such file: {path.name!r}")
        gz = compression == "gzip" or (compression == "infer" and path.suffix == ".gz")
        if not gz and path.suffix.lower() in _COMPRESSED and compression == "infer":
            raise CSVReadError(
                f"the file {label!r} is compressed ({path.suffix}); only .gz is read"
            )
        try:
            if gz:
                with gzip.open(path, "rb") as handle:
                    return handle.read()
            return path.read_bytes()
        except (OSError, EOFError) as exc:
            raise CSVReadError(f"the file {label!r} is not a readable CSV: {exc}") from exc
    try:
        if compression == "gzip":
            with gzip.GzipFile(fileobj=source) as handle:
                return handle.read()
        return source.read()
    except (OSError, EOFError) as exc:
        raise CSVReadError(f"the file {label!r} is not a readable CSV: {exc}") from exc


# ----- dialect ------------------------------------------------------------------------


def _field_counts(lines: Sequence[str], delimiter: str, quotechar: str) -> list[int]:
    reader = csv.reader(lines, delimiter=delimiter, quotechar=quotechar)
    try:
        return [len(row) for row in reader if row]
    except csv.Error:
        return []


def _consistency(lines: Sequence[str], delimiter: str, quotechar: str) -> tuple[float, int]:
    """(share of lines with the modal field count, that count)."""
    counts = _field_counts(lines, delimiter, quotechar)
    if not counts:
        return 0.0, 0
    mode, times = Counter(counts).most_common(1)[0]
    return times / len(counts), mode


def sniff_dialect(text: str) -> tuple[str, str, bool, tuple[str, ...]]:
    """Return (delimiter, quotechar, header detected, notes) for CSV text."""
    sample = text[:SNIFF_CHARS]
    if len(text) > SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]
    lines = sample.splitlines(keepends=True)
    notes: list[str] = []
    sniffer = csv.Sniffer()
    delimiter: str | None = None
    quotechar = '"'
    try:
        dialect = sniffer.sniff(sample, delimiters="".join(DELIMITERS))
        delimiter = str(dialect.delimiter)
        quotechar = str(dialect.quotechar or '"')
    except csv.Error:
        pass
    if quotechar not in ('"', "'"):
        quotechar = '"'
    if delimiter is not None:
        share, fields = _consistency(lines, delimiter, quotechar)
        if share < CONSISTENT_SHARE or fields < 2:
            delimiter = None
    if delimiter is None:
        scored = [(_consistency(lines, d, quotechar), -i, d) for i, d in enumerate(DELIMITERS)]
        usable = [s for s in scored if s[0][1] >= 2]
        if usable:
            (share, _), _, delimiter = max(usable, key=lambda s: (s[0][0] >= 0.5, s[0][1], s[1]))
            if share < CONSISTENT_SHARE:
                notes.append(
                    f"rows have uneven field counts with delimiter {delimiter!r} "
                    f"({share:.0%} agree)"
                )
        else:
            delimiter = ","
    header = True
    with contextlib.suppress(csv.Error):
        header = bool(sniffer.has_header(sample)) if len(lines) > 1 else True
    if not header:
        notes.append("the first row looks like data; it is read as the column names")
    return delimiter, quotechar, header, tuple(notes)


# ----- text to frame ------------------------------------------------------------------


def _as_numbers(present: pd.Series, decimal_comma_allowed: bool) -> tuple[pd.Series | None, bool]:
    """Numbers for every present value, or None; second item: read with a decimal comma."""
    sample = present.drop_duplicates().head(64)
    if pd.to_numeric(sample, errors="coerce").notna().all():
        numbers = pd.to_numeric(present, errors="coerce")
        if numbers.notna().all():
            return numbers, False
    if decimal_comma_allowed and sample.str.fullmatch(_DECIMAL_COMMA).all():
        texts = present.astype(str)
        if texts.str.contains(",", regex=False).any() and texts.str.fullmatch(_DECIMAL_COMMA).all():
            return pd.to_numeric(texts.str.replace(",", ".", regex=False)), True
    return None, False


def _typed_columns(
    frame: pd.DataFrame, delimiter: str
) -> tuple[pd.DataFrame, tuple[str, ...], tuple[str, ...]]:
    """Strip cells, turn missing tokens into NaN and numeric columns into numbers."""
    found: set[str] = set()
    comma_columns: list[str] = []
    out: dict[str, pd.Series] = {}
    tokens = set(MISSING_TOKENS)
    for column in frame.columns:
        text = frame[column].astype(str).str.strip()
        is_missing = text.isin(tokens)
        if is_missing.any():
            found.update(str(v) for v in pd.unique(text[is_missing].dropna()))
        text = text.mask(is_missing)
        present = text[~is_missing]
        if present.empty:
            out[column] = pd.Series(np.nan, index=frame.index, dtype=float)
            continue
        numbers, comma = _as_numbers(present, delimiter != ",")
        if numbers is None:
            out[column] = text
            continue
        if comma:
            comma_columns.append(str(column))
        full = pd.Series(np.nan, index=frame.index, dtype=float)
        full[~is_missing] = numbers.astype(float)
        if not is_missing.any() and pd.api.types.is_integer_dtype(numbers.dtype):
            out[column] = numbers.astype(np.int64)
        else:
            out[column] = full
    typed = pd.DataFrame(out, index=frame.index)
    order = [t for t in MISSING_TOKENS if t in found]
    return typed, tuple(order), tuple(comma_columns)


def read_csv(
    source: str | Path | IO[bytes],
    *,
    compression: Literal["infer", "gzip"] = "infer",
    max_rows: int | None = None,
    max_columns: int | None = None,
    label: str | None = None,
) -> tuple[pd.DataFrame, CSVFormat]:
    """Read a CSV into a frame and say what was detected.

    Column names and text cells lose surrounding whitespace; missing tokens become
    NaN; a column whose present values all parse as numbers is numeric. ``label``
    names the file in messages (default: its base name; never a directory).
    Raises :class:`CSVReadError` for a missing, empty, binary or unreadable file and
    :class:`CSVLimitError` beyond ``max_rows`` / ``max_columns``.
    """
    if label is None:
        label = (
            Path(source).name
            if isinstance(source, str | Path)
            else Path(str(getattr(source, "name", "upload"))).name
        )
    data = _read_bytes(source, compression, label)
    if not data.strip():
        raise CSVReadError(f"the file {label!r} is empty")
    text, encoding, bom = decode_bytes(data, label)
    if "\x00" in text[:SNIFF_CHARS]:
        raise CSVReadError(f"the file {label!r} is not a readable CSV: it holds binary data")
    if not text.strip():
        raise CSVReadError(f"the file {label!r} is empty")
    delimiter, quotechar, header, notes = sniff_dialect(text)
    try:
        first = next(
            csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar=quotechar),
            [],
        )
    except csv.Error as exc:
        raise CSVReadError(f"the file {label!r} is not a readable CSV: {exc}") from exc
    if max_columns is not None and len(first) > max_columns:
        raise CSVLimitError(
            f"the file {label!r} has {len(first)} columns; the limit is {max_columns}",
            limit="columns",
        )
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            quotechar=quotechar,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skipinitialspace=True,
            nrows=None if max_rows is None else max_rows + 1,
        )
    except pd.errors.EmptyDataError as exc:
        raise CSVReadError(f"the file {label!r} is empty") from exc
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        raise CSVReadError(f"the file {label!r} is not a readable CSV: {exc}") from exc
    if max_rows is not None and len(frame) > max_rows:
        raise CSVLimitError(
            f"the file {label!r} has more than {max_rows} rows; the limit is {max_rows}",
            limit="rows",
        )
    names = [str(c).strip() for c in frame.columns]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise CSVReadError(f"the file {label!r} repeats the column names {repeated!r}")
    frame.columns = pd.Index(names, dtype=object)
    typed, missing, comma_columns = _typed_columns(frame, delimiter)
    detected = CSVFormat(
        delimiter=delimiter,
        encoding=encoding,
        bom=bom,
        decimal="," if comma_columns else ".",
        quotechar=quotechar,
        header=header,
        missing_tokens=missing,
        decimal_comma_columns=comma_columns,
        notes=notes,
    )
    logger.info("read %s: %d rows, %d columns, %s", label, len(typed), typed.shape[1], detected)
    return typed, detected


def read_csv_frame(
    source: str | Path | IO[bytes], *, compression: Literal["infer", "gzip"] = "infer"
) -> pd.DataFrame:
    """Read a CSV into a frame (see :func:`read_csv`, which also says what it detected)."""
    frame, _ = read_csv(source, compression=compression)
    return frame


def dataset_name(path: str | Path) -> str:
    """Return a dataset name from a file path (its name without .csv/.gz)."""
    name = Path(path).name
    for suffix in (".gz", ".csv"):
        name = name.removesuffix(suffix)
    return name or "csv"


def load_csv(
    path: str | Path,
    *,
    target: str | None,
    positive: str | None = None,
    protected: Sequence[str | ProtectedAttribute] = (),
    drop: Sequence[str] = (),
    keep: Sequence[str] = (),
    drop_protected: bool = False,
    test_size: float | None = DEFAULT_TEST_SIZE,
    random_state: int = 0,
    target_rule: Any = None,
) -> Dataset:
    """Load a user CSV with a binary ``target`` (or a ``target_rule``) and protected attributes.

    ``positive`` must name one of the target's two values (compared as numbers when
    both are numbers). ``target_rule`` (text or :class:`~fairfront.datasets.TargetRule`)
    binarises a numeric or multi-class target instead. ``protected`` items are
    :class:`ProtectedAttribute` objects or texts for :meth:`ProtectedAttribute.parse`.
    Columns flagged as identifiers or leakage are left out unless named in ``keep``.
    A held-out test part of ``test_size`` is split off (0 for none). Raises a
    :class:`DatasetError` subclass naming the column, value or limit when the file
    does not fit.
    """
    frame = read_csv_frame(path)
    return build_dataset(
        frame,
        None,
        name=dataset_name(path),
        target=None if target is None else target.strip(),
        positive=positive,
        protected=protected,
        drop=[c.strip() for c in drop],
        keep=[c.strip() for c in keep],
        drop_protected=drop_protected,
        test_size=test_size,
        random_state=random_state,
        description=f"CSV file {Path(path).name}",
        target_rule=target_rule,
        exclude_flagged=True,
    )
