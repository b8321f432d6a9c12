"""Group thresholds on the unconstrained model, as labelled references (COMPAS, race and sex).

Fairlearn's ``equalized_odds_difference`` is the oracle for the validation constraint.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import equalized_odds_difference
from sklearn.metrics import balanced_accuracy_score

from fairfront.datasets import Dataset
from fairfront.learners import (
    FairGBMClassifier,
    GroupThresholds,
    fit_group_thresholds,
    group_threshold_references,
)
from fairfront.metrics import GroupIndex


@pytest.fixture(scope="module")
def cmp(compas: Dataset) -> SimpleNamespace:
    pre = compas.preprocessor().fit(compas.X)
    return SimpleNamespace(
        X=pre.transform(compas.X),
        y=np.asarray(compas.y),
        s=compas.sensitive.reset_index(drop=True),
        X_test=pre.transform(compas.X_test),
        y_test=np.asarray(compas.y_test),
        s_test=compas.sensitive_test.reset_index(drop=True),
    )


def _worst_eo(y: np.ndarray, pred: np.ndarray, s: pd.DataFrame) -> float:
    return max(
        equalized_odds_difference(y, pred, sensitive_features=s[column]) for column in s.columns
    )


def test_references_meet_their_validation_bound(cmp: SimpleNamespace) -> None:
    refs = group_threshold_references(
        cmp.X, cmp.y, cmp.s, cmp.X_test, cmp.y_test, cmp.s_test, bounds=(0.1,), n_estimators=60
    )
    (ref,) = refs
    assert ref["needs_protected_at_prediction"] is True
    assert "needs race, sex at prediction time" in ref["label"]
    assert ref["meets_bound"] is True
    assert set(ref) >= {"label", "validation", "test", "thresholds", "bound"}

    # Rebuild the validation rows and scores and check the bound with Fairlearn.
    model = FairGBMClassifier(n_estimators=60, fairness_weight=0.0, random_state=0).fit(
        cmp.X, cmp.y, sensitive_features=cmp.s
    )
    rows = model.validation_indices_
    best = int(np.nanargmax(model.validation_metrics_.overall["balanced_accuracy"])) + 1
    assert ref["base_model"].startswith(f"class-balanced LightGBM, round {best} ")
    scores = model.at_round(best).decision_function(cmp.X[rows])
    thresholds = GroupThresholds(tuple(cmp.s.columns), ref["thresholds"])
    pred = thresholds.predict(scores, cmp.s.iloc[rows]).astype(int)
    y_val = cmp.y[rows]
    assert _worst_eo(y_val, pred, cmp.s.iloc[rows]) <= 0.1 + 1e-12
    assert ref["validation"]["eo"]["value"] == pytest.approx(
        _worst_eo(y_val, pred, cmp.s.iloc[rows]), abs=1e-12
    )
    assert ref["validation"]["balanced_accuracy"] == pytest.approx(
        balanced_accuracy_score(y_val, pred), abs=1e-12
    )
    # Several cells, several thresholds: it needs the protected attributes.
    assert len(ref["thresholds"]) == 4
    assert len(set(ref["thresholds"].values())) > 1
    # The unconstrained model at threshold 0 is further from the bound.
    assert _worst_eo(y_val, (scores > 0).astype(int), cmp.s.iloc[rows]) > 0.1


def test_search_counts_equal_the_metrics_engine(cmp: SimpleNamespace) -> None:
    """The search's count-based balanced accuracy and worst eo, against Fairlearn."""
    rng = np.random.default_rng(0)
    scores = rng.normal(size=cmp.y.shape[0]) + cmp.y
    fitted = fit_group_thresholds(scores, cmp.y, cmp.s, notions=["eo"], bound=0.05)
    pred = fitted.predict(scores, cmp.s).astype(int)
    assert _worst_eo(cmp.y, pred, cmp.s) <= 0.05 + 1e-12
    cells, labels = GroupIndex.from_sensitive(cmp.s).intersection()
    assert set(fitted.thresholds) == set(labels)
    assert np.array_equal(pred, scores > np.array([fitted.thresholds[x] for x in labels])[cells])


def test_notions_that_add_two_gaps_are_refused(cmp: SimpleNamespace) -> None:
    with pytest.raises(ValueError, match="adds two gaps"):
        fit_group_thresholds(np.zeros(cmp.y.shape[0]), cmp.y, cmp.s, notions=["eo_sum"])
