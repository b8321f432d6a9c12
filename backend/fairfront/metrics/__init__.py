"""One fairness metrics engine: every notion, per attribute and intersectional.

The learners, fronts, command line and service read every fairness number from here.
"""

from ._counts import confusion_by_group, gaps, group_rates, ratios
from ._groups import GroupIndex, MissingGroupError
from ._intervals import (
    DEFAULT_LEVEL,
    TOO_WIDE,
    Interval,
    format_interval,
    notion_interval,
    too_wide_groups,
    wider_than_gap,
    wilson,
)
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
    "DEFAULT_LEVEL",
    "NOTIONS",
    "RATES",
    "TOO_WIDE",
    "AttributeFairness",
    "FairnessReport",
    "GroupIndex",
    "Interval",
    "ManyModelsMetrics",
    "MissingGroupError",
    "Notion",
    "confusion_by_group",
    "evaluate",
    "evaluate_many",
    "format_interval",
    "gaps",
    "get_notion",
    "notion_interval",
    "group_rates",
    "overall_rates",
    "ratios",
    "too_wide_groups",
    "wider_than_gap",
    "wilson",
]
