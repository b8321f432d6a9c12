"""The ``fairfront`` command line: train, audit predictions, export, and serve.

Each command lives in its own module (``_train``, ``_metrics``, ``_export``,
``_serve``); this one builds the parser and turns user errors into exit code 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from fairfront.datasets import DatasetError
from fairfront.fronts import ConstraintError, SelectionError
from fairfront.groups import GroupingError
from fairfront.metrics import MissingGroupError
from fairfront.runs import RunDirectoryError

from ._export import add_export_arguments, export_command
from ._metrics import add_metrics_arguments, metrics_command
from ._serve import (
    add_api_arguments,
    add_page_arguments,
    add_serve_arguments,
    api_command,
    page_command,
    serve_command,
)
from ._train import add_train_arguments, train_command

__all__ = ["USER_ERRORS", "build_parser", "main"]

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
"""Errors reported as ``fairfront <command>: error: ...`` with exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    """The ``fairfront`` parser; each subcommand sets ``handler``."""
    parser = argparse.ArgumentParser(
        prog="fairfront", description="Train, compare and audit fair classifiers."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="fit a fair learner and write its front")
    add_train_arguments(train)
    train.set_defaults(handler=train_command)

    metrics = commands.add_parser("metrics", help="audit another model's predictions")
    add_metrics_arguments(metrics)
    metrics.set_defaults(handler=metrics_command)

    export = commands.add_parser(
        "export", help="write a run's model as one ONNX graph with its model card"
    )
    add_export_arguments(export)
    export.set_defaults(handler=export_command)

    api = commands.add_parser("api", help="start the web service (FastAPI, uvicorn)")
    add_api_arguments(api)
    api.set_defaults(handler=api_command)

    page = commands.add_parser(
        "page", help="start the web page alone (its service: FAIRFRONT_API_URL)"
    )
    add_page_arguments(page)
    page.set_defaults(handler=page_command)

    serve = commands.add_parser(
        "serve", help="start the service and the web page on 127.0.0.1 (Ctrl-C stops both)"
    )
    add_serve_arguments(serve)
    serve.set_defaults(handler=serve_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command ``argv`` names; its exit code (2 for a user error)."""
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
