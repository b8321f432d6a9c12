"""``fairfront metrics``: audit another model's predictions on a dataset's split."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairfront.datasets import load_dataset
from fairfront.metrics import NOTIONS, evaluate

from ._data_options import add_data_options
from ._tables import format_cell

__all__ = ["add_metrics_arguments", "metrics_command", "read_predictions"]


def read_predictions(path: Path, column: str | None, n_rows: int, data: Any) -> np.ndarray:
    """The 0/1 predictions in ``column`` of the CSV ``path`` (the only column by default).

    Labels may be written as the dataset's classes, 1/0 or True/False; there must be
    one per row of the split.
    """
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


def _print_report(report: Any) -> None:
    """Overall figures, then each notion's gap and ratio per attribute."""
    overall = report.overall
    print(
        f"accuracy {overall['accuracy']:.4f}  balanced accuracy "
        f"{overall['balanced_accuracy']:.4f}  selection rate {overall['selection_rate']:.4f}"
        + ("  TRIVIAL: one class for almost every row" if report.trivial else "")
    )
    rows = [("notion", "attribute", "difference", "ratio")]
    for notion in report.notions:
        groupings = list(report.attributes.items())
        if report.intersectional is not None:
            groupings.append(("intersectional", report.intersectional))
        for name, grouping in groupings:
            rows.append(
                (
                    notion,
                    name,
                    format_cell(grouping.differences[notion]),
                    format_cell(grouping.ratios[notion]),
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


def metrics_command(args: argparse.Namespace) -> int:
    """Evaluate the predictions file against the split's labels and print the report."""
    data = load_dataset(
        args.data,
        target=args.target,
        positive=args.positive,
        protected=args.protected,
        drop=args.drop or [],
        keep=args.keep or [],
        target_rule=args.target_rule,
        test_size=args.test_size,
    )
    split = args.split or ("test" if data.has_test else "train")
    if split == "test" and not data.has_test:
        raise ValueError("this data has no test split; use --split train (or --test-size)")
    y, sensitive = (
        (data.y_test, data.sensitive_test) if split == "test" else (data.y, data.sensitive)
    )
    assert y is not None  # noqa: S101 - guarded by has_test above
    predictions = read_predictions(Path(args.predictions), args.column, len(y), data)
    report = evaluate(
        y,
        predictions,
        sensitive_features=sensitive,
        notions=args.notions or list(NOTIONS),
        min_group_size=args.min_group_size,
    )
    if args.json:
        text = json.dumps(report.to_dict(), indent=1) + "\n"
        Path(args.json).write_text(text, encoding="utf-8")
    print(f"{data.name}, {split} split, {len(y)} rows; positive class {data.positive!r}")
    _print_report(report)
    return 0


def add_metrics_arguments(me: argparse.ArgumentParser) -> None:
    """The options of ``metrics``."""
    add_data_options(me)
    me.add_argument("--predictions", required=True, help="CSV with one prediction per row")
    me.add_argument("--column", help="the predictions column (if the file has several)")
    me.add_argument("--split", choices=["train", "test"], help="rows the predictions are for")
    me.add_argument("--notions", nargs="+", choices=list(NOTIONS))
    me.add_argument("--min-group-size", type=int, default=30)
    me.add_argument("--json", help="also write the full report as JSON")
