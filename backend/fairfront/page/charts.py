"""Plotly figures of a front, drawn from the service's numbers as they are.

Nothing here computes a metric: every value is read from the front JSON
(``validation``/``test`` blocks) or an explanation's ``facts``. Each point's round
rides in ``customdata`` so that a click on the chart names the point.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

__all__ = [
    "PERFORMANCE",
    "add_intervals",
    "clicked_round",
    "empty_front_figure",
    "front_3d_figure",
    "front_figure",
    "group_figure",
    "group_rows",
    "metric_interval",
    "metric_label",
    "metric_lines",
    "metric_value",
    "notions_of",
    "point_summary",
    "splits_of",
    "task_rows",
    "task_view",
    "use_vocabulary",
    "violation_metrics",
]

PERFORMANCE = ("balanced_accuracy", "accuracy")
"""Performance measures a point carries (higher is better)."""
NOTION_LABELS: dict[str, str] = {}
"""Short label per notion, from the service's ``GET /api/vocabulary`` (:func:`use_vocabulary`)."""
TASK_VIEWS = ("mean", "worst")
"""How a multi-task front can be drawn besides one task: the mean over tasks, the worst task."""
RATE_LABELS = {
    "tpr": "true-positive rate",
    "fpr": "false-positive rate",
    "selection_rate": "selection rate",
    "accuracy": "accuracy",
}
FRONT_COLOR = "#1f5fbf"
FADED_COLOR = "#a9b4c2"
SELECTED_COLOR = "#d62728"
BASELINE_COLOR = "#222222"
UNCERTAIN_COLOR = "#d9d9d9"
"""Points whose violation's interval is wider than the violation itself."""


# ----------------------------------------------------------------- reading values


def notions_of(front: Mapping[str, Any]) -> list[str]:
    """The notions the points carry: the run's own first, then any other reported."""
    ordered = [str(n) for n in front.get("notions") or ()]
    points = front.get("points") or []
    if points:
        block = points[0].get("validation") or {}
        ordered += [k for k, v in block.items() if isinstance(v, Mapping) and k not in ordered]
    return list(dict.fromkeys(ordered))


def splits_of(front: Mapping[str, Any]) -> list[str]:
    """``validation`` (what the front is chosen on) and ``test`` where points have it."""
    points = front.get("points") or []
    return ["validation", "test"] if points and "test" in points[0] else ["validation"]


def violation_metrics(front: Mapping[str, Any]) -> list[str]:
    """Every violation a chart axis can show: ``eo`` (worst attribute), ``eo:sex``, ..."""
    out: list[str] = []
    points = front.get("points") or []
    block = points[0].get("validation", {}) if points else {}
    for notion in notions_of(front):
        out.append(notion)
        entry = block.get(notion)
        if isinstance(entry, Mapping):
            out += [f"{notion}:{a}" for a in (entry.get("by_attribute") or {})]
    return out


def metric_label(metric: str) -> str:
    """``balanced accuracy``, ``eo (worst attribute)``, ``eo on sex``."""
    if metric in PERFORMANCE:
        return metric.replace("_", " ")
    notion, _, attribute = metric.partition(":")
    if attribute:
        return f"{notion} on {attribute}"
    return f"{notion} (worst attribute)"


def use_vocabulary(vocabulary: Mapping[str, Any]) -> None:
    """Take the notions' short labels from the service's vocabulary."""
    NOTION_LABELS.update(
        {str(n["name"]): str(n.get("short") or n.get("label")) for n in vocabulary["notions"]}
    )


def notion_label(notion: str) -> str:
    return NOTION_LABELS.get(notion, notion.replace("_", " "))


def metric_help(metric: str) -> str:
    return notion_label(metric.partition(":")[0])


