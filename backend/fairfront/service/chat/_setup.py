"""The session's set-up, what the chat knows about datasets and runs, and folding intents.

:class:`Setup` is what a session will train; :func:`apply` folds a set-up intent into
it (a new object); :func:`describe_setup` says it in words, with what still stops it
from training. :class:`ChatContext` is everything the reader and the checks read
besides the message.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from fairfront.datasets import Dataset
from fairfront.fronts import Constraint
from fairfront.runs import RunSpec
from fairfront.vocabulary import LEARNERS, NOTIONS

from ._intents import (
    NAME_MAX,
    AddConstraint,
    ChooseDataset,
    ChooseLearner,
    ConstraintText,
    DropColumns,
    KeepColumns,
    LearnerName,
    Name,
    NotionName,
    ParameterName,
    ParameterValue,
    ResetParameters,
    Round,
    SetEpochs,
    SetNotions,
    SetParameter,
    SetPositive,
    SetProtected,
    SetRounds,
    SetTarget,
    SetTargetRule,
    SetTasks,
    StartOver,
    SweepParameter,
    split_rule,
)
from ._param_rules import parameter_problems

__all__ = [
    "ChatContext",
    "DatasetInfo",
    "RunInfo",
    "Setup",
    "SetupError",
    "apply",
]

_STRICT = ConfigDict(extra="forbid")
_SPEC_FIELDS = frozenset(f.name for f in fields(RunSpec))
"""The run spec's fields in this version (multi-task and target rules arrive with i10/i11)."""


class SetupError(ValueError):
    """A set-up that cannot become a run yet (e.g. no dataset chosen)."""


class Setup(BaseModel):
    """What a session will train. ``None`` and empty lists mean "the default"."""

    model_config = _STRICT
    dataset: Name | None = None
    target: Name | None = None
    positive: Name | None = None
    target_rule: Annotated[str, StringConstraints(max_length=300)] | None = None
    tasks: list[Name] = Field(default_factory=list, max_length=10)
    protected: list[Name] | None = Field(
        default=None, max_length=20, description="None: the dataset's default attributes"
    )
    drop: list[Name] = Field(default_factory=list, max_length=200)
    keep: list[Name] = Field(default_factory=list, max_length=200)
    learner: LearnerName = "mmm_fair"
    notions: list[NotionName] = Field(
        default_factory=list, max_length=len(NOTIONS), description="empty: eo"
    )
    constraints: list[ConstraintText] = Field(default_factory=list, max_length=20)
    rounds: Round = 300
    epochs: Annotated[int, Field(ge=1, le=1000)] | None = None
    params: dict[ParameterName, ParameterValue] = Field(
        default_factory=dict, max_length=20, description="learner parameters set by the user"
    )
    sweep: dict[ParameterName, list[ParameterValue]] = Field(
        default_factory=dict, max_length=20, description="learner parameters to try, each a list"
    )

    @property
    def effective_notions(self) -> list[str]:
        """The notions a run would use (``["eo"]`` when none are chosen)."""
        return list(self.notions) or ["eo"]

    def problems(self, info: DatasetInfo | None = None) -> list[str]:
        """What stops this set-up from training, in words (empty when it can train)."""
        out: list[str] = []
        if self.dataset is None:
            out.append("no dataset is chosen yet")
        term = LEARNERS[self.learner]
        notions = self.effective_notions
        if term.notions and any(n not in term.notions for n in notions):
            out.append(
                f"{term.label} takes the notions {', '.join(term.notions)}, not "
                f"{', '.join(n for n in notions if n not in term.notions)}"
            )
        if self.learner == "adafair" and len(notions) != 1:
            out.append(f"AdaFair takes one notion, not {len(notions)} ({', '.join(notions)})")
        if self.constraints and not term.constraints:
            out.append(f"{term.label} takes no constraints; use mmm_fair for constraints")
        protected = self.protected
        if protected is None and info is not None:
            protected = info.protected
        limit = term.max_attributes
        if limit is not None and protected is not None and len(protected) > limit:
            out.append(
                f"{term.label} handles {term.max_attributes} protected attribute, not "
                f"{len(protected)} ({', '.join(protected)}); protect one"
                + (", or use mmm_fair" if not term.multitask else "")
            )
        if self.tasks and not term.multitask:
            out.append(
                f"predicting {' and '.join(self.tasks)} together needs a multi-task learner "
                f"({', '.join(n for n, t in LEARNERS.items() if t.multitask)})"
            )
        if term.multitask and not self.tasks:
            example = " and ".join(info.tasks[:2]) if info is not None and info.tasks else "a and b"
            out.append(
                f"{term.label} predicts several tasks: say which, e.g. 'predict {example} together'"
            )
        if term.multitask and "tasks" not in _SPEC_FIELDS:
            out.append(f"{term.label} runs are not available in this service version yet")
        if (
            info is not None
            and info.positive_question
            and self.positive is None
            and self.target_rule is None
            and not self.tasks
            and (self.target is None or self.target == info.target)
        ):
            out.append(f"say which value is the positive class ({info.positive_question})")
        if self.target_rule is not None and "target_rule" not in _SPEC_FIELDS:
            out.append("targets defined by a rule are not available in this service version yet")
        if self.keep and "keep" not in _SPEC_FIELDS:
            out.append("putting flagged columns back is not available in this service version yet")
        out += parameter_problems(
            self.learner, self.params, self.sweep, rounds=self.rounds, epochs=self.epochs
        )
        return out

    def run_spec(self) -> RunSpec:
        """The run spec to train; :class:`SetupError` if the set-up cannot train."""
        if self.dataset is None:
            raise SetupError("choose a dataset before training")
        wanted: dict[str, Any] = {
            "data": self.dataset,
            "target": self.target,
            "positive": self.positive,
            "protected": None if self.protected is None else list(self.protected),
            "drop": list(self.drop),
            "learner": self.learner,
            "notions": self.effective_notions,
            "rounds": self.rounds,
            "constraints": list(self.constraints),
            "params": dict(self.params),
            "sweep": {name: list(values) for name, values in self.sweep.items()},
        }
        optional = {
            "target_rule": self.target_rule,
            "tasks": list(self.tasks) or None,
            "keep": list(self.keep) or None,
            "epochs": self.epochs,
        }
        for name, value in optional.items():
            if value is None:
                continue
            if name not in _SPEC_FIELDS:
                raise SetupError(f"this service version cannot train with {name} set yet")
            wanted[name] = value
        return RunSpec(**wanted)


