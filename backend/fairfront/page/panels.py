"""The parts the pages are made of: the set-up sidebar, the live front, the chosen
point, the CSV upload. They read the service through :mod:`client` and keep what
they learn in :mod:`state`; every number shown comes from the service."""

from __future__ import annotations

import logging
from typing import Any

import charts
import conversation
import state
import streamlit as st
from client import APIError, api_url, get_client

log = logging.getLogger("fairfront.frontend")

POLL_SECONDS = 1.0
"""How often the live front asks for new points while a run trains."""
FIRST_POINT_POLL_SECONDS = 0.2
"""How often it asks while a run has shown no point yet (an empty front costs little to
ask for, and the first point is the one a person waits for)."""
CHART_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def _vocabulary() -> dict[str, Any]:
    """The service's vocabulary (labels of notions, learners, datasets), once a session."""
    if st.session_state[state.VOCABULARY] is None:
        try:
            st.session_state[state.VOCABULARY] = get_client().vocabulary()
        except APIError:
            return {"notions": [], "learners": [], "datasets": []}
        charts.use_vocabulary(st.session_state[state.VOCABULARY])
    vocabulary: dict[str, Any] = st.session_state[state.VOCABULARY]
    return vocabulary


def _learner_label(name: Any) -> str:
    labels = {str(t["name"]): str(t["label"]) for t in _vocabulary().get("learners", [])}
    return labels.get(str(name), str(name))


def _error(error: APIError) -> None:
    state.report_error(conversation.error_text(error))


# ----------------------------------------------------------------------- set-up


def _dataset_info(name: str) -> dict[str, Any] | None:
    """The service's description of a dataset by its name (cached for the session)."""
    cache: dict[str, Any] = st.session_state[state.DATASET_INFO]
    if name in cache:
        info: dict[str, Any] | None = cache[name]
        return info
    client = get_client()
    try:
        listed = {d["name"]: d["id"] for d in client.datasets()}
        info = client.dataset(listed[name]) if name in listed else None
    except APIError:
        return None  # shown again on the next run; the chat reports service errors
    cache[name] = info
    return info


def _groups(entry: str, info: dict[str, Any] | None) -> str:
    """``sex (Female / Male)``, ``race: White vs the rest``, ``age: bands cut at 25, 60``."""
    column, _, spec = entry.partition(":")
    column, spec = column.strip(), spec.strip()
    if spec == "all":
        return f"{column}: every value its own group"
    if spec:
        cuts = [s.strip() for s in spec.split(",")]
        if all(c.replace(".", "", 1).isdigit() for c in cuts):
            return f"{column}: bands cut at {', '.join(cuts)}"
        return f"{column}: {', '.join(cuts)} vs the rest"
    for protected in (info or {}).get("protected") or []:
        if isinstance(protected, dict) and protected.get("column") == column:
            names = list(protected.get("groups") or {})
            if protected.get("rest"):
                names.append(str(protected["rest"]))
            if names:
                return f"{column} ({' / '.join(names)})"
    return column


def setup_sidebar() -> None:
    """The session's set-up as the service last reported it, and its run."""
    st.subheader("Set-up")
    setup: dict[str, Any] = st.session_state[state.SETUP] or {}
    dataset = setup.get("dataset")
    if not dataset:
        st.caption("No dataset chosen yet: pick a suggestion in the chat or name one.")
    else:
        info = _dataset_info(str(dataset))
        tasks = [str(t) for t in setup.get("tasks") or []]
        target = setup.get("target") or (info or {}).get("target") or "its default target"
        positive = setup.get("positive") or (info or {}).get("positive") or "default"
        predicted = (
            f"**Tasks:** {', '.join(tasks)} (together)"
            if tasks
            else f"**Target:** {target} (positive: {positive})"
        )
        length = (
            f"**Epochs:** {setup.get('epochs') or 'the learner default'}"
            if tasks
            else f"**Rounds:** {setup.get('rounds', 300)}"
        )
        protected = setup.get("protected")
        if protected is None:
            defaults = [
                p["column"] if isinstance(p, dict) else str(p)
                for p in (info or {}).get("protected") or []
            ]
            protected_text = ", ".join(_groups(c, info) for c in defaults) or "the defaults"
        else:
            protected_text = ", ".join(_groups(str(p), info) for p in protected)
        notions = setup.get("notions") or ["eo"]
        constraints = setup.get("constraints") or []
        lines = [
            f"**Dataset:** {dataset}",
            predicted,
            f"**Protected:** {protected_text}",
            f"**Learner:** {_learner_label(setup.get('learner'))}",
            "**Notions:** " + ", ".join(f"{charts.notion_label(n)} ({n})" for n in notions),
            "**Constraints:** "
            + (
                ", ".join(str(c).replace("<=", " ≤ ").replace(">=", " ≥ ") for c in constraints)
                or "none (the best balanced accuracy within 0.02 of the fairest point is chosen)"
            ),
            length,
        ]
        st.markdown("  \n".join(lines))
    if state.run_id():
        # follows what the live front learns while the run trains (no request of its own)
        st.fragment(_run_status, run_every=POLL_SECONDS if state.run_active() else None)()
    if st.button("Start over", key="start-over", icon=":material/restart_alt:"):
        conversation.queue_prompt("start over")
        st.switch_page("pages/chat.py")
    st.caption(f"Service: {api_url()}")


