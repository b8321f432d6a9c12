"""Choosing with confidence (the interval's upper end under the bound), and the fallback
to the point closest to meeting the constraints, on real metrics blocks."""

from __future__ import annotations

import numpy as np
import pytest

from fairfront.fronts import (
    Constraint,
    ConstraintError,
    NoFeasiblePointError,
    SelectionRule,
    select,
)
from fairfront.learners import points_from_metrics
from fairfront.metrics import evaluate, evaluate_many


def _front(n: int = 3000, m: int = 40, seed: int = 0) -> tuple[list[dict], dict]:
    """m models, later ones more accurate but missing more of sex=f's positives (a
    trade-off); a 25-row group on race."""
    rng = np.random.default_rng(seed)
    race = np.array(["white"] * (n - 25) + ["other"] * 25)
    sex = rng.choice(["f", "m"], size=n)
    y = rng.binomial(1, 0.4, size=n)
    truth = np.where(y == 1, rng.random(n) < 0.8, rng.random(n) < 0.15)
    flips = rng.random((n, m)) < np.linspace(0.35, 0.0, m)
    missed = (
        (y == 1)[:, None] & (sex == "f")[:, None] & (rng.random((n, m)) < np.linspace(0, 0.3, m))
    )
    pred = (truth[:, None] ^ flips) & ~missed
    data = {"y": y, "pred": pred, "groups": {"race": race, "sex": sex}}
    metrics = evaluate_many(y, pred, sensitive_features=data["groups"], notions=["eo"])
    return points_from_metrics(metrics), data


def _oracle(data: dict, bound: float, attribute: str | None) -> int | None:
    """Brute force: each model audited on its own; best balanced accuracy among those
    whose eo interval's upper end meets the bound; earliest round on ties."""
    best, chosen = -1.0, None
    for j in range(data["pred"].shape[1]):
        report = evaluate(data["y"], data["pred"][:, j], sensitive_features=data["groups"])
        if report.trivial:
            continue
        ends = [
            (report.interval("eo", a) or [np.nan, np.nan])[1]
            for a in ([attribute] if attribute else report.attributes)
        ]
        if max(ends) <= bound and report.overall["balanced_accuracy"] > best:
            best, chosen = report.overall["balanced_accuracy"], j + 1
    return chosen


@pytest.mark.parametrize(("bound", "attribute"), [(0.15, "sex"), (0.1, "sex"), (0.9, None)])
def test_confidence_selection_matches_brute_force(bound: float, attribute: str | None) -> None:
    points, data = _front()
    where = f"[{attribute}]" if attribute else ""
    rule = SelectionRule("constraints", constraints=(Constraint.parse(f"eo{where}<={bound}@95%"),))
    expected = _oracle(data, bound, attribute)
    assert expected is not None
    chosen = select(points, rule, ["eo"])
    assert chosen.round == expected
    assert not chosen.fallback
    plain = select(
        points,
        SelectionRule("constraints", constraints=(Constraint.parse(f"eo{where}<={bound}"),)),
        ["eo"],
    )
    if attribute:  # here confidence costs accuracy: an earlier, fairer round
        assert plain.round > chosen.round
    value = points[chosen.index]["validation"]["eo"]
    assert (value["ci"]["by_attribute"][attribute] if attribute else value["ci"]["value"])[
        1
    ] <= bound


def test_unmet_confidence_falls_back_to_the_closest_and_names_the_small_group() -> None:
    points, _ = _front()
    rule = SelectionRule("constraints", constraints=(Constraint.parse("eo<=0.2@95%"),))
    with pytest.raises(NoFeasiblePointError) as err:
        select(points, rule, ["eo"])
    message = str(err.value)
    assert "race=other, has 25 rows" in message
    assert "more data" in message and "coarser groups" in message
    chosen = select(points, rule, ["eo"], fallback=True)
    assert chosen.fallback and chosen.to_dict()["fallback"] is True
    assert "closest to meeting" in chosen.reason
    uppers = [
        p["validation"]["eo"]["ci"]["value"][1] if not p["trivial"] else np.inf for p in points
    ]
    assert uppers[chosen.index] == min(uppers)


def test_closest_over_two_constraints_is_the_smallest_largest_shortfall() -> None:
    points, _ = _front()
    rule = SelectionRule(
        "constraints",
        constraints=(Constraint.parse("eo<=0.001"), Constraint.parse("bacc>=0.99")),
    )
    chosen = select(points, rule, ["eo"], fallback=True)
    short = []
    for p in points:
        v = p["validation"]
        worst = max(v["eo"]["value"] - 0.001, 0.99 - v["balanced_accuracy"], 0.0)
        short.append(np.inf if p["trivial"] else worst)
    assert short[chosen.index] == pytest.approx(min(short))


def test_confidence_needs_intervals_at_that_level() -> None:
    points, _ = _front(m=5)
    with pytest.raises(ConstraintError, match="not 90%"):
        select(
            points,
            SelectionRule("constraints", constraints=(Constraint.parse("eo<=0.5@90%"),)),
            ["eo"],
        )
    for p in points:
        del p["validation"]["eo"]["ci"]
    with pytest.raises(ConstraintError, match="no confidence intervals"):
        select(
            points,
            SelectionRule("constraints", constraints=(Constraint.parse("eo<=0.5@95%"),)),
            ["eo"],
        )


def test_the_default_is_the_best_balanced_accuracy_near_the_lowest_violation() -> None:
    """``SelectionRule.default()``: among the non-trivial points whose eo is within 0.02
    of the lowest, the best balanced accuracy (brute force); other tolerances too."""
    points, _ = _front(m=60, seed=2)
    rule = SelectionRule.default()
    assert (rule.kind, rule.tolerance) == ("fairest", 0.02)
    for tolerance in (0.0, 0.02, 0.1, 1.0):
        chosen = select(points, SelectionRule("fairest", tolerance=tolerance), ["eo"])
        eligible = [p for p in points if not p["trivial"]]
        lowest = min(p["validation"]["eo"]["value"] for p in eligible)
        near = [p for p in eligible if p["validation"]["eo"]["value"] <= lowest + tolerance]
        best = max(p["validation"]["balanced_accuracy"] for p in near)
        point = points[chosen.index]
        assert point["validation"]["balanced_accuracy"] == best
        assert point["validation"]["eo"]["value"] <= lowest + tolerance
        assert f"within {tolerance:.3g} of the lowest" in chosen.reason
    assert SelectionRule.from_dict(rule.to_dict()) == rule
    with pytest.raises(ValueError, match="tolerance"):
        SelectionRule("fairest", tolerance=-0.1)
