"""A sweep asked for in the chat, end to end: the real app on a real server trains a
COMPAS sweep of two settings and the chat's replies name the settings it stores.

Every figure is read back through the runs API, never taken from the chat's words.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .conftest import LiveServer, chat_session, module_server, wait_status

WEIGHTS = [0.5, 2.0]
ROUNDS = 8


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from module_server(tmp_path_factory, "chat-sweeps", max_jobs=2)


def say(client: httpx.Client, session: str, message: str) -> dict[str, Any]:
    response = client.post("/api/chat", json={"session_id": session, "message": message})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture(scope="module")
def client(live: LiveServer) -> Iterator[httpx.Client]:
    """The owner's client, patient: a fresh server reads the built-in datasets on its
    first message, which takes long on a loaded machine."""
    with live.new_client(timeout=180.0) as patient:
        yield patient


@pytest.fixture(scope="module")
def swept(client: httpx.Client) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(session, the training reply, the finished run) of a chat sweep on COMPAS."""
    session = chat_session(client)
    setup = say(client, session, "use compas and protect race")
    assert setup["setup"]["dataset"] == "compas"
    asked = say(client, session, "fairness weight 0.5 or 2")  # a question: nothing changes
    assert "Which fairness weight" in asked["reply"] and asked["setup"]["sweep"] == {}
    set_up = say(client, session, "try fairness weights 0.5 and 2 with 8 rounds")
    assert set_up["setup"]["sweep"] == {"fairness_weight": WEIGHTS}
    assert "Sweep: fairness weight over 0.5 and 2 (2 settings" in set_up["reply"]
    started = say(client, session, "train")
    assert started["run_id"], started["reply"]
    assert "in each of 2 settings (fairness weight 0.5; fairness weight 2)" in started["reply"]
    done = wait_status(client, started["run_id"], ("done", "failed"), timeout=240)
    assert done["status"] == "done", done
    return session, started, done


def test_the_run_spec_carries_the_sweep(swept: tuple[str, dict[str, Any], dict[str, Any]]) -> None:
    _, _, run = swept
    assert run["spec"]["sweep"] == {"fairness_weight": WEIGHTS}
    assert run["spec"]["learner"] == "mmm_fair" and run["spec"]["rounds"] == ROUNDS


def test_the_front_has_each_settings_points_and_one_selection(
    client: httpx.Client, swept: tuple[str, dict[str, Any], dict[str, Any]]
) -> None:
    _, _, run = swept
    front = client.get(f"/api/runs/{run['id']}/front").json()
    settings = [p["setting"]["fairness_weight"] for p in front["points"]]
    assert sorted(set(settings)) == WEIGHTS
    assert all(settings.count(w) >= 1 for w in WEIGHTS)
    assert sum(p["selected"] for p in front["points"]) == 1
    chosen = next(p for p in front["points"] if p["selected"])
    assert front["selection"]["round"] == chosen["round"]
    assert front["selection"]["setting"] == chosen["setting"]


def test_the_replies_name_the_chosen_setting(
    client: httpx.Client, swept: tuple[str, dict[str, Any], dict[str, Any]]
) -> None:
    session, _, run = swept
    selection = client.get(f"/api/runs/{run['id']}").json()["selection"]
    weight = f"fairness weight {selection['setting']['fairness_weight']:g}"
    status = say(client, session, "what is the status of the run?")["reply"]
    assert f"The chosen point is round {selection['round']}, from the setting {weight}" in status
    chosen = say(client, session, "which point is selected?")["reply"]
    assert f"round {selection['round']}, from the setting {weight}" in chosen
    picked = say(client, session, "pick the knee")
    round_ = next(a["round"] for a in picked["actions"] if a["type"] == "point_selected")
    point = client.get(f"/api/runs/{run['id']}/points/{round_}").json()
    setting = f"fairness weight {point['setting']['fairness_weight']:g}"
    assert f"Selected round {round_} (the setting {setting})" in picked["reply"]


def test_no_sweep_leaves_one_setting(
    client: httpx.Client, swept: tuple[str, dict[str, Any], dict[str, Any]]
) -> None:
    session, _, _ = swept
    cleared = say(client, session, "no sweep, fairness weight 2")
    assert cleared["setup"]["sweep"] == {} and cleared["setup"]["params"] == {
        "fairness_weight": 2.0
    }
    assert "Learner parameters: fairness weight 2." in cleared["reply"]
    assert "Sweep:" not in cleared["reply"]
