"""A sweep through the service: its settings run as parallel jobs (local processes, or a
Dask cluster), stream into one run, and end as one union front with one selection.

The same sweep on local processes and on a local Dask cluster gives the same points;
the live front, drawn from the stored events, is the union front over every setting;
a point of any setting exports; a cancel stops every part; concurrent writers to one
run's event stream get distinct, gap-free sequence numbers.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from fairfront.fronts import mark_front
from fairfront.service.services.jobs import append_event
from fairfront.service.store import Database, EventRecord, RunRecord

from .conftest import TERMINAL, LiveServer, read_events, start_server, wait_status

distributed = pytest.importorskip("distributed")
onnxruntime = pytest.importorskip("onnxruntime")

WEIGHTS = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0]
ROUNDS = 10
SWEEP = {
    "dataset": "compas",
    "learner": "mmm_fair",
    "rounds": ROUNDS,
    "sweep": {"fairness_weight": WEIGHTS},
    "baseline": False,
}


def _follow(client: httpx.Client, run_id: str) -> list[dict[str, Any]]:
    """Poll the run's front until it ends; the live documents seen while it ran."""
    seen = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        status = client.get(f"/api/runs/{run_id}").json()["status"]
        if status in TERMINAL:
            return seen
        front = client.get(f"/api/runs/{run_id}/front").json()
        if front["status"] != "done":
            seen.append(front)
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not end")


def _run_sweep(server: LiveServer) -> tuple[dict[str, Any], list[dict[str, Any]], list[Any]]:
    client = server.client
    created = client.post("/api/runs", json=SWEEP)
    assert created.status_code == 202, created.text
    run_id = created.json()["id"]
    live = _follow(client, run_id)
    assert client.get(f"/api/runs/{run_id}").json()["status"] == "done"
    front = client.get(f"/api/runs/{run_id}/front").json()
    events = read_events(client, run_id)
    return {"id": run_id, **front}, live, events


@pytest.fixture(scope="module")
def local_sweep(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LiveServer, dict[str, Any], list[dict[str, Any]], list[Any]]]:
    root = tmp_path_factory.mktemp("sweep-local")
    server = start_server(root / "models", root / "server.log", {"max_jobs": 2})
    try:
        front, live, events = _run_sweep(server)
        yield server, front, live, events
    finally:
        server.stop()


def _points(front: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {k: p.get(k) for k in ("round", "epoch", "setting", "validation", "test", "on_front")}
        for p in front["points"]
    ]


def test_the_settings_stream_into_one_run_and_end_as_one_union_front(
    local_sweep: tuple[LiveServer, dict[str, Any], list[dict[str, Any]], list[Any]],
) -> None:
    _, front, live, events = local_sweep
    assert len(front["points"]) == len(WEIGHTS) * ROUNDS
    settings = [p["setting"]["fairness_weight"] for p in front["points"]]
    assert settings == [w for w in WEIGHTS for _ in range(ROUNDS)]
    assert sum(p["selected"] for p in front["points"]) == 1
    chosen = front["points"][front["selection"]["round"] - 1]
    assert front["selection"]["setting"] == chosen["setting"]
    assert f"over all {len(WEIGHTS)} settings" in front["selection"]["reason"]
    rounds = [e for e in events if e.event == "round"]
    assert sorted(e.data["part"] for e in rounds) == sorted(
        index for index in range(len(WEIGHTS)) for _ in range(ROUNDS)
    )
    assert [e.event for e in events].count("started") == 1
    assert events[-1].event == "done"
    # the stream, once every part is in, holds the union front the run ends with
    points = sorted((dict(e.data["point"]) for e in rounds), key=lambda p: p["round"])
    mark_front(points, rounds[-1].data["objectives"])
    assert [p["on_front"] for p in points] == [p["on_front"] for p in front["points"]]
    # while it ran, the page's one endpoint drew the points so far, from every part so far
    assert live, "the run was seen running"
    assert all(doc["total"] == len(WEIGHTS) * ROUNDS for doc in live if doc["points"])
    for doc in live:
        on_front = {p["round"] for p in doc["points"] if p["on_front"]}
        assert on_front == set(doc["front_rounds"])


def test_the_same_sweep_on_a_dask_cluster_gives_the_same_points(
    tmp_path: Path,
    local_sweep: tuple[LiveServer, dict[str, Any], list[dict[str, Any]], list[Any]],
) -> None:
    _, local_front, _, _ = local_sweep
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        server = start_server(
            tmp_path / "models",
            tmp_path / "server.log",
            {"dask_scheduler": cluster.scheduler_address},
        )
        try:
            assert server.client.get("/api/health").json()["executor"] == "DaskExecutor"
            dask_front, _, events = _run_sweep(server)
        finally:
            server.stop()
    assert {e.data["part"] for e in events if e.event == "round"} == set(range(len(WEIGHTS)))
    assert _points(dask_front) == _points(local_front)
    assert dask_front["selection"] == local_front["selection"]


