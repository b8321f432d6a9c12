"""The chat page: talk to fairfront on the left, watch the front grow on the right."""

from __future__ import annotations

import conversation
import panels
import state
import streamlit as st

chat_column, front_column = st.columns([5, 7], gap="large")
with chat_column:
    st.markdown("#### Chat")
    history = st.container(height=520, autoscroll=True)
    suggestions = st.container()
    typed = st.chat_input("Tell fairfront what to train…", key="chat-box", max_chars=4000)
    with st.expander("Your own data (CSV)", expanded=st.session_state[state.UPLOAD_OPEN]):
        panels.upload_csv("chat-upload")

message = typed or conversation.take_pending()
with history:
    conversation.show_history(more_coming=bool(message))
    if message:
        shown = len(st.session_state[state.MESSAGES])
        with st.chat_message("user"):
            st.markdown(message)
        with st.spinner("Working on it…"):
            conversation.send(message)
        conversation.show_new(shown + 1)
with suggestions:
    conversation.show_suggestions()

with front_column:
    st.markdown("#### Front")
    panels.front_panel("chat")
    panels.point_panel("chat")
