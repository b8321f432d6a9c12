"""One vocabulary: the notions, performance metrics, learners and built-in datasets.

Each is defined once, here or in the module that owns it (notions in
:mod:`fairfront.metrics`, built-in datasets in :mod:`fairfront.datasets`), and every
other list derives from these registries: the API schema's choices, the chat's lexicon,
the command line's choices and the chart labels (which the page reads from
``GET /api/vocabulary``, the output of :func:`describe`). Nothing here imports a web
framework or torch; a learner's class is imported only when it is asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from numbers import Integral
from typing import Any, Literal

from .datasets import MULTITASK_VIEWS, builtin_info, default_protected, list_datasets
from .metrics import NOTIONS, Notion

__all__ = [
    "COLUMN_SYNONYMS",
    "DATASETS",
    "LEARNERS",
    "NOTIONS",
    "PARAMETERS",
    "PERFORMANCE",
    "DatasetTerm",
    "LearnerTerm",
    "Notion",
    "ParameterTerm",
    "PerformanceMetric",
    "describe",
    "learner_names",
    "notion_names",
    "parameter_names",
]

Family = Literal["boosting", "multitask", "gbm"]


@dataclass(frozen=True)
class PerformanceMetric:
    """A performance figure a point carries; higher is better."""

    name: str
    label: str
    aliases: tuple[str, ...] = ()
    description: str = ""
    direction: Literal["higher_is_better"] = "higher_is_better"


PERFORMANCE: dict[str, PerformanceMetric] = {
    m.name: m
    for m in (
        PerformanceMetric(
            "accuracy",
            "accuracy",
            ("acc", "accurate", "correct", "correctness"),
            "share of rows predicted right",
        ),
        PerformanceMetric(
            "balanced_accuracy",
            "balanced accuracy",
            ("bacc", "balanced acc", "balanced"),
            "mean of the true-positive and true-negative rates (1 - balanced error)",
        ),
    )
}


@dataclass(frozen=True)
class LearnerTerm:
    """A learner as people and forms name it; its class is imported on demand."""

    name: str
    family: Family
    label: str
    target: str
    """``module:ClassName`` of the scikit-learn estimator."""
    aliases: tuple[str, ...] = ()
    description: str = ""
    notions: tuple[str, ...] = ()
    """Notions it can be asked to make fair; empty for none (a plain baseline)."""
    max_attributes: int | None = None
    """Most protected attributes it handles (None: any number)."""
    multitask: bool = False
    constraints: bool = False
    """Whether it takes constraints ("eo <= 0.05") as its selection rule."""
    extra: str | None = None
    """The pip extra it needs, if any."""

    def estimator_class(self) -> type[Any]:
        module, _, name = self.target.partition(":")
        cls: type[Any] = getattr(importlib.import_module(module), name)
        return cls

    def params(self) -> tuple[str, ...]:
        """The estimator's parameter names (imports it)."""
        return tuple(sorted(self.estimator_class()().get_params(deep=False)))


_FAIR_NOTIONS = tuple(NOTIONS)

