"""Tests for fairfront.fronts: dominance, hypervolume, knee, weights and point selection."""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

import numpy as np
import pytest

from fairfront.fronts import (
    Constraint,
    ConstraintError,
    NoEligiblePointError,
    NoFeasiblePointError,
    RoundNotFoundError,
    Selection,
    SelectionRule,
    hypervolume,
    knee,
    mark_front,
    mark_selected,
    non_dominated,
    objective_matrix,
    read_metric,
    select,
    select_by_weights,
)

NAN = math.nan


# ----------------------------------------------------------------------------- helpers


def naive_non_dominated(F: np.ndarray, eligible: np.ndarray | None = None) -> np.ndarray:
    """Reference implementation: double loop."""
    m = len(F)
    ok = np.ones(m, bool) if eligible is None else np.asarray(eligible, bool)
    ok = ok & ~np.isnan(F).any(axis=1)
    out = np.zeros(m, bool)
    for i in range(m):
        if not ok[i]:
            continue
        out[i] = not any(
            ok[j] and np.all(F[j] <= F[i]) and np.any(F[j] < F[i]) for j in range(m) if j != i
        )
    return out


def inclusion_exclusion(P: np.ndarray, ref: np.ndarray) -> float:
    """Exact hypervolume of a few points by inclusion-exclusion."""
    P = P[(ref > P).all(axis=1)]
    total = 0.0
    for r in range(1, len(P) + 1):
        for subset in itertools.combinations(range(len(P)), r):
            total += (-1) ** (r + 1) * float(np.prod(ref - P[list(subset)].max(axis=0)))
    return total


def grid_volume(P: np.ndarray, ref: float, step: float) -> float:
    """Hypervolume of points on a grid by counting the dominated grid cells."""
    k = P.shape[1]
    n = round(ref / step)
    axes = [(np.arange(n) + 0.5) * step] * k
    centres = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, k)
    covered = np.asarray((P[None, :, :] <= centres[:, None, :]).all(axis=2)).any(axis=1)
    return float(covered.sum()) * step**k


def block(
    acc: float,
    bacc: float,
    eo: float,
    eo_by: dict[str, float] | None = None,
    dp: float | None = None,
) -> dict[str, Any]:
    """A metrics block."""
    by = eo_by if eo_by is not None else {"sex": eo, "race": eo / 2}
    out: dict[str, Any] = {
        "accuracy": acc,
        "balanced_accuracy": bacc,
        "eo": {"value": eo, "by_attribute": by},
    }
    if dp is not None:
        out["dp"] = {"value": dp, "by_attribute": {"sex": dp, "race": dp}}
    return out


def pt(rnd: int, acc: float, bacc: float, eo: float, *, trivial: bool = False, **kw: Any) -> dict:
    """A front.json point with a validation block (and a test block)."""
    return {
        "round": rnd,
        "on_front": False,
        "selected": False,
        "trivial": trivial,
        "validation": block(acc, bacc, eo, **kw),
        "test": block(acc - 0.01, bacc - 0.01, eo + 0.01),
    }


# ------------------------------------------------------------------------ dominance


def test_non_dominated_hand_made() -> None:
    F = np.array(
        [
            [1.0, 2.0],  # front
            [2.0, 1.0],  # front
            [2.0, 2.0],  # dominated by both
            [1.0, 2.0],  # duplicate of row 0: kept
            [NAN, 0.0],  # NaN: never on front, dominates nothing
            [0.0, 0.0],  # would dominate everything but is ineligible
            [1.0, 3.0],  # dominated by row 0 (equal first objective)
        ]
    )
    eligible = np.array([True, True, True, True, True, False, True])
    assert non_dominated(F, eligible).tolist() == [True, True, False, True, False, False, False]
    # eligible, the origin dominates every other row
    assert non_dominated(F).tolist() == [False, False, False, False, False, True, False]


def test_non_dominated_three_objectives_and_edges() -> None:
    F = np.array([[1, 2, 3], [3, 2, 1], [2, 2, 2], [3, 3, 3], [1, 2, 3]], dtype=float)
    assert non_dominated(F).tolist() == [True, True, True, False, True]
    assert non_dominated(np.array([[3.0], [1.0], [1.0]])).tolist() == [False, True, True]
    assert non_dominated(np.empty((0, 2))).shape == (0,)
    assert non_dominated(np.full((3, 2), NAN)).tolist() == [False] * 3
    with pytest.raises(ValueError, match="2-D"):
        non_dominated(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="eligible"):
        non_dominated(F, [True, False])


