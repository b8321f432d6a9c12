"""Typed chat intents, the session's set-up, and what the parser knows about the session.

An intent is one thing a chat message asks for. Both the deterministic parser and an
LLM's function call produce these types, so every value is checked the same way: each
string is bounded, each number ranged, constraints and selection rules parse with the
core's own :class:`~fairfront.fronts.Constraint` and :class:`~fairfront.fronts.SelectionRule`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from fairfront.datasets import Dataset
from fairfront.fronts import KNOWN_NOTIONS, Constraint, SelectionRule
from fairfront.groups import ProtectedAttribute
from fairfront.metrics import NOTIONS
from fairfront.training import ADAFAIR_NOTIONS, MAX_ROUNDS, RunSpec

__all__ = [
    "MAX_ROUNDS",
    "AddConstraint",
    "ChatContext",
    "ChooseDataset",
    "ChooseLearner",
    "Clarify",
    "DatasetInfo",
    "Explain",
    "Export",
    "Help",
    "Intent",
    "PointRule",
    "RunInfo",
    "SelectPoint",
    "SetNotions",
    "SetProtected",
    "SetRounds",
    "SetTarget",
    "Setup",
    "SetupError",
    "StartOver",
    "Train",
    "UploadDataset",
    "apply",
    "describe_setup",
]

NAME_MAX = 200
"""Longest dataset name, column name or class value an intent carries."""
TEXT_MAX = 1000
"""Longest question a clarify intent carries."""

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX)]
ConstraintText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=120)
]
NotionName = Literal["dp", "eop", "fpr", "eo", "eo_sum", "acc", "ppv"]
MetricName = Literal[
    "accuracy", "balanced_accuracy", "dp", "eop", "fpr", "eo", "eo_sum", "acc", "ppv"
]
LearnerName = Literal["mmm_fair", "adafair"]
Round = Annotated[int, Field(ge=1, le=MAX_ROUNDS)]

_STRICT = ConfigDict(extra="forbid")


class SetupError(ValueError):
    """A set-up that cannot become a run yet (e.g. no dataset chosen)."""


def _canonical_constraint(text: str) -> str:
    """``text`` parsed by :meth:`Constraint.parse` and written back canonically."""
    return str(Constraint.parse(text))


def _unique(values: list[Any], what: str) -> list[Any]:
    if len(set(values)) != len(values):
        raise ValueError(f"{what} are repeated: {values}")
    return values


# ----------------------------------------------------------------------- intents


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
            "'age:25,60' (numeric bucket edges)"
        ),
    )

    @field_validator("attributes")
    @classmethod
    def _columns_once(cls, attributes: list[str]) -> list[str]:
        for text in attributes:
            ProtectedAttribute.parse(text)  # the syntax; columns are checked against data later
        columns = [a.partition(":")[0].strip() for a in attributes]
        _unique(columns, "protected columns")
        return attributes


class ChooseLearner(BaseModel):
    """Choose the learner: MMM-Fair (several attributes and notions) or AdaFair."""

    model_config = _STRICT
    kind: Literal["choose_learner"] = "choose_learner"
    learner: LearnerName


class SetNotions(BaseModel):
    """Set the fairness notions the learner optimises (replacing those chosen before)."""

    model_config = _STRICT
    kind: Literal["set_notions"] = "set_notions"
    notions: list[NotionName] = Field(
        min_length=1,
        max_length=len(KNOWN_NOTIONS),
        description=(
            "dp demographic parity, eop equal opportunity, fpr false-positive-rate parity, "
            "eo equalized odds (max), eo_sum equalized odds (sum), acc accuracy parity, "
            "ppv predictive parity"
        ),
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
        return _canonical_constraint(text)


class SetRounds(BaseModel):
    """Set the number of boosting rounds."""

    model_config = _STRICT
    kind: Literal["set_rounds"] = "set_rounds"
    rounds: Round


class Train(BaseModel):
    """Train a model with the current set-up."""

    model_config = _STRICT
    kind: Literal["train"] = "train"


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
        default=None, max_length=len(KNOWN_NOTIONS) + 2
    )
    constraints: list[ConstraintText] = Field(default_factory=list, max_length=10)
    maximize: MetricName = "balanced_accuracy"
    round: Round | None = None
    method: Literal["chebyshev", "pseudo_weights"] = "chebyshev"

    @field_validator("constraints")
    @classmethod
    def _constraints_parse(cls, constraints: list[str]) -> list[str]:
        return [_canonical_constraint(c) for c in constraints]

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


class Help(BaseModel):
    """The user greets or asks what they can do."""

    model_config = _STRICT
    kind: Literal["help"] = "help"


class StartOver(BaseModel):
    """Forget the set-up and start again."""

    model_config = _STRICT
    kind: Literal["start_over"] = "start_over"


class Clarify(BaseModel):
    """The request is ambiguous or unknown: ask a question instead of guessing."""

    model_config = _STRICT
    kind: Literal["clarify"] = "clarify"
    question: Annotated[str, StringConstraints(min_length=1, max_length=TEXT_MAX)]
    options: list[Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX)]] = Field(
        default_factory=list,
        max_length=10,
        description="short replies the user could send, e.g. 'protect sex'",
    )


Intent = Annotated[
    ChooseDataset
    | UploadDataset
    | SetTarget
    | SetProtected
    | ChooseLearner
    | SetNotions
    | AddConstraint
    | SetRounds
    | Train
    | SelectPoint
    | Explain
    | Export
    | Help
    | StartOver
    | Clarify,
    Field(discriminator="kind"),
]
"""Any intent; pydantic picks the type by ``kind``."""

SETUP_INTENTS: tuple[type[BaseModel], ...] = (
    ChooseDataset,
    SetTarget,
    SetProtected,
    ChooseLearner,
    SetNotions,
    AddConstraint,
    SetRounds,
    StartOver,
)
"""Intents that :func:`apply` folds into a :class:`Setup`."""

ACTION_INTENTS: tuple[type[BaseModel], ...] = (Train, SelectPoint, Explain, Export, StartOver)
"""Intents that act (train, choose, explain, export, forget); dropped next to a clarify."""


# ------------------------------------------------------------- set-up and context


class Setup(BaseModel):
    """What a session will train. ``None`` and empty lists mean "the default"."""

    model_config = _STRICT
    dataset: Name | None = None
    target: Name | None = None
    positive: Name | None = None
    protected: list[Name] | None = Field(
        default=None, max_length=20, description="None: the dataset's default attributes"
    )
    learner: LearnerName = "mmm_fair"
    notions: list[NotionName] = Field(
        default_factory=list, max_length=len(KNOWN_NOTIONS), description="empty: eo"
    )
    constraints: list[ConstraintText] = Field(default_factory=list, max_length=20)
    rounds: Round = 300

    @property
    def effective_notions(self) -> list[str]:
        """The notions a run would use (``["eo"]`` when none are chosen)."""
        return list(self.notions) or ["eo"]

    def problems(self, info: DatasetInfo | None = None) -> list[str]:
        """What stops this set-up from training, in words (empty when it can train).

        ``info`` (the chosen dataset's) lets it count default protected attributes.
        """
        out: list[str] = []
        if self.dataset is None:
            out.append("no dataset is chosen yet")
        if self.learner == "adafair":
            notions = self.effective_notions
            if len(notions) != 1 or notions[0] not in ADAFAIR_NOTIONS:
                out.append(
                    f"AdaFair takes one notion among {', '.join(ADAFAIR_NOTIONS)}, "
                    f"not {', '.join(notions)}"
                )
            if self.constraints:
                out.append("AdaFair takes no constraints; use mmm_fair for constraints")
            protected = self.protected
            if protected is None and info is not None:
                protected = info.protected
            if protected is not None and len(protected) != 1:
                out.append(
                    f"AdaFair handles one protected attribute, not {len(protected)} "
                    f"({', '.join(protected)}); protect one, or use mmm_fair"
                )
        return out

    def run_spec(self) -> RunSpec:
        """The :class:`~fairfront.training.RunSpec` to train; :class:`SetupError` if none."""
        if self.dataset is None:
            raise SetupError("choose a dataset before training")
        return RunSpec(
            data=self.dataset,
            target=self.target,
            positive=self.positive,
            protected=None if self.protected is None else list(self.protected),
            learner=self.learner,
            notions=self.effective_notions,
            rounds=self.rounds,
            constraints=list(self.constraints),
        )


class DatasetInfo(BaseModel):
    """What the parser may know about one dataset (never its rows)."""

    model_config = _STRICT
    columns: list[Annotated[str, StringConstraints(max_length=NAME_MAX)]] = Field(max_length=2000)
    target: Name
    positive: Name
    protected: list[Name] = Field(default_factory=list, max_length=50)
    builtin: bool = Field(default=False, description="built-ins have a fixed target column")

    @classmethod
    def from_dataset(cls, dataset: Dataset, *, builtin: bool = False) -> DatasetInfo:
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
        )


class RunInfo(BaseModel):
    """The session's latest run, as far as the parser needs it."""

    model_config = _STRICT
    status: Annotated[str, StringConstraints(max_length=40)] = "done"
    notions: list[NotionName] = Field(
        default_factory=list, description="the run's front notions, the first one first"
    )
    rounds: Round | None = Field(default=None, description="rounds the run has (so far)")


class ChatContext(BaseModel):
    """Everything the parser reads besides the message."""

    model_config = _STRICT
    datasets: dict[Name, DatasetInfo] = Field(default_factory=dict, max_length=200)
    run: RunInfo | None = None
    setup: Setup = Field(default_factory=Setup)


# ------------------------------------------------------------------------ folding


def _attribute_of(constraint: str) -> str | None:
    return Constraint.parse(constraint).attribute


def _same_bound(a: str, b: str) -> bool:
    ca, cb = Constraint.parse(a), Constraint.parse(b)
    return (ca.metric, ca.attribute, ca.op) == (cb.metric, cb.attribute, cb.op)


def apply(setup: Setup, intent: BaseModel) -> Setup:
    """The set-up after ``intent`` (a new object; other intents leave it unchanged).

    Choosing another dataset resets its target, positive class, protected attributes
    and per-attribute constraints; setting protected attributes drops constraints on
    attributes no longer protected; a constraint replaces one on the same metric,
    attribute and direction.
    """
    if isinstance(intent, StartOver):
        return Setup()
    if isinstance(intent, ChooseDataset):
        if intent.name == setup.dataset:
            return setup
        kept = [c for c in setup.constraints if _attribute_of(c) is None]
        return setup.model_copy(
            update={
                "dataset": intent.name,
                "target": None,
                "positive": None,
                "protected": None,
                "constraints": kept,
            }
        )
    if isinstance(intent, SetTarget):
        return setup.model_copy(update={"target": intent.column, "positive": intent.positive})
    if isinstance(intent, SetProtected):
        columns = {a.partition(":")[0].strip() for a in intent.attributes}
        kept = [c for c in setup.constraints if _attribute_of(c) in columns | {None}]
        return setup.model_copy(update={"protected": list(intent.attributes), "constraints": kept})
    if isinstance(intent, ChooseLearner):
        return setup.model_copy(update={"learner": intent.learner})
    if isinstance(intent, SetNotions):
        return setup.model_copy(update={"notions": list(intent.notions)})
    if isinstance(intent, AddConstraint):
        kept = [c for c in setup.constraints if not _same_bound(c, intent.text)]
        return setup.model_copy(update={"constraints": [*kept, intent.text]})
    if isinstance(intent, SetRounds):
        return setup.model_copy(update={"rounds": intent.rounds})
    return setup


_LEARNER_NAMES = {"mmm_fair": "MMM-Fair", "adafair": "AdaFair"}


def notion_phrase(notion: str) -> str:
    """``"equalized odds (worst case, Fairlearn convention) (eo)"``."""
    return f"{NOTIONS[notion].label} ({notion})"


def describe_setup(setup: Setup, datasets: Mapping[str, DatasetInfo] | None = None) -> str:
    """The set-up in a few plain sentences, with what still stops it from training."""
    info = (datasets or {}).get(setup.dataset or "")
    if setup.dataset is None:
        lines = ["Dataset: not chosen yet."]
    else:
        target = setup.target or (info.target if info else "its default target")
        positive = setup.positive or (info.positive if info else "the default")
        lines = [f"Dataset: {setup.dataset}, predicting {target} (positive class: {positive})."]
    if setup.protected is not None:
        lines.append(f"Protected attributes: {', '.join(setup.protected)}.")
    elif info is not None and info.protected:
        lines.append(f"Protected attributes: the defaults ({', '.join(info.protected)}).")
    else:
        lines.append("Protected attributes: the dataset's defaults.")
    lines.append(f"Learner: {_LEARNER_NAMES[setup.learner]} ({setup.learner}).")
    default = "" if setup.notions else " (the default)"
    notions = ", ".join(notion_phrase(n) for n in setup.effective_notions)
    lines.append(f"Fairness notions: {notions}{default}.")
    if setup.constraints:
        described = "; ".join(Constraint.parse(c).describe() for c in setup.constraints)
        lines.append(f"Constraints: {described}.")
    else:
        lines.append("Constraints: none (the knee of the front is chosen).")
    lines.append(f"Rounds: {setup.rounds}.")
    problems = setup.problems(info)
    if problems:
        lines.append("Before training: " + "; ".join(problems) + ".")
    return "\n".join(lines)