LEARNERS: dict[str, LearnerTerm] = {
    t.name: t
    for t in (
        LearnerTerm(
            "mmm_fair",
            "boosting",
            "MMM-Fair",
            "fairfront.learners:MMMFairClassifier",
            ("mmm fair", "mmmfair", "mmm", "multi fairness", "multi-fairness boosting"),
            "boosting with fairness costs over several protected attributes and notions",
            _FAIR_NOTIONS,
            constraints=True,
        ),
        LearnerTerm(
            "adafair",
            "boosting",
            "AdaFair",
            "fairfront.learners:AdaFairClassifier",
            ("ada fair", "ada-fair", "adaboost fair"),
            "AdaBoost with cumulative fairness costs, one protected attribute",
            ("eo", "dp", "eop"),
            max_attributes=1,
        ),
        LearnerTerm(
            "fair_gbm",
            "gbm",
            "fair gradient boosting (LightGBM)",
            "fairfront.learners:FairGBMClassifier",
            (
                "fair gbm",
                "fairgbm",
                "fair gradient boosting",
                "gradient boosting",
                "gbm",
                "lightgbm",
                "light gbm",
                "gbdt",
            ),
            "LightGBM trees with per-round fairness weights over several protected "
            "attributes and notions",
            ("eo", "eop", "fpr", "dp", "eo_sum"),
            constraints=True,
        ),
        LearnerTerm(
            "fairbranch",
            "multitask",
            "FairBranch",
            "fairfront.learners.multitask:FairBranchClassifier",
            ("fair branch", "fair-branch", "branching"),
            "fair multi-task network that branches tasks by similarity",
            ("eo", "eo_sum", "eop"),
            max_attributes=1,
            multitask=True,
            extra="mtl",
        ),
        LearnerTerm(
            "l2t_fmt",
            "multitask",
            "L2T-FMT",
            "fairfront.learners.multitask:L2TFMTClassifier",
            ("l2t", "l2t fmt", "l2tfmt", "learning to teach", "learn to teach"),
            "fair multi-task network whose teacher picks accuracy or fairness per task",
            ("eo", "eo_sum", "eop"),
            max_attributes=1,
            multitask=True,
            extra="mtl",
        ),
        LearnerTerm(
            "mtl",
            "multitask",
            "multi-task network (no fairness term)",
            "fairfront.learners.multitask:MultiTaskMLPClassifier",
            ("plain multi-task", "multitask network", "shared trunk"),
            "a shared-trunk multi-task network without fairness terms (a baseline)",
            (),
            max_attributes=1,
            multitask=True,
            extra="mtl",
        ),
    )
}


@cache
def _learner_params(learner: str) -> tuple[str, ...]:
    return LEARNERS[learner].params()


@dataclass(frozen=True)
class ParameterTerm:
    """A learner parameter people tune, as they name it.

    Only the words are said here; which learners take it and which values it takes come
    from the estimators themselves (``get_params`` and their ``_parameter_constraints``),
    read when asked (a multi-task learner's class imports torch).
    """

    name: str
    label: str
    aliases: tuple[str, ...] = ()
    description: str = ""
    share: bool = False
    """A share of a whole (a gap, a fraction of rows): "2%" reads as 0.02. For any other
    parameter a percentage is asked about, never converted."""
    examples: tuple[float, ...] = (0.5, 1.0, 2.0)
    """Values a sweep might try (what an example or a suggestion shows)."""

    def learners(self, names: Sequence[str] | None = None) -> tuple[str, ...]:
        """The learners (among ``names``, default all) whose estimator takes it."""
        return tuple(n for n in (names or LEARNERS) if self.name in _learner_params(n))

    def takes(self, learner: str) -> bool:
        return self.name in _learner_params(learner)

    def _constraints(self, learner: str) -> list[Any]:
        cls = LEARNERS[learner].estimator_class()
        found: list[Any] = getattr(cls, "_parameter_constraints", {}).get(self.name, [])
        return [c for c in found if hasattr(c, "is_satisfied_by")]

    def numeric(self, learner: str) -> bool:
        """Whether ``learner`` takes a number for it (not only on/off or a name)."""
        return any(hasattr(c, "left") for c in self._constraints(learner))

    def integer(self, learner: str) -> bool:
        ranges = [c for c in self._constraints(learner) if hasattr(c, "left")]
        return bool(ranges) and all(c.type is Integral for c in ranges)

    def accepts(self, learner: str, value: float) -> bool:
        """Whether ``learner``'s estimator accepts ``value`` for it."""
        ranges = [c for c in self._constraints(learner) if hasattr(c, "left")]
        return any(c.is_satisfied_by(value) for c in ranges)

    def allowed(self, learner: str) -> str:
        """The values ``learner`` takes, in words ("a float in the range [0.0, inf)")."""
        ranges = [str(c) for c in self._constraints(learner) if hasattr(c, "left")]
        return " or ".join(ranges) or "no number"


