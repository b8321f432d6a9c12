"""The metrics engine against Fairlearn's MetricFrame (the oracle), on real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    count,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_positive_rate,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)
from sklearn.metrics import accuracy_score, balanced_accuracy_score, precision_score
from sklearn.tree import DecisionTreeClassifier

from fairfront.datasets import Dataset, load_dataset
from fairfront.metrics import (
    GroupIndex,
    MissingGroupError,
    confusion_by_group,
    evaluate,
    evaluate_many,
)

TOL = 1e-9

# notion -> the per-group metric whose between-groups difference/ratio it is
SINGLE_RATE = {
    "dp": selection_rate,
    "eop": true_positive_rate,
    "fpr": false_positive_rate,
    "acc": accuracy_score,
    "ppv": lambda y, p: precision_score(y, p, zero_division=0),
}


def _predictions(data: Dataset) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """A real model's test-split predictions (a depth-4 tree on the one-hot features)."""
    pre = data.preprocessor()
    model = DecisionTreeClassifier(max_depth=4, random_state=0)
    model.fit(pre.fit_transform(data.X), data.y)
    assert data.X_test is not None and data.y_test is not None
    assert data.sensitive_test is not None
    return data.y_test, model.predict(pre.transform(data.X_test)), data.sensitive_test


@pytest.fixture(
    scope="module",
    params=[
        ("adult", None),
        ("adult", ["sex", "race:all", "age:25,45,65"]),
        ("compas", None),
        ("compas", ["race:all", "sex"]),
    ],
    ids=["adult-default", "adult-all-values", "compas-default", "compas-all-values"],
)
def case(request: pytest.FixtureRequest) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    name, protected = request.param
    return _predictions(load_dataset(name, protected=protected))


def test_per_attribute_differences_and_ratios_match_fairlearn(case) -> None:
    y, pred, sensitive = case
    report = evaluate(y, pred, sensitive_features=sensitive)
    for attribute in sensitive.columns:
        sf = sensitive[attribute]
        got = report.attributes[attribute]
        for notion, metric in SINGLE_RATE.items():
            frame = MetricFrame(metrics=metric, y_true=y, y_pred=pred, sensitive_features=sf)
            assert got.differences[notion] == pytest.approx(frame.difference(), abs=TOL), notion
            assert got.ratios[notion] == pytest.approx(frame.ratio(), abs=TOL), notion
        assert got.differences["eo"] == pytest.approx(
            equalized_odds_difference(y, pred, sensitive_features=sf), abs=TOL
        )
        assert got.ratios["eo"] == pytest.approx(
            equalized_odds_ratio(y, pred, sensitive_features=sf), abs=TOL
        )
        assert got.differences["dp"] == pytest.approx(
            demographic_parity_difference(y, pred, sensitive_features=sf), abs=TOL
        )
        assert got.ratios["dp"] == pytest.approx(
            demographic_parity_ratio(y, pred, sensitive_features=sf), abs=TOL
        )
        tpr = MetricFrame(metrics=true_positive_rate, y_true=y, y_pred=pred, sensitive_features=sf)
        tnr = MetricFrame(metrics=true_negative_rate, y_true=y, y_pred=pred, sensitive_features=sf)
        assert got.differences["eo_sum"] == pytest.approx(
            tpr.difference() + tnr.difference(), abs=TOL
        )
        sizes = MetricFrame(metrics=count, y_true=y, y_pred=pred, sensitive_features=sf).by_group
        for group, n in sizes.items():
            assert got.groups[str(group)]["n"] == n


def test_group_rates_match_fairlearn_by_group(case) -> None:
    y, pred, sensitive = case
    report = evaluate(y, pred, sensitive_features=sensitive)
    for attribute in sensitive.columns:
        frame = MetricFrame(
            metrics={"tpr": true_positive_rate, "fpr": false_positive_rate, "sr": selection_rate},
            y_true=y,
            y_pred=pred,
            sensitive_features=sensitive[attribute],
        )
        for group, row in frame.by_group.iterrows():
            stats = report.attributes[attribute].groups[str(group)]
            assert stats["tpr"] == pytest.approx(row["tpr"], abs=TOL)
            assert stats["fpr"] == pytest.approx(row["fpr"], abs=TOL)
            assert stats["selection_rate"] == pytest.approx(row["sr"], abs=TOL)


def test_intersectional_cells_match_fairlearn(case) -> None:
    y, pred, sensitive = case
    report = evaluate(y, pred, sensitive_features=sensitive, min_group_size=0)
    assert report.intersectional is not None
    cells = report.intersectional.groups
    # Our convention: a rate with a zero denominator (no positives, no positive
    # predictions in a cell) is undefined and left out; sklearn scores it 0. Compare
    # on the cells where both define it.
    denominators = {"dp": "n", "eop": "tpr", "fpr": "fpr", "acc": "n", "ppv": "ppv"}
    for notion, metric in SINGLE_RATE.items():
        frame = MetricFrame(metrics=metric, y_true=y, y_pred=pred, sensitive_features=sensitive)
        by_group = frame.by_group.dropna()
        keep = [
            k
            for k in by_group.index
            if not np.isnan(float(cells[" & ".join(map(str, k))][denominators[notion]]))
        ]
        expected = by_group[keep].max() - by_group[keep].min()
        assert report.intersectional.differences[notion] == pytest.approx(expected, abs=TOL)
    counts = MetricFrame(metrics=count, y_true=y, y_pred=pred, sensitive_features=sensitive)
    observed = counts.by_group[counts.by_group > 0]  # fairlearn also lists empty cells
    assert len(cells) == len(observed)
    for key, n in observed.items():
        assert cells[" & ".join(map(str, key))]["n"] == n


