"""Fair multi-task learning: FairBranch, L2T-FMT and a plain shared trunk on PyTorch (CPU).

Estimators take ``X`` (features, e.g. a dataset's preprocessed matrix), ``Y`` (n x T 0/1
labels) and ``sensitive_features``; see :mod:`fairfront.multitask._estimators`. Runs
(fronts over epochs, single-task baselines, run directories): :func:`train_multitask`,
:func:`write_multitask_run`; ONNX export: :func:`export_multitask`.
Importing this package needs torch (the ``mtl`` extra).
"""

from ._estimators import (
    TRACKED_NOTIONS,
    EpochInfo,
    FairBranchClassifier,
    L2TFMTClassifier,
    MultiTaskBase,
    MultiTaskMLPClassifier,
    TaskClassError,
    class_weights,
)
from ._export import export_multitask
from ._network import BranchedNetwork
from ._pieces import (
    gradnorm_weights,
    group_by_similarity,
    linear_cka,
    project_conflicting,
    robust_fairness_loss,
)
from ._runs import (
    MTL_LEARNERS,
    MultiTaskRun,
    MultiTaskSpec,
    aggregate_blocks,
    build_multitask_learner,
    gains,
    load_multitask_model,
    read_multitask_run,
    train_multitask,
    write_multitask_run,
)

__all__ = [
    "MTL_LEARNERS",
    "MultiTaskRun",
    "MultiTaskSpec",
    "aggregate_blocks",
    "build_multitask_learner",
    "export_multitask",
    "gains",
    "load_multitask_model",
    "read_multitask_run",
    "train_multitask",
    "write_multitask_run",
    "TRACKED_NOTIONS",
    "BranchedNetwork",
    "EpochInfo",
    "FairBranchClassifier",
    "L2TFMTClassifier",
    "MultiTaskBase",
    "MultiTaskMLPClassifier",
    "TaskClassError",
    "class_weights",
    "gradnorm_weights",
    "group_by_similarity",
    "linear_cka",
    "project_conflicting",
    "robust_fairness_loss",
]
