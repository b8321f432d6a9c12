"""Real parts for the service tests: a SQLite file in tmp_path, the real app on a real
uvicorn server bound to 127.0.0.1, and an httpx client that reads the SSE stream."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
GERMAN_CSV = REPO / "backend" / "fairfront" / "datasets" / "data" / "german.csv.gz"
ACTIVE = ("queued", "running", "cancelling")
TERMINAL = ("done", "failed", "cancelled")
FINAL_EVENTS = ("done", "error", "cancelled")


# ----- SSE --------------------------------------------------------------------------
@dataclass
class Event:
    id: int | None
    event: str
    data: Any


def iter_sse(response: httpx.Response) -> Iterator[Event]:
    """Parse a ``text/event-stream`` response into events (comments and retry skipped)."""
    fields: dict[str, list[str]] = {}
    for line in response.iter_lines():
        if line == "":
            if "data" in fields or "event" in fields:
                raw_id = fields.get("id", [None])[-1]
                data = "\n".join(fields.get("data", []))
                yield Event(
                    id=int(raw_id) if raw_id is not None else None,
                    event=fields.get("event", ["message"])[-1],
                    data=json.loads(data) if data else None,
                )
            fields = {}
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        fields.setdefault(name, []).append(value.removeprefix(" "))


def read_events(
    client: httpx.Client,
    run_id: str,
    *,
    last_event_id: str | None = None,
    until: Callable[[Event], bool] | None = None,
    timeout: float = 60.0,
) -> list[Event]:
    """Follow a run's stream until a final event (or ``until`` says stop)."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id is not None else {}
    events: list[Event] = []
    deadline = time.monotonic() + timeout
    with client.stream(
        "GET", f"/api/runs/{run_id}/events", headers=headers, timeout=timeout
    ) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        for event in iter_sse(response):
            events.append(event)
            if event.event in FINAL_EVENTS or (until is not None and until(event)):
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"stream of run {run_id} did not end in {timeout} s")
    return events


def wait_status(
    client: httpx.Client, run_id: str, statuses: tuple[str, ...], timeout: float = 60.0
) -> dict[str, Any]:
    """Poll GET /api/runs/{id} until its status is one of ``statuses``."""
    deadline = time.monotonic() + timeout
    run: dict[str, Any] = {}
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run_id}").json()
        if run.get("status") in statuses:
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} still {run.get('status')!r} after {timeout} s")


def compas_body(rounds: int = 30, **extra: Any) -> dict[str, Any]:
    return {"dataset": "compas", "rounds": rounds, **extra}


# ----- the server, as a subprocess ------------------------------------------------------
# The app runs in its own process, not in a thread of the test process: on Python 3.11.7,
# a server thread formatting a traceback (an unexpected 500) while pytest formats a
# failure can crash pytest itself ("AST constructor recursion depth mismatch",
# CPython gh-106905). A subprocess also lets a test SIGKILL the server and its workers.
SERVER_CODE = """\
import json, sys, uvicorn
from fairfront.service.api import create_app
from fairfront.service.settings import Settings
port, overrides = int(sys.argv[1]), json.loads(sys.argv[2])
app = create_app(Settings(**overrides)) if overrides else create_app()
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=2)
"""


def owner_client(url: str, access_token: str | None = None) -> httpx.Client:
    """A client with an owner of its own: it opens a session and sends its token."""
    client = httpx.Client(base_url=url, timeout=30.0)
    body = {"access_token": access_token} if access_token else None
    response = client.post("/api/sessions", json=body)
    assert response.status_code == 201, response.text
    client.headers["Authorization"] = f"Bearer {response.json()['token']}"
    client.cookies.clear()  # the bearer token alone says who this is
    return client


