"""``fairfront export``: a run's point as one ONNX graph with its model card."""

from __future__ import annotations

import argparse
from pathlib import Path

from fairfront.export import write_export

__all__ = ["add_export_arguments", "export_command"]


def export_command(args: argparse.Namespace) -> int:
    """Export a run's point (``--round``, default its selected one), any learner family."""
    exported = write_export(Path(args.dir), Path(args.out), round=args.round)
    card = exported.card
    selection = card["selection"]
    parity = card["parity"]
    if card.get("kind") == "multitask":
        outputs = ", ".join(t["output"] for t in card["tasks"])
        print(
            f"wrote {exported.onnx} (round {selection['exported_round']}: epoch "
            f"{card['epoch']}; outputs {outputs}; sha256 {card['model']['sha256'][:16]}...)"
        )
    else:
        print(
            f"wrote {exported.onnx} (round {selection['exported_round']} of "
            f"{card['learner'].get('rounds_fitted')}; {selection['note']}; sha256 "
            f"{card['model']['sha256'][:16]}...)"
        )
    print(f"wrote {exported.card_json} and {exported.card_markdown}")
    if parity.get("checked"):
        agreement = (
            f"label agreement {parity['label_agreement']:.6f}, "
            if "label_agreement" in parity
            else ""
        )
        print(
            f"onnxruntime vs Python on {parity['rows']} {parity['split']} rows: {agreement}"
            f"max |probability difference| {parity['max_abs_probability_difference']:.2g}"
        )
    return 0


def add_export_arguments(ex: argparse.ArgumentParser) -> None:
    """The options of ``export``."""
    ex.add_argument("dir", help="run directory written by `fairfront train`")
    ex.add_argument(
        "--round",
        type=int,
        default=None,
        help="round (point) to export (default: the selected one)",
    )
    ex.add_argument(
        "--out",
        required=True,
        help="ONNX file to write (e.g. model.onnx); model.card.json and model.card.md go beside it",
    )
