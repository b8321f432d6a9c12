"""Every page under Streamlit's AppTest against the real service: first render, a chat
turn, a point chosen on the chart (the selection state a click sends), service errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from .conftest import (
    Service,
    chart,
    click_point,
    closed_port,
    no_traceback,
    run_until,
    texts,
)

PAGES = ("pages/chat.py", "pages/front.py", "pages/datasets.py")
Make = Callable[..., AppTest]


def open_page(at: AppTest, page: str) -> AppTest:
    at.run()
    if page != "pages/chat.py":
        at.switch_page(page).run()
    return at


def done_run_state(compas_run: dict[str, Any], **more: Any) -> dict[str, Any]:
    """Session state of a browser session that follows the fixture's finished run."""
    return {
        "session_id": compas_run["session_id"],
        "run_id": compas_run["run_id"],
        "run_status": "done",
        **more,
    }


# ----------------------------------------------------------------------- first render


def test_chat_first_render_guides_a_newcomer(app_test: Make) -> None:
    at = app_test().run()
    no_traceback(at)
    assert "accurate and fair" in texts(at)[0]
    labels = {b.label for b in at.button}
    assert {"Adult income", "COMPAS recidivism", "German credit", "Bank marketing"} <= labels
    assert at.chat_input[0].placeholder.startswith("Tell fairfront")
    assert any("front appears here" in i.value for i in at.info)
    # the set-up beside the chat
    assert "Set-up" in [s.value for s in at.sidebar.subheader]
    assert any("No dataset chosen" in c.value for c in at.sidebar.caption)


@pytest.mark.parametrize("page", PAGES[1:])
def test_other_pages_first_render(app_test: Make, page: str) -> None:
    at = open_page(app_test(), page)
    no_traceback(at)
    if page == "pages/front.py":
        assert any("No run yet" in i.value for i in at.info)
    else:
        table = at.dataframe[0].value
        assert set(table["name"]) >= {"adult", "bank", "compas", "german"}
        assert [f.label for f in at.file_uploader]


# ----------------------------------------------------------------------------- chat


def test_two_messages_reach_a_trained_front(app_test: Make, service: Service) -> None:
    at = app_test().run()
    at.button(key="suggest-1").click().run()  # "use compas, protect race and sex, ..."
    no_traceback(at)
    assert texts(at)[-2].startswith("use compas")
    assert "Dataset: compas" in texts(at)[-1]
    assert at.session_state["setup"]["protected"] == ["race", "sex"]
    assert at.session_state["setup"]["notions"] == ["dp"]
    assert [b.label for b in at.button if b.key and b.key.startswith("suggest-")][0] == "Train"

    at.chat_input[0].set_value("train with 20 rounds").run()
    no_traceback(at)
    run_id = at.session_state["run_id"]
    assert run_id and "Training mmm_fair for 20 rounds" in texts(at)[-1]

    at = run_until(at, lambda a: a.session_state["run_status"] == "done")
    assert "Training finished: 20 rounds" in texts(at)[-1]
    figure = chart(at, "chat-front")
    assert '"unconstrained baseline"' in figure.proto.spec  # the baseline, once done
    assert any("Done: 20 rounds" in p.proto.text for p in at.get("progress"))
    chosen = at.session_state["selected_round"]
    assert chosen == service.client.get(f"/api/runs/{run_id}").json()["selection"]["round"]
    assert [b.label for b in at.get("download_button")] == [
        "ONNX model",
        "Card (JSON)",
        "Card (Markdown)",
    ]
    assert any(e.label == "Explanation" for e in at.expander)


def test_chat_selects_and_exports(app_test: Make, compas_run: dict[str, Any]) -> None:
    at = app_test(**done_run_state(compas_run)).run()
    at.chat_input[0].set_value("pick the fairest point above 0.6 balanced accuracy").run()
    no_traceback(at)
    reply = texts(at)[-1]
    assert reply.startswith("Selected round")
    chosen = at.session_state["selected_round"]
    assert f"Selected round {chosen}:" in reply
    assert f"Chosen point: round {chosen}" in [s.value for s in at.subheader]
    # the same highlight as a click: the ring sits on that round
    assert f'"selected (round {chosen})"' in chart(at, "chat-front").proto.spec

    at.chat_input[0].set_value("export").run()
    no_traceback(at)
    message = at.chat_message[-1]
    assert "is ready" in message.markdown[0].value
    assert [b.label for b in message.get("download_button")] == [
        "ONNX model",
        "Card (JSON)",
        "Card (Markdown)",
    ]


