"""Datasets: the built-ins and uploaded CSVs, profiled for the chat and the forms.

An upload is read by the one CSV reader (:func:`fairfront.datasets.read_csv`) and
profiled by :func:`fairfront.datasets.profile_frame`; it is stored under a generated
folder as ``uploads/<id>/<sanitised name>``, so the name a person gave it is the name
the core, the run and the model card show, and no response carries a server path.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import shutil
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd

from ...datasets import (
    MIN_ROWS,
    CSVLimitError,
    DatasetError,
    PositiveClassRequiredError,
    ProtectedAttribute,
    ProtectedAttributeError,
    TargetNotBinaryError,
    TargetRule,
    TargetRuleError,
    TooFewRowsError,
    UnknownPositiveClassError,
    builtin_info,
    default_protected,
    label_text,
    list_datasets,
    load_dataset,
    profile_frame,
    read_csv,
)
from ...groups import GroupingError
from ..errors import InvalidRequestError, NotFoundError, PayloadTooLargeError
from ..settings import Settings
from ..store import Database, DatasetRecord

__all__ = ["MIN_CLASS_TRAIN_ROWS", "DatasetsService", "check_run_request", "display_name"]

CHUNK = 1 << 20
MIN_CLASS_TRAIN_ROWS = 30
"""Fewest training-split rows of each class a run request may have."""


def display_name(filename: str | None) -> str:
    """A safe label for an uploaded file: its base name, printable, at most 100 chars.

    It is shown to people and names the stored file inside a generated folder.
    """
    base = re.split(r"[\\/]", filename or "")[-1]
    cleaned = re.sub(r"[^\w .,()+-]", "_", base).strip(" .") or "upload.csv"
    cleaned = cleaned[:100].strip(" .") or "upload.csv"
    return cleaned if cleaned not in (".", "..") else "upload.csv"


@functools.lru_cache(maxsize=8)
def _builtin_profile(name: str) -> dict[str, Any]:
    info = builtin_info(name)
    train, test = info.read()
    profile = profile_frame(
        train,
        test_frame=test,
        display_name=name,
        target=info.target,
        positive=info.positive,
        protected=list(info.protected),
        exclude_flagged=False,
    )
    return profile.to_dict()


def _close(name: str, columns: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(columns), n=3, cutoff=0.6)
    return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def _protected_column(text: str) -> str:
    return text.partition(":")[0].strip()


def check_run_request(
    profile: Mapping[str, Any],
    *,
    target: str | None,
    positive: str | None,
    protected: Sequence[str] | None,
    target_rule: str | None = None,
    drop: Sequence[str] = (),
    keep: Sequence[str] = (),
    builtin: bool = False,
) -> None:
    """Check a run request against a dataset's profile before any job is queued.

    Raises :class:`InvalidRequestError` whose ``field`` names the request field:
    an unknown column, a target that is also protected, a non-binary target without
    a rule, a malformed rule, an all-missing protected column, a positive class that
    is not a value of the target or that is missing when it is ambiguous.
    """
    columns = {c["name"]: c for c in profile.get("columns", [])}
    names = list(columns)
    rule: TargetRule | None = None
    if target_rule:
        try:
            rule = TargetRule.parse(target_rule)
        except DatasetError as error:
            raise InvalidRequestError(str(error), field="target_rule") from error
        if rule.column not in columns:
            raise InvalidRequestError(
                f"target rule {rule.text!r}: column {rule.column!r} is not in the data"
                f"{_close(rule.column, names)}",
                field="target_rule",
            )
        if target is not None and target != rule.column:
            raise InvalidRequestError(
                f"target rule {rule.text!r} is about {rule.column!r}, but the target is {target!r}",
                field="target_rule",
            )
        if positive is not None:
            raise InvalidRequestError(
                f"the target rule {rule.text!r} defines the positive class (rows where it "
                f"holds); leave positive unset (got {positive!r})",
                field="positive",
            )
        target = rule.column
    if target is None:
        if builtin:
            target = profile.get("target")
        else:
            raise InvalidRequestError(
                "name the target column (the column to predict)", field="target"
            )
    if target not in columns:
        raise InvalidRequestError(
            f"target column {target!r} is not in the data{_close(str(target), names)}",
            field="target",
        )
    entry = columns[str(target)]
    if rule is None and entry["distinct"] != 2:
        example = f"{target} >= median" if entry["kind"] == "numeric" else f"{target} == <a value>"
        raise InvalidRequestError(
            f"target column {target!r} has {entry['distinct']} values, not 2; give a "
            f"target_rule such as {example!r}",
            field="target_rule",
        )
    if rule is None and positive is not None and entry.get("values"):
        values = [str(v) for v in entry["values"]]
        if label_text(positive) not in values and positive not in values:
            raise InvalidRequestError(
                f"positive class {positive!r} is not a value of target column {target!r}; "
                f"choose {' or '.join(repr(v) for v in values)}",
                field="positive",
            )
    if rule is None and positive is None and not builtin:
        suggestion = next(
            (s for s in profile.get("target_suggestions", []) if s["column"] == target), None
        )
        if suggestion is None or suggestion.get("positive") is None:
            values = [str(v) for v in entry.get("values") or []]
            raise InvalidRequestError(
                f"say which value of target column {target!r} is the positive class: "
                f"{' or '.join(repr(v) for v in values)}",
                field="positive",
            )
    for text in protected or []:
        column = _protected_column(text)
        if column not in columns:
            raise InvalidRequestError(
                f"protected column {column!r} is not in the data{_close(column, names)}",
                field="protected",
            )
        if column == target:
            raise InvalidRequestError(
                f"column {column!r} is the target; it cannot also be protected",
                field="protected",
            )
        if columns[column]["missing_share"] >= 1.0:
            raise InvalidRequestError(
                f"protected column {column!r} has no values (every row is missing)",
                field="protected",
            )
        try:
            ProtectedAttribute.parse(text)
        except GroupingError as error:
            raise InvalidRequestError(str(error), field="protected") from error
    for field_name, listed in (("drop", drop), ("keep", keep)):
        for column in listed:
            if column not in columns:
                raise InvalidRequestError(
                    f"{field_name} column {column!r} is not in the data{_close(column, names)}",
                    field=field_name,
                )
            if column == target:
                raise InvalidRequestError(
                    f"column {column!r} is the target; it cannot be in {field_name}",
                    field=field_name,
                )


def _check_builtin_request(
    name: str,
    target: str | None,
    positive: str | None,
    protected: Sequence[str] | None,
    target_rule: str | None,
) -> None:
    """What can be checked on a built-in without reading it: its fixed target, a rule
    about that target, no protected attribute that is the target."""
    fixed = builtin_info(name).target
    if target is not None and target != fixed:
        raise InvalidRequestError(
            f"built-in dataset {name!r} has target {fixed!r}, not {target!r}", field="target"
        )
    if target_rule is not None:
        try:
            rule = TargetRule.parse(target_rule)
        except DatasetError as error:
            raise InvalidRequestError(str(error), field="target_rule") from error
        if rule.column != fixed:
            raise InvalidRequestError(
                f"target rule {rule.text!r}: built-in dataset {name!r} predicts {fixed!r}",
                field="target_rule",
            )
        if positive is not None:
            raise InvalidRequestError(
                f"the target rule {rule.text!r} defines the positive class; leave positive "
                f"unset (got {positive!r})",
                field="positive",
            )
    for text in protected or []:
        if _protected_column(text) == fixed:
            raise InvalidRequestError(
                f"column {fixed!r} is the target; it cannot also be protected", field="protected"
            )
        try:
            ProtectedAttribute.parse(text)
        except GroupingError as error:
            raise InvalidRequestError(str(error), field="protected") from error


def _error_field(error: DatasetError, *, rule: bool, protected: Sequence[str]) -> str:
    """Which request field a core loading error is about."""
    if isinstance(error, PositiveClassRequiredError | UnknownPositiveClassError):
        return "positive"
    if isinstance(error, TargetRuleError) or (rule and isinstance(error, TooFewRowsError)):
        return "target_rule"
    if isinstance(error, ProtectedAttributeError) or error.column in {
        _protected_column(p) for p in protected
    }:
        return "protected"
    if isinstance(error, TooFewRowsError | TargetNotBinaryError):
        return "target"
    return "dataset"


class DatasetsService:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.upload_dir = settings.models_dir / "uploads"

    def builtin(self, name: str) -> dict[str, Any]:
        info = builtin_info(name)
        return {
            "id": name,
            "name": name,
            "display_name": name,
            "builtin": True,
            "target": info.target,
            "positive": info.positive,
            "protected": [p.describe() for p in info.protected],
            "description": info.description,
            "profile": _builtin_profile(name),
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
        if path.parent.name == dataset_id:  # uploads/<id>/<name>: the folder is the upload's
            shutil.rmtree(path.parent, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)

    def _builtin_summary(self, name: str) -> dict[str, Any]:
        info = builtin_info(name)
        return {
            "id": name,
            "name": name,
            "display_name": name,
            "builtin": True,
            "target": info.target,
            "positive": info.positive,
            "protected": list(default_protected(name)),
        }

    def get(
        self,
        dataset_id: str,
        owner: str | None = None,
        *,
        target: str | None = None,
        target_rule: str | None = None,
    ) -> dict[str, Any]:
        """A dataset and its profile (built-ins, or ``owner``'s uploads only); ``target`` /
        ``target_rule`` re-profile an upload for that target (its leakage flags and group
        sizes depend on it)."""
        if dataset_id in list_datasets():
            return self.builtin(dataset_id)
        record = self._record(dataset_id, owner)
        public = self._public(record)
        if target is None and target_rule is None:
            return public
        try:
            rule = TargetRule.coerce(target_rule)
        except DatasetError as error:
            raise InvalidRequestError(str(error), field="target_rule") from error
        frame, detected = read_csv(record.path, label=record.name)
        column = rule.column if rule is not None else str(target)
        if column not in frame.columns:
            field = "target_rule" if rule is not None else "target"
            raise InvalidRequestError(
                f"column {column!r} is not in the data{_close(column, list(frame.columns))}",
                field=field,
            )
        profile = profile_frame(
            frame, display_name=record.name, csv_format=detected, target=target, target_rule=rule
        )
        public["profile"] = profile.to_dict()
        return public

    def _record(self, dataset_id: str, owner: str | None = None) -> DatasetRecord:
        with self.db.session() as session:
            return self._owned(session, dataset_id, owner)

    def path_for(self, dataset_id: str, owner: str | None = None) -> str:
        """What ``RunSpec.data`` takes: a built-in name or the stored file's path
        (``owner``'s uploads only)."""
        if dataset_id in list_datasets():
            return dataset_id
        return self._record(dataset_id, owner).path

    def check_run(
        self,
        dataset_id: str,
        *,
        owner: str | None = None,
        target: str | None,
        positive: str | None,
        protected: Sequence[str] | None,
        target_rule: str | None = None,
        drop: Sequence[str] = (),
        keep: Sequence[str] = (),
        test_size: float | None = None,
        seed: int = 0,
    ) -> None:
        """Check a run request before it is queued (422 naming the field).

        The profile checks come first (:func:`check_run_request`); an upload is then
        loaded as the run will load it, and each class must have at least
        ``MIN_CLASS_TRAIN_ROWS`` rows in the training split.
        """
        builtin = dataset_id in list_datasets()
        if builtin:  # no data is read on the request path: the run checks the columns
            _check_builtin_request(dataset_id, target, positive, protected, target_rule)
            return
        profile = self.get(dataset_id, owner)["profile"]
        check_run_request(
            profile,
            target=target,
            positive=positive,
            protected=protected,
            target_rule=target_rule,
            drop=drop,
            keep=keep,
            builtin=builtin,
        )
        if not protected:
            raise InvalidRequestError(
                "name at least one protected attribute for an uploaded dataset",
                field="protected",
            )
        try:
            data = load_dataset(
                self.path_for(dataset_id, owner),
                target=target,
                positive=positive,
                protected=protected,
                drop=drop,
                keep=keep,
                test_size=test_size,
                random_state=seed,
                target_rule=target_rule,
            )
        except DatasetError as error:
            field = _error_field(error, rule=target_rule is not None, protected=protected or [])
            raise InvalidRequestError(str(error), field=field) from error
        for label, value in ((1, data.positive), (0, data.negative)):
            count = int((data.y == label).sum())
            if count < MIN_CLASS_TRAIN_ROWS:
                raise InvalidRequestError(
                    f"class {value!r} of target {data.target!r} has {count} rows in the "
                    f"training split; at least {MIN_CLASS_TRAIN_ROWS} are needed for a model "
                    "that is not trivial",
                    field="target_rule" if target_rule else "positive" if label else "target",
                )

    def _public(self, record: DatasetRecord) -> dict[str, Any]:
        return {
            "id": record.id,
            "name": record.name,
            "display_name": record.name,
            "builtin": False,
            "rows": record.rows,
            "profile": record.profile,
            "created": record.created.isoformat(),
        }

    def save_upload(
        self, source: BinaryIO, filename: str | None, owner: str | None = None
    ) -> dict[str, Any]:
        """Copy an upload into a generated folder, read it with the one reader, profile it."""
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        dataset_id = uuid.uuid4().hex
        name = display_name(filename)
        folder = self.upload_dir / dataset_id
        path = folder / name
        partial = self.upload_dir / f"{dataset_id}.part"
        size = 0
        stored = False
        try:
            with partial.open("wb") as sink:
                while chunk := source.read(CHUNK):
                    size += len(chunk)
                    if size > self.settings.max_upload_bytes:
                        raise PayloadTooLargeError(
                            f"the file is larger than the limit of "
                            f"{self.settings.max_upload_bytes} bytes",
                            field="file",
                        )
                    sink.write(chunk)
            frame, detected = self._read_checked(partial, name)
            folder.mkdir()
            os.replace(partial, path)
            stored = True
            profile = profile_frame(frame, display_name=name, csv_format=detected)
            record = DatasetRecord(
                id=dataset_id,
                name=name,
                path=str(path),
                rows=len(frame),
                profile=profile.to_dict(),
                owner=owner,
            )
            with self.db.session() as session:
                session.add(record)
        except BaseException:
            if stored:
                shutil.rmtree(folder, ignore_errors=True)
            raise
        finally:
            partial.unlink(missing_ok=True)
        return self._public(record)

    def _read_checked(self, path: Path, name: str) -> tuple[pd.DataFrame, Any]:
        try:
            frame, detected = read_csv(
                path,
                max_rows=self.settings.max_rows,
                max_columns=self.settings.max_columns,
                label=name,
                compression="gzip" if name.endswith(".gz") else "infer",
            )
        except CSVLimitError as error:
            raise PayloadTooLargeError(str(error), field="file") from error
        except DatasetError as error:
            raise InvalidRequestError(str(error), field="file") from error
        if frame.shape[1] < 2 or len(frame) < 2:
            raise InvalidRequestError(
                f"the file {name!r} needs a header row, at least two columns and two rows "
                f"(it has {frame.shape[1]} columns and {len(frame)} rows; training needs at "
                f"least {MIN_ROWS} rows)",
                field="file",
            )
        return frame, detected