def _run_status() -> None:
    run_id = state.run_id()
    if run_id is None:
        return
    st.subheader("Run")
    status = st.session_state[state.RUN_STATUS] or "unknown"
    chosen = state.selected_round()
    st.markdown(
        f"**Status:** {status}  \n**Id:** `{run_id[:8]}`"
        + (f"  \n**Chosen point:** round {chosen}" if chosen is not None else "")
    )


# ----------------------------------------------------------------------- upload


def upload_csv(key: str) -> None:
    """Send a CSV to ``POST /api/datasets`` once, and say in the chat how to use it."""
    file = st.file_uploader(
        "Upload a CSV (header row, one column to predict)", type=["csv"], key=key
    )
    if file is None or file.file_id in st.session_state[state.UPLOADED]:
        return
    st.session_state[state.UPLOADED].append(file.file_id)
    try:
        dataset = get_client().upload(file.name, file.getvalue())
    except APIError as error:
        _error(error)
        st.rerun()
    st.session_state[state.DATASET_INFO].pop(str(dataset.get("name")), None)
    st.session_state[state.UPLOAD_OPEN] = False
    name = str(dataset.get("name"))
    profile = dataset.get("profile") or {}
    columns = len(profile.get("columns") or [])
    target = profile.get("suggested_target")
    protected = ", ".join(profile.get("suggested_protected") or []) or "none found"
    state.add_message(
        "assistant",
        f"Uploaded **{name}**: {dataset.get('rows', '?')} rows, {columns} columns "
        f"(suggested target: {target}; possible protected attributes: {protected}). "
        f"Say “use {name}”, then which column to predict and whom to protect.",
        options=[f"use {name}"],
    )
    st.rerun()


# ------------------------------------------------------------------- live front


