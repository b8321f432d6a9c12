"""Request and response bodies: every string bounded, every number ranged."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from ...fronts import Front, FrontSelection, Point
from ...runs import MAX_EPOCHS, MAX_ROUNDS, MAX_SETTINGS
from ...vocabulary import learner_names, notion_names

if TYPE_CHECKING:
    Notion = str
    Learner = str
else:  # the choices, derived from the vocabulary (Literal[("a", "b")] is Literal["a", "b"])
    Notion = Literal[notion_names()]
    Learner = Literal[learner_names()]

Name = Field(min_length=1, max_length=200)


def json_numbers(value: Any) -> Any:
    """A field validator (before): numbers of a request are JSON numbers. Pydantic's lax
    mode would also read ``true`` as 1 and ``"3"`` as 3, which the documented schema (and
    so any client reading it) calls invalid. Lists and dict values are looked into."""
    if isinstance(value, dict):
        for item in value.values():
            json_numbers(item)
    elif isinstance(value, list):
        for item in value:
            json_numbers(item)
    elif isinstance(value, bool | str):
        raise ValueError("expected a number")
    return value


class ErrorBody(BaseModel):
    detail: str = Field(max_length=4000)
    field: str | None = Field(default=None, max_length=200)


class Health(BaseModel):
    status: Literal["ok"]
    version: str = Field(max_length=40)
    database: str = Field(max_length=40)
    executor: str = Field(max_length=40)
    llm: bool


class LearnerParams(BaseModel):
    """A learner's parameters; each learner refuses (422) those it does not take."""

    model_config = ConfigDict(extra="forbid")
    max_depth: int | None = Field(default=None, ge=1, le=8)
    learning_rate: float | None = Field(default=None, gt=0, le=10)
    validation_size: float | None = Field(default=None, ge=0.05, le=0.5)
    fairness_weight: float | None = Field(default=None, ge=0, le=20)
    class_balance: float | None = Field(default=None, ge=0, le=10)
    # multi-task networks
    hidden_layer_sizes: list[Annotated[int, Field(ge=1, le=4096)]] | None = Field(
        default=None, min_length=1, max_length=4
    )
    batch_size: int | None = Field(default=None, ge=8, le=4096)
    patience: int | None = Field(default=None, ge=1, le=1000)
    weight_decay: float | None = Field(default=None, ge=0, le=1)
    tau: float | None = Field(default=None, ge=0, le=1)
    branch_every: int | None = Field(default=None, ge=1, le=100)
    gradnorm_alpha: float | None = Field(default=None, ge=0, le=10)
    weight_rate: float | None = Field(default=None, ge=0, le=1)
    discount: float | None = Field(default=None, ge=0, le=1)
    epsilon: float | None = Field(default=None, ge=0, le=1)
    teacher_learning_rate: float | None = Field(default=None, gt=0, le=1)

    _numbers = field_validator("*", mode="before")(json_numbers)


