"""A message in another language gets "I understand English only", and English messages
that name columns spelt in German (das, und, ist_aktiv, ...) are never taken for one."""

from __future__ import annotations

import pytest

from fairfront.service.chat import ChatContext, DatasetInfo, Setup, SmallTalk, parse

COLUMNS = ["die_rate", "das", "Einkommen", "und", "nicht_bezahlt", "Geschlecht", "ist_aktiv", "y"]
CONTEXT = ChatContext(
    datasets={
        "kredit.csv": DatasetInfo(
            columns=COLUMNS, builtin=False, target="y", positive="1", protected=["Geschlecht"]
        )
    },
    setup=Setup(dataset="kredit.csv"),
)


def other_language(message: str) -> bool:
    return any(
        isinstance(i, SmallTalk) and i.mood == "other_language" for i in parse(message, CONTEXT)
    )


@pytest.mark.parametrize(
    "message",
    [
        "Bitte trainiere ein faires Modell auf compas",
        "Ich möchte das Geschlecht schützen",
        "was ist die Genauigkeit?",
        "zeig mir die Modelle",
        "je veux entraîner un modèle équitable",
        "quiero usar los datos de compas, por favor",
    ],
)
def test_other_languages_are_told_english_only(message: str) -> None:
    assert other_language(message)


@pytest.mark.parametrize(
    "message",
    [
        "predict nicht_bezahlt and protect Geschlecht",
        "drop die_rate and das",
        "protect ist_aktiv and und",
        "use kredit.csv, predict Einkommen",
        "keep das and die_rate, then train",
        "what is the accuracy for das?",
        "protect Geschlecht, keep equalized odds under 5% and train with 20 rounds",
        "hello, use kredit.csv",
    ],
)
def test_english_with_german_column_names_is_english(message: str) -> None:
    assert not other_language(message)
