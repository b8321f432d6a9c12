"""The parameters frame: a learner parameter's value, a sweep of several, or the defaults.

"use a fairness weight of 2", "learning rate 0.05", "max depth 3" set one value; "try
fairness weights 0.5, 1 and 2", "sweep the bound over 0.01, 0.02 and 0.04", "compare
learning rates 0.05 and 0.1", "try depths 2 to 4" (a range only for a parameter the
learner takes whole numbers for) sweep; "no sweep", "drop the sweep of the fairness
weight", "use the default learning rate" go back to the defaults. Everything less
clear is a question, never a guess: values joined by "or" with no verb that tries
them ("fairness weight 1 or 2"), a percentage for a parameter that is not a share
("fairness weight 50%"), a range of decimals, a misspelt name ("fairnes weight"), a
sweep of one value, "weight" alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from fairfront.vocabulary import PARAMETERS

from . import _param_checks as param_checks
from ._checks import Checker
from ._clause import Clause
from ._frames import setup_items
from ._intents import MAX_SETTINGS, Ask, SetParameter, SweepParameter
from ._lexicon import plural
from ._say import say
from ._tokens import word_parts

__all__ = ["parameters"]

_LINKS = frozenset(
    {"at", "of", "to", "=", "is", "be", "as", "from", "over", "between", "value", "values"}
    | {"in", ":", "equal", "equals", "around", "a", "an", "the", "set", "with", "should", "must"}
)
"""Words between a parameter's name and its values ("a fairness weight of 2")."""
_JOINS = frozenset({",", "and", "or", "/", "&"})
_RANGE = frozenset({"to", "-", "through", "until", "till"})
_TRY = frozenset({"try", "compare", "test", "sweep", "vary", "explore", "trying", "comparing"})
_CLEAR = frozenset({"clear", "remove", "reset", "forget", "stop", "cancel", "drop", "undo"})


@dataclass
class _Values:
    """The numbers written after a parameter's name and how they were joined."""

    values: list[float]
    percent: bool = False
    either: bool = False
    """Joined by "or" ("1 or 2")."""
    range: bool = False
    """ "2 to 4", "between 2 and 4"."""


def _values(clause: Clause, i: int) -> _Values | None:
    """The values after the name at ``i`` (marking what they used), or None for none."""
    found = _Values([])
    positions: list[int] = []
    between = False
    j = i + 1
    while j < len(clause) and j not in clause.used:
        item = clause.items[j]
        low = item.token.low
        if item.kind == "number" and _names_next(clause, j):
            break  # "a depth of 3 and 63 leaves": 63 is the leaves'
        if item.kind == "number":
            value = float(item.token.value or 0)
            found.values.append(value)
            found.percent = found.percent or item.token.percent
            positions.append(j)
        elif found.values and low in _RANGE and j + 1 < len(clause):
            found.range = clause.items[j + 1].kind == "number"
            if not found.range:
                break
        elif found.values and low in _JOINS:
            found.either = found.either or low == "or"
            found.range = found.range or (between and low == "and")
        elif not found.values and low in _LINKS:
            between = between or low == "between"
        else:
            break
        j += 1
    if not positions:
        return None
    clause.take(*range(i + 1, positions[-1] + 1))
    return found


def _names_next(clause: Clause, j: int) -> bool:
    """Whether the number at ``j`` is followed by what it counts ("63 leaves", "50 rounds")."""
    return j + 1 < len(clause) and bool(
        clause.items[j + 1].term("parameter") or clause.items[j + 1].cue("rounds", "epochs")
    )


def _before(clause: Clause, i: int) -> _Values | None:
    """A number right before the name at ``i`` ("63 leaves"), marking it used; not one
    that a word before it binds elsewhere ("under 5%", "split at 30")."""
    j = i - 1
    if j < 0 or j in clause.used or clause.items[j].kind != "number":
        return None
    if j > 0 and not (clause.items[j - 1].token.low in _JOINS or clause.items[j - 1].cue("use")):
        return None
    token = clause.items[j].token
    clause.take(j)
    return _Values([float(token.value or 0)], percent=token.percent)


def _plural(written: str) -> bool:
    """Whether a parameter's name is written in the plural the lexicon adds ("weights"),
    not in one of its own forms ("number of leaves")."""
    parts = word_parts(written)
    return not any(
        word_parts(form) == parts
        for term in PARAMETERS.values()
        for form in (term.name, term.label, *term.aliases)
    )


