"""Chat sessions over real HTTP: an upload name resolves only among the owner's own
uploads, and two uploads of the same name are a question ("which one?"), never a guess;
deleting a chat session (owner only, 404 for others). Real server, real SQLite, real CSVs
cut from the German credit data."""

from __future__ import annotations

import gzip
import sqlite3
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fairfront.service.services.chat_uploads import Upload, resolve_choice

from .conftest import GERMAN_CSV, TERMINAL, LiveServer, chat_session, module_server, wait_status


def german(rows: int, columns: list[str] | None = None) -> bytes:
    """The first ``rows`` rows of the real German credit file, some columns only."""
    lines = gzip.decompress(GERMAN_CSV.read_bytes()).decode().splitlines()
    header = lines[0].split(",")
    keep = [header.index(c) for c in columns] if columns else list(range(len(header)))
    out = [",".join(line.split(",")[i] for i in keep) for line in lines[: rows + 1]]
    return ("\n".join(out) + "\n").encode()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from module_server(tmp_path_factory, "chat-uploads")


def upload(client: httpx.Client, name: str, data: bytes) -> dict[str, Any]:
    response = client.post("/api/datasets", files={"file": (name, data, "text/csv")})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture(scope="module")
def twins(live: LiveServer) -> dict[str, Any]:
    """A's two uploads named payroll.csv (different rows and columns) and B's one."""
    first = upload(live.client, "payroll.csv", german(200))
    second = upload(
        live.client, "payroll.csv", german(400, ["age", "sex", "credit_history", "Probability"])
    )
    b = live.other_owner()
    theirs = upload(b, "payroll.csv", german(120, ["age", "sex", "Probability"]))
    return {"first": first, "second": second, "b": b, "theirs": theirs}


def say(client: httpx.Client, session: str, message: str) -> dict[str, Any]:
    response = client.post("/api/chat", json={"session_id": session, "message": message})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_two_uploads_of_one_name_are_a_question(live: LiveServer, twins: dict[str, Any]) -> None:
    a, first, second = live.client, twins["first"], twins["second"]
    session = chat_session(a)
    asked = say(a, session, "use payroll.csv and protect sex")
    text = asked["reply"]
    assert "which one" in text, text
    for item, columns in ((first, 21), (second, 4)):
        assert item["id"][:8] in text
        assert f"{item['rows']} rows x {columns} columns" in text
        assert item["created"][:16].replace("T", " ") in text
    assert twins["theirs"]["id"][:8] not in text  # B's upload of that name is not A's
    assert asked["suggestions"] == [
        f"the first one ({first['id'][:8]})",
        f"the second one ({second['id'][:8]})",
    ]
    assert any(x["type"] == "clarify" for x in asked["actions"])
    # never a guess: "train" asks again and starts nothing
    trained = say(a, session, "train with 3 rounds")
    assert trained["run_id"] is None and "which one" in trained["reply"]
    assert not [x for x in trained["actions"] if x["type"] == "run_started"]
    assert a.get("/api/runs").json()["runs"] == []
    # another request while the question is open is read as such, not as a choice
    other = say(a, session, "protect the second column of age")
    assert "which one" in other["reply"] and other["setup"]["dataset"] == "payroll.csv"

    chosen = say(a, session, "the second one")
    label = f"payroll.csv ({second['id'][:8]})"
    assert chosen["setup"]["dataset"] == label, chosen["reply"]
    assert "Using payroll.csv uploaded" in chosen["reply"] and second["id"][:8] in chosen["reply"]
    assert "which one" not in chosen["reply"]
    started = say(a, session, "predict Probability, the positive class is 1, train")
    runs = [x["run_id"] for x in started["actions"] if x["type"] == "run_started"]
    assert len(runs) == 1, started["reply"]
    run_id = runs[0]
    run = wait_status(a, run_id, TERMINAL, timeout=120)
    assert run["spec"]["dataset"] == second["id"], run  # the one chosen, by id
    assert run["status"] == "done", run


