"""Multi-task runs through the REST API alone: time to the first epoch and to ``done``,
and the ONNX download scored with onnxruntime against the front's test figures.

Starts the real service (as ``bench_service.py`` does: a subprocess on loopback, a
temporary models dir, one job at a time), then for each learner (fairbranch, l2t_fmt,
mtl): POST /api/runs on COMPAS with the tasks two_year_recid and is_violent_recid, race
protected, and follows the SSE stream; prints the POST latency, the time from the POST
to the first ``round`` event and to ``done``; downloads the selected point's ONNX file,
scores the test split with onnxruntime alone (one probability output per task) and
prints the largest difference between the figures that gives (accuracy, balanced
accuracy, eo_sum per task) and the front's test figures.

    python bench/bench_service_multitask.py [--epochs 30] [--learners fairbranch l2t_fmt mtl]
        [--warm S]

``--warm S`` waits S seconds after the service answers before the first POST (its job
workers warm up meanwhile); by default the first run meets the service as it starts.
The load average is printed before and after (other processes share the CPUs).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from bench_service import server, sse_events

from fairfront.datasets import load_multitask
from fairfront.export import onnx_feed
from fairfront.metrics import evaluate

TASKS = ["two_year_recid", "is_violent_recid"]


def run_one(url: str, learner: str, epochs: int, test: Any) -> dict[str, Any]:
    import onnxruntime as ort

    body = {
        "dataset": "compas",
        "learner": learner,
        "tasks": [{"name": t} for t in TASKS],
        "protected": ["race"],
        "epochs": epochs,
    }
    token = httpx.post(f"{url}/api/sessions", timeout=30).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}  # the service answers owners only
    with httpx.Client(base_url=url, timeout=600, headers=headers) as client:
        started = time.perf_counter()
        created = client.post("/api/runs", json=body)
        posted = time.perf_counter() - started
        created.raise_for_status()
        run_id = created.json()["id"]
        first = done = None
        rounds = 0
        with client.stream("GET", f"/api/runs/{run_id}/events") as stream:
            for kind, data in sse_events(stream):
                if kind == "round":
                    rounds += 1
                    first = first or time.perf_counter() - started
                if kind in ("done", "error", "cancelled"):
                    done = time.perf_counter() - started
                    status, summary = kind, data
                    break
        front = client.get(f"/api/runs/{run_id}/front").json()
        round_ = front["selection"]["round"]
        onnx = client.get(f"/api/runs/{run_id}/points/{round_}/model.onnx").content
        card = client.get(f"/api/runs/{run_id}/points/{round_}/model-card").json()
    session = ort.InferenceSession(onnx, providers=["CPUExecutionProvider"])
    outputs = [o.name for o in session.get_outputs()]
    got = session.run(outputs, onnx_feed(test.X_test, card["inputs"]))
    point = front["points"][round_ - 1]
    worst = 0.0
    for t, task in enumerate(TASKS):
        report = evaluate(
            test.Y_test[:, t],
            (np.asarray(got[t])[:, 1] > 0.5).astype(int),
            sensitive_features=test.sensitive_test,
            notions=["eo_sum"],
        )
        block = point["tasks"][task]["test"]
        for mine, stored in (
            (report.overall["accuracy"], block["accuracy"]),
            (report.overall["balanced_accuracy"], block["balanced_accuracy"]),
            (float(report.violation("eo_sum")), block["eo_sum"]["value"]),
        ):
            worst = max(worst, abs(float(mine) - float(stored)))
    return {
        "learner": learner,
        "status": status,
        "post_ms": posted * 1000,
        "first_epoch_s": first,
        "done_s": done,
        "points": rounds,
        "timings": summary.get("seconds", {}),
        "outputs": outputs,
        "figures_max_difference": worst,
        "card_parity": card["parity"]["max_abs_probability_difference"],
        "selected": round_,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--learners", nargs="+", default=["fairbranch", "l2t_fmt", "mtl"])
    parser.add_argument("--warm", type=float, default=0.0)
    args = parser.parse_args()
    print("load average before: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    test = load_multitask("compas", protected=["race"])
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        with server(root / "models", root / "server.log") as url:
            time.sleep(args.warm)
            for learner in args.learners:
                r = run_one(url, learner, args.epochs, test)
                print(
                    f"{r['learner']:>10}: POST {r['post_ms']:.0f} ms; first epoch event "
                    f"{r['first_epoch_s']:.2f} s; {r['status']} {r['done_s']:.1f} s "
                    f"({r['points']} points; job: "
                    + ", ".join(f"{k} {v:.1f} s" for k, v in r["timings"].items())
                    + f"); ONNX outputs {', '.join(r['outputs'])}; test figures from "
                    f"onnxruntime vs front: max |difference| {r['figures_max_difference']:.1e}"
                    f" (card parity {r['card_parity']:.1e}, round {r['selected']})"
                )
    print("load average after: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
