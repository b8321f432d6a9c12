"""Confidence intervals of the metrics engine: speed, and coverage on known rates.

Timing (default), each against the point-estimate computation in the same process:

* a 300-model front on Adult's validation split (20% of ``adult.data``, stratified by
  label, about 6,500 rows; sex, race, age): ``evaluate_many`` with ``ci_level=0.95``
  against ``ci_level=None`` -- what the intervals add to a run (target: < 1 s);
* 1,000,000 rows x 3 attributes (rows drawn from Adult's test rows with one depth-6
  tree's predictions), one model: ``evaluate_many`` and the full ``evaluate`` report,
  with against without intervals (target: one model's intervals < 2 s).

Coverage (``--coverage``): synthetic groups with known label and prediction rates;
confusion counts drawn per group (multinomial over the 4 cells: exactly the counts of
that many independent rows), ``--reps`` data sets per setting, the engine's 95%
intervals of the tpr (eop), fpr and selection-rate (dp) gaps, and how often they hold
the true gap (two-sided; and the upper end alone, which confidence constraints read).
Group sizes 20 to 20,000; two groups, and four groups of mixed sizes.

Transfer (``--transfer``): on Adult and COMPAS, seeds 0..4, one MMM-Fair run each
(``fairfront.runs.train``, notions eo, ``--rounds`` rounds, the default choice):
the chosen point's test eo per attribute with its 95% interval, and whether the
validation interval (what the choice saw) holds the test value. The validation
interval is for the true gap, not for another sample's estimate, and the point was
chosen on validation (its gap tends to be low there by luck), so expect this to
happen less often than 95% of the time.

    python bench/bench_intervals.py [--coverage] [--transfer] [--reps N] [--repeats K]
        [--rows N] [--rounds N] [--seeds K]
"""

from __future__ import annotations

import argparse
import functools
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

from fairfront.datasets import load_dataset
from fairfront.metrics import (
    NOTIONS,
    GroupIndex,
    confusion_by_group,
    evaluate,
    evaluate_many,
    notion_interval,
)
from fairfront.runs import RunSpec, train

COVERAGE_NOTIONS = {"eop": "tpr", "fpr": "fpr", "dp": "selection_rate"}


def best_of(repeats: int, fn: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeats):
        tick = time.perf_counter()
        fn()
        times.append(time.perf_counter() - tick)
    return min(times)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *map(line, rows)])