def _load(run_id: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(run, front): from the session once the run is done, else from the service.

    The page follows a run through one poll of one endpoint, ``GET /api/runs/{id}/front``
    (its ``status``, ``points`` and ``total``); the run itself is read once, when it ends.
    """
    cached = st.session_state[state.FRONT]
    if cached and cached.get("run_id") == run_id:
        return cached["run"], cached["front"]
    client = get_client()
    _vocabulary()
    try:
        front = client.front(run_id)
        run = {"id": run_id, "status": front.get("status")}
        if front.get("status") not in state.ACTIVE:
            run = client.run(run_id)
    except APIError as error:
        st.warning(error.message, icon=":material/cloud_off:")
        _error(error)
        return None
    if run.get("status") == "done":
        st.session_state[state.FRONT] = {"run_id": run_id, "run": run, "front": front}
    return run, front


def _finished(run: dict[str, Any], front: dict[str, Any]) -> None:
    """Say in the chat how a run ended (once, when it ends)."""
    status = run.get("status")
    if status == "done":
        points = front.get("points") or []
        on_front = len(front.get("front_rounds") or [])
        selection = front.get("selection") or {}
        text = f"Training finished: {len(points)} {_unit(front)}, {on_front} on the front."
        if selection.get("round") is not None:
            reason = str(selection.get("reason") or "").rstrip(".")
            setting = ", ".join(f"{k}={v}" for k, v in (selection.get("setting") or {}).items())
            text += f" I chose round {selection['round']}" + (
                f" (the setting {setting})" if setting else ""
            )
            text += f": {reason}."
        text += " Click any point on the chart to choose another, or ask me to."
        state.add_message("assistant", text)
    elif status == "failed":
        state.report_error(f"The run failed: {run.get('error') or 'no reason given'}")
    elif status == "cancelled":
        state.add_message("assistant", "The run was cancelled.")


def choose_point(run_id: str, round_: int, where: str = "on the chart") -> bool:
    """``POST /api/runs/{id}/select`` for a clicked round; the chat says what happened."""
    try:
        chosen = get_client().select(run_id, round_)
    except APIError as error:
        _error(error)
        return False
    st.session_state[state.SELECTED_ROUND] = int(chosen["point"]["round"])
    state.add_message("assistant", f"You chose round {chosen['point']['round']} {where}.")
    return True


def _handle_click(key: str, event: Any, run_id: str) -> None:
    """Act once per new click: select the point, then redraw the whole page."""
    clicked = charts.clicked_round(event)
    clicks: dict[str, int | None] = st.session_state[state.CLICKS]
    if clicked == clicks.get(key):
        return
    clicks[key] = clicked
    if clicked is None or clicked == state.selected_round():
        return
    choose_point(run_id, clicked)
    st.rerun()


def _unit(front: dict[str, Any]) -> str:
    """What a point is: a multi-task (epoch, setting) checkpoint or a sweep's (setting,
    round) -- "points" -- or a boosting round."""
    points = front.get("points") or []
    swept = bool(points and points[0].get("setting"))
    return "points" if front.get("kind") == "multitask" or swept else "rounds"


def _progress(run: dict[str, Any], front: dict[str, Any]) -> None:
    status = run.get("status")
    points = front.get("points") or []
    total = int(front.get("total") or len(points) or 1)
    unit = _unit(front)
    on_front = len(front.get("front_rounds") or [])
    if status == "queued":
        st.progress(0.0, text="Waiting for a worker…")
    elif status in state.ACTIVE:
        share = min(1.0, len(points) / total)
        st.progress(
            share, text=f"Training: {unit[:-1]} {len(points)} of {total} · {on_front} on the front"
        )
    elif status == "done":
        st.progress(1.0, text=f"Done: {len(points)} {unit} · {on_front} on the front")
    else:
        st.progress(min(1.0, len(points) / total), text=f"Run {status} after {len(points)} {unit}")


def _axes(where: str, front: dict[str, Any]) -> tuple[str, str, str]:
    violations = charts.violation_metrics(front)
    left, middle, right = st.columns([3, 2, 2])
    x = left.selectbox(
        "Violation (x axis)", violations, format_func=charts.metric_label, key=f"{where}-x"
    )
    y = middle.selectbox(
        "Performance (y axis)",
        charts.PERFORMANCE,
        format_func=charts.metric_label,
        key=f"{where}-y",
    )
    split = right.radio("Split", charts.splits_of(front), horizontal=True, key=f"{where}-split")
    return str(x), str(y), str(split)


def _front_view(where: str, three_d: bool) -> None:
    """The fragment's body; it reruns on its own, outside the page's error net."""
    try:
        _draw_front(where, three_d)
    except Exception:  # a bug, never a service error: no traceback on the page
        log.exception("the front could not be drawn")
        st.error("The front could not be drawn; the server log has the details.")


def _draw_front(where: str, three_d: bool) -> None:
    run_id = state.run_id()
    if run_id is None:
        return
    loaded = _load(run_id)
    if loaded is None:
        return
    run, front = loaded
    if st.session_state[state.LIVE_POINTS] == "drawn" and front.get("status") in state.ACTIVE:
        # The first point was drawn on the last look (a rerun at once would have dropped
        # it unsent): now the whole page, so that the front follows at its steady pace.
        st.rerun()
    previous = st.session_state[state.RUN_STATUS]
    status = run.get("status")
    st.session_state[state.RUN_STATUS] = status
    if status == "done" and state.selected_round() is None:
        st.session_state[state.SELECTED_ROUND] = (front.get("selection") or {}).get("round")
    if previous in state.ACTIVE and status not in state.ACTIVE:
        _finished(run, front)
        st.rerun()
    _progress(run, front)
    if not front.get("points"):
        _waiting_chart(where, "the first point appears after the first round (or epoch)")
        return
    if front.get("tasks"):
        front = _task_choice(where, front)
    x, y, split = _axes(where, front)
    bars = _interval_toggle(where)
    figure = charts.front_figure(
        front, x=x, y=y, split=split, selected=state.selected_round(), error_bars=bars
    )
    key = f"{where}-front"
    if status == "done":
        event = st.plotly_chart(
            figure, key=key, on_select="rerun", selection_mode="points", config=CHART_CONFIG
        )
        st.caption(
            "Click a point to choose it. Bold: the front (no other round beats it on every "
            "validation objective); faded: dominated; ×: trivial; ◆: the unconstrained baseline."
        )
        _handle_click(key, event, run_id)
    else:
        st.plotly_chart(figure, key=key, config=CHART_CONFIG)
    if three_d:
        _front_3d(where, front, split)
    if status in state.ACTIVE and st.session_state[state.LIVE_POINTS] == "waiting":
        st.session_state[state.LIVE_POINTS] = "drawn"


def _waiting_chart(where: str, text: str) -> None:
    """Empty axes where the front will be (the chart library loads meanwhile)."""
    st.plotly_chart(
        charts.empty_front_figure(text), key=f"{where}-front-waiting", config=CHART_CONFIG
    )


def _task_choice(where: str, front: dict[str, Any]) -> dict[str, Any]:
    """Multi-task runs: draw one task, the mean over tasks or the worst task."""
    tasks = [str(t["name"]) for t in front.get("tasks") or []]
    names = {"mean": "mean over tasks", "worst": "worst task"}
    view = st.radio(
        "Tasks",
        [*charts.TASK_VIEWS, *tasks],
        format_func=lambda v: names.get(v, f"task {v}"),
        horizontal=True,
        key=f"{where}-task-view",
    )
    return charts.task_view(front, str(view))


def _front_3d(where: str, front: dict[str, Any], split: str) -> None:
    st.subheader("Three objectives at once")
    violations = charts.violation_metrics(front)
    options = [*charts.PERFORMANCE, *violations]
    notions = charts.notions_of(front)
    # two notions when the run has them (else one notion's worst and first attribute)
    second = notions[1] if len(notions) > 1 else violations[min(1, len(violations) - 1)]
    defaults = [violations[0], second, "balanced_accuracy"]
    columns = st.columns(3)
    axes = []
    for n, (column, default) in enumerate(zip(columns, defaults, strict=True)):
        axes.append(
            column.selectbox(
                f"Axis {'xyz'[n]}",
                options,
                index=options.index(default),
                format_func=charts.metric_label,
                key=f"{where}-3d-{n}",
            )
        )
    figure = charts.front_3d_figure(
        front, axes=[str(a) for a in axes], split=split, selected=state.selected_round()
    )
    st.plotly_chart(figure, key=f"{where}-front-3d", config=CHART_CONFIG)


def front_panel(where: str, *, three_d: bool = False) -> None:
    """The run's front, redrawn every second while it trains (a fragment)."""
    if state.run_id() is None:
        st.info(
            "Your front appears here: one point per boosting round (or multi-task "
            "epoch), accuracy against fairness, growing as the model trains.",
            icon=":material/scatter_plot:",
        )
        _waiting_chart(where, "no run yet")
        return
    every = None
    if state.run_active():
        waiting = st.session_state[state.LIVE_POINTS] == "waiting"
        every = FIRST_POINT_POLL_SECONDS if waiting else POLL_SECONDS
        if not waiting:
            st.session_state[state.LIVE_POINTS] = "steady"
    fragment = st.fragment(_front_view, run_every=every)
    fragment(where, three_d)


