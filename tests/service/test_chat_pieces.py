"""The chat reader's pieces one by one: tokens, the registry lexicon, clauses and bounds,
intents said back, answers from stored numbers, the profile reader, module sizes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fairfront.runs import RunSpec, train
from fairfront.service.chat import (
    AddConstraint,
    Ask,
    ChatContext,
    ChooseDataset,
    ChooseLearner,
    Clarify,
    Compare,
    Define,
    DropColumns,
    Explain,
    Export,
    KeepColumns,
    ListRuns,
    Move,
    OpenRun,
    PointRule,
    RunInfo,
    SelectPoint,
    SetEpochs,
    SetNotions,
    SetPositive,
    SetProtected,
    SetRounds,
    SetTarget,
    SetTargetRule,
    SetTasks,
    Setup,
    StartOver,
    Train,
    Undo,
    define,
    parse,
    point_answer,
    say,
)
from fairfront.service.chat._answers import move_along, points_answer
from fairfront.service.chat._lexicon import Lexicon, registry_lexicon
from fairfront.service.chat._profile import info_from_profile
from fairfront.service.chat._tokens import normalise, tokenise, word_parts
from fairfront.vocabulary import DATASETS, LEARNERS, NOTIONS, PERFORMANCE

from .chat_suite import datasets

CHAT = Path(__file__).resolve().parents[2] / "backend" / "fairfront" / "service" / "chat"


def context(dataset: str | None = None, run: RunInfo | None = None) -> ChatContext:
    return ChatContext(datasets=datasets(), setup=Setup(dataset=dataset), run=run)


# ---------------------------------------------------------------------- tokens


def test_numbers_keep_their_unit_and_specs_stay_whole() -> None:
    tokens = tokenise(normalise("what's 84% accurate, 5 percent, 1,000 rounds, 30,50 age:30,50"))
    words = [(t.kind, t.text) for t in tokens]
    assert words[:3] == [("word", "what"), ("word", "is"), ("number", "84%")]
    numbers = [(t.value, t.percent) for t in tokens if t.kind == "number"]
    assert numbers == [(84.0, True), (5.0, True), (1000.0, False), (30.0, False), (50.0, False)]
    assert ("spec", "age:30,50") in words
    assert [t.kind for t in tokenise("eo[race]<=0.05")] == ["bound"]
    assert word_parts("L2T-FMT") == ("l2t", "fmt")


# --------------------------------------------------------------------- lexicon


def _reads_as(text: str, kind: str, value: str, lexicon: Lexicon) -> bool:
    items = lexicon.read(tokenise(normalise(text)))
    return len(items) == 1 and any(t.kind == kind and t.value == value for t in items[0].terms)


def test_the_lexicon_is_the_registries() -> None:
    """Every registry name and alias reads as its entry: nothing restated by hand."""
    lexicon = Lexicon()
    table = registry_lexicon()
    for notion in NOTIONS.values():
        for phrase in (notion.name, notion.short, *notion.aliases):
            assert _reads_as(phrase, "notion", notion.name, lexicon), phrase
    for metric in PERFORMANCE.values():
        for phrase in (metric.name, metric.label, *metric.aliases):
            owner = table[word_parts(phrase)][0]
            assert owner.value == metric.name or owner.kind == "notion", phrase  # "acc"
    for learner in LEARNERS.values():
        for phrase in (learner.name, *learner.aliases):
            assert _reads_as(phrase, "learner", learner.name, lexicon), phrase
    for dataset in DATASETS.values():
        for phrase in (dataset.name, *dataset.aliases):
            assert _reads_as(phrase, "dataset", dataset.name, lexicon), phrase
        for word in dataset.target_words:
            assert _reads_as(word, "target", dataset.target, lexicon), word


def test_command_words_are_read_through_one_typo_names_are_asked() -> None:
    lexicon = Lexicon()
    for typed, cue in (("trian", "train"), ("explian", "explain"), ("protcet", "protect")):
        (item,) = lexicon.read(tokenise(typed))
        assert item.typo == cue and item.cue(cue), typed
    assert parse("trian it", context("adult")) == [Train()]
    clarify = parse("use adafiar", context("adult"))
    assert isinstance(clarify[0], Clarify) and "adafair" in clarify[0].question


# ----------------------------------------------------------------- round trips

ROUND_TRIP: list[tuple[str | None, RunInfo | None, Any]] = [
    (None, None, ChooseDataset(name="german")),
    ("adult", None, SetTarget(column="Y", positive=">50K")),
    ("adult", None, SetProtected(attributes=["sex", "race:White", "age:30,50"])),
    ("adult", None, DropColumns(columns=["fnlwgt", "education-num"])),
    ("adult", None, KeepColumns(columns=["fnlwgt"])),
    ("adult", None, ChooseLearner(learner="adafair")),
    ("compas", None, ChooseLearner(learner="l2t_fmt")),
    ("adult", None, SetNotions(notions=["dp", "eo_sum"])),
    ("adult", None, SetRounds(rounds=120)),
    ("compas", None, SetEpochs(epochs=40)),
    ("compas", None, SetTasks(tasks=["two_year_recid", "is_violent_recid"])),
    ("loans.csv", None, SetPositive(value="1")),
    ("loans.csv", None, SetTargetRule(rule="grade >= 10")),
    ("loans.csv", None, SetTargetRule(rule="score > median")),
    ("adult", None, StartOver()),
    ("adult", None, Train()),
    (None, None, ListRuns()),
    (None, None, OpenRun(run="3")),
    (None, None, Define(term="eo_sum")),
]
_DONE = RunInfo(status="done", notions=["eo", "dp"], rounds=200)
ROUND_TRIP += [
    ("adult", _DONE, SelectPoint(rule=PointRule(kind="knee"))),
    ("adult", _DONE, SelectPoint(rule=PointRule(kind="round", round=17))),
    (
        "adult",
        _DONE,
        SelectPoint(
            rule=PointRule(
                kind="constraints", constraints=["accuracy>=0.84", "dp<=0.05"], maximize="eo"
            )
        ),
    ),
    ("adult", _DONE, Undo()),
    ("adult", _DONE, Move(direction="fairer")),
    ("adult", _DONE, Move(direction="more_accurate")),
    ("adult", _DONE, Compare(against="baseline")),
    ("adult", _DONE, Explain(round=12)),
    ("adult", _DONE, Export()),
    ("adult", _DONE, Ask(topic="worst_group")),
    ("adult", _DONE, Ask(topic="metric", metric="balanced_accuracy")),
    ("adult", _DONE, Ask(topic="points")),
]


@pytest.mark.parametrize(("dataset", "run", "intent"), ROUND_TRIP)
def test_what_the_chat_says_back_reads_as_the_same_intent(
    dataset: str | None, run: RunInfo | None, intent: Any
) -> None:
    """A reply's "I understood" and its buttons are read back exactly."""
    assert parse(say(intent), context(dataset, run)) == [intent], say(intent)


