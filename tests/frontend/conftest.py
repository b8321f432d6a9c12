"""Real parts for the front-end tests: the real service on a real uvicorn server bound to
127.0.0.1 (models in a temporary folder), the real Streamlit page under AppTest."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from streamlit.testing.v1 import AppTest

from fairfront.service.api import create_app
from fairfront.service.settings import Settings

REPO = Path(__file__).resolve().parents[2]
ENTRY = REPO / "backend" / "fairfront" / "page" / "streamlit_app.py"
ACTIVE = ("queued", "running", "cancelling")
APP_TIMEOUT = 60.0
"""Seconds one AppTest run may take (a chat turn may compute an explanation)."""


@dataclass
class Service:
    url: str
    client: httpx.Client
    app: Any
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def token(self) -> str:
        return str(self.client.headers["Authorization"]).removeprefix("Bearer ")

    def stop(self) -> None:
        with contextlib.suppress(httpx.HTTPError, ValueError, KeyError):
            runs = self.client.get("/api/runs", params={"limit": 500}).json()["runs"]
            for run in runs:
                if run["status"] in ACTIVE:
                    self.client.delete(f"/api/runs/{run['id']}")
        self.client.close()
        self.server.should_exit = True
        self.thread.join(timeout=15)
        # The job workers this app started (by their pids).
        services = getattr(self.app.state, "services", None)
        pool = getattr(getattr(services, "executor", None), "_pool", None)
        processes = dict(getattr(pool, "_processes", None) or {})
        for process in processes.values():
            if process.is_alive():
                process.terminate()
        for process in processes.values():
            process.join(timeout=5)
            if process.is_alive():
                process.kill()


def start_service(models_dir: Path) -> Service:
    app = create_app(Settings(models_dir=models_dir, max_jobs=1))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=3
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the uvicorn server did not start")
        time.sleep(0.02)
    url = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=url, timeout=30.0)
    token = client.post("/api/sessions").json()["token"]
    client.headers["Authorization"] = f"Bearer {token}"
    client.cookies.clear()
    return Service(url, client, app, server, thread)


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def wait_done(client: httpx.Client, run_id: str, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    run: dict[str, Any] = {}
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run_id}").json()
        if run["status"] not in ACTIVE:
            assert run["status"] == "done", run
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} still {run.get('status')!r} after {timeout} s")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    running = start_service(tmp_path_factory.mktemp("frontend") / "models")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def compas_run(service: Service) -> dict[str, Any]:
    """A chat session whose 20-round COMPAS run is done: ``{session_id, run_id, front}``."""
    session_id = service.client.post("/api/chat/sessions").json()["id"]
    reply = service.client.post(
        "/api/chat",
        json={
            "session_id": session_id,
            "message": "use compas, protect race and sex, train with 20 rounds",
        },
    ).json()
    run_id = reply["run_id"]
    assert run_id, reply
    wait_done(service.client, run_id)
    front = service.client.get(f"/api/runs/{run_id}/front").json()
    return {"session_id": session_id, "run_id": run_id, "front": front}


@pytest.fixture
def app_test(service: Service, monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    """``app_test(api_url=None, **state)``: the page against the service (or another URL),
    with session-state keys set before the first run."""

    def make(api_url: str | None = None, **session: Any) -> AppTest:
        monkeypatch.setenv("FAIRFRONT_API_URL", api_url or service.url)
        at = AppTest.from_file(str(ENTRY), default_timeout=APP_TIMEOUT)
        # The page acts as the fixtures' owner (a browser's cookie would say who it is).
        session.setdefault("owner_token", service.token)
        for key, value in session.items():
            at.session_state[key] = value
        return at

    return make


# ----- reading and driving the page -------------------------------------------------------


def texts(at: AppTest) -> list[str]:
    """Every chat message's Markdown, in order."""
    return ["\n".join(m.value for m in message.markdown) for message in at.chat_message]


