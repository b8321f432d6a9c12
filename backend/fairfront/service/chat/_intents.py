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

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator

from fairfront.groups import ProtectedAttribute
from fairfront.vocabulary import NOTIONS

from ._actions import (
    Ask,
    AskTopic,
    Cancel,
    Clarify,
    Compare,
    Define,
    Explain,
    Export,
    Help,
    ListRuns,
    Move,
    OpenRun,
    PointRule,
    SelectPoint,
    SmallTalk,
    Train,
    Undo,
)
from ._param_intents import (
    MAX_SETTINGS,
    ParameterName,
    ParameterValue,
    ResetParameters,
    SetParameter,
    SweepParameter,
)
from ._types import (
    MAX_EPOCHS,
    MAX_ROUNDS,
    NAME_MAX,
    STRICT,
    TEXT_MAX,
    ConstraintText,
    LearnerName,
    MetricName,
    Name,
    NotionName,
    Round,
    canonical_constraint,
    unique,
)

__all__ = [
    "AskTopic",
    "ConstraintText",
    "LearnerName",
    "MetricName",
    "Name",
    "NotionName",
    "ParameterName",
    "ParameterValue",
    "Round",
    "split_rule",
    "unique",
    "ACTION_INTENTS",
    "MAX_EPOCHS",
    "MAX_ROUNDS",
    "MAX_SETTINGS",
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
    "ResetParameters",
    "SelectPoint",
    "SetEpochs",
    "SetNotions",
    "SetParameter",
    "SetPositive",
    "SetProtected",
    "SetRounds",
    "SetTarget",
    "SetTargetRule",
    "SetTasks",
    "SmallTalk",
    "StartOver",
    "SweepParameter",
    "Train",
    "Undo",
    "UploadDataset",
    "canonical_constraint",
]
# --------------------------------------------------------------------- set-up


class ChooseDataset(BaseModel):
    """Use a dataset: a built-in (adult, bank, compas, german) or an uploaded one."""

    model_config = STRICT
    kind: Literal["choose_dataset"] = "choose_dataset"
    name: Name = Field(description="the dataset's name, exactly as listed")


class UploadDataset(BaseModel):
    """The user wants to use their own CSV file; the reply says how to upload it."""

    model_config = STRICT
    kind: Literal["upload_dataset"] = "upload_dataset"


class SetTarget(BaseModel):
    """Set the column to predict and, optionally, its positive class."""

    model_config = STRICT
    kind: Literal["set_target"] = "set_target"
    column: Name = Field(description="the target column, one of the dataset's columns")
    positive: Name | None = Field(
        default=None, description="the value that counts as the positive class; null = default"
    )


class SetPositive(BaseModel):
    """Say which value of the target is the positive class ("1 means defaulted")."""

    model_config = STRICT
    kind: Literal["set_positive"] = "set_positive"
    value: Name


_RULE_OPS = (">=", "<=", "==", "!=", ">", "<")


class SetTargetRule(BaseModel):
    """Predict a yes/no rule on a column: ``G3 >= 10``, ``score > median``, ``class == A``."""

    model_config = STRICT
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

    model_config = STRICT
    kind: Literal["set_tasks"] = "set_tasks"
    tasks: list[Name] = Field(min_length=2, max_length=10)

    @field_validator("tasks")
    @classmethod
    def _once(cls, tasks: list[str]) -> list[str]:
        return unique(tasks, "tasks")


class SetProtected(BaseModel):
    """Set the protected attributes (replacing any chosen before)."""

    model_config = STRICT
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
        unique([a.partition(":")[0].strip() for a in attributes], "protected columns")
        return attributes


class DropColumns(BaseModel):
    """Leave columns out of the features."""

    model_config = STRICT
    kind: Literal["drop_columns"] = "drop_columns"
    columns: list[Name] = Field(min_length=1, max_length=50)


class KeepColumns(BaseModel):
    """Put columns back: ones dropped before, or ones the profile left out (an id, leakage)."""

    model_config = STRICT
    kind: Literal["keep_columns"] = "keep_columns"
    columns: list[Name] = Field(min_length=1, max_length=50)


class ChooseLearner(BaseModel):
    """Choose the learner (boosting: mmm_fair, adafair; multi-task: fairbranch, l2t_fmt, mtl)."""

    model_config = STRICT
    kind: Literal["choose_learner"] = "choose_learner"
    learner: LearnerName


class SetNotions(BaseModel):
    """Set the fairness notions the learner optimises (replacing those chosen before)."""

    model_config = STRICT
    kind: Literal["set_notions"] = "set_notions"
    notions: list[NotionName] = Field(
        min_length=1,
        max_length=len(NOTIONS),
        description="; ".join(f"{n.name} {n.short or n.label}" for n in NOTIONS.values()),
    )

    @field_validator("notions")
    @classmethod
    def _once(cls, notions: list[str]) -> list[str]:
        return unique(notions, "notions")


class AddConstraint(BaseModel):
    """Add a bound the chosen model must meet (replaces a bound on the same metric)."""

    model_config = STRICT
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

    model_config = STRICT
    kind: Literal["set_rounds"] = "set_rounds"
    rounds: Round


class SetEpochs(BaseModel):
    """Set the number of training epochs of a multi-task network."""

    model_config = STRICT
    kind: Literal["set_epochs"] = "set_epochs"
    epochs: Annotated[int, Field(ge=1, le=MAX_EPOCHS)]


class StartOver(BaseModel):
    """Forget the set-up and start again."""

    model_config = STRICT
    kind: Literal["start_over"] = "start_over"


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
    | SetParameter
    | SweepParameter
    | ResetParameters
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
    SetParameter,
    SweepParameter,
    ResetParameters,
)
"""Intents that :func:`~fairfront.service.chat.apply` folds into a set-up."""

ACTION_INTENTS: tuple[type[BaseModel], ...] = (
    Train, Cancel, SelectPoint, Undo, Move, Explain, Export, StartOver, OpenRun,
)  # fmt: skip
"""Intents that act (and change what is stored)."""
