"""fairfront's web front end: chat on the left, the live front on the right.

Run it with ``fairfront serve`` (service and page together), or on its own with
``fairfront page`` and ``FAIRFRONT_API_URL`` pointing at a running ``fairfront api``.
It speaks HTTP to the service only (see ``client.py``).
"""

from __future__ import annotations

import logging

import identity
import panels
import state
import streamlit as st

log = logging.getLogger("fairfront.frontend")

st.set_page_config(page_title="fairfront", page_icon=":material/balance:", layout="wide")
state.init()
identity.ensure_owner()

navigation = st.navigation(
    [
        st.Page("pages/chat.py", title="Chat", icon=":material/chat:", default=True),
        st.Page("pages/front.py", title="Explore the front", icon=":material/scatter_plot:"),
        st.Page("pages/runs.py", title="Runs", icon=":material/history:"),
        st.Page("pages/datasets.py", title="Datasets", icon=":material/table:"),
    ]
)
try:
    navigation.run()
except Exception:  # a bug, never a service error (those are chat messages): no traceback
    log.exception("the page failed")
    st.error("Something went wrong on this page; the server log has the details.")
with st.sidebar:
    panels.setup_sidebar()