PARAMETERS: dict[str, ParameterTerm] = {
    p.name: p
    for p in (
        ParameterTerm(
            "fairness_weight",
            "fairness weight",
            ("fairness strength", "fairness penalty", "weight of fairness", "fairness term weight"),
            "how strongly the fairness costs count against accuracy",
        ),
        ParameterTerm(
            "bound",
            "training bound",
            ("bound", "gap bound", "target gap"),
            "the gap on every chosen notion that fair gradient boosting trains towards",
            share=True,
            examples=(0.01, 0.02, 0.04),
        ),
        ParameterTerm(
            "learning_rate",
            "learning rate",
            ("step size", "shrinkage", "lr"),
            "how far each round or step moves the model",
            examples=(0.05, 0.1, 0.2),
        ),
        ParameterTerm(
            "max_depth",
            "tree depth",
            ("max depth", "maximum depth", "depth", "max tree depth", "maximum tree depth"),
            "the deepest a tree grows (fair gradient boosting: -1 for no limit)",
            examples=(2, 3, 4),
        ),
        ParameterTerm(
            "num_leaves",
            "number of leaves",
            ("leaves", "num leaves", "leaves per tree", "leaf count"),
            "most leaves per tree",
            examples=(15, 31, 63),
        ),
        ParameterTerm(
            "min_child_samples",
            "minimum leaf size",
            ("min child samples", "min samples per leaf", "minimum samples per leaf", "leaf size"),
            "fewest training rows a leaf holds",
            examples=(50, 100, 200),
        ),
        ParameterTerm(
            "class_balance",
            "class balance",
            ("class balancing", "class weighting", "class weight"),
            "how much the classes are evened out in the training weights",
            examples=(0.5, 1.0),
        ),
        ParameterTerm(
            "validation_size",
            "validation share",
            ("validation size", "validation fraction", "validation split"),
            "the share of training rows held out to choose the round or epoch",
            share=True,
            examples=(0.2, 0.3),
        ),
        ParameterTerm(
            "tau",
            "branching threshold",
            ("tau", "branch threshold", "similarity threshold"),
            "how similar tasks must be to share a branch (FairBranch)",
            examples=(0.5, 0.7, 0.9),
        ),
        ParameterTerm(
            "batch_size", "batch size", (), "rows per training step", examples=(128, 256)
        ),
        ParameterTerm(
            "weight_decay",
            "weight decay",
            (),
            "L2 penalty on the network weights",
            examples=(0.0001, 0.001),
        ),
        ParameterTerm(
            "patience",
            "patience",
            ("early stopping patience",),
            "epochs without improvement before training stops",
            examples=(5, 10, 20),
        ),
    )
}
"""Learner parameters the chat and forms name (a parameter no entry names is still
accepted by ``RunSpec.params`` when the learner takes it)."""


def parameter_names() -> tuple[str, ...]:
    return tuple(PARAMETERS)


def learner_names(family: Family | None = None) -> tuple[str, ...]:
    """Learner names, all or of one family."""
    return tuple(n for n, t in LEARNERS.items() if family is None or t.family == family)


def notion_names() -> tuple[str, ...]:
    return tuple(NOTIONS)


@dataclass(frozen=True)
class DatasetTerm:
    """A built-in dataset: its target, multi-task view and default protected attributes."""

    name: str
    label: str
    target: str
    positive: str
    description: str
    protected_columns: tuple[str, ...]
    """Default protected attributes (their groups: :func:`fairfront.datasets.default_protected`)."""
    aliases: tuple[str, ...] = ()
    target_words: tuple[str, ...] = ()
    """Plain words for the target ("income", "recidivism")."""
    tasks: tuple[str, ...] = ()
    """The multi-task view's tasks (empty: no multi-task view)."""
    task_positives: Mapping[str, str] = field(default_factory=dict)


