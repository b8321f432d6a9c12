"""``fairfront api`` (the web service) and ``fairfront serve`` (service and web page)."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = [
    "add_api_arguments",
    "add_page_arguments",
    "add_serve_arguments",
    "api_command",
    "page_command",
    "serve_command",
]

_HOST = "127.0.0.1"


def api_command(args: argparse.Namespace) -> int:
    """Run the FastAPI service under uvicorn until stopped."""
    import uvicorn

    from fairfront.service.api import create_app
    from fairfront.service.identity import check_exposure
    from fairfront.service.settings import get_settings

    try:
        check_exposure(args.host, get_settings())
    except ValueError as error:
        print(f"fairfront api: {error}", file=sys.stderr)
        return 2
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="info")
    return 0


def _check_ports_free(ports: tuple[int, ...]) -> None:
    """``ValueError`` unless every port can be bound on the host (so that another
    server's health endpoint is not mistaken for ours)."""
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((_HOST, port))
            except OSError as error:
                raise ValueError(
                    f"port {port} on {_HOST} is not free ({error.strerror}); "
                    "choose others with --api-port and --ui-port"
                ) from error


def _web_page_entry() -> Path:
    """The Streamlit script of the web page, shipped inside the package (found with
    :mod:`importlib.resources`, so an installed wheel serves it from any directory)."""
    entry = Path(str(resources.files("fairfront") / "page" / "streamlit_app.py"))
    if not entry.is_file():
        raise FileNotFoundError(
            f"the web page is not at {entry}; reinstall fairfront (`pip install .`)"
        )
    return entry


def _page_command(entry: Path, host: str, port: int) -> list[str]:
    """Streamlit serving the web page on ``host:port``."""
    return [
            sys.executable, "-m", "streamlit", "run", str(entry),
            "--server.headless", "true",
            "--server.address", host,
            "--server.port", str(port),
            "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
            "--client.toolbarMode", "viewer",
            "--client.showErrorDetails", "none",
    ]  # fmt: skip


def page_command(args: argparse.Namespace) -> int:
    """Run the web page alone (the service is at ``FAIRFRONT_API_URL``) until stopped."""
    command = _page_command(_web_page_entry(), args.host, args.port)
    os.execv(command[0], command)  # noqa: S606 - our own interpreter, no shell
    return 0  # pragma: no cover - execv does not return


def _child_commands(entry: Path, api_port: int, ui_port: int) -> dict[str, list[str]]:
    """The command line of each child process, by name, in start order."""
    return {
        "service": [
            sys.executable, "-m", "app.cli", "api", "--host", _HOST, "--port", str(api_port),
        ],
        "web page": _page_command(entry, _HOST, ui_port),
    }  # fmt: skip


class _Children:
    """The child processes of ``serve``, and whether a stop signal has arrived."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.stopping: list[int] = []
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def on_signal(self, signum: int, _frame: Any) -> None:
        self.stopping.append(signum)

    def start(self, name: str, command: list[str], cwd: Path, env: dict[str, str]) -> None:
        # Each child leads its own process group: a signal reaches it once, from
        # here, and the service's job workers stop with it.
        self.processes[name] = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
            command, cwd=cwd, env=env, start_new_session=True
        )

    def ended(self) -> str | None:
        """The name of a child that has exited, if any."""
        return next((name for name, p in self.processes.items() if p.poll() is not None), None)

    def wait_until_up(self, url: str) -> bool:
        """Whether ``url`` answered 200 before the timeout, a signal or a child's exit."""
        import httpx

        deadline = time.monotonic() + self.timeout
        while not self.stopping and self.ended() is None and time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=2.0, trust_env=False).status_code == 200:
                    return True
            time.sleep(0.2)
        return False

    def stop_all(self) -> None:
        """SIGTERM each live child's group, wait up to 10 s in all, then SIGKILL the groups."""
        for process in self.processes.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
        for process in self.processes.values():  # what ignored SIGTERM, job workers included
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _run_children(
    children: _Children,
    commands: dict[str, list[str]],
    health: dict[str, str],
    repo: Path,
    env: dict[str, str],
    running_message: str,
) -> str | None:
    """Start each child and wait for its health URL, then wait for a signal or an exit.

    Returns what went wrong, or None when a signal stopped a healthy pair.
    """
    for name, command in commands.items():
        children.start(name, command, repo, env)
        if not children.wait_until_up(health[name]):
            if children.stopping:
                return None
            gone = children.ended()
            if gone:
                return f"the {gone} exited with code {children.processes[gone].returncode}"
            return f"the {name} did not answer at {health[name]} within {children.timeout:.0f} s"
    print(running_message)
    sys.stdout.flush()
    while not children.stopping and (gone := children.ended()) is None:
        time.sleep(0.2)
    if children.stopping:
        return None
    return f"the {gone} stopped (exit code {children.processes[str(gone)].returncode})"


def serve_command(args: argparse.Namespace) -> int:
    """Start the service (``fairfront api``) and the web page (Streamlit) on 127.0.0.1,
    wait until both answer, print the address; SIGINT or SIGTERM stops both."""
    if args.api_port == args.ui_port:
        raise ValueError("--api-port and --ui-port must differ")
    _check_ports_free((args.api_port, args.ui_port))
    workdir = Path.cwd()  # the service's models/ folder defaults to one here
    entry = _web_page_entry()
    api_url, ui_url = f"http://{_HOST}:{args.api_port}", f"http://{_HOST}:{args.ui_port}"
    env = {**os.environ, "FAIRFRONT_API_URL": api_url}
    commands = _child_commands(entry, args.api_port, args.ui_port)
    health = {"service": f"{api_url}/api/health", "web page": f"{ui_url}/_stcore/health"}
    running = f"fairfront is running at {ui_url} (service: {api_url}); Ctrl-C stops both."
    children = _Children(args.timeout)
    previous = {s: signal.signal(s, children.on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        problem = _run_children(children, commands, health, workdir, env, running)
    finally:
        children.stop_all()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if problem:
        print(f"fairfront serve: error: {problem}", file=sys.stderr)
        return 1
    print("fairfront stopped.", file=sys.stderr)
    return 0


def add_api_arguments(api: argparse.ArgumentParser) -> None:
    """The options of ``api``."""
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int, default=8000)


def add_page_arguments(page: argparse.ArgumentParser) -> None:
    """The options of ``page``."""
    page.add_argument("--host", default="127.0.0.1")
    page.add_argument("--port", type=int, default=8501)


def add_serve_arguments(se: argparse.ArgumentParser) -> None:
    """The options of ``serve``."""
    se.add_argument("--api-port", type=int, default=8000, help="the service's port")
    se.add_argument("--ui-port", type=int, default=8501, help="the web page's port")
    se.add_argument(
        "--timeout", type=float, default=120.0, help="seconds to wait for each to start"
    )