@pytest.mark.parametrize("k", [2, 3, 4])
def test_non_dominated_matches_brute_force(k: int) -> None:
    rng = np.random.default_rng(k)
    for _ in range(60):
        m = int(rng.integers(1, 25))
        F = rng.integers(0, 4, size=(m, k)).astype(float)  # many ties and duplicates
        F[rng.random((m, k)) < 0.05] = NAN
        eligible = rng.random(m) < 0.85
        np.testing.assert_array_equal(non_dominated(F, eligible), naive_non_dominated(F, eligible))


def test_non_dominated_large_two_objective_sweep() -> None:
    rng = np.random.default_rng(0)
    x = rng.random(20000)
    F = np.c_[x, 1 - x + 0.0]  # all on one line: all non-dominated
    F = np.vstack([F, F + 0.1])  # shifted copies: all dominated
    mask = non_dominated(F)
    assert mask[:20000].all()
    assert not mask[20000:].any()


def test_non_dominated_many_rows_three_objectives() -> None:
    rng = np.random.default_rng(7)
    F = rng.integers(0, 12, size=(2000, 3)).astype(float)  # ties across sorting blocks
    F[::97] = NAN
    ok = ~np.isnan(F).any(axis=1)
    G = F[ok]
    dominated = (
        (G[None, :, :] <= G[:, None, :]).all(axis=2) & (G[None, :, :] < G[:, None, :]).any(axis=2)
    ).any(axis=1)
    expected = np.zeros(len(F), bool)
    expected[np.flatnonzero(ok)] = ~dominated
    np.testing.assert_array_equal(non_dominated(F), expected)


# ---------------------------------------------------------------------- hypervolume


def test_hypervolume_two_objectives_closed_form() -> None:
    F = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]])
    assert hypervolume(F, [4.0, 4.0]) == pytest.approx(6.0)
    # dominated rows, duplicates, NaN rows and rows beyond the reference change nothing
    extra = np.array([[2.5, 2.5], [1.0, 3.0], [NAN, 0.0], [0.5, 4.0], [5.0, 0.0]])
    assert hypervolume(np.vstack([F, extra]), [4.0, 4.0]) == pytest.approx(6.0)
    assert hypervolume(F[::-1], [4.0, 4.0]) == pytest.approx(6.0)
    assert hypervolume(np.array([[0.25, 0.5]]), [1.0, 1.0]) == pytest.approx(0.375)
    assert hypervolume(np.array([[2.0, 2.0]]), [1.0, 1.0]) == 0.0
    assert hypervolume(np.empty((0, 2)), [1.0, 1.0]) == 0.0


def test_hypervolume_three_objectives_closed_form() -> None:
    F = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    # three 2x1x1 boxes, pairwise and triple overlaps of a unit cube: 6 - 3 + 1
    assert hypervolume(F, [2.0, 2.0, 2.0]) == pytest.approx(4.0)
    assert hypervolume(np.array([[0.5, 0.5, 0.5]]), [1.0, 1.0, 1.0]) == pytest.approx(0.125)
    # a staircase of cubes along the diagonal: the best one covers the others
    stairs = np.array([[0.1, 0.1, 0.1], [0.2, 0.2, 0.2], [0.3, 0.3, 0.3]])
    assert hypervolume(stairs, [1.0, 1.0, 1.0]) == pytest.approx(0.9**3)
    assert hypervolume(np.array([[1.0]]), [3.0]) == pytest.approx(2.0)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_hypervolume_matches_grid_count(k: int) -> None:
    rng = np.random.default_rng(10 + k)
    for _ in range(5):
        P = rng.integers(0, 10, size=(int(rng.integers(1, 9)), k)) / 10.0
        assert hypervolume(P, np.ones(k)) == pytest.approx(grid_volume(P, 1.0, 0.1), abs=1e-12)


@pytest.mark.parametrize("k", [3, 4, 5])
def test_hypervolume_matches_inclusion_exclusion(k: int) -> None:
    rng = np.random.default_rng(k)
    for _ in range(10):
        P = rng.random((7, k))
        ref = np.full(k, 1.05)
        assert hypervolume(P, ref) == pytest.approx(inclusion_exclusion(P, ref), rel=1e-10)


