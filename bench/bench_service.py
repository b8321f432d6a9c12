"""The service under load: time to the first streamed round and to ``done`` of an Adult
run, and GET /front latency while that run trains.

Starts the real service as a subprocess on 127.0.0.1 (a free port, a temporary models
dir, ``FAIRFRONT_MAX_JOBS=1``), then:

1. POST /api/runs (Adult, MMM-Fair, 300 rounds by default) and follow its SSE stream:
   prints the POST latency, the time to the first ``round`` event and to ``done``;
2. from the first ``round`` event on, ``--clients`` threads (20), each with its own httpx
   client, GET /api/runs/{id}/front back to back for ``--seconds`` (10): prints the
   request count, errors, p50 / p95 / max latency, and how much of that window the job
   was still training.

Everything is bounded (a deadline per phase, a cap on requests per client) and stays on
loopback; the server's whole process group is killed at the end.

    python bench/bench_service.py [--rounds 300] [--clients 20] [--seconds 10] [--json PATH]

``--clients 0`` times the same run without the readers, as a baseline.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
SERVER_CODE = (
    "import sys, uvicorn\n"
    "from fairfront.service.api import create_app\n"
    "uvicorn.run(create_app(), host='127.0.0.1', port=int(sys.argv[1]), log_level='warning')\n"
)
MAX_REQUESTS_PER_CLIENT = 20_000
RUN_DEADLINE_S = 600.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def server(models_dir: Path, log_path: Path) -> Iterator[str]:
    """The service as a subprocess in its own session; its group is killed on exit."""
    port = free_port()
    env = {
        **os.environ,
        "FAIRFRONT_MODELS_DIR": str(models_dir),
        "FAIRFRONT_MAX_JOBS": "1",
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(REPO / "backend"), str(REPO), os.environ.get("PYTHONPATH")) if p
        ),
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", SERVER_CODE, str(port)],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited: {log_path.read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not answer within 60 s")
            time.sleep(0.1)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def sse_events(response: httpx.Response) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event, data) pairs of a text/event-stream response."""
    kind, data = "message", ""
    for line in response.iter_lines():
        if not line:
            if data:
                yield kind, json.loads(data)
            kind, data = "message", ""
        elif line.startswith("event:"):
            kind = line.partition(":")[2].strip()
        elif line.startswith("data:"):
            data += line.partition(":")[2].strip()


