"""The metrics a point carries, and how their names are read and written."""

from __future__ import annotations

import re

from ..metrics import NOTIONS
from ._errors import ConstraintError

__all__ = [
    "KNOWN_NOTIONS",
    "METRIC_CHOICES",
    "PERFORMANCE_METRICS",
    "canonical_metric",
    "format_number",
    "metric_phrase",
    "require_metric",
]

KNOWN_NOTIONS: tuple[str, ...] = tuple(NOTIONS)
"""Fairness notions a point may carry: the metrics engine's."""

PERFORMANCE_METRICS: tuple[str, ...] = ("accuracy", "balanced_accuracy")
"""Performance metrics a point carries (higher is better)."""

METRIC_CHOICES = (
    f"{', '.join(PERFORMANCE_METRICS)} (or bacc) or the fairness notions {', '.join(KNOWN_NOTIONS)}"
)
"""The known metrics, as listed in error messages."""

_ALIASES = {
    "bacc": "balanced_accuracy",
    "balanced_acc": "balanced_accuracy",
    "balancedaccuracy": "balanced_accuracy",
}


def canonical_metric(name: str) -> str | None:
    """Canonical metric name for ``name`` (case, ``-`` and spaces ignored), or None."""
    key = re.sub(r"[\s\-]+", "_", name.strip().lower())
    key = _ALIASES.get(key, key)
    return key if key in KNOWN_NOTIONS or key in PERFORMANCE_METRICS else None


def require_metric(name: object, what: str) -> str:
    """Canonical metric name or ``ConstraintError`` listing the choices."""
    key = canonical_metric(name) if isinstance(name, str) else None
    if key is None:
        raise ConstraintError(f"unknown {what} {name!r}; choose from {METRIC_CHOICES}")
    return key


def metric_phrase(metric: str) -> str:
    """How a metric reads in a sentence."""
    return metric.replace("_", " ") if metric in PERFORMANCE_METRICS else metric


def format_number(x: float) -> str:
    """Short human form of a number."""
    return f"{x:.3g}"
