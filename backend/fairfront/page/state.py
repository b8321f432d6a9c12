"""Every session-state key of the front end, initialised in one place, and the few
transitions that change several keys together."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

OWNER_TOKEN = "owner_token"  # noqa: S105 - a session-state key
"""The service's token for this browser's owner (kept in a browser cookie too, so that
a reload or a new tab of the same browser is the same owner)."""
SESSION_ID = "session_id"
"""The chat session on the service, issued by it (its id is kept in a cookie too)."""
MESSAGES = "messages"
"""The conversation: dicts with ``role``, ``text``, ``error`` and optional ``downloads``
(round) and ``options`` (suggested replies)."""
SETUP = "setup"
"""The set-up the service last reported (``None`` before the first message)."""
RUN_ID = "run_id"
"""The session's current run."""
RUN_STATUS = "run_status"
"""Its last seen status (``queued``, ``running``, ``done``, ...)."""
LIVE_POINTS = "live_points"
"""How far the current run's live front is: ``"waiting"`` for its first point (the page
asks often, so that the point is drawn soon after it is stored), ``"drawn"`` (the next
look switches to the steady pace) or ``"steady"``."""
FRONT = "front"
"""The finished run and its front, fetched once: ``{"run_id", "run", "front"}``."""
SELECTED_ROUND = "selected_round"
"""The chosen point's round (by a click, a chat rule, or the run's own choice)."""
EXPLANATIONS = "explanations"
"""Explanations fetched so far, by ``"run_id/round"``."""
CLICKS = "clicks"
"""The last click handled per chart key, so a click acts once."""
PENDING_PROMPT = "pending_prompt"
"""A message from a suggestion button, sent on the next run."""
UPLOADED = "uploaded"
"""File ids of uploads already sent, so a rerun does not upload twice."""
DATASET_INFO = "dataset_info"
"""Dataset descriptions fetched for the sidebar, by dataset name."""
UPLOAD_OPEN = "upload_open"
"""Whether the upload box is shown open (the chat asked for a file)."""
VOCABULARY = "vocabulary"
"""The service's vocabulary (``GET /api/vocabulary``): labels for notions, learners, data."""
# Widget keys (axes, split, tables) are named where the widgets are drawn, after the
# page part they belong to ("chat-x", "explore-3d-0"); Streamlit keeps their values.

DEFAULTS: dict[str, Callable[[], Any]] = {
    OWNER_TOKEN: lambda: None,
    SESSION_ID: lambda: None,
    MESSAGES: list,
    SETUP: lambda: None,
    RUN_ID: lambda: None,
    RUN_STATUS: lambda: None,
    LIVE_POINTS: lambda: "waiting",
    FRONT: lambda: None,
    SELECTED_ROUND: lambda: None,
    EXPLANATIONS: dict,
    CLICKS: dict,
    PENDING_PROMPT: lambda: None,
    UPLOADED: list,
    DATASET_INFO: dict,
    UPLOAD_OPEN: lambda: False,
    VOCABULARY: lambda: None,
}

ACTIVE = ("queued", "running", "cancelling")


def init() -> None:
    """Give every key its default once per browser session; then make sure the session
    has an owner and a chat session on the service (see :mod:`identity`)."""
    for key, default in DEFAULTS.items():
        if key not in st.session_state:
            st.session_state[key] = default()


def add_message(role: str, text: str, **extra: Any) -> None:
    st.session_state[MESSAGES].append({"role": role, "text": text, "error": False, **extra})


def report_error(text: str) -> None:
    """Put a service error in the chat as the assistant's words (not twice in a row)."""
    messages = st.session_state[MESSAGES]
    if messages and messages[-1]["error"] and messages[-1]["text"] == text:
        return
    messages.append({"role": "assistant", "text": text, "error": True})


def start_run(run_id: str) -> None:
    """Follow a new run: forget the old front, selection and clicks."""
    st.session_state[RUN_ID] = run_id
    st.session_state[RUN_STATUS] = "queued"
    st.session_state[LIVE_POINTS] = "waiting"
    st.session_state[FRONT] = None
    st.session_state[SELECTED_ROUND] = None
    st.session_state[CLICKS] = {}


def forget_run() -> None:
    st.session_state[RUN_ID] = None
    st.session_state[RUN_STATUS] = None
    st.session_state[LIVE_POINTS] = "waiting"
    st.session_state[FRONT] = None
    st.session_state[SELECTED_ROUND] = None
    st.session_state[CLICKS] = {}


def run_id() -> str | None:
    value: str | None = st.session_state[RUN_ID]
    return value


def run_active() -> bool:
    return st.session_state[RUN_ID] is not None and st.session_state[RUN_STATUS] in ACTIVE


def selected_round() -> int | None:
    value: int | None = st.session_state[SELECTED_ROUND]
    return value