def test_hypervolume_monte_carlo_three_objectives() -> None:
    rng = np.random.default_rng(5)
    P = rng.random((30, 3))
    samples = rng.random((200_000, 3))
    covered = np.zeros(len(samples), bool)
    for p in P:
        covered |= (samples >= p).all(axis=1)
    assert hypervolume(P, np.ones(3)) == pytest.approx(covered.mean(), abs=0.01)


def test_hypervolume_errors_and_infinities() -> None:
    with pytest.raises(ValueError, match="reference"):
        hypervolume(np.zeros((2, 2)), [1.0])
    with pytest.raises(ValueError, match="finite"):
        hypervolume(np.zeros((2, 2)), [1.0, np.inf])
    assert hypervolume(np.array([[-np.inf, 0.0]]), [1.0, 1.0]) == math.inf
    assert hypervolume(np.array([[np.inf, 0.0]]), [1.0, 1.0]) == 0.0


# ----------------------------------------------------------------------- knee/weights


def convex_front() -> np.ndarray:
    x = np.linspace(0.0, 1.0, 101)
    return np.c_[x, (1.0 - x) ** 4]


def test_knee_picks_the_bend_of_a_convex_curve() -> None:
    F = convex_front()
    # distance from the line x + y = 1 is largest where 4 (1 - x)^3 = 1
    expected = 1.0 - 0.25 ** (1 / 3)
    assert F[knee(F), 0] == pytest.approx(expected, abs=0.006)
    # dominated rows and scaling of one objective do not move it
    noisy = np.vstack([F, F[::7] + 0.05])
    assert knee(noisy) == knee(F)
    assert knee(F * [1.0, 100.0]) == knee(F)


def test_knee_three_objectives_picks_the_bulge() -> None:
    F = np.array(
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.5, 0.1], [0.2, 0.2, 0.2]]
    )
    assert knee(F) == 4


def test_knee_degenerate_fronts_fall_back_to_nearest_ideal() -> None:
    assert knee(np.array([[0.3, 0.3], [0.5, 0.5]])) == 0  # one-point front
    assert knee(np.array([[0.0, 1.0], [1.0, 0.0]])) == 0  # two ends: tie -> first row
    line = np.c_[np.linspace(0, 1, 5), np.linspace(1, 0, 5)]
    assert knee(line) == 2  # straight front: the point nearest the ideal
    assert knee(np.array([[1.0, 1.0], [1.0, 1.0]])) == 0
    assert knee(np.full((3, 2), NAN)) is None
    assert knee(np.zeros((2, 2)), eligible=[False, False]) is None


def test_knee_respects_nan_and_eligibility() -> None:
    F = convex_front()
    k = knee(F)
    assert k is not None
    G = F.copy()
    G[k, 1] = NAN
    assert knee(G) not in (None, k)
    eligible = np.ones(len(F), bool)
    eligible[k] = False
    assert knee(F, eligible) not in (None, k)


def test_weights_extremes_and_middle() -> None:
    F = convex_front()
    assert select_by_weights(F, [1.0, 0.0]) == 0
    assert select_by_weights(F, [0.0, 1.0]) == 100
    sym = np.array([[0.0, 1.0], [0.2, 0.5], [0.35, 0.35], [0.5, 0.2], [1.0, 0.0]])
    for method in ("chebyshev", "pseudo_weights"):
        assert select_by_weights(sym, [0.5, 0.5], method=method) == 2
        assert select_by_weights(sym, [3, 3], method=method) == 2  # rescaled to sum to 1
        assert select_by_weights(sym, [1, 0], method=method) == 0  # best first objective
        assert select_by_weights(sym, [0, 1], method=method) == 4
    # balanced weights on the convex curve: max(x, (1 - x)^4) is smallest where they meet
    i = select_by_weights(F, [0.5, 0.5])
    assert i is not None
    assert F[i, 0] == pytest.approx(F[i, 1], abs=0.02)


def test_weights_three_objectives_one_hot() -> None:
    F = np.array([[0.0, 0.6, 0.6], [0.6, 0.0, 0.6], [0.6, 0.6, 0.0], [0.3, 0.3, 0.3]])
    for j in range(3):
        w = np.eye(3)[j]
        assert select_by_weights(F, w) == j
        assert select_by_weights(F, w, method="pseudo_weights") == j
    assert select_by_weights(F, [1, 1, 1]) == 3


