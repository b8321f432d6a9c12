"""Datasets over real HTTP: built-ins, CSV uploads, limits and hostile input."""

from __future__ import annotations

import gzip
import random
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import GERMAN_CSV, LiveServer, module_server, read_events

SMALL_LIMIT = 4096  # bytes: Settings(max_upload_bytes=...) takes at least 1024


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from module_server(tmp_path_factory, "datasets")


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with a 4 KiB upload limit and at most 5 columns."""
    yield from module_server(
        tmp_path_factory, "limited", max_upload_bytes=SMALL_LIMIT, max_columns=5
    )


@pytest.fixture(scope="module")
def german(live: LiveServer) -> dict[str, Any]:
    """The raw German credit file, uploaded once."""
    response = live.client.post(
        "/api/datasets",
        files={"file": ("german.csv", gzip.decompress(GERMAN_CSV.read_bytes()), "text/csv")},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def upload(server: LiveServer, name: str, content: bytes) -> httpx.Response:
    # A fresh connection each time: a rejected upload may leave its connection closed.
    with server.new_client() as client:
        return client.post("/api/datasets", files={"file": (name, content, "text/csv")})


def multipart(filename: bytes | None, content: bytes, boundary: bytes = b"XyZzY") -> bytes:
    """A multipart body written by hand, so the file name reaches the server unescaped
    (``None``: a part with no ``filename`` at all)."""
    disposition = b'form-data; name="file"'
    if filename is not None:
        disposition += b'; filename="' + filename + b'"'
    return (
        b"--" + boundary + b"\r\n"
        b"Content-Disposition: " + disposition + b"\r\n"
        b"Content-Type: text/csv\r\n\r\n" + content + b"\r\n--" + boundary + b"--\r\n"
    )


def dataset_ids(server: LiveServer) -> list[str]:
    return [d["id"] for d in server.client.get("/api/datasets").json()["datasets"]]


def stored_files(server: LiveServer) -> set[Path]:
    return {p for p in server.models_dir.rglob("*") if p.is_file() and "uploads" in p.parts}


def all_files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


# ----- built-ins -----------------------------------------------------------------
def test_list_has_the_four_builtins(live: LiveServer) -> None:
    response = live.client.get("/api/datasets")
    assert response.status_code == 200
    builtins = {d["id"]: d for d in response.json()["datasets"] if d["builtin"]}
    assert set(builtins) == {"adult", "bank", "compas", "german"}
    assert builtins["adult"]["target"] == "Y" and builtins["adult"]["positive"] == ">50K"
    assert builtins["compas"]["target"] == "two_year_recid"


def test_get_adult_gives_columns_target_and_protected(live: LiveServer) -> None:
    response = live.client.get("/api/datasets/adult")
    assert response.status_code == 200
    body = response.json()
    profile = body["profile"]
    names = [c["name"] for c in profile["columns"]]
    assert {"age", "sex", "race", "education", "hours-per-week", "Y"} <= set(names)
    assert profile["suggested_target"] == "Y"
    assert profile["suggested_protected"] == ["sex", "race", "age"]
    assert [p["column"] for p in body["protected"]] == ["sex", "race", "age"]
    kinds = {c["name"]: c["kind"] for c in profile["columns"]}
    assert kinds["age"] == "numeric" and kinds["sex"] == "binary"
    assert kinds["race"] == "categorical"
    target = next(c for c in profile["columns"] if c["name"] == "Y")
    assert sorted(target["values"]) == ["<=50K", ">50K"]


def test_unknown_dataset_is_404(live: LiveServer) -> None:
    response = live.client.get("/api/datasets/no-such-thing")
    assert response.status_code == 404
    assert "no-such-thing" in response.json()["detail"]


# ----- upload ----------------------------------------------------------------------
def test_upload_german_csv(live: LiveServer, german: dict[str, Any]) -> None:
    assert german["builtin"] is False and german["name"] == "german.csv"
    assert re.fullmatch(r"[0-9a-f]{32}", german["id"])
    assert german["rows"] == 1000
    profile = german["profile"]
    assert len(profile["columns"]) == 21
    assert profile["suggested_target"] == "Probability"
    assert "sex" in profile["suggested_protected"]
    sex = next(c for c in profile["columns"] if c["name"] == "sex")
    # The raw file is stored as sent: its sex codes are not mapped like the built-in's.
    assert sorted(sex["values"]) == ["A91", "A92", "A93", "A94"]
    listed = {d["id"]: d for d in live.client.get("/api/datasets").json()["datasets"]}
    assert listed[german["id"]]["name"] == "german.csv"
    assert live.client.get(f"/api/datasets/{german['id']}").json()["rows"] == 1000
    # Stored in a generated folder under its shown name; the server-side path is never shown.
    assert (live.models_dir / "uploads" / german["id"] / "german.csv").is_file()
    assert "path" not in german and str(live.models_dir) not in str(german)


def test_run_on_uploaded_german(live: LiveServer, german: dict[str, Any]) -> None:
    """protected ["sex"] on the raw codes: each code (A91..A94) is its own group."""
    body = {
        "dataset": german["id"],
        "target": "Probability",
        "positive": "1",
        "protected": ["sex"],
        "rounds": 20,
    }
    response = live.client.post("/api/runs", json=body)
    assert response.status_code == 202, response.text
    run_id = response.json()["id"]
    events = read_events(live.client, run_id)
    assert events[-1].event == "done", events[-1]
    assert [e.event for e in events].count("round") == 20
    run = live.client.get(f"/api/runs/{run_id}").json()
    assert run["status"] == "done" and run["spec"]["dataset"] == german["id"]
    assert "data" not in run["spec"]  # the stored file's path stays on the server
    front = live.client.get(f"/api/runs/{run_id}/front").json()
    (sex,) = front["protected"]
    assert sex["column"] == "sex" and sex["all_values"] is True
    for point in front["points"]:
        assert set(point["validation"]["eo"]["by_attribute"]) == {"sex"}
        assert set(point["test"]["eo"]["by_attribute"]) == {"sex"}


def test_run_on_upload_with_missing_protected_column_is_422(
    live: LiveServer, german: dict[str, Any]
) -> None:
    """Checked against the profile before a job is queued: no run is created."""
    before = {r["id"] for r in live.client.get("/api/runs").json()["runs"]}
    body = {
        "dataset": german["id"],
        "target": "Probability",
        "positive": "1",
        "protected": ["gender"],
        "rounds": 20,
    }
    response = live.client.post("/api/runs", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "protected"
    assert "'gender'" in response.json()["detail"]
    assert {r["id"] for r in live.client.get("/api/runs").json()["runs"]} == before


# ----- limits ----------------------------------------------------------------------
def test_oversize_upload_is_413_and_stores_nothing(limited: LiveServer) -> None:
    before_ids, before_files = dataset_ids(limited), all_files(limited.models_dir)
    for size in (SMALL_LIMIT + 1, 40_000, 2_000_000):  # under and over the multipart slack
        content = b"a,b\n" + b"1,2\n" * (size // 4)
        response = upload(limited, "big.csv", content)
        assert response.status_code == 413, (size, response.text)
        assert response.json()["field"] == "file"
        assert "limit" in response.json()["detail"]
    assert dataset_ids(limited) == before_ids
    assert stored_files(limited) == {p for p in before_files if "uploads" in p.parts}


def test_oversize_message_names_the_configured_limit(limited: LiveServer) -> None:
    """The 413 names max_upload_bytes, not the middleware's limit plus multipart slack."""
    for size in (SMALL_LIMIT + 1, 2_000_000):
        response = upload(limited, "big.csv", b"a,b\n" + b"1,2\n" * (size // 4))
        assert response.status_code == 413
        assert f"{SMALL_LIMIT} bytes" in response.json()["detail"], response.json()


def test_oversize_declared_length_is_refused_before_the_body(limited: LiveServer) -> None:
    """By Content-Length alone: the answer comes without the server reading the body."""
    host, port = limited.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /api/datasets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=XyZzY\r\n"
            b"Content-Length: 50000000\r\n\r\n"
        )
        reply = sock.recv(65536)
    assert reply.startswith(b"HTTP/1.1 413"), reply


def test_chunked_oversize_upload_is_413(limited: LiveServer) -> None:
    """No Content-Length: the limit must hold while the body streams in."""
    before_ids = dataset_ids(limited)
    before = stored_files(limited)

    def chunks() -> Iterator[bytes]:
        body = multipart(b"big.csv", b"a,b\n" + b"1,2\n" * 100_000)
        for start in range(0, len(body), 16_384):
            yield body[start : start + 16_384]

    with limited.new_client() as client:
        response = client.post(
            "/api/datasets",
            content=chunks(),
            headers={"Content-Type": "multipart/form-data; boundary=XyZzY"},
        )
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert response.status_code == 413, response.text
    assert dataset_ids(limited) == before_ids
    assert stored_files(limited) == before


def test_too_many_columns_is_413(limited: LiveServer) -> None:
    before = dataset_ids(limited)
    content = b"a,b,c,d,e,f\n1,2,3,4,5,6\n7,8,9,10,11,12\n"
    response = upload(limited, "wide.csv", content)
    assert response.status_code == 413, response.text
    assert "columns" in response.json()["detail"] and "5" in response.json()["detail"]
    assert dataset_ids(limited) == before
    assert upload(limited, "ok.csv", b"a,b,c,d,e\n1,2,3,4,5\n6,7,8,9,0\n").status_code == 201


# ----- hostile names and bodies --------------------------------------------------------
HOSTILE_NAMES = [
    b"../../etc/passwd",
    b"a/b\\c.csv",
    b"..\\..\\windows\\x.csv",
    b"x" * 500 + b".csv",
    b"a\x00b.csv",
    b"a\nb.csv",
    b"/abs/path.csv",
    b"..",
    b"%2e%2e%2fup.csv",
]


@pytest.mark.parametrize("filename", HOSTILE_NAMES, ids=lambda n: repr(n[:20]))
def test_hostile_file_names_are_never_paths(live: LiveServer, filename: bytes) -> None:
    data = b"a,b,label\n1,x,0\n2,y,1\n3,x,0\n4,y,1\n"
    before = all_files(live.models_dir.parent)
    with live.new_client() as client:
        response = client.post(
            "/api/datasets",
            content=multipart(filename, data),
            headers={"Content-Type": "multipart/form-data; boundary=XyZzY"},
        )
    assert response.status_code == 201, response.text
    body = response.json()
    name = body["name"]
    assert 0 < len(name) <= 100
    assert not set(name) & {"/", "\\", "\x00", "\n", "\r"}
    assert not name.startswith(".")
    assert name.isprintable()
    new = all_files(live.models_dir.parent) - before
    # Only the stored CSV (and SQLite's own files) appear, all inside models/.
    uploads = live.models_dir / "uploads"
    stored = {p for p in new if not p.name.startswith("fairfront.db")}
    assert stored == {uploads / body["id"] / name}
    assert (uploads / body["id"] / name).read_bytes() == data
    assert not (live.models_dir.parent / "etc").exists()


def test_hostile_names_through_httpx_encoding(live: LiveServer) -> None:
    """httpx escapes control characters; the shown name is still sanitised."""
    for name in ("../../etc/passwd", "a/b\\c.csv", "n" * 500, "a\x00b.csv", "a\nb.csv"):
        response = upload(live, name, b"a,b\n1,2\n3,4\n")
        assert response.status_code == 201, response.text
        shown = response.json()["name"]
        assert len(shown) <= 100 and not set(shown) & {"/", "\\", "\x00", "\n"}


def _random_bytes(n: int, seed: int) -> bytes:
    rng = random.Random(seed)  # noqa: S311 - reproducible junk bytes, not a secret
    return bytes(rng.randrange(256) for _ in range(n))


BINARY_BODIES = {
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + _random_bytes(3000, 1),
    "gzip-csv": gzip.compress(b"a,b,label\n" + b"1,2,0\n3,4,1\n" * 200, mtime=0),
    "random": _random_bytes(5000, 2),
    # Comma- and newline-shaped, but holding NUL bytes: the loader calls this binary.
    "nul-cells": b"a,b,c\n\x00\x01,\x02\x03,\x04\n\x05\x06,\x07\x08,\x0b\n\x00,\x00,\x00\n",
}


@pytest.mark.parametrize("kind", sorted(BINARY_BODIES))
def test_binary_body_is_422_with_a_message(live: LiveServer, kind: str) -> None:
    before = dataset_ids(live)
    response = upload(live, "data.csv", BINARY_BODIES[kind])
    assert response.status_code == 422, (kind, response.text[:300])
    body = response.json()
    assert body["field"] == "file" and isinstance(body["detail"], str) and body["detail"]
    assert dataset_ids(live) == before


def test_upload_without_a_file_name_does_not_echo_the_file(live: LiveServer) -> None:
    """A part without a file name is not a file: 422, without the whole body echoed back."""
    content = b"a,b\n" + b"1,2\n" * 5000
    with live.new_client() as client:
        response = client.post(
            "/api/datasets",
            content=multipart(None, content),
            headers={"Content-Type": "multipart/form-data; boundary=XyZzY"},
        )
    assert response.status_code == 422
    assert len(response.content) < 2000, f"{len(response.content)} bytes echoed"
