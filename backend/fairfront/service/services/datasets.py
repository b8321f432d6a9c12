"""Datasets: the built-ins and uploaded CSVs, profiled for the chat and the forms."""

from __future__ import annotations

import csv
import os
import re
import uuid
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from ...datasets import default_protected, list_datasets, load_dataset
from ..errors import InvalidRequestError, NotFoundError, PayloadTooLargeError
from ..settings import Settings
from ..store import Database, DatasetRecord

CHUNK = 1 << 20
TARGET_HINTS = ("target", "label", "class", "outcome", "income", "y", "recid", "default")
PROTECTED_HINTS = (
    "sex", "gender", "race", "ethnic", "age", "marital", "religion", "nationality",
    "country", "disab", "pregnan",
)  # fmt: skip
_BUILTIN_TARGETS = {
    "adult": ("Y", ">50K"),
    "compas": ("two_year_recid", "1"),
    "german": ("Probability", "1"),
    "bank": ("Probability", "yes"),
}


def display_name(filename: str | None) -> str:
    """A safe label for an uploaded file: its base name, printable, at most 100 chars.

    The label is only shown; files are stored under generated names.
    """
    base = re.split(r"[\\/]", filename or "")[-1]
    cleaned = re.sub(r"[^\w .,()+-]", "_", base).strip(" .") or "upload.csv"
    return cleaned[:100]


def profile_frame(frame: pd.DataFrame) -> dict[str, Any]:
    """Columns with kind, missing share and distinct count; suggested target and protected."""
    columns = []
    for name in frame.columns:
        series = frame[name]
        numeric = pd.api.types.is_numeric_dtype(series)
        distinct = int(series.nunique(dropna=True))
        entry: dict[str, Any] = {
            "name": str(name),
            "kind": "numeric" if numeric else "categorical",
            "missing_share": float(series.isna().mean()),
            "distinct": distinct,
        }
        if distinct <= 12:
            entry["values"] = [str(v) for v in series.dropna().unique()[:12]]
        columns.append(entry)
    binary = [c["name"] for c in columns if c["distinct"] == 2]
    target = next(
        (c for hint in TARGET_HINTS for c in binary if c.lower() == hint or hint in c.lower()),
        binary[-1] if binary else None,
    )
    protected = [c["name"] for c in columns if any(h in c["name"].lower() for h in PROTECTED_HINTS)]
    return {
        "rows": len(frame),
        "columns": columns,
        "suggested_target": target,
        "suggested_protected": [p for p in protected if p != target],
    }


