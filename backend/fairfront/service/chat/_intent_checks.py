"""Intents from elsewhere (an LLM's function calls) through the reader's own checks."""

from __future__ import annotations

from collections.abc import Sequence

from fairfront.fronts import Constraint

from . import _param_checks as param_checks
from ._checks import NEED_RUN, Checker
from ._intents import (
    AddConstraint,
    Ask,
    ChooseDataset,
    Clarify,
    DropColumns,
    Intent,
    KeepColumns,
    ResetParameters,
    SelectPoint,
    SetParameter,
    SetPositive,
    SetProtected,
    SetTarget,
    SetTargetRule,
    SetTasks,
    SweepParameter,
    Train,
    split_rule,
)
from ._setup import ChatContext
from ._target_checks import positive, target, target_rule, tasks

__all__ = ["check", "check_intents"]


def check(checker: Checker, intent: Intent) -> None:
    """Emit ``intent`` if the context allows it, else ask (see :func:`check_intents`)."""
    if isinstance(intent, Clarify):  # the model asks: nothing else of its reading acts
        checker.questions.append(intent)
    elif isinstance(intent, ChooseDataset):
        checker.choose_dataset(intent.name)
    elif isinstance(intent, SetTarget):
        target(checker, intent.column, intent.positive)
    elif isinstance(intent, SetPositive):
        positive(checker, intent.value)
    elif isinstance(intent, SetTargetRule):
        column, op, value = split_rule(intent.rule)
        target_rule(checker, column, op, value)
    elif isinstance(intent, SetTasks):
        tasks(checker, intent.tasks)
    elif isinstance(intent, SetProtected):
        checker.protect(intent.attributes, adding=False)
    elif isinstance(intent, DropColumns | KeepColumns):
        checker.columns(intent.columns, restore=isinstance(intent, KeepColumns))
    elif isinstance(intent, AddConstraint):
        c = Constraint.parse(intent.text)
        checked = checker.bound(c.metric, c.op, c.bound, c.attribute, f"{c.bound:g}")
        if checked is not None:
            checker.add_bound(checked)
    elif isinstance(intent, SetParameter):
        param_checks.set_value(checker, intent.name, intent.value)
    elif isinstance(intent, SweepParameter):
        param_checks.sweep(checker, intent.name, intent.values)
    elif isinstance(intent, ResetParameters):
        param_checks.reset(checker, intent.names, sweep_only=intent.sweep_only)
    elif isinstance(intent, tuple(NEED_RUN)):
        if checker.needs_run(NEED_RUN[type(intent)]):
            number = (
                intent.rule.round
                if isinstance(intent, SelectPoint)
                else getattr(intent, "round", None)
            )
            if number is None or checker.round_ok(number):
                checker.emit(intent)
    elif isinstance(intent, Ask) and intent.topic in ("metric", "worst_group", "selected"):
        if checker.needs_run("ask about"):
            checker.emit(intent)
    elif isinstance(intent, Train):
        checker.train()
    else:
        checker.emit(intent)


def check_intents(intents: Sequence[Intent], context: ChatContext, limit: int = 30) -> list[Intent]:
    """Intents from elsewhere (an LLM's function calls) checked against ``context``.

    Names resolve as the reader resolves them (a synonym or a near miss becomes a
    :class:`Clarify`); selection, explanation and export need a run and a round it has;
    training needs a set-up that can train. Next to a question (the checks' or the
    model's own) nothing acts: the question alone comes back.
    """
    checker = Checker(context)
    for intent in intents[:limit]:
        check(checker, intent)
    result = checker.result()
    if not result:
        return [
            Clarify(
                question="Sorry, I did not understand that. Say 'help' for examples.",
                options=["help"],
            )
        ]
    return result
