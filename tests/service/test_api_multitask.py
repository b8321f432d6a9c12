"""Multi-task runs over real HTTP, for every multi-task learner: create, follow (SSE), the
front with per-task blocks and baselines, select, explanation, model card, ONNX export
scored with onnxruntime alone against the front's test figures, cancel, restart, and the
422s a spec that cannot run gets before any job starts."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fairfront.datasets import load_multitask
from fairfront.metrics import evaluate

from .conftest import LiveServer, module_server, read_events, wait_status

pytest.importorskip("torch")

TASKS = ["two_year_recid", "is_violent_recid"]
LEARNERS = ("fairbranch", "l2t_fmt", "mtl")
EPOCHS = 2
# A small network keeps each epoch short; the pipeline is what is under test.
SMALL = {"hidden_layer_sizes": [16], "batch_size": 512}


def body(learner: str, **extra: Any) -> dict[str, Any]:
    return {
        "dataset": "compas",
        "learner": learner,
        "tasks": [{"name": t} for t in TASKS],
        "protected": ["race"],
        "epochs": EPOCHS,
        "params": SMALL,
        **extra,
    }


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from module_server(tmp_path_factory, "multitask")


@pytest.fixture(scope="module")
def runs(live: LiveServer) -> dict[str, dict[str, Any]]:
    """One COMPAS run per multi-task learner (queued together, trained one at a time)."""
    created = {}
    for learner in LEARNERS:
        response = live.client.post("/api/runs", json=body(learner))
        assert response.status_code == 202, response.text
        created[learner] = response.json()
    out = {}
    for learner, run in created.items():
        events = read_events(live.client, run["id"], timeout=600)
        out[learner] = {"id": run["id"], "events": events}
    return out


@pytest.fixture(scope="module")
def compas_test() -> Any:
    return load_multitask("compas", protected=["race"])


@pytest.mark.parametrize("learner", LEARNERS)
def test_stream_has_a_round_per_epoch_with_each_tasks_blocks(
    runs: dict[str, dict[str, Any]], learner: str
) -> None:
    events = runs[learner]["events"]
    assert events[0].event == "started" and events[-1].event == "done", events[-1]
    rounds = [e for e in events if e.event == "round"]
    assert len(rounds) == EPOCHS
    for number, event in enumerate(rounds, start=1):
        point = event.data["point"]
        assert event.data["round"] == point["round"] == point["epoch"] == number
        assert event.data["rounds"] == EPOCHS
        assert set(point["tasks"]) == set(TASKS)
        accuracies = [point["tasks"][t]["validation"]["accuracy"] for t in TASKS]
        # the point's block is the mean over tasks, "worst" the worst task
        assert point["validation"]["accuracy"] == pytest.approx(np.mean(accuracies))
        assert point["worst"]["validation"]["accuracy"] == pytest.approx(min(accuracies))


@pytest.mark.parametrize("learner", LEARNERS)
def test_front_has_tasks_baselines_and_gains(
    live: LiveServer, runs: dict[str, dict[str, Any]], learner: str
) -> None:
    front = live.client.get(f"/api/runs/{runs[learner]['id']}/front").json()
    assert front["kind"] == "multitask" and front["learner"] == learner
    assert [t["name"] for t in front["tasks"]] == TASKS
    assert len(front["points"]) == EPOCHS and front["selection"]["round"] in (1, 2)
    selected = front["points"][front["selection"]["round"] - 1]
    assert selected["selected"]
    baselines = front["baselines"]
    assert baselines["split"] == "test" and set(baselines["tasks"]) == set(TASKS)
    for task in TASKS:
        mtl, stl = selected["tasks"][task]["test"], baselines["tasks"][task]["test"]
        gain = baselines["gains"]["tasks"][task]
        assert gain["knowledge_gain"] == pytest.approx(mtl["accuracy"] - stl["accuracy"])
        assert gain["discrimination_gain"]["eo_sum"] == pytest.approx(
            mtl["eo_sum"]["value"] - stl["eo_sum"]["value"]
        )


@pytest.mark.parametrize("learner", LEARNERS)
def test_onnx_download_scores_the_test_split_as_the_front_says(
    live: LiveServer, runs: dict[str, dict[str, Any]], learner: str, compas_test: Any
) -> None:
    """onnxruntime alone, one probability per task; the figures it gives on the test split
    equal the front's test figures."""
    ort = pytest.importorskip("onnxruntime")
    from fairfront.export import onnx_feed

    run_id = runs[learner]["id"]
    front = live.client.get(f"/api/runs/{run_id}/front").json()
    round_ = front["selection"]["round"]
    response = live.client.get(f"/api/runs/{run_id}/points/{round_}/model.onnx")
    assert response.status_code == 200
    card = live.client.get(f"/api/runs/{run_id}/points/{round_}/model-card").json()
    assert [t["name"] for t in card["tasks"]] == TASKS
    assert card["parity"]["max_abs_probability_difference"] <= 1e-5
    session = ort.InferenceSession(response.content, providers=["CPUExecutionProvider"])
    outputs = [o.name for o in session.get_outputs()]
    assert outputs == [t["output"] for t in card["tasks"]]
    got = session.run(outputs, onnx_feed(compas_test.X_test, card["inputs"]))
    point = front["points"][round_ - 1]
    for t, task in enumerate(TASKS):
        probabilities = np.asarray(got[t])
        assert probabilities.shape == (len(compas_test.X_test), 2)
        report = evaluate(
            compas_test.Y_test[:, t],
            (probabilities[:, 1] > 0.5).astype(int),
            sensitive_features=compas_test.sensitive_test,
            notions=["eo", "eo_sum", "eop"],
        )
        block = point["tasks"][task]["test"]
        assert abs(report.overall["accuracy"] - block["accuracy"]) <= 1e-5
        assert abs(report.overall["balanced_accuracy"] - block["balanced_accuracy"]) <= 1e-5
        assert abs(float(report.violation("eo_sum")) - block["eo_sum"]["value"]) <= 1e-5
    markdown = live.client.get(
        f"/api/runs/{run_id}/points/{round_}/model-card", params={"format": "markdown"}
    ).text
    assert all(task in markdown for task in TASKS)


