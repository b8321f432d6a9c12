"""``fairfront train --tasks ...``: a multi-task learner (needs the ``mtl`` extra: torch)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from fairfront.metrics import NOTIONS

from ._tables import format_cell

__all__ = ["MULTITASK_LEARNERS", "train_multitask_command"]

log = logging.getLogger("fairfront")

MULTITASK_LEARNERS = ("fairbranch", "l2t_fmt", "mtl")


def _print_epoch(info: Any) -> None:
    """One line on stderr per epoch: the training loss and each task's validation figures."""
    cells = "  ".join(
        f"{task}: acc {format_cell(block['accuracy']).strip()} "
        f"bacc {format_cell(block['balanced_accuracy']).strip()} eo_sum "
        f"{format_cell(block['eo_sum']['value']).strip()}"
        for task, block in info.validation.items()
    )
    note = f"  [{info.note}]" if info.note else ""
    setting = ", ".join(f"{k}={v}" for k, v in info.setting.items())
    prefix = f"{setting}: " if setting else ""
    print(
        f"{prefix}epoch {info.epoch}/{info.n_epochs} ({info.seconds:.2f} s) train loss "
        f"{info.train_loss:.4f}; validation {cells}{note}",
        file=sys.stderr,
    )


def _ignore_epoch(info: Any) -> None:
    """The ``--quiet`` epoch callback."""


def _print_summary(run: Any, out: Path) -> None:
    """The chosen epoch's per-task figures, the gains over single-task models, the files."""
    front = run.front()
    selected = run.points[run.selected]
    split = "test" if "test" in selected else "validation"
    print(f"selected: {run.fits.reason}")
    print(
        f"{'task':>20}  {split + ' acc':>9}  {'bal. acc':>9}  {'eo':>7}  {'eo_sum':>7}  (eo_sum = "
        f"{NOTIONS['eo_sum'].label})"
    )
    for task, blocks in selected["tasks"].items():
        block = blocks[split]
        print(
            f"{task:>20}  {format_cell(block['accuracy'], 9)}  "
            f"{format_cell(block['balanced_accuracy'], 9)}  "
            f"{format_cell(block['eo']['value'])}  {format_cell(block['eo_sum']['value'])}"
        )
    if run.baselines is not None:
        mean = run.baselines["gains"]["mean"]
        print(
            f"against single-task models ({run.baselines['split']}): knowledge gain "
            f"{format_cell(mean['knowledge_gain']).strip()}, discrimination gain (eo_sum) "
            f"{format_cell(mean['discrimination_gain']['eo_sum']).strip()} (mean over tasks)"
        )
    print(
        f"wrote {out / 'front.json'} ({len(front['points'])} points, "
        f"{len(front['front_rounds'])} on the front) in {sum(run.seconds.values()):.1f} s"
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


def train_multitask_command(args: argparse.Namespace, out: Path) -> int:
    """Train the multi-task learner ``args`` name on ``--tasks``; write the run to ``out``."""
    if not args.tasks:
        raise ValueError(f"--learner {args.learner} needs --tasks T1 T2 ...")
    if args.learner not in MULTITASK_LEARNERS:
        raise ValueError(
            f"--tasks needs a multi-task learner ({', '.join(MULTITASK_LEARNERS)}), "
            f"not {args.learner!r}"
        )
    from fairfront.multitask import MultiTaskSpec, train_multitask, write_multitask_run

    for option, value in (
        ("--max-depth", args.max_depth),
        ("--class-balance", args.class_balance),
        ("--constraint", args.constraint),
    ):
        if value is not None:
            raise ValueError(f"{option} applies to the boosting learners, not to {args.learner}")
    params = {
        name: getattr(args, name)
        for name in ("learning_rate", "validation_size", "fairness_weight")
        if getattr(args, name) is not None
    }
    if "fairness_weight" in params and args.learner == "mtl":
        raise ValueError("--fairness-weight applies to fairbranch, not to mtl (no fairness loss)")
    positives = dict.fromkeys(args.tasks, args.positive) if args.positive else {}
    spec = MultiTaskSpec(
        data=args.data,
        tasks=list(args.tasks),
        positives=positives,
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
    run = train_multitask(spec, on_epoch=_ignore_epoch if args.quiet else _print_epoch)
    for warning in run.dataset.warnings:
        log.warning("%s", warning)
    write_multitask_run(run, out)
    if not args.quiet:
        _print_summary(run, out)
    return 0
