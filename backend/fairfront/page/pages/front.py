"""Explore the front: any two objectives, three at once, every point in a table."""

from __future__ import annotations

import panels
import state
import streamlit as st

st.header("Explore the front")
if state.run_id() is None:
    st.info("No run yet: set one up in the chat and say “train”.", icon=":material/chat:")
    st.page_link("pages/chat.py", label="Go to the chat", icon=":material/chat:")
else:
    panels.front_panel("explore", three_d=True)
    panels.point_panel("explore")
    panels.points_table("explore")
