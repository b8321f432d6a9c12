"""Every run ends: a cancel after the last round, a worker that dies, a job that cannot
read or write, a stream on a run that ended without its final event, and the queue cap."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fairfront.service.services import jobs
from fairfront.service.services.jobs import JobRequest, run_job
from fairfront.service.store import Database, RunRecord
from fairfront.training import RunSpec

from .conftest import TERMINAL, LiveServer, compas_body, module_server, read_events, wait_status


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from module_server(tmp_path_factory, "lifecycle", watchdog_seconds=0.3, max_queued=3)


def test_cancel_after_the_last_round_ends_done_with_its_final_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DELETE lands after the last round, while the files are written: the run is done
    (nothing was left to stop) and its stream ends with ``done`` (was: cancelling for good)."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    db = Database(url)
    db.create_all()
    with db.session() as session:
        session.add(RunRecord(id="r1", status="queued", spec={}, timings={}))
    real_write = jobs.write_run

    def cancel_then_write(run: Any, out: Path) -> None:
        with db.session() as session:
            record = session.get(RunRecord, "r1")
            assert record is not None and record.status == "running"
            record.status = "cancelling"  # what DELETE /api/runs/r1 does to a running run
        real_write(run, out)

    monkeypatch.setattr(jobs, "write_run", cancel_then_write)
    spec = RunSpec(data="compas", rounds=4).to_dict()
    result = run_job(JobRequest("r1", spec, url, str(tmp_path / "r1")))
    assert result == "done"
    with db.session() as session:
        record = session.get(RunRecord, "r1")
        assert record is not None and record.status == "done" and record.finished
    kinds = [row[0] for row in sqlite3.connect(tmp_path / "db.sqlite").execute(
        "SELECT kind FROM events WHERE run_id='r1' ORDER BY seq")]  # fmt: skip
    assert kinds[-1] == "done" and kinds.count("round") == 4


def test_delete_right_after_the_last_round_always_ends(live: LiveServer) -> None:
    run_id = live.client.post("/api/runs", json=compas_body(6)).json()["id"]
    read_events(live.client, run_id, until=lambda e: e.event == "round" and e.data["round"] == 6)
    live.client.delete(f"/api/runs/{run_id}")
    run = wait_status(live.client, run_id, TERMINAL, timeout=30)
    assert run["status"] in ("done", "cancelled")
    events = read_events(live.client, run_id, timeout=10)
    assert events[-1].event == ("done" if run["status"] == "done" else "cancelled")


def _workers(server: LiveServer) -> list[int]:
    """The job worker processes: in the server's group, children of its forkserver."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        pid, ppid, group = int(stat.parent.name), int(fields[1]), int(fields[2])
        if group == server.process.pid and pid != server.process.pid and ppid != server.process.pid:
            found.append(pid)
    return found


def test_a_run_whose_worker_dies_is_marked_failed(live: LiveServer) -> None:
    run_id = live.client.post("/api/runs", json={"dataset": "adult", "rounds": 2000}).json()["id"]
    read_events(live.client, run_id, until=lambda e: e.event == "round" and e.data["round"] >= 2)
    workers = _workers(live)
    assert workers, "no worker process found"
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    run = wait_status(live.client, run_id, TERMINAL, timeout=30)
    assert run["status"] == "failed" and "stopped" in run["error"]
    events = read_events(live.client, run_id, timeout=10)
    assert events[-1].event == "error"
    # The pool is replaced: the next run trains.
    again = live.client.post("/api/runs", json=compas_body(5)).json()["id"]
    assert read_events(live.client, again, timeout=60)[-1].event == "done"


def test_a_sweep_whose_worker_dies_is_marked_failed(live: LiveServer) -> None:
    """A sweep's parts run in the pool's workers; one killed mid-part fails the run (in
    words, with its final event), and no finishing job writes a front."""
    body = {"dataset": "adult", "rounds": 2000, "sweep": {"fairness_weight": [1, 2]}}
    run_id = live.client.post("/api/runs", json=body).json()["id"]
    read_events(live.client, run_id, until=lambda e: e.event == "round")
    workers = _workers(live)
    assert workers, "no worker process found"
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    run = wait_status(live.client, run_id, TERMINAL, timeout=30)
    assert run["status"] == "failed" and "stopped" in run["error"], run
    events = read_events(live.client, run_id, timeout=10)
    assert events[-1].event == "error"
    assert not (live.models_dir / "runs" / run_id / "front.json").exists()
    again = live.client.post("/api/runs", json=compas_body(5)).json()["id"]
    assert read_events(live.client, again, timeout=60)[-1].event == "done"


def test_a_job_that_cannot_read_its_data_fails_without_a_path(live: LiveServer) -> None:
    upload = live.client.post(
        "/api/datasets",
        files={"file": ("mine.csv", b"a,b,y\n" + b"1,2,0\n3,4,1\n" * 50, "text/csv")},
    ).json()
    for stored in (live.models_dir / "uploads").glob(f"{upload['id']}*"):
        shutil.rmtree(stored) if stored.is_dir() else stored.unlink()
    created = live.client.post(
        "/api/runs",
        json={
            "dataset": upload["id"],
            "target": "y",
            "positive": "1",
            "protected": ["a"],
            "rounds": 5,
        },
    )
    if created.status_code == 422:  # refused before queueing, as a run request is checked
        text = created.text
        assert str(live.models_dir) not in text and "/uploads/" not in text, text
        return
    run_id = created.json()["id"]
    run = wait_status(live.client, run_id, TERMINAL, timeout=60)
    events = read_events(live.client, run_id, timeout=10)
    assert run["status"] == "failed" and events[-1].event == "error"
    text = json.dumps(run) + json.dumps([e.data for e in events])
    assert str(live.models_dir) not in text and "/uploads/" not in text, text


def test_a_stream_on_a_run_that_ended_without_its_final_event_ends(live: LiveServer) -> None:
    run_id = live.client.post("/api/runs", json=compas_body(4)).json()["id"]
    assert read_events(live.client, run_id)[-1].event == "done"
    with sqlite3.connect(live.models_dir / "fairfront.db") as connection:
        connection.execute("DELETE FROM events WHERE run_id=? AND kind='done'", (run_id,))
    started = time.perf_counter()
    with live.client.stream("GET", f"/api/runs/{run_id}/events", timeout=10) as response:
        response.read()
    assert time.perf_counter() - started < 5
    assert b"event: round" in response.content


def test_the_queue_is_capped(live: LiveServer) -> None:
    ids = []
    for _ in range(3):
        response = live.client.post("/api/runs", json={"dataset": "adult", "rounds": 2000})
        if response.status_code == 429:
            break
        ids.append(response.json()["id"])
    over = live.client.post("/api/runs", json=compas_body(5))
    assert over.status_code == 429
    assert "limit is 3" in over.json()["detail"]
    for run_id in ids:
        live.client.delete(f"/api/runs/{run_id}")
    for run_id in ids:
        wait_status(live.client, run_id, TERMINAL, timeout=60)
    assert live.client.post("/api/runs", json=compas_body(5)).status_code == 202
