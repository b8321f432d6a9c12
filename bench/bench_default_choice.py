"""Which point should a run choose when the user gives no constraint?

For Adult, COMPAS, German and Bank (built-in protected attributes) and seeds 0..4, one
MMM-Fair run each (``fairfront.runs.train``, notions eo, ``--rounds`` rounds,
default parameters); then several rules choose a point of the same run from its
validation figures only, and we report the chosen point's **test** balanced accuracy
and worst equalized-odds gap (Fairlearn's convention, max over attributes):

* ``knee3`` -- the rule being replaced: knee of the validation front of
  (1 - accuracy, 1 - balanced accuracy, eo);
* ``knee2`` -- knee of the validation front of (1 - balanced accuracy, eo): the
  accuracy-vs-violation trade-off alone (accuracy rewards predicting the majority
  class, which is not what a fairness practitioner trades against);
* ``tol`` -- the best validation balanced accuracy among points whose eo is within
  ``--tolerance`` of the lowest eo of any point;
* ``default`` -- what ``SelectionRule.default()`` chooses (``fairest`` within 0.02,
  i.e. ``tol0.02`` written with the fronts module: the two columns must agree);
* ``lowest`` -- the lowest validation eo (for reference).

    python bench/bench_default_choice.py [--rounds N] [--seeds K] [--datasets a b ...]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from fairfront.fronts import SelectionRule, knee, objective_matrix, select
from fairfront.runs import RunSpec, train

Points = list[dict[str, Any]]


def _eligible(points: Points) -> np.ndarray:
    F, _ = objective_matrix(points, ["eo"], performance=("balanced_accuracy",))
    trivial = np.array([bool(p.get("trivial")) for p in points])
    return ~trivial & np.isfinite(F).all(axis=1)


def knee3(points: Points) -> int:
    F, _ = objective_matrix(points, ["eo"], performance=("accuracy", "balanced_accuracy"))
    found = knee(F, _eligible(points))
    assert found is not None
    return found


def knee2(points: Points) -> int:
    F, _ = objective_matrix(points, ["eo"], performance=("balanced_accuracy",))
    found = knee(F, _eligible(points))
    assert found is not None
    return found


def tolerance_rule(tol: float) -> Callable[[Points], int]:
    def choose(points: Points) -> int:
        F, _ = objective_matrix(points, ["eo"], performance=("balanced_accuracy",))
        ok = _eligible(points)
        near = ok & (F[:, 1] <= F[ok, 1].min() + tol)
        return int(np.flatnonzero(near)[np.argmin(F[near, 0])])

    return choose


def lowest(points: Points) -> int:
    F, _ = objective_matrix(points, ["eo"], performance=("balanced_accuracy",))
    ok = _eligible(points)
    return int(np.flatnonzero(ok)[np.argmin(F[ok, 1])])


def default(points: Points) -> int:
    return select(points, SelectionRule.default(), ["eo"]).index


def _figures(point: dict[str, Any], split: str) -> tuple[float, float]:
    block = point[split]
    return float(block["balanced_accuracy"]), float(block["eo"]["value"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=150)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--tolerance", type=float, default=0.02)
    parser.add_argument("--datasets", nargs="+", default=["adult", "compas", "german", "bank"])
    args = parser.parse_args(argv)
    rules: dict[str, Callable[[Points], int]] = {
        "knee3": knee3,
        "knee2": knee2,
        f"tol{args.tolerance:g}": tolerance_rule(args.tolerance),
        "default": default,
        "lowest": lowest,
    }
    print(
        f"python bench/bench_default_choice.py --rounds {args.rounds} --seeds {args.seeds}; "
        f"MMM-Fair, notions eo; {os.cpu_count()} CPUs"
    )
    print("cells: test balanced accuracy / test worst eo of the chosen point, mean over seeds")
    print("(in brackets: the same on validation, which the rules read)\n")
    header = f"{'dataset':8s} " + " ".join(f"{name:>22s}" for name in rules)
    print(header)
    print("-" * len(header))
    totals: dict[str, list[tuple[float, float]]] = {name: [] for name in rules}
    started = time.perf_counter()
    for data in args.datasets:
        per_rule: dict[str, list[tuple[float, float, float, float]]] = {n: [] for n in rules}
        for seed in range(args.seeds):
            run = train(RunSpec(data=data, rounds=args.rounds, random_state=seed, baseline=False))
            ours, theirs = default(run.points), rules[f"tol{args.tolerance:g}"](run.points)
            same = _figures(run.points[ours], "validation")[0]
            assert same == _figures(run.points[theirs], "validation")[0]  # ties may differ
            for name, rule in rules.items():
                point = run.points[rule(run.points)]
                per_rule[name].append((*_figures(point, "test"), *_figures(point, "validation")))
        cells = []
        for name, rows in per_rule.items():
            arr = np.array(rows)
            mean = arr.mean(axis=0)
            totals[name] += [(float(a), float(b)) for a, b, _, _ in rows]
            cells.append(f"{mean[0]:.3f}/{mean[1]:.3f} ({mean[2]:.3f}/{mean[3]:.3f})")
        print(f"{data:8s} " + " ".join(f"{c:>22s}" for c in cells), flush=True)
    print("-" * len(header))
    cells = []
    for name in rules:
        arr = np.array(totals[name])
        cells.append(f"{arr[:, 0].mean():.3f}/{arr[:, 1].mean():.3f}")
    print(f"{'all':8s} " + " ".join(f"{c:>22s}" for c in cells))
    knee_eo = np.array(totals["knee3"])[:, 1]
    for name in rules:
        arr = np.array(totals[name])
        d_bacc = arr[:, 0] - np.array(totals["knee3"])[:, 0]
        print(
            f"  {name:>8s} vs knee3: test bacc {d_bacc.mean():+.4f} "
            f"(worst run {d_bacc.min():+.4f}), test eo {(arr[:, 1] - knee_eo).mean():+.4f}; "
            f"eo lower in {(arr[:, 1] < knee_eo).sum()} of {len(knee_eo)} runs"
        )
    print(f"\n{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
