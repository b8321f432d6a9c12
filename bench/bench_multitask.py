"""Fit time and test figures of the multi-task learners against single-task baselines.

For each dataset view (COMPAS: two_year_recid + is_violent_recid, race African-American /
other protected, a 75/25 split drawn per seed; Adult: income + married, sex protected,
adult.data -> adult.test) and each seed, every learner (``fairbranch``, ``l2t_fmt``,
``mtl``) is fitted through :func:`fairfront.runs.train`, which also fits
the learner's single-task baselines (the same class and parameters with T = 1, one model
per task). Reported on the test split at the selected epoch, mean and standard deviation
over seeds: mean accuracy, balanced accuracy and ``eo_sum`` / ``eo`` over tasks for the
multi-task model (MTL) and the baselines (STL), the differences, and fit seconds per
epoch. A separate timing row fits FairBranch on Adult for the full 30 epochs (no early
stop). ``--params`` passes learner parameters to every fit (MTL and STL alike), e.g.
``--params '{"class_balance": false}'``.

    python bench/bench_multitask.py [--seeds N] [--epochs E] [--data compas adult]
        [--learners fairbranch ...] [--params JSON] [--json PATH]
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
from fairfront.runs import RunSpec, train
from fairfront.vocabulary import learner_names

MTL_LEARNERS = learner_names("multitask")

VIEWS = {"compas": ["race"], "adult": ["sex"]}


def _mean_sd(values: list[float]) -> str:
    if len(values) < 2:
        return f"{values[0]:.3f}" if values else "-"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def run_one(
    data: str, learner: str, seed: int, epochs: int, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    dataset = load_multitask(data, protected=VIEWS[data], random_state=seed)
    spec = RunSpec(
        data=data,
        protected=VIEWS[data],
        learner=learner,
        epochs=epochs,
        params=dict(params or {}),
        random_state=seed,
    )
    run = train(spec, dataset=dataset)
    selected = run.selected_point.model_dump(mode="json")
    assert run.front.baselines is not None
    baselines = run.front.baselines.model_dump(mode="json")
    base = baselines["mean"]
    stl_seconds = sum(e["fit_seconds"] for e in baselines["tasks"].values())
    stl_epochs = sum(e["epochs_fitted"] for e in baselines["tasks"].values())
    return {
        "data": data,
        "learner": learner,
        "seed": seed,
        "epochs_fitted": run.learner.n_epochs_,
        "selected_epoch": run.learner.selected_epoch_,
        "setting": run.selection.setting,
        "fit_seconds": run.learner.fit_seconds_,
        "seconds_per_epoch": run.learner.fit_seconds_ / run.learner.n_epochs_,
        "stl_seconds_per_epoch": stl_seconds / max(1, stl_epochs),
        "mtl": {
            "accuracy": selected["test"]["accuracy"],
            "balanced_accuracy": selected["test"]["balanced_accuracy"],
            "eo_sum": selected["test"]["eo_sum"]["value"],
            "eo": selected["test"]["eo"]["value"],
            "tasks": {t: b["test"] for t, b in selected["tasks"].items()},
        },
        "stl": {
            "accuracy": base["accuracy"],
            "balanced_accuracy": base["balanced_accuracy"],
            "eo_sum": base["eo_sum"]["value"],
            "eo": base["eo"]["value"],
            "tasks": {t: e["test"] for t, e in baselines["tasks"].items()},
        },
        "gains": baselines["gains"],
        "trivial": {
            side: any(bool(b.get("trivial")) for b in blocks.values())
            for side, blocks in (
                ("mtl", {t: b["test"] for t, b in selected["tasks"].items()}),
                ("stl", {t: e["test"] for t, e in baselines["tasks"].items()}),
            )
        },
    }


def _diffs(sel: list[dict[str, Any]], key: str) -> list[float]:
    return [float(r["mtl"][key]) - float(r["stl"][key]) for r in sel]


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| data | learner | MTL acc | STL acc | MTL bal. acc | STL bal. acc | MTL eo_sum "
        "| STL eo_sum | MTL eo | STL eo | Δacc | Δbal. acc | Δeo_sum | s/epoch MTL "
        "| s/epoch STL | trivial MTL/STL | pass | pass (bal.) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for data in dict.fromkeys(r["data"] for r in rows):
        for learner in dict.fromkeys(r["learner"] for r in rows):
            sel = [r for r in rows if r["data"] == data and r["learner"] == learner]
            if not sel:
                continue

            def col(side: str, key: str, sel: list[dict[str, Any]] = sel) -> str:
                return _mean_sd([float(r[side][key]) for r in sel])

            d_acc, d_eo = _diffs(sel, "accuracy"), _diffs(sel, "eo_sum")
            d_bal = _diffs(sel, "balanced_accuracy")
            fairer = statistics.mean(d_eo) < 0
            ok = fairer and statistics.mean(d_acc) >= -0.01
            ok_bal = fairer and statistics.mean(d_bal) >= -0.01
            cells = [
                data,
                learner,
                *(
                    col(side, key)
                    for key in ("accuracy", "balanced_accuracy", "eo_sum", "eo")
                    for side in ("mtl", "stl")
                ),
                _mean_sd(d_acc),
                _mean_sd(d_bal),
                _mean_sd(d_eo),
                _mean_sd([r["seconds_per_epoch"] for r in sel]),
                _mean_sd([r["stl_seconds_per_epoch"] for r in sel]),
                f"{sum(r['trivial']['mtl'] for r in sel)}/{sum(r['trivial']['stl'] for r in sel)}",
                "yes" if ok else "no",
                "yes" if ok_bal else "no",
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def per_task_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| data | learner | task | MTL acc | STL acc | MTL bal. acc | STL bal. acc "
        "| MTL eo_sum | STL eo_sum |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for data in dict.fromkeys(r["data"] for r in rows):
        for learner in dict.fromkeys(r["learner"] for r in rows):
            sel = [r for r in rows if r["data"] == data and r["learner"] == learner]
            if not sel:
                continue
            for task in sel[0]["mtl"]["tasks"]:

                def get(
                    side: str, key: str, task: str = task, sel: list[dict[str, Any]] = sel
                ) -> str:
                    values = []
                    for r in sel:
                        value = r[side]["tasks"][task][key]
                        values.append(float(value["value"] if isinstance(value, dict) else value))
                    return _mean_sd(values)

                cells = [
                    data,
                    learner,
                    task,
                    *(
                        get(side, key)
                        for key in ("accuracy", "balanced_accuracy", "eo_sum")
                        for side in ("mtl", "stl")
                    ),
                ]
                lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def timing(epochs: int, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """FairBranch on Adult (income, married; sex), all ``epochs`` epochs, no early stop."""
    spec = RunSpec(
        data="adult",
        protected=["sex"],
        learner="fairbranch",
        epochs=epochs,
        params={**(params or {}), "patience": None},
        baseline=False,
    )
    started = time.perf_counter()
    run = train(spec)
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
    parser.add_argument(
        "--params", type=json.loads, default={}, help="learner parameters (JSON object)"
    )
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
                rows.append(run_one(data, learner, seed, args.epochs, args.params))
                logging.info(
                    "%s %s seed %d: %.1f s", data, learner, seed, time.perf_counter() - tick
                )
    print(
        f"# multi-task vs single-task, test split, selected epoch; {args.seeds} seeds, "
        f"max {args.epochs} epochs; torch {torch.__version__}, {args.threads} thread(s), "
        f"{os.cpu_count()} cores, Python {platform.python_version()}"
        + (f"; params {json.dumps(args.params)}" if args.params else "")
    )
    print(
        "Mean over tasks; mean ± sd over seeds; trivial = seeds whose chosen model is "
        "trivial on the test split for some task; pass = mean Δeo_sum < 0 and mean "
        "Δacc >= -0.01; pass (bal.): the same with Δbal. acc"
    )
    print(table(rows))
    print()
    print(per_task_table(rows))
    result: dict[str, Any] = {"params": args.params, "rows": rows}
    if not args.no_timing:
        result["timing"] = timing(args.epochs, args.params)
        t = result["timing"]
        print(
            f"\n{t['what']}: fit {t['fit_seconds']:.1f} s "
            f"(with loading and scoring {t['total_seconds']:.1f} s)"
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