def test_any_point_selects_exports_and_is_explained_per_task(
    live: LiveServer, runs: dict[str, dict[str, Any]]
) -> None:
    run_id = runs["fairbranch"]["id"]
    chosen = live.client.post(f"/api/runs/{run_id}/select", json={"round": 1})
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["point"]["round"] == 1 and chosen.json()["selection"]["by"] == "user"
    front = live.client.get(f"/api/runs/{run_id}/front").json()
    assert front["selection"]["round"] == 1
    assert [p["round"] for p in front["points"] if p["selected"]] == [1]
    card = live.client.get(f"/api/runs/{run_id}/points/1/model-card").json()
    assert card["round"] == 1 and card["parity"]["max_abs_probability_difference"] <= 1e-5
    explanation = live.client.get(f"/api/runs/{run_id}/points/1/explanation").json()
    assert all(f"Task {task}" in explanation["text"] for task in TASKS)
    assert set(explanation["facts"]["tasks"]) == set(TASKS)
    assert live.client.get(f"/api/runs/{run_id}/points/{EPOCHS + 1}").status_code == 404


def test_a_sweep_streams_a_point_per_setting_and_epoch(live: LiveServer) -> None:
    response = live.client.post(
        "/api/runs",
        json=body("fairbranch", epochs=1, sweep={"fairness_weight": [0.5, 2]}, baseline=False),
    )
    assert response.status_code == 202, response.text
    events = read_events(live.client, response.json()["id"], timeout=600)
    rounds = [e.data["point"] for e in events if e.event == "round"]
    assert [(p["round"], p["setting"]["fairness_weight"]) for p in rounds] == [(1, 0.5), (2, 2)]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"tasks": [{"name": "two_year_recid"}]}, "tasks", "at least two"),
        ({"tasks": [{"name": "two_year_recid"}, {"name": "race"}]}, "tasks", "race"),
        ({"sweep": {"gamma": [1, 2]}}, "sweep", "gamma"),
        ({"params": {"max_depth": 2}}, "params", "max_depth"),
        ({"params": {"tau": 0.5}, "learner": "mtl"}, "params", "tau"),
        ({"constraints": ["eo<=0.1"]}, "constraints", "constraints"),
    ],
)
def test_a_spec_that_cannot_run_is_422_before_any_job(
    live: LiveServer, change: dict[str, Any], field: str, words: str
) -> None:
    before = len(live.client.get("/api/runs").json()["runs"])
    response = live.client.post("/api/runs", json=body("fairbranch") | change)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field and words in response.json()["detail"]
    assert len(live.client.get("/api/runs").json()["runs"]) == before


def test_a_task_column_that_is_not_binary_is_422_naming_it(live: LiveServer) -> None:
    rng = np.random.default_rng(0)
    n = 300
    rows = ["t1,t2,g,x"] + [
        f"{rng.integers(2)},{'abc'[rng.integers(3)]},{'pq'[rng.integers(2)]},{rng.normal():.3f}"
        for _ in range(n)
    ]
    upload = live.client.post(
        "/api/datasets",
        files={"file": ("three.csv", io.BytesIO("\n".join(rows).encode()), "text/csv")},
    )
    assert upload.status_code == 201, upload.text
    before = len(live.client.get("/api/runs").json()["runs"])
    response = live.client.post(
        "/api/runs",
        json={
            "dataset": upload.json()["id"],
            "learner": "mtl",
            "tasks": [{"name": "t1"}, {"name": "t2"}],
            "protected": ["g"],
        },
    )
    assert response.status_code == 422, response.text
    assert "t2" in response.json()["detail"]
    assert len(live.client.get("/api/runs").json()["runs"]) == before


def test_cancel_a_multitask_run_after_its_first_epoch(live: LiveServer) -> None:
    response = live.client.post("/api/runs", json=body("fairbranch", epochs=200, baseline=False))
    run_id = response.json()["id"]
    first = read_events(live.client, run_id, until=lambda e: e.event == "round", timeout=600)
    assert first[-1].event == "round"
    assert live.client.delete(f"/api/runs/{run_id}").status_code == 200
    events = read_events(live.client, run_id, timeout=120)
    assert events[-1].event == "cancelled"
    assert wait_status(live.client, run_id, ("cancelled",))["status"] == "cancelled"


def test_a_done_multitask_run_survives_a_restart(
    tmp_path: Path, spawn: Callable[..., LiveServer]
) -> None:
    models = tmp_path / "models"
    first = spawn(models)
    created = first.client.post("/api/runs", json=body("mtl", epochs=1, baseline=False))
    run_id = created.json()["id"]
    assert read_events(first.client, run_id, timeout=600)[-1].event == "done"
    before = first.client.get(f"/api/runs/{run_id}/front").json()
    first.kill_group()
    second = spawn(models)
    # The same owner after the restart (tokens outlive it).
    second.client.headers["Authorization"] = first.client.headers["Authorization"]
    after = second.client.get(f"/api/runs/{run_id}/front").json()
    assert after == before and after["kind"] == "multitask"
    with second.new_client(timeout=300) as slow:  # an export takes seconds
        assert slow.get(f"/api/runs/{run_id}/points/1/model.onnx").status_code == 200