def task_view(front: Mapping[str, Any], view: str) -> dict[str, Any]:
    """A multi-task front seen through one task, the mean (as stored) or the worst task.

    Points keep their rounds and flags; their ``validation``/``test`` blocks become the
    task's (or the worst task's) blocks; the single-task model of that task (the mean of
    the single-task models for ``mean``) becomes the reference marker (``baseline``).
    """
    baselines = front.get("baselines") or {}
    points = []
    for point in front.get("points") or []:
        if view == "mean":
            blocks: Mapping[str, Any] = point
        elif view == "worst":
            blocks = point.get("worst") or {}
        else:
            blocks = (point.get("tasks") or {}).get(view) or {}
        points.append({**point, **{k: blocks[k] for k in ("validation", "test") if k in blocks}})
    baseline = None
    if view == "mean" and baselines.get("mean"):
        baseline = {baselines.get("split", "test"): baselines["mean"]}
    elif view in (baselines.get("tasks") or {}):
        single = baselines["tasks"][view]
        baseline = {k: single[k] for k in ("validation", "test") if k in single}
    if baseline is not None:
        baseline["name"] = "single-task models (mean)" if view == "mean" else "single-task model"
        baseline["description"] = str(baselines.get("description") or "")
    return {**front, "points": points, "baseline": baseline}


def task_rows(front: Mapping[str, Any], point: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per task: the point's test figures, its single-task model's, and the gains."""
    baselines = (front.get("baselines") or {}).get("tasks") or {}
    rows = []
    for task, blocks in (point.get("tasks") or {}).items():
        split = "test" if blocks.get("test") else "validation"
        mine = blocks.get(split) or {}
        single = (baselines.get(task) or {}).get(split) or {}
        row: dict[str, Any] = {"task": task, "split": split}
        for metric in ("accuracy", "balanced_accuracy", "eo", "eo_sum"):
            value, base = metric_value(mine, metric), metric_value(single, metric)
            row[metric_label(metric).replace(" (worst attribute)", "")] = value
            if base is not None and value is not None:
                gain = "knowledge gain" if metric == "accuracy" else None
                gain = gain or ("discrimination gain (eo_sum)" if metric == "eo_sum" else None)
                if gain:
                    row[gain] = value - base
        rows.append(row)
    return rows


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def metric_value(block: Mapping[str, Any] | None, metric: str) -> float | None:
    """The stored value of ``metric`` in one split's block (``None`` when absent)."""
    if not isinstance(block, Mapping):
        return None
    if metric in PERFORMANCE:
        return _number(block.get(metric))
    notion, _, attribute = metric.partition(":")
    entry = block.get(notion)
    if not isinstance(entry, Mapping):
        return None
    if attribute:
        return _number((entry.get("by_attribute") or {}).get(attribute))
    return _number(entry.get("value"))


def metric_interval(block: Mapping[str, Any] | None, metric: str) -> tuple[float, float] | None:
    """The stored confidence interval ``(lo, hi)`` of a violation (``eo`` or ``eo:sex``)
    in one split's block; ``None`` for performance, or when the block has none."""
    if not isinstance(block, Mapping) or metric in PERFORMANCE:
        return None
    notion, _, attribute = metric.partition(":")
    entry = block.get(notion)
    ci = entry.get("ci") if isinstance(entry, Mapping) else None
    if not isinstance(ci, Mapping):
        return None
    pair = (ci.get("by_attribute") or {}).get(attribute) if attribute else ci.get("value")
    if not isinstance(pair, list | tuple) or len(pair) != 2:
        return None
    lo, hi = _number(pair[0]), _number(pair[1])
    return None if lo is None or hi is None else (lo, hi)


def _fmt(value: Any) -> str:
    number = _number(value)
    return "-" if number is None else f"{number:.3f}"


def metric_lines(block: Mapping[str, Any] | None, notions: Sequence[str]) -> list[str]:
    """Performance and every notion's violation (worst, then per attribute) of a block."""
    block = block or {}
    lines = [
        f"balanced accuracy {_fmt(block.get('balanced_accuracy'))}",
        f"accuracy {_fmt(block.get('accuracy'))}",
    ]
    for notion in notions:
        entry = block.get(notion)
        if not isinstance(entry, Mapping):
            continue
        parts = ", ".join(f"{a} {_fmt(v)}" for a, v in (entry.get("by_attribute") or {}).items())
        lines.append(f"{notion} {_fmt(entry.get('value'))}" + (f" ({parts})" if parts else ""))
    return lines


def point_summary(point: Mapping[str, Any], notions: Sequence[str], split: str) -> str:
    """Every metric of a point on one split, as hover text (HTML line breaks)."""
    flags = []
    if point.get("on_front"):
        flags.append("on the front")
    if point.get("trivial"):
        flags.append("trivial: one class for almost every row")
    head = f"<b>Round {point.get('round')}</b>" + (f" ({', '.join(flags)})" if flags else "")
    setting = point.get("setting")
    if setting:  # a sweep's point: its setting and its place in that setting's own fit
        step = "epoch" if point.get("tasks") else "its round"
        values = ", ".join(f"{k}={v}" for k, v in setting.items())
        head += f"<br>{values}, {step} {point.get('epoch')}"
    return "<br>".join([head, f"{split} split", *metric_lines(point.get(split), notions)])


def clicked_round(event: Any) -> int | None:
    """The round of the first clicked point in a ``st.plotly_chart`` selection event."""
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError, IndexError):
        return None
    for item in points or ():
        if not isinstance(item, Mapping):
            continue
        data = item.get("customdata")
        if isinstance(data, list | tuple):
            data = data[0] if data else None
        if isinstance(data, bool) or data is None:
            continue
        try:
            return int(data)
        except (TypeError, ValueError):
            continue
    return None


