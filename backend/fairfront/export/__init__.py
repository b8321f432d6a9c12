"""Export a run's model as ONE ONNX graph (preprocessing included) with a model card.

One entry for every learner family: :func:`write_export` (through
:func:`fairfront.runs.export_point`) exports any point of a run directory. Boosting:
:func:`export_model` converts the fitted pipeline of a run directory, truncated at a
round (default: the run's selected round), into ONNX bytes and a card (a dict);
:func:`write_export` writes ``model.onnx``, ``model.card.json`` and ``model.card.md``
all or nothing. The graph takes the raw feature columns (one [N, 1] input per
column: strings for categoricals with ``""`` for missing, float32 for numerics with
NaN for missing) and returns ``label`` (int64 [N], 1 = positive class) and
``probabilities`` (float [N, 2]). onnxruntime alone runs it.

Multi-task runs: :func:`export_multitask` (``_multitask``) writes one probability output
``probabilities_<task>`` [N, 2] per task.

Importing this package needs no ONNX library (nor torch); converting needs the ``export`` extras
(onnx, skl2onnx; onnxruntime for the parity check recorded in the card).
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._card import card_markdown, front_summary, point_for_round
from ._onnx import (
    MISSING_CATEGORICAL,
    OUTPUT_NAMES,
    TARGET_OPSET,
    ExportError,
    export_model,
    input_name,
    onnx_feed,
)

__all__ = [
    "MISSING_CATEGORICAL",
    "OUTPUT_NAMES",
    "TARGET_OPSET",
    "ExportError",
    "ExportedFiles",
    "any_card_markdown",
    "card_markdown",
    "card_paths",
    "export_model",
    "export_multitask",
    "front_summary",
    "input_name",
    "onnx_feed",
    "point_for_round",
    "register_converters",
    "write_export",
]


def export_multitask(
    run_dir: str | Path, round: int | None = None
) -> tuple[bytes, dict[str, Any]]:
    """A multi-task run's point as ONNX bytes and its card (needs torch and the extras)."""
    from ._multitask import export_multitask as export

    return export(run_dir, round=round)


def register_converters() -> list[type]:
    """Register the skl2onnx converters of the fair boosting learners (needs skl2onnx)."""
    from ._converters import register_converters as register

    return register()


@dataclass(frozen=True)
class ExportedFiles:
    """What :func:`write_export` wrote, and the card it wrote."""

    onnx: Path
    card_json: Path
    card_markdown: Path
    card: dict[str, Any]


def card_paths(out: str | Path) -> tuple[Path, Path]:
    """``x/model.onnx`` -> (``x/model.card.json``, ``x/model.card.md``)."""
    out = Path(out)
    stem = out.name[: -len(".onnx")] if out.name.lower().endswith(".onnx") else out.name
    return out.with_name(f"{stem}.card.json"), out.with_name(f"{stem}.card.md")


def _missing_parents(path: Path) -> list[Path]:
    missing: list[Path] = []
    for parent in path.parents:
        if parent.exists():
            break
        missing.append(parent)
    return missing


def _check_writable(out: Path) -> None:
    """Fail early, before the (slower) export, when ``out`` obviously cannot be written."""
    folder = next(p for p in (out.parent, *out.parent.parents) if p.exists())
    if not folder.is_dir():
        raise ExportError(f"cannot write {str(out)!r}: {str(folder)!r} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ExportError(f"cannot write {str(out)!r}: the folder {str(folder)!r} is not writable")


def any_card_markdown(card: dict[str, Any]) -> str:
    """The Markdown of a model card of any family (boosting or multi-task)."""
    if card.get("kind") == "multitask":
        from ._multitask import multitask_card_markdown

        return multitask_card_markdown(card)
    return card_markdown(card)


def write_export(
    run_dir: str | Path, out: str | Path, round: int | None = None
) -> ExportedFiles:
    """Export the run's model to ``out`` with its card beside it, all or nothing.

    Everything is computed first; the three files are written to temporary files in
    the target folder and renamed into place at the end. A bad run directory, a round
    that does not exist or an unwritable ``out`` raise (``RunDirectoryError`` /
    :class:`ExportError`, both ValueErrors) and leave nothing behind.
    """
    out = Path(out)
    if not out.name or out.is_dir():
        raise ExportError(f"--out {str(out)!r} is a folder; give a file path such as model.onnx")
    json_path, md_path = card_paths(out)
    _check_writable(out)
    from ..runs import export_point

    onnx_bytes, card = export_point(Path(run_dir), round=round)
    card["model"]["file"] = out.name
    card["model"]["card_files"] = [json_path.name, md_path.name]
    contents = {
        out: onnx_bytes,
        json_path: (json.dumps(card, indent=1, allow_nan=False) + "\n").encode("utf-8"),
        md_path: any_card_markdown(card).encode("utf-8"),
    }

    created = _missing_parents(out)
    staged: dict[Path, Path] = {}
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        for target, data in contents.items():
            if target.is_dir():
                raise IsADirectoryError(21, "is a folder", str(target))
            temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
            staged[target] = temporary
            with temporary.open("xb") as stream:
                stream.write(data)
        for target, temporary in staged.items():
            os.replace(temporary, target)
    except OSError as error:
        for temporary in staged.values():
            temporary.unlink(missing_ok=True)
        for folder in created:
            try:
                folder.rmdir()
            except OSError:
                break
        where = error.filename or out
        raise ExportError(
            f"cannot write the export to {str(where)!r}: {error.strerror or error}"
        ) from error
    return ExportedFiles(onnx=out, card_json=json_path, card_markdown=md_path, card=card)
