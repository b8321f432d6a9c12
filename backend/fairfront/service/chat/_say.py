"""Intents said back in plain words that the reader reads as those same intents.

:func:`say` is what a reply quotes as "understood" and what a suggestion button sends;
the tests check the round trip (``parse(say(intent)) == [intent]``).
"""

from __future__ import annotations

from collections.abc import Sequence

from fairfront.fronts import Constraint
from fairfront.vocabulary import PARAMETERS

from ._intents import (
    AddConstraint,
    Ask,
    Cancel,
    ChooseDataset,
    ChooseLearner,
    Clarify,
    Compare,
    Define,
    DropColumns,
    Explain,
    Export,
    Help,
    Intent,
    KeepColumns,
    ListRuns,
    Move,
    OpenRun,
    ResetParameters,
    SelectPoint,
    SetEpochs,
    SetNotions,
    SetParameter,
    SetPositive,
    SetProtected,
    SetRounds,
    SetTarget,
    SetTargetRule,
    SetTasks,
    SmallTalk,
    StartOver,
    SweepParameter,
    Train,
    Undo,
    UploadDataset,
)

__all__ = ["say", "say_all"]

_ASK = {
    "points": "how many points are on the front",
    "worst_group": "which group is worst off",
    "status": "what is the status of the run",
    "setup": "what is the setup",
    "selected": "which point is selected",
    "columns": "which columns are there",
    "datasets": "which datasets are there",
}


def _bound(text: str) -> str:
    c = Constraint.parse(text)
    word = "under" if c.op == "<=" else "above"
    where = f" for {c.attribute}" if c.attribute else ""
    return f"{c.metric} {word} {c.bound:g}{where}"


def _listed(words: Sequence[str]) -> str:
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else "".join(words)


def say(intent: Intent) -> str:
    """``intent`` in words a user could send."""
    if isinstance(intent, ChooseDataset):
        return f"use {intent.name}"
    if isinstance(intent, UploadDataset):
        return "upload my own data"
    if isinstance(intent, SetTarget):
        positive = f" with positive class {intent.positive}" if intent.positive else ""
        return f"predict {intent.column}{positive}"
    if isinstance(intent, SetPositive):
        return f"the positive class is {intent.value}"
    if isinstance(intent, SetTargetRule):
        column, _, rest = intent.rule.partition(" ")
        return f"predict whether {column} {rest}"
    if isinstance(intent, SetTasks):
        return f"predict {' and '.join(intent.tasks)} together"
    if isinstance(intent, SetProtected):
        return "protect " + ", ".join(intent.attributes)
    if isinstance(intent, DropColumns):
        return "drop " + ", ".join(intent.columns)
    if isinstance(intent, KeepColumns):
        return "put back " + ", ".join(intent.columns)
    if isinstance(intent, ChooseLearner):
        return f"use {intent.learner}"
    if isinstance(intent, SetNotions):
        return "use " + ", ".join(intent.notions)
    if isinstance(intent, AddConstraint):
        return "keep " + _bound(intent.text)
    if isinstance(intent, SetRounds):
        return f"{intent.rounds} rounds"
    if isinstance(intent, SetEpochs):
        return f"{intent.epochs} epochs"
    if isinstance(intent, SetParameter):
        return f"{PARAMETERS[intent.name].label} {intent.value:g}"
    if isinstance(intent, SweepParameter):
        values = _listed([f"{v:g}" for v in intent.values])
        return f"sweep the {PARAMETERS[intent.name].label} over {values}"
    if isinstance(intent, ResetParameters):
        labels = _listed([PARAMETERS[n].label for n in intent.names])
        if intent.sweep_only:
            return f"drop the sweep of the {labels}" if labels else "no sweep"
        return f"use the default {labels}" if labels else "use the default parameters"
    if isinstance(intent, StartOver):
        return "start over"
    if isinstance(intent, Train):
        return "train"
    if isinstance(intent, Cancel):
        return "stop the run"
    if isinstance(intent, SelectPoint):
        rule = intent.rule
        if rule.kind == "knee":
            return "pick the knee"
        if rule.kind == "round":
            return f"pick round {rule.round}"
        if rule.kind == "weights":
            return "pick the point with weights " + ", ".join(f"{w:g}" for w in rule.weights or [])
        if rule.maximize in ("accuracy", "balanced_accuracy"):
            head = f"pick the point with the highest {rule.maximize.replace('_', ' ')}"
        else:
            head = f"pick the point with the lowest {rule.maximize}"
        bounds = " and ".join(_bound(c) for c in rule.constraints)
        return head + (f" with {bounds}" if bounds else "")
    if isinstance(intent, Undo):
        return "go back to the previous point"
    if isinstance(intent, Move):
        return "make it fairer" if intent.direction == "fairer" else "make it more accurate"
    if isinstance(intent, Compare):
        return (
            "compare with the unconstrained model"
            if intent.against == "baseline"
            else "compare with single-task models"
        )
    if isinstance(intent, Explain):
        return "explain" + (f" round {intent.round}" if intent.round else "")
    if isinstance(intent, Export):
        return "export" + (f" round {intent.round}" if intent.round else "")
    if isinstance(intent, ListRuns):
        return "show my previous runs"
    if isinstance(intent, OpenRun):
        return f"open run {intent.run}"
    if isinstance(intent, Define):
        return f"what does {intent.term} mean"
    if isinstance(intent, Ask):
        if intent.topic == "metric":
            return f"what is the {intent.metric or 'fairness'} of the chosen point"
        return _ASK[intent.topic]
    if isinstance(intent, Help):
        return "help"
    if isinstance(intent, SmallTalk):
        return "hello"
    if isinstance(intent, Clarify):
        return intent.options[0] if intent.options else "help"
    raise TypeError(f"no words for {type(intent).__name__}")  # pragma: no cover


def say_all(intents: Sequence[Intent]) -> str:
    """Several intents as one message ("use adult, protect sex and race, train")."""
    return ", ".join(say(i) for i in intents if not isinstance(i, Clarify))