def test_upload_then_use_it_in_chat(app_test: Make) -> None:
    rows = ["age,sex,score,approved"] + [
        f"{20 + i % 50},{'F' if i % 3 else 'M'},{(i * 37) % 100},{'yes' if i % 4 else 'no'}"
        for i in range(120)
    ]
    at = app_test().run()
    at.file_uploader(key="chat-upload").set_value(
        ("loans.csv", "\n".join(rows).encode(), "text/csv")
    ).run()
    no_traceback(at)
    assert "Uploaded **loans.csv**: 120 rows, 4 columns" in texts(at)[-1]
    at.button(key="option-0-0").click().run()  # "use loans.csv"
    no_traceback(at)
    assert at.session_state["setup"]["dataset"] == "loans.csv"
    assert "Dataset: loans.csv" in texts(at)[-1]


# ------------------------------------------------------------------- choosing a point


def test_click_on_the_chart_chooses_the_point(
    app_test: Make, service: Service, compas_run: dict[str, Any]
) -> None:
    at = app_test(**done_run_state(compas_run)).run()
    no_traceback(at)
    front = compas_run["front"]
    start = at.session_state["selected_round"]
    target = next(p["round"] for p in front["points"] if p["on_front"] and p["round"] != start)
    at = click_point(at, "chat-front", target)
    no_traceback(at)
    assert at.session_state["selected_round"] == target
    assert f"You chose round {target} on the chart." in texts(at)
    run = service.client.get(f"/api/runs/{compas_run['run_id']}").json()
    assert run["selection"]["round"] == target and run["selection"]["by"] == "user"
    assert f"Chosen point: round {target}" in [s.value for s in at.subheader]
    explanation = next(e for e in at.expander if e.label == "Explanation")
    assert f"This is round {target}" in explanation.markdown[0].value
    groups = at.dataframe[0].value
    assert set(groups["attribute"]) == {"race", "sex"}
    assert {"true-positive rate", "false-positive rate"} <= set(groups.columns)
    assert chart(at, "chat-groups")
    assert f'"selected (round {target})"' in chart(at, "chat-front").proto.spec


def test_explore_page_axes_3d_and_click(app_test: Make, compas_run: dict[str, Any]) -> None:
    at = open_page(app_test(**done_run_state(compas_run)), "pages/front.py")
    no_traceback(at)
    assert chart(at, "explore-front-3d")
    x_axis = at.selectbox(key="explore-x")
    assert {"eo (worst attribute)", "eo on race", "eo on sex"} <= set(x_axis.options)
    at.selectbox(key="explore-y").set_value("accuracy").run()
    at.radio(key="explore-split").set_value("test").run()
    no_traceback(at)
    assert "accuracy, higher is better" in chart(at, "explore-front").proto.spec
    target = compas_run["front"]["points"][-1]["round"]
    at = click_point(at, "explore-front", target)
    no_traceback(at)
    assert at.session_state["selected_round"] == target
    table = next(d.value for d in at.dataframe if "round" in d.value.columns)
    assert set(table["on front"]) == {True}


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("page", PAGES)
def test_service_down_is_a_chat_message_not_a_traceback(app_test: Make, page: str) -> None:
    down = f"http://127.0.0.1:{closed_port()}"
    at = open_page(app_test(api_url=down, run_id="0" * 32, run_status="running"), page)
    no_traceback(at)
    if page == "pages/chat.py":
        at.chat_input[0].set_value("use adult").run()
        no_traceback(at)
        assert "cannot reach the fairfront service" in texts(at)[-1]
    messages = at.session_state["messages"]
    errors = [m["text"] for m in messages if m["error"]]
    assert errors and all("cannot reach the fairfront service" in e for e in errors)
    # said once, not again on every refresh of the page
    assert all(a != b for a, b in zip(messages, messages[1:], strict=False))


def test_refusal_from_the_service_reads_as_a_chat_message(
    app_test: Make, compas_run: dict[str, Any]
) -> None:
    at = app_test(**done_run_state(compas_run)).run()
    # a selection naming round 500 of a 20-round run: the service answers 422, its reason
    at = click_point(at, "chat-front", 500, on_chart=False)
    no_traceback(at)
    last = at.session_state["messages"][-1]
    assert last["error"]
    assert last["text"] == (
        "The service could not do that: no point for round 500 (rounds present: 1-20)"
    )
    assert last["text"] in texts(at)
