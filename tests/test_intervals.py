"""Confidence intervals of the metrics engine: against scipy's Wilson interval, a
scalar Newcombe oracle, a plain row-resampling loop, and coverage on synthetic data."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.stats import binomtest

from fairfront.metrics import NOTIONS, evaluate, evaluate_many
from fairfront.metrics._counts import confusion_by_group
from fairfront.metrics._intervals import (
    gap_interval,
    notion_interval,
    rate_intervals,
    wilson,
)


def _newcombe_scalar(
    k1: int, n1: int, k2: int, n2: int, level: float = 0.95
) -> tuple[float, float]:
    """Newcombe's method 10 written out from scipy's Wilson intervals."""
    a = binomtest(k1, n1).proportion_ci(level, method="wilson")
    b = binomtest(k2, n2).proportion_ci(level, method="wilson")
    p1, p2 = k1 / n1, k2 / n2
    lo = p1 - p2 - math.sqrt((p1 - a.low) ** 2 + (b.high - p2) ** 2)
    hi = p1 - p2 + math.sqrt((a.high - p1) ** 2 + (p2 - b.low) ** 2)
    return lo, hi


def test_wilson_matches_scipy() -> None:
    for k, n in [(0, 5), (1, 20), (7, 20), (20, 20), (300, 1000), (3, 14)]:
        ci = wilson(np.array(k), np.array(n))
        ref = binomtest(k, n).proportion_ci(0.95, method="wilson")
        assert float(ci.lo) == pytest.approx(ref.low, abs=1e-12)
        assert float(ci.hi) == pytest.approx(ref.high, abs=1e-12)
    assert np.isnan(wilson(np.array(0), np.array(0)).lo)


def test_gap_interval_matches_scalar_oracle_over_pairs() -> None:
    """Gap of G groups: the largest |difference| ends over all pairs, by brute force."""
    rng = np.random.default_rng(3)
    for _ in range(20):
        G = int(rng.integers(2, 5))
        n = rng.integers(5, 200, size=G)
        k = rng.binomial(n, rng.uniform(0, 1, size=G))
        got = gap_interval(k, n)
        near, far = [], []
        strict = 1 - 0.05 / (G * (G - 1) / 2)  # Bonferroni over pairs, lower end
        for a, b in itertools.permutations(range(G), 2):
            lo, hi = _newcombe_scalar(int(k[a]), int(n[a]), int(k[b]), int(n[b]))
            far.append(max(abs(lo), abs(hi)))
            lo, hi = _newcombe_scalar(int(k[a]), int(n[a]), int(k[b]), int(n[b]), strict)
            near.append(lo if lo > 0 else (-hi if hi < 0 else 0.0))
        assert float(got.lo) == pytest.approx(max(near), abs=1e-12)
        assert float(got.hi) == pytest.approx(min(1.0, max(far)), abs=1e-12)
        assert float(got.lo) <= float(np.ptp(k / n)) <= float(got.hi)


def test_undefined_groups_are_left_out() -> None:
    k, n = np.array([10, 0, 4]), np.array([20, 0, 20])
    three = gap_interval(k, n)
    two = gap_interval(k[[0, 2]], n[[0, 2]])
    assert float(three.lo) == float(two.lo) and float(three.hi) == float(two.hi)
    one = gap_interval(k[:2], n[:2])
    assert np.isnan(one.lo) and np.isnan(one.hi)
    left_out = gap_interval(k, np.array([20, 20, 20]), included=np.array([True, False, True]))
    assert float(left_out.lo) == float(two.lo)


def _synthetic(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["f", "m"], size=n, p=[0.3, 0.7])
    race = rng.choice(["a", "b", "c"], size=n, p=[0.8, 0.15, 0.05])
    y = rng.binomial(1, np.where(sex == "f", 0.3, 0.5))
    pred = rng.binomial(1, np.where(y == 1, np.where(race == "a", 0.8, 0.6), 0.2), size=(3, n)).T
    return y, pred, {"sex": sex, "race": race}


def test_many_models_equal_one_at_a_time_and_block_shape() -> None:
    y, pred, groups = _synthetic(3000, 0)
    many = evaluate_many(y, pred, sensitive_features=groups)
    for i in range(pred.shape[1]):
        one = evaluate(y, pred[:, i], sensitive_features=groups, intersectional=False)
        block, ref = many.block(i), one.block()
        assert block["group_sizes"] == ref["group_sizes"]
        for notion in NOTIONS:
            ci = block[notion]["ci"]
            assert ci["level"] == 0.95
            other = ref[notion]["ci"]
            assert ci["value"] == pytest.approx(other["value"])
            for attr in ci["by_attribute"]:
                assert ci["by_attribute"][attr] == pytest.approx(other["by_attribute"][attr])
            lo, hi = ci["value"]
            assert lo <= block[notion]["value"] <= hi
            for attr, (alo, ahi) in ci["by_attribute"].items():
                assert alo <= block[notion]["by_attribute"][attr] <= ahi
    assert sum(many.block(0)["group_sizes"]["race"].values()) == 3000
    plain = evaluate_many(y, pred, sensitive_features=groups, ci_level=None).block(0)
    assert "ci" not in plain["eo"] and "group_sizes" not in plain


def test_level_and_weights() -> None:
    y, pred, groups = _synthetic(2000, 1)
    wide = evaluate(y, pred[:, 0], sensitive_features=groups, ci_level=0.99)
    narrow = evaluate(y, pred[:, 0], sensitive_features=groups, ci_level=0.8)
    w_lo, w_hi = wide.interval("eo", "race") or (0, 0)
    n_lo, n_hi = narrow.interval("eo", "race") or (0, 0)
    assert w_lo <= n_lo and n_hi <= w_hi and w_hi - w_lo > n_hi - n_lo
    weighted = evaluate(y, pred[:, 0], sensitive_features=groups, sample_weight=np.ones(2000))
    assert weighted.ci_level is None and "ci" not in weighted.block()["eo"]
    with pytest.raises(ValueError, match="confidence level"):
        evaluate(y, pred[:, 0], sensitive_features=groups, ci_level=95)


def test_close_to_a_plain_resampling_loop() -> None:
    """A 2-group gap: the analytic interval is near the percentile interval of a plain
    bootstrap loop over rows (resample the rows of each group, recompute the gap)."""
    rng = np.random.default_rng(7)
    n = 4000
    group = rng.choice([0, 1], size=n, p=[0.4, 0.6])
    y = rng.binomial(1, 0.4, size=n)
    pred = rng.binomial(1, np.where(y == 1, np.where(group == 0, 0.6, 0.75), 0.2))
    counts = confusion_by_group(y, pred, group, 2)
    ci = notion_interval(counts, "eop")
    rows = [np.flatnonzero(group == g) for g in (0, 1)]
    diffs = []
    for _ in range(2000):
        take = np.concatenate([rng.choice(r, size=r.size) for r in rows])
        c = confusion_by_group(y[take], pred[take], group[take], 2)[0]
        tpr = c[:, 1, 1] / c[:, 1].sum(axis=1)
        diffs.append(tpr[1] - tpr[0])
    lo, hi = np.quantile(diffs, [0.025, 0.975])
    assert lo > 0  # the groups differ: the gap interval is that of the difference
    assert float(ci.lo[0]) == pytest.approx(lo, abs=0.01)
    assert float(ci.hi[0]) == pytest.approx(hi, abs=0.01)


@pytest.mark.parametrize("size", [20, 200])
def test_coverage_near_nominal_on_known_rates(size: int) -> None:
    """Two groups of ``size`` rows with known tpr: the 95% eop-gap interval covers the
    true gap in about 95% of 2,000 simulated data sets (vectorised: one model each)."""
    rng = np.random.default_rng(size)
    reps, true = 2000, (0.7, 0.55)
    n_pos = rng.binomial(size, 0.5, size=(reps, 2))
    tp = rng.binomial(n_pos, true)
    counts = np.zeros((reps, 2, 2, 2))
    counts[:, :, 1, 1], counts[:, :, 1, 0] = tp, n_pos - tp
    counts[:, :, 0, 0] = size - n_pos
    ci = notion_interval(counts, "eop")
    ok = ~np.isnan(ci.lo)
    covered = (ci.lo[ok] <= 0.15 + 1e-12) & (ci.hi[ok] >= 0.15 - 1e-12)
    assert 0.92 <= covered.mean() <= 0.985
    rated = rate_intervals(counts, rates=("tpr",))["tpr"][1]
    assert np.all(rated.lo[ok] <= rated.hi[ok])
