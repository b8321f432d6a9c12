"""Datasets: the built-ins and your uploads, each with its profile: what was detected
in the file, what each column looks like, what is left out by default, the suggested
target and protected attributes, and every group's size before anything is trained."""

from __future__ import annotations

from typing import Any

import conversation
import panels
import streamlit as st
from client import APIError, get_client

st.header("Datasets")
st.markdown(
    "Four datasets are built in; upload a CSV to train on your own data, then say "
    "“use <its name>” in the chat."
)
panels.upload_csv("datasets-upload")


def _format(csv: dict[str, Any]) -> str:
    parts = [
        f"delimiter **{csv.get('delimiter_name', csv.get('delimiter'))}**",
        f"encoding **{csv.get('encoding')}**"
        + (" with a byte-order mark" if csv.get("bom") else ""),
        f"decimal mark **{csv.get('decimal')}**",
        f"quotes **{csv.get('quotechar')}**",
    ]
    tokens = csv.get("missing_tokens") or []
    if tokens:
        parts.append("missing written as " + ", ".join(f"“{t}”" for t in tokens))
    if csv.get("decimal_comma_columns"):
        parts.append("decimal commas in " + ", ".join(csv["decimal_comma_columns"]))
    return "; ".join(parts) + "."


def _profile(info: dict[str, Any]) -> None:
    profile = info.get("profile") or {}
    if info.get("description"):
        st.caption(str(info["description"]))
    csv = profile.get("csv")
    if csv:
        st.markdown("**Read as:** " + _format(csv))
        for note in csv.get("notes") or []:
            st.warning(str(note), icon=":material/info:")
    if profile.get("setup_error"):
        st.warning(f"Default set-up: {profile['setup_error']}", icon=":material/warning:")

    st.subheader("Target")
    suggestions = profile.get("target_suggestions") or []
    if suggestions:
        st.dataframe(
            [
                {
                    "column": s.get("column"),
                    "why": s.get("reason"),
                    "two values": s.get("binary"),
                    "positive class": s.get("positive")
                    if s.get("positive") is not None
                    else (s.get("rule") or "to ask"),
                    "question": s.get("positive_question") or "",
                }
                for s in suggestions
            ],
            hide_index=True,
            width="stretch",
            key="datasets-targets",
        )
    else:
        st.markdown("No column looks like an outcome; name the column to predict in the chat.")
    if profile.get("target_rule"):
        st.markdown(f"Binarised by **{profile['target_rule']}**.")

    st.subheader("Protected attributes")
    split = profile.get("split") or {}
    if split:
        st.caption(
            f"Default split: {split.get('train')} training rows (about "
            f"{split.get('validation')} of them held out for validation), {split.get('test')} "
            f"test rows. Groups under {profile.get('floor')} training rows are merged or flagged."
        )
    for suggestion in profile.get("protected_suggestions") or []:
        label = suggestion.get("column")
        default = " (in the default set-up)" if suggestion.get("default") else ""
        st.markdown(f"**{label}**{default}: `{suggestion.get('spec')}`. {suggestion.get('reason')}")
        groups = suggestion.get("groups") or {}
        if groups:
            st.dataframe(
                [
                    {
                        "group": g,
                        "train": s.get("train"),
                        "validation (about)": s.get("validation"),
                        "test": s.get("test"),
                    }
                    for g, s in groups.items()
                ],
                hide_index=True,
                key=f"datasets-groups-{label}",
            )
        for warning in suggestion.get("warnings") or []:
            st.warning(str(warning), icon=":material/groups:")

    excluded = profile.get("excluded") or []
    if excluded:
        st.subheader("Left out of the features")
        st.markdown(
            "; ".join(f"**{e.get('column')}** ({e.get('reason')})" for e in excluded)
            + ". Ask in the chat to keep one as a feature after all."
        )

    st.subheader("Columns")
    st.dataframe(
        [
            {
                "column": c.get("name"),
                "kind": c.get("kind"),
                "missing": c.get("missing_share"),
                "distinct values": c.get("distinct"),
                "flags": ", ".join(c.get("flags") or []),
                "values": ", ".join(str(v) for v in (c.get("values") or [])),
            }
            for c in profile.get("columns") or []
        ],
        hide_index=True,
        width="stretch",
        key="datasets-columns",
    )


def _page() -> None:
    client = get_client()
    try:
        datasets = client.datasets()
    except APIError as error:
        st.warning(error.message, icon=":material/cloud_off:")
        return
    st.dataframe(
        [
            {
                "name": item.get("name"),
                "kind": "built-in" if item.get("builtin") else "uploaded",
                "target": item.get("target") or (item.get("profile") or {}).get("target"),
                "rows": item.get("rows"),
            }
            for item in datasets
        ],
        hide_index=True,
        width="stretch",
        key="datasets-list",
    )
    try:
        vocabulary = client.vocabulary()
    except APIError:
        vocabulary = {}
    views = [d for d in vocabulary.get("datasets", []) if d.get("tasks")]
    if views:
        st.markdown("**Multi-task views** (FairBranch, L2T-FMT, the plain multi-task network)")
        st.dataframe(
            [
                {
                    "name": d["name"],
                    "tasks": ", ".join(d["tasks"]),
                    "protected": ", ".join(d.get("protected") or []),
                }
                for d in views
            ],
            hide_index=True,
            width="stretch",
        )
    names = {str(item.get("name")): str(item.get("id")) for item in datasets}
    if not names:
        return
    name = st.selectbox("Profile of", list(names), key="datasets-pick")
    try:
        info = client.dataset(names[str(name)])
    except APIError as error:
        st.warning(error.message, icon=":material/error:")
        return
    _profile(info)
    if st.button(f"Use {name} in the chat", key="datasets-use", icon=":material/chat:"):
        conversation.queue_prompt(f"use {name}")
        st.switch_page("pages/chat.py")


_page()