# ------------------------------------------------------------------------ figures


def _pareto_line(xy: list[tuple[float, float, int]]) -> list[tuple[float, float, int]]:
    """The points no other shown point beats on both axes (x lower, y higher), by x."""
    line: list[tuple[float, float, int]] = []
    best = -math.inf
    for x, y, round_ in sorted(xy, key=lambda t: (t[0], -t[1])):
        if y > best:
            line.append((x, y, round_))
            best = y
    return line


def _scatter(
    rows: list[tuple[float, float, dict[str, Any]]],
    *,
    name: str,
    notions: Sequence[str],
    split: str,
    marker: dict[str, Any],
    visible_legend: bool = True,
) -> go.Scatter:
    return go.Scatter(
        x=[r[0] for r in rows],
        y=[r[1] for r in rows],
        mode="markers",
        name=name,
        marker=marker,
        customdata=[[r[2]["round"]] for r in rows],
        text=[point_summary(r[2], notions, split) for r in rows],
        hovertemplate="%{text}<extra></extra>",
        showlegend=visible_legend,
    )


def front_figure(
    front: Mapping[str, Any],
    *,
    x: str,
    y: str,
    split: str = "validation",
    selected: int | None = None,
    height: int = 460,
    error_bars: bool = False,
) -> go.Figure:
    """Performance ``y`` against violation ``x``: the front bold and joined, dominated
    points faded, trivial models crossed, the selected point ringed, the baseline a
    diamond; points whose violation's interval is wider than the violation greyed out,
    and with ``error_bars`` each interval drawn (see :func:`add_intervals`)."""
    notions = notions_of(front)
    points = [p for p in front.get("points") or [] if isinstance(p, Mapping)]
    on_front: list[tuple[float, float, dict[str, Any]]] = []
    dominated: list[tuple[float, float, dict[str, Any]]] = []
    trivial: list[tuple[float, float, dict[str, Any]]] = []
    chosen: list[tuple[float, float, dict[str, Any]]] = []
    for point in points:
        block = point.get(split)
        vx, vy = metric_value(block, x), metric_value(block, y)
        if vx is None or vy is None:
            continue
        row = (vx, vy, dict(point))
        if point.get("trivial"):
            trivial.append(row)
        elif point.get("on_front"):
            on_front.append(row)
        else:
            dominated.append(row)
        if selected is not None and point.get("round") == selected:
            chosen.append(row)

    figure = go.Figure()
    figure.add_trace(
        _scatter(
            dominated,
            name="dominated",
            notions=notions,
            split=split,
            marker={"color": FADED_COLOR, "size": 7, "opacity": 0.45},
        )
    )
    line = _pareto_line([(r[0], r[1], int(r[2]["round"])) for r in on_front])
    if len(line) > 1:
        figure.add_trace(
            go.Scatter(
                x=[p[0] for p in line],
                y=[p[1] for p in line],
                mode="lines",
                name="front (these axes)",
                line={"color": FRONT_COLOR, "width": 2},
                hoverinfo="skip",
            )
        )
    figure.add_trace(
        _scatter(
            on_front,
            name="on the front",
            notions=notions,
            split=split,
            marker={
                "color": FRONT_COLOR,
                "size": 10,
                "line": {"color": "white", "width": 1},
            },
        )
    )
    if trivial:
        figure.add_trace(
            _scatter(
                trivial,
                name="trivial (one class)",
                notions=notions,
                split=split,
                marker={"color": "#8c564b", "size": 9, "symbol": "x"},
            )
        )
    baseline = front.get("baseline")
    if isinstance(baseline, Mapping):
        bx, by = metric_value(baseline.get(split), x), metric_value(baseline.get(split), y)
        if bx is not None and by is not None:
            figure.add_trace(
                go.Scatter(
                    x=[bx],
                    y=[by],
                    mode="markers",
                    name=str(baseline.get("name") or "unconstrained baseline"),
                    marker={"color": BASELINE_COLOR, "size": 13, "symbol": "diamond"},
                    text=[
                        "<br>".join(
                            [
                                f"<b>{baseline.get('name') or 'Unconstrained baseline'}</b>",
                                str(baseline.get("description") or "no fairness objective"),
                                f"{split} split",
                                *metric_lines(baseline.get(split), notions),
                            ]
                        )
                    ],
                    hovertemplate="%{text}<extra></extra>",
                )
            )
    if chosen:
        figure.add_trace(
            _scatter(
                chosen,
                name=f"selected (round {selected})",
                notions=notions,
                split=split,
                marker={
                    "color": SELECTED_COLOR,
                    "size": 20,
                    "symbol": "circle-open",
                    "line": {"width": 3},
                },
            )
        )
    figure.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis_title=f"{metric_label(x)}: {metric_help(x)}, lower is fairer",
        yaxis_title=f"{metric_label(y)}, higher is better",
        legend={"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0},
        hovermode="closest",
        uirevision=f"{x}|{y}|{split}",
    )
    add_intervals(figure, front, x=x, split=split, error_bars=error_bars)
    return figure