# --------------------------------------------------------------- the chosen point


def _explanation(run_id: str, round_: int) -> dict[str, Any] | None:
    cache: dict[str, Any] = st.session_state[state.EXPLANATIONS]
    key = f"{run_id}/{round_}"
    if key not in cache:
        try:
            with st.spinner(f"Explaining round {round_}…"):
                cache[key] = get_client().explanation(run_id, round_)
        except APIError as error:
            _error(error)
            return None
    explanation: dict[str, Any] = cache[key]
    return explanation


def _by_group(run_id: str, round_: int, facts: dict[str, Any]) -> dict[str, Any]:
    """Group rates: the explanation's fact sheet, else the model card's metrics by group."""
    by_group: dict[str, Any] = facts.get("by_group") or {}
    if by_group:
        return by_group
    try:
        card = get_client().model_card(run_id, round_)
    except APIError:
        return {}
    attributes = ((card.get("metrics") or {}).get("test_by_group") or {}).get("attributes") or {}
    return {name: dict((entry or {}).get("groups") or {}) for name, entry in attributes.items()}


def _metric_row(point: dict[str, Any], facts: dict[str, Any], notions: list[str]) -> None:
    split = "test" if point.get("test") else "validation"
    block = point.get(split) or {}
    baseline = facts.get("baseline") or {}
    items: list[tuple[str, float | None, float | None, str]] = [
        (
            "balanced accuracy",
            charts.metric_value(block, "balanced_accuracy"),
            baseline.get("balanced_accuracy_change"),
            "normal",
        ),
        (
            "accuracy",
            charts.metric_value(block, "accuracy"),
            baseline.get("accuracy_change"),
            "normal",
        ),
    ]
    changes = baseline.get("notion_changes") or {}
    for notion in notions:
        items.append((notion, charts.metric_value(block, notion), changes.get(notion), "inverse"))
    columns = st.columns(len(items))
    for column, (label, value, delta, color) in zip(columns, items, strict=True):
        column.metric(
            label,
            "-" if value is None else f"{value:.3f}",
            delta=None if delta is None else f"{delta:+.3f}",
            delta_color=color,  # type: ignore[arg-type]
        )
    st.caption(
        f"{split} split"
        + (", never used to choose" if split == "test" else "")
        + ("; arrows: against the unconstrained baseline" if baseline else "")
    )


