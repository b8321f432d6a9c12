"""How the fair boosting learners scale in rows: Adult resampled to 100k, 300k and 1M rows.

For each size, rows are drawn with replacement from ``adult.data`` (numpy
``default_rng(seed)``) and every numeric value is jittered multiplicatively (times
``1 + N(0, 0.01)``; zeros stay zero, so the sparse capital columns stay sparse), so that
rows are not exact copies; the dataset's preprocessor is fitted on the resampled rows.
Then each learner is fitted on them, each fit in its own subprocess so that peak
memories do not mix:

* ``adafair``: ``AdaFairClassifier`` (stumps), sex protected;
* ``mmm_fair``: ``MMMFairClassifier`` (depth 2, eo), sex, race and age protected;
* ``fair_gbm``: ``FairGBMClassifier`` when ``fairfront.learners`` has it, sex, race, age;
* ``lightgbm``: a plain ``lightgbm.LGBMClassifier`` (defaults: 31 leaves) with as many
  trees as the learners have rounds: the baseline of the ratios.

Each line: wall and CPU seconds around ``fit`` (CPU: the child's process time, all
threads; on a shared machine the wall time includes waiting for a core), per round,
the child's resident memory before the fit (data loaded and preprocessed) and its peak
resident memory (``ru_maxrss``, whole process), the ratios to LightGBM's fit at the
same size, and the 1-minute load average when the fit started and ended (on a machine
with 2 cores, a load above 2 means the fit shared its cores). LightGBM's threads
(``--lgbm-threads``, default 1) apply to the plain LightGBM baseline and to fair_gbm
alike; AdaFair and MMM-Fair run their rounds on one core. ``--live`` passes a
callback, as a run that streams its front does, so that each round also scores its
validation point as it goes. Per learner, the growth in rows is given between
consecutive sizes as the exponent ``log(t2 / t1) / log(n2 / n1)`` (1 = linear), and
from the smallest to the largest size as the ratio of seconds per row (1 = linear;
below 1: fixed costs spread over more rows), for wall and CPU seconds.

    python bench/bench_scale.py [--sizes 100000 300000 1000000] [--rounds 300]
        [--learners adafair mmm_fair fair_gbm lightgbm] [--tree-method hist]
        [--lgbm-threads 1] [--live] [--seed 0] [--json PATH] [-v]
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

log = logging.getLogger("bench_scale")

LEARNERS = ("adafair", "mmm_fair", "fair_gbm", "lightgbm")
BASELINE = "lightgbm"
JITTER = 0.01
TARGET_SECONDS = 60.0
TARGET_ROWS = 1_000_000
TARGET_ROUNDS = 300
TARGET_PEAK_GB = 4.0


def _rss_mb() -> float:
    """Current resident memory of this process, MB (Linux /proc)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KB


def resampled_adult(rows: int, seed: int, protected: Sequence[str]) -> tuple[Any, Any, Any]:
    """(X sparse, y, sensitive) of ``rows`` rows resampled from adult.data and jittered."""
    from fairfront.datasets import load_dataset

    data = load_dataset("adult", protected=list(protected))
    rng = np.random.default_rng(seed)
    take = rng.integers(0, data.X.shape[0], size=rows)
    X = data.X.iloc[take].reset_index(drop=True)
    for column in data.numeric:
        values = X[column].to_numpy(dtype=np.float64)
        X[column] = values * (1.0 + JITTER * rng.standard_normal(rows))
    sensitive = data.sensitive.iloc[take].reset_index(drop=True)
    matrix = data.preprocessor().fit_transform(X)
    return matrix, np.asarray(data.y)[take], sensitive


def _learner(name: str, rounds: int, tree_method: str, lgbm_threads: int) -> tuple[Any, bool]:
    """(estimator, takes sensitive_features)."""
    if name == "lightgbm":
        import lightgbm

        return lightgbm.LGBMClassifier(
            n_estimators=rounds, n_jobs=lgbm_threads, random_state=0, verbose=-1
        ), False
    import fairfront.learners as learners

    if name == "adafair":
        return learners.AdaFairClassifier(
            n_estimators=rounds, tree_method=tree_method, random_state=0
        ), True
    if name == "mmm_fair":
        return learners.MMMFairClassifier(
            n_estimators=rounds, tree_method=tree_method, random_state=0
        ), True
    if name == "fair_gbm":
        cls = getattr(learners, "FairGBMClassifier")  # noqa: B009 - not on every branch
        return cls(n_estimators=rounds, n_jobs=lgbm_threads, random_state=0), True
    raise ValueError(f"unknown learner {name!r}; choose from {', '.join(LEARNERS)}")


