"""Learner parameters and sweeps in the chat: the vocabulary against the estimators' own
validation, what the chat says back read as the same intent, the set-up becoming a run
spec the run layer accepts, and the LLM path held to the same checks.

The phrasings themselves are in data/chat_suite_params.yaml (run by test_chat_suite.py).
"""

from __future__ import annotations

from typing import Any

import openai
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from fairfront.runs import MAX_SETTINGS, check
from fairfront.service.chat import (
    ChatContext,
    ChooseLearner,
    Clarify,
    LLMIntentParser,
    ResetParameters,
    SetParameter,
    Setup,
    SweepParameter,
    apply,
    check_intents,
    describe_setup,
    intent_tools,
    parse,
    say,
    setting_words,
)
from fairfront.service.chat._lexicon import Lexicon
from fairfront.service.chat._tokens import tokenise
from fairfront.vocabulary import LEARNERS, PARAMETERS, describe

from .chat_suite import datasets
from .llm_stub import LLMStub

BOOSTING = [n for n, t in LEARNERS.items() if not t.multitask]
"""Learners whose classes import no torch (the multi-task ones are checked once, slow)."""
VALUES = [-1, 0, 0.02, 0.5, 1, 2, 2.5, 3, 31, 40, 1e5]


def context(**setup: Any) -> ChatContext:
    return ChatContext(datasets=datasets(), setup=Setup(**{"dataset": "compas", **setup}))


def _estimator_accepts(learner: str, name: str, value: float) -> bool:
    """The oracle: the estimator's own parameter validation (what fit runs first)."""
    estimator = LEARNERS[learner].estimator_class()(**{name: value})
    try:
        estimator._validate_params()
    except InvalidParameterError:
        return False
    return True


@pytest.mark.parametrize("learner", BOOSTING)
def test_which_learners_take_a_parameter_and_its_range_come_from_the_estimator(
    learner: str,
) -> None:
    cls = LEARNERS[learner].estimator_class()
    for name, term in PARAMETERS.items():
        try:  # the oracle for "takes it": scikit-learn's set_params
            cls().set_params(**{name: 1})
            takes = True
        except ValueError:
            takes = False
        assert term.takes(learner) == takes, (learner, name)
        if not takes or not term.numeric(learner):
            continue
        for value in VALUES:
            assert term.accepts(learner, value) == _estimator_accepts(learner, name, value), (
                learner,
                name,
                value,
            )


@pytest.mark.slow
def test_multitask_learners_too() -> None:
    for learner in (n for n, t in LEARNERS.items() if t.multitask):
        for name, term in PARAMETERS.items():
            if term.takes(learner) and term.numeric(learner):
                for value in VALUES:
                    assert term.accepts(learner, value) == _estimator_accepts(
                        learner, name, value
                    ), (learner, name, value)


def test_every_name_and_alias_reads_as_its_parameter_singular_and_plural() -> None:
    lexicon = Lexicon()
    for term in PARAMETERS.values():
        for phrase in (term.name, term.label, *term.aliases):
            for said in (phrase, phrase + "s" if not phrase.endswith("s") else phrase):
                (item,) = lexicon.read(tokenise(said))
                found = item.term("parameter")
                assert found is not None and found.value == term.name, said
    assert [p["name"] for p in describe()["parameters"]] == list(PARAMETERS)


ROUND_TRIP: list[tuple[dict[str, Any], Any]] = [
    ({}, SetParameter(name="fairness_weight", value=2)),
    ({}, SetParameter(name="learning_rate", value=0.05)),
    ({}, SetParameter(name="max_depth", value=3)),
    ({"learner": "fair_gbm"}, SetParameter(name="bound", value=0.02)),
    ({"learner": "fair_gbm"}, SetParameter(name="num_leaves", value=63)),
    ({}, SweepParameter(name="fairness_weight", values=[0.5, 1, 2])),
    ({}, SweepParameter(name="max_depth", values=[2, 4])),
    ({"learner": "fair_gbm"}, SweepParameter(name="bound", values=[0.01, 0.02, 0.04])),
    ({"sweep": {"fairness_weight": [1, 2]}}, ResetParameters(sweep_only=True)),
    (
        {"sweep": {"fairness_weight": [1, 2]}},
        ResetParameters(names=["fairness_weight"], sweep_only=True),
    ),
    ({"params": {"learning_rate": 0.1}}, ResetParameters(names=["learning_rate"])),
    ({"params": {"learning_rate": 0.1, "max_depth": 3}}, ResetParameters()),
]


@pytest.mark.parametrize(("setup", "intent"), ROUND_TRIP)
def test_what_the_chat_says_back_reads_as_the_same_intent(
    setup: dict[str, Any], intent: Any
) -> None:
    assert parse(say(intent), context(**setup)) == [intent], say(intent)


