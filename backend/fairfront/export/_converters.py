"""skl2onnx converters for the fair boosting learners (AdaFair, MMM-Fair).

A fitted :class:`~fairfront.learners.FairBoostingClassifier` predicts with its first
``r = selected_round_`` trees: tree t votes v_t(x) = +1 when its ``predict_proba``
column 1 beats column 0 (ties vote -1), the score is s(x) = sum_t alpha_t v_t(x), the
decision d = s / sum_t alpha_t, ``predict_proba`` = [1 - (1 + d) / 2, (1 + d) / 2] and
``predict`` = ``classes_[1]`` when d > 0, else ``classes_[0]`` (d == 0 is negative).

The graph does the same with one ``TreeEnsembleRegressor`` (ai.onnx.ml, opset 3):

* its trees are the first r trees (scikit-learn trees or fairfront's histogram trees,
  which keep raw-value thresholds in the same arrays), node for node; a leaf's weight
  is alpha_t times the leaf's vote, decided from the leaf's class distribution exactly
  as scikit-learn decides (``value[:, 1] > value[:, 0]``, ties -1), so the ensemble's
  sum is s(x);
* the features are rounded to float32 (as scikit-learn's trees do; a no-op for the
  pipeline's float features), then cast to double (exact), and the split thresholds are
  scikit-learn's own doubles with ``BRANCH_LEQ``: a row goes left when
  ``float32(x) <= threshold``, which is scikit-learn's test, bit for bit;
* the sum is accumulated in double (onnxruntime does so for double input) and comes
  out as float: rounding to float keeps its sign, so ``label = s > 0`` is the sign of
  a double sum, as in Python; only the order of the additions may differ, which can
  matter only for rows whose score is within ~1e-15 of zero relative to sum(alpha);
* d = s / sum(alpha) and the probabilities are computed in double, then cast to
  float: they differ from Python's by at most a few 1e-8.

Outputs: ``label`` (int64 [N], the index into ``classes_``: 1 = positive) and
``probabilities`` (float [N, 2], columns in ``classes_`` order). Never a ZipMap: the
registered option ``zipmap`` (pass False) is accepted only because skl2onnx's
Pipeline parser sets it on every classifier step; True is ignored.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from onnx import TensorProto, numpy_helper
from skl2onnx import update_registered_converter
from skl2onnx.common.data_types import FloatTensorType, Int64TensorType
from sklearn.tree import DecisionTreeClassifier

from ..learners import FairBoostingClassifier, HistogramTree

__all__ = [
    "ALIAS",
    "ML_OPSET",
    "TreeArrays",
    "ensemble_arrays",
    "leaf_votes",
    "register_converters",
]

ALIAS = "FairfrontFairBoostingClassifier"
ML_OPSET = 3
"""ai.onnx.ml opset of ``TreeEnsembleRegressor`` with double thresholds and weights."""

_TREE_LEAF = -1


def leaf_votes(tree: DecisionTreeClassifier | HistogramTree) -> np.ndarray:
    """+1 / -1 per node: the vote of a row that ends in that node (meaningful at leaves).

    scikit-learn's ``predict_proba`` returns the leaf's ``value`` (class fractions)
    as is; the learner votes +1 when column 1 is strictly larger than column 0. A
    :class:`~fairfront.learners.HistogramTree` holds the same arrays and votes the same.
    """
    value = np.asarray(tree.tree_.value)[:, 0, :]
    return np.where(value[:, 1] > value[:, 0], 1.0, -1.0)


def _check_tree(tree: Any, t: int) -> DecisionTreeClassifier | HistogramTree:
    if not isinstance(tree, DecisionTreeClassifier | HistogramTree):
        raise TypeError(
            f"tree {t + 1} is a {type(tree).__name__}; ONNX export handles scikit-learn "
            "DecisionTreeClassifier and fairfront HistogramTree weak learners only"
        )
    if tree.n_outputs_ != 1 or int(tree.n_classes_) != 2:
        raise TypeError(f"tree {t + 1} is not a binary single-output tree")
    # No NaN reaches the trees: the learner rejects non-finite input and the
    # preprocessor imputes, so scikit-learn's missing-value routing never applies.
    return tree


class TreeArrays:
    """The attributes of one ``TreeEnsembleRegressor`` holding the first r trees."""

    def __init__(self, learner: FairBoostingClassifier, n_rounds: int) -> None:
        if not 1 <= n_rounds <= len(learner.estimators_):
            raise ValueError(
                f"round {n_rounds} does not exist: this model has rounds 1 to "
                f"{len(learner.estimators_)}"
            )
        alphas = np.asarray(learner.estimator_weights_, dtype=np.float64)[:n_rounds]
        if not np.all(np.isfinite(alphas)) or np.any(alphas <= 0):
            raise ValueError("the learner's estimator weights must be finite and positive")
        # Same reduction as FairBoostingClassifier.decision_function: numpy's sum.
        self.alpha_sum = float(alphas.sum())
        tree_ids: list[np.ndarray] = []
        node_ids: list[np.ndarray] = []
        features: list[np.ndarray] = []
        thresholds: list[np.ndarray] = []
        modes: list[str] = []
        true_ids: list[np.ndarray] = []
        false_ids: list[np.ndarray] = []
        leaf_tree: list[np.ndarray] = []
        leaf_node: list[np.ndarray] = []
        leaf_weight: list[np.ndarray] = []
        for t in range(n_rounds):
            tree = _check_tree(learner.estimators_[t], t)
            structure = tree.tree_
            n = int(structure.node_count)
            left = np.asarray(structure.children_left, dtype=np.int64)
            right = np.asarray(structure.children_right, dtype=np.int64)
            is_leaf = left == _TREE_LEAF
            tree_ids.append(np.full(n, t, dtype=np.int64))
            node_ids.append(np.arange(n, dtype=np.int64))
            features.append(np.where(is_leaf, 0, np.asarray(structure.feature, dtype=np.int64)))
            thresholds.append(np.where(is_leaf, 0.0, np.asarray(structure.threshold, np.float64)))
            modes += ["LEAF" if leaf else "BRANCH_LEQ" for leaf in is_leaf]
            true_ids.append(np.where(is_leaf, 0, left))
            false_ids.append(np.where(is_leaf, 0, right))
            leaves = np.flatnonzero(is_leaf)
            leaf_tree.append(np.full(leaves.shape[0], t, dtype=np.int64))
            leaf_node.append(leaves.astype(np.int64))
            leaf_weight.append(alphas[t] * leaf_votes(tree)[leaves])
        self.n_trees = n_rounds
        self.n_features = int(learner.n_features_in_)
        self.nodes_treeids = np.concatenate(tree_ids)
        self.nodes_nodeids = np.concatenate(node_ids)
        self.nodes_featureids = np.concatenate(features)
        self.nodes_values = np.concatenate(thresholds)
        self.nodes_modes = modes
        self.nodes_truenodeids = np.concatenate(true_ids)
        self.nodes_falsenodeids = np.concatenate(false_ids)
        self.target_treeids = np.concatenate(leaf_tree)
        self.target_nodeids = np.concatenate(leaf_node)
        self.target_weights = np.concatenate(leaf_weight)

    @property
    def n_nodes(self) -> int:
        return int(self.nodes_nodeids.shape[0])

    def attributes(self) -> dict[str, Any]:
        """Keyword attributes of the ONNX node (double thresholds and weights as tensors)."""
        n_leaves = int(self.target_nodeids.shape[0])
        return {
            "n_targets": 1,
            "aggregate_function": "SUM",
            "post_transform": "NONE",
            "nodes_treeids": self.nodes_treeids.tolist(),
            "nodes_nodeids": self.nodes_nodeids.tolist(),
            "nodes_featureids": self.nodes_featureids.tolist(),
            "nodes_modes": list(self.nodes_modes),
            "nodes_truenodeids": self.nodes_truenodeids.tolist(),
            "nodes_falsenodeids": self.nodes_falsenodeids.tolist(),
            "nodes_values_as_tensor": numpy_helper.from_array(
                self.nodes_values.astype(np.float64), "nodes_values"
            ),
            "target_treeids": self.target_treeids.tolist(),
            "target_nodeids": self.target_nodeids.tolist(),
            "target_ids": [0] * n_leaves,
            "target_weights_as_tensor": numpy_helper.from_array(
                self.target_weights.astype(np.float64), "target_weights"
            ),
        }


def ensemble_arrays(learner: FairBoostingClassifier, n_rounds: int | None = None) -> TreeArrays:
    """The tree ensemble of ``learner`` truncated at ``n_rounds`` (default: its selected round)."""
    return TreeArrays(learner, int(learner.selected_round_ if n_rounds is None else n_rounds))


# ----- skl2onnx hooks ---------------------------------------------------------------


def _parser(scope: Any, model: Any, inputs: Any, custom_parsers: Any = None) -> Any:
    # skl2onnx's Pipeline parser sets zipmap=True on every classifier step it is not
    # told about; the option is accepted and ignored: the outputs are always tensors.
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


class _Nodes:
    """Adds nodes and constants to a skl2onnx container under fresh, unique names."""

    def __init__(self, scope: Any, container: Any) -> None:
        self.scope, self.container = scope, container

    def add(
        self, op: str, inputs: list[str], output: str, *, op_name: str, into: str = "", **attrs: Any
    ) -> str:
        """Node ``op`` writing a fresh variable named like ``output`` (or exactly ``into``,
        a graph output); ``attrs`` are the node's attributes. Returns the name it wrote."""
        target = into or self.scope.get_unique_variable_name(output)
        self.container.add_node(
            op, inputs, [target], name=self.scope.get_unique_operator_name(op_name), **attrs
        )
        return target

    def constant(self, name: str, dtype: int, dims: list[int], values: list[float]) -> str:
        variable: str = self.scope.get_unique_variable_name(name)
        self.container.add_initializer(variable, dtype, dims, values)
        return variable


