"""Typed chat intents: one thing a message asks for.

Both the rule reader and an LLM's function call produce these types, so every value is
checked the same way: each string is bounded, each number ranged, names of notions,
metrics and learners come from the registries (:mod:`fairfront.vocabulary`), and
constraints and selection rules parse with the core's own
:class:`~fairfront.fronts.Constraint` and :class:`~fairfront.fronts.SelectionRule`.
Set-up intents change a session's :class:`~fairfront.service.chat.Setup`; the others act
on it or ask about it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from fairfront.fronts import Constraint, SelectionRule
from fairfront.groups import ProtectedAttribute
from fairfront.training import MAX_ROUNDS
from fairfront.vocabulary import LEARNERS, NOTIONS, PERFORMANCE

__all__ = [
    "ACTION_INTENTS",
    "MAX_EPOCHS",
    "MAX_ROUNDS",
    "NAME_MAX",
    "SETUP_INTENTS",
    "TEXT_MAX",
    "AddConstraint",
    "Ask",
    "Cancel",
    "ChooseDataset",
    "ChooseLearner",
    "Clarify",
    "Compare",
    "Define",
    "DropColumns",
    "Explain",
    "Export",
    "Help",
    "Intent",
    "KeepColumns",
    "ListRuns",
    "Move",
    "OpenRun",
    "PointRule",
    "SelectPoint",
    "SetEpochs",
    "SetNotions",
    "SetPositive",
    "SetProtected",
    "SetRounds",
    "SetTarget",
    "SetTargetRule",
    "SetTasks",
    "SmallTalk",
    "StartOver",
    "Train",
    "Undo",
    "UploadDataset",
    "canonical_constraint",
]

NAME_MAX = 200
"""Longest dataset name, column name or class value an intent carries."""
TEXT_MAX = 1000
"""Longest question or answer text an intent carries."""
MAX_EPOCHS = 1000
"""Most epochs a multi-task network may be asked for."""


def _one_of(choices: tuple[str, ...], what: str) -> Any:
    def check(value: str) -> str:
        if value not in choices:
            raise ValueError(f"unknown {what} {value!r}; choose from {', '.join(choices)}")
        return value

    return AfterValidator(check)


_NOTIONS = tuple(NOTIONS)
_METRICS = (*PERFORMANCE, *NOTIONS)
_LEARNERS = tuple(LEARNERS)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX)]
ConstraintText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=120)
]
NotionName = Annotated[
    str, _one_of(_NOTIONS, "notion"), Field(json_schema_extra={"enum": list(_NOTIONS)})
]
MetricName = Annotated[
    str, _one_of(_METRICS, "metric"), Field(json_schema_extra={"enum": list(_METRICS)})
]
LearnerName = Annotated[
    str, _one_of(_LEARNERS, "learner"), Field(json_schema_extra={"enum": list(_LEARNERS)})
]
Round = Annotated[int, Field(ge=1, le=MAX_ROUNDS)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=TEXT_MAX)]

_STRICT = ConfigDict(extra="forbid")


def canonical_constraint(text: str) -> str:
    """``text`` parsed by :meth:`Constraint.parse` and written back canonically."""
    return str(Constraint.parse(text))


def _unique(values: list[Any], what: str) -> list[Any]:
    if len(set(values)) != len(values):
        raise ValueError(f"{what} are repeated: {values}")
    return values


# --------------------------------------------------------------------- set-up


class ChooseDataset(BaseModel):
    """Use a dataset: a built-in (adult, bank, compas, german) or an uploaded one."""

    model_config = _STRICT
    kind: Literal["choose_dataset"] = "choose_dataset"
    name: Name = Field(description="the dataset's name, exactly as listed")


class UploadDataset(BaseModel):
    """The user wants to use their own CSV file; the reply says how to upload it."""

    model_config = _STRICT
    kind: Literal["upload_dataset"] = "upload_dataset"


class SetTarget(BaseModel):
    """Set the column to predict and, optionally, its positive class."""

    model_config = _STRICT
    kind: Literal["set_target"] = "set_target"
    column: Name = Field(description="the target column, one of the dataset's columns")
    positive: Name | None = Field(
        default=None, description="the value that counts as the positive class; null = default"
    )


class SetPositive(BaseModel):
    """Say which value of the target is the positive class ("1 means defaulted")."""

    model_config = _STRICT
    kind: Literal["set_positive"] = "set_positive"
    value: Name


_RULE_OPS = (">=", "<=", "==", "!=", ">", "<")


class SetTargetRule(BaseModel):
    """Predict a yes/no rule on a column: ``G3 >= 10``, ``score > median``, ``class == A``."""

    model_config = _STRICT
    kind: Literal["set_target_rule"] = "set_target_rule"
    rule: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=300)] = (
        Field(
            description="'<column> <op> <value>', op one of >= > <= < == !=; value a number, "
            "'median' or a category value"
        )
    )

    @field_validator("rule")
    @classmethod
    def _reads(cls, rule: str) -> str:
        column, op, value = split_rule(rule)
        return f"{column} {op} {value}"


def split_rule(rule: str) -> tuple[str, str, str]:
    """(column, op, value) of a target rule; ``ValueError`` naming what is missing."""
    for op in _RULE_OPS:  # two-character operators first
        column, found, value = rule.partition(f" {op} ")
        if found and column.strip() and value.strip():
            return column.strip(), op, value.strip()
    raise ValueError(
        f"a target rule reads '<column> <op> <value>' (op: {' '.join(_RULE_OPS)}), not {rule!r}"
    )


class SetTasks(BaseModel):
    """Predict several targets together with a multi-task learner."""

    model_config = _STRICT
    kind: Literal["set_tasks"] = "set_tasks"
    tasks: list[Name] = Field(min_length=2, max_length=10)

    @field_validator("tasks")
    @classmethod
    def _once(cls, tasks: list[str]) -> list[str]:
        return _unique(tasks, "tasks")


class SetProtected(BaseModel):
    """Set the protected attributes (replacing any chosen before)."""

    model_config = _STRICT
    kind: Literal["set_protected"] = "set_protected"
    attributes: list[Name] = Field(
        min_length=1,
        max_length=20,
        description=(
            "one entry per attribute: 'sex' (the dataset's default groups), 'race:all' "
            "(every value its own group), 'race:White' (that value against the rest), "
            "'age:30,50' (numeric bin edges: under 30, 30 to 50, 50 and over)"
        ),
    )

    @field_validator("attributes")
    @classmethod
    def _columns_once(cls, attributes: list[str]) -> list[str]:
        for text in attributes:
            ProtectedAttribute.parse(text)  # the syntax; columns are checked against data later
        _unique([a.partition(":")[0].strip() for a in attributes], "protected columns")
        return attributes


class DropColumns(BaseModel):
    """Leave columns out of the features."""

    model_config = _STRICT
    kind: Literal["drop_columns"] = "drop_columns"
    columns: list[Name] = Field(min_length=1, max_length=50)


class KeepColumns(BaseModel):
    """Put columns back: ones dropped before, or ones the profile left out (an id, leakage)."""

    model_config = _STRICT
    kind: Literal["keep_columns"] = "keep_columns"
    columns: list[Name] = Field(min_length=1, max_length=50)


class ChooseLearner(BaseModel):
    """Choose the learner (boosting: mmm_fair, adafair; multi-task: fairbranch, l2t_fmt, mtl)."""

    model_config = _STRICT
    kind: Literal["choose_learner"] = "choose_learner"
    learner: LearnerName


class SetNotions(BaseModel):
    """Set the fairness notions the learner optimises (replacing those chosen before)."""

    model_config = _STRICT
    kind: Literal["set_notions"] = "set_notions"
    notions: list[NotionName] = Field(
        min_length=1,
        max_length=len(_NOTIONS),
        description="; ".join(f"{n.name} {n.short or n.label}" for n in NOTIONS.values()),
    )

    @field_validator("notions")
    @classmethod
    def _once(cls, notions: list[str]) -> list[str]:
        return _unique(notions, "notions")


class AddConstraint(BaseModel):
    """Add a bound the chosen model must meet (replaces a bound on the same metric)."""

    model_config = _STRICT
    kind: Literal["add_constraint"] = "add_constraint"
    text: ConstraintText = Field(
        description="e.g. 'eo<=0.05', 'eo[race]<=0.05' (one attribute), 'balanced_accuracy>=0.8'"
    )

    @field_validator("text")
    @classmethod
    def _parses(cls, text: str) -> str:
        return canonical_constraint(text)


class SetRounds(BaseModel):
    """Set the number of boosting rounds."""

    model_config = _STRICT
    kind: Literal["set_rounds"] = "set_rounds"
    rounds: Round


class SetEpochs(BaseModel):
    """Set the number of training epochs of a multi-task network."""

    model_config = _STRICT
    kind: Literal["set_epochs"] = "set_epochs"
    epochs: Annotated[int, Field(ge=1, le=MAX_EPOCHS)]


class StartOver(BaseModel):
    """Forget the set-up and start again."""

    model_config = _STRICT
    kind: Literal["start_over"] = "start_over"


# -------------------------------------------------------------------- actions


class Train(BaseModel):
    """Train a model with the current set-up."""

    model_config = _STRICT
    kind: Literal["train"] = "train"


class Cancel(BaseModel):
    """Stop the run that is training."""

    model_config = _STRICT
    kind: Literal["cancel"] = "cancel"


class PointRule(BaseModel):
    """A :class:`~fairfront.fronts.SelectionRule` as data (``model_dump()`` is its dict form).

    ``knee``: the knee of the front; ``constraints``: the best ``maximize`` among the
    points meeting every constraint (a fairness notion as ``maximize`` means its
    violation is minimised: "the fairest point"); ``round``: that round; ``weights``:
    one weight per objective (1-accuracy, 1-balanced accuracy, then each notion).
    """

    model_config = _STRICT
    kind: Literal["knee", "weights", "constraints", "round"]
    weights: list[Annotated[float, Field(ge=0, le=1e6)]] | None = Field(
        default=None, max_length=len(_NOTIONS) + 2
    )
    constraints: list[ConstraintText] = Field(default_factory=list, max_length=10)
    maximize: MetricName = "balanced_accuracy"
    round: Round | None = None
    method: Literal["chebyshev", "pseudo_weights"] = "chebyshev"

    @field_validator("constraints")
    @classmethod
    def _constraints_parse(cls, constraints: list[str]) -> list[str]:
        return [canonical_constraint(c) for c in constraints]

    @model_validator(mode="after")
    def _is_a_rule(self) -> PointRule:
        self.to_rule()
        return self

    def to_rule(self) -> SelectionRule:
        """The core's rule (``ValueError`` when it is not a valid one)."""
        return SelectionRule.from_dict(self.model_dump())


