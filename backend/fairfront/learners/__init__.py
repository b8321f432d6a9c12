"""Fairness-aware learners as scikit-learn estimators."""

from ._adafair import AdaFairClassifier
from ._boosting import (
    FairBoostingClassifier,
    RoundInfo,
    fairness_costs,
    points_from_metrics,
    stratified_validation_split,
)
from ._fair_gbm import FairGBMClassifier
from ._hist import HistogramTree
from ._mmm_fair import MMMFairClassifier
from ._thresholds import GroupThresholds, fit_group_thresholds, group_threshold_references

__all__ = [
    "AdaFairClassifier",
    "FairBoostingClassifier",
    "FairGBMClassifier",
    "GroupThresholds",
    "HistogramTree",
    "MMMFairClassifier",
    "RoundInfo",
    "fairness_costs",
    "fit_group_thresholds",
    "group_threshold_references",
    "points_from_metrics",
    "stratified_validation_split",
]