class DatasetInfo(BaseModel):
    """What the chat may know about one dataset (never its rows).

    ``values``: the values of low-cardinality columns (the target's among them), for
    positive classes and rules. ``excluded``: columns the profile leaves out, with why
    (flags such as ``identifier``, ``constant``, ``free_text``, ``leakage``).
    ``positive_question``: set when the profile could not tell the positive class.
    """

    model_config = _STRICT
    columns: list[Annotated[str, StringConstraints(max_length=NAME_MAX)]] = Field(max_length=2000)
    target: Name
    positive: Name
    protected: list[Name] = Field(default_factory=list, max_length=50)
    builtin: bool = Field(default=False, description="built-ins have a fixed target column")
    tasks: list[Name] = Field(default_factory=list, max_length=10)
    numeric: list[Annotated[str, StringConstraints(max_length=NAME_MAX)]] = Field(
        default_factory=list, max_length=2000
    )
    values: dict[str, list[Annotated[str, StringConstraints(max_length=NAME_MAX)]]] = Field(
        default_factory=dict, max_length=2000
    )
    excluded: dict[str, list[Annotated[str, StringConstraints(max_length=40)]]] = Field(
        default_factory=dict, max_length=2000
    )
    positive_question: Annotated[str, StringConstraints(max_length=1000)] | None = None

    @classmethod
    def from_dataset(
        cls, dataset: Dataset, *, builtin: bool = False, tasks: list[str] | None = None
    ) -> DatasetInfo:
        """From a loaded :class:`~fairfront.datasets.Dataset`."""
        columns = [str(c) for c in dataset.X.columns]
        if dataset.target not in columns:
            columns.append(str(dataset.target))
        return cls(
            columns=columns,
            target=dataset.target,
            positive=dataset.positive,
            protected=[p.column for p in dataset.protected],
            builtin=builtin,
            tasks=list(tasks or []),
            numeric=[str(c) for c in dataset.numeric],
            values={dataset.target: [str(dataset.negative), str(dataset.positive)]},
        )


class RunInfo(BaseModel):
    """The session's latest run, as far as the reader needs it."""

    model_config = _STRICT
    status: Annotated[str, StringConstraints(max_length=40)] = "done"
    notions: list[NotionName] = Field(
        default_factory=list, description="the run's front notions, the first one first"
    )
    rounds: Round | None = Field(default=None, description="rounds the run has (so far)")


