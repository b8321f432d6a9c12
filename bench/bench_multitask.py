"""Fit time and test figures of the multi-task learners against single-task baselines.

For each dataset view (COMPAS: two_year_recid + is_violent_recid, race African-American /
other protected, a 75/25 split drawn per seed; Adult: income + married, sex protected,
adult.data -> adult.test) and each seed, every learner (``fairbranch``, ``l2t_fmt``,
``mtl``) is fitted through :func:`fairfront.multitask.train_multitask`, which also fits
the learner's single-task baselines (the same class and parameters with T = 1, one model
per task). Reported on the test split at the selected epoch, mean and standard deviation
over seeds: mean accuracy and mean ``eo_sum`` / ``eo`` over tasks for the multi-task
model (MTL) and the baselines (STL), the differences, and fit seconds per epoch.
A separate timing row fits FairBranch on Adult for the full 30 epochs (no early stop).

    python bench/bench_multitask.py [--seeds N] [--epochs E] [--data compas adult] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import torch

from fairfront.datasets import load_multitask
from fairfront.multitask import MTL_LEARNERS, MultiTaskSpec, train_multitask

VIEWS = {"compas": ["race"], "adult": ["sex"]}


def _mean_sd(values: list[float]) -> str:
    if len(values) < 2:
        return f"{values[0]:.3f}" if values else "-"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def run_one(data: str, learner: str, seed: int, epochs: int) -> dict[str, Any]:
    dataset = load_multitask(data, protected=VIEWS[data], random_state=seed)
    spec = MultiTaskSpec(
        data=data, protected=VIEWS[data], learner=learner, epochs=epochs, random_state=seed
    )
    run = train_multitask(spec, dataset=dataset)
    selected = run.points[run.learner.selected_epoch_ - 1]
    assert run.baselines is not None
    base = run.baselines["mean"]
    stl_seconds = sum(e["fit_seconds"] for e in run.baselines["tasks"].values())
    stl_epochs = sum(e["epochs_fitted"] for e in run.baselines["tasks"].values())
    return {
        "data": data,
        "learner": learner,
        "seed": seed,
        "epochs_fitted": run.learner.n_epochs_,
        "selected_epoch": run.learner.selected_epoch_,
        "fit_seconds": run.learner.fit_seconds_,
        "seconds_per_epoch": run.learner.fit_seconds_ / run.learner.n_epochs_,
        "stl_seconds_per_epoch": stl_seconds / max(1, stl_epochs),
        "mtl": {
            "accuracy": selected["test"]["accuracy"],
            "eo_sum": selected["test"]["eo_sum"]["value"],
            "eo": selected["test"]["eo"]["value"],
            "tasks": {t: b["test"] for t, b in selected["tasks"].items()},
        },
        "stl": {
            "accuracy": base["accuracy"],
            "eo_sum": base["eo_sum"]["value"],
            "eo": base["eo"]["value"],
            "tasks": {t: e["test"] for t, e in run.baselines["tasks"].items()},
        },
        "gains": run.baselines["gains"],
    }


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| data | learner | MTL acc | STL acc | MTL eo_sum | STL eo_sum | MTL eo | STL eo "
        "| Δacc | Δeo_sum | s/epoch MTL | s/epoch STL | pass |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for data in dict.fromkeys(r["data"] for r in rows):
        for learner in dict.fromkeys(r["learner"] for r in rows):
            sel = [r for r in rows if r["data"] == data and r["learner"] == learner]
            if not sel:
                continue

            def col(side: str, key: str, sel: list[dict[str, Any]] = sel) -> list[float]:
                return [float(r[side][key]) for r in sel]

            d_acc = [
                a - b for a, b in zip(col("mtl", "accuracy"), col("stl", "accuracy"), strict=True)
            ]
            d_eo = [a - b for a, b in zip(col("mtl", "eo_sum"), col("stl", "eo_sum"), strict=True)]
            ok = statistics.mean(d_eo) < 0 and statistics.mean(d_acc) >= -0.01
            lines.append(
                f"| {data} | {learner} | {_mean_sd(col('mtl', 'accuracy'))} | "
                f"{_mean_sd(col('stl', 'accuracy'))} | {_mean_sd(col('mtl', 'eo_sum'))} | "
                f"{_mean_sd(col('stl', 'eo_sum'))} | {_mean_sd(col('mtl', 'eo'))} | "
                f"{_mean_sd(col('stl', 'eo'))} | {_mean_sd(d_acc)} | {_mean_sd(d_eo)} | "
                f"{_mean_sd([r['seconds_per_epoch'] for r in sel])} | "
                f"{_mean_sd([r['stl_seconds_per_epoch'] for r in sel])} | "
                f"{'yes' if ok else 'no'} |"
            )
    return "\n".join(lines)


def per_task_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| data | learner | task | MTL acc | STL acc | MTL eo_sum | STL eo_sum |",
        "|---|---|---|---|---|---|---|",
    ]
    for data in dict.fromkeys(r["data"] for r in rows):
        for learner in dict.fromkeys(r["learner"] for r in rows):
            sel = [r for r in rows if r["data"] == data and r["learner"] == learner]
            if not sel:
                continue
            for task in sel[0]["mtl"]["tasks"]:

                def get(
                    side: str, key: str, task: str = task, sel: list[dict[str, Any]] = sel
                ) -> list[float]:
                    values = []
                    for r in sel:
                        block = r[side]["tasks"][task]
                        value = block[key] if key == "accuracy" else block[key]["value"]
                        values.append(float(value))
                    return values

                lines.append(
                    f"| {data} | {learner} | {task} | {_mean_sd(get('mtl', 'accuracy'))} | "
                    f"{_mean_sd(get('stl', 'accuracy'))} | {_mean_sd(get('mtl', 'eo_sum'))} | "
                    f"{_mean_sd(get('stl', 'eo_sum'))} |"
                )
    return "\n".join(lines)


def timing(epochs: int) -> dict[str, Any]:
    """FairBranch on Adult (income, married; sex), all ``epochs`` epochs, no early stop."""
    spec = MultiTaskSpec(
        data="adult",
        protected=["sex"],
        learner="fairbranch",
        epochs=epochs,
        params={"patience": None},
        baseline=False,
    )
    started = time.perf_counter()
    run = train_multitask(spec)
    return {
        "what": f"FairBranch, Adult (income, married), sex, {epochs} epochs, no early stop",
        "fit_seconds": run.learner.fit_seconds_,
        "total_seconds": time.perf_counter() - started,
        "epochs": run.learner.n_epochs_,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--data", nargs="+", default=list(VIEWS), choices=list(VIEWS))
    parser.add_argument(
        "--learners", nargs="+", default=list(MTL_LEARNERS), choices=list(MTL_LEARNERS)
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    torch.set_num_threads(args.threads)
    rows = []
    for data in args.data:
        for seed in range(args.seeds):
            for learner in args.learners:
                tick = time.perf_counter()
                rows.append(run_one(data, learner, seed, args.epochs))
                logging.info(
                    "%s %s seed %d: %.1f s", data, learner, seed, time.perf_counter() - tick
                )
    print(
        f"# multi-task vs single-task, test split, selected epoch; {args.seeds} seeds, "
        f"max {args.epochs} epochs; torch {torch.__version__}, {args.threads} thread(s), "
        f"{os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print("Mean over tasks; mean ± sd over seeds; pass = mean Δeo_sum < 0 and mean Δacc >= -0.01")
    print(table(rows))
    print()
    print(per_task_table(rows))
    result: dict[str, Any] = {"rows": rows}
    if not args.no_timing:
        result["timing"] = timing(args.epochs)
        t = result["timing"]
        print(
            f"\n{t['what']}: fit {t['fit_seconds']:.1f} s "
            f"(with loading and scoring {t['total_seconds']:.1f} s)"
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
