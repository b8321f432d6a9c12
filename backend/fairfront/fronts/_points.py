"""Front points: metric values read off ``front.json`` point dicts, and the front flag.

A point is a dict for one round, with a ``validation`` and optionally a ``test``
block of metrics; a flag ``trivial`` marks a model predicting one class for almost
every row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any, TypeVar, cast

import numpy as np

from ._arrays import BoolArray, FloatArray
from ._dominance import non_dominated
from ._metric_names import KNOWN_NOTIONS, PERFORMANCE_METRICS, require_metric

__all__ = [
    "Point",
    "PointsT",
    "mark_front",
    "metrics_block",
    "objective_matrix",
    "read_interval",
    "read_metric",
    "to_float",
    "trivial_mask",
]

Point = Mapping[str, Any]
PointsT = TypeVar("PointsT", bound=Sequence[MutableMapping[str, Any]])


def to_float(x: object) -> float:
    """Plain float; None and unparsable values become NaN."""
    if x is None or isinstance(x, Mapping):
        return math.nan
    try:
        return float(cast(Any, x))
    except (TypeError, ValueError):
        return math.nan


def metrics_block(point: Point, split: str) -> Mapping[str, Any]:
    """The metrics block of ``point`` for ``split`` (empty when absent)."""
    block = point.get(split)
    return block if isinstance(block, Mapping) else {}


def read_metric(
    point: Point, metric: str, attribute: str | None = None, split: str = "validation"
) -> float:
    """One metric of one point: performance, a notion's worst value or one attribute's.

    Missing values and nulls read as NaN. A notion without ``value`` falls back to
    the worst of its ``by_attribute`` values.
    """
    entry = metrics_block(point, split).get(metric)
    if metric in PERFORMANCE_METRICS or not isinstance(entry, Mapping):
        return to_float(entry) if attribute is None else math.nan
    by_attr = entry.get("by_attribute")
    by_attr = by_attr if isinstance(by_attr, Mapping) else {}
    if attribute is not None:
        return to_float(by_attr.get(attribute))
    if "value" in entry:
        return to_float(entry["value"])
    vals = [to_float(v) for v in by_attr.values()]
    return max(vals) if vals and not any(math.isnan(v) for v in vals) else math.nan


def read_interval(
    point: Point, metric: str, attribute: str | None = None, split: str = "validation"
) -> tuple[float, float, float]:
    """``(lo, hi, level)`` of a notion's confidence interval on one point.

    Reads the block's ``ci`` entry (the worst over attributes, or one attribute's);
    NaNs when the point carries no interval or it is undefined (level NaN when no
    ``ci`` at all).
    """
    nan = (math.nan, math.nan, math.nan)
    entry = metrics_block(point, split).get(metric)
    ci = entry.get("ci") if isinstance(entry, Mapping) else None
    if not isinstance(ci, Mapping):
        return nan
    level = to_float(ci.get("level"))
    if attribute is None:
        pair = ci.get("value")
    else:
        by_attr = ci.get("by_attribute")
        pair = by_attr.get(attribute) if isinstance(by_attr, Mapping) else None
    if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
        return math.nan, math.nan, level
    return to_float(pair[0]), to_float(pair[1]), level


def _name_list(names: Sequence[str] | str) -> list[str]:
    """A name list (a lone string is one name)."""
    return [names] if isinstance(names, str) else list(names)


def objective_matrix(
    points: Sequence[Point],
    notions: Sequence[str],
    *,
    split: str = "validation",
    performance: Sequence[str] = PERFORMANCE_METRICS,
) -> tuple[FloatArray, list[str]]:
    """Minimised objectives per point: ``1-<metric>`` per performance metric, then
    each notion's worst violation; with the column names (``"1-accuracy"``, ``"eo"``).

    Missing or null values are NaN.
    """
    perf = [require_metric(p, "performance metric") for p in _name_list(performance)]
    bad = [p for p in perf if p not in PERFORMANCE_METRICS]
    if bad:
        raise ValueError(f"{bad[0]!r} is a fairness notion, not a performance metric")
    nts = [require_metric(n, "fairness notion") for n in _name_list(notions)]
    bad = [n for n in nts if n not in KNOWN_NOTIONS]
    if bad:
        raise ValueError(f"{bad[0]!r} is a performance metric, not a fairness notion")
    cols = perf + nts
    if len(set(cols)) != len(cols):
        raise ValueError(f"repeated objective in {cols}")
    if not cols:
        raise ValueError("no objectives: give at least one performance metric or notion")
    F = np.array(
        [[read_metric(p, c, None, split) for c in cols] for p in points], dtype=np.float64
    ).reshape(len(points), len(cols))
    F[:, : len(perf)] = 1.0 - F[:, : len(perf)]
    return F, [f"1-{p}" for p in perf] + nts


def trivial_mask(points: Sequence[Point]) -> BoolArray:
    """Whether each point is flagged trivial."""
    return np.array([bool(p.get("trivial", False)) for p in points], dtype=bool)


def mark_front(points: PointsT, notions: Sequence[str], split: str = "validation") -> PointsT:
    """Set ``on_front`` on every point (non-dominated, non-trivial, NaN-free); return them."""
    F, _ = objective_matrix(points, notions, split=split)
    front = non_dominated(F, ~trivial_mask(points))
    for p, on in zip(points, front, strict=True):
        p["on_front"] = bool(on)
    return points