def child(args: argparse.Namespace) -> dict[str, Any]:
    """One fit, in this process; returns its figures."""
    protected = ["sex"] if args.learner == "adafair" else ["sex", "race", "age"]
    tick = time.perf_counter()
    X, y, sensitive = resampled_adult(args.rows, args.seed, protected)
    prepare = time.perf_counter() - tick
    estimator, fair = _learner(args.learner, args.rounds, args.tree_method, args.lgbm_threads)
    rss_before = _rss_mb()
    live: dict[str, Any] = {}
    if fair and args.live:
        live["callback"] = lambda info: None  # each round's point is computed, then dropped
    load_before = os.getloadavg()[0]
    tick, cpu = time.perf_counter(), time.process_time()
    if fair:
        estimator.fit(X, y, sensitive_features=sensitive, **live)
    else:
        estimator.fit(X, y)
    seconds = time.perf_counter() - tick
    cpu_seconds = time.process_time() - cpu
    load_after = os.getloadavg()[0]
    rounds = int(getattr(estimator, "n_estimators_", args.rounds))
    return {
        "learner": args.learner,
        "rows": args.rows,
        "columns": int(X.shape[1]),
        "rounds": rounds,
        "seconds": seconds,
        "seconds_per_round": seconds / max(rounds, 1),
        "cpu_seconds": cpu_seconds,
        "cpu_seconds_per_round": cpu_seconds / max(rounds, 1),
        "prepare_seconds": prepare,
        "rss_before_mb": rss_before,
        "peak_rss_mb": _peak_mb(),
        "fit_seconds": getattr(estimator, "fit_seconds_", None),
        "load_before": load_before,
        "load_after": load_after,
        "live": bool(fair and args.live),
    }


def run_child(learner: str, rows: int, args: argparse.Namespace) -> dict[str, Any] | None:
    command = [
        sys.executable,
        __file__,
        "--child",
        "--learner",
        learner,
        "--rows",
        str(rows),
        "--rounds",
        str(args.rounds),
        "--seed",
        str(args.seed),
        "--tree-method",
        args.tree_method,
        "--lgbm-threads",
        str(args.lgbm_threads),
        *(["--live"] if args.live else []),
    ]
    log.info("%s, %d rows ...", learner, rows)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"  {learner} at {rows} rows failed:\n{done.stderr[-2000:]}", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    log.info("  %.1f s, peak %.0f MB", result["seconds"], result["peak_rss_mb"])
    return result


