"""Reading bounds: a metric, a comparison and a number, in the orders people write them.

"eo under 5%", "keep dp below 0.05 for race", "cap eop at 0.05", "at least 84% accuracy",
"84% accurate", "balanced accuracy above 0.65", "accuracy of at least 0.8", and the
written-out forms ``eo[race]<=0.05`` and ``race:eo<=0.05``. A number with a unit or a
comparison is always bound to a metric here or left for the reader to ask about.
A bare number next to a metric ("84% accurate", "eo 0.05") reads as the only bound that
metric takes in that direction: a floor for performance, a ceiling for a gap.
"""

from __future__ import annotations

from dataclasses import dataclass

from fairfront.fronts import PERFORMANCE_METRICS, Constraint, ConstraintError

from ._checks import Checker
from ._clause import Clause

__all__ = ["Bound", "read_bounds"]

_BETWEEN = ("at", "bound", "per", "all")
"""Cues that may stand between a metric and its number ("eo for race at most 5%")."""


@dataclass(frozen=True)
class Bound:
    metric: str
    op: str
    value: float
    attribute: str | None
    written: str


def _number(clause: Clause, i: int) -> tuple[float, str] | None:
    token = clause.items[i].token
    if token.value is None:
        return None
    return (token.value / 100 if token.percent else token.value), token.text


def _attributes(clause: Clause, i: int) -> tuple[list[str | None], list[int]]:
    """Attributes named right after position ``i`` ("for race and sex", "across all")."""
    k = i + 1
    if k >= len(clause) or not clause.items[k].cue("per") or k in clause.used:
        return [None], []
    used = [k]
    names: list[str | None] = []
    for j in range(k + 1, len(clause)):
        item = clause.items[j]
        if item.token.low in ("and", ",", "the", "attribute", "attributes", "groups"):
            used.append(j)
            continue
        if item.cue("all"):
            names.append(None)
        elif item.term("column", "synonym") is not None or (
            item.kind == "word" and not item.terms and item.token.text.isidentifier()
        ):
            names.append(item.text)
        else:
            break
        used.append(j)
    while used and clause.items[used[-1]].token.low in ("and", ","):
        used.pop()
    if not names:
        return [None], []
    return names, used


def read_bounds(clause: Clause, checker: Checker) -> list[str] | None:
    """Every bound in ``clause`` as canonical constraint text (marking what it used), or
    None after a question."""
    out: list[str] = []
    for i, item in clause:
        if i in clause.used:
            continue
        if item.kind == "bound":
            try:
                c = Constraint.parse(item.token.text)
            except ConstraintError as error:
                if "unknown metric" in str(error):
                    continue  # "grade >= 10": a rule on a column, not a bound
                checker.ask(f"I cannot use '{item.token.text}': {error}.")
                return None
            clause.take(i)
            checked = checker.bound(c.metric, c.op, c.bound, c.attribute, f"{c.bound:g}")
            if checked is None:
                return None
            out.append(checked)
    for i, term in clause.terms("notion", "metric"):
        found = _bound_at(clause, i, term.value)
        if found is None:
            continue
        op, number_at, cmp_at = found
        value, written = _number(clause, number_at) or (0.0, "")
        names, attr_used = _attributes(clause, number_at)
        if not attr_used and number_at > i:
            names, attr_used = _attributes(clause, i)
        clause.take(i, number_at, cmp_at, *attr_used)
        for j in range(min(i, number_at), max(i, number_at)):
            if clause.items[j].cue(*_BETWEEN):
                clause.take(j)
        if not clause.items[number_at].token.percent and value > 1:
            checker.ask(
                f"Is {written} in '{clause.items[i].text} {written}' a percentage? Rates "
                "and gaps lie between 0 and 1.",
                [f"keep {term.value} {'under' if op == '<=' else 'above'} {written}%"],
            )
            return None
        for name in names:
            checked = checker.bound(term.value, op, value, name, written)
            if checked is None:
                return None
            out.append(checked)
    if out:
        clause.take_all("bound")
        level = _confidence(clause, checker)
        if level is False:
            return None
        if level is not None:  # "... with 95% confidence": the interval's upper end counts
            if all(Constraint.parse(t).metric in PERFORMANCE_METRICS for t in out):
                checker.ask(
                    "Confidence applies to fairness gaps (they carry intervals); accuracy "
                    "and balanced accuracy are read as they are. Say the bound without it?"
                )
                return None
            out = [_with_confidence(text, level) for text in out]
    return out


