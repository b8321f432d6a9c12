"""Frames that change the set-up: protect, predict (a column, several tasks, a rule),
the positive class, dropping and restoring columns."""

from __future__ import annotations

import re

from . import _target_checks as target_checks
from ._checks import Checker
from ._clause import Clause, is_filler
from ._frames import counts, setup_items
from ._lexicon import Item

__all__ = ["columns_frame", "positive_frame", "predict", "protect"]

_STRICT = {"ge": ">", "le": "<"}
_RULE_RE = re.compile(r"^\s*([^<>=≤≥]+?)\s*(<=|>=|=<|=>|≤|≥|<|>)\s*(.+)$")
_OPS = {"=<": "<=", "=>": ">=", "≤": "<=", "≥": ">="}
_INCLUSIVE = (
    "at least",
    "no less than",
    "or more",
    "or higher",
    ">=",
    "≥",
    "=>",
    "at most",
    "no more than",
    "or less",
    "or lower",
    "<=",
    "≤",
    "=<",
    "up to",
    "not more than",
    "not above",
    "not over",
    "no higher than",
    "not below",
    "not under",
)


def _name_like(item: Item) -> bool:
    """A word that may be a column the lexicon does not know (an upload's "ID")."""
    if item.kind != "word" or is_filler(item):
        return False
    return not any(t.kind == "cue" for t in item.terms) or item.term("column") is not None


def _column_of(item: Item) -> str | None:
    term = item.term("column")
    if term is not None:
        return term.value
    synonym = item.term("synonym")
    if synonym is not None or _name_like(item):
        return item.text
    return None


def protect(clause: Clause, checker: Checker) -> bool:
    """ "protect sex, race and age", "also protect age split at 30 and 50", "race:White"."""
    at = clause.find("protect")
    if at is None:
        return False
    clause.take(at)
    items: list[str] = []
    i = 0
    while i < len(clause):
        item = clause.items[i]
        if i in clause.used or (i < at and item.term("column", "synonym") is None):
            i += 1
            continue
        if item.kind == "spec":
            items.append(item.token.text)
            clause.take(i)
        elif (column := _column_of(item)) is not None and not item.term("notion", "metric"):
            clause.take(i)
            edges, i = _edges(clause, i)
            items.append(column + (":" + ",".join(edges) if edges else ""))
            continue
        i += 1
    if not items:
        checker.ask(
            "Which columns should be protected? e.g. 'protect sex and race'.",
            ["protect sex and race"],
        )
        return True
    adding = any(item.cue("also") for item in clause.items[:at])
    clause.take_all("also", "all")
    checker.protect(items, adding=adding)
    return True


def _edges(clause: Clause, i: int) -> tuple[list[str], int]:
    """Numbers after a column ("split at 30 and 50", "at 30, 50"): bin edges."""
    j = i + 1
    edges: list[str] = []
    seen_split = False
    while j < len(clause):
        item = clause.items[j]
        if (
            item.cue("split", "at")
            or item.token.low in ("and", ",", "into", "groups")
            or (is_filler(item) and item.kind == "word")
        ):
            seen_split = seen_split or item.cue("split")
        elif item.kind == "number" and not item.token.percent:
            edges.append(item.token.text.replace(",", ""))
        else:
            break
        j += 1
    if not edges:
        return [], i + 1
    while j > i + 1 and clause.items[j - 1].kind != "number":
        j -= 1
    clause.take(*range(i + 1, j))
    return edges, j


_LINKS = (
    "is",
    "=",
    ":",
    "the",
    "as",
    "be",
    "should",
    "equals",
    "to",
    "class",
    "label",
    "value",
    "would",
    "will",
)


def _value_after(clause: Clause, i: int) -> int | None:
    for j in range(i + 1, len(clause)):
        item = clause.items[j]
        if item.token.low in _LINKS:
            clause.take(j)
            continue
        if item.kind in ("number", "word", "spec") or item.token.kind == "op":
            return j
        return None
    return None


def positive_value(clause: Clause) -> str | None:
    """The positive class a clause names ("positive class is 1", "1 means defaulted"),
    marking what it used; "" when it says "positive" but no value."""
    at = clause.find("positive")
    means = clause.find("means")
    if at is None and means is None:
        return None
    if means is not None and at is None:
        value = clause.prev_content(means)
        if value is None:
            return None
        clause.take(value, means, *range(means + 1, len(clause)))  # the meaning, in words
    else:
        assert at is not None  # noqa: S101 - one of the two is set
        value = _value_after(clause, at)
        if value is None:
            value = clause.prev_content(at)
        clause.take(at, value)
        if value is None:
            return ""
        clause.take_all("at", "means")
    item = clause.items[value]
    text = item.token.text
    if item.token.kind == "op" and value + 1 < len(clause):  # ">50K" is ">" then "50K"
        text += clause.items[value + 1].token.text
        clause.take(value + 1)
    return text


def positive_frame(clause: Clause, checker: Checker) -> bool:
    """ "the positive class is 1", "1 means defaulted", "yes is the positive class"."""
    value = positive_value(clause)
    if value is None:
        return False
    if not value:
        checker.ask("Which value is the positive class?")
    else:
        target_checks.positive(checker, value)
    return True