class DatasetsService:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.upload_dir = settings.models_dir / "uploads"

    def builtin(self, name: str) -> dict[str, Any]:
        data = load_dataset(name)
        target, positive = _BUILTIN_TARGETS[name]
        labels = pd.Series(
            np.where(data.y == 1, data.positive, data.negative), name=target, index=data.X.index
        )
        profile = profile_frame(pd.concat([data.X, labels], axis=1))
        profile["suggested_target"] = target
        profile["suggested_protected"] = list(default_protected(name))
        return {
            "id": name,
            "name": name,
            "builtin": True,
            "target": target,
            "positive": positive,
            "protected": [p.describe() for p in data.protected],
            "description": data.description,
            "profile": profile,
        }

    def all(self, owner: str | None = None) -> list[dict[str, Any]]:
        """The built-ins and ``owner``'s uploads (no one else's)."""
        items = [self._builtin_summary(name) for name in list_datasets()]
        with self.db.session() as session:
            query = session.query(DatasetRecord).filter(DatasetRecord.owner == owner)
            for record in query.order_by(DatasetRecord.created):
                items.append(self._public(record))
        return items

    def _owned(self, session: Any, dataset_id: str, owner: str | None) -> DatasetRecord:
        record = session.get(DatasetRecord, dataset_id)
        if record is None or record.owner != owner:  # someone else's is "no such dataset"
            raise NotFoundError(f"no dataset {dataset_id!r}", field="dataset")
        return record

    def find_by_name(self, name: str, owner: str | None) -> list[dict[str, Any]]:
        """``owner``'s uploads shown as ``name`` (several when they uploaded it twice):
        for the chat, which must ask which one when there is more than one."""
        with self.db.session() as session:
            query = session.query(DatasetRecord).filter(
                DatasetRecord.owner == owner, DatasetRecord.name == name
            )
            return [self._public(r) for r in query.order_by(DatasetRecord.created)]

    def delete(self, dataset_id: str, owner: str | None) -> None:
        """Remove ``owner``'s upload: its row and its file."""
        with self.db.session() as session:
            record = self._owned(session, dataset_id, owner)
            path = Path(record.path)
            session.delete(record)
        path.unlink(missing_ok=True)

    def _builtin_summary(self, name: str) -> dict[str, Any]:
        target, positive = _BUILTIN_TARGETS[name]
        return {
            "id": name,
            "name": name,
            "builtin": True,
            "target": target,
            "positive": positive,
            "protected": list(default_protected(name)),
        }

    def get(self, dataset_id: str, owner: str | None = None) -> dict[str, Any]:
        if dataset_id in list_datasets():
            return self.builtin(dataset_id)
        with self.db.session() as session:
            return self._public(self._owned(session, dataset_id, owner))

    def path_for(self, dataset_id: str, owner: str | None = None) -> str:
        """What ``RunSpec.data`` takes: a built-in name or the stored file's path
        (``owner``'s uploads only)."""
        if dataset_id in list_datasets():
            return dataset_id
        with self.db.session() as session:
            return self._owned(session, dataset_id, owner).path

    def _public(self, record: DatasetRecord) -> dict[str, Any]:
        return {
            "id": record.id,
            "name": record.name,
            "builtin": False,
            "rows": record.rows,
            "profile": record.profile,
            "created": record.created.isoformat(),
        }

    def save_upload(
        self, source: BinaryIO, filename: str | None, owner: str | None = None
    ) -> dict[str, Any]:
        """Copy an upload to a generated path (never its own name), check and profile it."""
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        dataset_id = uuid.uuid4().hex
        path = self.upload_dir / f"{dataset_id}.csv"
        partial = path.with_suffix(".part")
        size = 0
        try:
            with partial.open("wb") as sink:
                while chunk := source.read(CHUNK):
                    if size == 0 and b"\x00" in chunk[:8192]:
                        raise InvalidRequestError(
                            "the file is not a text CSV (it holds NUL bytes: binary, or "
                            "UTF-16); save it as UTF-8 CSV",
                            field="file",
                        )
                    size += len(chunk)
                    if size > self.settings.max_upload_bytes:
                        raise PayloadTooLargeError(
                            f"the file is larger than the limit of "
                            f"{self.settings.max_upload_bytes} bytes",
                            field="file",
                        )
                    sink.write(chunk)
            frame = self._read_checked(partial)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        name = display_name(filename)
        record = DatasetRecord(
            id=dataset_id,
            name=name,
            path=str(path),
            rows=len(frame),
            profile=profile_frame(frame),
            owner=owner,
        )
        with self.db.session() as session:
            session.add(record)
        return self._public(record)

    def _read_checked(self, path: Path) -> pd.DataFrame:
        with path.open("r", encoding="utf-8", errors="replace", newline="") as handle:
            header = next(csv.reader([handle.readline()]), [])
        if len(header) > self.settings.max_columns:
            raise PayloadTooLargeError(
                f"the file has {len(header)} columns; the limit is {self.settings.max_columns}",
                field="file",
            )
        try:
            frame = pd.read_csv(
                path,
                skipinitialspace=True,
                na_values=["?", ""],
                nrows=self.settings.max_rows + 1,
                encoding_errors="replace",
            )
        except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as error:
            raise InvalidRequestError(
                f"the file is not a readable CSV: {error}", field="file"
            ) from error
        if len(frame) > self.settings.max_rows:
            raise PayloadTooLargeError(
                f"the file has more than {self.settings.max_rows} rows", field="file"
            )
        if frame.shape[1] < 2 or len(frame) < 2:
            raise InvalidRequestError(
                "the file needs a header row, at least two columns and two rows", field="file"
            )
        frame.columns = [str(c).strip() for c in frame.columns]
        return frame