def _tries(clause: Clause) -> bool:
    return clause.has("sweep") or any(item.token.low in _TRY for item in clause.items)


def _clears(clause: Clause) -> bool:
    return clause.has("not", "drop", "cancel", "start_over") or any(
        item.token.low in _CLEAR for item in clause.items
    )


def _ambiguous_weight(clause: Clause, checker: Checker) -> bool:
    """ "weight 2", "try weights 1 and 2": the fairness weight or the class balance?"""
    if clause.has("point", "select", "fairest", "knee"):
        return False  # "the point with weights 1, 1, 2": a rule choosing a point
    for i, item in clause:
        if item.cue("weights") and item.token.low in ("weight", "weights"):
            numbers = [j for j in clause.numbers() if j > i]
            if numbers and (item.token.low == "weight" or _tries(clause)):
                value = clause.items[numbers[0]].token.text
                clause.take(*range(len(clause)))
                checker.ask(
                    f"Which weight do you mean by '{item.text} {value}': the fairness weight "
                    "(how strongly fairness counts), or the class balance?",
                    [f"fairness weight {value}", f"class balance {value}"],
                )
                return True
    return False


def _misspelt(clause: Clause, checker: Checker, i: int, name: str) -> None:
    """ "fairnes weight 2": asked, with the message spelt right as the button."""
    item = clause.items[i]
    words = [(item.typo if j == i else x.text) for j, x in enumerate(clause.items) if x.text]
    clause.take(*range(len(clause)))
    checker.ask(
        f"Did you mean the {PARAMETERS[name].label} ('{item.text}')?",
        [" ".join(words).replace(" ,", ",")],
    )


def parameters(clause: Clause, checker: Checker) -> bool:
    """Set, sweep or reset learner parameters (see the module docstring)."""
    named = clause.terms("parameter")
    if not named:
        return _no_name(clause, checker)
    misspelt = next(((i, t) for i, t in named if clause.items[i].typo), None)
    if misspelt is not None:
        _misspelt(clause, checker, misspelt[0], misspelt[1].value)
        return True
    steps: list[tuple[str, str, _Values | None]] = []
    for i, term in named:
        item = clause.items[i]
        found = _values(clause, i)
        if found is None and (found := _before(clause, i)) is not None and _plural(item.text):
            count = f"{found.values[0]:g}"  # "try 3 fairness weights": how many, or which?
            label = PARAMETERS[term.value].label
            clause.take(*range(len(clause)))
            checker.ask(
                f"Do you mean {count} different {plural(label)} (which ones?), or a {label} "
                f"of {count}?",
                [_said(term.value, list(PARAMETERS[term.value].examples)), f"{label} {count}"],
            )
            return True
        if found is None and item.cue("bound"):
            continue  # "bound eo at 5%": the grammar's "bound", not the parameter
        clause.take(i)
        steps.append((term.value, item.text, found))
    if not steps:
        return False
    mood = _mood(clause)
    clause.take_all("sweep", "use", "compare", "default", "parameters")
    if mood.asks and not any(found for _, _, found in steps):
        clause.take_all("question", "selected")
    for k, item in clause:
        if item.token.low in _TRY | _CLEAR or (mood.clears and item.cue("not", "drop")):
            clause.take(k)
    if clause.leftovers() or any(it.term("learner", "dataset") for it in clause.items):
        setup_items(clause, checker)  # "use fair_gbm with a bound of 0.02": the learner first
    for name, text, found in steps:
        _step(checker, name, text, found, mood)
    if clause.has("train") and not checker.tried_training:
        clause.take_all("train")
        checker.train()
    return True


def _no_name(clause: Clause, checker: Checker) -> bool:
    """ "no sweep", "drop the sweep", "use the default parameters", "weight 2"."""
    if _ambiguous_weight(clause, checker):
        return True
    if clause.has("sweep") and _clears(clause) and not clause.numbers():
        clause.take(*range(len(clause)))
        param_checks.reset(checker, [], sweep_only=True)
        return True
    if clause.has("parameters") and (clause.has("default") or _clears(clause)):
        clause.take(*range(len(clause)))
        param_checks.reset(checker, [], sweep_only=False)
        return True
    if clause.has("sweep") and clause.numbers():
        clause.take(*range(len(clause)))
        checker.ask(
            "Which parameter should I sweep over those values? e.g. 'try fairness weights "
            "0.5, 1 and 2' or 'sweep the learning rate over 0.05 and 0.1'.",
            ["try fairness weights 0.5, 1 and 2"],
        )
        return True
    return False


