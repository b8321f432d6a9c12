"""Fairness-aware learners as scikit-learn estimators."""

from ._adafair import AdaFairClassifier
from ._boosting import FairBoostingClassifier, RoundInfo, fairness_costs, points_from_metrics
from ._fair_gbm import FairGBMClassifier
from ._mmm_fair import MMMFairClassifier

__all__ = [
    "AdaFairClassifier",
    "FairBoostingClassifier",
    "FairGBMClassifier",
    "MMMFairClassifier",
    "RoundInfo",
    "fairness_costs",
    "points_from_metrics",
]
