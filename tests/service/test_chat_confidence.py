"""Chat: "with 95% confidence" binds to the fairness bounds it follows (issue 15)."""

from __future__ import annotations

import pytest

from fairfront.datasets import load_dataset
from fairfront.fronts import Constraint
from fairfront.learners import MMMFairClassifier
from fairfront.service.chat import AddConstraint, ChatContext, Clarify, DatasetInfo, Setup, parse


@pytest.fixture(scope="module")
def on_adult() -> ChatContext:
    info = DatasetInfo.from_dataset(load_dataset("adult"), builtin=True)
    return ChatContext(datasets={"adult": info}, setup=Setup(dataset="adult"))


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("keep eo under 5% with 95% confidence", ["eo<=0.05@0.95"]),
        ("eo <= 0.05 with 95% confidence", ["eo<=0.05@0.95"]),
        ("keep dp below 3%, 95% confident", ["dp<=0.03@0.95"]),
        ("keep eo under 5%", ["eo<=0.05"]),
    ],
)
def test_confidence_binds_to_the_fairness_bound(
    on_adult: ChatContext, message: str, expected: list[str]
) -> None:
    constraints = [i.text for i in parse(message, on_adult) if isinstance(i, AddConstraint)]
    assert constraints == expected
    for text in constraints:  # the learner takes exactly what the chat sets up
        parsed = Constraint.parse(text)
        assert parsed.confidence == (0.95 if "@" in text else None)
        MMMFairClassifier(constraints=[text]).selection_rule()


@pytest.mark.parametrize(
    ("message", "asked"),
    [
        ("keep eo under 5% with 90% confidence", "95%"),
        ("accuracy above 0.8 with 95% confidence", "fairness gaps"),
    ],
)
def test_a_level_or_metric_without_intervals_is_asked_about(
    on_adult: ChatContext, message: str, asked: str
) -> None:
    intents = parse(message, on_adult)
    assert not any(isinstance(i, AddConstraint) for i in intents)
    (question,) = [i for i in intents if isinstance(i, Clarify)]
    assert asked in question.question
