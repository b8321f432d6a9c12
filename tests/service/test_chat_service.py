"""The chat end to end: the real app on a real server, a real COMPAS run, and every reply
checked against the run's stored numbers (read back through the runs API)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fairfront.vocabulary import NOTIONS

from .conftest import LiveServer, chat_session, module_server, wait_status
from .llm_stub import LLMStub

SESSION = "chat-e2e"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from module_server(tmp_path_factory, "chat")


_ISSUED: dict[tuple[int, str], str] = {}
"""A test's name for a conversation -> the chat session the service issued for it."""


def chat(client: httpx.Client, message: str, session: str = SESSION) -> dict[str, Any]:
    key = (id(client), session)
    if key not in _ISSUED:
        _ISSUED[key] = chat_session(client)
    response = client.post("/api/chat", json={"session_id": _ISSUED[key], "message": message})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture(scope="module")
def run(live: LiveServer) -> dict[str, Any]:
    reply = chat(live.client, "use compas, protect race and sex, train with 20 rounds")
    started = [a for a in reply["actions"] if a["type"] == "run_started"]
    assert started and reply["run_id"] == started[0]["run_id"]
    done = wait_status(live.client, reply["run_id"], ("done", "failed"), timeout=120)
    assert done["status"] == "done", done
    return done


def front(client: httpx.Client, run_id: str) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"/api/runs/{run_id}/front").json()
    return body


def test_a_partial_reading_changes_nothing_and_offers_the_readings(live: LiveServer) -> None:
    session = "partial"
    chat(live.client, "use adult", session)
    reply = chat(
        live.client,
        "I care that women are treated fairly, use demographic parity under 3%",
        session,
    )
    assert "Did you mean sex?" in reply["reply"]
    assert reply["setup"]["notions"] == [] and reply["setup"]["constraints"] == []
    reading = reply["suggestions"][0]
    assert "protect sex" in reading and "dp under 0.03" in reading
    applied = chat(live.client, reading, session)
    assert applied["setup"]["protected"] == ["sex"]
    assert applied["setup"]["constraints"] == ["dp<=0.03"]


def test_cannot_train_is_said_once(live: LiveServer) -> None:
    session = "once"
    chat(live.client, "use adult", session)
    reply = chat(live.client, "use adafair and train", session)
    assert reply["reply"].count("AdaFair handles 1 protected attribute") == 1, reply["reply"]
    assert reply["setup"]["learner"] == "adafair" and reply["run_id"] is None


def test_other_languages_and_definitions(live: LiveServer) -> None:
    assert (
        "English only" in chat(live.client, "bonjour, je veux entraîner un modèle", "fr")["reply"]
    )
    text = chat(live.client, "what does equalized odds mean?", "define")["reply"]
    assert NOTIONS["eo"].convention in text and NOTIONS["eo_sum"].convention in text


def test_choosing_asking_moving_and_going_back(live: LiveServer, run: dict[str, Any]) -> None:
    client, run_id = live.client, run["id"]
    reply = chat(client, "show me the fairest model that is still 60% accurate")
    (chosen,) = [a["round"] for a in reply["actions"] if a["type"] == "point_selected"]
    point = client.get(f"/api/runs/{run_id}/points/{chosen}").json()
    assert point["validation"]["accuracy"] >= 0.6
    eligible = [
        p
        for p in front(client, run_id)["points"]
        if p["validation"]["accuracy"] >= 0.6 and not p["trivial"]
    ]
    assert point["validation"]["eo"]["value"] == min(
        p["validation"]["eo"]["value"] for p in eligible
    )

    asked = chat(client, "what is its accuracy?")["reply"]
    split = "test" if "test" in point else "validation"
    assert f"{point[split]['accuracy']:.3f}" in asked and f"Round {chosen}" in asked

    counted = chat(client, "how many points are on the front")["reply"]
    points = front(client, run_id)["points"]
    assert f"{len(points)} points" in counted
    assert f"{sum(p['on_front'] for p in points)} of them" in counted

    moved = chat(client, "make it more accurate")
    rounds = [a["round"] for a in moved["actions"] if a["type"] == "point_selected"]
    if rounds:
        after = client.get(f"/api/runs/{run_id}/points/{rounds[0]}").json()
        assert after["validation"]["balanced_accuracy"] > point["validation"]["balanced_accuracy"]
        back = chat(client, "go back to the previous point")
        assert [a["round"] for a in back["actions"] if a["type"] == "point_selected"] == [chosen]
        assert client.get(f"/api/runs/{run_id}").json()["selection"]["round"] == chosen
    else:
        assert "already" in moved["reply"]