def test_weights_on_a_front_of_identical_points() -> None:
    F = np.array([[0.2, 0.3], [0.2, 0.3], [0.5, 0.5]])
    for method in ("chebyshev", "pseudo_weights"):
        assert select_by_weights(F, [0.3, 0.7], method=method) == 0


def test_weights_never_choose_nan_or_ineligible_rows() -> None:
    sym = np.array([[0.0, 1.0], [0.35, 0.35], [1.0, 0.0], [0.3, NAN]])
    assert select_by_weights(sym, [0.5, 0.5]) == 1
    assert select_by_weights(sym, [0.5, 0.5], eligible=[True, False, True, True]) in (0, 2)
    assert select_by_weights(np.full((2, 2), NAN), [0.5, 0.5]) is None


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([0.5, 0.5, 0.0], "3 values but there are 2 objectives"),
        ([-0.5, 1.5], "non-negative"),
        ([0.0, 0.0], "all zero"),
        ([NAN, 1.0], "finite"),
        ([[0.5, 0.5]], "flat"),
    ],
)
def test_weights_validation(weights: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        select_by_weights(convex_front(), weights)


def test_weights_unknown_method() -> None:
    with pytest.raises(ValueError, match="method"):
        select_by_weights(convex_front(), [0.5, 0.5], method="nope")  # type: ignore[arg-type]


# ----------------------------------------------------------------------- constraints


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("eo<=0.05", Constraint("eo", "<=", 0.05)),
        ("eo <= 5%", Constraint("eo", "<=", 0.05)),
        ("eo[race]<=0.05", Constraint("eo", "<=", 0.05, "race")),
        ("race:eo<=0.05", Constraint("eo", "<=", 0.05, "race")),
        (" race : eo <= 0.05 ", Constraint("eo", "<=", 0.05, "race")),
        ("eo[age group] ≤ 3.3%", Constraint("eo", "<=", 0.033, "age group")),
        ("balanced_accuracy>=0.8", Constraint("balanced_accuracy", ">=", 0.8)),
        ("bacc>=0.8", Constraint("balanced_accuracy", ">=", 0.8)),
        ("Balanced Accuracy >= 80%", Constraint("balanced_accuracy", ">=", 0.8)),
        ("accuracy>=0.8", Constraint("accuracy", ">=", 0.8)),
        ("acc<=0.1", Constraint("acc", "<=", 0.1)),
        ("EO_SUM<=1.5", Constraint("eo_sum", "<=", 1.5)),
        ("dp <= 1e-2", Constraint("dp", "<=", 0.01)),
    ],
)
def test_constraint_parse_and_round_trip(text: str, expected: Constraint) -> None:
    c = Constraint.parse(text)
    assert c == expected
    assert Constraint.parse(str(c)) == c
    assert Constraint.from_dict(json.loads(json.dumps(c.to_dict()))) == c
    assert isinstance(c.bound, float)


def test_constraint_text_and_description() -> None:
    assert str(Constraint.parse("race:eo <= 5%")) == "eo[race]<=0.05"
    assert str(Constraint.parse("bacc>=0.8")) == "balanced_accuracy>=0.8"
    assert Constraint.parse("eo<=0.05").describe() == "eo <= 0.05 on every attribute"
    assert Constraint.parse("eo[race]<=0.05").describe() == "eo <= 0.05 for race"
    assert Constraint.parse("bacc>=0.8").describe() == "balanced accuracy >= 0.8"


@pytest.mark.parametrize(
    ("text", "piece"),
    [
        ("eo", "no comparison"),
        ("eo<0.05", "unsupported comparison '<'"),
        ("eo==0.05", "unsupported comparison '=='"),
        ("<=0.05", "missing metric"),
        ("foo<=0.05", "unknown metric 'foo'"),
        ("eo<=abc", "bad bound 'abc'"),
        ("eo<=", "bad bound ''"),
        ("eo<=0.1<=0.2", "more than one comparison"),
        ("eo[]<=0.1", "empty attribute"),
        ("race:eo[sex]<=0.1", "attribute given twice"),
        ("accuracy[race]>=0.8", "no per-attribute values"),
        ("accuracy>=80", "did you mean 80%"),
        ("eo<=5", "did you mean 5%"),
        ("eo>=0.1", "upper bounds"),
        ("acc>=0.8", "accuracy>=0.8"),  # acc is accuracy parity: hint the right spelling
    ],
)
def test_constraint_parse_errors_name_the_bad_piece(text: str, piece: str) -> None:
    with pytest.raises(ConstraintError, match=piece.replace("[", r"\[")) as err:
        Constraint.parse(text)
    assert isinstance(err.value, ValueError)