def timing(repeats: int, n_rows: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    data = load_dataset("adult")
    assert data.X_test is not None and data.y_test is not None
    assert data.sensitive_test is not None
    pre = data.preprocessor()
    X = pre.fit_transform(data.X)
    tree = DecisionTreeClassifier(max_depth=6, random_state=0)
    rows = np.arange(len(data.y))
    fit_rows, val_rows = train_test_split(rows, test_size=0.2, stratify=data.y, random_state=0)
    tree.fit(X[fit_rows], data.y[fit_rows])
    y_val = data.y[val_rows]
    s_val = data.sensitive.iloc[val_rows].reset_index(drop=True)
    pred = tree.predict(X[val_rows]) == 1
    flips = rng.random((y_val.shape[0], 300)) < np.linspace(0.3, 0.02, 300)
    front = pred[:, None] ^ flips
    notions = ("eo", "eo_sum")  # what an MMM-Fair run with notions=["eo"] tracks

    def many(level: float | None) -> Callable[[], Any]:
        return lambda: evaluate_many(
            y_val, front, sensitive_features=s_val, notions=notions, ci_level=level
        )

    t_point = best_of(repeats, many(None))
    t_ci = best_of(repeats, many(0.95))
    print(
        f"Adult validation split: {len(y_val)} rows x 300 models, "
        f"{', '.join(s_val.columns)}; notions {', '.join(notions)}; best of {repeats}"
    )
    rows_out = [
        ["evaluate_many, point estimates", f"{t_point:.3f}", "1.00", "-"],
        [
            "evaluate_many, with 95% intervals",
            f"{t_ci:.3f}",
            f"{t_ci / t_point:.2f}",
            f"{t_ci - t_point:+.3f}",
        ],
    ]
    print(table(["300-model front", "seconds", "ratio", "added s"], rows_out))
    verdict = "PASS" if t_ci - t_point < 1.0 else "FAIL"
    print(f"  target: intervals add < 1 s to a 300-point front -> {verdict}\n")

    X_test = pre.transform(data.X_test)
    full = DecisionTreeClassifier(max_depth=6, random_state=0).fit(X, data.y)
    p_test = full.predict(X_test)
    idx = rng.integers(0, len(data.y_test), size=n_rows)
    y, p = data.y_test[idx], p_test[idx]
    sens = data.sensitive_test.reset_index(drop=True).iloc[idx].reset_index(drop=True)
    groups = evaluate(y[:10], p[:10], sensitive_features=sens.iloc[:10])  # warm up
    del groups
    all_notions = tuple(NOTIONS)
    cases: list[tuple[str, Callable[[float | None], Any]]] = [
        (
            "evaluate_many (1 model, per attribute)",
            lambda lv: evaluate_many(
                y, p[:, None], sensitive_features=sens, notions=all_notions, ci_level=lv
            ),
        ),
        (
            "evaluate (full report, + intersectional)",
            lambda lv: evaluate(y, p, sensitive_features=sens, notions=all_notions, ci_level=lv),
        ),
    ]
    out = []
    for name, fn in cases:
        a = best_of(repeats, functools.partial(fn, None))
        b = best_of(repeats, functools.partial(fn, 0.95))
        out.append([name, f"{a:.3f}", f"{b:.3f}", f"{b / a:.2f}", f"{b - a:+.3f}"])
        print(f"  {name}: intervals total {b:.3f} s, added {b - a:+.3f} s")
    index = GroupIndex.from_sensitive(sens)
    counts = [
        confusion_by_group(y, p, codes, len(labels))
        for codes, labels in zip(index.codes, index.labels, strict=True)
    ]
    alone = best_of(
        repeats,
        lambda: [notion_interval(c, n, 0.95) for c in counts for n in all_notions],
    )
    out.append(["intervals alone, from the counts", "-", f"{alone:.4f}", "-", "-"])
    print(
        f"{n_rows:,} rows x {sens.shape[1]} attributes ({', '.join(sens.columns)}), "
        f"one model, every notion; best of {repeats}"
    )
    print(table(["one model", "point s", "with CI s", "ratio", "added s"], out))
    worst = max(float(r[2]) for r in out)
    print(
        f"  target: one model's figures with intervals < 2 s -> "
        f"{'PASS' if worst < 2.0 else 'FAIL'}\n"
    )


def _counts(
    rng: np.random.Generator,
    sizes: Sequence[int],
    base: Sequence[float],
    tpr: Sequence[float],
    fpr: Sequence[float],
    reps: int,
) -> np.ndarray:
    """(reps, G, 2, 2) counts of ``sizes[g]`` independent rows per group."""
    G = len(sizes)
    counts = np.empty((reps, G, 2, 2))
    for g in range(G):
        b, t, f = base[g], tpr[g], fpr[g]
        cells = [(1 - b) * (1 - f), (1 - b) * f, b * (1 - t), b * t]  # tn fp fn tp
        counts[:, g] = rng.multinomial(sizes[g], cells, size=reps).reshape(reps, 2, 2)
    return counts


def coverage(reps: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    settings: list[tuple[str, list[int], list[float], list[float], list[float]]] = []
    for n in (20, 50, 200, 1000, 20000):
        settings.append((f"2 x {n}, equal rates", [n, n], [0.4, 0.4], [0.7, 0.7], [0.2, 0.2]))
        settings.append((f"2 x {n}, gaps", [n, n], [0.3, 0.5], [0.6, 0.75], [0.1, 0.2]))
    settings.append(("20 vs 20000, gaps", [20, 20000], [0.3, 0.5], [0.6, 0.75], [0.1, 0.2]))
    settings.append(
        (
            "4 groups 20/200/2000/20000",
            [20, 200, 2000, 20000],
            [0.3, 0.4, 0.5, 0.45],
            [0.6, 0.7, 0.75, 0.72],
            [0.1, 0.15, 0.2, 0.18],
        )
    )
    settings.append(("4 x 200, equal rates", [200] * 4, [0.4] * 4, [0.7] * 4, [0.2] * 4))
    rows = []
    for name, sizes, base, tpr, fpr in settings:
        counts = _counts(rng, sizes, base, tpr, fpr, reps)
        b, t, f = np.array(base), np.array(tpr), np.array(fpr)
        truth = {"tpr": t, "fpr": f, "selection_rate": b * t + (1 - b) * f}
        row = [name]
        for notion, rate in COVERAGE_NOTIONS.items():
            true_gap = float(np.ptp(truth[rate]))
            ci = notion_interval(counts, notion, 0.95)
            ok = ~np.isnan(ci.lo)
            eps = 1e-12
            both = (ci.lo[ok] <= true_gap + eps) & (ci.hi[ok] >= true_gap - eps)
            upper = ci.hi[ok] >= true_gap - eps
            width = float(np.mean(ci.hi[ok] - ci.lo[ok]))
            row.append(f"{true_gap:.3f} {both.mean():.3f} {upper.mean():.3f} {width:.3f}")
        rows.append(row)
    headers = ["setting (rows per group)"] + [
        f"{n} gap: true cover upper width" for n in COVERAGE_NOTIONS
    ]
    print(f"COVERAGE of the 95% intervals, {reps} simulated data sets per setting (seed {seed})")
    print("  cover: share of intervals holding the true gap (nominal 0.95);")
    print("  upper: share whose upper end is >= the true gap (what a confidence constraint")
    print("  relies on; nominal >= 0.975); width: mean interval width.")
    print("  base rates / tpr / fpr per group: equal rates 0.4 / 0.7 / 0.2; gaps:")
    print("  0.3,0.5 / 0.6,0.75 / 0.1,0.2 (4 groups: see the script).")
    print(table(headers, rows))


def transfer(rounds: int, seeds: int) -> None:
    print(
        f"TRANSFER: chosen point (default choice), MMM-Fair {rounds} rounds, notions eo; "
        f"seeds 0..{seeds - 1}"
    )
    print("cells: test eo [test 95% interval] | validation eo [validation 95% interval] | ")
    print("       in = the validation interval holds the test value")
    rows, held, total = [], 0, 0
    for data in ("adult", "compas"):
        for seed in range(seeds):
            run = train(RunSpec(data=data, rounds=rounds, random_state=seed, baseline=False))
            point = run.points[run.selected_round - 1]
            val, test = point["validation"]["eo"], point["test"]["eo"]
            for attr in list(val["by_attribute"]) + ["worst"]:
                if attr == "worst":
                    tv, tci = test["value"], test["ci"]["value"]
                    vv, vci = val["value"], val["ci"]["value"]
                else:
                    tv, tci = test["by_attribute"][attr], test["ci"]["by_attribute"][attr]
                    vv, vci = val["by_attribute"][attr], val["ci"]["by_attribute"][attr]
                inside = vci is not None and vci[0] <= tv <= vci[1]
                if attr != "worst":
                    held, total = held + inside, total + 1
                sizes = point["test"]["group_sizes"].get(attr, {})
                smallest = f"{min(sizes.values())}" if sizes else "-"
                rows.append(
                    [
                        f"{data} s{seed} r{run.selected_round}",
                        attr,
                        f"{tv:.3f} [{tci[0]:.3f}, {tci[1]:.3f}]",
                        f"{vv:.3f} [{vci[0]:.3f}, {vci[1]:.3f}]",
                        "in" if inside else "OUT",
                        smallest,
                    ]
                )
    print(
        table(
            [
                "run",
                "attribute",
                "test eo [95% CI]",
                "validation eo [95% CI]",
                "held",
                "smallest test group",
            ],
            rows,
        )
    )
    print(f"  validation interval held the test value for {held} of {total} attribute gaps")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--coverage", action="store_true", help="run the coverage study too")
    parser.add_argument("--only-coverage", action="store_true", help="skip the timings")
    parser.add_argument("--reps", type=int, default=4000, help="data sets per coverage setting")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each call")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the large case")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--transfer", action="store_true", help="Adult/COMPAS transfer study")
    parser.add_argument("--rounds", type=int, default=150, help="rounds of --transfer runs")
    parser.add_argument("--seeds", type=int, default=5, help="seeds of --transfer runs")
    args = parser.parse_args(argv)
    print(f"python bench/bench_intervals.py; {os.cpu_count()} CPUs; pandas {pd.__version__}\n")
    if args.transfer:
        transfer(args.rounds, args.seeds)
        return 0
    if not args.only_coverage:
        timing(args.repeats, args.rows, args.seed)
    if args.coverage or args.only_coverage:
        coverage(args.reps, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
