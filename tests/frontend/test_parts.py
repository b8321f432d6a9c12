"""The page's pure parts: figures drawn from a front as it is stored, click events, and
the client's words for the service's refusals."""

from __future__ import annotations

import sys
from typing import Any

import httpx
import pytest

from .conftest import REPO, closed_port

# as `streamlit run` does for its entry file:
sys.path.insert(0, str(REPO / "backend" / "fairfront" / "page"))

import charts
import conversation
from client import APIError, Client


def block(bacc: float, eo: float, sex: float) -> dict[str, Any]:
    return {
        "accuracy": bacc + 0.05,
        "balanced_accuracy": bacc,
        "eo": {"value": eo, "by_attribute": {"sex": sex, "race": eo}},
    }


def point(round_: int, bacc: float, eo: float, **flags: Any) -> dict[str, Any]:
    return {
        "round": round_,
        "on_front": flags.get("on_front", False),
        "selected": False,
        "trivial": flags.get("trivial", False),
        "validation": block(bacc, eo, eo / 2),
        "test": block(bacc - 0.01, eo + 0.01, eo / 3),
    }


FRONT = {
    "notions": ["eo"],
    "front_rounds": [1, 2, 3],
    "points": [
        point(1, 0.70, 0.02, on_front=True),
        point(2, 0.75, 0.05, on_front=True),
        point(3, 0.74, 0.08, on_front=True),  # on the front of all objectives, not of these two
        point(4, 0.72, 0.06),
        point(5, 0.50, 0.00, trivial=True),
    ],
    "baseline": {"description": "no fairness costs", "validation": block(0.78, 0.2, 0.1)},
}


def traces(figure: Any) -> dict[str, Any]:
    return {trace.name: trace for trace in figure.data}


def test_front_figure_reads_the_stored_points() -> None:
    figure = charts.front_figure(FRONT, x="eo", y="balanced_accuracy", selected=2)
    by_name = traces(figure)
    assert [c[0] for c in by_name["on the front"].customdata] == [1, 2, 3]
    assert [c[0] for c in by_name["dominated"].customdata] == [4]
    assert [c[0] for c in by_name["trivial (one class)"].customdata] == [5]
    assert by_name["trivial (one class)"].marker.symbol == "x"
    # joined: the front points no other shown point beats on both axes, by violation
    assert list(by_name["front (these axes)"].x) == [0.02, 0.05]
    assert list(by_name["unconstrained baseline"].y) == [0.78]
    assert [c[0] for c in by_name["selected (round 2)"].customdata] == [2]
    hover = by_name["on the front"].text[1]
    assert "Round 2" in hover and "eo 0.050 (sex 0.025, race 0.050)" in hover


def test_front_figure_other_axes_and_split() -> None:
    figure = charts.front_figure(FRONT, x="eo:sex", y="accuracy", split="test")
    by_name = traces(figure)
    assert list(by_name["on the front"].x) == pytest.approx([0.02 / 3, 0.05 / 3, 0.08 / 3])
    assert list(by_name["on the front"].y) == pytest.approx([0.74, 0.79, 0.78])
    assert "unconstrained baseline" not in by_name  # the baseline has no test block here
    assert charts.violation_metrics(FRONT) == ["eo", "eo:sex", "eo:race"]
    assert charts.splits_of(FRONT) == ["validation", "test"]


def test_three_objectives_and_groups() -> None:
    figure = charts.front_3d_figure(FRONT, axes=["eo", "eo:sex", "balanced_accuracy"])
    assert {t.name for t in figure.data} == {
        "on the front",
        "dominated",
        "unconstrained baseline",
    }
    by_group = {"sex": {"F": {"n": 10, "tpr": 0.5, "fpr": 0.1}, "M": {"n": 12, "tpr": 0.6}}}
    rows = charts.group_rows(by_group)
    assert rows[1]["false-positive rate"] is None and rows[0]["rows"] == 10
    assert len(charts.group_figure(by_group).data) == 4


@pytest.mark.parametrize(
    ("event", "round_"),
    [
        ({"selection": {"points": [{"customdata": [7]}]}}, 7),
        ({"selection": {"points": [{"customdata": 8}]}}, 8),
        ({"selection": {"points": [{"x": 1}, {"customdata": [9, "x"]}]}}, 9),
        ({"selection": {"points": []}}, None),
        ({"selection": {"points": [{"customdata": ["not a round"]}]}}, None),
        (None, None),
        ({}, None),
    ],
)
def test_clicked_round(event: Any, round_: int | None) -> None:
    assert charts.clicked_round(event) == round_


def answering(status: int, body: Any) -> Client:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body)

    return Client("http://service.test", transport=httpx.MockTransport(handler))


def test_client_words_for_refusals() -> None:
    with pytest.raises(APIError) as refused:
        answering(409, {"detail": "run x is running", "field": None}).select("x", 3)
    assert (refused.value.message, refused.value.status) == ("run x is running", 409)
    invalid = {"detail": [{"loc": ["body", "round"], "msg": "Input should be <= 2000"}]}
    with pytest.raises(APIError) as unprocessable:
        answering(422, invalid).select("x", 5000)
    assert unprocessable.value.message == "round: Input should be <= 2000"
    with pytest.raises(APIError) as failed:
        answering(502, "bad gateway").front("x")
    assert failed.value.message == "the service answered HTTP 502"


def test_client_words_for_no_service() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(APIError) as down:
        Client(url).health()
    assert down.value.status is None
    assert down.value.message.startswith(f"I cannot reach the fairfront service at {url}")
    assert "connection refused" in down.value.message
    with pytest.raises(APIError):
        Client(url).download("/etc/passwd")