@dataclass(frozen=True)
class _Mood:
    """What the clause's verbs ask for: try values, sweep (explicitly), go back."""

    tries: bool
    sweep: bool
    clears: bool
    default: bool
    asks: bool


def _mood(clause: Clause) -> _Mood:
    sweep = clause.has("sweep") or any(
        item.token.low in ("compare", "comparing", "vary", "explore") for item in clause.items
    )
    asks = clause.has("question") or clause.items[-1].token.text.endswith("?")
    return _Mood(_tries(clause), sweep, _clears(clause), clause.has("default"), asks)


def _step(checker: Checker, name: str, text: str, found: _Values | None, mood: _Mood) -> None:
    """One parameter's reading: accepted by the checks, or a question."""
    term = PARAMETERS[name]
    label = term.label
    if found is None:
        if mood.clears or mood.default:
            param_checks.reset(checker, [name], sweep_only=mood.sweep and not mood.default)
        elif mood.tries:
            checker.ask(
                f"Which values of the {label} should I try? e.g. 'try {plural(label)} "
                f"{_example(name)}'.",
                [_said(name, list(term.examples))],
            )
        elif mood.asks:  # "what fairness weight am I using?": the set-up says
            checker.emit(Ask(topic="setup"))
        else:
            example = f"{term.examples[0]:g}"
            checker.ask(f"Which {label}? e.g. '{label} {example}'.", [f"{label} {example}"])
        return
    values = found.values
    if found.percent:
        if not term.share:
            shares = ", ".join(f"{v / 100:g}" for v in values)
            checker.ask(
                f"A {label} is a plain number, not a percentage: did you mean {shares}?",
                [_said(name, [v / 100 for v in values])],
            )
            return
        values = [v / 100 for v in values]
    if found.range:
        low, high = values[0], values[-1]
        learner = checker.setup.learner
        if not term.takes(learner):
            param_checks.lacks(checker, name, f"try {plural(label)} {low:g} to {high:g}")
            return
        whole = all(float(v).is_integer() for v in (low, high)) and term.integer(learner)
        if len(values) != 2 or not whole or low > high:
            checker.ask(
                f"Which values from {low:g} to {high:g} should I try for the {label}? Name "
                f"them, e.g. 'try {plural(label)} {low:g}, {(low + high) / 2:g} and {high:g}'.",
                [_said(name, [low, (low + high) / 2, high])],
            )
            return
        if high - low + 1 > MAX_SETTINGS:
            checker.ask(
                f"{low:g} to {high:g} makes {int(high - low + 1)} settings of the {label}; a "
                f"sweep has at most {MAX_SETTINGS}. Which values?"
            )
            return
        values = [float(v) for v in range(int(low), int(high) + 1)]
    if len(set(values)) != len(values):
        checker.ask(f"The {label} values repeat ({text}: {', '.join(f'{v:g}' for v in values)}).")
        return
    if len(values) == 1:
        if mood.sweep:
            checker.ask(
                f"A sweep tries two or more values; which other {plural(label)} besides "
                f"{values[0]:g}? Or use the {label} {values[0]:g} alone?",
                [_said(name, values)],
            )
            return
        param_checks.set_value(checker, name, values[0])
        return
    if found.either and not mood.tries:
        checker.ask(
            f"Which {label}: {' or '.join(f'{v:g}' for v in values)}? Or try them all in one "
            "run (a sweep: one fit each, one front)?",
            [_said(name, values), *(_said(name, [v]) for v in values[:3])],
        )
        return
    param_checks.sweep(checker, name, values)


def _said(name: str, values: list[float]) -> str:
    if len(values) == 1:
        return say(SetParameter(name=name, value=values[0]))
    return say(SweepParameter(name=name, values=values))


def _example(name: str) -> str:
    said = [f"{v:g}" for v in PARAMETERS[name].examples]
    return ", ".join(said[:-1]) + " and " + said[-1]
