"""Runs: every run of this browser's owner, with its status, learner, dataset and
chosen point; reopen one, cancel a running one, delete an ended one."""

from __future__ import annotations

import state
import streamlit as st
from client import APIError, get_client

ACTIVE = ("queued", "running", "cancelling")

st.header("Runs")
try:
    runs = get_client().runs()
except APIError as error:
    st.error(error.message)
    runs = []
if not runs:
    st.info("No runs yet: set one up in the chat and say “train”.", icon=":material/chat:")
    st.page_link("pages/chat.py", label="Go to the chat", icon=":material/chat:")


def _reopen(run: dict) -> None:
    state.start_run(run["id"])
    st.session_state[state.RUN_STATUS] = run["status"]
    selection = run.get("selection") or {}
    if selection.get("round"):
        st.session_state[state.SELECTED_ROUND] = int(selection["round"])


for run in runs:
    spec = run.get("spec") or {}
    selection = run.get("selection") or {}
    current = run["id"] == state.run_id()
    with st.container(border=True, key=f"run-{run['id']}"):
        left, right = st.columns([3, 2])
        with left:
            title = f"**{spec.get('dataset', '?')}** · {spec.get('learner', '?')} · "
            title += f"{spec.get('rounds', '?')} rounds"
            st.markdown(title + (" · *open*" if current else ""))
            chosen = f"round {selection['round']}" if selection.get("round") else "none yet"
            st.caption(
                f"{run['status']} · chosen point: {chosen} · started {run.get('created') or '?'}"
            )
            if run.get("error"):
                st.caption(f"error: {run['error']}")
        with right:
            b1, b2, b3 = st.columns(3)
            if b1.button("Open", key=f"open-{run['id']}", disabled=current):
                _reopen(run)
                st.switch_page("pages/front.py")
            if b2.button("Cancel", key=f"cancel-{run['id']}", disabled=run["status"] not in ACTIVE):
                try:
                    get_client().cancel(run["id"])
                except APIError as error:
                    st.error(error.message)
                st.rerun()
            if b3.button("Delete", key=f"delete-{run['id']}", disabled=run["status"] in ACTIVE):
                try:
                    get_client().delete_run(run["id"])
                except APIError as error:
                    st.error(error.message)
                else:
                    if current:
                        state.forget_run()
                st.rerun()