def test_a_bound_keeps_a_notion_in_the_set_up() -> None:
    assert parse("keep eo under 5% for race and sex", context("adult")) == [
        SetNotions(notions=["eo"]),
        AddConstraint(text="eo[race]<=0.05"),
        AddConstraint(text="eo[sex]<=0.05"),
    ]


# --------------------------------------------------------------------- answers


def test_a_definition_gives_both_equalized_odds_conventions() -> None:
    for name in ("eo", "eo_sum"):
        text = define(name)
        assert NOTIONS["eo"].convention in text and NOTIONS["eo_sum"].convention in text
    assert NOTIONS["dp"].description in define("dp")
    assert PERFORMANCE["accuracy"].description in define("accuracy")


@pytest.fixture(scope="module")
def front() -> dict[str, Any]:
    run = train(RunSpec(data="compas", rounds=25, notions=["eo", "dp"]))
    front: dict[str, Any] = run.front.model_dump(mode="json")
    return front


def test_answers_quote_the_stored_figures(front: dict[str, Any]) -> None:
    point = front["points"][9]
    text = point_answer(point, front["notions"], None)
    block = point["test"]
    for figure in (block["accuracy"], block["balanced_accuracy"], block["dp"]["value"]):
        assert f"{figure:.3f}" in text
    counted = points_answer(front)
    on_front = sum(p["on_front"] for p in front["points"])
    assert f"{len(front['points'])} points" in counted and f"{on_front} of them" in counted


def test_moving_along_the_front_takes_the_next_point_over(front: dict[str, Any]) -> None:
    eligible = [p for p in front["points"] if p["on_front"] and not p["trivial"]]
    for start in eligible:
        value = start["validation"]["eo"]["value"]
        fairer = [p for p in eligible if p["validation"]["eo"]["value"] < value]
        moved, text = move_along(front, start["round"], "fairer")
        if not fairer:
            assert moved is None and "already" in text
            continue
        oracle = max(fairer, key=lambda p: p["validation"]["eo"]["value"])
        assert moved == oracle["round"], text
        assert f"{oracle['validation']['eo']['value']:.3f}" in text


# --------------------------------------------------------------------- profile


def test_the_profile_reader_takes_both_profile_forms() -> None:
    old = {
        "columns": [
            {"name": "age", "kind": "numeric"},
            {"name": "y", "kind": "categorical", "values": ["no", "yes"]},
        ],
        "suggested_target": "y",
        "suggested_protected": ["age"],
    }
    info = info_from_profile(old)
    assert (info.target, info.positive, info.protected, info.numeric) == (
        "y",
        "yes",
        ["age"],
        ["age"],
    )
    new = {
        "columns": [
            {"name": "ID", "kind": "numeric", "flags": ["identifier"]},
            {"name": "paid", "kind": "categorical", "values": ["a", "b"], "flags": []},
        ],
        "target": "paid",
        "positive": None,
        "target_suggestions": [
            {"column": "paid", "positive": None, "positive_question": "Is 'a' or 'b' positive?"}
        ],
        "excluded": [{"column": "ID", "reason": "identifier"}],
        "suggested_protected": [],
    }
    info = info_from_profile(new)
    assert info.excluded == {"ID": ["identifier"]}
    assert info.positive_question == "Is 'a' or 'b' positive?"
    assert info_from_profile({}).columns == []


def test_no_chat_module_is_over_400_lines() -> None:
    sizes = {p.name: len(p.read_text().splitlines()) for p in CHAT.glob("*.py")}
    assert "_parser.py" not in sizes
    assert max(sizes.values()) <= 400, sizes


@pytest.mark.parametrize(
    "message",
    [
        "show me the fairest model, 84% please",
        "pick the knee, 0.8",
        "use dp and 3%",
        "protect sex and 12",
        "train 5",
    ],
)
def test_a_number_no_metric_takes_is_asked_about(message: str) -> None:
    run = RunInfo(status="done", notions=["eo"], rounds=300)
    (clarify,) = parse(message, context("adult", run))
    assert isinstance(clarify, Clarify), message  # asked, nothing acted on
