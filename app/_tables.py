"""Text tables the commands print: a number cell, and a run's front."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["format_cell", "front_legend", "front_table"]


def format_cell(value: Any, width: int = 7) -> str:
    """``value`` to three decimals, right-aligned; ``-`` for None or NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-".rjust(width)
    return f"{value:.3f}".rjust(width)


def front_table(front: dict[str, Any], all_points: bool = False) -> str:
    """The front as a text table: one row per non-dominated (or selected) round."""
    notions = front["notions"]
    splits = [s for s in ("validation", "test") if front["points"] and s in front["points"][0]]
    header = ["round", "flags"]
    for split in splits:
        short = "val" if split == "validation" else "test"
        header += [f"{short} acc", f"{short} bacc"] + [f"{short} {n}" for n in notions]
    lines = ["  ".join(h.rjust(9) for h in header)]
    for point in front["points"]:
        if not (all_points or point["on_front"] or point["selected"]):
            continue
        flags = ("F" if point["on_front"] else "") + ("S" if point["selected"] else "")
        flags += "T" if point["trivial"] else ""
        cells = [str(point["round"]).rjust(9), flags.rjust(9)]
        for split in splits:
            block = point[split]
            cells += [format_cell(block["accuracy"], 9), format_cell(block["balanced_accuracy"], 9)]
            cells += [format_cell(block[n]["value"], 9) for n in notions]
        lines.append("  ".join(cells))
    return "\n".join(lines)


def front_legend(front: dict[str, Any]) -> str:
    """What the flags of :func:`front_table` mean, and the notions' labels."""
    labels = "; ".join(f"{n} = {label}" for n, label in front["notion_labels"].items())
    return (
        "flags: F on the front (validation), S selected, T trivial. Violations are the "
        f"worst over protected attributes ({labels})."
    )