def predict(clause: Clause, checker: Checker) -> bool:
    """ "predict income", "predict two_year_recid and is_violent_recid together",
    "predict whether the grade is at least 10", "class A against the rest"."""
    at = clause.find("predict")
    if at is None:
        return bool(clause.has("median", "rest") and _rule(clause, checker, -1))
    clause.take(at)
    tasks = [(i, t) for i, t in clause.terms("task") if i > at]
    if len(tasks) >= 2 or (tasks and clause.has("together")):
        clause.take(*(i for i, _ in tasks))
        clause.take_all("together", "all")
        dataset = tasks[0][1].dataset
        if dataset and checker.setup.dataset is None:
            checker.choose_dataset(dataset)
        target_checks.tasks(checker, [t.value for _, t in tasks])
        return True
    if _rule(clause, checker, at):
        return True
    targets = [
        (i, clause.items[i].term("column") or t)
        for i, t in clause.terms("target", "column")
        if i > at
    ]
    positive = (positive_value(clause) or None) if clause.has("positive") else None
    if not targets:
        words = [i for i, item in clause if i > at and i not in clause.used and _name_like(item)]
        if not words:
            checker.ask("Which column should the model predict?")
            return True
        clause.take(words[0])
        target_checks.target(checker, clause.items[words[0]].text, positive)
    else:
        i, term = targets[0]
        clause.take(*(j for j, t in targets if t == term))
        if term.kind == "target":
            dataset = term.dataset
            if checker.setup.dataset is None:
                checker.choose_dataset(dataset)
            elif checker.setup.dataset != dataset:
                checker.ask(
                    f"{checker.setup.dataset} does not predict "
                    f"{clause.items[i].text}; that is {dataset}'s target. Switch?",
                    [
                        f"use {dataset}",
                        f"predict {checker.info.target}" if checker.info else "help",
                    ],
                )
                return True
            if checker.info is not None:
                target_checks.target(checker, checker.info.target, positive)
        else:
            target_checks.target(checker, term.value, positive)
    clause.take_all("whether")
    return True


def _rule(clause: Clause, checker: Checker, at: int) -> bool:
    """A yes/no target by a rule: a column, a comparison and a value, or "A against the rest"."""
    written = next((i for i, item in clause if i > at and item.kind == "bound"), None)
    if written is not None:
        found = _RULE_RE.match(clause.items[written].token.text)
        if found is None:
            return False
        sign = _OPS.get(found.group(2), found.group(2))
        clause.take(written)
        clause.take_all("whether")
        target_checks.target_rule(checker, found.group(1), sign, found.group(3).strip())
        return True
    column_at = next(
        (
            i
            for i, item in clause
            if i > at
            and i not in clause.used
            and (item.term("column") or _name_like(item) and not item.term("target", "task"))
        ),
        None,
    )
    if column_at is None:
        return False
    j = next(
        (
            k
            for k in range(column_at + 1, len(clause))
            if clause.items[k].token.low not in ("is", "the", "equals")
        ),
        None,
    )
    if j is None:
        return False
    cmp = clause.items[j]
    op: str | None = None
    if cmp.cue("le", "ge"):
        name = "ge" if cmp.cue("ge") else "le"
        op = (
            (">=" if name == "ge" else "<=") if cmp.text.casefold() in _INCLUSIVE else _STRICT[name]
        )
        value_at = clause.next_content(j)
    elif cmp.token.kind == "op" and cmp.token.text in ("==", "!=", "="):
        op = "!=" if cmp.token.text == "!=" else "=="
        value_at = clause.next_content(j)
    elif (rest := clause.next_content(j, skip=("against",))) is not None and clause.items[rest].cue(
        "rest"
    ):
        op, value_at = "==", j
        clause.take(*range(j + 1, rest + 1))
    else:
        return False
    if value_at is None:
        return False
    value = clause.items[value_at]
    text = "median" if value.cue("median") else value.token.text
    clause.take(column_at, j, value_at)
    clause.take_all("whether", "median", "rest", "against")
    target_checks.target_rule(checker, clause.items[column_at].text, op, text)
    return True


def columns_frame(clause: Clause, checker: Checker) -> bool:
    """ "drop ID", "remove the ID column", "put ID back", "keep ID"."""
    drop_at = clause.find("drop")
    restore_at = clause.find("restore")
    if drop_at is None and restore_at is None:
        return False
    if clause.terms("notion", "metric") or clause.numbers():
        return False  # "keep eo under 5%" is a bound
    restore = restore_at is not None and (drop_at is None or restore_at < drop_at)
    at = restore_at if restore else drop_at
    assert at is not None  # noqa: S101 - one of the two is set
    names = [
        i
        for i, item in clause
        if i != at
        and i not in clause.used
        and item.term("column") is not None
        or (i != at and _name_like(item) and i not in clause.used)
    ]
    names = [i for i in names if clause.items[i].token.low not in ("column", "columns", "back")]
    if not names:
        return False
    clause.take(at, *names)
    clause.take_all("restore", "again", "columns")
    for i, item in clause:
        if item.token.low in ("column", "columns", "back", "feature", "features"):
            clause.take(i)
    checker.columns([clause.items[i].text for i in names], restore=restore)
    return True


def use(clause: Clause, checker: Checker) -> bool:
    """Any clause with names or counts: datasets, learners, notions, bounds, rounds."""
    before = len(clause.used)
    setup_items(clause, checker)
    counts(clause, checker)
    return len(clause.used) > before