def no_traceback(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not [e.value for e in at.error if "server log has the details" in e.value]


def chart(at: AppTest, key: str) -> Any:
    """The Plotly chart element whose key ends ``key`` (e.g. ``chat-front``)."""
    found = [c for c in at.get("plotly_chart") if str(c.proto.id).endswith(f"-{key}")]
    assert found, [c.proto.id for c in at.get("plotly_chart")]
    return found[0]


def click_point(at: AppTest, key: str, round_: int, *, on_chart: bool = True) -> AppTest:
    """Send what the browser sends when a point of the chart is clicked: the chart's
    selection state, with the point's round in ``customdata`` (``on_chart=False``: a
    round the chart does not show, as a stale or forged event would name)."""
    element = chart(at, key)
    figure = json.loads(element.proto.spec)
    found = [
        (number, index, trace)
        for number, trace in enumerate(figure["data"])
        for index, data in enumerate(trace.get("customdata") or [])
        if data and data[0] == round_
    ]
    assert bool(found) == on_chart, f"round {round_} on chart {key}: {bool(found)}"
    number, index, trace = found[0] if found else (0, 0, {"x": [0.0], "y": [0.0]})
    point = {
        "curve_number": number,
        "point_number": index,
        "point_index": index,
        "x": trace["x"][index],
        "y": trace["y"][index],
        "customdata": [round_],
    }
    states = at._tree.get_widget_states()
    widget = states.widgets.add()
    widget.id = element.proto.id
    widget.string_value = json.dumps(
        {"selection": {"points": [point], "point_indices": [index], "box": [], "lasso": []}}
    )
    return at._run(states)


def run_until(at: AppTest, done: Callable[[AppTest], bool], timeout: float = 120.0) -> AppTest:
    """Rerun the page (as its one-second refresh would) until ``done(at)``."""
    deadline = time.monotonic() + timeout
    while True:
        at.run()
        no_traceback(at)
        if done(at):
            return at
        if time.monotonic() > deadline:
            raise AssertionError(f"not done after {timeout} s; chat: {texts(at)[-3:]}")
        time.sleep(0.3)


# ----- a real browser against `fairfront serve` ------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's Chromium; installed with apt-get when missing (CI runs as root)."""
    if CHROMIUM.exists():
        return CHROMIUM
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.skip("/usr/bin/chromium is missing and apt-get cannot install it here (not root)")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=900, env=environment, check=False
        )
        if done.returncode != 0:
            pytest.skip(
                f"/usr/bin/chromium is missing and `{' '.join(command)}` failed: "
                f"{done.stderr.strip()[-300:]}"
            )
    if not CHROMIUM.exists():
        pytest.skip("apt-get installed chromium, but not at /usr/bin/chromium")
    return CHROMIUM


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    url: str
    api_url: str
    log: Path
    ports: tuple[int, int]


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out.append(int(stat.parent.name))
    return out


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """`fairfront serve` on two free loopback ports, models in tmp_path."""
    api_port, ui_port = free_ports(2)
    log = tmp_path / "serve.log"
    script = Path(sys.executable).with_name("fairfront")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]
    command += ["serve", "--api-port", str(api_port), "--ui-port", str(ui_port)]
    environment = {
        **os.environ,
        "FAIRFRONT_MODELS_DIR": str(tmp_path / "models"),
        "FAIRFRONT_MAX_JOBS": "1",
    }
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            cwd=tmp_path,  # any folder: serve finds frontend/ beside the app package
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{ui_port}"
    deadline = time.monotonic() + 120
    while "fairfront is running at" not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"fairfront serve did not start:\n{log.read_text(errors='replace')}")
        time.sleep(0.2)
    assert f"fairfront is running at {url}" in log.read_text()
    served = Served(process, url, f"http://127.0.0.1:{api_port}", log, (api_port, ui_port))
    yield served
    if process.poll() is None:  # the test failed before its own Ctrl-C
        children = _children(process.pid)
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            for child in children:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child, signal.SIGKILL)
            process.wait()
