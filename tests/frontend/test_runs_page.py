"""The Runs page under AppTest against the real service: the owner's runs with status,
learner, dataset and chosen point; another owner's page lists none of them; reopen,
cancel and delete act on the service."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import httpx
from streamlit.testing.v1 import AppTest

from .conftest import Service, no_traceback, wait_done

Make = Callable[..., AppTest]


def runs_page(app_test: Make, **state: Any) -> AppTest:
    at = app_test(**state).run()
    at.switch_page("pages/runs.py").run()
    no_traceback(at)
    return at


def test_lists_the_owner_s_runs_and_reopens_one(
    app_test: Make, service: Service, compas_run: dict[str, Any]
) -> None:
    at = runs_page(app_test)
    words = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "compas" in words and "mmm_fair" in words and "done" in words
    run = service.client.get(f"/api/runs/{compas_run['run_id']}").json()
    assert f"round {run['selection']['round']}" in words
    at.button(key=f"open-{compas_run['run_id']}").click().run()
    assert at.session_state["run_id"] == compas_run["run_id"]
    assert at.session_state["selected_round"] == run["selection"]["round"]


def test_another_owner_sees_none(
    app_test: Make, service: Service, compas_run: dict[str, Any]
) -> None:
    other = httpx.post(f"{service.url}/api/sessions").json()["token"]
    at = runs_page(app_test, owner_token=other)
    assert any("No runs yet" in i.value for i in at.info)
    assert not [b for b in at.button if b.key and compas_run["run_id"] in b.key]


def test_cancel_then_delete(app_test: Make, service: Service) -> None:
    run_id = service.client.post("/api/runs", json={"dataset": "adult", "rounds": 2000}).json()[
        "id"
    ]
    at = runs_page(app_test)
    assert at.button(key=f"delete-{run_id}").disabled
    at.button(key=f"cancel-{run_id}").click().run()
    no_traceback(at)
    with contextlib.suppress(AssertionError):  # wait_done asserts "done"; cancelled is fine
        wait_done(service.client, run_id, timeout=60)
    assert service.client.get(f"/api/runs/{run_id}").json()["status"] in ("cancelled", "done")
    at.run()
    at.button(key=f"delete-{run_id}").click().run()
    no_traceback(at)
    assert service.client.get(f"/api/runs/{run_id}").status_code == 404