@dataclass
class Load:
    """GET /front from many clients until ``stop`` is set or the window ends."""

    url: str
    path: str
    clients: int
    seconds: float
    stop: threading.Event = field(default_factory=threading.Event)
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    points_seen: list[int] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _client(self) -> None:
        local: list[float] = []
        errors: dict[str, int] = {}
        most = 0
        end = self.started + self.seconds
        with httpx.Client(base_url=self.url, timeout=30, headers=self.headers) as client:
            for _ in range(MAX_REQUESTS_PER_CLIENT):
                if time.perf_counter() >= end or self.stop.is_set():
                    break
                t0 = time.perf_counter()
                try:
                    response = client.get(self.path)
                    body = response.content
                except httpx.HTTPError as error:
                    key = type(error).__name__
                    errors[key] = errors.get(key, 0) + 1
                    continue
                local.append(time.perf_counter() - t0)
                if response.status_code != 200:
                    key = str(response.status_code)
                    errors[key] = errors.get(key, 0) + 1
                else:
                    most = max(most, body.count(b'"round"'))
        with self._lock:
            self.latencies.extend(local)
            for key, count in errors.items():
                self.errors[key] = self.errors.get(key, 0) + count
            self.points_seen.append(most)

    def run(self) -> threading.Thread:
        def drive() -> None:
            self.started = time.perf_counter()
            threads = [
                threading.Thread(target=self._client, name=f"load-{i}", daemon=True)
                for i in range(self.clients)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=self.seconds + 60)
            self.ended = time.perf_counter()

        driver = threading.Thread(target=drive, name="load", daemon=True)
        driver.start()
        return driver


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def bench(url: str, rounds: int, clients: int, seconds: float) -> dict[str, Any]:
    body = {"dataset": "adult", "learner": "mmm_fair", "rounds": rounds}
    token = httpx.post(f"{url}/api/sessions", timeout=30).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}  # the service answers owners only
    with httpx.Client(base_url=url, timeout=60, headers=headers) as client:
        t0 = time.perf_counter()
        response = client.post("/api/runs", json=body)
        posted = time.perf_counter() - t0
        response.raise_for_status()
        run_id = response.json()["id"]
        first_round = done = None
        load: Load | None = None
        driver: threading.Thread | None = None
        n_rounds = 0
        final = "none"
        with client.stream("GET", f"/api/runs/{run_id}/events", timeout=RUN_DEADLINE_S) as stream:
            for kind, _data in sse_events(stream):
                now = time.perf_counter() - t0
                if kind == "round":
                    n_rounds += 1
                    if first_round is None:
                        first_round = now
                        if clients:
                            load = Load(
                                url, f"/api/runs/{run_id}/front", clients, seconds, headers=headers
                            )
                            driver = load.run()
                if kind in ("done", "error", "cancelled"):
                    done, final = now, kind
                    break
                if now > RUN_DEADLINE_S:
                    break
        training_ended = time.perf_counter()
        if driver is not None:
            driver.join(timeout=seconds + 90)
        status = client.get(f"/api/runs/{run_id}").json()
        front = client.get(f"/api/runs/{run_id}/front").json()

    result: dict[str, Any] = {
        "rounds": rounds,
        "post_seconds": posted,
        "first_round_seconds": first_round,
        "done_seconds": done,
        "final_event": final,
        "round_events": n_rounds,
        "status": status["status"],
        "timings": status.get("timings"),
        "front_points": len(front["points"]),
    }
    if load is not None:
        window = load.ended - load.started
        training_share = max(0.0, min(training_ended, load.ended) - load.started) / window
        result["load"] = {
            "clients": clients,
            "seconds": window,
            "requests": len(load.latencies),
            "requests_per_second": len(load.latencies) / window,
            "errors": load.errors,
            "p50_ms": 1000 * percentile(load.latencies, 0.50),
            "p95_ms": 1000 * percentile(load.latencies, 0.95),
            "max_ms": 1000 * max(load.latencies, default=float("nan")),
            "share_of_window_while_training": training_share,
            "most_points_seen": max(load.points_seen, default=0),
        }
    return result


def report(result: dict[str, Any]) -> str:
    lines = [
        f"POST /api/runs (adult, mmm_fair, {result['rounds']} rounds): "
        f"{1000 * result['post_seconds']:.1f} ms",
        f"  first round event: {result['first_round_seconds']:.2f} s after the POST",
        f"  {result['final_event']} event: {result['done_seconds']:.2f} s after the POST "
        f"({result['round_events']} round events; status {result['status']}; "
        f"{result['front_points']} points)",
    ]
    timings = result.get("timings") or {}
    if timings:
        lines.append(
            "  job timings: "
            + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items() if isinstance(v, float))
        )
    load = result.get("load")
    if load:
        lines += [
            f"GET /front, {load['clients']} concurrent clients for {load['seconds']:.1f} s "
            f"({100 * load['share_of_window_while_training']:.0f}% of it while training):",
            f"  requests {load['requests']} ({load['requests_per_second']:.0f}/s), "
            f"errors {load['errors'] or 0}",
            f"  latency p50 {load['p50_ms']:.1f} ms, p95 {load['p95_ms']:.1f} ms, "
            f"max {load['max_ms']:.1f} ms; largest front served: "
            f"{load['most_points_seen']} points",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    if not (1 <= args.rounds <= 2000 and 0 <= args.clients <= 200 and 0 < args.seconds <= 120):
        parser.error("rounds 1-2000, clients 0-200 (0: no load, a baseline), seconds 0-120")
    with tempfile.TemporaryDirectory(prefix="fairfront-bench-") as scratch:
        root = Path(scratch)
        with server(root / "models", root / "server.log") as url:
            result = bench(url, args.rounds, args.clients, args.seconds)
    result["machine"] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }
    print(report(result))
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