def test_overall_performance_matches_scikit_learn(case) -> None:
    y, pred, sensitive = case
    report = evaluate(y, pred, sensitive_features=sensitive)
    assert report.overall["accuracy"] == pytest.approx(accuracy_score(y, pred), abs=TOL)
    assert report.overall["balanced_accuracy"] == pytest.approx(
        balanced_accuracy_score(y, pred), abs=TOL
    )
    assert report.overall["balanced_error"] == pytest.approx(
        1 - balanced_accuracy_score(y, pred), abs=TOL
    )
    assert not report.trivial


def test_small_intersectional_cells_are_flagged_and_left_out(adult: Dataset) -> None:
    y, pred, sensitive = _predictions(load_dataset("adult", protected=["sex", "race:all"]))
    report = evaluate(y, pred, sensitive_features=sensitive, min_group_size=100)
    assert report.intersectional is not None
    cells = report.intersectional.groups
    small = [g for g, s in cells.items() if s["small"]]
    assert small, "adult's sex x race has cells under 100 rows in the test split"
    assert all(cells[g]["excluded"] for g in small)
    kept = [s["selection_rate"] for s in cells.values() if not s["small"]]
    assert report.intersectional.differences["dp"] == pytest.approx(max(kept) - min(kept))
    assert set(small) <= set(report.small_groups)


def test_many_models_table_equals_single_reports(compas: Dataset) -> None:
    y, pred, sensitive = _predictions(compas)
    rng = np.random.default_rng(0)
    flips = rng.random((y.shape[0], 5)) < np.linspace(0, 0.4, 5)
    many = np.where(flips, 1 - pred[:, None], pred[:, None])
    table = evaluate_many(y, many, sensitive_features=sensitive, notions=["eo", "dp", "eo_sum"])
    for j in range(many.shape[1]):
        single = evaluate(y, many[:, j], sensitive_features=sensitive)
        _assert_blocks_close(table.block(j), single.block())
        assert table.trivial[j] == single.trivial


def _assert_blocks_close(a: dict, b: dict) -> None:
    for key, value in a.items():
        if key == "group_sizes":
            assert key not in b or value == b[key]
        elif isinstance(value, dict):
            if "ci" in value and "ci" in b[key]:
                assert value["ci"]["value"] == pytest.approx(b[key]["ci"]["value"], abs=TOL)
            assert value["value"] == pytest.approx(b[key]["value"], abs=TOL)
            for attr, v in value["by_attribute"].items():
                assert v == pytest.approx(b[key]["by_attribute"][attr], abs=TOL)
        else:
            assert value == pytest.approx(b[key], abs=TOL)


def test_trivial_model_is_flagged(compas: Dataset) -> None:
    assert compas.y_test is not None
    all_negative = np.zeros_like(compas.y_test)
    report = evaluate(compas.y_test, all_negative, sensitive_features=compas.sensitive_test)
    assert report.trivial
    assert report.violation("dp") == 0.0
    assert report.overall["balanced_accuracy"] == pytest.approx(0.5)


def test_weighted_counts_equal_repeated_rows(compas: Dataset) -> None:
    y, pred, sensitive = _predictions(compas)
    weights = np.random.default_rng(1).integers(1, 4, y.shape[0])
    weighted = evaluate(y, pred, sensitive_features=sensitive, sample_weight=weights.astype(float))
    rows = np.repeat(np.arange(y.shape[0]), weights)
    repeated = evaluate(y[rows], pred[rows], sensitive_features=sensitive.iloc[rows])
    _assert_blocks_close(weighted.block(), repeated.block())


def test_missing_group_value_names_the_attribute() -> None:
    sensitive = pd.DataFrame({"sex": ["F", "M", None, "M"]})
    with pytest.raises(MissingGroupError, match="'sex'"):
        evaluate([0, 1, 1, 0], [0, 1, 0, 0], sensitive_features=sensitive)


def test_unknown_notion_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="unknown fairness notion 'foo'.*eo_sum"):
        evaluate([0, 1], [0, 1], sensitive_features=["a", "b"], notions=["foo"])


def test_confusion_counts_of_a_few_models_equal_one_model_at_a_time(compas: Dataset) -> None:
    """The bincount path (a few models) and the indicator-matrix path (many) give the
    counts of each model scored alone, on COMPAS's labels and race groups."""
    y = np.asarray(compas.y)
    codes = GroupIndex.from_sensitive(compas.sensitive, y.shape[0]).codes[0]
    n_groups = int(codes.max()) + 1
    rng = np.random.default_rng(0)
    for m in (1, 3, 4, 5, 12):
        pred = rng.random((y.shape[0], m)) < np.linspace(0.1, 0.9, m)
        counts = confusion_by_group(y, pred, codes, n_groups)
        alone = np.concatenate(
            [confusion_by_group(y, pred[:, j], codes, n_groups) for j in range(m)]
        )
        np.testing.assert_array_equal(counts, alone)
        brute = [
            [
                [((codes == g) & (y == label) & (pred[:, -1] == p)).sum() for p in (0, 1)]
                for label in (0, 1)
            ]
            for g in range(n_groups)
        ]
        np.testing.assert_array_equal(counts[-1], brute)
