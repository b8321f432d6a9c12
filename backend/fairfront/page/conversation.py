"""The chat: send a message to the service, fold the reply's actions into the session,
and show the conversation with its suggested replies and downloads."""

from __future__ import annotations

import functools
import math
from typing import Any

import state
import streamlit as st
from client import APIError, get_client

WELCOME = (
    "Hi! I train classifiers that are **accurate and fair** and show you the trade-off "
    "as a front of models, one point per boosting round. Tell me the data, who to "
    "protect and which fairness notion matters, then say **train**. Pick a suggestion "
    "below to start, or upload your own CSV."
)
STARTERS = (
    ("Adult income", "use adult, protect sex, race and age, keep equalized odds under 5%"),
    ("COMPAS recidivism", "use compas, protect race and sex, use demographic parity"),
    ("German credit", "use german, protect sex and age, use equal opportunity"),
    ("Bank marketing", "use bank, protect age and marital, use equalized odds"),
)
ERROR_AVATAR = ":material/error:"
MAX_OPTIONS = 6
"""Most reply buttons shown under a message."""


def queue_prompt(text: str) -> None:
    """Button callback: send ``text`` as the next chat message."""
    st.session_state[state.PENDING_PROMPT] = text


def take_pending() -> str | None:
    text: str | None = st.session_state[state.PENDING_PROMPT]
    st.session_state[state.PENDING_PROMPT] = None
    return text


# ------------------------------------------------------------------ one chat turn


def error_text(error: APIError) -> str:
    if error.status is None:
        return error.message
    return f"The service could not do that: {error.message}"


def _apply(action: dict[str, Any], record: dict[str, Any]) -> None:
    """Fold one reply action into the session (and the reply's message record)."""
    kind = action.get("type")
    if kind == "run_started" and action.get("run_id"):
        state.start_run(str(action["run_id"]))
    elif kind == "point_selected" and action.get("round") is not None:
        st.session_state[state.SELECTED_ROUND] = int(action["round"])
    elif kind == "download" and action.get("round") is not None:
        record["downloads"] = {
            "round": int(action["round"]),
            "model_url": action.get("model_url"),
            "card_url": action.get("card_url"),
            "card_markdown_url": action.get("card_markdown_url"),
        }
    elif kind == "clarify":
        record["options"] = [str(o) for o in action.get("options") or []]
    elif kind == "upload":
        st.session_state[state.UPLOAD_OPEN] = True
    elif kind == "start_over":
        state.forget_run()


def send(message: str) -> None:
    """One chat turn: the user's message to ``POST /api/chat``, its reply into the chat."""
    state.add_message("user", message)
    try:
        reply = get_client().chat(st.session_state[state.SESSION_ID], message)
    except APIError as error:
        state.report_error(error_text(error))
        return
    st.session_state[state.SETUP] = reply.get("setup")
    record: dict[str, Any] = {
        "role": "assistant",
        "text": str(reply.get("reply", "")),
        "error": False,
    }
    for action in reply.get("actions") or []:
        if isinstance(action, dict):
            _apply(action, record)
    suggestions = [str(s) for s in reply.get("suggestions") or [] if isinstance(s, str) and s]
    if suggestions:  # the likely readings of an unclear message, or the next steps
        record["options"] = suggestions[:MAX_OPTIONS]
    st.session_state[state.MESSAGES].append(record)


# -------------------------------------------------------------------- showing it


def _download(path: str, token: str | None) -> bytes:
    """Deferred download: fetched through the service only when the button is clicked,
    as the page's owner (Streamlit calls this outside the browser session, where the
    session's token cannot be looked up)."""
    return get_client().download(path, token=token)


def download_buttons(paths: dict[str, Any], stem: str, key: str) -> None:
    """Buttons for a point's ONNX model and its model card (JSON and Markdown); the
    files are fetched from the service only when a button is clicked."""
    files = (
        ("ONNX model", "model_url", ".onnx", "application/octet-stream", ":material/download:"),
        (
            "Card (JSON)",
            "card_url",
            ".card.json",
            "application/json",
            ":material/description:",
        ),
        (
            "Card (Markdown)",
            "card_markdown_url",
            ".card.md",
            "text/markdown",
            ":material/article:",
        ),
    )
    owner: str | None = st.session_state[state.OWNER_TOKEN]
    columns = st.columns(len(files))
    for column, (label, field, suffix, mime, icon) in zip(columns, files, strict=True):
        path = paths.get(field)
        if not path:
            continue
        with column:
            st.download_button(
                label,
                data=functools.partial(_download, str(path), owner),
                file_name=f"{stem}{suffix}",
                mime=mime,
                key=f"{key}-{field}",
                icon=icon,
                on_click="ignore",
            )


