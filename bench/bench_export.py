"""Rows per second: the exported ONNX graph in onnxruntime vs the Python pipeline.

One process, the whole Adult test set (16,281 raw rows), the same round for both:

* onnxruntime: ``session.run`` on the prepared input dict (one [N, 1] array per raw
  column; building the dict is timed apart), with onnxruntime's default threads and
  with one thread;
* Python: the run's fitted pipeline (preprocessing + learner truncated at the round)
  ``predict_proba`` on the raw DataFrame.

Each figure is the best of ``--repeat`` runs (default 5). Trains an MMM-Fair run on
Adult first (``--rounds``, default 300) unless ``--run DIR`` names an existing one.

    python bench/bench_export.py [--run DIR] [--rounds N] [--round N] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from sklearn.pipeline import Pipeline

from fairfront.datasets import load_dataset
from fairfront.export import export_model, onnx_feed
from fairfront.runs import RunSpec, load_model, train, write_run


def best_of(repeat: int, call: Callable[[], Any]) -> float:
    """Fastest wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


def bench(run_dir: Path, n_round: int | None, repeat: int) -> dict[str, Any]:
    onnx_bytes, card = export_model(run_dir, round=n_round)
    chosen = int(card["selection"]["exported_round"])
    model = load_model(run_dir)
    learner = model.named_steps["learner"].at_round(chosen)
    python = Pipeline([("preprocess", model.named_steps["preprocess"]), ("learner", learner)])
    data = load_dataset("adult")
    assert data.X_test is not None
    rows = data.X_test
    n = len(rows)

    feed_seconds = best_of(repeat, lambda: onnx_feed(rows, card["inputs"]))
    feed = onnx_feed(rows, card["inputs"])
    default = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    single = ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])

    labels, probabilities = default.run(None, feed)
    expected = python.predict_proba(rows)
    positive = python.predict(rows) == learner.classes_[1]
    agreement = float(np.mean(labels == positive))
    difference = float(np.max(np.abs(probabilities - expected)))

    ort_seconds = best_of(repeat, lambda: default.run(None, feed))
    ort_single_seconds = best_of(repeat, lambda: single.run(None, feed))
    python_seconds = best_of(repeat, lambda: python.predict_proba(rows))
    return {
        "rows": n,
        "round": chosen,
        "trees": chosen,
        "repeat": repeat,
        "cpus": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
        "onnx_bytes": len(onnx_bytes),
        "label_agreement": agreement,
        "max_abs_probability_difference": difference,
        "seconds": {
            "onnxruntime": ort_seconds,
            "onnxruntime_1_thread": ort_single_seconds,
            "python_predict_proba": python_seconds,
            "build_onnx_feed": feed_seconds,
        },
        "rows_per_second": {
            "onnxruntime": n / ort_seconds,
            "onnxruntime_1_thread": n / ort_single_seconds,
            "python_predict_proba": n / python_seconds,
        },
        "speedup_onnxruntime_vs_python": python_seconds / ort_seconds,
        "speedup_onnxruntime_1_thread_vs_python": python_seconds / ort_single_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", help="an existing Adult run directory (default: train one)")
    parser.add_argument("--rounds", type=int, default=300, help="rounds of the trained run")
    parser.add_argument("--round", type=int, help="round to export (default: the selected one)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", help="also write the figures as JSON")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        if args.run:
            run_dir = Path(args.run)
        else:
            run_dir = Path(scratch) / "run"
            started = time.perf_counter()
            write_run(train(RunSpec(data="adult", rounds=args.rounds)), run_dir)
            print(f"trained MMM-Fair on Adult, {args.rounds} rounds, in "
                  f"{time.perf_counter() - started:.1f} s")
        result = bench(run_dir, args.round, args.repeat)

    rate = result["rows_per_second"]
    seconds = result["seconds"]
    print(f"Adult test set: {result['rows']} rows, round {result['round']} "
          f"({result['trees']} trees), best of {result['repeat']}, {result['cpus']} CPUs")
    print(f"  parity: label agreement {result['label_agreement']:.6f}, max |probability "
          f"difference| {result['max_abs_probability_difference']:.2g}")
    print(f"  onnxruntime session.run          {rate['onnxruntime']:>12,.0f} rows/s "
          f"({seconds['onnxruntime'] * 1e3:.1f} ms)")
    print(f"  onnxruntime session.run, 1 thread {rate['onnxruntime_1_thread']:>11,.0f} rows/s "
          f"({seconds['onnxruntime_1_thread'] * 1e3:.1f} ms)")
    print(f"  Python pipeline predict_proba    {rate['python_predict_proba']:>12,.0f} rows/s "
          f"({seconds['python_predict_proba'] * 1e3:.1f} ms)")
    print(f"  ratio onnxruntime / Python: {result['speedup_onnxruntime_vs_python']:.1f}x "
          f"(1 thread: {result['speedup_onnxruntime_1_thread_vs_python']:.1f}x); building the "
          f"input dict from the DataFrame takes {seconds['build_onnx_feed'] * 1e3:.1f} ms")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