class SelectPoint(BaseModel):
    """Choose one point (one round's model) of the trained run's front by a rule."""

    model_config = _STRICT
    kind: Literal["select_point"] = "select_point"
    rule: PointRule


class Undo(BaseModel):
    """Go back to the point chosen before the current one."""

    model_config = _STRICT
    kind: Literal["undo"] = "undo"


class Move(BaseModel):
    """Move along the front from the chosen point: to the next fairer or more accurate one."""

    model_config = _STRICT
    kind: Literal["move"] = "move"
    direction: Literal["fairer", "more_accurate"]


class Compare(BaseModel):
    """Compare the chosen point with the unconstrained model or single-task models."""

    model_config = _STRICT
    kind: Literal["compare"] = "compare"
    against: Literal["baseline", "single_task"] = "baseline"


class Explain(BaseModel):
    """Explain a point in plain language: the selected one, or ``round``."""

    model_config = _STRICT
    kind: Literal["explain"] = "explain"
    round: Round | None = Field(default=None, description="null = the selected point")


class Export(BaseModel):
    """Export a point's model (ONNX and model card): the selected one, or ``round``."""

    model_config = _STRICT
    kind: Literal["export"] = "export"
    round: Round | None = Field(default=None, description="null = the selected point")


class ListRuns(BaseModel):
    """List the runs trained so far."""

    model_config = _STRICT
    kind: Literal["list_runs"] = "list_runs"