def _interval_toggle(where: str) -> bool:
    """A switch for the violation's confidence intervals on the chart."""
    return bool(
        st.toggle(
            "Show confidence intervals",
            key=f"{where}-ci",
            help="Horizontal bars: each violation's 95% interval. Grey points: the interval "
            "is wider than the violation itself, so it cannot be told apart from noise.",
        )
    )


def _interval_caption(point: dict[str, Any], facts: dict[str, Any], notions: list[str]) -> None:
    """Each violation of the chosen point with its interval; groups too small to judge."""
    split = "test" if point.get("test") else "validation"
    block = point.get(split) or {}
    parts = []
    for notion in notions:
        value = charts.metric_value(block, notion)
        ci = charts.metric_interval(block, notion)
        if value is None or ci is None:
            continue
        per = [
            f"{a} {v:.3f} [{c[0]:.3f}, {c[1]:.3f}]"
            for a in ((block.get(notion) or {}).get("by_attribute") or {})
            if (v := charts.metric_value(block, f"{notion}:{a}")) is not None
            and (c := charts.metric_interval(block, f"{notion}:{a}")) is not None
        ]
        parts.append(
            f"{notion} {value:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"
            + (f" ({'; '.join(per)})" if per else "")
        )
    if not parts:
        return
    level = ((block.get(notions[0]) or {}).get("ci") or {}).get("level") or 0.95
    text = f"{level:.0%} confidence intervals ({split} split): " + ", ".join(parts) + "."
    small = [
        f"{g.get('group')} in {g.get('attribute')} ({g.get('n')} rows)"
        for g in facts.get("small_groups") or []
    ]
    if small:
        text += " Too small to judge: " + ", ".join(small) + "."
    st.caption(text)


def point_panel(where: str) -> None:
    """The chosen point: its numbers, downloads, explanation and group rates."""
    run_id = state.run_id()
    cached = st.session_state[state.FRONT]
    if run_id is None or not cached or cached.get("run_id") != run_id:
        return
    round_ = state.selected_round()
    if round_ is None:
        st.caption("Click a point on the chart to see its explanation and download it.")
        return
    front = cached["front"]
    point = next((p for p in front.get("points") or [] if p.get("round") == round_), None)
    if point is None:
        return
    st.subheader(f"Chosen point: round {round_}")
    if point.get("setting"):
        values = ", ".join(f"{k}={v}" for k, v in point["setting"].items())
        step = "epoch" if point.get("tasks") else "its round"
        st.caption(f"Fitted with {values} ({step} {point.get('epoch')} of that fit)")
    explanation = _explanation(run_id, round_)
    facts: dict[str, Any] = (explanation or {}).get("facts") or {}
    _metric_row(point, facts, charts.notions_of(front))
    _interval_caption(point, facts, charts.notions_of(front))
    if point.get("tasks"):
        st.markdown("**Each task** (gains: this model minus its task's single-task model)")
        st.table(_shown(charts.task_rows(front, point)))
    conversation.download_buttons(
        get_client().point_paths(run_id, round_),
        f"fairfront-{run_id[:8]}-round-{round_}",
        f"{where}-download",
    )
    if explanation is not None:
        with st.expander("Explanation", expanded=True, icon=":material/lightbulb:"):
            st.markdown(explanation.get("text", ""))
            source = explanation.get("source")
            st.caption(
                "Written by the configured language model; every number was checked against "
                "the point's fact sheet."
                if source == "llm"
                else "Written by the built-in explainer from the point's stored numbers."
            )
    by_group = _by_group(run_id, round_, facts)
    if by_group:
        st.markdown("**By group** (test split)")
        st.dataframe(charts.group_rows(by_group), hide_index=True, width="stretch")
        st.plotly_chart(charts.group_figure(by_group), key=f"{where}-groups", config=CHART_CONFIG)


