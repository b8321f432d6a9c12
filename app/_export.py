"""``fairfront export``: a run's model as one ONNX graph with its model card."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from fairfront.export import write_export

__all__ = ["add_export_arguments", "export_command"]


def _is_multitask_run(run_dir: Path) -> bool:
    """Whether ``run_dir`` holds a run written by ``train --tasks``."""
    run_file = run_dir / "run.json"
    return run_file.is_file() and json.loads(run_file.read_text()).get("kind") == "multitask"


def _export_multitask(args: argparse.Namespace) -> int:
    """Export a multi-task run: its chosen checkpoint (one output per task)."""
    from fairfront.multitask import export_multitask

    if args.round is not None:
        raise ValueError("--round is for boosting runs; a multi-task run exports its chosen epoch")
    onnx_bytes, card = export_multitask(Path(args.dir))
    out = Path(args.out)
    card_path = out.with_name(out.name.removesuffix(".onnx") + ".card.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    for path, data in ((out, onnx_bytes), (card_path, json.dumps(card, indent=1).encode())):
        partial = path.with_name(f".{path.name}.partial")
        partial.write_bytes(data)
        partial.replace(path)
    print(f"wrote {out} and {card_path}")
    return 0


def export_command(args: argparse.Namespace) -> int:
    """Export a boosting run (at ``--round``, default its selected one) or a multi-task run."""
    if _is_multitask_run(Path(args.dir)):
        return _export_multitask(args)
    exported = write_export(Path(args.dir), Path(args.out), round=args.round)
    card = exported.card
    selection = card["selection"]
    parity = card["parity"]
    print(
        f"wrote {exported.onnx} (round {selection['exported_round']} of "
        f"{card['learner'].get('rounds_fitted')}; {selection['note']}; sha256 "
        f"{card['model']['sha256'][:16]}...)"
    )
    print(f"wrote {exported.card_json} and {exported.card_markdown}")
    if parity.get("checked"):
        print(
            f"onnxruntime vs Python on {parity['rows']} test rows: label agreement "
            f"{parity['label_agreement']:.6f}, max |probability difference| "
            f"{parity['max_abs_probability_difference']:.2g}"
        )
    return 0


def add_export_arguments(ex: argparse.ArgumentParser) -> None:
    """The options of ``export``."""
    ex.add_argument("dir", help="run directory written by `fairfront train`")
    ex.add_argument(
        "--round", type=int, default=None, help="round to export (default: the selected one)"
    )
    ex.add_argument(
        "--out",
        required=True,
        help="ONNX file to write (e.g. model.onnx); model.card.json and model.card.md go beside it",
    )
