"""Checks of learner parameters and sweeps against the session: accept or ask.

Shared by the rule reader and the LLM path. A parameter the chosen learner lacks, a
value out of the estimator's range, a learner that cannot be swept, too many settings,
or a parameter both fixed and swept each become a question with whole messages to send
as buttons; nothing is applied next to a question. The rules themselves are the
estimators' and the run layer's (:mod:`._param_rules`).
"""

from __future__ import annotations

from collections.abc import Sequence

from fairfront.vocabulary import LEARNERS, PARAMETERS

from ._checks import Checker
from ._intents import MAX_SETTINGS, ResetParameters, SetParameter, SweepParameter
from ._param_rules import spec_problem, sweep_learners, value_problem, written
from ._say import say

__all__ = ["lacks", "reset", "set_value", "sweep"]


def _typed(learner: str, name: str, value: float) -> int | float:
    """A whole number as an int for a parameter the learner takes whole numbers for."""
    term = PARAMETERS[name]
    if term.takes(learner) and term.integer(learner) and float(value).is_integer():
        return int(value)
    return value


def _listed(values: Sequence[float]) -> str:
    said = [written(v) for v in values]
    return ", ".join(said[:-1]) + " and " + said[-1] if len(said) > 1 else "".join(said)


def lacks(checker: Checker, name: str, wanted: str) -> bool:
    """Ask when the chosen learner has no ``name`` (True after asking)."""
    learner = checker.setup.learner
    term = PARAMETERS[name]
    if term.takes(learner):
        return False
    same = [n for n, t in LEARNERS.items() if t.multitask == LEARNERS[learner].multitask]
    others = term.learners(same) or term.learners()
    label = LEARNERS[learner].label
    if others:
        verb = "takes" if len(others) == 1 else "take"
        text = f"{label} has no {term.label}; {', '.join(others)} {verb} it."
        text += f" Switch to {others[0]}?" if len(others) == 1 else " Switch to one of them?"
    else:
        text = f"{label} has no {term.label}."
    if name == "bound":
        text += " Or did you mean a constraint on the chosen model, e.g. 'keep eo under 0.05'?"
    checker.ask(text, [f"use {n}, {wanted}" for n in others[:3]])
    return True


def set_value(checker: Checker, name: str, value: float) -> None:
    """Set ``name`` to ``value`` for the chosen learner, or ask why not."""
    learner = checker.setup.learner
    intent = SetParameter(name=name, value=_typed(learner, name, value))
    term = PARAMETERS[name]
    if lacks(checker, name, say(intent)):
        return
    problem = value_problem(learner, name, intent.value)
    if problem:
        checker.ask(f"I cannot set the {term.label} to {written(value)}: {problem}.")
        return
    swept = checker.setup.sweep.get(name)
    if swept:
        checker.ask(
            f"The {term.label} is swept over {_listed(swept)}; a parameter is either "
            f"fixed or swept. Drop its sweep and use {written(value)} only?",
            [f"drop the sweep of the {term.label}, {say(intent)}"],
        )
        return
    setup = checker.setup
    problem = spec_problem(
        learner, {**setup.params, name: intent.value}, setup.sweep, epochs=setup.epochs
    )
    if problem:
        checker.ask(f"I cannot set the {term.label} to {written(value)}: {problem}.")
        return
    checker.emit(intent)


def sweep(checker: Checker, name: str, values: Sequence[float]) -> None:
    """Sweep ``name`` over ``values`` with the chosen learner, or ask why not."""
    learner = checker.setup.learner
    term = PARAMETERS[name]
    if len(values) > MAX_SETTINGS:  # the run layer's own words for too many settings
        wanted = {**checker.setup.sweep, name: list(values)}
        too_many = spec_problem(learner, {}, wanted) or f"at most {MAX_SETTINGS} values"
        checker.ask(f"I cannot sweep the {term.label} over {len(values)} values: {too_many}.")
        return
    intent = checker.build(
        lambda: SweepParameter(name=name, values=[_typed(learner, name, v) for v in values]),
        f"sweep the {term.label} over {_listed(values)}",
    )
    if intent is None or lacks(checker, name, say(intent)):
        return
    for value in intent.values:
        refused = value_problem(learner, name, value)
        if refused:
            checker.ask(f"I cannot sweep the {term.label} over {_listed(values)}: {refused}.")
            return
    setup = checker.setup
    if name in setup.params:
        checker.ask(
            f"The {term.label} is fixed at {written(setup.params[name])}; a parameter is "
            f"either fixed or swept. Sweep it over {_listed(intent.values)} instead?",
            [f"use the default {term.label}, {say(intent)}"],
        )
        return
    wanted = {**setup.sweep, name: list(intent.values)}
    problem = spec_problem(learner, setup.params, wanted, epochs=setup.epochs)
    if problem:
        others = sweep_learners(learner, wanted)
        checker.ask(
            f"I cannot sweep the {term.label} with {learner}: {problem}."
            + (f" Use {' or '.join(others)} for a sweep?" if others else ""),
            [f"use {n}, {say(intent)}" for n in others[:3]],
        )
        return
    checker.emit(intent)


def reset(checker: Checker, names: Sequence[str], *, sweep_only: bool) -> None:
    checker.emit(ResetParameters(names=list(dict.fromkeys(names)), sweep_only=sweep_only))
