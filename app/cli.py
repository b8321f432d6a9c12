"""The ``fairfront`` command line: train, audit predictions, (later) export and serve."""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairfront.datasets import DatasetError, list_datasets, load_dataset
from fairfront.export import write_export
from fairfront.fronts import ConstraintError, SelectionError
from fairfront.groups import GroupingError
from fairfront.learners import RoundInfo
from fairfront.metrics import NOTIONS, MissingGroupError, evaluate
from fairfront.training import LEARNERS, RunDirectoryError, RunSpec, train, write_run

log = logging.getLogger("fairfront")

USER_ERRORS = (
    DatasetError,
    GroupingError,
    ConstraintError,
    SelectionError,
    RunDirectoryError,
    MissingGroupError,
    ValueError,
    FileNotFoundError,
)


def _fmt(value: Any, width: int = 7) -> str:
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
            cells += [_fmt(block["accuracy"], 9), _fmt(block["balanced_accuracy"], 9)]
            cells += [_fmt(block[n]["value"], 9) for n in notions]
        lines.append("  ".join(cells))
    return "\n".join(lines)


def _legend(front: dict[str, Any]) -> str:
    labels = "; ".join(f"{n} = {label}" for n, label in front["notion_labels"].items())
    return (
        "flags: F on the front (validation), S selected, T trivial. Violations are the "
        f"worst over protected attributes ({labels})."
    )


def cmd_train(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and any(out.iterdir()) and not args.force:
        raise ValueError(f"{str(out)!r} is not empty; choose another --out or pass --force")
    params: dict[str, Any] = {}
    for name in (
        "max_depth",
        "learning_rate",
        "validation_size",
        "fairness_weight",
        "class_balance",
    ):
        value = getattr(args, name)
        if value is not None:
            params[name] = value
    spec = RunSpec(
        data=args.data,
        target=args.target,
        positive=args.positive,
        protected=args.protected,
        drop=args.drop or [],
        learner=args.learner,
        notions=args.notions,
        rounds=args.rounds,
        constraints=args.constraint or [],
        params=params,
        test_size=args.test_size,
        random_state=args.seed,
        baseline=not args.no_baseline,
    )
    progress = _progress_bar(args.rounds, quiet=args.quiet)
    try:
        run = train(spec, on_round=progress)
    finally:
        progress.close()
    for warning in run.dataset.warnings:
        log.warning("%s", warning)
    write_run(run, out)
    front = run.front()
    if not args.quiet:
        print(front_table(front, all_points=args.all_points))
        print(_legend(front))
        print(f"selected round {run.selected_round}: {run.selection['reason']}")
        if run.baseline is not None:
            split = "test" if "test" in run.baseline else "validation"
            block = run.baseline[split]
            worst = ", ".join(f"{n} {_fmt(block[n]['value']).strip()}" for n in front["notions"])
            print(
                f"baseline ({run.baseline['description']}), {split}: balanced accuracy "
                f"{_fmt(block['balanced_accuracy']).strip()}, {worst}"
            )
        print(
            f"wrote {out / 'front.json'} ({len(front['points'])} points, "
            f"{len(front['front_rounds'])} on the front) in {sum(run.seconds.values()):.1f} s"
        )
    return 0


class _Progress:
    def __init__(self, total: int, quiet: bool) -> None:
        self.bar = None
        if not quiet:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="round", desc="boosting", file=sys.stderr)

    def __call__(self, info: RoundInfo) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _progress_bar(total: int, quiet: bool) -> _Progress:
    return _Progress(total, quiet)


def cmd_metrics(args: argparse.Namespace) -> int:
    data = load_dataset(
        args.data,
        target=args.target,
        positive=args.positive,
        protected=args.protected,
        drop=args.drop or [],
        test_size=args.test_size,
    )
    split = args.split or ("test" if data.has_test else "train")
    if split == "test" and not data.has_test:
        raise ValueError("this data has no test split; use --split train (or --test-size)")
    y, sensitive = (
        (data.y_test, data.sensitive_test) if split == "test" else (data.y, data.sensitive)
    )
    assert y is not None  # noqa: S101 - guarded by has_test above
    predictions = _read_predictions(Path(args.predictions), args.column, len(y), data)
    report = evaluate(
        y,
        predictions,
        sensitive_features=sensitive,
        notions=args.notions or list(NOTIONS),
        min_group_size=args.min_group_size,
    )
    document = report.to_dict()
    if args.json:
        Path(args.json).write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"{data.name}, {split} split, {len(y)} rows; positive class {data.positive!r}")
    overall = report.overall
    print(
        f"accuracy {overall['accuracy']:.4f}  balanced accuracy "
        f"{overall['balanced_accuracy']:.4f}  selection rate {overall['selection_rate']:.4f}"
        + ("  TRIVIAL: one class for almost every row" if report.trivial else "")
    )
    rows = [("notion", "attribute", "difference", "ratio")]
    for notion in report.notions:
        for name, attribute in report.attributes.items():
            rows.append(
                (notion, name, _fmt(attribute.differences[notion]), _fmt(attribute.ratios[notion]))
            )
        if report.intersectional is not None:
            cells = report.intersectional
            rows.append(
                (
                    notion,
                    "intersectional",
                    _fmt(cells.differences[notion]),
                    _fmt(cells.ratios[notion]),
                )
            )
    for row in rows:
        print("  ".join(str(c).ljust(16) for c in row))
    if report.small_groups:
        print(
            f"small groups (< {report.min_group_size} rows; left out of intersectional gaps): "
            + ", ".join(report.small_groups)
        )
    print("eo = " + NOTIONS["eo"].label + "; eo_sum = " + NOTIONS["eo_sum"].label)
    return 0


