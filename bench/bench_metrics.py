"""Speed of fairfront's metrics engine against Fairlearn's MetricFrame.

Rows are drawn with a seeded numpy RNG from Adult's test rows (label, sex, race, age
and the prediction of one decision tree trained on Adult's train rows), so group sizes
and rates are realistic:

* ``evaluate`` on 1,000,000 rows and 3 protected attributes, every notion, per
  attribute and intersectional (best of ``--repeats``), against Fairlearn
  ``MetricFrame`` computing the same per-group rates (TPR, FPR, selection rate,
  accuracy, precision, count) for each attribute and for the intersection, with
  difference and ratio; target: ``evaluate`` under 0.5 s;
* ``evaluate_many`` on 8,000 rows x 300 models (a boosting front).

    python bench/bench_metrics.py [--rows N] [--repeats K] [--json PATH]
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import logging
import os
import platform
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import fairlearn
import numpy as np
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    count,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn.metrics import accuracy_score, precision_score
from sklearn.tree import DecisionTreeClassifier

import fairfront
from fairfront.datasets import load_dataset
from fairfront.metrics import NOTIONS, GroupIndex, evaluate, evaluate_many

log = logging.getLogger("bench_metrics")

TARGET_SECONDS = 0.5
# fairfront rate name -> Fairlearn metric name, for the agreement check
SAME_RATES = {
    "tpr": "tpr",
    "fpr": "fpr",
    "selection_rate": "selection_rate",
    "accuracy": "accuracy",
    "ppv": "precision",
}


def fairlearn_metrics() -> dict[str, Callable[..., Any]]:
    return {
        "tpr": true_positive_rate,
        "fpr": false_positive_rate,
        "selection_rate": selection_rate,
        "accuracy": accuracy_score,
        "precision": functools.partial(precision_score, zero_division=0),
        "count": count,
    }


def adult_test_rows() -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Adult's test labels, one depth-6 tree's predictions on them and their groups."""
    data = load_dataset("adult")
    assert data.X_test is not None and data.y_test is not None
    assert data.sensitive_test is not None
    pre = data.preprocessor()
    X = pre.fit_transform(data.X)
    X_test = pre.transform(data.X_test)
    tree = DecisionTreeClassifier(max_depth=6, random_state=0).fit(X, data.y)
    pred = tree.predict(X_test).astype(np.int64)
    return data.y_test, pred, data.sensitive_test.reset_index(drop=True)


def resample(
    y: np.ndarray, pred: np.ndarray, sensitive: pd.DataFrame, n_rows: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """``n_rows`` rows drawn with replacement: labels, predictions and groups together."""
    idx = rng.integers(0, y.shape[0], size=n_rows)
    return y[idx], pred[idx], sensitive.iloc[idx].reset_index(drop=True)


def best_of(repeats: int, fn: Callable[[], Any]) -> tuple[float, list[float], Any]:
    times, result = [], None
    for _ in range(repeats):
        tick = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - tick)
    return min(times), times, result


def run_fairlearn(y: np.ndarray, pred: np.ndarray, sensitive: pd.DataFrame) -> dict[str, Any]:
    """MetricFrames for each attribute and for the intersection, with gaps and ratios."""
    out = {}
    for key, features in [
        *((c, sensitive[c]) for c in sensitive.columns),
        ("intersectional", sensitive),
    ]:
        frame = MetricFrame(
            metrics=fairlearn_metrics(), y_true=y, y_pred=pred, sensitive_features=features
        )
        out[key] = (frame, frame.difference(), frame.ratio())
    return out