def test_the_answer_may_be_the_id_or_a_button(live: LiveServer, twins: dict[str, Any]) -> None:
    a, first = live.client, twins["first"]
    for answer in (first["id"][:8], f"the first one ({first['id'][:8]})", "use the oldest one"):
        session = chat_session(a)
        assert "which one" in say(a, session, "use payroll.csv")["reply"]
        chosen = say(a, session, answer)
        assert chosen["setup"]["dataset"] == f"payroll.csv ({first['id'][:8]})", answer


def test_b_has_one_payroll_and_is_not_asked(live: LiveServer, twins: dict[str, Any]) -> None:
    b = twins["b"]
    session = chat_session(b)
    reply = say(b, session, "use payroll.csv")
    assert "which one" not in reply["reply"] and reply["setup"]["dataset"] == "payroll.csv"
    assert twins["first"]["id"][:8] not in reply["reply"]
    assert twins["second"]["id"][:8] not in reply["reply"]


UPLOADS = [
    Upload(id="3f2a9c1b" + "0" * 24, name="payroll.csv", created="", rows=1, columns=1),
    Upload(id="7d01e2aa" + "0" * 24, name="payroll.csv", created="", rows=1, columns=1),
]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("the second one", 1),
        ("2", 1),
        ("number 1", 0),
        ("first", 0),
        ("I mean the 2nd payroll.csv", 1),
        ("the latest", 1),
        ("the older one please", 0),
        ("3f2a9c1b", 0),
        ("use upload 7d01", 1),
        ("the first one (3f2a9c1b)", 0),
        ("the first one (7d01e2aa)", None),  # an id and an ordinal that disagree
        ("the third one", None),
        ("3", None),
        ("protect the second column", None),  # another request, not an answer
        ("use compas", None),
        ("train", None),
        ("the first or the second", None),
        ("", None),
    ],
)
def test_resolve_choice(message: str, expected: int | None) -> None:
    chosen = resolve_choice(message, "payroll.csv", UPLOADS)
    assert chosen == (None if expected is None else UPLOADS[expected])


# ----- deleting a chat session ------------------------------------------------------
def test_deleting_a_chat_session(live: LiveServer) -> None:
    a, b = live.client, live.other_owner()
    session, kept = chat_session(a), chat_session(a)
    say(a, session, "use compas")
    theirs = chat_session(b)
    # B can neither delete nor see A's session: 404, and A's is still there
    assert b.delete(f"/api/chat/sessions/{session}").status_code == 404
    assert a.get(f"/api/chat/sessions/{session}").json()["setup"]["dataset"] == "compas"
    gone = a.delete(f"/api/chat/sessions/{session}")
    assert gone.status_code == 204 and gone.content == b""
    # its row is gone from the store; A's other session and B's are not
    with sqlite3.connect(live.models_dir / "fairfront.db") as db:
        rows = {r[0] for r in db.execute("SELECT id FROM chat_sessions")}
    assert session not in rows and {kept, theirs} <= rows
    for response in (
        a.get(f"/api/chat/sessions/{session}"),
        a.post("/api/chat", json={"session_id": session, "message": "use adult"}),
        a.delete(f"/api/chat/sessions/{session}"),  # twice: the same state, 404
    ):
        assert response.status_code == 404, response.text
        assert response.json()["field"] == "session_id"
    # the message to a deleted session did not bring it back
    with sqlite3.connect(live.models_dir / "fairfront.db") as db:
        assert db.execute("SELECT 1 FROM chat_sessions WHERE id = ?", (session,)).fetchone() is None
    assert a.delete(f"/api/chat/sessions/{theirs}").status_code == 404  # A cannot delete B's
    assert b.get(f"/api/chat/sessions/{theirs}").status_code == 200
    assert httpx.delete(f"{live.url}/api/chat/sessions/{kept}").status_code == 401
    b.close()