def test_comparing_and_the_worst_group(live: LiveServer, run: dict[str, Any]) -> None:
    client, run_id = live.client, run["id"]
    chat(client, "pick the knee")
    selected = client.get(f"/api/runs/{run_id}").json()["selection"]["round"]
    compared = chat(client, "compare with the unfair model")["reply"]
    baseline = front(client, run_id)["baseline"]
    block = baseline.get("test") or baseline["validation"]
    assert f"{block['accuracy']:.3f}" in compared and f"Round {selected}" in compared
    worst = chat(client, "which group is worst off?")["reply"]
    assert "largest gap is in race" in worst or "largest gap is in sex" in worst


def test_runs_can_be_listed_reopened_and_stopping_needs_a_running_one(
    live: LiveServer, run: dict[str, Any]
) -> None:
    client = live.client
    listed = chat(client, "show my previous runs")
    assert run["id"] in listed["reply"] and "open run 1" in listed["suggestions"]
    reopened = chat(client, "open run 1", "elsewhere")
    assert reopened["run_id"] == client.get("/api/runs").json()["runs"][0]["id"]
    assert "Nothing is training" in chat(client, "stop")["reply"]


# ----------------------------------------------------------------- through an LLM


@pytest.fixture(scope="module")
def stub() -> Iterator[LLMStub]:
    with LLMStub() as server:
        yield server


@pytest.fixture(scope="module")
def llm_live(tmp_path_factory: pytest.TempPathFactory, stub: LLMStub) -> Iterator[LiveServer]:
    yield from module_server(
        tmp_path_factory,
        "chat-llm",
        llm_base_url=stub.base_url,
        llm_model="stub-model",
        llm_api_key="test",
        llm_retries=0,
    )


@pytest.mark.slow
def test_an_llm_answer_is_used_only_when_its_numbers_are_stored(
    llm_live: LiveServer, stub: LLMStub
) -> None:
    client = llm_live.client
    stub.reply(
        tool_calls=[
            ("choose_dataset", {"name": "compas"}),
            ("set_rounds", {"rounds": 10}),
            ("train", {}),
        ]
    )
    started = chat(client, "could you train on the compas data, ten rounds?", "llm")
    assert wait_status(client, started["run_id"], ("done", "failed"), 120)["status"] == "done"
    run = client.get(f"/api/runs/{started['run_id']}").json()
    chosen = front(client, run["id"])["selection"]["round"]
    point = client.get(f"/api/runs/{run['id']}/points/{chosen}").json()
    true = f"{point['test']['accuracy']:.3f}"

    made_up = {"topic": "metric", "metric": "accuracy", "text": "Its accuracy is 0.999."}
    stub.reply(tool_calls=[("ask", made_up)])
    reply = chat(client, "how accurate is the thing?", "llm")["reply"]
    assert "0.999" not in reply and true in reply

    honest = {"topic": "metric", "metric": "accuracy", "text": f"About {true} on the test split."}
    stub.reply(tool_calls=[("ask", honest)])
    assert chat(client, "how accurate is the thing?", "llm")["reply"] == honest["text"]
    system = stub.requests[-1]["body"]["messages"][0]["content"]
    assert all(name in system for name in NOTIONS)


@pytest.mark.slow
def test_a_multi_task_run_from_the_chat(live: LiveServer) -> None:
    """Two tasks, FairBranch, one epoch: trained from one message, then compared with the
    single-task models stored with the run, figure by figure."""
    client, session = live.client, "multi-task"
    reply = chat(
        client,
        "use compas, predict two_year_recid and is_violent_recid together, use fairbranch, "
        "protect race, 1 epoch, train",
        session,
    )
    assert reply["setup"]["tasks"] == ["two_year_recid", "is_violent_recid"], reply["reply"]
    assert "Training fairbranch for 1 epochs" in reply["reply"]
    done = wait_status(client, reply["run_id"], ("done", "failed"), timeout=600)
    assert done["status"] == "done", done
    compared = chat(client, "compare with single-task models", session)["reply"]
    body = front(client, done["id"])
    chosen = client.get(f"/api/runs/{done['id']}").json()["selection"]
    round_ = chosen["round"] if chosen else body["selection"]["round"]
    point = client.get(f"/api/runs/{done['id']}/points/{round_}").json()
    split = body["baselines"]["split"]
    for task, entry in body["baselines"]["tasks"].items():
        mine = point["tasks"][task][split]["accuracy"]
        theirs = entry[split]["accuracy"]
        assert f"- {task}: accuracy {mine:.3f} vs {theirs:.3f}" in compared, compared
