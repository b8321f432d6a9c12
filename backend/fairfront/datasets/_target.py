"""The target: labels compared as numbers, the positive class, binarisation rules.

A :class:`TargetRule` turns a numeric or multi-class column into the binary label
the learners predict: ``"G3 >= 10"``, ``"score > median"``, ``"class == A"`` (class A
against the rest). The positive class is the rows where the rule holds.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fairfront.datasets.errors import TargetRuleError
from fairfront.groups import value_text

__all__ = [
    "RULE_OPS",
    "ResolvedRule",
    "TargetRule",
    "infer_positive",
    "label_text",
    "label_texts",
    "match_label",
]

RULE_OPS = (">=", "<=", "!=", "==", ">", "<")
"""Comparison operators a rule may use (longest first, for parsing)."""

_NEGATION = {">=": "<", ">": "<=", "<=": ">", "<": ">=", "==": "!=", "!=": "=="}
_ORDERED = (">=", ">", "<=", "<")
_RULE = re.compile(r"^\s*(?P<column>.+?)\s*(?P<op>>=|<=|!=|==|=|>|<)\s*(?P<value>.+?)\s*$")
_EXAMPLES = "e.g. 'G3 >= 10', 'score > median' or 'class == A'"


def _as_number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def label_text(value: object) -> str:
    """The text of a label; a number reads the same however it was written.

    ``1``, ``1.0`` and ``"1"`` all read ``"1"``; ``"0.50"`` reads ``"0.5"``.
    """
    if isinstance(value, str):
        stripped = value.strip()
        number = _as_number(stripped)
        return value_text(number) if number is not None else stripped
    return value_text(value)


def label_texts(values: pd.Series) -> pd.Series:
    """:func:`label_text` of every (non-missing) value, worked out once per distinct value."""
    texts = {v: label_text(v) for v in pd.unique(values.to_numpy(dtype=object))}
    return values.map(texts)


def match_label(given: object, values: list[str]) -> str | None:
    """The value among ``values`` that ``given`` names (as text or as a number), or None."""
    text = str(given).strip()
    if text in values:
        return text
    normal = label_text(text)
    return normal if normal in values else None


_POSITIVE_WORDS = (
    ("yes", "no"), ("y", "n"), ("true", "false"), ("t", "f"), ("positive", "negative"),
    ("pos", "neg"),
)  # fmt: skip


def infer_positive(values: list[str]) -> str | None:
    """The positive class of a two-valued target when it is unambiguous, else None.

    Unambiguous: ``1``/``0``, yes/no, y/n, true/false, positive/negative, and a pair
    where one value is a ``>``-style label (``>50K`` against ``<=50K``). Anything
    else (``1``/``2``, good/bad, pass/fail) is a question for the user.
    """
    if len(values) != 2:
        return None
    numbers = [_as_number(v) for v in values]
    if all(n is not None for n in numbers) and set(numbers) == {0.0, 1.0}:
        return values[numbers.index(1.0)]
    lowered = [v.strip().lower() for v in values]
    for yes, no in _POSITIVE_WORDS:
        if set(lowered) == {yes, no}:
            return values[lowered.index(yes)]
    greater = [v for v in values if v.strip().startswith(">")]
    lesser = [v for v in values if v.strip().startswith("<")]
    if len(greater) == 1 and len(lesser) == 1:
        return greater[0]
    return None


def positive_question(column: str, values: list[str]) -> str:
    """The question to ask when the positive class of a target is not clear."""
    shown = " or ".join(repr(v) for v in values[:2])
    return (
        f"Which value of {column!r} is the positive outcome, the one the model predicts "
        f"as 1: {shown}?"
    )


@dataclass(frozen=True)
class ResolvedRule:
    """A rule applied to its column: the label of each row and what it meant."""

    rule: TargetRule
    positive: np.ndarray
    threshold: float | str
    positive_label: str
    negative_label: str

    def describe(self) -> dict[str, Any]:
        """JSON for run.json, the model card and the explanation."""
        n_pos = int(self.positive.sum())
        threshold = self.threshold
        meaning = f"1 = rows where {self.positive_label}, 0 = rows where {self.negative_label}"
        if self.rule.value == "median":
            meaning += (
                f" ({self.rule.column} median {value_text(threshold)} over the "
                f"{len(self.positive)} labelled rows)"
            )
        return {
            "text": self.rule.text,
            "column": self.rule.column,
            "op": self.rule.op,
            "value": self.rule.value,
            "threshold": threshold,
            "positive": self.positive_label,
            "negative": self.negative_label,
            "positive_rows": n_pos,
            "negative_rows": int(len(self.positive) - n_pos),
            "meaning": meaning,
        }


@dataclass(frozen=True)
class TargetRule:
    """``<column> <op> <value>``: the positive class is the rows where it holds.

    ``op`` is one of :data:`RULE_OPS`; ``value`` is a number, ``"median"`` (of the
    labelled rows) or a category value (with ``==`` or ``!=`` only).
    """

    column: str
    op: str
    value: float | str

    def __post_init__(self) -> None:
        if self.op not in RULE_OPS:
            raise TargetRuleError(
                f"target rule operator {self.op!r} is not one of {', '.join(RULE_OPS)}",
                column=self.column,
            )
        if not str(self.column).strip():
            raise TargetRuleError(f"target rule needs a column name ({_EXAMPLES})")
        if self.op in _ORDERED and isinstance(self.value, str) and self.value != "median":
            raise TargetRuleError(
                f"target rule {self.text!r}: {self.op!r} needs a number or 'median', "
                f"not {self.value!r} (use '==' for a category)",
                column=self.column,
            )

    @property
    def text(self) -> str:
        """The canonical text, e.g. ``"G3 >= 10"``."""
        value = value_text(self.value) if isinstance(self.value, float) else self.value
        return f"{self.column} {self.op} {value}"

    def __str__(self) -> str:
        return self.text

    @classmethod
    def parse(cls, text: str) -> TargetRule:
        """Parse ``"<column> <op> <value>"``; raises :class:`TargetRuleError` naming the problem."""
        if not isinstance(text, str) or not text.strip():
            raise TargetRuleError(f"a target rule reads '<column> <op> <value>' ({_EXAMPLES})")
        match = _RULE.match(text)
        if match is None:
            raise TargetRuleError(
                f"target rule {text!r} has no comparison; use one of "
                f"{', '.join(RULE_OPS)} ({_EXAMPLES})"
            )
        column, op, raw = match["column"], match["op"], match["value"]
        if column[0] in "<>=!" or column[-1] in "<>=!":
            raise TargetRuleError(
                f"target rule {text!r} names no column before its comparison ({_EXAMPLES})"
            )
        op = "==" if op == "=" else op
        if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
            value: float | str = raw[1:-1]
        elif raw.lower() == "median":
            value = "median"
        else:
            number = _as_number(raw)
            value = raw if number is None else number
        return cls(column.strip(), op, value)

    @classmethod
    def coerce(cls, rule: TargetRule | str | None) -> TargetRule | None:
        """A rule from text (parsed), a rule, or None."""
        if rule is None or isinstance(rule, TargetRule):
            return rule
        return cls.parse(rule)

    def apply(self, series: pd.Series) -> ResolvedRule:
        """Label each (non-missing) value of the column: True where the rule holds."""
        present = series.dropna()
        if present.empty:
            raise TargetRuleError(
                f"target rule {self.text!r}: column {self.column!r} has no values",
                column=self.column,
            )
        if isinstance(self.value, float) or self.value == "median":
            numbers = pd.to_numeric(present, errors="coerce")
            bad = present[numbers.isna()]
            if len(bad):
                raise TargetRuleError(
                    f"target rule {self.text!r}: column {self.column!r} holds the non-numeric "
                    f"value {bad.iloc[0]!r}; compare it with '==' to a category instead",
                    column=self.column,
                )
            x = numbers.to_numpy(dtype=float)
            threshold = float(np.median(x)) if self.value == "median" else float(self.value)
            holds = _compare(x, self.op, threshold)
            shown = value_text(threshold)
            resolved: float | str = threshold
        else:
            texts = label_texts(present).to_numpy(dtype=object)
            values = sorted({str(v) for v in texts})
            wanted = match_label(self.value, values)
            if wanted is None:
                close = difflib.get_close_matches(str(self.value), values, n=3, cutoff=0.6)
                hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
                raise TargetRuleError(
                    f"target rule {self.text!r}: {self.value!r} is not a value of column "
                    f"{self.column!r}{hint} (values: {', '.join(repr(v) for v in values[:20])})",
                    column=self.column,
                )
            holds = (texts == wanted) if self.op == "==" else (texts != wanted)
            shown = wanted
            resolved = wanted
        holds = np.asarray(holds, dtype=bool)
        if holds.all() or not holds.any():
            which = "every" if holds.all() else "no"
            raise TargetRuleError(
                f"target rule {self.text!r} holds for {which} row of {self.column!r}; "
                "both classes are needed",
                column=self.column,
            )
        return ResolvedRule(
            rule=self,
            positive=holds,
            threshold=resolved,
            positive_label=f"{self.column} {self.op} {shown}",
            negative_label=f"{self.column} {_NEGATION[self.op]} {shown}",
        )


def _compare(x: np.ndarray, op: str, value: float) -> np.ndarray:
    if op == ">=":
        return x >= value
    if op == ">":
        return x > value
    if op == "<=":
        return x <= value
    if op == "<":
        return x < value
    if op == "==":
        return np.isclose(x, value, rtol=0.0, atol=1e-12)
    return ~np.isclose(x, value, rtol=0.0, atol=1e-12)