def test_constraint_direct_validation() -> None:
    with pytest.raises(ConstraintError, match="operator"):
        Constraint("eo", "<", 0.1)  # type: ignore[arg-type]
    with pytest.raises(ConstraintError, match="finite"):
        Constraint("eo", "<=", NAN)
    with pytest.raises(ConstraintError, match="missing 'bound'"):
        Constraint.from_dict({"metric": "eo", "op": "<="})
    assert Constraint("bacc", ">=", 1).metric == "balanced_accuracy"


# ------------------------------------------------------------------------ points


def make_points() -> list[dict]:
    """Ten rounds; round 9 is trivial with the best accuracy, round 10 has a NaN eo."""
    pts = [
        pt(1, 0.70, 0.60, 0.01),
        pt(2, 0.75, 0.65, 0.02),
        pt(3, 0.80, 0.72, 0.04),
        pt(4, 0.82, 0.76, 0.06, eo_by={"sex": 0.06, "race": 0.01}),
        pt(5, 0.84, 0.80, 0.10),
        pt(6, 0.85, 0.81, 0.15),
        pt(7, 0.86, 0.82, 0.30),
        pt(8, 0.80, 0.70, 0.20),  # dominated
        pt(9, 0.99, 0.99, 0.00, trivial=True),
        pt(10, 0.99, 0.99, NAN),
    ]
    return pts


def test_objective_matrix_columns_and_names() -> None:
    pts = make_points()
    F, names = objective_matrix(pts, ["eo"])
    assert names == ["1-accuracy", "1-balanced_accuracy", "eo"]
    assert F.shape == (10, 3)
    np.testing.assert_allclose(F[0], [0.30, 0.40, 0.01])
    assert np.isnan(F[9, 2])
    F2, names2 = objective_matrix(pts, "eo", performance=["bacc"], split="test")
    assert names2 == ["1-balanced_accuracy", "eo"]
    np.testing.assert_allclose(F2[0], [0.41, 0.02])
    F3, _ = objective_matrix([{"round": 1, "validation": {}}], ["eo", "dp"])
    assert np.isnan(F3).all()
    with pytest.raises(ValueError, match="unknown"):
        objective_matrix(pts, ["xyz"])
    with pytest.raises(ValueError, match="not a fairness notion"):
        objective_matrix(pts, ["accuracy"])


def test_read_metric() -> None:
    p = pt(4, 0.82, 0.76, 0.06, eo_by={"sex": 0.06, "race": 0.01})
    assert read_metric(p, "eo") == 0.06
    assert read_metric(p, "eo", "race") == 0.01
    assert math.isnan(read_metric(p, "eo", "age"))
    assert math.isnan(read_metric(p, "dp"))
    assert read_metric(p, "accuracy", split="test") == pytest.approx(0.81)
    q = {"round": 1, "validation": {"eo": {"by_attribute": {"a": 0.1, "b": 0.3}}}}
    assert read_metric(q, "eo") == 0.3
    assert math.isnan(read_metric({"round": 1, "validation": {"accuracy": None}}, "accuracy"))


def test_mark_front_excludes_trivial_nan_and_dominated() -> None:
    pts = mark_front(make_points(), ["eo"])
    on = [p["round"] for p in pts if p["on_front"]]
    assert on == [1, 2, 3, 4, 5, 6, 7]
    assert all(type(p["on_front"]) is bool for p in pts)
    json.dumps(pts)  # stays JSON-friendly


def test_select_constraints_best_balanced_accuracy() -> None:
    pts = make_points()
    rule = SelectionRule("constraints", constraints=(Constraint.parse("eo<=0.05"),))
    sel = select(pts, rule, ["eo"])
    assert (sel.index, sel.round) == (2, 3)
    assert "round 3" in sel.reason and "balanced accuracy" in sel.reason
    json.dumps(sel.to_dict())
    # an attribute-specific bound reads by_attribute: round 4 has race gap 0.01
    rule_race = SelectionRule("constraints", constraints=(Constraint.parse("eo[race]<=0.015"),))
    assert select(pts, rule_race, ["eo"]).round == 4
    # a performance floor plus a fairness ceiling; candidates need not be on the front
    both = SelectionRule(
        "constraints",
        constraints=(Constraint.parse("bacc>=0.7"), Constraint.parse("eo<=0.25")),
        maximize="accuracy",
    )
    assert select(pts, both, ["eo"]).round == 6
    # maximize naming a notion minimises it
    fair = SelectionRule(
        "constraints", constraints=(Constraint.parse("bacc>=0.75"),), maximize="eo"
    )
    assert select(pts, fair, ["eo"]).round == 4


