"""``fairfront train``: fit a fair learner and write its run directory and front."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from fairfront.learners import RoundInfo
from fairfront.metrics import NOTIONS
from fairfront.training import LEARNERS, RunSpec, train, write_run

from ._data_options import add_data_options
from ._tables import format_cell, front_legend, front_table
from ._train_multitask import MULTITASK_LEARNERS, train_multitask_command

__all__ = ["add_train_arguments", "train_command"]

log = logging.getLogger("fairfront")

# Boosting hyperparameters passed to the learner when given.
_LEARNER_PARAMS = (
    "max_depth",
    "learning_rate",
    "validation_size",
    "fairness_weight",
    "class_balance",
)


class _RoundProgressBar:
    """A tqdm bar on stderr advanced once per boosting round (nothing when quiet)."""

    def __init__(self, total: int, quiet: bool) -> None:
        self.bar: Any = None
        self.total = total
        self.quiet = quiet

    def __call__(self, info: RoundInfo) -> None:
        if self.quiet:
            return
        if self.bar is None:  # made at the first round, so a data error shows no empty bar
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, unit="round", desc="boosting", file=sys.stderr)
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _print_summary(run: Any, out: Path, all_points: bool) -> None:
    """The front table, the chosen round, the baseline's figures and the files written."""
    front = run.front()
    print(front_table(front, all_points=all_points))
    print(front_legend(front))
    print(f"selected round {run.selected_round}: {run.selection['reason']}")
    if run.baseline is not None:
        split = "test" if "test" in run.baseline else "validation"
        block = run.baseline[split]
        worst = ", ".join(f"{n} {format_cell(block[n]['value']).strip()}" for n in front["notions"])
        print(
            f"baseline ({run.baseline['description']}), {split}: balanced accuracy "
            f"{format_cell(block['balanced_accuracy']).strip()}, {worst}"
        )
    print(
        f"wrote {out / 'front.json'} ({len(front['points'])} points, "
        f"{len(front['front_rounds'])} on the front) in {sum(run.seconds.values()):.1f} s"
    )


def train_command(args: argparse.Namespace) -> int:
    """Train a boosting learner, or with ``--tasks`` a multi-task one."""
    out = Path(args.out)
    if out.exists() and any(out.iterdir()) and not args.force:
        raise ValueError(f"{str(out)!r} is not empty; choose another --out or pass --force")
    if args.tasks or args.learner in MULTITASK_LEARNERS:
        return train_multitask_command(args, out)
    if args.sweep:
        raise ValueError(f"--sweep applies to the multi-task learners, not to {args.learner}")
    params = {name: getattr(args, name) for name in _LEARNER_PARAMS}
    spec = RunSpec(
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
        constraints=args.constraint or [],
        params={name: value for name, value in params.items() if value is not None},
        test_size=args.test_size,
        random_state=args.seed,
        baseline=not args.no_baseline,
    )
    progress = _RoundProgressBar(args.rounds, quiet=args.quiet)
    try:
        run = train(spec, on_round=progress)
    finally:
        progress.close()
    for warning in run.dataset.warnings:
        log.warning("%s", warning)
    write_run(run, out)
    if not args.quiet:
        _print_summary(run, out, args.all_points)
    return 0


def add_train_arguments(tr: argparse.ArgumentParser) -> None:
    """The options of ``train`` (boosting and multi-task)."""
    add_data_options(tr)
    tr.add_argument(
        "--learner",
        choices=[*LEARNERS, *MULTITASK_LEARNERS],
        default="mmm_fair",
        help="boosting (mmm_fair, adafair) or, with --tasks, multi-task (fairbranch, l2t_fmt, mtl)",
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
        help="multi-task: fit once per value of a learner parameter, e.g. "
        "fairness_weight=0.5,1,2 or tau=0.5,0.7 (repeatable: every combination); a point "
        "per setting and epoch, one choice over all",
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
    tr.add_argument("--out", required=True, help="run directory to write")
    tr.add_argument("--force", action="store_true", help="write into a non-empty --out")
    tr.add_argument("--all-points", action="store_true", help="print every round")
    tr.add_argument("-q", "--quiet", action="store_true")
