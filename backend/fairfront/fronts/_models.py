"""Typed points and fronts: the one shape a point has from the learner to the page.

A learner's callback, the run directory (``front.json``), the service's responses and
its OpenAPI schema all use these models; JSON only at the edges (``model_dump``).

* :class:`MetricBlock`: a split's figures -- ``accuracy``, ``balanced_accuracy`` and one
  :class:`NotionBlock` per notion the run tracks (worst ``value`` over the protected
  attributes, ``by_attribute``, optionally a confidence interval ``ci``);
* :class:`Point`: one round (boosting) or one (setting, epoch) checkpoint (multi-task),
  with ``validation`` and ``test`` blocks; a multi-task point's blocks are the mean over
  tasks, ``tasks`` holds each task's blocks and ``worst`` the worst task per figure;
* :class:`Front`: a run's points and what they mean (dataset, target or tasks,
  protected attributes, learner, notions, selection, baselines, reference points).

Optional keys that are ``None`` are left out of the JSON (a boosting point has no
``tasks``), so ``front.json`` stays as compact as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, model_serializer

from ..metrics import NOTIONS

__all__ = [
    "Baseline",
    "Front",
    "FrontSelection",
    "GapInterval",
    "MetricBlock",
    "MultiTaskBaselines",
    "NotionBlock",
    "Point",
    "Reference",
    "SplitBlocks",
    "TaskBaseline",
    "TaskInfo",
]

Interval = tuple[float, float]
SettingValue = float | int | bool | str


class _Compact(BaseModel):
    """Leaves optional keys out of the JSON while they are None."""

    model_config = ConfigDict(extra="forbid")
    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _drop_none(self, handler: Any) -> Any:
        data = handler(self)
        if isinstance(data, dict):
            for key in self.OMIT_IF_NONE:
                if data.get(key, 0) is None:
                    del data[key]
        return data


class GapInterval(BaseModel):
    """A confidence interval for a notion's gap, overall and per attribute."""

    level: float = Field(ge=0, le=1)
    value: Interval | None = None
    by_attribute: dict[str, Interval | None] = Field(default_factory=dict)


class NotionBlock(_Compact):
    """One notion's violation: the worst over attributes and each attribute's."""

    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset({"ci"})
    value: float | None
    by_attribute: dict[str, float | None]
    ci: GapInterval | None = None


class _MetricBlockBase(_Compact):
    accuracy: float | None
    balanced_accuracy: float | None
    trivial: bool | None = None
    """A task's own flag (multi-task per-task blocks): one class for nearly every row."""
    group_sizes: dict[str, dict[str, int]] | None = None

    def notion(self, name: str) -> NotionBlock | None:
        block: NotionBlock | None = getattr(self, name, None)
        return block


if TYPE_CHECKING:
    MetricBlock = _MetricBlockBase
else:  # one optional NotionBlock field per notion of the engine
    MetricBlock = create_model(
        "MetricBlock",
        __base__=_MetricBlockBase,
        __doc__="A split's figures: performance and one NotionBlock per tracked notion.",
        **dict.fromkeys(NOTIONS, (NotionBlock | None, None)),
    )
    MetricBlock.OMIT_IF_NONE = frozenset({*NOTIONS, "trivial", "group_sizes"})


class SplitBlocks(_Compact):
    """Validation and (when the data have a test split) test blocks."""

    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset({"test"})
    validation: MetricBlock
    test: MetricBlock | None = None


class Point(_Compact):
    """One model of a run: a boosting round, or a multi-task (setting, epoch) checkpoint."""

    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset(
        {"test", "epoch", "setting", "validation_score", "worst", "tasks"}
    )
    round: int = Field(ge=1)
    on_front: bool = False
    selected: bool = False
    trivial: bool = False
    validation: MetricBlock
    test: MetricBlock | None = None
    epoch: int | None = Field(default=None, ge=1)
    """Multi-task: the epoch of this checkpoint within its setting's fit."""
    setting: dict[str, SettingValue] | None = None
    """Multi-task sweeps: the swept parameters of this checkpoint."""
    validation_score: float | None = None
    worst: SplitBlocks | None = None
    """Multi-task: the worst task per figure (lowest accuracy, highest violation)."""
    tasks: dict[str, SplitBlocks] | None = None
    """Multi-task: each task's own blocks (``validation`` / ``test``)."""


class TaskInfo(_Compact):
    """A task of a multi-task run: its column and positive class (unknown while live)."""

    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset({"positive"})
    name: str
    positive: str | None = None


class FrontSelection(_Compact):
    """The chosen point and why."""

    model_config = ConfigDict(extra="allow")
    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset({"epoch", "setting", "by"})
    round: int = Field(ge=1)
    rule: dict[str, Any]
    reason: str
    epoch: int | None = None
    setting: dict[str, SettingValue] | None = None
    by: Literal["user", "rule"] | None = None


class Baseline(_Compact):
    """The same learner with no fairness costs (boosting): what fairness costs."""

    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset({"test"})
    description: str
    round: int
    validation: MetricBlock
    test: MetricBlock | None = None


class TaskBaseline(_Compact):
    """A single-task model of one task (multi-task runs)."""

    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset({"test"})
    epoch: int
    setting: dict[str, SettingValue]
    epochs_fitted: int
    fit_seconds: float
    validation: MetricBlock
    test: MetricBlock | None = None


class MultiTaskBaselines(BaseModel):
    """Single-task models per task, their mean, and the gains of the multi-task model.

    ``gains``: per task and averaged, the knowledge gain (accuracy MTL - STL, also in
    balanced accuracy) and the discrimination gain per notion (violation MTL - STL;
    lower is better).
    """

    description: str
    tasks: dict[str, TaskBaseline]
    split: Literal["test", "validation"]
    mean: MetricBlock
    gains: dict[str, Any]


class Reference(_Compact):
    """A labelled reference point drawn beside the front (e.g. group thresholds)."""

    model_config = ConfigDict(extra="allow")
    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset({"test", "task"})
    label: str
    kind: str
    validation: MetricBlock
    test: MetricBlock | None = None
    task: str | None = None


class Front(_Compact):
    """A run's points and what they mean; ``front.json`` and ``GET /api/runs/{id}/front``."""

    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset(
        {"status", "total", "target", "positive", "tasks", "sweep", "baselines", "objectives"}
    )
    format: Literal["fairfront.front/1"] = "fairfront.front/1"
    kind: Literal["boosting", "multitask", "gbm"] = "boosting"
    status: str | None = None
    """The run's status (in the service's answers; not in ``front.json``)."""
    total: int | None = None
    """While the run trains: the points it will have at most (rounds, epochs x settings)."""
    dataset: str | None = None
    target: str | None = None
    positive: str | None = None
    tasks: list[TaskInfo] | None = None
    protected: list[dict[str, Any]] = Field(default_factory=list)
    learner: str | None = None
    notions: list[str]
    notion_labels: dict[str, str] = Field(default_factory=dict)
    objectives: str | None = None
    selection: FrontSelection | None = None
    front_rounds: list[int] = Field(default_factory=list)
    baseline: Baseline | None = None
    baselines: MultiTaskBaselines | None = None
    sweep: dict[str, list[SettingValue]] | None = None
    references: list[Reference] = Field(default_factory=list)
    points: list[Point]

    @property
    def multitask(self) -> bool:
        return self.tasks is not None