_CONFIDENCE_WORDS = ("confidence", "confident", "certainty", "certain", "sure")
SUPPORTED_LEVEL = 0.95
"""The level the points' intervals are computed at (the engine's default)."""


def _confidence(clause: Clause, checker: Checker) -> float | None | bool:
    """The level in "with 95% confidence" / "95% confident" (marking it used); None when
    the clause says none; False after a question (a level the points do not carry)."""
    for k, item in clause:
        if k in clause.used or item.token.low not in _CONFIDENCE_WORDS:
            continue
        n = k - 1
        if n < 0 or clause.items[n].kind != "number" or n in clause.used:
            continue
        token = clause.items[n].token
        assert token.value is not None  # noqa: S101 - a number item has a value
        level = token.value / 100 if token.percent or token.value > 1 else token.value
        positions = [n, k]
        if n >= 1 and clause.items[n - 1].token.low in ("with", "at", "to"):
            positions.append(n - 1)
        clause.take(*positions)
        if abs(level - SUPPORTED_LEVEL) > 1e-9:
            checker.ask(
                f"The points carry {SUPPORTED_LEVEL:.0%} intervals, so I can check bounds "
                f"with {SUPPORTED_LEVEL:.0%} confidence only, not {level:.0%}."
            )
            return False
        return level
    return None


def _with_confidence(text: str, level: float) -> str:
    """A fairness bound read at the interval's upper end; performance floors unchanged."""
    constraint = Constraint.parse(text)
    if constraint.metric in PERFORMANCE_METRICS:
        return text
    return f"{text}@{level:g}"


_BREAKS = ("and", ",", "then", "or", "&", "plus", "but")


def _after(clause: Clause, i: int, skip: tuple[str, ...] = ()) -> int | None:
    """The next content item after ``i`` within the same list item ("and" ends it)."""
    j = clause.next_content(i, skip)
    if j is None or any(clause.items[k].token.low in _BREAKS for k in range(i + 1, j)):
        return None
    return j


def _before(clause: Clause, i: int) -> int | None:
    j = clause.prev_content(i)
    if j is None or any(clause.items[k].token.low in _BREAKS for k in range(j + 1, i)):
        return None
    return j


def _bound_at(clause: Clause, i: int, metric: str) -> tuple[str, int, int | None] | None:
    """(op, number position, comparison position) of the bound on the metric at ``i``."""
    default = ">=" if metric in PERFORMANCE_METRICS else "<="
    # after the metric: "eo under 5%", "accuracy of at least 0.8", "eo for race below 5%"
    j = _after(clause, i, skip=("bound",))
    k = j
    while k is not None and clause.items[k].cue("per") and k + 1 < len(clause):
        k = _after(clause, k + 1)  # skip "for race"
    for start in (j, k):
        if start is None or start in clause.used:
            continue
        item = clause.items[start]
        if item.cue("le", "ge"):
            n = _after(clause, start)
            if n is not None and clause.items[n].kind == "number" and n not in clause.used:
                return ("<=" if item.cue("le") else ">="), n, start
        if item.kind == "number":
            said = {clause.items[x].token.low for x in range(i + 1, start)}
            if said & {"is", "=", "equals", "be", "was"}:
                return None  # "accuracy is 0.66": a value, not a bound; asked about
            return default, start, None
        if item.cue("at") and item.token.low in ("at", "to", "of"):  # "is 0.66": not a bound
            n = _after(clause, start, skip=("at",))
            if n is not None and clause.items[n].kind == "number" and n not in clause.used:
                return default, n, start
    # before the metric: "at least 84% accuracy", "84% accurate", "under 3% dp"
    p = _before(clause, i)
    if p is not None and clause.items[p].kind == "number" and p not in clause.used:
        c = _before(clause, p)
        if c is not None and clause.items[c].cue("le", "ge") and c not in clause.used:
            return ("<=" if clause.items[c].cue("le") else ">="), p, c
        if clause.items[p].token.percent or default == ">=":
            return default, p, None
    return None