def test_select_never_picks_trivial_or_nan_points() -> None:
    pts = make_points()
    rule = SelectionRule("constraints", constraints=(Constraint.parse("eo<=0.5"),))
    assert select(pts, rule, ["eo"]).round == 7  # not 9 (trivial) nor 10 (NaN eo)
    for r in (SelectionRule("knee"), SelectionRule("weights", weights=(1.0, 0.0, 0.0))):
        assert select(pts, r, ["eo"]).round not in (9, 10)
    assert select(pts, SelectionRule("weights", weights=(1, 0, 0)), ["eo"]).round == 7
    assert select(pts, SelectionRule("weights", weights=(0, 0, 1)), ["eo"]).round == 1


def test_select_knee_and_weights_over_the_front() -> None:
    pts = make_points()
    k = select(pts, SelectionRule("knee"), ["eo"])
    assert pts[k.index]["round"] == k.round
    assert k.round in range(1, 8)
    assert "knee" in k.reason
    with pytest.raises(ValueError, match="2 values but there are 3 objectives"):
        select(pts, SelectionRule("weights", weights=(0.5, 0.5)), ["eo"])


def test_select_ties_go_to_the_earliest_round() -> None:
    pts = [pt(12, 0.8, 0.75, 0.03), pt(5, 0.8, 0.75, 0.03), pt(9, 0.8, 0.75, 0.03)]
    pts = [pts[i] for i in np.random.default_rng(0).permutation(len(pts))]
    rule = SelectionRule("constraints", constraints=(Constraint.parse("eo<=0.05"),))
    for r in (rule, SelectionRule("knee"), SelectionRule("weights", weights=(1, 1, 1))):
        sel = select(pts, r, ["eo"])
        assert sel.round == 5
        assert pts[sel.index]["round"] == 5


def test_no_feasible_point_names_each_constraint() -> None:
    pts = [pt(r, 0.8, 0.7, 0.05 + r / 1000) for r in range(1, 300)]
    pts[211]["validation"]["eo"]["value"] = 0.034  # round 212 is the fairest
    rule = SelectionRule(
        "constraints", constraints=(Constraint.parse("eo<=0.01"), Constraint.parse("bacc>=0.6"))
    )
    with pytest.raises(NoFeasiblePointError) as err:
        select(pts, rule, ["eo"])
    message = str(err.value)
    assert (
        "no point has eo <= 0.01 on every attribute; the lowest reached is 0.034 (round 212)"
        in message
    )
    assert "balanced accuracy >= 0.6 is met by 299 of 299 eligible points" in message
    assert err.value.details[0] == {
        "constraint": "eo<=0.01",
        "met_by": 0,
        "best": 0.034,
        "round": 212,
    }
    high = SelectionRule("constraints", constraints=(Constraint.parse("accuracy>=0.9"),))
    with pytest.raises(NoFeasiblePointError, match=r"the highest reached is 0\.8 \(round 1\)"):
        select(pts, high, ["eo"])


def test_jointly_infeasible_constraints() -> None:
    pts = [pt(1, 0.9, 0.9, 0.2), pt(2, 0.6, 0.6, 0.01)]
    rule = SelectionRule(
        "constraints", constraints=(Constraint.parse("eo<=0.05"), Constraint.parse("bacc>=0.8"))
    )
    with pytest.raises(NoFeasiblePointError, match="meets all constraints together"):
        select(pts, rule, ["eo"])


def test_no_eligible_point() -> None:
    pts = [pt(1, 0.5, 0.5, 0.0, trivial=True), pt(2, 0.9, 0.9, NAN)]
    rule = SelectionRule("constraints", constraints=(Constraint.parse("eo<=0.05"),))
    for r in (rule, SelectionRule("knee"), SelectionRule("weights", weights=(1, 1, 1))):
        with pytest.raises(NoEligiblePointError, match="1 trivial .* 1 with a missing"):
            select(pts, r, ["eo"])
    with pytest.raises(NoEligiblePointError, match="no points"):
        select([], SelectionRule("knee"), ["eo"])


