"""Fair multi-task learners on PyTorch (CPU): FairBranch, L2T-FMT and a plain shared trunk.

Estimators take ``X`` (features, e.g. a dataset's preprocessed matrix), ``Y`` (n x T 0/1
labels) and ``sensitive_features``, and call a ``callback`` with an :class:`EpochInfo`
after every epoch (as the boosting learners call theirs with a ``RoundInfo``); see
:mod:`fairfront.learners.multitask._estimators`. Runs over them (a point per epoch,
sweeps, single-task baselines) are :mod:`fairfront.runs`; their ONNX export is
:mod:`fairfront.export`. Importing this package needs torch (the ``mtl`` extra).
"""

from ._estimators import (
    TRACKED_NOTIONS,
    EpochInfo,
    FairBranchClassifier,
    L2TFMTClassifier,
    MultiTaskBase,
    MultiTaskMLPClassifier,
    TaskClassError,
    choose_checkpoint,
    class_weights,
)
from ._network import BranchedNetwork, ProbabilityOutputs
from ._pieces import (
    gradnorm_weights,
    group_by_similarity,
    linear_cka,
    project_conflicting,
    robust_fairness_loss,
)

__all__ = [
    "TRACKED_NOTIONS",
    "BranchedNetwork",
    "EpochInfo",
    "FairBranchClassifier",
    "L2TFMTClassifier",
    "MultiTaskBase",
    "MultiTaskMLPClassifier",
    "ProbabilityOutputs",
    "TaskClassError",
    "choose_checkpoint",
    "class_weights",
    "gradnorm_weights",
    "group_by_similarity",
    "linear_cka",
    "project_conflicting",
    "robust_fairness_loss",
]
