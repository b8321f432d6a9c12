"""One fairness metrics engine: every notion, per attribute and intersectional.

The learners, fronts, command line and service read every fairness number from here.
"""

from ._counts import confusion_by_group, gaps, group_rates, ratios
from ._groups import GroupIndex, MissingGroupError
from ._notions import NOTIONS, RATES, Notion, get_notion
from ._report import (
    AttributeFairness,
    FairnessReport,
    ManyModelsMetrics,
    evaluate,
    evaluate_many,
    overall_rates,
)

__all__ = [
    "NOTIONS",
    "RATES",
    "AttributeFairness",
    "FairnessReport",
    "GroupIndex",
    "ManyModelsMetrics",
    "MissingGroupError",
    "Notion",
    "confusion_by_group",
    "evaluate",
    "evaluate_many",
    "gaps",
    "get_notion",
    "group_rates",
    "overall_rates",
    "ratios",
]