def multitask_front() -> dict[str, Any]:
    """Two tasks; each point's blocks are the mean, 'worst' the worst task (as stored)."""
    points = []
    for round_, (a, b) in enumerate([(0.70, 0.60), (0.74, 0.58)], start=1):
        tasks = {"t1": block(a, 0.10, 0.05), "t2": block(b, 0.20, 0.1)}
        mean = block((a + b) / 2, 0.15, 0.075)
        worst = block(min(a, b), 0.20, 0.1)
        points.append(
            {
                "round": round_,
                "on_front": True,
                "selected": round_ == 2,
                "trivial": False,
                "validation": mean,
                "test": mean,
                "worst": {"validation": worst, "test": worst},
                "tasks": {t: {"validation": v, "test": v} for t, v in tasks.items()},
            }
        )
    return {
        "kind": "multitask",
        "notions": ["eo"],
        "tasks": [{"name": "t1", "positive": "1"}, {"name": "t2", "positive": "1"}],
        "front_rounds": [1, 2],
        "points": points,
        "baselines": {
            "description": "one model per task",
            "split": "test",
            "tasks": {"t1": {"test": block(0.72, 0.3, 0.2)}, "t2": {"test": block(0.61, 0.1, 0.1)}},
            "mean": block(0.665, 0.2, 0.15),
        },
    }


@pytest.mark.parametrize(
    ("view", "bacc", "marker"), [("t2", 0.58, 0.61), ("worst", 0.58, None), ("mean", 0.66, 0.665)]
)
def test_a_multitask_front_is_drawn_per_task_mean_or_worst(
    view: str, bacc: float, marker: float | None
) -> None:
    front = multitask_front()
    seen = charts.task_view(front, view)
    assert charts.metric_value(seen["points"][1]["test"], "balanced_accuracy") == pytest.approx(
        bacc
    )
    assert [p["round"] for p in seen["points"]] == [1, 2]
    figure = charts.front_figure(seen, x="eo", y="balanced_accuracy", split="test", selected=2)
    names = [t.name for t in figure.data]
    if marker is None:
        assert not any("single-task" in n for n in names)
    else:
        (reference,) = [t for t in figure.data if "single-task" in t.name]
        assert list(reference.y) == [marker]


def test_the_chosen_points_task_rows_hold_each_tasks_figures_and_gains() -> None:
    front = multitask_front()
    rows = charts.task_rows(front, front["points"][1])
    assert [r["task"] for r in rows] == ["t1", "t2"]
    t1 = rows[0]
    assert t1["balanced accuracy"] == 0.74 and t1["split"] == "test"
    assert t1["knowledge gain"] == pytest.approx((0.74 + 0.05) - (0.72 + 0.05))
    assert "discrimination gain (eo_sum)" not in t1  # the blocks carry no eo_sum here


def test_front_figure_greys_out_gaps_wider_than_their_interval_and_draws_bars() -> None:
    """Rounds 1 and 4 carry intervals wider than their eo: greyed out; round 2's is
    narrower: kept blue. Error bars only on demand, from the stored ends."""
    front = {**FRONT, "points": [dict(p) for p in FRONT["points"]]}
    ends = {1: [0.0, 0.09], 2: [0.04, 0.07], 4: [0.01, 0.2]}
    for p in front["points"]:
        if p["round"] in ends:
            p["validation"] = {
                **p["validation"],
                "eo": {
                    **p["validation"]["eo"],
                    "ci": {"level": 0.95, "value": ends[p["round"]], "by_attribute": {}},
                },
            }
    plain = traces(charts.front_figure(front, x="eo", y="balanced_accuracy"))
    colours = dict(
        zip(
            [c[0] for c in plain["on the front"].customdata],
            plain["on the front"].marker.color,
            strict=True,
        )
    )
    assert colours[1] == charts.UNCERTAIN_COLOR and colours[2] == charts.FRONT_COLOR
    assert colours[3] == charts.FRONT_COLOR  # no interval stored: left as it is
    assert list(plain["dominated"].marker.color) == [charts.UNCERTAIN_COLOR]
    assert plain["on the front"].error_x.array is None
    bars = traces(charts.front_figure(front, x="eo", y="balanced_accuracy", error_bars=True))
    error = bars["on the front"].error_x
    assert list(error.array) == pytest.approx([0.07, 0.02, 0.0])
    assert list(error.arrayminus) == pytest.approx([0.02, 0.01, 0.0])
    assert charts.metric_interval(front["points"][0]["validation"], "eo") == (0.0, 0.09)
    assert charts.metric_interval(front["points"][0]["validation"], "eo:sex") is None
    # a front without intervals draws as before
    before = traces(charts.front_figure(FRONT, x="eo", y="balanced_accuracy", error_bars=True))
    assert before["on the front"].marker.color == charts.FRONT_COLOR


@pytest.mark.parametrize(
    ("setup", "offered"),
    [
        ({"dataset": "adult", "rounds": 300}, ["train", "train with 100 rounds"]),
        ({"dataset": "adult", "rounds": 50}, ["train"]),
        (
            {"dataset": "compas", "tasks": ["two_year_recid", "is_violent_recid"], "epochs": None},
            ["train", "train with 10 epochs"],
        ),
        ({"dataset": "compas", "tasks": ["a", "b"], "epochs": 5, "rounds": 300}, ["train"]),
    ],
)
def test_the_shorter_run_offered_is_in_the_set_up_s_own_unit(
    setup: dict[str, Any], offered: list[str]
) -> None:
    """A multi-task set-up is offered fewer epochs, never "100 rounds" it has no use for."""
    assert [text for _, text in conversation.train_suggestions(setup)] == offered
