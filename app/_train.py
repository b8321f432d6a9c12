"""``fairfront train``: fit a fair learner and write its run directory and front."""

from __future__ import annotations

import argparse
import logging
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from fairfront.fronts import Constraint
from fairfront.metrics import NOTIONS
from fairfront.runs import (
    PointEvent,
    RunSpec,
    TrainedRun,
    check,
    combine_parts,
    parts,
    train,
    train_part,
    write_run,
)
from fairfront.vocabulary import LEARNERS, learner_names

from ._data_options import add_data_options
from ._tables import format_cell, front_legend, front_table
from ._train_multitask import (
    multitask_options,
    parse_sweep,
    print_epoch,
    print_multitask_summary,
)

__all__ = ["add_train_arguments", "train_command"]

log = logging.getLogger("fairfront")

# Learner hyperparameters passed to the learner when given (each learner refuses the
# ones it does not take, naming those it does).
_LEARNER_PARAMS = (
    "max_depth",
    "learning_rate",
    "validation_size",
    "fairness_weight",
    "class_balance",
)


class _ProgressBar:
    """A tqdm bar on stderr advanced once per point (nothing when quiet)."""

    def __init__(self, unit: str, quiet: bool) -> None:
        self.bar: Any = None
        self.unit = unit
        self.quiet = quiet

    def __call__(self, event: PointEvent) -> None:
        if self.quiet:
            return
        if self.bar is None:  # made at the first point, so a data error shows no empty bar
            from tqdm import tqdm

            self.bar = tqdm(total=event.total, unit=self.unit, desc="training", file=sys.stderr)
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _print_summary(run: TrainedRun, out: Path, all_points: bool) -> None:
    """The front table, the chosen round, the baseline's figures and the files written."""
    front = run.front.model_dump(mode="json")
    print(front_table(front, all_points=all_points))
    print(front_legend(front))
    print(f"selected round {run.selected_round}: {run.selection.reason}")
    baseline = run.front.baseline
    if baseline is not None:
        split = "test" if baseline.test is not None else "validation"
        block = (baseline.test or baseline.validation).model_dump(mode="json")
        worst = ", ".join(f"{n} {format_cell(block[n]['value']).strip()}" for n in front["notions"])
        print(
            f"baseline ({baseline.description}), {split}: balanced accuracy "
            f"{format_cell(block['balanced_accuracy']).strip()}, {worst}"
        )
    for reference in front.get("references", []):
        test = reference.get("test") or reference["validation"]
        figures = ", ".join(
            f"{n} {format_cell(test[n]['value']).strip()}" for n in reference["notions"]
        )
        print(
            f"reference: {reference['label']}: balanced accuracy "
            f"{format_cell(test['balanced_accuracy']).strip()}, {figures} "
            f"({'test' if reference.get('test') else 'validation'})"
        )
    print(
        f"wrote {out / 'front.json'} ({len(front['points'])} points, "
        f"{len(front['front_rounds'])} on the front) in {sum(run.seconds.values()):.1f} s"
    )


def _spec(args: argparse.Namespace) -> RunSpec:
    """The run spec the options ask for, boosting or (with --tasks) multi-task."""
    params = {name: getattr(args, name) for name in _LEARNER_PARAMS}
    params = {name: value for name, value in params.items() if value is not None}
    multitask = LEARNERS[args.learner].multitask
    if args.tasks and not multitask:
        raise ValueError(
            f"--tasks needs a multi-task learner ({', '.join(learner_names('multitask'))}), "
            f"not {args.learner!r}"
        )
    if multitask:
        return multitask_options(args, params)
    return RunSpec(
        data=args.data,
        target=args.target,
        positive=args.positive,
        protected=args.protected,
        drop=args.drop or [],
        keep=args.keep or [],
        target_rule=args.target_rule,
        learner=args.learner,
        notions=args.notions,
        rounds=args.rounds,
        constraints=[
            str(Constraint.parse(c).with_confidence(args.confidence)) for c in args.constraint or []
        ],
        params=params,
        test_size=args.test_size,
        random_state=args.seed,
        baseline=not args.no_baseline,
        references=args.references,
        sweep=parse_sweep(args.sweep or []),
    )