class OpenRun(BaseModel):
    """Reopen an earlier run: its id, or its number in the list (1 = the latest)."""

    model_config = _STRICT
    kind: Literal["open_run"] = "open_run"
    run: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


# ------------------------------------------------------------------ questions

AskTopic = Literal[
    "metric", "points", "worst_group", "status", "setup", "selected", "columns", "datasets"
]


class Define(BaseModel):
    """What a fairness notion or performance metric means (from the registry)."""

    model_config = _STRICT
    kind: Literal["define"] = "define"
    term: MetricName


class Ask(BaseModel):
    """A question about the chosen point, the run or the set-up, answered from stored numbers.

    ``metric`` (topic ``metric``): the figure asked for, null for all of them. ``text``: a
    model's own answer, if it gave one; it is used only when every number in it is one of
    the point's stored numbers.
    """

    model_config = _STRICT
    kind: Literal["ask"] = "ask"
    topic: AskTopic
    metric: MetricName | None = None
    text: Text | None = None


class Help(BaseModel):
    """The user asks what they can do."""

    model_config = _STRICT
    kind: Literal["help"] = "help"


class SmallTalk(BaseModel):
    """A greeting, thanks or goodbye; or a message in another language."""

    model_config = _STRICT
    kind: Literal["small_talk"] = "small_talk"
    mood: Literal["greeting", "thanks", "bye", "how_are_you", "other_language"] = "greeting"