def agreement(report: Any, fairlearn_frames: dict[str, Any]) -> float:
    """Largest absolute difference between the two engines' group rates and counts."""
    worst = 0.0
    pairs = [(a, f, fairlearn_frames[a][0].by_group) for a, f in report.attributes.items()]
    if report.intersectional is not None:
        by_cell = fairlearn_frames["intersectional"][0].by_group
        by_cell.index = [" & ".join(map(str, key)) for key in by_cell.index]
        pairs.append(("intersectional", report.intersectional, by_cell))
    for _, fairness, by_group in pairs:
        for group, stats in fairness.groups.items():
            row = by_group.loc[group]
            for ours, theirs in SAME_RATES.items():
                a, b = stats[ours], float(row[theirs])
                if not (np.isnan(a) and np.isnan(b)):
                    worst = max(worst, abs(a - b))
            worst = max(worst, abs(stats["n"] - float(row["count"])))
    return worst


def front_predictions(
    y: np.ndarray, pred: np.ndarray, n_models: int, rng: np.random.Generator
) -> np.ndarray:
    """n x m booleans: the tree's predictions with fewer and fewer flips, like a front."""
    flips = np.linspace(0.3, 0.02, n_models)
    noise = rng.random((y.shape[0], n_models)) < flips
    return np.asarray((pred[:, None] == 1) ^ noise)