def test_every_question_button_reads_without_a_question() -> None:
    """A question's first button, sent back, is acted on (it is the reading offered)."""
    for setup, message in (
        ({}, "fairnes weight 2"),
        ({}, "fairness weight 50%"),
        ({}, "fairness weight 1 or 2"),
        ({}, "weight 2"),
        ({"learner": "adafair"}, "try fairness weights 1 and 2"),
        ({}, "bound 0.02"),
        ({"sweep": {"fairness_weight": [1, 2]}}, "fairness weight 3"),
        ({"params": {"fairness_weight": 2}}, "try fairness weights 1 and 2"),
        ({}, "learning rates between 0.01 and 0.1"),
    ):
        (asked,) = parse(message, context(**setup))
        assert isinstance(asked, Clarify) and asked.options, message
        reading = parse(asked.options[0], context(**setup))
        assert reading and not any(isinstance(i, Clarify) for i in reading), (message, reading)


def test_the_set_up_becomes_a_spec_the_run_layer_accepts() -> None:
    setup = Setup(dataset="compas")
    for message in ("fairness weight 2 and learning rate 0.5", "try depths 1 to 3"):
        for intent in parse(message, context(**setup.model_dump())):
            setup = apply(setup, intent)
    spec = setup.run_spec()
    assert spec.params == {"fairness_weight": 2, "learning_rate": 0.5}
    assert spec.sweep == {"max_depth": [1, 2, 3]}
    assert isinstance(spec.sweep["max_depth"][0], int)  # the estimator takes whole numbers
    check(spec)
    assert len(spec.settings()) == 3
    described = describe_setup(setup)
    assert "Learner parameters: fairness weight 2, learning rate 0.5." in described
    assert "Sweep: tree depth over 1, 2 and 3 (3 settings" in described
    cleared = apply(setup, ResetParameters(sweep_only=True))
    assert cleared.sweep == {} and cleared.params == setup.params
    assert apply(setup, ResetParameters()).params == {}


def test_switching_to_a_learner_that_cannot_take_them_is_said_before_training() -> None:
    setup = Setup(dataset="compas", sweep={"fairness_weight": [1, 2]}, params={"max_depth": 3})
    switched = apply(setup, ChooseLearner(learner="adafair"))
    problems = " ".join(switched.problems())
    assert "AdaFair has no tree depth" in problems
    assert "Before training" in describe_setup(switched)
    assert not apply(setup, ChooseLearner(learner="fair_gbm")).problems()


def test_the_limit_on_settings_is_the_run_layers() -> None:
    side = int(MAX_SETTINGS**0.5) + 1  # side * side settings: more than allowed
    sweep = {"fairness_weight": [float(v) for v in range(1, side + 1)]}
    (asked,) = parse(f"try depths 1 to {side}", context(sweep=sweep))
    assert isinstance(asked, Clarify)
    assert f"{side * side} settings; at most {MAX_SETTINGS}" in asked.question
    (fits,) = parse(f"try depths 1 to {MAX_SETTINGS // side}", context(sweep=sweep))
    assert fits == SweepParameter(name="max_depth", values=list(range(1, MAX_SETTINGS // side + 1)))


def test_setting_words() -> None:
    assert setting_words({"fairness_weight": 2.0, "learning_rate": 0.05}) == (
        "fairness weight 2, learning rate 0.05"
    )
    assert setting_words(None) == ""


def test_tools_name_the_parameters() -> None:
    tools = {t["function"]["name"]: t["function"]["parameters"] for t in intent_tools()}
    assert tools["sweep_parameter"]["properties"]["name"]["enum"] == list(PARAMETERS)
    assert tools["sweep_parameter"]["properties"]["values"]["maxItems"] == MAX_SETTINGS


def test_the_llm_path_is_held_to_the_same_checks() -> None:
    ada = context(learner="adafair")
    (asked,) = check_intents([SweepParameter(name="fairness_weight", values=[1, 2])], ada)
    assert isinstance(asked, Clarify) and "mmm_fair or fair_gbm" in asked.question
    (asked,) = check_intents([SetParameter(name="max_depth", value=99)], context())
    assert isinstance(asked, Clarify) and "[1, 32]" in asked.question
    ok = check_intents([SweepParameter(name="max_depth", values=[2.0, 3.0])], context())
    assert ok == [SweepParameter(name="max_depth", values=[2, 3])]
    with LLMStub() as stub:
        client = openai.OpenAI(base_url=stub.base_url, api_key="test", max_retries=0)
        llm = LLMIntentParser(client, "stub-model", timeout=5.0, max_retries=0)
        stub.reply(tool_calls=[("sweep_parameter", {"name": "bound", "values": [0.01, 0.02]})])
        (asked,) = llm.parse("sweep the bound", context())
        assert isinstance(asked, Clarify) and "fair_gbm" in asked.question
