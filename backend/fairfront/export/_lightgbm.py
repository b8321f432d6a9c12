"""skl2onnx converter for :class:`~fairfront.learners.FairGBMClassifier` (LightGBM trees).

A fitted FairGBMClassifier predicts with the first ``r = selected_round_`` trees of its
booster: raw score s(x) = the sum of their leaf outputs (the initial score is folded
into the first tree's leaves), ``predict_proba`` = [1 - sigmoid(s), sigmoid(s)] and
``predict`` = ``classes_[1]`` when s > 0.

The graph is onnxmltools' LightGBM converter (``convert_lightgbm``: one
``TreeEnsembleClassifier`` with a logistic post-transform) applied to the booster
truncated at round r (``model_to_string(num_iteration=r)``), registered with skl2onnx
so that the preprocessing pipeline and the trees convert in one ``to_onnx`` call. The
booster has no objective line (fairfront trains it with its own gradients); the
converter then reads it as a binary model with a logistic link, which is what the
scores mean.

Outputs: ``label`` (int64 [N], the index into ``classes_``: 1 = positive) and
``probabilities`` (float [N, 2]). ONNX's tree ensembles compare float32 features
with float32 thresholds and sum in float32; the parity check of the export measures
the difference to Python on the test split (the card records it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from skl2onnx import update_registered_converter
from skl2onnx.common.data_types import FloatTensorType, Int64TensorType

from ..learners import FairGBMClassifier

__all__ = ["ALIAS", "register_lightgbm_converter", "truncated_booster"]

ALIAS = "FairfrontFairGBMClassifier"


def truncated_booster(learner: FairGBMClassifier, n_rounds: int | None = None) -> Any:
    """A new LightGBM booster holding the first ``n_rounds`` trees (default: the selected round)."""
    import lightgbm

    rounds = int(learner.selected_round_ if n_rounds is None else n_rounds)
    if not 1 <= rounds <= learner.n_estimators_:
        raise ValueError(
            f"round {rounds} does not exist: this model has rounds 1 to {learner.n_estimators_}"
        )
    text = learner.booster_.model_to_string(num_iteration=rounds)
    return lightgbm.Booster(model_str=text)


@dataclass(frozen=True)
class _BoosterView:
    """What ``convert_lightgbm`` reads from an ``LGBMClassifier``: the booster and classes.

    Classes are 0 and 1, so the label output is the index into the learner's ``classes_``.
    """

    booster_: Any
    classes_: np.ndarray
    boosting_type: str = "gbdt"


def _parser(scope: Any, model: Any, inputs: Any, custom_parsers: Any = None) -> Any:
    # skl2onnx's Pipeline parser sets zipmap=True on every classifier step; the option is
    # accepted and ignored: the outputs are always tensors.
    scope.get_options(model, {"zipmap": False})
    operator = scope.declare_local_operator(ALIAS, model)
    operator.inputs = inputs
    operator.outputs.append(scope.declare_local_variable("label", Int64TensorType()))
    operator.outputs.append(scope.declare_local_variable("probabilities", FloatTensorType()))
    return operator.outputs


def _shape_calculator(operator: Any) -> None:
    if len(operator.inputs) != 1:
        raise RuntimeError(f"{ALIAS} takes one input tensor, got {len(operator.inputs)}")
    shape = operator.inputs[0].type.shape
    n = shape[0] if shape else None
    operator.outputs[0].type = Int64TensorType([n])
    operator.outputs[1].type = FloatTensorType([n, 2])


def _converter(scope: Any, operator: Any, container: Any) -> None:
    from onnxmltools.convert.lightgbm.operator_converters.LightGbm import convert_lightgbm

    learner: FairGBMClassifier = operator.raw_operator
    view = _BoosterView(truncated_booster(learner), np.array([0, 1], dtype=np.int64))
    operator.raw_operator = view
    try:
        convert_lightgbm(scope, operator, container)
    finally:
        operator.raw_operator = learner


_registered: set[type] = set()


def register_lightgbm_converter() -> list[type]:
    """Register the FairGBMClassifier converter with skl2onnx (idempotent; needs onnxmltools)."""
    if FairGBMClassifier not in _registered:
        update_registered_converter(
            FairGBMClassifier,
            ALIAS,
            _shape_calculator,
            _converter,
            parser=_parser,
            options={"zipmap": [False, True]},
        )
        _registered.add(FairGBMClassifier)
    return sorted(_registered, key=lambda c: c.__name__)
