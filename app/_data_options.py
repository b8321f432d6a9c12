"""The options that name a dataset, shared by ``train`` and ``metrics``."""

from __future__ import annotations

import argparse

from fairfront.datasets import list_datasets

__all__ = ["add_data_options"]


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """``--data``, ``--target``, ``--positive``, ``--protected``, ``--drop``, ``--keep``,
    ``--target-rule``, ``--test-size``."""
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
        "--keep",
        nargs="+",
        metavar="COLUMN",
        help="columns flagged as identifiers or leakage to use as features after all",
    )
    parser.add_argument(
        "--target-rule",
        metavar="RULE",
        help="binarise a numeric or multi-class target: 'G3 >= 10', 'score > median', "
        "'class == A' (positive = the rule holds; then no --positive)",
    )
    parser.add_argument(
        "--test-size",
        type=float,
        default=None,
        help="held-out test share for data without a test file (default 0.25; 0: none)",
    )
