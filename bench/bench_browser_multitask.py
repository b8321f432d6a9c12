"""The first multi-task point on the page: from the chat message that starts a run to
the point drawn in a real browser, against the same run through the REST API alone.

Starts ``fairfront serve`` (service and page, a temporary models dir, one job at a
time) and Debian's Chromium (Playwright; never a browser download). Each repeat times
three paths to the first FairBranch epoch on COMPAS (tasks two_year_recid and
is_violent_recid, race protected), one after the other in the same process:

1. **rest**: ``POST /api/runs`` with the tasks, then the SSE stream to its first
   ``round`` event (the baseline);
2. **chat API**: the chat's set-up messages through ``POST /api/chat``, then the time
   from posting ``train`` to the first ``round`` event of the run it starts;
3. **browser**: a fresh browser profile on a blank page; the set-up messages typed into
   the chat; then the time from pressing Enter on ``train`` to the first point drawn in
   the Plotly chart (a MutationObserver in the page notes when the first marker appears).

For the browser path the run's stored times split the wait: Enter -> run created (the
page's chat turn), created -> started (the job queue), started -> first ``round``
event stored (dataset load and the first epoch), event -> drawn (the page's poll and
redraw). Every repeat waits for its runs to end before the next one starts. Prints the
load average before and after (other processes share the CPUs).

    python bench/bench_browser_multitask.py [--epochs 20] [--repeats 3] [--warm 0]

``--warm S`` waits S seconds after the service answers before the first repeat
(a person reading the page); by default the first repeat meets the service as it starts.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from bench_service import sse_events

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
TASKS = ["two_year_recid", "is_violent_recid"]
SETUP = (
    "use compas, predict two_year_recid and is_violent_recid together, protect race",
    "multi-task learning with fairbranch, {epochs} epochs",
)
SERVED_AT: list[float] = []
"""When ``fairfront serve`` said it was running (seconds since the epoch)."""
WATCH_FIRST_POINT = """() => {
    window.__firstPoint = null;
    window.__sent = performance.timeOrigin + performance.now();
    const seen = () => document.querySelector(
        '.js-plotly-plot .scatterlayer .trace path.point');
    const observer = new MutationObserver(() => {
        if (window.__firstPoint === null && seen()) {
            window.__firstPoint = performance.timeOrigin + performance.now();
            observer.disconnect();
        }
    });
    observer.observe(document.body, {childList: true, subtree: true});
}"""


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@contextlib.contextmanager
def serve(models_dir: Path, log_path: Path) -> Iterator[tuple[str, str]]:
    """``fairfront serve`` in its own session: (page URL, API URL); its group is
    stopped with SIGINT (as Ctrl-C would), then killed if it lingers."""
    api_port, ui_port = free_ports(2)
    env = {
        **os.environ,
        "FAIRFRONT_MODELS_DIR": str(models_dir),
        "FAIRFRONT_MAX_JOBS": "1",
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(REPO / "backend"), str(REPO), os.environ.get("PYTHONPATH")) if p
        ),
    }
    command = [sys.executable, "-m", "app.cli", "serve"]
    command += ["--api-port", str(api_port), "--ui-port", str(ui_port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=models_dir.parent,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 180
        while "fairfront is running at" not in log_path.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"fairfront serve did not start:\n{log_path.read_text()}")
            time.sleep(0.1)
        SERVED_AT.append(time.time())
        yield f"http://127.0.0.1:{ui_port}", f"http://127.0.0.1:{api_port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def owner_client(api_url: str, token: str | None = None) -> httpx.Client:
    if token is None:
        token = httpx.post(f"{api_url}/api/sessions", timeout=30).json()["token"]
    return httpx.Client(base_url=api_url, timeout=600, headers={"Authorization": f"Bearer {token}"})


def first_round(client: httpx.Client, run_id: str, started: float) -> tuple[float, float]:
    """(seconds to the first ``round`` event, seconds to the run's end) from ``started``."""
    first = None
    with client.stream("GET", f"/api/runs/{run_id}/events") as stream:
        for kind, _ in sse_events(stream):
            if kind == "round" and first is None:
                first = time.perf_counter() - started
            if kind in ("done", "error", "cancelled"):
                if kind != "done":
                    raise RuntimeError(f"run {run_id} ended with {kind}")
                break
    assert first is not None
    return first, time.perf_counter() - started


def rest_path(api_url: str, epochs: int) -> dict[str, float]:
    body = {
        "dataset": "compas",
        "learner": "fairbranch",
        "tasks": [{"name": t} for t in TASKS],
        "protected": ["race"],
        "epochs": epochs,
    }
    with owner_client(api_url) as client:
        started = time.perf_counter()
        created = client.post("/api/runs", json=body)
        created.raise_for_status()
        first, done = first_round(client, created.json()["id"], started)
    return {"first": first, "done": done}


def chat_path(api_url: str, epochs: int) -> dict[str, float]:
    with owner_client(api_url) as client:
        session = client.post("/api/chat/sessions").json()["id"]
        for message in SETUP:
            reply = client.post(
                "/api/chat", json={"session_id": session, "message": message.format(epochs=epochs)}
            )
            reply.raise_for_status()
        started = time.perf_counter()
        reply = client.post("/api/chat", json={"session_id": session, "message": "train"})
        reply.raise_for_status()
        run_id = reply.json()["run_id"]
        if not run_id:
            raise RuntimeError(f"the chat started no run: {reply.json()['reply']}")
        first, done = first_round(client, run_id, started)
    return {"first": first, "done": done}


def _epoch(stamp: str | None) -> float:
    """A stored time (ISO, UTC when naive) as seconds since the epoch."""
    assert stamp is not None
    moment = datetime.fromisoformat(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _first_event_time(database: Path, run_id: str) -> float:
    with contextlib.closing(sqlite3.connect(database)) as db:
        (stamp,) = db.execute(
            "SELECT created FROM events WHERE run_id = ? AND kind = 'round' ORDER BY seq LIMIT 1",
            (run_id,),
        ).fetchone()
    return _epoch(stamp)


def browser_path(
    playwright: Any, page_url: str, api_url: str, database: Path, epochs: int, profile: Path
) -> dict[str, float]:
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        args=CHROMIUM_ARGS,
        headless=True,
        viewport={"width": 1500, "height": 1400},
    )
    try:
        page = context.new_page()
        page.goto(page_url, wait_until="domcontentloaded")
        chat = page.get_by_test_id("stChatInputTextArea")
        chat.first.wait_for(timeout=120_000)

        def send(text: str) -> None:
            playwright_expect(chat).to_have_count(1, timeout=60_000)
            chat.fill(text)
            chat.press("Enter")

        send(SETUP[0])
        page.get_by_text("predicting two_year_recid and is_violent_recid").first.wait_for(
            timeout=120_000
        )
        send(SETUP[1].format(epochs=epochs))
        page.get_by_text(f"Epochs: {epochs}").first.wait_for(timeout=60_000)
        playwright_expect(chat).to_have_count(1, timeout=60_000)
        page.evaluate(WATCH_FIRST_POINT)
        chat.fill("train")
        chat.press("Enter")
        page.wait_for_function("() => window.__firstPoint !== null", timeout=300_000)
        sent, drawn = page.evaluate("() => [window.__sent, window.__firstPoint]")
        page.get_by_text("Training finished").first.wait_for(timeout=300_000)
        done = time.time() - sent / 1000
        token = next(c["value"] for c in context.cookies() if c["name"] == "fairfront_page_owner")
    finally:
        context.close()
    with owner_client(api_url, token) as client:
        (run,) = client.get("/api/runs").json()["runs"]
        record = client.get(f"/api/runs/{run['id']}").json()
    sent_s, drawn_s = sent / 1000, drawn / 1000
    created, started = _epoch(record["created"]), _epoch(record["started"])
    event = _first_event_time(database, run["id"])
    return {
        "first": drawn_s - sent_s,
        "done": done,
        "service_age": sent_s - SERVED_AT[-1],
        "to_created": created - sent_s,
        "to_started": started - created,
        "to_event": event - started,
        "to_drawn": drawn_s - event,
    }


def playwright_expect(locator: Any) -> Any:
    from playwright.sync_api import expect

    return expect(locator)


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _cell(values: list[float]) -> str:
    median = statistics.median(values)
    return f"{median:6.2f} s  (" + ", ".join(f"{v:.2f}" for v in values) + ")"


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warm", type=float, default=0.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit("/usr/bin/chromium is missing (apt-get install chromium)")
    print(f"load average before: {load_average()} ({os.cpu_count()} CPUs)")
    results: dict[str, list[dict[str, float]]] = {"rest": [], "chat API": [], "browser": []}
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        root = Path(folder)
        (root / "models").mkdir()
        with serve(root / "models", root / "serve.log") as (page_url, api_url):
            time.sleep(args.warm)
            for n in range(args.repeats):
                results["browser"].append(
                    browser_path(
                        playwright,
                        page_url,
                        api_url,
                        root / "models" / "fairfront.db",
                        args.epochs,
                        root / f"profile-{n}",
                    )
                )
                results["rest"].append(rest_path(api_url, args.epochs))
                results["chat API"].append(chat_path(api_url, args.epochs))
    print(f"load average after:  {load_average()}")
    print(
        f"FairBranch on COMPAS ({', '.join(TASKS)}; race), {args.epochs} epochs, "
        f"{args.repeats} repeats (median, then each):"
    )
    rest = statistics.median(r["first"] for r in results["rest"])
    print(f"{'path':>9}  {'first point':<30} {'x rest':>7}   run done")
    for path, rows in results.items():
        first = [r["first"] for r in rows]
        ratio = statistics.median(first) / rest
        done = statistics.median(r["done"] for r in rows)
        print(f"{path:>9}  {_cell(first):<30} {ratio:6.2f}x   {done:.2f} s")
    ages = ", ".join(f"{r['service_age']:.0f}" for r in results["browser"])
    print(f"browser: 'train' sent {ages} s after fairfront serve was up (each repeat)")
    print("browser, where the first point's wait goes (median s):")
    for key, label in (
        ("to_created", "Enter -> run created (page's chat turn)"),
        ("to_started", "created -> job started (queue, worker)"),
        ("to_event", "started -> first round stored (load, epoch 1)"),
        ("to_drawn", "stored -> drawn (page poll, redraw)"),
    ):
        print(f"  {label:<48} {statistics.median(r[key] for r in results['browser']):.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