def source_fingerprint() -> str:
    """Short sha256 of fairfront's learner and metrics sources (other engineers edit them)."""
    root = Path(fairfront.__file__).parent
    digest = hashlib.sha256()
    for path in sorted([*root.glob("learners/*.py"), *root.glob("metrics/*.py")]):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *map(line, rows)])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows for evaluate")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each fairfront call")
    parser.add_argument(
        "--fairlearn-repeats",
        type=int,
        default=1,
        help="timed runs of the Fairlearn pass (about 80 s each on 2 cores at 1M rows)",
    )
    parser.add_argument("--many-rows", type=int, default=8_000, help="rows for evaluate_many")
    parser.add_argument("--models", type=int, default=300, help="models for evaluate_many")
    parser.add_argument("--seed", type=int, default=0, help="seed of the row resampling")
    parser.add_argument("--json", type=Path, default=None, help="write the numbers here")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    args = parser.parse_args(argv)
    if min(args.rows, args.repeats, args.fairlearn_repeats, args.many_rows, args.models) < 1:
        parser.error("sizes and repeats must be >= 1")
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(message)s",
    )

    log.info("drawing %d rows", args.rows)
    rng = np.random.default_rng(args.seed)
    y_test, pred_test, sensitive_test = adult_test_rows()
    y, pred, sensitive = resample(y_test, pred_test, sensitive_test, args.rows, rng)
    notions = tuple(NOTIONS)
    n_cells = len(sensitive.drop_duplicates())

    def ours() -> Any:
        return evaluate(y, pred, sensitive_features=sensitive, notions=notions)

    log.info("fairfront evaluate x %d", args.repeats)
    t_ours, ours_times, report = best_of(args.repeats, ours)
    groups = GroupIndex.from_sensitive(sensitive, args.rows)
    t_ours_idx, ours_idx_times, _ = best_of(
        args.repeats, lambda: evaluate(y, pred, sensitive_features=groups, notions=notions)
    )
    t_index, _, _ = best_of(args.repeats, lambda: GroupIndex.from_sensitive(sensitive, args.rows))
    log.info("fairlearn MetricFrame x %d", args.fairlearn_repeats)
    t_fl, fl_times, frames = best_of(
        args.fairlearn_repeats, lambda: run_fairlearn(y, pred, sensitive)
    )
    diff = agreement(report, frames)

    many_y, many_base, many_sensitive = resample(
        y_test, pred_test, sensitive_test, args.many_rows, rng
    )
    many_pred = front_predictions(many_y, many_base, args.models, rng)
    log.info("evaluate_many x %d", args.repeats)
    t_many, many_times, _ = best_of(
        args.repeats,
        lambda: evaluate_many(
            many_y, many_pred, sensitive_features=many_sensitive, notions=notions
        ),
    )
    many_groups = GroupIndex.from_sensitive(many_sensitive, args.many_rows)
    t_many_idx, _, _ = best_of(
        args.repeats,
        lambda: evaluate_many(many_y, many_pred, sensitive_features=many_groups, notions=notions),
    )

    verdict = "PASS" if t_ours < TARGET_SECONDS else "FAIL"
    sizes = {c: sensitive[c].value_counts().to_dict() for c in sensitive.columns}
    print(
        f"\n{args.rows:,} rows resampled from adult.test (seed {args.seed}); 3 protected "
        f"attributes ({', '.join(sensitive.columns)}), {n_cells} intersectional cells; "
        f"one model (a depth-6 tree)"
    )
    for c, counts in sizes.items():
        print(f"  {c}: " + ", ".join(f"{g} {n:,}" for g, n in counts.items()))
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"fairlearn {fairlearn.__version__}, {os.cpu_count()} CPUs; "
        f"fairfront learners+metrics source sha256 {source_fingerprint()}\n"
    )
    rows = [
        [
            "fairfront evaluate (all notions, per attribute + intersectional; DataFrame groups)",
            f"{t_ours:.3f}",
            " ".join(f"{t:.3f}" for t in ours_times),
        ],
        [
            "  same, groups given as a prebuilt GroupIndex",
            f"{t_ours_idx:.3f}",
            " ".join(f"{t:.3f}" for t in ours_idx_times),
        ],
        ["  of which: GroupIndex.from_sensitive (factorize the 3 columns)", f"{t_index:.3f}", ""],
        [
            "Fairlearn MetricFrame x 4 (3 attributes + intersectional; + difference, ratio)",
            f"{t_fl:.3f}",
            " ".join(f"{t:.3f}" for t in fl_times),
        ],
    ]
    print(table(["evaluate, 1 model", "best s", "all runs s"], rows))
    print(f"\n  Fairlearn / fairfront: {t_fl / t_ours:.1f}x")
    print(
        "  largest difference in per-group rates and counts between the two engines "
        f"(attributes and cells): {diff:.2e}"
    )
    print(
        f"  target: evaluate < {TARGET_SECONDS} s on {args.rows:,} rows -> {verdict} "
        f"({t_ours:.3f} s)\n"
    )
    rows = [
        [
            f"evaluate_many, {args.many_rows:,} rows x {args.models} models (DataFrame groups)",
            f"{t_many:.3f}",
            " ".join(f"{t:.3f}" for t in many_times),
        ],
        ["  same, prebuilt GroupIndex", f"{t_many_idx:.3f}", ""],
    ]
    print(table(["evaluate_many (a boosting front)", "best s", "all runs s"], rows))
    print(f"  {1000 * t_many / args.models:.3f} ms per model")

    if args.json is not None:
        result = {
            "rows": args.rows,
            "seed": args.seed,
            "intersectional_cells": n_cells,
            "group_sizes": sizes,
            "cpus": os.cpu_count(),
            "source_sha256": source_fingerprint(),
            "versions": {
                "python": platform.python_version(),
                "numpy": np.__version__,
                "pandas": pd.__version__,
                "fairlearn": fairlearn.__version__,
            },
            "evaluate_seconds": {"best": t_ours, "runs": ours_times},
            "evaluate_groupindex_seconds": {"best": t_ours_idx, "runs": ours_idx_times},
            "groupindex_seconds": t_index,
            "fairlearn_seconds": {"best": t_fl, "runs": fl_times},
            "fairlearn_over_fairfront": t_fl / t_ours,
            "max_rate_difference": diff,
            "target_seconds": TARGET_SECONDS,
            "target_met": t_ours < TARGET_SECONDS,
            "evaluate_many": {
                "rows": args.many_rows,
                "models": args.models,
                "best_seconds": t_many,
                "runs": many_times,
                "groupindex_best_seconds": t_many_idx,
            },
        }
        args.json.write_text(json.dumps(result, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
