"""Storage faults as answers: damaged run files, a full or read-only store, no paths.

- :class:`DamagedRunError` (409): a run's ``front.json`` / ``run.json`` / model / export
  is unreadable, invalid or does not match its recorded sha256. The check is made
  from the files on every read, so the answer is the same after a restart.
- :func:`storage_error` turns an ``OSError`` (or SQLite's "disk is full" / "read-only
  database") into :class:`StorageFullError` (507) or :class:`StoreUnavailableError`
  (503), with a plain message and no server path.
- :func:`redact_paths` removes absolute paths from any text shown to a client.
- :func:`atomic_write` and :func:`sha256_hex`: files written whole or not at all, and
  the checksum of exact bytes.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import uuid
from pathlib import Path
from typing import Any

from ..fronts import Front
from ..runs import RunDirectoryError, read_front, read_run
from .errors import ServiceError

__all__ = [
    "DAMAGED",
    "DamagedRunError",
    "StorageFullError",
    "StoreUnavailableError",
    "atomic_write",
    "failure_message",
    "checked_front",
    "checked_run",
    "redact_paths",
    "sha256_hex",
    "storage_error",
]

DAMAGED = "this run's files are damaged; delete the run and train it again"


class DamagedRunError(ServiceError):
    status_code = 409

    def __init__(self, message: str = DAMAGED) -> None:
        super().__init__(message, field="run_id")


class StorageFullError(ServiceError):
    status_code = 507


class StoreUnavailableError(ServiceError):
    status_code = 503


_FULL = (errno.ENOSPC, errno.EDQUOT)
_READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)


def storage_error(error: BaseException) -> ServiceError | None:
    """The answer for a storage fault, or None when ``error`` is not one."""
    code = getattr(error, "errno", None)
    text = str(getattr(error, "orig", None) or error).lower()
    if code in _FULL or "disk is full" in text or "no space left" in text:
        return StorageFullError(
            "the server's storage is full; nothing was saved. Free some "
            "space (or ask the administrator to) and try again"
        )
    if code in _READ_ONLY or "readonly database" in text or "read-only" in text:
        return StoreUnavailableError(
            "the server cannot write to its storage right now "
            "(read-only or not permitted); nothing was saved"
        )
    return None


# An absolute path of two or more parts, optionally quoted: '/srv/models/runs/ab12/front.json'
_PATH = re.compile(r"""(?<![\w.:/])['"]?(?!/api/)(?:/[\w.@+-]+){2,}/?['"]?""")


def redact_paths(text: str) -> str:
    """``text`` with every absolute server path replaced by ``<file>`` (the service's
    own ``/api/...`` routes are kept)."""
    return _PATH.sub("<file>", text)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (a temporary file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with temporary.open("xb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# What reading a run's damaged files can raise (a list where an object belongs, a key
# missing from the shape the reader expects, ...).
_UNREADABLE = (RunDirectoryError, OSError, ValueError, TypeError, AttributeError, KeyError)


def checked_run(run_dir: Path) -> dict[str, Any]:
    """``run.json``, or :class:`DamagedRunError` when it is missing, unreadable or invalid."""
    try:
        run = read_run(run_dir)
    except _UNREADABLE as error:
        raise DamagedRunError() from error
    if not isinstance(run, dict) or not isinstance(run.get("spec"), dict):
        raise DamagedRunError()
    return run


def checked_front(run_dir: Path) -> Front:
    """The run's front (typed: every point checked), else :class:`DamagedRunError`."""
    checked_run(run_dir)
    try:
        front = read_front(run_dir)
    except _UNREADABLE as error:
        raise DamagedRunError() from error
    if not front.points:
        raise DamagedRunError()
    return front


def read_json_checked(path: Path) -> Any:
    """A JSON file this service wrote, or :class:`DamagedRunError`."""
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError) as error:
        raise DamagedRunError() from error


def failure_message(error: BaseException) -> str:
    """What a failed job says: the storage fault in words, else the error without paths."""
    answer = storage_error(error) if isinstance(error, OSError) else None
    if answer is not None:
        return "the run's files could not be written: " + answer.message
    message = str(error)
    if not isinstance(error, ValueError):
        message = f"{type(error).__name__}: {message}"
    return redact_paths(message)[:2000]