def has_fair_gbm() -> bool:
    try:
        import fairfront.learners as learners
    except ImportError:  # pragma: no cover - the package is there when the bench runs
        return False
    return hasattr(learners, "FairGBMClassifier")


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    base = {r["rows"]: r for r in results if r["learner"] == BASELINE}
    rows = []
    for r in results:
        b = base.get(r["rows"])
        rows.append(
            [
                r["learner"],
                f"{r['rows']:,}",
                str(r["rounds"]),
                f"{r['seconds']:.1f}",
                f"{r['seconds_per_round']:.3f}",
                f"{r['cpu_seconds']:.1f}",
                f"{r['cpu_seconds_per_round']:.3f}",
                f"{r['rss_before_mb']:.0f}",
                f"{r['peak_rss_mb']:.0f}",
                "-" if b is None else f"{r['seconds'] / b['seconds']:.2f}",
                "-" if b is None else f"{r['cpu_seconds'] / b['cpu_seconds']:.2f}",
                f"{r['load_before']:.1f} / {r['load_after']:.1f}",
            ]
        )
    out = [
        table(
            [
                "learner",
                "rows",
                "rounds",
                "fit s",
                "s/round",
                "CPU s",
                "CPU s/round",
                "RSS before MB",
                "peak RSS MB",
                f"wall /{BASELINE}",
                f"CPU /{BASELINE}",
                "load start / end",
            ],
            rows,
        ),
        "  fit s: wall seconds around fit; CPU s: the process's CPU seconds in fit (all its",
        "  threads); on a machine shared with other work the wall time includes waiting for a",
        "  core, the CPU time does not. RSS: resident memory of the fitting process (before the",
        "  fit: data loaded and preprocessed; peak: ru_maxrss over the whole process).",
        "",
        "growth in rows (exponent log(t2/t1) / log(n2/n1) of CPU seconds; 1 = linear):",
    ]
    for learner in dict.fromkeys(r["learner"] for r in results):
        mine = sorted((r for r in results if r["learner"] == learner), key=lambda r: r["rows"])
        steps = [
            f"{a['rows']:,} -> {b['rows']:,}: "
            f"{math.log(b['cpu_seconds'] / a['cpu_seconds']) / math.log(b['rows'] / a['rows']):.2f}"
            for a, b in zip(mine, mine[1:], strict=False)
        ]
        out.append(f"  {learner}: " + ("; ".join(steps) if steps else "one size only"))
    out.append(
        "growth in rows, smallest to largest size (seconds per row at the largest over "
        "seconds per row at the smallest; 1 = linear):"
    )
    for learner in dict.fromkeys(r["learner"] for r in results):
        mine = sorted((r for r in results if r["learner"] == learner), key=lambda r: r["rows"])
        if len(mine) < 2:
            out.append(f"  {learner}: one size only")
            continue
        small, large = mine[0], mine[-1]
        per_row = {
            what: (large[key] / large["rows"]) / (small[key] / small["rows"])
            for what, key in (("wall", "seconds"), ("CPU", "cpu_seconds"))
        }
        out.append(
            f"  {learner}, {small['rows']:,} -> {large['rows']:,} rows: wall "
            f"{per_row['wall']:.2f}, CPU {per_row['CPU']:.2f}"
        )
    if not any(r["rows"] >= TARGET_ROWS and r["rounds"] >= TARGET_ROUNDS for r in results):
        out.append(f"  target ({TARGET_ROWS:,} rows, {TARGET_ROUNDS} rounds): not run")
    for r in results:
        at_target = r["rows"] >= TARGET_ROWS and r["rounds"] >= TARGET_ROUNDS
        if at_target and r["learner"] in ("mmm_fair", "fair_gbm"):
            memory_ok = r["peak_rss_mb"] < TARGET_PEAK_GB * 1024
            for what, seconds in (("wall", r["seconds"]), ("CPU", r["cpu_seconds"])):
                ok = seconds < TARGET_SECONDS and memory_ok
                out.append(
                    f"  target ({r['learner']}, {r['rows']:,} rows, {r['rounds']} rounds, {what}): "
                    f"< {TARGET_SECONDS:.0f} s and peak < {TARGET_PEAK_GB:.0f} GB -> "
                    f"{'PASS' if ok else 'FAIL'} ({seconds:.1f} s, {r['peak_rss_mb']:.0f} MB)"
                )
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--learners", nargs="+", default=list(LEARNERS), choices=LEARNERS)
    parser.add_argument("--tree-method", default="hist", choices=("hist", "exact"))
    parser.add_argument(
        "--lgbm-threads",
        type=int,
        default=1,
        help="LightGBM's threads, for plain LightGBM and fair_gbm (default 1)",
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="fit with a callback, as a run streaming its front (each round scores its point)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="write the numbers here")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--learner", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args)))
        return 0
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(message)s",
        stream=sys.stderr,
    )
    learners = list(args.learners)
    if "fair_gbm" in learners and not has_fair_gbm():
        print("fair_gbm: fairfront.learners has no FairGBMClassifier on this branch; skipped")
        learners.remove("fair_gbm")
    import lightgbm
    import sklearn

    print(
        f"Adult resampled (with replacement, numerics x (1 + N(0, {JITTER}))), seed {args.seed}; "
        f"{args.rounds} rounds; tree_method={args.tree_method}; LightGBM {lightgbm.__version__} "
        f"with {args.lgbm_threads} threads (plain and fair_gbm); "
        f"{'live callback' if args.live else 'no callback'}\n"
        f"python {platform.python_version()}, numpy "
        f"{np.__version__}, pandas {pd.__version__}, scikit-learn {sklearn.__version__}, "
        f"{os.cpu_count()} CPUs; load average before: "
        + " ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    results = []
    for rows in args.sizes:
        for learner in learners:
            result = run_child(learner, rows, args)
            if result is not None:
                results.append(result)
    print(report(results, args))
    print("load average after: " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    if args.json:
        args.json.write_text(
            json.dumps({"args": vars(args), "results": results}, indent=2, default=str)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