def test_constraint_on_unknown_attribute_or_metric() -> None:
    pts = make_points()
    with pytest.raises(ConstraintError, match="known: race, sex"):
        select(pts, SelectionRule("constraints", constraints=("eo[rac]<=0.1",)), ["eo"])  # type: ignore[arg-type]
    with pytest.raises(ConstraintError, match="no point has a validation value for 'ppv'"):
        select(pts, SelectionRule("constraints", constraints=("ppv<=0.1",)), ["eo"])  # type: ignore[arg-type]


def test_select_by_round() -> None:
    pts = make_points()
    sel = select(pts, SelectionRule("round", round=4), ["eo"])
    assert (sel.index, sel.round) == (3, 4)
    assert select(pts, SelectionRule("round", round=10), ["eo"]).round == 10  # NaN is allowed
    with pytest.raises(RoundNotFoundError, match="no point for round 42") as err:
        select(pts, SelectionRule("round", round=42), ["eo"])
    assert isinstance(err.value, ValueError)
    with pytest.raises(NoEligiblePointError, match="trivial"):
        select(pts, SelectionRule("round", round=9), ["eo"])


def test_mark_selected() -> None:
    pts = make_points()
    sel = select(pts, SelectionRule("round", round=4), ["eo"])
    mark_selected(pts, sel)
    assert [p["round"] for p in pts if p["selected"]] == [4]


# ------------------------------------------------------------------------ rules


def test_rule_describe() -> None:
    rule = SelectionRule("constraints", constraints=(Constraint.parse("eo<=0.05"),))
    assert rule.describe() == (
        "the point with the best validation balanced accuracy among those with "
        "eo <= 0.05 on every attribute"
    )
    two = SelectionRule(
        "constraints",
        constraints=(Constraint.parse("eo[race]<=0.05"), Constraint.parse("dp<=0.1")),
        maximize="accuracy",
    )
    assert two.describe().endswith("eo <= 0.05 for race and dp <= 0.1 on every attribute")
    assert "round 17" in SelectionRule("round", round=17).describe()
    assert "knee" in SelectionRule("knee").describe()
    w = SelectionRule("weights", weights=(0.5, 0.25, 0.25))
    assert "1-accuracy 0.5" in w.describe(["1-accuracy", "1-balanced_accuracy", "eo"])
    assert "Chebyshev" in w.describe()


@pytest.mark.parametrize(
    "rule",
    [
        SelectionRule("knee"),
        SelectionRule("weights", weights=(1.0, 2.0, 0.0), method="pseudo_weights"),
        SelectionRule(
            "constraints",
            constraints=(Constraint.parse("race:eo<=5%"), Constraint.parse("bacc>=0.8")),
            maximize="accuracy",
        ),
        SelectionRule("round", round=17),
    ],
)
def test_rule_dict_round_trip(rule: SelectionRule) -> None:
    data = json.loads(json.dumps(rule.to_dict()))
    assert SelectionRule.from_dict(data) == rule


def test_rule_validation() -> None:
    with pytest.raises(ValueError, match="kind"):
        SelectionRule("best")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs weights"):
        SelectionRule("weights")
    with pytest.raises(ValueError, match="non-negative"):
        SelectionRule("weights", weights=(-1.0, 1.0))
    with pytest.raises(ValueError, match="needs the round"):
        SelectionRule("round")
    with pytest.raises(ValueError, match="numbered from 1"):
        SelectionRule("round", round=0)
    with pytest.raises(ValueError, match="maximize"):
        SelectionRule("constraints", maximize="f1")
    with pytest.raises(ValueError, match="unknown selection-rule keys: colour"):
        SelectionRule.from_dict({"kind": "knee", "colour": "red"})
    from_text = SelectionRule.from_dict({"kind": "constraints", "constraints": ["eo<=0.05"]})
    assert from_text.constraints == (Constraint("eo", "<=", 0.05),)
    assert SelectionRule("constraints", maximize="bacc").maximize == "balanced_accuracy"


def test_selection_to_dict() -> None:
    s = Selection(index=0, round=3, rule=SelectionRule("knee"), reason="because")
    assert json.loads(json.dumps(s.to_dict()))["rule"]["kind"] == "knee"
