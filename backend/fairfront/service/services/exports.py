"""Exports of a finished run's points: one ONNX file and its card per round, cached.

Each round's export is written once under ``<run>/exports/round-N/`` together with
``sha256.json``, the checksums of the three files as written (that file last: an
export without it is incomplete and is made again). Every download reads the file's
bytes, recomputes their sha256 and serves exactly those bytes only when it matches;
a mismatch is :class:`~fairfront.service.storage.DamagedRunError` (409), never a 200.
Cards carry no server path: the run is named by its id and the data by its dataset
label (a built-in name or the upload's id).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from ...export import any_card_markdown, card_paths
from ...runs import export_point
from ..storage import DamagedRunError, atomic_write, read_json_checked, redact_paths, sha256_hex
from .runs import RunsService

CHECKSUMS = "sha256.json"


def _scrub(value: Any) -> Any:
    """Every string in a card without absolute server paths."""
    if isinstance(value, str):
        return redact_paths(value)
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


class ExportsService:
    def __init__(self, runs: RunsService) -> None:
        self.runs = runs
        self._lock = threading.Lock()

    def folder(self, run_id: str, round_: int) -> Path:
        return self.runs.run_dir(run_id) / "exports" / f"round-{round_}"

    def files(self, run_id: str, round_: int) -> tuple[Path, Path, Path]:
        """Paths of model.onnx, its JSON and Markdown card for that round (made once)."""
        self.runs.point(run_id, round_)  # 404 / 409 for a missing run or round
        out = self.folder(run_id, round_) / "model.onnx"
        card_json, card_md = card_paths(out)
        if not (out.parent / CHECKSUMS).is_file():
            with self._lock:
                if not (out.parent / CHECKSUMS).is_file():
                    self._write(run_id, round_, out)
        return out, card_json, card_md

    def _write(self, run_id: str, round_: int, out: Path) -> None:
        onnx_bytes, card = export_point(self.runs.run_dir(run_id), round=round_)
        card_json, card_md = card_paths(out)
        card["model"]["file"] = out.name
        card["model"]["card_files"] = [card_json.name, card_md.name]
        # no server path: the run by its id; the data by its name (the exporter's spec)
        card.setdefault("run", {})["directory"] = f"runs/{run_id}"
        card["run"]["id"] = run_id
        card = _scrub(card)
        contents = {
            out: onnx_bytes,
            card_json: (json.dumps(card, indent=1, allow_nan=False) + "\n").encode("utf-8"),
            card_md: any_card_markdown(card).encode("utf-8"),
        }
        for path, data in contents.items():
            atomic_write(path, data)
        checksums = {path.name: sha256_hex(data) for path, data in contents.items()}
        atomic_write(out.parent / CHECKSUMS, json.dumps(checksums).encode())

    def verified(self, path: Path) -> bytes:
        """The bytes of an export file, only when their sha256 is the one recorded."""
        recorded = read_json_checked(path.parent / CHECKSUMS)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise DamagedRunError() from error
        if not isinstance(recorded, dict) or recorded.get(path.name) != sha256_hex(data):
            raise DamagedRunError()
        return data

    def onnx(self, run_id: str, round_: int) -> bytes:
        out, _, _ = self.files(run_id, round_)
        return self.verified(out)

    def card_text(self, run_id: str, round_: int) -> str:
        _, _, card_md = self.files(run_id, round_)
        return self.verified(card_md).decode("utf-8")

    def card(self, run_id: str, round_: int) -> dict[str, Any]:
        _, card_json, _ = self.files(run_id, round_)
        try:
            card: dict[str, Any] = json.loads(self.verified(card_json))
        except ValueError as error:
            raise DamagedRunError() from error
        return card
