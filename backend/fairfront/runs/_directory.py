"""The one run directory format, for every learner family.

A run directory holds ``front.json`` (the :class:`~fairfront.fronts.Front`), ``run.json``
(format and ``kind`` -- the learner family --, the spec, dataset and learner details,
timings, library versions, and the sha256 of every model file) and the family's model
files. It is written into a staging folder beside it and renamed into place file by
file only once everything is written: all or nothing. Model files are loaded only after
their sha256 matches ``run.json``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sklearn

from .. import __version__
from ..fronts import Front

__all__ = [
    "FRONT_FILE",
    "RUN_FILE",
    "RUN_FORMAT",
    "RunDirectoryError",
    "check_files",
    "file_sha256",
    "json_params",
    "library_versions",
    "read_front",
    "read_run",
    "run_kind",
    "staging",
    "write_json",
    "write_run_directory",
]

FRONT_FILE, RUN_FILE = "front.json", "run.json"
RUN_FORMAT = "fairfront.run/2"
_READABLE_FORMATS = ("fairfront.run/1", RUN_FORMAT)


class RunDirectoryError(ValueError):
    """A directory that does not hold a complete, intact run."""


def library_versions(**more: str) -> dict[str, str]:
    return {
        "fairfront": __version__,
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        **more,
    }


def file_sha256(path: Path) -> str:
    with Path(path).open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def write_json(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document, indent=1, allow_nan=False) + "\n", encoding="utf-8")


def json_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """A learner's parameters for ``run.json`` (anything not plain JSON as its repr)."""
    return {
        k: v if isinstance(v, str | int | float | bool | type(None)) else repr(v)
        for k, v in params.items()
    }


@contextlib.contextmanager
def staging(out: Path) -> Iterator[Path]:
    """A scratch folder beside ``out`` whose files move into ``out`` only on success."""
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        yield scratch
        out.mkdir(exist_ok=True)
        for item in scratch.iterdir():
            os.replace(item, out / item.name)
    finally:
        for item in scratch.iterdir():
            item.unlink()
        scratch.rmdir()


def write_run_directory(
    out: Path,
    *,
    kind: str,
    front: Front,
    run: Mapping[str, Any],
    write_models: Callable[[Path], list[str]],
) -> None:
    """Write a run directory, all or nothing.

    ``write_models(folder)`` writes the family's model files into ``folder`` and returns
    their names; ``run`` is the rest of ``run.json`` (spec, dataset, learner, ...), to which
    the format, ``kind``, the versions default and every model file's sha256 are added.
    """
    out = Path(out)
    with staging(out) as scratch:
        names = write_models(scratch)
        write_json(scratch / FRONT_FILE, front.model_dump(mode="json"))
        files = {name: file_sha256(scratch / name) for name in names}
        document = {
            "format": RUN_FORMAT,
            "kind": kind,
            **run,
            "versions": run.get("versions") or library_versions(),
            "files": files,
            "model_sha256": files[names[0]],
        }
        write_json(scratch / RUN_FILE, document)


def _files(document: Mapping[str, Any]) -> dict[str, str]:
    """Model files and their sha256 (run.json format 1 named them by key)."""
    if "files" in document:
        return dict(document["files"])
    if document.get("kind") == "multitask":
        return {
            "model.pt": document.get("model_sha256", ""),
            "preprocess.joblib": document.get("preprocess_sha256", ""),
        }
    return {"model.joblib": document.get("model_sha256", "")}


def read_run(out: Path) -> dict[str, Any]:
    """``run.json`` of a run directory (with its ``kind``); a clear error when it is not one."""
    out = Path(out)
    hint = "make one with `fairfront train ... --out DIR`"
    if not out.is_dir() or not (out / RUN_FILE).is_file() or not (out / FRONT_FILE).is_file():
        missing = [n for n in (RUN_FILE, FRONT_FILE) if not (out / n).is_file()]
        raise RunDirectoryError(
            f"{str(out)!r} holds no complete run (missing: "
            f"{', '.join(missing) if out.is_dir() else 'the folder'}); {hint}"
        )
    try:
        document: dict[str, Any] = json.loads((out / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RunDirectoryError(f"{str(out / RUN_FILE)!r} is unreadable: {error}") from error
    if document.get("format") not in _READABLE_FORMATS:
        raise RunDirectoryError(
            f"{str(out / RUN_FILE)!r} has format {document.get('format')!r}; this version "
            f"reads {', '.join(_READABLE_FORMATS)}"
        )
    document.setdefault("kind", "boosting")
    document["files"] = _files(document)
    missing = [name for name in document["files"] if not (out / name).is_file()]
    if missing:
        raise RunDirectoryError(
            f"{str(out)!r} holds no complete run (missing: {', '.join(missing)}); {hint}"
        )
    return document


def run_kind(out: Path) -> str:
    """The learner family of a run directory (``boosting``, ``multitask``, ...)."""
    return str(read_run(out)["kind"])


def read_front(out: Path) -> Front:
    """The run's front, typed."""
    read_run(out)
    text = (Path(out) / FRONT_FILE).read_text(encoding="utf-8")
    try:
        return Front.model_validate_json(text)
    except ValueError as error:
        raise RunDirectoryError(
            f"{str(Path(out) / FRONT_FILE)!r} is not a front: {error}"
        ) from error


def check_files(out: Path, run: Mapping[str, Any]) -> None:
    """Refuse to go on unless every model file matches the sha256 in ``run.json``."""
    for name, digest in run["files"].items():
        path = Path(out) / name
        if file_sha256(path) != digest:
            raise RunDirectoryError(
                f"{str(path)!r} does not match the sha256 recorded in run.json; refusing to load it"
            )
