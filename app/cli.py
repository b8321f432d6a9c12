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


MULTITASK_LEARNERS = ("fairbranch", "l2t_fmt", "mtl")


def cmd_train(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and any(out.iterdir()) and not args.force:
        raise ValueError(f"{str(out)!r} is not empty; choose another --out or pass --force")
    if args.tasks or args.learner in MULTITASK_LEARNERS:
        return _train_multitask(args, out)
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


def _train_multitask(args: argparse.Namespace, out: Path) -> int:
    """``train --tasks ...``: a multi-task learner (needs the ``mtl`` extra: torch)."""
    if not args.tasks:
        raise ValueError(f"--learner {args.learner} needs --tasks T1 T2 ...")
    if args.learner not in MULTITASK_LEARNERS:
        raise ValueError(
            f"--tasks needs a multi-task learner ({', '.join(MULTITASK_LEARNERS)}), "
            f"not {args.learner!r}"
        )
    from fairfront.multitask import MultiTaskSpec, train_multitask, write_multitask_run

    positives = dict.fromkeys(args.tasks, args.positive) if args.positive else {}
    spec = MultiTaskSpec(
        data=args.data,
        tasks=list(args.tasks),
        positives=positives,
        protected=args.protected,
        drop=args.drop or [],
        learner=args.learner,
        epochs=args.epochs,
        test_size=args.test_size,
        random_state=args.seed,
        baseline=not args.no_baseline,
    )

    def progress(info: Any) -> None:
        if args.quiet:
            return
        cells = "  ".join(
            f"{task}: acc {_fmt(block['accuracy']).strip()} eo_sum "
            f"{_fmt(block['eo_sum']['value']).strip()}"
            for task, block in info.validation.items()
        )
        note = f"  [{info.note}]" if info.note else ""
        print(
            f"epoch {info.epoch}/{info.n_epochs} ({info.seconds:.1f} s) train loss "
            f"{info.train_loss:.4f}; validation {cells}{note}",
            file=sys.stderr,
        )

    run = train_multitask(spec, on_epoch=progress)
    for warning in run.dataset.warnings:
        log.warning("%s", warning)
    write_multitask_run(run, out)
    front = run.front()
    if not args.quiet:
        selected = run.points[run.learner.selected_epoch_ - 1]
        split = "test" if "test" in selected else "validation"
        print(f"selected epoch {run.learner.selected_epoch_}: {run.learner.selection_reason_}")
        print(
            f"{'task':>20}  {split + ' acc':>9}  {'eo':>7}  {'eo_sum':>7}  (eo_sum = "
            f"{NOTIONS['eo_sum'].label})"
        )
        for task, blocks in selected["tasks"].items():
            block = blocks[split]
            print(
                f"{task:>20}  {_fmt(block['accuracy'], 9)}  {_fmt(block['eo']['value'])}  "
                f"{_fmt(block['eo_sum']['value'])}"
            )
        if run.baselines is not None:
            mean = run.baselines["gains"]["mean"]
            print(
                f"against single-task models ({run.baselines['split']}): knowledge gain "
                f"{_fmt(mean['knowledge_gain']).strip()}, discrimination gain (eo_sum) "
                f"{_fmt(mean['discrimination_gain']['eo_sum']).strip()} (mean over tasks)"
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


def _export_multitask(args: argparse.Namespace) -> int:
    """``export`` of a multi-task run: its chosen checkpoint (one output per task)."""
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


def cmd_export(args: argparse.Namespace) -> int:
    run_file = Path(args.dir) / "run.json"
    if run_file.is_file() and json.loads(run_file.read_text()).get("kind") == "multitask":
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


def cmd_serve(args: argparse.Namespace) -> int:
    """Start the service (``fairfront api``) and the web page (Streamlit) on 127.0.0.1,
    wait until both answer, print the address; SIGINT or SIGTERM stops both."""
    import contextlib
    import os
    import signal
    import socket
    import subprocess
    import time

    import httpx

    host = "127.0.0.1"
    if args.api_port == args.ui_port:
        raise ValueError("--api-port and --ui-port must differ")
    for port in (args.api_port, args.ui_port):  # not another server's health answering
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as error:
                raise ValueError(
                    f"port {port} on {host} is not free ({error.strerror}); "
                    "choose others with --api-port and --ui-port"
                ) from error
    # frontend/ is a folder of the repository beside the app package, not a package.
    repo = Path(__file__).resolve().parent.parent
    entry = repo / "frontend" / "streamlit_app.py"
    if not entry.is_file():
        raise FileNotFoundError(
            f"the web page is not at {entry}; `fairfront serve` runs from a clone of the "
            "repository installed with `pip install -e .`"
        )
    api_url, ui_url = f"http://{host}:{args.api_port}", f"http://{host}:{args.ui_port}"
    environment = {**os.environ, "FAIRFRONT_API_URL": api_url}
    commands = {
        "service": [
            sys.executable, "-m", "app.cli", "api", "--host", host, "--port", str(args.api_port),
        ],
        "web page": [
            sys.executable, "-m", "streamlit", "run", str(entry),
            "--server.headless", "true",
            "--server.address", host,
            "--server.port", str(args.ui_port),
            "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
            "--client.toolbarMode", "viewer",
            "--client.showErrorDetails", "none",
        ],
    }  # fmt: skip
    health = {"service": f"{api_url}/api/health", "web page": f"{ui_url}/_stcore/health"}
    stopping: list[int] = []
    processes: dict[str, subprocess.Popen[bytes]] = {}

    def on_signal(signum: int, _frame: Any) -> None:
        stopping.append(signum)

    def ended() -> str | None:
        return next((name for name, p in processes.items() if p.poll() is not None), None)

    def wait_until_up(url: str) -> bool:
        deadline = time.monotonic() + args.timeout
        while not stopping and ended() is None and time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=2.0, trust_env=False).status_code == 200:
                    return True
            time.sleep(0.2)
        return False

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    problem = None
    try:
        for name, command in commands.items():
            # Each child leads its own process group: a signal reaches it once, from
            # here, and the service's job workers stop with it.
            processes[name] = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
                command, cwd=repo, env=environment, start_new_session=True
            )
            if not wait_until_up(health[name]):
                if not stopping:
                    gone = ended()
                    problem = (
                        f"the {gone} exited with code {processes[gone].returncode}"
                        if gone
                        else f"the {name} did not answer at {health[name]} "
                        f"within {args.timeout:.0f} s"
                    )
                break
        else:
            print(f"fairfront is running at {ui_url} (service: {api_url}); Ctrl-C stops both.")
            sys.stdout.flush()
            while not stopping and (gone := ended()) is None:
                time.sleep(0.2)
            if not stopping:
                problem = f"the {gone} stopped (exit code {processes[str(gone)].returncode})"
    finally:
        for process in processes.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
        for process in processes.values():  # what ignored SIGTERM, job workers included
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if problem:
        print(f"fairfront serve: error: {problem}", file=sys.stderr)
        return 1
    print("fairfront stopped.", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fairfront", description="Train, compare and audit fair classifiers."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    commands = parser.add_subparsers(dest="command", required=True)

    tr = commands.add_parser("train", help="fit a fair learner and write its front")
    _data_options(tr)
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

    se = commands.add_parser(
        "serve", help="start the service and the web page on 127.0.0.1 (Ctrl-C stops both)"
    )
    se.add_argument("--api-port", type=int, default=8000, help="the service's port")
    se.add_argument("--ui-port", type=int, default=8501, help="the web page's port")
    se.add_argument(
        "--timeout", type=float, default=120.0, help="seconds to wait for each to start"
    )
    se.set_defaults(handler=cmd_serve)
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
