"""The chat page offers the likely readings of an unclear message as buttons; one click
sends the whole reading (Streamlit's AppTest against the real service)."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from .conftest import no_traceback, texts

Make = Callable[..., AppTest]


def test_an_unclear_message_offers_its_readings_as_buttons(app_test: Make) -> None:
    at = app_test().run()
    at.chat_input[0].set_value("use adult").run()
    message = "I care that women are treated fairly, use demographic parity under 3%"
    at.chat_input[0].set_value(message).run()
    no_traceback(at)
    assert "Did you mean sex?" in texts(at)[-1]
    assert at.session_state["setup"]["constraints"] == []  # nothing applied yet
    last = len(at.session_state["messages"]) - 1
    reading = at.session_state["messages"][last]["options"][0]
    assert "protect sex" in reading and "dp under 0.03" in reading
    at.button(key=f"option-{last}-0").click().run()
    no_traceback(at)
    assert texts(at)[-2] == reading
    assert at.session_state["setup"]["protected"] == ["sex"]
    assert at.session_state["setup"]["constraints"] == ["dp<=0.03"]
