"""The conversation suite (tests/service/data/chat_suite.yaml) through the rule reader
and through the LLM path (a scripted OpenAI-compatible server on loopback)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from fairfront.service.chat import Clarify, LLMIntentParser, parse

from .chat_suite import grade, load, report
from .llm_stub import LLMStub

MIN_CASES = 250
MIN_UNDERSTOOD = 0.85
"""Share of the messages that ask for something which are acted on without a question."""


def test_the_rule_reader_never_misreads(capsys: pytest.CaptureFixture[str]) -> None:
    contexts, cases = load()
    assert len(cases) >= MIN_CASES
    grades = [
        (case, grade(case, got), got)
        for case in cases
        for got in [parse(case.message, contexts[case.context])]
    ]
    counts, text = report(grades)
    with capsys.disabled():
        print("\nrule reader:", text)
    assert counts["wrong"] == 0, text
    acting = sum(1 for c in cases if c.question is None)
    assert counts["understood"] / acting >= MIN_UNDERSTOOD, text


@pytest.fixture(scope="module")
def stub() -> Iterator[LLMStub]:
    with LLMStub() as server:
        yield server


def _calls(intents: tuple[Any, ...], question: str | None) -> list[tuple[str, dict[str, Any]]]:
    """The function calls a capable model makes for a case: its expected intents."""
    if question is not None:
        return [("clarify", {"question": f"Do you mean ...? ({question})"})]
    calls = []
    for intent in intents:
        if isinstance(intent, tuple):
            continue  # a note the service adds (train refused), not a call
        data = intent.model_dump(mode="json", exclude_none=True)
        calls.append((data.pop("kind"), data))
    return calls


def test_the_llm_path_applies_exactly_the_calls(stub: LLMStub) -> None:
    """Each case's expected intents, sent back as tool calls by a loopback server, come
    out of the LLM path unchanged (the shared checks accept what the reader accepts)."""
    contexts, cases = load()
    client = openai.OpenAI(base_url=stub.base_url, api_key="test", max_retries=0)
    llm = LLMIntentParser(client, "stub-model", timeout=5.0, max_retries=0)
    mismatches = []
    for case in cases:
        stub.reset()
        calls = _calls(case.intents, case.question)
        if not calls:
            continue
        stub.reply(tool_calls=calls)
        result = llm.parse_with_source(case.message, contexts[case.context])
        assert result.source == "llm", (case.label, result.reason)
        expected = [i for i in case.intents if not isinstance(i, tuple)]
        got = [
            i
            for i in result.intents
            if not (isinstance(i, Clarify) and i.question.startswith("I cannot train yet"))
        ]
        if case.question is not None:
            ok = len(got) == 1 and isinstance(got[0], Clarify)
        else:
            ok = got == expected
        if not ok:
            mismatches.append(f"{case.label}: {got}")
        user = stub.requests[-1]["body"]["messages"][1]["content"]
        inside = user.partition('<data name="request">')[2].partition("</data>")[0]
        assert json.loads(inside)["message"] == case.message
    assert not mismatches, "\n".join(mismatches[:20])