_DATASET_WORDS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "adult": (
        "UCI Adult (census income)",
        ("census", "census income", "adult income", "uci adult"),
        ("income", "salary", "earnings", "wage", "wages", "income over 50k"),
    ),
    "compas": (
        "ProPublica COMPAS",
        ("propublica", "recidivism data", "broward"),
        (
            "recidivism",
            "reoffending",
            "re-offending",
            "reoffend",
            "re-offend",
            "two year recidivism",
        ),
    ),
    "german": (
        "Statlog German credit",
        ("german credit", "statlog", "credit data", "german credit data"),
        ("credit", "credit risk", "good credit", "creditworthiness"),
    ),
    "bank": (
        "UCI Bank marketing",
        ("bank marketing", "marketing", "bank data"),
        ("subscription", "deposit", "term deposit", "subscribe"),
    ),
}


def _dataset_terms() -> dict[str, DatasetTerm]:
    terms = {}
    for name in list_datasets():
        info = builtin_info(name)
        label, aliases, words = _DATASET_WORDS.get(name, (name, (), ()))
        view = MULTITASK_VIEWS.get(name)
        protected = default_protected(name)
        terms[name] = DatasetTerm(
            name=name,
            label=label,
            target=info.target,
            positive=info.positive,
            description=info.description,
            protected_columns=tuple(protected),
            aliases=aliases,
            target_words=words,
            tasks=tuple(view.tasks) if view else (),
            task_positives=dict(view.positives) if view else {},
        )
    return terms


DATASETS: dict[str, DatasetTerm] = _dataset_terms()

COLUMN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "gender": ("sex",),
    "genders": ("sex",),
    "women": ("sex",),
    "men": ("sex",),
    "female": ("sex",),
    "male": ("sex",),
    "ethnicity": ("race",),
    "ethnic": ("race",),
    "ethnic group": ("race",),
    "ethnic origin": ("race",),
    "skin colour": ("race",),
    "skin color": ("race",),
    "nationality": ("native-country", "foreign_worker"),
    "country": ("native-country",),
    "marital status": ("marital-status", "marital"),
    "married": ("marital-status", "marital"),
    "age group": ("age_cat", "age"),
    "birth year": ("age",),
}
"""Words people say for a column; a match only ever becomes a "did you mean" question."""


def describe() -> dict[str, Any]:
    """The vocabulary as JSON: what the page's labels and the API's choices read."""
    return {
        "notions": [
            {
                "name": n.name,
                "label": n.label,
                "short": n.short or n.label,
                "description": n.description,
                "convention": n.convention,
                "aliases": list(n.aliases),
                "direction": n.direction,
                "max": 2.0 if n.combine == "sum" and len(n.rates) > 1 else 1.0,
            }
            for n in NOTIONS.values()
        ],
        "performance": [
            {
                "name": m.name,
                "label": m.label,
                "description": m.description,
                "aliases": list(m.aliases),
                "direction": m.direction,
            }
            for m in PERFORMANCE.values()
        ],
        "learners": [
            {
                "name": t.name,
                "family": t.family,
                "label": t.label,
                "description": t.description,
                "aliases": list(t.aliases),
                "notions": list(t.notions),
                "max_attributes": t.max_attributes,
                "multitask": t.multitask,
                "constraints": t.constraints,
            }
            for t in LEARNERS.values()
        ],
        "parameters": [
            {
                "name": p.name,
                "label": p.label,
                "description": p.description,
                "aliases": list(p.aliases),
                "share": p.share,
                "examples": list(p.examples),
            }
            for p in PARAMETERS.values()
        ],
        "datasets": [
            {
                "name": d.name,
                "label": d.label,
                "target": d.target,
                "positive": d.positive,
                "protected": list(d.protected_columns),
                "aliases": list(d.aliases),
                "tasks": list(d.tasks),
            }
            for d in DATASETS.values()
        ],
    }