def _read_predictions(path: Path, column: str | None, n_rows: int, data: Any) -> np.ndarray:
    if not path.is_file():
        raise FileNotFoundError(f"predictions file {str(path)!r} does not exist")
    frame = pd.read_csv(path, skipinitialspace=True)
    if column is None:
        if frame.shape[1] != 1:
            raise ValueError(
                f"{path.name!r} has {frame.shape[1]} columns "
                f"({', '.join(map(str, frame.columns))}); "
                "name the predictions with --column"
            )
        column = str(frame.columns[0])
    if column not in frame.columns:
        raise ValueError(f"column {column!r} is not in {path.name!r}")
    if len(frame) != n_rows:
        raise ValueError(f"{path.name!r} has {len(frame)} predictions; the split has {n_rows} rows")
    values = frame[column].astype(str).str.strip().str.rstrip(".")
    positive, negative = str(data.positive), str(data.negative)
    allowed = {positive, negative, "1", "0", "1.0", "0.0", "True", "False"}
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ValueError(
            f"column {column!r} holds {unknown[:5]}; expected {positive!r}/{negative!r} or 1/0"
        )
    return values.isin([positive, "1", "1.0", "True"]).to_numpy().astype(np.int64)


def cmd_export(args: argparse.Namespace) -> int:
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


def _data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        required=True,
        help=f"a built-in dataset ({', '.join(list_datasets())}) or a CSV path",
    )
    parser.add_argument("--target", help="target column (CSV)")
    parser.add_argument("--positive", help="the positive class, as written in the target column")
    parser.add_argument(
        "--protected",
        nargs="+",
        metavar="ATTR",
        help="protected attributes: sex, race:all, age:25,60, race:White (default: the "
        "dataset's own)",
    )
    parser.add_argument("--drop", nargs="+", metavar="COLUMN", help="columns to leave out")
    parser.add_argument(
        "--test-size",
        type=float,
        default=None,
        help="held-out test share for data without a test file (default 0.25; 0: none)",
    )


def cmd_api(args: argparse.Namespace) -> int:
    import uvicorn

    from fairfront.service.api import create_app

    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="info")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fairfront", description="Train, compare and audit fair classifiers."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    commands = parser.add_subparsers(dest="command", required=True)

    tr = commands.add_parser("train", help="fit a fair learner and write its front")
    _data_options(tr)
    tr.add_argument("--learner", choices=LEARNERS, default="mmm_fair")
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
    tr.set_defaults(handler=cmd_train)

    me = commands.add_parser("metrics", help="audit another model's predictions")
    _data_options(me)
    me.add_argument("--predictions", required=True, help="CSV with one prediction per row")
    me.add_argument("--column", help="the predictions column (if the file has several)")
    me.add_argument("--split", choices=["train", "test"], help="rows the predictions are for")
    me.add_argument("--notions", nargs="+", choices=list(NOTIONS))
    me.add_argument("--min-group-size", type=int, default=30)
    me.add_argument("--json", help="also write the full report as JSON")
    me.set_defaults(handler=cmd_metrics)

    ex = commands.add_parser(
        "export", help="write a run's model as one ONNX graph with its model card"
    )
    ex.add_argument("dir", help="run directory written by `fairfront train`")
    ex.add_argument(
        "--round", type=int, default=None, help="round to export (default: the selected one)"
    )
    ex.add_argument(
        "--out",
        required=True,
        help="ONNX file to write (e.g. model.onnx); model.card.json and model.card.md go beside it",
    )
    ex.set_defaults(handler=cmd_export)

    api = commands.add_parser("api", help="start the web service (FastAPI, uvicorn)")
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int, default=8000)
    api.set_defaults(handler=cmd_api)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        code: int = args.handler(args)
    except USER_ERRORS as error:
        print(f"fairfront {args.command}: error: {error}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
