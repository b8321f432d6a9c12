"""Histogram trees (``fairfront.learners._hist``) against independent computations.

The oracle: on COMPAS's real features, binned by ``FeatureBins``, every split of every
node is searched by brute force (a boolean mask per feature and bin, the Gini criterion
computed from the masked weights directly) and compared with the split the grower
found from its histograms. scikit-learn's exact tree is a second oracle where the
candidate splits coincide (features with few distinct values).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.tree import DecisionTreeClassifier

from fairfront.datasets import Dataset
from fairfront.learners import (
    AdaFairClassifier,
    HistogramTree,
    MMMFairClassifier,
    fairness_costs,
)
from fairfront.learners._boosting import _RoundCosts, imbalance_costs
from fairfront.learners._hist import FeatureBins, HistogramTreeGrower
from fairfront.metrics import GroupIndex, evaluate_many


@pytest.fixture(scope="module")
def compas_matrix(compas: Dataset) -> SimpleNamespace:
    pre = compas.preprocessor().fit(compas.X)
    X = sp.csr_matrix(pre.transform(compas.X), dtype=np.float32)
    return SimpleNamespace(X=X, dense=X.toarray(), y=np.asarray(compas.y, dtype=np.intp))


def _bin_matrix(bins: FeatureBins, dense: np.ndarray) -> np.ndarray:
    """Every row's bin of every feature, by searchsorted on the raw values (independent
    of the bundles and codes the grower uses)."""
    return np.column_stack(
        [
            np.searchsorted(bins.edges[j], dense[:, j].astype(np.float64), side="left")
            for j in range(dense.shape[1])
        ]
    )


def _proxy(weights: np.ndarray, y: np.ndarray, left: np.ndarray) -> float:
    """sum_k w_left_k^2 / w_left + sum_k w_right_k^2 / w_right (Gini's proxy), or -inf."""
    out = 0.0
    for side in (left, ~left):
        w = weights[side]
        total = w.sum()
        if total <= 0:
            return -np.inf
        out += (w[y[side] == 0].sum() ** 2 + w[y[side] == 1].sum() ** 2) / total
    return out


def _brute_force_best(
    binned: np.ndarray, weights: np.ndarray, y: np.ndarray, rows: np.ndarray
) -> float:
    """The best proxy over every feature and bin threshold, for the node holding ``rows``."""
    best = -np.inf
    for j in range(binned.shape[1]):
        column = binned[rows, j]
        for b in np.unique(column)[:-1]:
            best = max(best, _proxy(weights[rows], y[rows], column <= b))
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tree_splits_match_brute_force_on_binned_compas(
    compas_matrix: SimpleNamespace, seed: int
) -> None:
    data = compas_matrix
    bins = FeatureBins(data.X, max_bins=16)  # few bins, so quantile bins are exercised
    assert bins.n_bundles < data.X.shape[1]  # the one-hot columns were bundled
    assert len(bins.column_bundles) < bins.n_bundles  # and small bundles share columns
    binned = _bin_matrix(bins, data.dense)
    rng = np.random.default_rng(seed)
    weights = rng.exponential(size=data.y.shape[0]) ** 2
    weights /= weights.sum()
    grower = HistogramTreeGrower(bins, bins.codes, data.y, max_depth=2)
    tree, leaf = grower.grow(weights)
    structure = tree.tree_
    assert structure.node_count == 7  # COMPAS supports a full depth-2 tree
    rows_of = {0: np.arange(data.y.shape[0])}
    for node in range(structure.node_count):
        rows = rows_of[node]
        w, y = weights[rows], data.y[rows]
        # the leaf value: the node's weighted class fractions
        expected = np.array([w[y == 0].sum(), w[y == 1].sum()]) / w.sum()
        np.testing.assert_allclose(structure.value[node, 0], expected, rtol=1e-9)
        if structure.children_left[node] == -1:
            assert set(np.flatnonzero(leaf == node)) == set(rows)
            continue
        j = int(structure.feature[node])
        goes_left = data.dense[rows, j].astype(np.float64) <= structure.threshold[node]
        found = _proxy(weights[rows], data.y[rows], goes_left)
        best = _brute_force_best(binned, weights, data.y, rows)
        assert found == pytest.approx(best, rel=1e-10)
        rows_of[int(structure.children_left[node])] = rows[goes_left]
        rows_of[int(structure.children_right[node])] = rows[~goes_left]
    # The same leaves from raw values (as predict and ONNX do) and from the codes.
    assert np.array_equal(tree.apply(data.X), leaf)
    assert np.array_equal(tree.apply(data.dense), leaf)
    assert np.array_equal(grower.apply_codes(tree, bins.codes), leaf)


def test_thresholds_are_midpoints_and_bins_match_raw_comparisons(
    compas_matrix: SimpleNamespace,
) -> None:
    data = compas_matrix
    bins = FeatureBins(data.X, max_bins=255)
    for j in range(data.dense.shape[1]):
        values = np.unique(data.dense[:, j].astype(np.float64))
        if values.shape[0] <= 255:  # one bin per distinct value, midpoints between them
            np.testing.assert_array_equal(bins.edges[j], (values[:-1] + values[1:]) / 2)
        assert bins.n_bins[j] <= 255


def test_tree_matches_sklearn_when_every_feature_has_few_values(
    compas_matrix: SimpleNamespace,
) -> None:
    """With one bin per distinct value the candidate partitions are scikit-learn's."""
    data = compas_matrix
    distinct = [np.unique(data.dense[:, j]).shape[0] for j in range(data.dense.shape[1])]
    assert max(distinct) <= 255
    bins = FeatureBins(data.X)
    grower = HistogramTreeGrower(bins, bins.codes, data.y, max_depth=3)
    rng = np.random.default_rng(0)
    for _ in range(3):
        weights = rng.random(data.y.shape[0]) ** 3
        tree, leaf = grower.grow(weights)
        exact = DecisionTreeClassifier(max_depth=3, random_state=0)
        exact.fit(data.dense, data.y, sample_weight=weights)

        assert _weighted_gini(weights, data.y, leaf) == pytest.approx(
            _weighted_gini(weights, data.y, exact.apply(data.dense)), rel=1e-9
        )


def _weighted_gini(weights: np.ndarray, y: np.ndarray, leaves: np.ndarray) -> float:
    """Sum over leaves of leaf weight x Gini impurity (what a Gini tree minimises)."""
    total = 0.0
    for node in np.unique(leaves):
        w, labels = weights[leaves == node], y[leaves == node]
        p = w[labels == 1].sum() / w.sum()
        total += w.sum() * 2 * p * (1 - p)
    return total


def test_histogram_tree_predict_proba_is_the_leaf_fractions(
    compas_matrix: SimpleNamespace,
) -> None:
    data = compas_matrix
    bins = FeatureBins(data.X)
    tree, leaf = HistogramTreeGrower(bins, bins.codes, data.y, max_depth=2).grow(
        np.full(data.y.shape[0], 1.0 / data.y.shape[0])
    )
    assert isinstance(tree, HistogramTree)
    proba = tree.predict_proba(data.X)
    np.testing.assert_array_equal(proba, tree.tree_.value[leaf, 0])
    assert np.array_equal(tree.vote(data.X), proba[:, 1] > proba[:, 0])


def test_constant_and_dense_features_and_zero_weights() -> None:
    """A constant column, a dense column, rows of weight zero (left out of the bins)."""
    rng = np.random.default_rng(0)
    X = np.column_stack([np.ones(400), rng.normal(size=400), rng.integers(0, 3, 400)])
    y = (X[:, 1] + rng.normal(scale=0.5, size=400) > 0).astype(int)
    weight = np.where(np.arange(400) % 4 == 0, 0.0, 1.0)
    bins = FeatureBins(X, max_bins=32, sample_weight=weight)
    assert bins.n_bins[0] == 1 and bins.bundle[0] == -1
    kept = np.unique(X[weight > 0, 1].astype(np.float32).astype(np.float64))
    assert bins.edges[1].min() > kept.min() and bins.edges[1].max() < kept.max()
    tree, leaf = HistogramTreeGrower(bins, bins.codes, y, max_depth=2).grow(weight / weight.sum())
    assert 0 not in tree.tree_.feature[tree.tree_.children_left != -1]
    assert np.array_equal(tree.apply(X), leaf)


# ----- learners: hist against exact -----------------------------------------------------


@pytest.mark.slow
def test_hist_and_exact_fronts_on_adult_are_close(adult: Dataset) -> None:
    """MMM-Fair on Adult (sex, race, age), 80 rounds, both tree methods, same split.

    Within noise: the best test balanced accuracy over rounds and the worst eo of the
    selected round differ by less than the spread seen between seeds (about 0.02).
    """
    pre = adult.preprocessor().fit(adult.X)
    X, X_test = pre.transform(adult.X), pre.transform(adult.X_test)
    figures = {}
    for method in ("hist", "exact"):
        model = MMMFairClassifier(n_estimators=80, tree_method=method, random_state=0)
        model.fit(X, adult.y, sensitive_features=adult.sensitive)
        staged = model.staged_positive_matrix(X_test)
        test = evaluate_many(
            adult.y_test, staged, sensitive_features=adult.sensitive_test, notions=["eo"]
        )
        bal = test.overall["balanced_accuracy"]
        figures[method] = (float(np.nanmax(bal)), float(np.nanmedian(test.worst("eo"))))
    assert abs(figures["hist"][0] - figures["exact"][0]) < 0.02, figures
    assert abs(figures["hist"][1] - figures["exact"][1]) < 0.03, figures


def test_adafair_hist_stumps_split_like_exact_stumps_on_compas(
    compas: Dataset, compas_matrix: SimpleNamespace
) -> None:
    """The first round sees uniform weights: both tree methods fit the same stump."""
    models = [
        AdaFairClassifier(n_estimators=1, tree_method=method, random_state=0).fit(
            compas_matrix.X, compas.y, sensitive_features=compas.sensitive[["race"]]
        )
        for method in ("hist", "exact")
    ]
    hist, exact = (m.estimators_[0] for m in models)
    assert isinstance(hist, HistogramTree)
    proba = exact.predict_proba(compas_matrix.dense)
    assert np.array_equal(hist.vote(compas_matrix.X), proba[:, 1] > proba[:, 0])


# ----- the round's costs as a table --------------------------------------------------


@pytest.mark.parametrize("notions", [("tpr", "fpr"), ("selection_rate",), ("tpr", "tnr", "ppv")])
def test_round_cost_table_equals_the_row_by_row_costs(
    compas: Dataset, notions: tuple[str, ...]
) -> None:
    """The loop's lookup table gives every mistake the cost fairness_costs x
    imbalance_costs compute row by row (on COMPAS's race and sex, random predictions)."""
    groups = GroupIndex.from_sensitive(compas.sensitive)
    y = np.asarray(compas.y, dtype=np.intp)
    rng = np.random.default_rng(0)
    costs = _RoundCosts(y, groups)
    for _ in range(3):
        partial = rng.random(y.shape[0]) < 0.4
        wrong = rng.random(y.shape[0]) < 0.3
        expected = fairness_costs(y, partial, wrong, groups, notions, 2.5)
        expected *= imbalance_costs(y, partial, wrong, 0.5)
        table = costs.factors(costs.cell_counts(partial), notions, 2.5, 0.5)
        got = np.where(wrong, table[costs.key], 1.0)
        np.testing.assert_allclose(got, expected, rtol=1e-12)
        assert (expected > 1).any()


def test_auto_tree_method_takes_exact_trees_on_small_data_and_hist_on_large(
    compas: Dataset, compas_matrix: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fairfront.learners import _boosting

    def fit() -> MMMFairClassifier:
        return MMMFairClassifier(n_estimators=3, random_state=0).fit(
            compas_matrix.X, compas.y, sensitive_features=compas.sensitive
        )

    small = fit()
    assert small.tree_method_ == "exact"
    assert isinstance(small.estimators_[0], DecisionTreeClassifier)
    monkeypatch.setattr(_boosting, "AUTO_HIST_ROWS", 1000)  # COMPAS counts as large now
    large = fit()
    assert large.tree_method_ == "hist"
    assert all(isinstance(tree, HistogramTree) for tree in large.estimators_)