def test_a_point_of_another_setting_exports_with_parity(
    local_sweep: tuple[LiveServer, dict[str, Any], list[dict[str, Any]], list[Any]],
) -> None:
    server, front, _, _ = local_sweep
    chosen = front["selection"]["round"]
    other = next(p for p in front["points"] if p["setting"] != front["selection"]["setting"])
    card = server.client.get(f"/api/runs/{front['id']}/points/{other['round']}/model-card")
    assert card.status_code == 200, card.text
    body = card.json()
    assert body["learner"]["setting"] == other["setting"]
    assert body["model"]["trees"] == other["epoch"]
    assert body["selection"]["exported_round"] == other["round"] != chosen
    assert body["parity"]["passed"] is True
    assert body["metrics"]["test_by_group"]["matches_front_json"] is True
    onnx = server.client.get(f"/api/runs/{front['id']}/points/{other['round']}/model.onnx")
    assert onnx.status_code == 200, onnx.text
    session = onnxruntime.InferenceSession(onnx.content, providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == ["label", "probabilities"]


def test_cancelling_a_sweep_stops_every_part(
    local_sweep: tuple[LiveServer, dict[str, Any], list[dict[str, Any]], list[Any]],
) -> None:
    server, _, _, _ = local_sweep
    client = server.client
    body = {**SWEEP, "rounds": 400, "dataset": "adult"}
    run_id = client.post("/api/runs", json=body).json()["id"]
    wait_status(client, run_id, ("running",), timeout=120)
    read_events(client, run_id, until=lambda e: e.event == "round", timeout=120)
    assert client.delete(f"/api/runs/{run_id}").status_code in (200, 202)
    run = wait_status(client, run_id, TERMINAL, timeout=120)
    assert run["status"] == "cancelled"
    events = read_events(client, run_id, timeout=30)
    kinds = [e.event for e in events]
    assert kinds[-1] == "cancelled" and kinds.count("cancelled") == 1
    time.sleep(1.0)  # every part has seen the cancel by now: nothing more is appended
    assert len(read_events(client, run_id, timeout=30)) == len(events)
    assert not (server.models_dir / "runs" / run_id / "front.json").exists()


def _append_many(url: str, run_id: str, count: int) -> None:
    db = Database(url)
    for i in range(count):
        append_event(db, run_id, "round", {"i": i})


def test_concurrent_writers_get_distinct_gap_free_sequence_numbers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    db = Database(url)
    db.create_all()
    with db.session() as session:
        session.add(RunRecord(id="r1", status="running", spec={}, timings={}))
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_append_many, args=(url, "r1", 40)) for _ in range(4)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=120)
        assert writer.exitcode == 0
    with db.session() as session:
        seqs = sorted(session.scalars(select(EventRecord.seq).where(EventRecord.run_id == "r1")))
    assert seqs == list(range(1, 161))


def test_a_multitask_sweep_runs_its_settings_as_parallel_jobs(
    local_sweep: tuple[LiveServer, dict[str, Any], list[dict[str, Any]], list[Any]],
) -> None:
    """FairBranch's settings go to the workers as parts too, and give the very points
    (with their single-task baselines) that one fit in this process gives."""
    pytest.importorskip("torch")
    from fairfront.runs import RunSpec, train

    server, _, _, _ = local_sweep
    client = server.client
    body = {
        "dataset": "compas",
        "learner": "fairbranch",
        "protected": ["race"],
        "epochs": 3,
        "sweep": {"fairness_weight": [0.5, 2.0]},
    }
    created = client.post("/api/runs", json=body)
    assert created.status_code == 202, created.text
    run_id = created.json()["id"]
    run = wait_status(client, run_id, TERMINAL, timeout=240)
    assert run["status"] == "done", run
    events = read_events(client, run_id)
    assert {e.data["part"] for e in events if e.event == "round"} == {0, 1}
    front = client.get(f"/api/runs/{run_id}/front").json()
    here = train(
        RunSpec(
            data="compas",
            learner="fairbranch",
            protected=["race"],
            epochs=3,
            sweep={"fairness_weight": [0.5, 2.0]},
        )
    ).front.model_dump(mode="json")
    assert _points(front) == _points(here)
    assert front["selection"] == here["selection"]
    for task, entry in here["baselines"]["tasks"].items():
        served = front["baselines"]["tasks"][task]
        assert {k: v for k, v in served.items() if k != "fit_seconds"} == {
            k: v for k, v in entry.items() if k != "fit_seconds"
        }
