"""Who this browser is, for the service: an owner token and a chat session, kept in
the browser so that a reload or a new tab of the same browser comes back to them.

The page is a Streamlit server that calls the service on the browser's behalf, so the
browser never holds the service's httpOnly cookie itself. Instead the page keeps the
owner token the service issued in ``st.session_state`` and mirrors it, with the chat
session id, in two first-party cookies of the page's own origin (``SameSite=Strict``,
a year long), written by a tiny script and read back from ``st.context.cookies`` when a
new browser session starts. A token that the service no longer accepts (its secret was
removed) is dropped and a new owner is opened. When the service has an access token,
the page asks for it once, then keeps the owner token like any other.
"""

from __future__ import annotations

import json
import re

import state
import streamlit as st
import streamlit.components.v1 as components
from client import APIError, get_client, set_token_source

__all__ = ["TOKEN_COOKIE", "CHAT_COOKIE", "ensure_owner"]

TOKEN_COOKIE = "fairfront_page_owner"  # noqa: S105 - a cookie name
CHAT_COOKIE = "fairfront_page_chat"
COOKIE_DAYS = 365
_SAFE = re.compile(r"[A-Za-z0-9_.-]{1,200}")
ACCESS_KEY = "access-token-input"

def _token_source() -> str | None:
    try:
        value = st.session_state.get(state.OWNER_TOKEN)
    except Exception:  # no script run context
        return None
    return value if isinstance(value, str) else None


set_token_source(_token_source)


def _cookie(name: str) -> str | None:
    try:
        value = st.context.cookies.get(name)
    except Exception:  # no browser behind this run (AppTest)
        return None
    return value if isinstance(value, str) and _SAFE.fullmatch(value) else None


def remember_in_browser() -> None:
    """Write the owner token and chat session id into the page's own cookies."""
    values = {
        TOKEN_COOKIE: st.session_state.get(state.OWNER_TOKEN),
        CHAT_COOKIE: st.session_state.get(state.SESSION_ID),
    }
    lines = [
        f"document.cookie = {json.dumps(f'{name}={value}')} + "
        f"'; path=/; max-age={COOKIE_DAYS * 86400}; SameSite=Strict';"
        for name, value in values.items()
        if isinstance(value, str) and _SAFE.fullmatch(value)
    ]
    if lines and st.session_state.get("_remembered") != values:
        st.session_state["_remembered"] = values
        # srcdoc iframe of the same origin: the cookies are the page's own.
        components.html("<script>" + "".join(lines) + "</script>", height=0)


def _ask_access_token(problem: str | None) -> None:
    """The service wants its access token: ask once, then open the session with it."""
    st.title("fairfront")
    st.write("This fairfront service is protected. Enter its access token to continue.")
    with st.form("access-token"):
        value = st.text_input("Access token", type="password", key=ACCESS_KEY)
        submitted = st.form_submit_button("Continue")
    if problem:
        st.error(problem)
    if submitted and value:
        try:
            opened = get_client().open_session(value)
        except APIError as error:
            st.error(error.message)
        else:
            st.session_state[state.OWNER_TOKEN] = opened["token"]
            st.rerun()
    st.stop()


def _restore_chat(session_id: str) -> bool:
    """Take up a chat session of this owner again (its messages and its run)."""
    try:
        chat = get_client().chat_session(session_id)
    except APIError:
        return False
    st.session_state[state.SESSION_ID] = chat["id"]
    st.session_state[state.MESSAGES] = [
        {"role": h.get("role", "assistant"), "text": str(h.get("text", "")), "error": False}
        for h in chat.get("history") or []
        if isinstance(h, dict)
    ]
    st.session_state[state.SETUP] = chat.get("setup") or None
    if chat.get("run_id"):
        state.start_run(chat["run_id"])
        try:
            run = get_client().run(chat["run_id"])
        except APIError:
            state.forget_run()
        else:
            st.session_state[state.RUN_STATUS] = run["status"]
            selection = run.get("selection") or {}
            if selection.get("round"):
                st.session_state[state.SELECTED_ROUND] = int(selection["round"])
    return True


def ensure_owner() -> None:
    """This browser session's owner and chat session, from the browser's cookies, or new.

    Leaves things as they are when the service cannot be reached (the page then says
    so where it calls the service)."""
    client = get_client()
    if st.session_state.get(state.OWNER_TOKEN) is None:
        stored = _cookie(TOKEN_COOKIE)
        if stored is not None:
            try:
                client.me(stored)
            except APIError as error:
                if error.status is None:
                    return
            else:
                st.session_state[state.OWNER_TOKEN] = stored
                chat = _cookie(CHAT_COOKIE)
                if chat is not None:
                    _restore_chat(chat)
        if st.session_state.get(state.OWNER_TOKEN) is None:
            try:
                st.session_state[state.OWNER_TOKEN] = client.open_session()["token"]
            except APIError as error:
                if error.status == 401:
                    _ask_access_token(None)
                return
    if st.session_state.get(state.SESSION_ID) is None:
        try:
            st.session_state[state.SESSION_ID] = client.new_chat_session()
        except APIError:
            return
    remember_in_browser()
