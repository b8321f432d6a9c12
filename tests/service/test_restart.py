"""A server killed mid-run (SIGKILL to its whole process group) and started again on the
same models dir: finished work survives, interrupted work is marked failed, and the new
server trains."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from .conftest import LiveServer, compas_body, read_events, wait_status


def test_restart_after_sigkill(tmp_path: Path, spawn: Callable[..., LiveServer]) -> None:
    models = tmp_path / "models"
    first = spawn(models)
    with first.new_client() as client:
        done_id = client.post("/api/runs", json=compas_body(20)).json()["id"]
        assert read_events(client, done_id)[-1].event == "done"
        front_before = client.get(f"/api/runs/{done_id}/front").json()

        long_id = client.post("/api/runs", json={"dataset": "adult", "rounds": 2000}).json()["id"]
        seen = read_events(
            client, long_id, until=lambda e: e.event == "round" and e.data["round"] >= 3
        )
        assert seen[-1].event == "round"
        assert client.get(f"/api/runs/{long_id}").json()["status"] == "running"

    first.kill_group()
    deadline = time.monotonic() + 10
    while first.group_alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not first.group_alive(), "a worker outlived the SIGKILL of its group"

    second = spawn(models)
    with second.new_client(headers={"Authorization": f"Bearer {first.token}"}) as client:
        finished = client.get(f"/api/runs/{done_id}").json()
        assert finished["status"] == "done"
        front = client.get(f"/api/runs/{done_id}/front")
        assert front.status_code == 200
        assert front.json()["points"] == front_before["points"]
        assert len(front.json()["points"]) == 20

        interrupted = client.get(f"/api/runs/{long_id}").json()
        assert interrupted["status"] == "failed", interrupted
        assert interrupted["error"] and interrupted["finished"]
        events = read_events(client, long_id, timeout=10)
        assert events[-1].event == "error" and events[-1].data["message"]
        rounds = [e.data["round"] for e in events if e.event == "round"]
        assert rounds == list(range(1, len(rounds) + 1)) and len(rounds) >= 3
        # Its live front is still readable, and it cannot be chosen from or cancelled.
        assert client.get(f"/api/runs/{long_id}/front").status_code == 200
        assert client.delete(f"/api/runs/{long_id}").status_code == 409

        new_id = client.post("/api/runs", json=compas_body(20)).json()["id"]
        new_events = read_events(client, new_id)
        assert new_events[-1].event == "done"
        assert [e.event for e in new_events].count("round") == 20
        assert wait_status(client, new_id, ("done",), timeout=10)["status"] == "done"
        listed = {r["id"]: r["status"] for r in client.get("/api/runs").json()["runs"]}
        assert listed == {done_id: "done", long_id: "failed", new_id: "done"}


def test_a_worker_left_by_a_killed_server_does_not_rewrite_the_run(
    tmp_path: Path, spawn: Callable[..., LiveServer]
) -> None:
    """Only the server process dies (OOM killer, ``kill -9 <pid>``): its job worker lives
    on. Once the new server has marked the run failed (with its ``error`` event), nothing
    may be appended after that final event and the status must stay failed."""
    models = tmp_path / "models"
    first = spawn(models)
    with first.new_client() as client:
        long_id = client.post("/api/runs", json={"dataset": "adult", "rounds": 2000}).json()["id"]
        read_events(client, long_id, until=lambda e: e.event == "round" and e.data["round"] >= 3)
    os.kill(first.process.pid, signal.SIGKILL)  # the server only, not its group
    first.process.wait(timeout=10)

    second = spawn(models)
    with second.new_client(headers={"Authorization": f"Bearer {first.token}"}) as client:
        assert client.get(f"/api/runs/{long_id}").json()["status"] == "failed"
        final = read_events(client, long_id, timeout=10)[-1]
        assert final.event == "error"
        time.sleep(2.0)  # an orphaned worker would append ~20 rounds meanwhile
        # Read the store itself: the SSE stream of a finished run does not end after its
        # final event (see test_api_runs), so it cannot show what came later.
        with sqlite3.connect(models / "fairfront.db") as db:
            later = db.execute(
                "SELECT seq, kind FROM events WHERE run_id = ? AND seq > ? ORDER BY seq",
                (long_id, final.id),
            ).fetchall()
        assert later == [], f"{len(later)} events after the final one, e.g. {later[:3]}"
        assert client.get(f"/api/runs/{long_id}").json()["status"] == "failed"
    # The spawn fixture kills the first server's whole group, orphaned worker included.
