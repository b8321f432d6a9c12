"""Runs over real HTTP: create, follow the SSE stream, read the front, select, cancel."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from .conftest import (
    TERMINAL,
    Event,
    LiveServer,
    compas_body,
    module_server,
    read_events,
    wait_status,
)

ROUNDS = 30


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from module_server(tmp_path_factory, "runs")


@pytest.fixture(scope="module")
def compas_run(live: LiveServer) -> dict[str, Any]:
    """One COMPAS run of 30 rounds: the POST and its whole SSE stream."""
    response = live.client.post("/api/runs", json=compas_body(ROUNDS))
    events = read_events(live.client, response.json()["id"]) if response.is_success else []
    return {"response": response, "events": events}


@pytest.fixture(scope="module")
def run_id(compas_run: dict[str, Any]) -> str:
    assert compas_run["response"].status_code == 202
    value: str = compas_run["response"].json()["id"]
    return value


def rounds_of(events: list[Event]) -> list[Event]:
    return [e for e in events if e.event == "round"]


# ----- create and follow --------------------------------------------------------------
def test_post_returns_202_with_an_id_at_once(compas_run: dict[str, Any]) -> None:
    response = compas_run["response"]
    assert response.status_code == 202, response.text
    body = response.json()
    assert len(body["id"]) == 32 and body["status"] == "queued"
    # "queued": the answer came before the job started (bench/bench_service.py times it)
    assert body["spec"]["rounds"] == ROUNDS and body["spec"]["dataset"] == "compas"


def test_stream_has_started_every_round_then_done(compas_run: dict[str, Any]) -> None:
    events: list[Event] = compas_run["events"]
    assert events[0].event == "started"
    assert events[-1].event == "done"
    rounds = rounds_of(events)
    assert len(rounds) == ROUNDS and len(events) == ROUNDS + 2
    ids = [e.id for e in events]
    assert all(isinstance(i, int) for i in ids)
    assert ids == sorted(set(ids)) and ids == list(range(1, len(events) + 1))
    for number, event in enumerate(rounds, start=1):
        data = event.data
        assert data["round"] == number and data["rounds"] == ROUNDS
        assert data["point"]["round"] == number
        assert "validation" in data["point"]
        assert set(data["front"]) <= set(range(1, number + 1))
    done = events[-1].data
    assert done["rounds"] == ROUNDS
    assert done["front"] and set(done["front"]) <= set(range(1, ROUNDS + 1))


def test_reconnect_with_last_event_id_misses_nothing(
    live: LiveServer, run_id: str, compas_run: dict[str, Any]
) -> None:
    replay = read_events(live.client, run_id, last_event_id="10")
    assert replay[0].id == 11
    assert [e.id for e in replay] == list(range(11, ROUNDS + 3))
    full = {e.id: (e.event, e.data) for e in compas_run["events"]}
    assert all(full[e.id] == (e.event, e.data) for e in replay)
    assert replay[-1].event == "done"


def test_stream_of_a_done_run_replays_everything(live: LiveServer, run_id: str) -> None:
    again = read_events(live.client, run_id)
    assert [e.event for e in again][:2] == ["started", "round"]
    assert len(rounds_of(again)) == ROUNDS


def _read_stream(
    live: LiveServer, run_id: str, header: bytes, timeout: float = 5.0
) -> httpx.Response:
    """GET the stream with a raw Last-Event-ID header and read it to its end."""
    with (
        live.new_client(timeout=timeout) as client,
        client.stream(
            "GET", f"/api/runs/{run_id}/events", headers={"Last-Event-ID": header}
        ) as response,
    ):
        response.read()
        return response


@pytest.mark.parametrize(
    "header", [b"\xb2", b"1\xb3", b"1e3", b"-5", b"99999999999999999999"], ids=repr
)
def test_odd_last_event_id_is_never_a_server_error(
    live: LiveServer, run_id: str, header: bytes
) -> None:
    """Last-Event-ID comes from the client. "\xb2" is '²' in Latin-1: str.isdigit() says
    yes, int() says no; a 20-digit id does not fit SQLite's INTEGER. Neither may give a
    500 or a stream cut off mid-way."""
    response = _read_stream(live, run_id, header)
    assert response.status_code < 500, response.text


def test_reconnect_after_the_final_event_ends_at_once(
    live: LiveServer, run_id: str, compas_run: dict[str, Any]
) -> None:
    """EventSource reconnects by itself when the server closes the stream after ``done``,
    sending the final event's id. The server must not hold that request open forever,
    polling the database: it should end the stream (or answer 204, which stops the
    browser from reconnecting)."""
    last = str(compas_run["events"][-1].id).encode()
    started = time.perf_counter()
    try:
        response = _read_stream(live, run_id, last, timeout=3)
    except httpx.ReadTimeout:
        pytest.fail("the stream of a finished run stayed open after its final event")
    assert response.status_code in (200, 204)
    assert b"event:" not in response.content
    assert time.perf_counter() - started < 3


# ----- front and selection -------------------------------------------------------------
def test_front_after_done(live: LiveServer, run_id: str) -> None:
    response = live.client.get(f"/api/runs/{run_id}/front")
    assert response.status_code == 200
    front = response.json()
    points = front["points"]
    assert [p["round"] for p in points] == list(range(1, ROUNDS + 1))
    for point in points:
        for split in ("validation", "test"):
            block = point[split]
            assert 0 <= block["accuracy"] <= 1 and 0 <= block["balanced_accuracy"] <= 1
            assert set(block["eo"]["by_attribute"]) == {"race", "sex"}
    assert sum(p["selected"] for p in points) == 1
    assert front["front_rounds"] == [p["round"] for p in points if p["on_front"]]
    assert front["selection"]["round"] == next(p["round"] for p in points if p["selected"])


SELECTIONS = {
    "round": {"round": 7},
    "constraints": {"constraints": ["eo<=0.2"], "maximize": "balanced_accuracy"},
    "knee": {"kind": "knee"},
}


@pytest.mark.parametrize("how", list(SELECTIONS))
def test_select_is_remembered(live: LiveServer, run_id: str, how: str) -> None:
    response = live.client.post(f"/api/runs/{run_id}/select", json=SELECTIONS[how])
    assert response.status_code == 200, response.text
    body = response.json()
    chosen = body["point"]["round"]
    assert body["selection"]["round"] == chosen and body["selection"]["by"] == "user"
    if how == "round":
        assert chosen == 7
    if how == "constraints":
        points = live.client.get(f"/api/runs/{run_id}/front").json()["points"]
        meeting = [p for p in points if not p["trivial"] and p["validation"]["eo"]["value"] <= 0.2]
        assert meeting, "no point meets eo<=0.2 on this run"
        best = max(p["validation"]["balanced_accuracy"] for p in meeting)
        assert body["point"]["validation"]["balanced_accuracy"] == pytest.approx(best)
        assert body["point"]["validation"]["eo"]["value"] <= 0.2
    front = live.client.get(f"/api/runs/{run_id}/front").json()
    assert [p["round"] for p in front["points"] if p["selected"]] == [chosen]
    assert front["selection"]["round"] == chosen
    run = live.client.get(f"/api/runs/{run_id}").json()
    assert run["selection"]["round"] == chosen and run["selection"]["by"] == "user"
    assert live.client.get(f"/api/runs/{run_id}/points/{chosen}").json()["round"] == chosen


@pytest.mark.parametrize(
    "body",
    [
        {"round": ROUNDS + 1},
        {"constraints": ["eo<=banana"]},
        {"constraints": ["eo<=0.2"], "maximize": "nonsense"},
        {"kind": "weights", "weights": []},
        {"kind": "weights", "weights": [1, 2, 3, 4, 5, 6, 7, 8, 9]},
        {"kind": "weights", "weights": [1, 1]},
        {"kind": "round"},
        {"constraints": ["eo<=-1"]},
        {"round": 0},
        {"nope": 1},
    ],
    ids=[
        "round-past-end",
        "bad-bound",
        "bad-maximize",
        "no-weights",
        "9-weights",
        "2-weights",
        "kind-round-without-round",
        "infeasible",
        "round-0",
        "extra-field",
    ],
)
def test_select_with_bad_rule_is_a_client_error(
    live: LiveServer, run_id: str, body: dict[str, Any]
) -> None:
    """Weights of the wrong length, or kind "round" without a round, are the client's
    mistake (422), not a 500 nor a silent knee."""
    with live.new_client() as client:
        response = client.post(f"/api/runs/{run_id}/select", json=body)
    assert response.status_code in (404, 422), response.text


def test_select_with_confidence(live: LiveServer, run_id: str) -> None:
    """``confidence`` makes each fairness constraint read its interval's upper end: the
    chosen point is the best balanced accuracy among those whose upper end meets the
    bound (brute force over the stored points); an unmeetable one is a 422 naming the
    point closest to meeting it and its smallest group."""
    points = live.client.get(f"/api/runs/{run_id}/front").json()["points"]
    uppers = sorted(p["validation"]["eo"]["ci"]["value"][1] for p in points if not p["trivial"])
    bound = round(uppers[len(uppers) // 2], 3)
    body = {"constraints": [f"eo<={bound}"], "confidence": 0.95}
    response = live.client.post(f"/api/runs/{run_id}/select", json=body)
    assert response.status_code == 200, response.text
    chosen = response.json()
    assert chosen["selection"]["rule"]["constraints"][0]["confidence"] == 0.95
    meeting = [
        p for p in points if not p["trivial"] and p["validation"]["eo"]["ci"]["value"][1] <= bound
    ]
    best = max(p["validation"]["balanced_accuracy"] for p in meeting)
    first = min(p["round"] for p in meeting if p["validation"]["balanced_accuracy"] == best)
    assert chosen["point"]["round"] == first
    low = uppers[0] / 2
    response = live.client.post(
        f"/api/runs/{run_id}/select", json={"constraints": [f"eo<={low:.4f}@95%"]}
    )
    assert response.status_code == 422
    text = response.text
    assert "comes closest" in text and "smallest" in text and "rows" in text


def test_points_out_of_range_is_404(live: LiveServer, run_id: str) -> None:
    assert live.client.get(f"/api/runs/{run_id}/points/{ROUNDS + 1}").status_code == 404
    assert live.client.get(f"/api/runs/{run_id}/points/0").status_code == 404


def test_timestamps_read_back_as_they_were_written(live: LiveServer) -> None:
    """POST answers timezone-aware ISO times; GET must give the same instants back."""
    created = live.client.post("/api/runs", json=compas_body(1)).json()
    stored = live.client.get(f"/api/runs/{created['id']}").json()
    wait_status(live.client, created["id"], TERMINAL)
    assert datetime.fromisoformat(created["created"]).tzinfo is not None
    assert stored["created"] == created["created"]
    listed = {r["id"]: r for r in live.client.get("/api/runs").json()["runs"]}
    assert datetime.fromisoformat(listed[created["id"]]["created"]).tzinfo is not None


# ----- invalid input -----------------------------------------------------------------------
def _names_field(body: dict[str, Any], name: str) -> bool:
    """The service's ``field`` (e.g. "params.max_depth") or FastAPI's ``loc`` names it."""
    if name in str(body.get("field") or "").split("."):
        return True
    detail = body.get("detail")
    return isinstance(detail, list) and any(name in map(str, e.get("loc", ())) for e in detail)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (compas_body(5000), "rounds"),
        (compas_body(notions=["foo"]), "notions"),
        (compas_body(constraints=["eo<=banana"]), "constraints"),
        (compas_body(learner="xgboost"), "learner"),
        (compas_body(learner="adafair", notions=["eo", "dp"]), "notions"),
        (compas_body(params={"max_depth": 99}), "max_depth"),
        (compas_body(surprise=1), "surprise"),
        (compas_body(0), "rounds"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_invalid_run_is_422_naming_the_field(
    live: LiveServer, body: dict[str, Any], field: str
) -> None:
    response = live.client.post("/api/runs", json=body)
    assert response.status_code == 422, response.text
    assert _names_field(response.json(), field), response.json()


def test_learner_params_the_learner_lacks_are_422(live: LiveServer) -> None:
    """AdaFair has no max_depth: a client error naming it, not a 500."""
    with live.new_client() as client:
        response = client.post(
            "/api/runs", json=compas_body(learner="adafair", params={"max_depth": 2})
        )
    assert response.status_code == 422, response.text
    assert "max_depth" in response.text


def test_unknown_dataset_is_404(live: LiveServer) -> None:
    response = live.client.post("/api/runs", json={"dataset": "nowhere", "rounds": 5})
    assert response.status_code == 404
    assert response.json()["field"] == "dataset"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", ""),
        ("DELETE", ""),
        ("GET", "/front"),
        ("GET", "/events"),
        ("GET", "/points/1"),
        ("POST", "/select"),
    ],
)
def test_unknown_run_is_404(live: LiveServer, method: str, path: str) -> None:
    kwargs: dict[str, Any] = {"json": {"kind": "knee"}} if method == "POST" else {}
    response = live.client.request(method, f"/api/runs/{'0' * 32}{path}", **kwargs)
    assert response.status_code == 404, response.text


# ----- cancelling and the queue -------------------------------------------------------------
def _wait_rounds(client: httpx.Client, run_id: str, n: int) -> list[Event]:
    events = read_events(
        client, run_id, until=lambda e: e.event == "round" and e.data["round"] >= n
    )
    assert events[-1].event == "round", events[-1]
    return events


def test_cancel_a_long_run_then_the_queued_one_runs(live: LiveServer) -> None:
    client = live.client
    long_id = client.post("/api/runs", json={"dataset": "adult", "rounds": 2000}).json()["id"]
    queued = client.post("/api/runs", json=compas_body(20))
    assert queued.status_code == 202
    queued_id = queued.json()["id"]
    _wait_rounds(client, long_id, 3)
    assert client.get(f"/api/runs/{queued_id}").json()["status"] == "queued"

    # While it trains: live front, and no choosing yet.
    assert client.get(f"/api/runs/{long_id}").json()["status"] == "running"
    live_front = client.get(f"/api/runs/{long_id}/front").json()
    assert len(live_front["points"]) >= 3 and live_front["status"] == "running"
    selecting = client.post(f"/api/runs/{long_id}/select", json={"round": 1})
    assert selecting.status_code == 409, selecting.text
    assert client.get(f"/api/runs/{long_id}/points/1").status_code == 409

    cancelled = client.delete(f"/api/runs/{long_id}")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelling"
    tail = read_events(client, long_id, timeout=30)
    assert tail[-1].event == "cancelled"
    run = wait_status(client, long_id, TERMINAL, timeout=10)
    assert run["status"] == "cancelled" and run["finished"]
    assert client.delete(f"/api/runs/{long_id}").status_code == 409

    events = read_events(client, queued_id)
    assert events[-1].event == "done" and len(rounds_of(events)) == 20
    assert client.get(f"/api/runs/{queued_id}").json()["status"] == "done"
    listed = {r["id"]: r["status"] for r in client.get("/api/runs").json()["runs"]}
    assert listed[long_id] == "cancelled" and listed[queued_id] == "done"


def test_cancel_a_run_waiting_in_the_queue(live: LiveServer) -> None:
    """DELETE on a queued run (max_jobs=1, behind a long one) must end it as cancelled,
    with a ``cancelled`` event, and never leave it 'cancelling'."""
    client = live.client
    long_id = client.post("/api/runs", json={"dataset": "adult", "rounds": 2000}).json()["id"]
    queued_id = client.post("/api/runs", json=compas_body(20)).json()["id"]
    _wait_rounds(client, long_id, 2)
    assert client.get(f"/api/runs/{queued_id}").json()["status"] == "queued"
    response = client.delete(f"/api/runs/{queued_id}")
    assert response.status_code == 200
    assert response.json()["status"] in ("cancelled", "cancelling")
    client.delete(f"/api/runs/{long_id}")
    assert read_events(client, long_id, timeout=30)[-1].event == "cancelled"
    # The worker is free again: the queued run's job has had its turn.
    run = wait_status(client, queued_id, TERMINAL, timeout=5)
    assert run["status"] == "cancelled"
    assert read_events(client, queued_id, timeout=5)[-1].event == "cancelled"


def test_runs_list(live: LiveServer, run_id: str) -> None:
    response = live.client.get("/api/runs", params={"limit": 500})
    assert response.status_code == 200
    runs = response.json()["runs"]
    assert run_id in [r["id"] for r in runs]
    created = [r["created"] for r in runs]
    assert created == sorted(created, reverse=True)
    assert live.client.get("/api/runs", params={"limit": 0}).status_code == 422
