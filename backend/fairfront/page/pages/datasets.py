"""Datasets: the built-ins and your uploads, with their columns."""

from __future__ import annotations

import panels
import streamlit as st

st.header("Datasets")
st.markdown(
    "Four datasets are built in; upload a CSV to train on your own data, then say "
    "“use <its name>” in the chat."
)
panels.upload_csv("datasets-upload")
panels.datasets_overview()
