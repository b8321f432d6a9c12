"""Intents that act on a run or ask about it (training, choosing points, questions)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator

from fairfront.fronts import SelectionRule
from fairfront.vocabulary import NOTIONS

from ._types import (
    NAME_MAX,
    STRICT,
    ConstraintText,
    MetricName,
    Round,
    Text,
    canonical_constraint,
)

__all__ = [
    "Ask",
    "AskTopic",
    "Cancel",
    "Clarify",
    "Compare",
    "Define",
    "Explain",
    "Export",
    "Help",
    "ListRuns",
    "Move",
    "OpenRun",
    "PointRule",
    "SelectPoint",
    "SmallTalk",
    "Train",
    "Undo",
]

# -------------------------------------------------------------------- actions


class Train(BaseModel):
    """Train a model with the current set-up."""

    model_config = STRICT
    kind: Literal["train"] = "train"


class Cancel(BaseModel):
    """Stop the run that is training."""

    model_config = STRICT
    kind: Literal["cancel"] = "cancel"


class PointRule(BaseModel):
    """A :class:`~fairfront.fronts.SelectionRule` as data (``model_dump()`` is its dict form).

    ``knee``: the knee of the front; ``constraints``: the best ``maximize`` among the
    points meeting every constraint (a fairness notion as ``maximize`` means its
    violation is minimised: "the fairest point"); ``round``: that round; ``weights``:
    one weight per objective (1-accuracy, 1-balanced accuracy, then each notion).
    """

    model_config = STRICT
    kind: Literal["knee", "weights", "constraints", "round"]
    weights: list[Annotated[float, Field(ge=0, le=1e6)]] | None = Field(
        default=None, max_length=len(NOTIONS) + 2
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

    model_config = STRICT
    kind: Literal["select_point"] = "select_point"
    rule: PointRule


class Undo(BaseModel):
    """Go back to the point chosen before the current one."""

    model_config = STRICT
    kind: Literal["undo"] = "undo"


class Move(BaseModel):
    """Move along the front from the chosen point: to the next fairer or more accurate one."""

    model_config = STRICT
    kind: Literal["move"] = "move"
    direction: Literal["fairer", "more_accurate"]


class Compare(BaseModel):
    """Compare the chosen point with the unconstrained model or single-task models."""

    model_config = STRICT
    kind: Literal["compare"] = "compare"
    against: Literal["baseline", "single_task"] = "baseline"


class Explain(BaseModel):
    """Explain a point in plain language: the selected one, or ``round``."""

    model_config = STRICT
    kind: Literal["explain"] = "explain"
    round: Round | None = Field(default=None, description="null = the selected point")


class Export(BaseModel):
    """Export a point's model (ONNX and model card): the selected one, or ``round``."""

    model_config = STRICT
    kind: Literal["export"] = "export"
    round: Round | None = Field(default=None, description="null = the selected point")


class ListRuns(BaseModel):
    """List the runs trained so far."""

    model_config = STRICT
    kind: Literal["list_runs"] = "list_runs"


class OpenRun(BaseModel):
    """Reopen an earlier run: its id, or its number in the list (1 = the latest)."""

    model_config = STRICT
    kind: Literal["open_run"] = "open_run"
    run: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


# ------------------------------------------------------------------ questions

AskTopic = Literal[
    "metric", "points", "worst_group", "status", "setup", "selected", "columns", "datasets"
]


class Define(BaseModel):
    """What a fairness notion or performance metric means (from the registry)."""

    model_config = STRICT
    kind: Literal["define"] = "define"
    term: MetricName


class Ask(BaseModel):
    """A question about the chosen point, the run or the set-up, answered from stored numbers.

    ``metric`` (topic ``metric``): the figure asked for, null for all of them. ``text``: a
    model's own answer, if it gave one; it is used only when every number in it is one of
    the point's stored numbers.
    """

    model_config = STRICT
    kind: Literal["ask"] = "ask"
    topic: AskTopic
    metric: MetricName | None = None
    text: Text | None = None


class Help(BaseModel):
    """The user asks what they can do."""

    model_config = STRICT
    kind: Literal["help"] = "help"


class SmallTalk(BaseModel):
    """A greeting, thanks or goodbye; or a message in another language."""

    model_config = STRICT
    kind: Literal["small_talk"] = "small_talk"
    mood: Literal["greeting", "thanks", "bye", "how_are_you", "other_language"] = "greeting"


class Clarify(BaseModel):
    """The request is ambiguous or unknown: ask a question instead of guessing."""

    model_config = STRICT
    kind: Literal["clarify"] = "clarify"
    question: Text
    options: list[Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX)]] = Field(
        default_factory=list,
        max_length=10,
        description="whole replies the user could send, e.g. 'protect sex'",
    )