def chat_session(client: httpx.Client) -> str:
    """A chat session issued by the service to the client's owner."""
    response = client.post("/api/chat/sessions")
    assert response.status_code == 201, response.text
    session_id: str = response.json()["id"]
    return session_id


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    """The real app on a real uvicorn server (a subprocess in its own session)."""

    process: subprocess.Popen[bytes]
    url: str
    models_dir: Path
    log: Path
    client: httpx.Client

    @property
    def token(self) -> str:
        """The owner token of :attr:`client` (every test acts as this owner by default)."""
        return str(self.client.headers["Authorization"]).removeprefix("Bearer ")

    def new_client(self, **kwargs: Any) -> httpx.Client:
        """Another connection acting for the same owner as :attr:`client`."""
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        timeout = kwargs.pop("timeout", 30.0)
        return httpx.Client(base_url=self.url, timeout=timeout, headers=headers, **kwargs)

    def other_owner(self) -> httpx.Client:
        """A client acting for a new owner of its own."""
        return owner_client(self.url)

    def kill_group(self) -> None:
        """SIGKILL the server and every process in its group (its job workers)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def group_alive(self) -> bool:
        """True while a process of the server's group still runs (zombies do not count:
        killed orphans wait for init to reap them)."""
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[2]) == self.process.pid and fields[0] not in ("Z", "X"):
                return True
        return False

    def stop(self) -> None:
        """Cancel what still trains, ask the server to stop, then kill its group."""
        if self.process.poll() is None:
            _cancel_active(self.client)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
        self.client.close()
        self.kill_group()


def _cancel_active(client: httpx.Client, timeout: float = 3.0) -> None:
    """Cancel the runs still going so that no worker trains on after the test."""
    with contextlib.suppress(httpx.HTTPError, ValueError, KeyError):
        runs = client.get("/api/runs", params={"limit": 500}).json()["runs"]
        active = [r["id"] for r in runs if r["status"] in ACTIVE]
        for run_id in active:
            client.delete(f"/api/runs/{run_id}")
        deadline = time.monotonic() + timeout
        while active and time.monotonic() < deadline:
            active = [
                run_id
                for run_id in active
                if client.get(f"/api/runs/{run_id}").json()["status"] in ACTIVE
            ]
            time.sleep(0.1)


def start_server(
    models_dir: Path, log: Path, settings: dict[str, Any] | None = None, **env: str
) -> LiveServer:
    """Serve ``create_app(Settings(models_dir=..., **settings))`` on a free loopback port.

    ``settings=None`` starts ``create_app()`` as deployed: settings from FAIRFRONT_*
    variables (FAIRFRONT_MODELS_DIR=models_dir, FAIRFRONT_MAX_JOBS=1, plus ``env``).
    """
    overrides = None if settings is None else {"models_dir": str(models_dir), **settings}
    environment = {
        **os.environ,
        "FAIRFRONT_MODELS_DIR": str(models_dir),
        "FAIRFRONT_MAX_JOBS": "1",
        **env,
    }
    environment["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO / "backend"), str(REPO), environment.get("PYTHONPATH")) if p
    )
    for _attempt in range(3):  # another process may take the free port first
        port = free_port()
        with log.open("ab") as sink:
            process = subprocess.Popen(
                [sys.executable, "-c", SERVER_CODE, str(port), json.dumps(overrides or {})],
                cwd=REPO,
                env=environment,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    access = (settings or {}).get("access_token")
                    client = owner_client(url, access)
                    return LiveServer(process, url, models_dir, log, client)
            time.sleep(0.1)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    raise RuntimeError(f"the server did not start: {log.read_text(errors='replace')[-3000:]}")


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """``spawn(models_dir)`` starts the service as deployed (``create_app()``, settings
    from the environment); every server it started is stopped after the test."""
    started: list[LiveServer] = []

    def _spawn(models_dir: Path, **env: str) -> LiveServer:
        server = start_server(models_dir, tmp_path / f"server-{len(started)}.log", **env)
        started.append(server)
        return server

    yield _spawn
    for server in started:
        server.stop()


def module_server(
    factory: pytest.TempPathFactory, name: str, **settings: Any
) -> Iterator[LiveServer]:
    """For module fixtures: a server on a fresh models dir with these Settings."""
    root = factory.mktemp(name)
    server = start_server(root / "models", root / "server.log", {"max_jobs": 1, **settings})
    yield server
    server.stop()
