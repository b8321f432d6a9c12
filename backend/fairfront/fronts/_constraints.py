"""Bounds on one metric of a point, e.g. ``eo<=0.05``, and their text form."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt

from ._arrays import BoolArray
from ._errors import ConstraintError
from ._metric_names import (
    KNOWN_NOTIONS,
    METRIC_CHOICES,
    PERFORMANCE_METRICS,
    canonical_metric,
    format_number,
    metric_phrase,
    require_metric,
)
from ._points import Point, read_interval, read_metric, to_float

__all__ = ["Constraint"]

# Largest meaningful violation per notion: gaps of rates lie in [0, 1]; eo_sum adds two.
_NOTION_MAX = {name: (2.0 if name == "eo_sum" else 1.0) for name in KNOWN_NOTIONS}

_OP_RE = re.compile(r"<=|>=|=<|=>|≤|≥")
_OP_CANON = {"<=": "<=", "=<": "<=", "≤": "<=", ">=": ">=", "=>": ">=", "≥": ">="}
_PREFIX_RE = re.compile(r"^([^\s:\[\]]+)\s*:\s*(.+)$")
_BRACKET_RE = re.compile(r"^([^\[\]]+?)\s*\[\s*([^\[\]]*?)\s*\]$")
_NUMBER_RE = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(%?)$")
_BAD_ATTR_CHARS = set("[]<>=≤≥")
_KEYS = {"metric", "op", "bound", "attribute", "confidence"}
_CONFIDENCE_RE = re.compile(r"^(.*?)\s*@\s*(.*)$")


@dataclass(frozen=True)
class Constraint:
    """A bound on one validation metric, e.g. ``eo<=0.05`` or ``balanced_accuracy>=0.8``.

    ``attribute`` None means the notion's worst value over attributes ("on every
    attribute"); a name reads that attribute's value. Performance metrics
    (``accuracy``, ``balanced_accuracy``) have no attribute. Fairness notions take
    upper bounds only; ``acc`` is the accuracy-parity notion, not accuracy.

    ``confidence`` (e.g. 0.95; fairness notions only) asks that the bound hold with
    that confidence: the upper end of the point's ``confidence`` interval of the gap
    (the ``ci`` entry of its metrics block, which must be at that level) must meet
    the bound, not just the measured gap. Text form: ``eo<=0.05@95%`` (also ``@95``
    or ``@0.95``). The interval is two-sided, so its upper end alone is a one-sided
    statement at ``1 - (1 - confidence) / 2`` (97.5% for 95%): on the safe side.
    """

    metric: str
    op: Literal["<=", ">="]
    bound: float
    attribute: str | None = None
    confidence: float | None = None

    def __post_init__(self) -> None:
        metric = require_metric(self.metric, "metric")
        object.__setattr__(self, "metric", metric)
        if self.op not in ("<=", ">="):
            raise ConstraintError(f"operator must be '<=' or '>=', got {self.op!r}")
        bound = to_float(self.bound) if not isinstance(self.bound, bool) else math.nan
        if not math.isfinite(bound):
            raise ConstraintError(f"bound must be a finite number, got {self.bound!r}")
        object.__setattr__(self, "bound", bound)
        if self.attribute is not None:
            attr = self.attribute.strip() if isinstance(self.attribute, str) else ""
            if not attr or _BAD_ATTR_CHARS & set(attr):
                raise ConstraintError(f"bad attribute name {self.attribute!r}")
            object.__setattr__(self, "attribute", attr)
        if metric in PERFORMANCE_METRICS:
            if self.attribute is not None:
                raise ConstraintError(
                    f"{metric} has no per-attribute values; drop the attribute {self.attribute!r}"
                )
            top = 1.0
        else:
            if self.op == ">=":
                hint = (
                    "; 'acc' is the accuracy-parity notion -- for a lower bound on accuracy "
                    f"write accuracy>={format_number(bound)}"
                    if metric == "acc"
                    else ""
                )
                raise ConstraintError(
                    f"{metric} is a fairness violation and takes only upper bounds "
                    f"({metric}<=...){hint}"
                )
            top = _NOTION_MAX[metric]
        if not 0.0 <= bound <= top:
            hint = f"; did you mean {format_number(bound)}%?" if top < bound <= 100.0 else ""
            raise ConstraintError(
                f"{metric} bound {format_number(bound)} is outside [0, {top:g}]{hint}"
            )
        if self.confidence is not None:
            object.__setattr__(self, "confidence", _check_confidence(self.confidence, metric))

    @classmethod
    def parse(cls, text: str) -> Constraint:
        """Parse ``eo<=0.05``, ``eo <= 5%``, ``eo[race]<=0.05``, ``race:eo<=0.05``, ``bacc>=0.8``;
        ``eo<=0.05@95%`` asks for 95% confidence.

        Raises :class:`ConstraintError` naming the piece that cannot be read.
        """
        if not isinstance(text, str):
            raise ConstraintError(f"constraint must be text, got {type(text).__name__}")
        ops = list(_OP_RE.finditer(text))
        if not ops:
            stray = re.search(r"[<>=!]+", text)
            if stray:
                raise ConstraintError(
                    f"unsupported comparison {stray.group()!r} in {text!r}; use <= or >="
                )
            raise ConstraintError(
                f"no comparison in {text!r}; expected e.g. 'eo<=0.05' or 'balanced_accuracy>=0.8'"
            )
        if len(ops) > 1:
            raise ConstraintError(f"more than one comparison in {text!r}; give one bound each")
        found = ops[0]
        op = cast(Literal["<=", ">="], _OP_CANON[found.group()])
        lhs, rhs = text[: found.start()].strip(), text[found.end() :].strip()
        if not lhs:
            raise ConstraintError(f"missing metric before {found.group()!r} in {text!r}")
        confidence: float | None = None
        at = _CONFIDENCE_RE.match(rhs)
        if at:
            rhs, confidence = at.group(1), _parse_confidence(at.group(2), text)
        lhs, attribute = _split_attribute(lhs, text)
        metric = canonical_metric(lhs)
        if metric is None:
            raise ConstraintError(
                f"unknown metric {lhs!r} in {text!r}; choose from {METRIC_CHOICES}"
            )
        return cls(metric, op, _parse_bound(rhs, text), attribute, confidence)

    def __str__(self) -> str:
        where = f"[{self.attribute}]" if self.attribute is not None else ""
        sure = f"@{self.confidence!r}" if self.confidence is not None else ""
        return f"{self.metric}{where}{self.op}{self.bound!r}{sure}"

    def describe(self) -> str:
        """Plain words, e.g. ``eo <= 0.05 on every attribute``."""
        text = f"{metric_phrase(self.metric)} {self.op} {self.bound:g}"
        if self.metric in PERFORMANCE_METRICS:
            return text
        where = " on every attribute" if self.attribute is None else f" for {self.attribute}"
        if self.confidence is None:
            return f"{text}{where}"
        return f"{text}{where} with {self.confidence:.0%} confidence"

    def with_confidence(self, level: float | None) -> Constraint:
        """This constraint asking for ``level`` confidence, when it is a fairness gap
        without a level of its own (performance bounds and explicit levels are kept)."""
        if level is None or self.confidence is not None or self.metric in PERFORMANCE_METRICS:
            return self
        return Constraint(self.metric, self.op, self.bound, self.attribute, level)

    def holds(self, value: npt.ArrayLike) -> BoolArray:
        """Whether values meet the bound (NaN never does)."""
        v = np.asarray(value, dtype=np.float64)
        out: BoolArray = v <= self.bound if self.op == "<=" else v >= self.bound
        return out

    def value(self, point: Point, split: str = "validation") -> float:
        """The value this constraint reads from ``point``: the measured value, or with
        ``confidence`` the upper end of its interval (NaN when the point has none, or
        its interval is at another level)."""
        if self.confidence is None:
            return read_metric(point, self.metric, self.attribute, split)
        _, hi, level = read_interval(point, self.metric, self.attribute, split)
        return hi if math.isclose(level, self.confidence, abs_tol=1e-9) else math.nan

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "metric": self.metric,
            "op": self.op,
            "bound": float(self.bound),
            "attribute": self.attribute,
            "confidence": self.confidence,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | str) -> Constraint:
        """Inverse of :meth:`to_dict`; also accepts the text form."""
        if isinstance(data, str):
            return cls.parse(data)
        unknown = set(data) - _KEYS
        if unknown:
            raise ConstraintError(f"unknown constraint keys: {', '.join(sorted(unknown))}")
        try:
            return cls(
                data["metric"],
                data["op"],
                data["bound"],
                data.get("attribute"),
                data.get("confidence"),
            )
        except KeyError as err:
            raise ConstraintError(f"constraint is missing {err.args[0]!r}") from None


def _split_attribute(lhs: str, text: str) -> tuple[str, str | None]:
    """The metric and attribute of ``eo``, ``eo[race]`` or ``race:eo`` (in ``text``)."""
    attribute: str | None = None
    prefix = _PREFIX_RE.match(lhs)
    if prefix:
        attribute, lhs = prefix.group(1), prefix.group(2).strip()
    bracket = _BRACKET_RE.match(lhs)
    if bracket:
        if attribute is not None:
            raise ConstraintError(f"attribute given twice in {text!r}")
        lhs, attribute = bracket.group(1).strip(), bracket.group(2)
        if not attribute:
            raise ConstraintError(f"empty attribute '[]' in {text!r}")
    elif re.search(r"[\[\]:]", lhs):
        raise ConstraintError(
            f"cannot read the metric {lhs!r} in {text!r}; write eo[race]<=0.05 or race:eo<=0.05"
        )
    return lhs, attribute


def _parse_bound(rhs: str, text: str) -> float:
    """The number of ``0.05`` or ``5%`` (in ``text``), exactly as written."""
    number = _NUMBER_RE.match(rhs)
    if not number:
        raise ConstraintError(
            f"bad bound {rhs!r} in {text!r}; expected a number such as 0.05 or 5%"
        )
    try:
        value = Decimal(number.group(1))
    except InvalidOperation:  # pragma: no cover - the regex admits only numbers
        raise ConstraintError(f"bad bound {rhs!r} in {text!r}") from None
    if number.group(2):
        value /= 100
    return float(value)


def _check_confidence(value: object, metric: str) -> float:
    """A confidence level in [0.5, 1) for a fairness notion; ``ConstraintError`` otherwise."""
    if metric in PERFORMANCE_METRICS:
        raise ConstraintError(
            f"confidence applies to fairness gaps, which carry intervals; {metric} has none"
        )
    level = to_float(value) if not isinstance(value, bool) else math.nan
    if not 0.5 <= level < 1.0:
        hint = f"; did you mean {format_number(level / 100)}?" if 50 <= level < 100 else ""
        raise ConstraintError(f"confidence must be in [0.5, 1), got {value!r}{hint}")
    return level


def _parse_confidence(text: str, whole: str) -> float:
    """The level of ``95%``, ``95`` or ``0.95`` after ``@`` (in ``whole``)."""
    number = _NUMBER_RE.match(text.strip())
    if not number:
        raise ConstraintError(f"bad confidence {text!r} in {whole!r}; expected e.g. @95% or @0.95")
    value = float(Decimal(number.group(1)))
    if number.group(2) or value >= 1.0:
        value /= 100
    return value