def _lines(text: str) -> str:
    """The service's plain text as Markdown: each line break kept."""
    return text.replace("\n", "  \n")


def _show_message(index: int, message: dict[str, Any], last: bool) -> None:
    avatar = ERROR_AVATAR if message.get("error") else None
    with st.chat_message(message["role"], avatar=avatar):
        st.markdown(_lines(message["text"]))
        downloads = message.get("downloads")
        if downloads:
            stem = f"fairfront-round-{downloads.get('round')}"
            download_buttons(downloads, stem, f"message-{index}")
        if last and message.get("options"):
            with st.container(horizontal=True):
                for n, option in enumerate(message["options"]):
                    st.button(
                        _button_label(option),
                        help=f"sends “{option}”",
                        key=f"option-{index}-{n}",
                        on_click=queue_prompt,
                        args=(option,),
                        type="tertiary",
                    )


def _button_label(text: str, limit: int = 60) -> str:
    """A reply button's label: the message it sends, cut short when long."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def show_history(*, more_coming: bool = False) -> None:
    """The welcome, then every message so far (the last one with its suggested replies,
    unless ``more_coming``: a message is being sent)."""
    with st.chat_message("assistant"):
        st.markdown(WELCOME)
    messages = st.session_state[state.MESSAGES]
    for index, message in enumerate(messages):
        _show_message(index, message, last=not more_coming and index == len(messages) - 1)


def show_new(since: int) -> None:
    """Messages added since ``since`` (after a turn that was shown while it ran)."""
    messages = st.session_state[state.MESSAGES]
    for index in range(since, len(messages)):
        _show_message(index, messages[index], last=index == len(messages) - 1)


def _suggestions() -> list[tuple[str, str]]:
    """Replies that move the session on from where it is: (label, message)."""
    setup = st.session_state[state.SETUP] or {}
    status = st.session_state[state.RUN_STATUS]
    if status in state.ACTIVE:
        return []
    if status == "done":
        out = [("Explain the chosen point", "explain"), ("Export it", "export")]
        best = _best_balanced_accuracy()
        if best is not None and best > 0.55:
            bound = math.floor((best - 0.02) * 100) / 100
            text = f"pick the fairest point above {bound:.2f} balanced accuracy"
            out.append((text.capitalize(), text))
        out.append(("Pick the knee", "pick the knee"))
        if setup.get("dataset"):
            out.append(("Train again", "train"))
        return out
    if setup.get("dataset"):
        return train_suggestions(setup)
    return [(label, text) for label, text in STARTERS]


def train_suggestions(setup: dict[str, Any]) -> list[tuple[str, str]]:
    """The "Train" button, and a shorter run: fewer epochs for a multi-task set-up (its tasks are
    set), fewer rounds for a boosting one; only when it is shorter than what is set."""
    if setup.get("tasks"):
        unit, short, current = "epochs", 10, int(setup.get("epochs") or 30)
    else:
        unit, short, current = "rounds", 100, int(setup.get("rounds") or 300)
    text = f"train with {short} {unit}"
    return [("Train", "train")] + ([(text.capitalize(), text)] if current > short else [])


def _best_balanced_accuracy() -> float | None:
    """The best validation balanced accuracy on the finished front (to word a rule)."""
    cached = st.session_state[state.FRONT] or {}
    values = [
        p.get("validation", {}).get("balanced_accuracy")
        for p in (cached.get("front") or {}).get("points", [])
        if not p.get("trivial")
    ]
    numbers = [float(v) for v in values if isinstance(v, int | float)]
    return max(numbers) if numbers else None


def show_suggestions() -> None:
    suggestions = _suggestions()
    if not suggestions:
        return
    st.caption("Try:")
    with st.container(horizontal=True):
        for n, (label, text) in enumerate(suggestions):
            st.button(
                label,
                key=f"suggest-{n}",
                help=f"sends “{text}”",
                on_click=queue_prompt,
                args=(text,),
            )
