"""Storage faults are answers, not 500s: a damaged file of each artifact gives 409 on
every route that reads it (and after a restart), a full or read-only store gives 507 /
503 with no server path, every download is checked against its recorded sha256, and
no card, answer or event carries a server path."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import LiveServer, compas_body, module_server, read_events, wait_status

ROUNDS = 12
DAMAGED = "this run's files are damaged"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from module_server(tmp_path_factory, "storage")


@pytest.fixture(scope="module")
def done_run(live: LiveServer) -> str:
    run_id: str = live.client.post("/api/runs", json=compas_body(ROUNDS)).json()["id"]
    assert read_events(live.client, run_id)[-1].event == "done"
    return run_id


def run_dir(live: LiveServer, run_id: str) -> Path:
    return live.models_dir / "runs" / run_id


@contextlib.contextmanager
def damaged(path: Path, content: bytes | None = None) -> Iterator[None]:
    """``path`` overwritten with ``content`` (default: one byte flipped), then restored."""
    original = path.read_bytes()
    if content is None:
        middle = len(original) // 2
        content = original[:middle] + bytes([original[middle] ^ 0xFF]) + original[middle + 1 :]
    path.write_bytes(content)
    try:
        yield
    finally:
        path.write_bytes(original)


def reads(run_id: str, round_: int) -> dict[str, tuple[str, str]]:
    base = f"/api/runs/{run_id}"
    point = f"{base}/points/{round_}"
    return {
        "front": ("GET", f"{base}/front"),
        "point": ("GET", point),
        "select": ("POST", f"{base}/select"),
        "explanation": ("GET", f"{point}/explanation"),
        "onnx": ("GET", f"{point}/model.onnx"),
        "card": ("GET", f"{point}/model-card"),
        "card_md": ("GET", f"{point}/model-card?format=markdown"),
    }


def call(client: httpx.Client, method: str, path: str) -> httpx.Response:
    if method == "POST":
        return client.post(path, json={"round": 2})
    return client.get(path)


def assert_damaged(response: httpx.Response) -> None:
    assert response.status_code == 409, response.text
    assert DAMAGED in response.json()["detail"]
    assert "/" not in response.json()["detail"].replace("/api", "")


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[]", b'{"points": "no"}', b"", None],
    ids=["garbage", "a list", "wrong shape", "empty", "flipped byte"],
)
@pytest.mark.parametrize("name", ["front.json", "run.json"])
def test_damaged_run_file_is_409_on_every_route(
    live: LiveServer, done_run: str, name: str, content: bytes | None
) -> None:
    with damaged(run_dir(live, done_run) / name, content):
        for what, (method, path) in reads(done_run, 3).items():
            response = call(live.client, method, path)
            if content is None and name == "run.json" and response.status_code == 200:
                # A flipped byte inside a string value can leave valid JSON; then the
                # file still reads, and what reads it must still answer sensibly.
                continue
            assert response.status_code != 500, (what, response.text)
            if what != "select" or response.status_code != 422:
                assert_damaged(response)
        # The keep-alive connection still works after the 409s.
        assert live.client.get("/api/health").status_code == 200
    assert live.client.get(f"/api/runs/{done_run}/front").status_code == 200


def test_damaged_model_file_is_409(live: LiveServer, done_run: str) -> None:
    """model.joblib no longer matches its sha256: nothing is loaded from it."""
    with damaged(run_dir(live, done_run) / "model.joblib"):
        assert_damaged(live.client.get(f"/api/runs/{done_run}/points/5/model.onnx"))
        assert_damaged(live.client.get(f"/api/runs/{done_run}/points/5/explanation"))
    assert live.client.get(f"/api/runs/{done_run}/points/5/model.onnx").status_code == 200


@pytest.mark.parametrize("name", ["model.onnx", "model.card.json", "model.card.md"])
def test_damaged_cached_export_is_never_served(live: LiveServer, done_run: str, name: str) -> None:
    """A cached export with one flipped byte: 409, not 200 with the changed bytes."""
    point = f"/api/runs/{done_run}/points/7"
    first = live.client.get(f"{point}/model.onnx")
    assert first.status_code == 200
    folder = run_dir(live, done_run) / "exports" / "round-7"
    recorded = json.loads((folder / "sha256.json").read_text())
    import hashlib

    assert recorded["model.onnx"] == hashlib.sha256(first.content).hexdigest()
    route = {"model.onnx": "model.onnx", "model.card.json": "model-card",
             "model.card.md": "model-card?format=markdown"}[name]  # fmt: skip
    with damaged(folder / name):
        assert_damaged(live.client.get(f"{point}/{route}"))
    assert live.client.get(f"{point}/{route}").status_code == 200


def test_damaged_export_record_is_409(live: LiveServer, done_run: str) -> None:
    point = f"/api/runs/{done_run}/points/8"
    assert live.client.get(f"{point}/model.onnx").status_code == 200
    record = run_dir(live, done_run) / "exports" / "round-8" / "sha256.json"
    with damaged(record, b"{oops"):
        assert_damaged(live.client.get(f"{point}/model.onnx"))


def test_damaged_fact_cache_is_computed_again(live: LiveServer, done_run: str) -> None:
    url = f"/api/runs/{done_run}/points/4/explanation"
    first = live.client.get(url)
    assert first.status_code == 200
    cache = run_dir(live, done_run) / "explanations" / "facts-round-4.json"
    cache.write_bytes(b"\x00garbage")
    again = live.client.get(url)
    assert again.status_code == 200 and again.json()["facts"] == first.json()["facts"]


def test_no_server_path_in_cards_answers_or_events(live: LiveServer, done_run: str) -> None:
    root = str(live.models_dir.resolve())
    point = f"/api/runs/{done_run}/points/6"
    texts = [
        live.client.get(f"{point}/model-card").text,
        live.client.get(f"{point}/model-card?format=markdown").text,
        live.client.get(f"/api/runs/{done_run}").text,
        live.client.get(f"/api/runs/{done_run}/front").text,
        live.client.get(f"{point}/explanation").text,
        json.dumps([e.data for e in read_events(live.client, done_run)]),
    ]
    for text in texts:
        assert root not in text and str(live.models_dir) not in text
        assert not re.search(r"(?<![\w.:/])(/[\w.-]+){2,}", text.replace("/api/", "")), text[:300]
    card = live.client.get(f"{point}/model-card").json()
    assert card["run"]["id"] == done_run and card["run"]["spec"]["data"] == "compas"


def test_damaged_files_stay_409_after_a_restart(
    tmp_path: Path, spawn: Callable[..., LiveServer]
) -> None:
    models = tmp_path / "models"
    first = spawn(models)
    run_id = first.client.post("/api/runs", json=compas_body(8)).json()["id"]
    assert read_events(first.client, run_id)[-1].event == "done"
    (models / "runs" / run_id / "front.json").write_bytes(b"{damaged")
    assert_damaged(first.client.get(f"/api/runs/{run_id}/front"))
    first.kill_group()
    second = spawn(models)
    # The owner's token outlives the restart (the signing secret is kept with the store).
    with second.new_client(headers={"Authorization": f"Bearer {first.token}"}) as client:
        assert client.get(f"/api/runs/{run_id}").json()["status"] == "done"
        assert_damaged(client.get(f"/api/runs/{run_id}/front"))
        assert_damaged(client.get(f"/api/runs/{run_id}/points/2/model.onnx"))


# ----- a full and a read-only store ----------------------------------------------------
def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True, check=False,
    )  # fmt: skip
    return done.returncode == 0


def _fill(folder: Path) -> Path:
    """Write until the file system holding ``folder`` is full; returns the filler."""
    filler = folder / "filler.bin"
    with filler.open("wb") as sink, contextlib.suppress(OSError):
        while True:
            sink.write(b"\0" * (1 << 16))
            sink.flush()
    return filler


def assert_storage_answer(response: httpx.Response, status: int, root: Path) -> None:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert "storage" in detail and str(root) not in detail and "/" not in detail


def test_full_disk_is_507_then_everything_works_again(
    tmp_path: Path, spawn: Callable[..., LiveServer]
) -> None:
    """A real full file system: a 24 MB tmpfs as the models dir, filled to the last byte."""
    mount = tmp_path / "small"
    if not _mount_tmpfs(mount, "24m"):
        pytest.skip("mounting a tmpfs needs root (the injected ENOSPC test still runs)")
    try:
        server = spawn(mount / "models")
        client = server.client
        run_id = client.post("/api/runs", json=compas_body(6)).json()["id"]
        assert read_events(client, run_id)[-1].event == "done"
        filler = _fill(mount)
        upload = client.post("/api/datasets", files={"file": ("a.csv", b"a,b\n1,2\n3,4\n")})
        assert_storage_answer(upload, 507, mount)
        assert_storage_answer(client.get(f"/api/runs/{run_id}/points/3/model.onnx"), 507, mount)
        queued = client.post("/api/runs", json=compas_body(6))
        if queued.status_code == 202:  # SQLite found a free page: the job must still end
            wait_status(client, queued.json()["id"], ("failed", "done"), timeout=60)
        else:
            assert_storage_answer(queued, 507, mount)
        assert client.get("/api/health").status_code == 200
        filler.unlink()
        assert (
            client.post("/api/datasets", files={"file": ("a.csv", b"a,b\n1,2\n3,4\n")}).status_code
            == 201
        )
        assert client.get(f"/api/runs/{run_id}/points/3/model.onnx").status_code == 200
        if queued.status_code == 202:
            run = client.get(f"/api/runs/{queued.json()['id']}").json()
            assert run["status"] in ("failed", "done")
            assert str(mount) not in json.dumps(run)
    finally:
        for server_dir in (mount,):
            subprocess.run(["umount", "-l", str(server_dir)], check=False, capture_output=True)


def test_injected_enospc_is_507_without_a_path(tmp_path: Path, monkeypatch: Any) -> None:
    """The same fault injected at the write itself (runs without root): upload, export."""
    from starlette.testclient import TestClient

    from fairfront.service.api import create_app
    from fairfront.service.settings import Settings

    models = tmp_path / "models"
    real_open = Path.open

    def full_open(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if ("w" in mode or "x" in mode) and models in self.parents and full["on"]:
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real_open(self, mode, *args, **kwargs)

    full = {"on": False}
    monkeypatch.setattr(Path, "open", full_open)
    app = create_app(Settings(models_dir=models, max_jobs=1))
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        _open_session(client)
        full["on"] = True
        upload = client.post("/api/datasets", files={"file": ("a.csv", b"a,b\n1,2\n3,4\n")})
        assert_storage_answer(upload, 507, models)
        full["on"] = False
        assert (
            client.post("/api/datasets", files={"file": ("a.csv", b"a,b\n1,2\n3,4\n")}).status_code
            == 201
        )


def _open_session(client: Any) -> None:
    """Give an in-process test client an owner, as the live servers' clients have."""
    response = client.post("/api/sessions")
    if response.status_code == 201:
        client.headers["Authorization"] = f"Bearer {response.json()['token']}"