def _converter(scope: Any, operator: Any, container: Any) -> None:
    learner: FairBoostingClassifier = operator.raw_operator
    arrays = ensemble_arrays(learner)
    g = _Nodes(scope, container)
    source = operator.inputs[0]
    features = source.full_name
    if not isinstance(source.type, FloatTensorType):
        # scikit-learn's trees see float32 values: round other inputs to float32 first.
        features = g.add(
            "Cast", [features], "features_float32", op_name="CastToFloat", to=TensorProto.FLOAT
        )
    features = g.add(
        "Cast", [features], "features_double", op_name="CastToDouble", to=TensorProto.DOUBLE
    )
    score = g.add(
        "TreeEnsembleRegressor",
        [features],
        "vote_sum",
        op_name="FairBoostingTrees",
        op_domain="ai.onnx.ml",
        op_version=ML_OPSET,
        **arrays.attributes(),
    )

    # label = index into classes_: 1 when the weighted vote is > 0 (a tie is negative).
    zero = g.constant("zero", TensorProto.FLOAT, [], [0.0])
    positive = g.add("Greater", [score, zero], "is_positive", op_name="Greater")
    label_2d = g.add("Cast", [positive], "label_2d", op_name="CastLabel", to=TensorProto.INT64)
    flat = g.constant("flat_shape", TensorProto.INT64, [1], [-1])
    g.add(
        "Reshape",
        [label_2d, flat],
        "label",
        op_name="ReshapeLabel",
        into=operator.outputs[0].full_name,
    )

    # probabilities in double: d = s / sum(alpha); p1 = (1 + d) / 2; p0 = 1 - p1.
    score_double = g.add(
        "Cast", [score], "vote_sum_double", op_name="CastScore", to=TensorProto.DOUBLE
    )
    total = g.constant("alpha_sum", TensorProto.DOUBLE, [], [arrays.alpha_sum])
    one = g.constant("one", TensorProto.DOUBLE, [], [1.0])
    two = g.constant("two", TensorProto.DOUBLE, [], [2.0])
    decision = g.add("Div", [score_double, total], "decision", op_name="Div")
    shifted = g.add("Add", [one, decision], "one_plus_decision", op_name="Add")
    p_positive = g.add("Div", [shifted, two], "p_positive", op_name="Div")
    p_negative = g.add("Sub", [one, p_positive], "p_negative", op_name="Sub")
    both = g.add(
        "Concat", [p_negative, p_positive], "probabilities_double", op_name="Concat", axis=1
    )
    g.add(
        "Cast",
        [both],
        "probabilities",
        op_name="CastProbabilities",
        into=operator.outputs[1].full_name,
        to=TensorProto.FLOAT,
    )


def _subclasses(base: type[Any]) -> list[type[Any]]:
    found: list[type[Any]] = []
    for cls in base.__subclasses__():
        found.append(cls)
        found += _subclasses(cls)
    return found


_registered: set[type] = set()


def register_converters() -> list[type]:
    """Register the converter for every subclass of FairBoostingClassifier (idempotent).

    After this, ``skl2onnx.to_onnx(pipeline, initial_types=...)`` converts a pipeline
    ending in an AdaFair or MMM-Fair learner in one call. Returns the classes registered.
    """
    for cls in _subclasses(FairBoostingClassifier):
        if cls in _registered:
            continue
        update_registered_converter(
            cls,
            ALIAS,
            _shape_calculator,
            _converter,
            parser=_parser,
            options={"zipmap": [False, True]},
        )
        _registered.add(cls)
    return sorted(_registered, key=lambda c: c.__name__)
