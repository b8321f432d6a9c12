"""The vocabulary: every registry entry resolves to the thing it names."""

import json

import pytest

from fairfront import vocabulary
from fairfront.datasets import MULTITASK_VIEWS, default_protected, list_datasets
from fairfront.metrics import NOTIONS


def test_every_notion_has_a_short_label_and_distinct_aliases():
    seen: dict[str, str] = {}
    for notion in NOTIONS.values():
        assert notion.short
        for word in (notion.name, *notion.aliases):
            assert word == word.lower()
            assert seen.setdefault(word, notion.name) == notion.name, word
    assert NOTIONS["eo"].convention.startswith("the larger of")
    assert "added" in NOTIONS["eo_sum"].convention
    assert NOTIONS["dp"].convention == ""


@pytest.mark.parametrize("name", list(vocabulary.LEARNERS))
def test_every_learner_imports_and_names_known_notions(name):
    term = vocabulary.LEARNERS[name]
    if term.extra == "mtl":
        pytest.importorskip("torch")
    assert set(term.notions) <= set(NOTIONS)
    params = term.params()
    assert "random_state" in params


def test_datasets_match_the_builtins_and_their_views():
    assert sorted(vocabulary.DATASETS) == list_datasets()
    for name, term in vocabulary.DATASETS.items():
        assert term.protected_columns == tuple(default_protected(name))
        view = MULTITASK_VIEWS.get(name)
        assert term.tasks == (tuple(view.tasks) if view else ())


def test_describe_is_json_and_lists_every_entry():
    described = json.loads(json.dumps(vocabulary.describe()))
    assert [n["name"] for n in described["notions"]] == list(NOTIONS)
    assert [m["name"] for m in described["learners"]] == list(vocabulary.LEARNERS)
    assert {d["name"] for d in described["datasets"]} == set(list_datasets())
