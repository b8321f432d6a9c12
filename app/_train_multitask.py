"""``fairfront train --tasks ...``: the multi-task options, epoch lines and summary.

Training itself goes through :mod:`fairfront.runs` like every learner (needs the ``mtl``
extra: torch).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from fairfront.metrics import NOTIONS
from fairfront.runs import PointEvent, RunSpec, TrainedRun

from ._tables import format_cell

__all__ = ["multitask_options", "parse_sweep", "print_epoch", "print_multitask_summary"]


def _eo_sum(block: Any) -> float | None:
    notion = block.notion("eo_sum")
    return None if notion is None else notion.value


def print_epoch(event: PointEvent, epochs: int) -> None:
    """One line on stderr per epoch (of ``epochs``): each task's validation figures."""
    point = event.point
    cells = "  ".join(
        f"{task}: acc {format_cell(blocks.validation.accuracy).strip()} "
        f"bacc {format_cell(blocks.validation.balanced_accuracy).strip()} eo_sum "
        f"{format_cell(_eo_sum(blocks.validation)).strip()}"
        for task, blocks in (point.tasks or {}).items()
    )
    note = f"  [{event.note}]" if event.note else ""
    setting = ", ".join(f"{k}={v}" for k, v in (point.setting or {}).items())
    prefix = f"{setting}: " if setting else ""
    print(f"{prefix}epoch {point.epoch}/{epochs}; validation {cells}{note}", file=sys.stderr)


def print_multitask_summary(run: TrainedRun, out: Path) -> None:
    """The chosen point's per-task figures, the gains over single-task models, the files."""
    front = run.front
    selected = run.selected_point
    split = "test" if selected.test is not None else "validation"
    print(f"selected: {run.selection.reason}")
    print(
        f"{'task':>20}  {split + ' acc':>9}  {'bal. acc':>9}  {'eo':>7}  {'eo_sum':>7}  (eo_sum = "
        f"{NOTIONS['eo_sum'].label})"
    )
    for task, blocks in (selected.tasks or {}).items():
        block = blocks.test if split == "test" and blocks.test is not None else blocks.validation
        eo = block.notion("eo")
        print(
            f"{task:>20}  {format_cell(block.accuracy, 9)}  "
            f"{format_cell(block.balanced_accuracy, 9)}  "
            f"{format_cell(None if eo is None else eo.value)}  {format_cell(_eo_sum(block))}"
        )
    if front.baselines is not None:
        mean = front.baselines.gains["mean"]
        print(
            f"against single-task models ({front.baselines.split}): knowledge gain "
            f"{format_cell(mean['knowledge_gain']).strip()}, discrimination gain (eo_sum) "
            f"{format_cell(mean['discrimination_gain']['eo_sum']).strip()} (mean over tasks)"
        )
    print(
        f"wrote {out / 'front.json'} ({len(front.points)} points, "
        f"{len(front.front_rounds)} on the front) in {sum(run.seconds.values()):.1f} s"
    )


def _number(text: str) -> int | float | bool:
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return int(text)
    except ValueError:
        return float(text)


def parse_sweep(items: list[str]) -> dict[str, list[Any]]:
    """``["fairness_weight=0.5,1,2", "tau=0.6"]`` -> ``{"fairness_weight": [0.5, 1, 2], ...}``."""
    sweep: dict[str, list[Any]] = {}
    for item in items:
        name, sep, values = item.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not name or not values.strip():
            raise ValueError(
                f"--sweep {item!r}: write NAME=V1,V2,... (e.g. fairness_weight=0.5,1,2)"
            )
        if name in sweep:
            raise ValueError(f"--sweep names {name!r} twice")
        try:
            sweep[name] = [_number(v.strip()) for v in values.split(",")]
        except ValueError:
            raise ValueError(f"--sweep {item!r}: the values must be numbers") from None
    return sweep


def multitask_options(args: argparse.Namespace, params: dict[str, Any]) -> RunSpec:
    """The multi-task run spec of ``fairfront train --tasks ...``."""
    if not args.tasks:
        raise ValueError(f"--learner {args.learner} needs --tasks T1 T2 ...")
    for option, value in (
        ("--max-depth", args.max_depth),
        ("--class-balance", args.class_balance),
        ("--constraint", args.constraint),
        ("--confidence", args.confidence),
        ("--references", args.references or None),
    ):
        if value is not None:
            raise ValueError(f"{option} applies to the boosting learners, not to {args.learner}")
    params = {k: v for k, v in params.items() if k not in ("max_depth", "class_balance")}
    if "fairness_weight" in params and args.learner == "mtl":
        raise ValueError("--fairness-weight applies to fairbranch, not to mtl (no fairness loss)")
    return RunSpec(
        data=args.data,
        tasks=list(args.tasks),
        positives=dict.fromkeys(args.tasks, args.positive) if args.positive else {},
        protected=args.protected,
        drop=args.drop or [],
        learner=args.learner,
        epochs=args.epochs,
        params=params,
        sweep=parse_sweep(args.sweep or []),
        test_size=args.test_size,
        random_state=args.seed,
        baseline=not args.no_baseline,
    )