class Clarify(BaseModel):
    """The request is ambiguous or unknown: ask a question instead of guessing."""

    model_config = _STRICT
    kind: Literal["clarify"] = "clarify"
    question: Text
    options: list[Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX)]] = Field(
        default_factory=list,
        max_length=10,
        description="whole replies the user could send, e.g. 'protect sex'",
    )


Intent = Annotated[
    ChooseDataset
    | UploadDataset
    | SetTarget
    | SetPositive
    | SetTargetRule
    | SetTasks
    | SetProtected
    | DropColumns
    | KeepColumns
    | ChooseLearner
    | SetNotions
    | AddConstraint
    | SetRounds
    | SetEpochs
    | StartOver
    | Train
    | Cancel
    | SelectPoint
    | Undo
    | Move
    | Compare
    | Explain
    | Export
    | ListRuns
    | OpenRun
    | Define
    | Ask
    | Help
    | SmallTalk
    | Clarify,
    Field(discriminator="kind"),
]
"""Any intent; pydantic picks the type by ``kind``."""

SETUP_INTENTS: tuple[type[BaseModel], ...] = (
    ChooseDataset,
    SetTarget,
    SetPositive,
    SetTargetRule,
    SetTasks,
    SetProtected,
    DropColumns,
    KeepColumns,
    ChooseLearner,
    SetNotions,
    AddConstraint,
    SetRounds,
    SetEpochs,
)
"""Intents that :func:`~fairfront.service.chat.apply` folds into a set-up."""

ACTION_INTENTS: tuple[type[BaseModel], ...] = (
    Train, Cancel, SelectPoint, Undo, Move, Explain, Export, StartOver, OpenRun,
)  # fmt: skip
"""Intents that act (and change what is stored)."""