class ChatContext(BaseModel):
    """Everything the reader and the checks read besides the message."""

    model_config = _STRICT
    datasets: dict[Name, DatasetInfo] = Field(default_factory=dict, max_length=200)
    run: RunInfo | None = None
    setup: Setup = Field(default_factory=Setup)

    @property
    def info(self) -> DatasetInfo | None:
        """The chosen dataset's info."""
        return self.datasets.get(self.setup.dataset or "")


# ------------------------------------------------------------------------ folding


def _attribute_of(constraint: str) -> str | None:
    return Constraint.parse(constraint).attribute


def _same_bound(a: str, b: str) -> bool:
    ca, cb = Constraint.parse(a), Constraint.parse(b)
    return (ca.metric, ca.attribute, ca.op) == (cb.metric, cb.attribute, cb.op)


def _plus(values: list[str], more: list[str]) -> list[str]:
    return list(dict.fromkeys([*values, *more]))


def apply(setup: Setup, intent: BaseModel) -> Setup:
    """The set-up after ``intent`` (a new object; other intents leave it unchanged).

    Choosing another dataset resets what belongs to the old one (target, positive
    class, rule, tasks, protected attributes, dropped columns, per-attribute
    constraints); a new target or rule forgets the old positive class; setting
    protected attributes drops constraints on attributes no longer protected; a
    constraint replaces one on the same metric, attribute and direction. A parameter's
    value or sweep replaces the one before (the checks ask before one is both).
    """
    update: dict[str, Any]
    if isinstance(intent, StartOver):
        return Setup()
    if isinstance(intent, ChooseDataset):
        if intent.name == setup.dataset:
            return setup
        kept = [c for c in setup.constraints if _attribute_of(c) is None]
        update = {
            "dataset": intent.name,
            "target": None,
            "positive": None,
            "target_rule": None,
            "tasks": [],
            "protected": None,
            "drop": [],
            "keep": [],
            "constraints": kept,
        }
    elif isinstance(intent, SetTarget):
        update = {
            "target": intent.column,
            "positive": intent.positive,
            "target_rule": None,
            "tasks": [],
        }
    elif isinstance(intent, SetPositive):
        update = {"positive": intent.value}
    elif isinstance(intent, SetTargetRule):
        update = {
            "target": split_rule(intent.rule)[0],
            "target_rule": intent.rule,
            "positive": None,
            "tasks": [],
        }
    elif isinstance(intent, SetTasks):
        update = {
            "tasks": list(intent.tasks),
            "target": None,
            "target_rule": None,
            "positive": None,
        }
    elif isinstance(intent, SetProtected):
        columns = {a.partition(":")[0].strip() for a in intent.attributes}
        kept = [c for c in setup.constraints if _attribute_of(c) in columns | {None}]
        update = {"protected": list(intent.attributes), "constraints": kept}
    elif isinstance(intent, DropColumns):
        update = {
            "drop": _plus(setup.drop, intent.columns),
            "keep": [c for c in setup.keep if c not in intent.columns],
        }
    elif isinstance(intent, KeepColumns):
        was_dropped = [c for c in intent.columns if c in setup.drop]
        update = {
            "drop": [c for c in setup.drop if c not in intent.columns],
            "keep": _plus(setup.keep, [c for c in intent.columns if c not in was_dropped]),
        }
    elif isinstance(intent, ChooseLearner):
        update = {"learner": intent.learner}
    elif isinstance(intent, SetNotions):
        update = {"notions": list(intent.notions)}
    elif isinstance(intent, AddConstraint):
        kept = [c for c in setup.constraints if not _same_bound(c, intent.text)]
        update = {"constraints": [*kept, intent.text]}
    elif isinstance(intent, SetRounds):
        update = {"rounds": intent.rounds}
    elif isinstance(intent, SetEpochs):
        update = {"epochs": intent.epochs}
    elif isinstance(intent, SetParameter):
        update = {"params": {**setup.params, intent.name: intent.value}}
    elif isinstance(intent, SweepParameter):
        update = {"sweep": {**setup.sweep, intent.name: list(intent.values)}}
    elif isinstance(intent, ResetParameters):
        names = set(intent.names or [*setup.params, *setup.sweep])
        update = {"sweep": {n: v for n, v in setup.sweep.items() if n not in names}}
        if not intent.sweep_only:
            update["params"] = {n: v for n, v in setup.params.items() if n not in names}
    else:
        return setup
    return setup.model_copy(update=update)