def test_read_only_store_is_503(tmp_path: Path, spawn: Callable[..., LiveServer]) -> None:
    """The artifact folders made read-only under a running server: read-only bind mounts
    as root (EROFS), else file modes (EACCES)."""
    models = tmp_path / "models"
    server = spawn(models)
    client = server.client
    run_id = client.post("/api/runs", json=compas_body(6)).json()["id"]
    assert read_events(client, run_id)[-1].event == "done"
    folders = [models / "uploads", models / "runs" / run_id]
    as_root = os.geteuid() == 0 and shutil.which("mount") is not None
    mounted: list[Path] = []
    try:
        for folder in folders:
            folder.mkdir(exist_ok=True)
            if as_root:
                subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)
                mounted.append(folder)
                subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True)
            else:
                folder.chmod(0o555)
        upload = client.post("/api/datasets", files={"file": ("a.csv", b"a,b\n1,2\n3,4\n")})
        assert_storage_answer(upload, 503, models)
        assert_storage_answer(client.get(f"/api/runs/{run_id}/points/3/model.onnx"), 503, models)
        assert client.get(f"/api/runs/{run_id}/front").status_code == 200
    finally:
        for folder in mounted:
            subprocess.run(["umount", "-l", str(folder)], check=False, capture_output=True)
        if not as_root:
            for folder in folders:
                folder.chmod(0o755)
