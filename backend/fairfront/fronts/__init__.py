"""Pareto fronts over boosting rounds, and rules for choosing one round's model.

Two layers:

* **array level** -- objectives are minimised and ``F`` has shape ``(m, k)``:
  :func:`non_dominated`, :func:`hypervolume`, :func:`knee` and :func:`select_by_weights`;
* **point level** -- lists of ``front.json`` point dicts (one per round, with a
  ``validation`` and optionally a ``test`` metrics block): :class:`Constraint`,
  :func:`objective_matrix`, :func:`mark_front`, :class:`SelectionRule` and :func:`select`.

Choosing only ever reads the validation block (by default); the test block is
reported, never used to choose. Trivial points (a model predicting one class for
almost every row) are never on the front and never selected; points whose needed
metrics are NaN are never selected by a rule that needs them. Ties go to the
earliest round.

Typed points and fronts (pydantic): ``_models`` (:class:`Point`, :class:`Front`,
:class:`MetricBlock`, ...), the shape used from a learner's callback to the API.

Modules: ``_dominance`` and ``_hypervolume`` (array level), ``_preference`` (knee,
weights), ``_metric_names`` and ``_points`` (reading points), ``_constraints``,
``_selection_rule``, ``_constraint_selection`` and ``_selection`` (choosing), ``_errors``.
"""

from ._constraints import Constraint
from ._dominance import non_dominated
from ._errors import (
    ConstraintError,
    NoEligiblePointError,
    NoFeasiblePointError,
    RoundNotFoundError,
    SelectionError,
)
from ._hypervolume import hypervolume
from ._metric_names import KNOWN_NOTIONS, PERFORMANCE_METRICS
from ._models import (
    Baseline,
    Front,
    FrontSelection,
    GapInterval,
    MetricBlock,
    MultiTaskBaselines,
    NotionBlock,
    Point,
    Reference,
    SplitBlocks,
    TaskBaseline,
    TaskInfo,
)
from ._points import mark_front, objective_matrix, read_metric
from ._preference import knee, select_by_weights
from ._selection import Selection, mark_selected, select
from ._selection_rule import SelectionRule

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
    "KNOWN_NOTIONS",
    "PERFORMANCE_METRICS",
    "Constraint",
    "ConstraintError",
    "NoEligiblePointError",
    "NoFeasiblePointError",
    "RoundNotFoundError",
    "Selection",
    "SelectionError",
    "SelectionRule",
    "hypervolume",
    "knee",
    "mark_front",
    "mark_selected",
    "non_dominated",
    "objective_matrix",
    "read_metric",
    "select",
    "select_by_weights",
]