def _fit(spec: RunSpec, on_point: Any, jobs: int) -> TrainedRun:
    """Train here; a run of several parts (a sweep) with ``jobs`` > 1 fits its parts in
    that many processes at once (no live progress) and joins them."""
    count = parts(spec)
    if jobs <= 1 or count <= 1:
        return train(spec, on_point=on_point)
    check(spec)  # a bad spec is refused before any process starts
    with ProcessPoolExecutor(max_workers=min(jobs, count)) as pool:
        fitted = list(pool.map(train_part, [spec] * count, range(count)))
    return combine_parts(spec, fitted)


def train_command(args: argparse.Namespace) -> int:
    """Train any learner: boosting, or with ``--tasks`` a multi-task one."""
    out = Path(args.out)
    if out.exists() and any(out.iterdir()) and not args.force:
        raise ValueError(f"{str(out)!r} is not empty; choose another --out or pass --force")
    spec = _spec(args)
    multitask = spec.family == "multitask"
    progress = _ProgressBar("round", quiet=args.quiet or multitask)

    def on_point(event: PointEvent) -> None:
        if multitask and not args.quiet:
            print_epoch(event, spec.epochs)
        progress(event)

    try:
        run = _fit(spec, on_point, args.jobs)
    finally:
        progress.close()
    for warning in run.dataset.warnings:
        log.warning("%s", warning)
    write_run(run, out)
    if not args.quiet:
        if multitask:
            print_multitask_summary(run, out)
        else:
            _print_summary(run, out, args.all_points)
    return 0


def add_train_arguments(tr: argparse.ArgumentParser) -> None:
    """The options of ``train`` (boosting and multi-task)."""
    add_data_options(tr)
    tr.add_argument(
        "--learner",
        choices=list(LEARNERS),
        default="mmm_fair",
        help=f"boosting ({', '.join(learner_names('boosting'))}) or, with --tasks, multi-task "
        f"({', '.join(learner_names('multitask'))})",
    )
    tr.add_argument(
        "--tasks",
        nargs="+",
        metavar="TASK",
        help="multi-task: the target columns (e.g. two_year_recid is_violent_recid; "
        "adult: income married)",
    )
    tr.add_argument("--epochs", type=int, default=30, help="multi-task: most epochs")
    tr.add_argument(
        "--sweep",
        action="append",
        metavar="NAME=V1,V2",
        help="fit once per value of a learner parameter, e.g. fairness_weight=0.5,1,2, "
        "bound=0.01,0.03 (fair_gbm) or tau=0.5,0.7 (multi-task); repeatable: every "
        "combination. A point per setting and round (or epoch), one choice over all",
    )
    tr.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="sweeps: fit this many settings at once, each in its own "
        "process (default 1: one after another)",
    )
    tr.add_argument("--notions", nargs="+", default=["eo"], choices=list(NOTIONS))
    tr.add_argument("--rounds", type=int, default=300, help="boosting rounds (1-2000)")
    tr.add_argument(
        "--constraint",
        action="append",
        metavar="RULE",
        help='choose the point by constraints, e.g. "eo<=0.05" or "eo[race]<=0.03" '
        "(repeatable); default: the knee of the front",
    )
    tr.add_argument(
        "--confidence",
        type=float,
        metavar="LEVEL",
        help="fairness constraints must hold with this confidence, e.g. 0.95: the upper end "
        "of the gap's 95%% interval under the bound (same as eo<=0.05@95%%)",
    )
    tr.add_argument("--max-depth", type=int, dest="max_depth", help="depth of each tree")
    tr.add_argument("--learning-rate", type=float, dest="learning_rate")
    tr.add_argument("--validation-size", type=float, dest="validation_size")
    tr.add_argument("--fairness-weight", type=float, dest="fairness_weight")
    tr.add_argument("--class-balance", type=float, dest="class_balance")
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument(
        "--no-baseline",
        action="store_true",
        help="skip the unconstrained baseline (the same learner without fairness costs)",
    )
    tr.add_argument(
        "--references",
        action="store_true",
        help="add group-threshold reference points to the front (a class-balanced LightGBM "
        "with one threshold per protected group; they need the protected attributes at "
        "prediction time and are never exported)",
    )
    tr.add_argument("--out", required=True, help="run directory to write")
    tr.add_argument("--force", action="store_true", help="write into a non-empty --out")
    tr.add_argument("--all-points", action="store_true", help="print every round")
    tr.add_argument("-q", "--quiet", action="store_true")
