"""Browser protections over real HTTP: allowed hosts, the Origin check on state-changing
requests, and the JSON body limit (413 before the body is read whole)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import LiveServer, module_server

CSV = b"a,b,y\n1,2,0\n3,4,1\n5,6,0\n"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from module_server(tmp_path_factory, "security")


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def raw_request(live: LiveServer, request: bytes, timeout: float = 10.0) -> bytes:
    host, port = live.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(request)
        reply = b""
        while chunk := sock.recv(65536):  # the server closes after its answer
            reply += chunk
        return reply


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "10.0.0.5"])
def test_other_host_names_are_refused(live: LiveServer, host: str) -> None:
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends its own Host."""
    response = live.client.get("/api/runs", headers={"Host": host})
    assert response.status_code == 400
    assert "host" in response.json()["detail"]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost:1234", "[::1]:8000"])
def test_loopback_host_names_are_answered(live: LiveServer, host: str) -> None:
    assert live.client.get("/api/health", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/page.html"},
        {"Origin": "http://127.0.0.1.evil.example:8501"},
    ],
)
def test_cross_site_posts_are_refused(live: LiveServer, headers: dict[str, str]) -> None:
    before = live.client.get("/api/datasets").json()["datasets"]
    upload = live.client.post(
        "/api/datasets", files={"file": ("x.csv", CSV, "text/csv")}, headers=headers
    )
    assert upload.status_code == 403 and "Origin" in upload.json()["detail"]
    run = live.client.post("/api/runs", json={"dataset": "compas", "rounds": 5}, headers=headers)
    assert run.status_code == 403
    assert live.client.get("/api/datasets").json()["datasets"] == before


def test_same_site_and_headerless_posts_pass(live: LiveServer) -> None:
    for headers in ({}, {"Origin": "http://127.0.0.1:8501"}, {"Origin": live.url}):
        response = live.client.post(
            "/api/datasets", files={"file": ("x.csv", CSV, "text/csv")}, headers=headers
        )
        assert response.status_code == 201, (headers, response.text)


def test_json_body_over_the_limit_is_413_by_declared_length(live: LiveServer) -> None:
    """400 MB announced: refused from the header alone, nothing read."""
    started = time.perf_counter()
    reply = raw_request(
        live,
        b"POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b'Content-Length: 400000000\r\n\r\n{"session_id": "',
    )
    assert reply.startswith(b"HTTP/1.1 413"), reply
    assert b"limit of 1048576 bytes" in reply
    assert time.perf_counter() - started < 2


def test_chunked_json_body_over_the_limit_is_413_without_reading_it_all(
    live: LiveServer,
) -> None:
    """No Content-Length: counted while streaming. 64 MB offered, the server's memory
    must not grow by anything like it."""
    before = rss_bytes(live.process.pid)
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        yield b'{"session_id": "s", "message": "'
        for _ in range(64):
            sent += 1 << 20
            yield b"x" * (1 << 20)
        yield b'"}'

    try:
        response = live.client.post(
            "/api/chat", content=chunks(), headers={"Content-Type": "application/json"}
        )
    except Exception:  # the server may close before the client sent everything
        response = None
    if response is not None:
        assert response.status_code == 413, response.text
    grown = rss_bytes(live.process.pid) - before
    assert grown < 32 * 1024 * 1024, f"the server grew by {grown} bytes"
    assert live.client.get("/api/health").status_code == 200
