"""Your own CSV through the chat: each file of the CSV family uploaded, then at most three
messages (choose it; say what a person would about the target; train) reach a trained,
non-trivial front. The words come from the family's cases, written by hand."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from csv_family import CSVCase, family

from .conftest import LiveServer, chat_session, module_server, wait_status

CASES = {case.name: case for case in family()}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from module_server(tmp_path_factory, "chat-family")


def messages(case: CSVCase) -> list[str]:
    """What a person types: the file, then the target in words, then train."""
    said = [f"use {case.name}"]
    if case.target_rule is not None:
        said.append(f"predict whether {case.words['rule']}")
    elif case.answer is not None:  # the profile asks which class is positive
        words = case.words.get("positive") or case.answer
        said.append(words if " " in words else f"the positive class is {words}")
    said.append("train with 20 rounds")
    return said


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_an_upload_reaches_a_trained_front_in_three_messages(live: LiveServer, name: str) -> None:
    case = CASES[name]
    upload = live.client.post(
        "/api/datasets", files={"file": (case.name, case.content, "text/csv")}
    )
    assert upload.status_code == 201, upload.text
    session = chat_session(live.client)  # issued by the service, one per file
    said = messages(case)
    assert len(said) <= 3
    reply: dict = {}
    for message in said:
        reply = live.client.post(
            "/api/chat", json={"session_id": session, "message": message}, timeout=120
        ).json()
        assert "?" not in reply["reply"].split("\n")[0] or "Dataset:" in reply["reply"], reply
    assert reply["run_id"], reply["reply"]
    if case.target_rule is not None:
        assert reply["setup"]["target_rule"] == case.target_rule
    done = wait_status(live.client, reply["run_id"], ("done", "failed"), timeout=300)
    assert done["status"] == "done", done
    front = live.client.get(f"/api/runs/{done['id']}/front").json()
    assert any(p["on_front"] and not p["trivial"] for p in front["points"])
