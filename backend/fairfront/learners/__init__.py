"""Fairness-aware learners as scikit-learn estimators."""

from ._adafair import AdaFairClassifier
from ._boosting import FairBoostingClassifier, RoundInfo, fairness_costs, points_from_metrics
from ._hist import HistogramTree
from ._mmm_fair import MMMFairClassifier

__all__ = [
    "AdaFairClassifier",
    "FairBoostingClassifier",
    "HistogramTree",
    "MMMFairClassifier",
    "RoundInfo",
    "fairness_costs",
    "points_from_metrics",
]