def empty_front_figure(text: str, *, height: int = 460) -> go.Figure:
    """The front's empty axes, with ``text`` in the middle: drawn before the first
    point, so that the browser has the chart library loaded when that point comes."""
    figure = go.Figure()
    hidden = {"showticklabels": False, "showgrid": False, "zeroline": False}
    figure.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis={**hidden, "title": "violation, lower is fairer"},
        yaxis={**hidden, "title": "performance, higher is better"},
        annotations=[
            {
                "text": text,
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "font": {"color": FADED_COLOR, "size": 14},
            }
        ],
    )
    return figure


def add_intervals(
    figure: go.Figure, front: Mapping[str, Any], *, x: str, split: str, error_bars: bool
) -> go.Figure:
    """Grey out the points whose violation ``x`` has a stored interval wider than the
    violation itself (it cannot be told from noise), and with ``error_bars`` draw each
    point's interval as a horizontal error bar. Reads the points' ``ci`` entries;
    figures without them are left as they are."""
    by_round = {
        p.get("round"): metric_interval(p.get(split), x)
        for p in front.get("points") or []
        if isinstance(p, Mapping)
    }
    for trace in figure.data:
        if trace.name not in ("on the front", "dominated") and not str(trace.name).startswith(
            "selected"
        ):
            continue
        rounds = [c[0] for c in trace.customdata or ()]
        cis = [by_round.get(r) for r in rounds]
        if not any(cis):
            continue
        values = list(trace.x)
        if error_bars:
            trace.error_x = {
                "type": "data",
                "symmetric": False,
                "array": [0.0 if c is None else c[1] - v for c, v in zip(cis, values, strict=True)],
                "arrayminus": [
                    0.0 if c is None else v - c[0] for c, v in zip(cis, values, strict=True)
                ],
                "thickness": 1,
                "width": 0,
                "color": FADED_COLOR,
            }
        if trace.name.startswith("selected"):
            continue
        base = trace.marker.color
        trace.marker.color = [
            UNCERTAIN_COLOR if c is not None and c[1] - c[0] > v else base
            for c, v in zip(cis, values, strict=True)
        ]
    return figure


