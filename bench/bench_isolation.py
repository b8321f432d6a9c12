"""Isolation under load: ``/api/health`` latency while runs are queued, SSE clients
follow them and a hanging LLM holds chat requests.

Starts the real service as a subprocess on 127.0.0.1 (temporary models dir, one job at
a time) with its LLM pointed at a loopback OpenAI-compatible stub that never answers
(``tests/service/llm_stub.py`` in hang mode), then:

1. baseline: GET /api/health at ``--rate`` per second for ``--seconds`` on the idle
   service;
2. load (after one chat turn to warm the chat's dataset facts, then the stub hangs):
   ``--runs`` COMPAS runs queued (one trains, the rest wait), ``--sse`` clients
   following their event streams, ``--chats`` chat turns sent at once (each waits on
   the hanging model until its turn's deadline, or falls back at once when the LLM pool
   is full); then GET /api/health again for ``--seconds``.

Prints p50 / p95 / max of both phases, their p95 ratio, and how the chats ended.

    python bench/bench_isolation.py [--runs 20] [--sse 20] [--chats 40] [--seconds 10]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from bench.bench_service import free_port, percentile  # noqa: E402
from tests.service.llm_stub import LLMStub  # noqa: E402

SERVER_CODE = (
    "import sys, uvicorn\n"
    "from fairfront.service.api import create_app\n"
    "uvicorn.run(create_app(), host='127.0.0.1', port=int(sys.argv[1]), log_level='warning')\n"
)


@contextlib.contextmanager
def server(models_dir: Path, log_path: Path, env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    environment = {
        **os.environ,
        "FAIRFRONT_MODELS_DIR": str(models_dir),
        "FAIRFRONT_MAX_JOBS": "1",
        **env,
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(REPO / "backend"), str(REPO), os.environ.get("PYTHONPATH")) if p
        ),
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", SERVER_CODE, str(port)],
            cwd=REPO,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            if process.poll() is not None:
                raise RuntimeError(log_path.read_text(errors="replace")[-2000:])
            time.sleep(0.2)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def health_latencies(url: str, seconds: float, rate: float) -> tuple[list[float], int]:
    """GET /api/health every 1/rate s for ``seconds``: latencies and failures."""
    latencies: list[float] = []
    failures = 0
    with httpx.Client(base_url=url, timeout=10) as client:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            try:
                ok = client.get("/api/health").status_code == 200
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - t0)
            failures += not ok
            time.sleep(max(0.0, 1 / rate - (time.perf_counter() - t0)))
    return latencies, failures


def summary(latencies: list[float]) -> dict[str, float]:
    return {
        "n": len(latencies),
        "p50_ms": 1000 * percentile(latencies, 0.5),
        "p95_ms": 1000 * percentile(latencies, 0.95),
        "max_ms": 1000 * max(latencies),
    }


def bench(args: argparse.Namespace) -> dict[str, Any]:
    with (
        LLMStub() as stub,
        tempfile.TemporaryDirectory(prefix="fairfront-isolation-") as tmp,
    ):
        env = {
            "FAIRFRONT_LLM_BASE_URL": stub.base_url,
            "FAIRFRONT_LLM_MODEL": "stub",
            "FAIRFRONT_LLM_DEADLINE": str(args.llm_deadline),
            "FAIRFRONT_MAX_QUEUED": str(max(50, args.runs + 1)),
        }
        with server(Path(tmp) / "models", Path(tmp) / "server.log", env) as url:
            token = httpx.post(f"{url}/api/sessions", timeout=30).json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            idle, idle_failures = health_latencies(url, args.seconds, args.rate)
            with httpx.Client(base_url=url, timeout=120, headers=headers) as client:
                # Warm: the chat's facts about the built-in datasets are loaded once.
                session = client.post("/api/chat/sessions").json()["id"]
                client.post("/api/chat", json={"session_id": session, "message": "hi"})
            stub.hang()

            stop = threading.Event()
            with httpx.Client(base_url=url, timeout=30, headers=headers) as client:
                runs = []
                for _ in range(args.runs):
                    response = client.post("/api/runs", json={"dataset": "compas", "rounds": 300})
                    response.raise_for_status()
                    runs.append(response.json()["id"])
                sessions = [
                    client.post("/api/chat/sessions").json()["id"] for _ in range(args.chats)
                ]
            streamed = [0] * args.sse

            def follow(index: int) -> None:
                run_id = runs[index % len(runs)]
                with (
                    contextlib.suppress(httpx.HTTPError),
                    httpx.Client(base_url=url, timeout=600, headers=headers) as sse,
                    sse.stream("GET", f"/api/runs/{run_id}/events") as response,
                ):
                    for line in response.iter_lines():
                        if line.startswith("event:"):
                            streamed[index] += 1
                        if stop.is_set():
                            return

            chats: list[tuple[int, float]] = []
            lock = threading.Lock()

            def chat(session_id: str) -> None:
                t0 = time.perf_counter()
                with httpx.Client(base_url=url, timeout=120, headers=headers) as c:
                    body = {"session_id": session_id, "message": "use compas, protect race"}
                    try:
                        status = c.post("/api/chat", json=body).status_code
                    except httpx.HTTPError as error:
                        status = -1
                        print(f"chat failed: {error!r}", file=sys.stderr)
                with lock:
                    chats.append((status, time.perf_counter() - t0))

            threads = [
                threading.Thread(target=follow, args=(i,), daemon=True) for i in range(args.sse)
            ]
            threads += [threading.Thread(target=chat, args=(s,), daemon=True) for s in sessions]
            for thread in threads:
                thread.start()
            time.sleep(0.5)  # every chat has been sent
            loaded, loaded_failures = health_latencies(url, args.seconds, args.rate)
            statuses = httpx.get(
                f"{url}/api/runs", params={"limit": 500}, headers=headers, timeout=120
            ).json()["runs"]
            queued = sum(r["status"] == "queued" for r in statuses)
            running = sum(r["status"] == "running" for r in statuses)
            stop.set()
            for thread in threads[args.sse :]:
                thread.join(timeout=args.llm_deadline + 30)
            with httpx.Client(base_url=url, timeout=30, headers=headers) as client:
                for run_id in runs:
                    client.delete(f"/api/runs/{run_id}")
            stub.release()
    chat_seconds = sorted(s for _, s in chats)
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "idle": {**summary(idle), "failures": idle_failures},
        "loaded": {**summary(loaded), "failures": loaded_failures},
        "p95_ratio_loaded_to_idle": percentile(loaded, 0.95) / percentile(idle, 0.95),
        "during_load": {
            "runs_queued": queued,
            "runs_running": running,
            "sse_clients": args.sse,
            "sse_events_seen": sum(streamed),
            "chats_sent": args.chats,
        },
        "chats": {
            "answered": len(chats),
            "statuses": sorted({status for status, _ in chats}),
            "fast_under_1s": sum(s < 1 for s in chat_seconds),
            "held_to_the_deadline": sum(s >= args.llm_deadline * 0.9 for s in chat_seconds),
            "p50_s": percentile(chat_seconds, 0.5),
            "max_s": chat_seconds[-1] if chat_seconds else None,
        },
    }


def report(result: dict[str, Any]) -> str:
    idle, loaded, during = result["idle"], result["loaded"], result["during_load"]
    chats = result["chats"]
    return "\n".join(
        [
            f"/api/health, {result['args']['seconds']:g} s at {result['args']['rate']:g}/s "
            f"(Python {result['python']}, {result['cpus']} CPUs)",
            f"  idle:   n={idle['n']}  p50 {idle['p50_ms']:.1f} ms  p95 {idle['p95_ms']:.1f} ms"
            f"  max {idle['max_ms']:.1f} ms  failures {idle['failures']}",
            f"  loaded: n={loaded['n']}  p50 {loaded['p50_ms']:.1f} ms  p95 "
            f"{loaded['p95_ms']:.1f} ms  max {loaded['max_ms']:.1f} ms  failures "
            f"{loaded['failures']}",
            f"  p95 loaded / idle: {result['p95_ratio_loaded_to_idle']:.2f}x",
            f"  load: {during['runs_queued']} runs queued + {during['runs_running']} running, "
            f"{during['sse_clients']} SSE clients ({during['sse_events_seen']} events seen), "
            f"{during['chats_sent']} chats on a hanging LLM",
            f"  chats: {chats['answered']} answered, HTTP {chats['statuses']}, "
            f"{chats['fast_under_1s']} in under 1 s (LLM pool full: built-in parser), "
            f"{chats['held_to_the_deadline']} held to the "
            f"{result['args']['llm_deadline']:g} s deadline; median {chats['p50_s']:.1f} s, "
            f"slowest {chats['max_s']:.1f} s",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--sse", type=int, default=20)
    parser.add_argument("--chats", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=20.0, help="health requests per second")
    parser.add_argument("--llm-deadline", type=float, default=15.0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    result = bench(args)
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