# --------------------------------------------------------------------- tables


def _shown(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Table rows with numbers as shown elsewhere on the page: three decimals, gains
    signed."""
    return [
        {
            k: v if not isinstance(v, float) else (f"{v:+.3f}" if "gain" in k else f"{v:.3f}")
            for k, v in row.items()
        }
        for row in rows
    ]


def points_table(where: str) -> None:
    """Every round of the finished run as a table; choosing a row chooses the point."""
    run_id = state.run_id()
    cached = st.session_state[state.FRONT]
    if run_id is None or not cached or cached.get("run_id") != run_id:
        return
    front = cached["front"]
    notions = charts.notions_of(front)
    splits = charts.splits_of(front)
    st.subheader("Every round")
    only_front = st.toggle("Only the points on the front", value=True, key=f"{where}-only-front")
    rows = []
    for point in front.get("points") or []:
        if only_front and not point.get("on_front"):
            continue
        row: dict[str, Any] = {
            "round": point.get("round"),
            "on front": bool(point.get("on_front")),
            "trivial": bool(point.get("trivial")),
        }
        for split in splits:
            short = "val" if split == "validation" else "test"
            block = point.get(split)
            for metric in ("balanced_accuracy", *notions):
                row[f"{short} {charts.metric_label(metric)}"] = charts.metric_value(block, metric)
        rows.append(row)
    event = st.dataframe(
        rows,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=f"{where}-table",
        width="stretch",
    )
    chosen = event.selection.rows if event is not None else []
    picked = rows[chosen[0]]["round"] if chosen and chosen[0] < len(rows) else None
    clicks: dict[str, int | None] = st.session_state[state.CLICKS]
    key = f"{where}-table"
    if picked != clicks.get(key):
        clicks[key] = picked
        if picked is not None and picked != state.selected_round():
            choose_point(run_id, int(picked), "in the table")
            st.rerun()


def datasets_overview() -> None:
    """The datasets the service knows, and the columns of one of them."""
    client = get_client()
    try:
        datasets = client.datasets()
    except APIError as error:
        st.warning(error.message, icon=":material/cloud_off:")
        _error(error)
        return
    rows = []
    for item in datasets:
        profile = item.get("profile") or {}
        rows.append(
            {
                "name": item.get("name"),
                "kind": "built-in" if item.get("builtin") else "uploaded",
                "target": item.get("target") or profile.get("suggested_target"),
                "positive": item.get("positive"),
                "protected": ", ".join(
                    str(p)
                    for p in item.get("protected") or profile.get("suggested_protected") or []
                ),
                "rows": item.get("rows"),
            }
        )
    st.dataframe(rows, hide_index=True, width="stretch")
    views = [d for d in _vocabulary().get("datasets", []) if d.get("tasks")]
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
    name = st.selectbox("Columns of", list(names), key="datasets-pick")
    try:
        info = client.dataset(names[str(name)])
    except APIError as error:
        _error(error)
        return
    if info.get("description"):
        st.caption(str(info["description"]))
    columns = (info.get("profile") or {}).get("columns") or []
    st.dataframe(
        [
            {
                "column": c.get("name"),
                "kind": c.get("kind"),
                "missing": c.get("missing_share"),
                "distinct values": c.get("distinct"),
            }
            for c in columns
        ],
        hide_index=True,
        width="stretch",
    )
    if st.button(f"Use {name} in the chat", key="datasets-use", icon=":material/chat:"):
        conversation.queue_prompt(f"use {name}")
        st.switch_page("pages/chat.py")