def front_3d_figure(
    front: Mapping[str, Any],
    *,
    axes: Sequence[str],
    split: str = "validation",
    selected: int | None = None,
    height: int = 560,
) -> go.Figure:
    """Three objectives at once: the front bold, dominated points faded."""
    notions = notions_of(front)
    groups: dict[str, list[dict[str, Any]]] = {"on the front": [], "dominated": []}
    for point in front.get("points") or []:
        values = [metric_value(point.get(split), a) for a in axes]
        if any(v is None for v in values):
            continue
        key = "on the front" if point.get("on_front") else "dominated"
        groups[key].append({"point": point, "values": values})
    figure = go.Figure()
    styles = {
        "on the front": {"color": FRONT_COLOR, "size": 5},
        "dominated": {"color": FADED_COLOR, "size": 3, "opacity": 0.5},
    }
    for name, rows in groups.items():
        marker = dict(styles[name])
        marker["color"] = [
            SELECTED_COLOR if r["point"].get("round") == selected else marker["color"] for r in rows
        ]
        marker["size"] = [
            10 if r["point"].get("round") == selected else marker["size"] for r in rows
        ]
        figure.add_trace(
            go.Scatter3d(
                x=[r["values"][0] for r in rows],
                y=[r["values"][1] for r in rows],
                z=[r["values"][2] for r in rows],
                mode="markers",
                name=name,
                marker=marker,
                customdata=[[r["point"]["round"]] for r in rows],
                text=[point_summary(r["point"], notions, split) for r in rows],
                hovertemplate="%{text}<extra></extra>",
            )
        )
    baseline = front.get("baseline")
    if isinstance(baseline, Mapping):
        values = [metric_value(baseline.get(split), a) for a in axes]
        if all(v is not None for v in values):
            figure.add_trace(
                go.Scatter3d(
                    x=[values[0]],
                    y=[values[1]],
                    z=[values[2]],
                    mode="markers",
                    name=str(baseline.get("name") or "unconstrained baseline"),
                    marker={"color": BASELINE_COLOR, "size": 7, "symbol": "diamond"},
                    hovertemplate="unconstrained baseline<extra></extra>",
                )
            )
    figure.update_layout(
        height=height,
        margin={"l": 0, "r": 0, "t": 30, "b": 0},
        scene={
            "xaxis_title": metric_label(axes[0]),
            "yaxis_title": metric_label(axes[1]),
            "zaxis_title": metric_label(axes[2]),
        },
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
        uirevision="3d",
    )
    return figure


def group_rows(by_group: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """One table row per protected group: its size and rates (test split)."""
    rows = []
    for attribute, groups in by_group.items():
        for group, stats in groups.items():
            row: dict[str, Any] = {"attribute": attribute, "group": group, "rows": stats.get("n")}
            for rate, label in RATE_LABELS.items():
                row[label] = _number(stats.get(rate))
            rows.append(row)
    return rows


def group_figure(
    by_group: Mapping[str, Mapping[str, Mapping[str, Any]]], *, height: int = 320
) -> go.Figure:
    """One panel per protected attribute; bars of each rate per group."""
    attributes = list(by_group)
    figure = make_subplots(
        rows=1,
        cols=max(1, len(attributes)),
        subplot_titles=attributes or ["no groups"],
        shared_yaxes=True,
    )
    palette = ["#1f5fbf", "#e3872d", "#4c9f70", "#8e6bbf"]
    for column, attribute in enumerate(attributes, start=1):
        groups = by_group[attribute]
        for index, (rate, label) in enumerate(RATE_LABELS.items()):
            figure.add_trace(
                go.Bar(
                    x=list(groups),
                    y=[_number(stats.get(rate)) for stats in groups.values()],
                    name=label,
                    legendgroup=rate,
                    showlegend=column == 1,
                    marker_color=palette[index % len(palette)],
                    hovertemplate=f"%{{x}}: {label} %{{y:.3f}}<extra></extra>",
                ),
                row=1,
                col=column,
            )
    figure.update_layout(
        height=height,
        barmode="group",
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "yanchor": "top", "y": -0.15, "x": 0},
        yaxis={"range": [0, 1]},
    )
    return figure