class TaskCreate(BaseModel):
    """A task of a multi-task run: a binary column and (when not 0/1) its positive class."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    positive: str | None = Field(default=None, max_length=200)


SweepValues = Annotated[
    # each branch bounded: bounds on the union itself would not reach the JSON schema
    list[Annotated[int, Field(ge=-1e6, le=1e6)] | Annotated[float, Field(ge=-1e6, le=1e6)]],
    Field(min_length=1, max_length=MAX_SETTINGS),
]


class RunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dataset: str = Field(min_length=1, max_length=64, description="built-in name or upload id")
    target: str | None = Field(default=None, max_length=200)
    positive: str | None = Field(default=None, max_length=200)
    protected: list[str] | None = Field(
        default=None,
        max_length=10,
        description="attributes with groups: 'sex', 'race:White', 'age:25,60', 'race:all'",
    )
    drop: list[str] = Field(default_factory=list, max_length=500)
    keep: list[str] = Field(
        default_factory=list,
        max_length=500,
        description="flagged columns (identifier, leakage) to use as features after all",
    )
    target_rule: str | None = Field(
        default=None,
        max_length=200,
        description="binarise the target: 'G3 >= 10', 'score > median', 'class == A'",
    )
    learner: Learner = "mmm_fair"
    notions: list[Notion] = Field(default=["eo"], min_length=1, max_length=7)
    constraints: list[str] = Field(default_factory=list, max_length=10)
    rounds: int = Field(default=300, ge=1, le=MAX_ROUNDS)
    tasks: list[TaskCreate] | None = Field(
        default=None,
        max_length=8,
        description="multi-task learners: the target columns (default: the dataset's view)",
    )
    epochs: int = Field(default=30, ge=1, le=MAX_EPOCHS, description="multi-task: most epochs")
    sweep: dict[Annotated[str, Field(max_length=40)], SweepValues] = Field(
        default_factory=dict,
        max_length=3,
        description="learner parameters to try, one fit per combination "
        f"(at most {MAX_SETTINGS}), e.g. {{'fairness_weight': [0.5, 1, 2]}}; one union "
        "front and one selection over every setting; each setting runs as its own job, "
        "in parallel (mmm_fair, fair_gbm and the multi-task learners)",
    )
    params: LearnerParams = Field(default_factory=LearnerParams)
    test_size: float | None = Field(default=None, ge=0, le=0.5)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    baseline: StrictBool = Field(
        default=True,
        description="also fit the baselines: the learner without fairness costs (boosting), "
        "the single-task models and the gains against them (multi-task)",
    )

    _numbers = field_validator("rounds", "epochs", "test_size", "seed", "sweep", mode="before")(
        json_numbers
    )


class RunPublic(BaseModel):
    id: str = Field(max_length=32)
    status: Literal["queued", "running", "cancelling", "done", "failed", "cancelled"]
    spec: dict[str, Any]
    error: str | None = Field(default=None, max_length=4000)
    selection: dict[str, Any] | None = None
    timings: dict[str, Any]
    created: str | None = Field(default=None, max_length=40)
    started: str | None = Field(default=None, max_length=40)
    finished: str | None = Field(default=None, max_length=40)


class RunsPublic(BaseModel):
    runs: list[RunPublic]


class SelectRequest(BaseModel):
    """Choose by ``round``, or by a rule: constraints (+ maximize), weights, or the knee."""

    model_config = ConfigDict(extra="forbid")
    round: int | None = Field(default=None, ge=1, le=MAX_ROUNDS)
    kind: Literal["knee", "weights", "constraints", "round"] | None = None
    constraints: list[str] = Field(default_factory=list, max_length=10)
    weights: list[float] | None = Field(default=None, max_length=9)
    maximize: str = Field(default="balanced_accuracy", max_length=40)
    confidence: float | None = Field(default=None, ge=0.5, lt=1.0)
    """Fairness constraints must hold with this confidence (eo<=0.05@95% for each)."""

    _numbers = field_validator("round", "weights", "confidence", mode="before")(json_numbers)


class SelectResponse(BaseModel):
    selection: FrontSelection
    point: Point


FrontPublic = Front
"""A run's front: the typed model of the core (``fairfront.fronts.Front``)."""


class DatasetPublic(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str = Field(max_length=64)
    name: str = Field(max_length=200)
    builtin: bool


class DatasetsPublic(BaseModel):
    datasets: list[DatasetPublic]


class ExplanationPublic(BaseModel):
    round: int
    text: str = Field(max_length=20000)
    source: Literal["llm", "builtin"]
    reason: str | None = Field(default=None, max_length=2000)
    facts: dict[str, Any]


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    session_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    message: str = Field(min_length=1, max_length=4000)


class ChatResponse(BaseModel):
    reply: str = Field(max_length=20000)
    actions: list[dict[str, Any]]
    setup: dict[str, Any]
    run_id: str | None = Field(default=None, max_length=32)
    suggestions: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list,
        max_length=10,
        description="whole messages the page offers as buttons (the likely readings of an "
        "unclear message, or next steps)",
    )
