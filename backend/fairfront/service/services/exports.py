"""Exports of a finished run's points: one ONNX file and its card per round, cached."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from ...export import ExportedFiles, card_paths, write_export
from .runs import RunsService


class ExportsService:
    def __init__(self, runs: RunsService) -> None:
        self.runs = runs
        self._lock = threading.Lock()

    def files(self, run_id: str, round_: int) -> tuple[Path, Path, Path]:
        """Paths of model.onnx, its JSON and Markdown card for that round (made once)."""
        self.runs.point(run_id, round_)  # 404 / 409 for a missing run or round
        out = self.runs.run_dir(run_id) / "exports" / f"round-{round_}" / "model.onnx"
        card_json, card_md = card_paths(out)
        if not (out.is_file() and card_json.is_file() and card_md.is_file()):
            with self._lock:
                if not out.is_file():
                    written: ExportedFiles = write_export(self.runs.run_dir(run_id), out, round_)
                    return written.onnx, written.card_json, written.card_markdown
        return out, card_json, card_md

    def card(self, run_id: str, round_: int) -> dict[str, Any]:
        _, card_json, _ = self.files(run_id, round_)
        card: dict[str, Any] = json.loads(card_json.read_text(encoding="utf-8"))
        return card
