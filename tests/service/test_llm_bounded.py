"""LLM calls are bounded: one deadline per explanation or chat turn (not per try), a
pool of their own that cannot exhaust the workers serving other routes (health stays
fast while 40 chats wait on a hanging model), a fast fallback when the pool is full,
model text made safe markdown, and constraint claims checked against the fact sheet."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import openai
import pytest

from fairfront.service import llm
from fairfront.service.explain import (
    ConstraintFacts,
    FactSheet,
    LLMExplainer,
    build_fact_sheet,
    builtin_explanation,
    check_claims,
    explain,
    front_neighbours,
    safe_markdown,
)
from fairfront.service.settings import Settings
from fairfront.training import RunSpec, TrainedRun, train

from .conftest import LiveServer, chat_session, module_server
from .llm_stub import LLMStub


@pytest.fixture(scope="module")
def stub() -> Iterator[LLMStub]:
    with LLMStub() as server:
        yield server


@pytest.fixture
def fresh(stub: LLMStub) -> Iterator[LLMStub]:
    stub.release()
    stub.reset()
    yield stub
    stub.release()


@pytest.fixture(scope="module")
def run() -> TrainedRun:
    return train(RunSpec(data="compas", rounds=8, constraints=["eo<=0.3"]))


def sheet(run: TrainedRun, constraints: list[str]) -> FactSheet:
    ds = run.dataset
    chosen = run.selected_round
    point = next(p for p in run.points if p["round"] == chosen)
    return build_fact_sheet(
        dataset=ds.name,
        target=ds.target,
        positive=ds.positive,
        protected=[{"column": c, "groups": sorted(ds.sensitive[c].unique())} for c in ds.sensitive],
        learner=run.spec.learner,
        notions=list(run.front.notions),
        constraints=constraints,
        point=point,
        by_group={},
        neighbours=front_neighbours(run.points, chosen),
        baseline=None,
    )


@pytest.fixture(scope="module")
def facts(run: TrainedRun) -> FactSheet:
    return sheet(run, ["eo<=0.99"])


def explainer(stub: LLMStub, timeout: float = 20.0, retries: int = 2) -> LLMExplainer:
    client = openai.OpenAI(base_url=stub.base_url, api_key="test", max_retries=0)
    return LLMExplainer(client, "stub-model", timeout=timeout, max_retries=retries)


# ----- one deadline per turn ------------------------------------------------------------
def test_a_hanging_model_costs_the_deadline_once_not_timeout_times_tries(
    fresh: LLMStub, facts: FactSheet
) -> None:
    """20 s per try x 3 tries was 61 s; with a 1.5 s turn it is about 1.5 s in all."""
    fresh.hang()
    started = time.perf_counter()
    with llm.llm_turn(1.5):
        result = explain(facts, explainer(fresh))
    elapsed = time.perf_counter() - started
    assert result.source == "builtin" and result.text == builtin_explanation(facts)
    assert "did not answer within 1.5 s" in (result.reason or "")
    assert 1.4 < elapsed < 3.0, elapsed


def test_tries_share_the_deadline(fresh: LLMStub, facts: FactSheet) -> None:
    """Three tries of 0.4 s each fit a 2 s turn: all three are made, then the fallback."""
    fresh.hang()
    with llm.llm_turn(2.0):
        result = explain(facts, explainer(fresh, timeout=0.4, retries=2))
    assert result.source == "builtin" and "Timeout" in (result.reason or "")
    assert len(fresh.requests) == 3


def test_a_full_llm_pool_falls_back_at_once(fresh: LLMStub, facts: FactSheet) -> None:
    llm.configure(Settings(llm_workers=1, llm_deadline=5.0))
    try:
        fresh.hang()
        holder = threading.Thread(target=explain, args=(facts, explainer(fresh)), daemon=True)
        holder.start()
        deadline = time.monotonic() + 5
        while llm.in_flight() < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        started = time.perf_counter()
        result = explain(facts, explainer(fresh))
        assert time.perf_counter() - started < 1.0  # not the 5 s deadline
        assert result.source == "builtin" and "busy" in (result.reason or "")
        fresh.release()
        holder.join(timeout=10)
    finally:
        llm.configure(Settings())


@pytest.fixture(scope="module")
def hanging_service(
    tmp_path_factory: pytest.TempPathFactory, stub: LLMStub
) -> Iterator[LiveServer]:
    yield from module_server(
        tmp_path_factory,
        "llm",
        llm_base_url=stub.base_url,
        llm_model="stub-model",
        llm_deadline=2.0,
        llm_workers=4,
    )


def test_health_stays_fast_while_40_chats_wait_on_a_hanging_model(
    hanging_service: LiveServer, stub: LLMStub
) -> None:
    stub.release()
    stub.reset()
    with hanging_service.new_client() as client:  # warm: the chat's dataset facts, loaded once
        stub.reply("no tool call")
        warm = client.post("/api/chat", json={"session_id": chat_session(client), "message": "hi"})
        assert warm.status_code == 200
    stub.hang()
    results: list[tuple[int, float]] = []
    lock = threading.Lock()

    def one_chat() -> None:
        with hanging_service.new_client() as client:
            session = chat_session(client)
            started = time.perf_counter()
            response = client.post(
                "/api/chat", json={"session_id": session, "message": "use compas"}
            )
            with lock:
                results.append((response.status_code, time.perf_counter() - started))

    threads = [threading.Thread(target=one_chat) for _ in range(40)]
    for thread in threads:
        thread.start()
    latencies = []
    with httpx.Client(base_url=hanging_service.url, timeout=5) as probe:
        ends = time.monotonic() + 3.0
        while time.monotonic() < ends:
            started = time.perf_counter()
            assert probe.get("/api/health").status_code == 200
            latencies.append(time.perf_counter() - started)
            time.sleep(0.05)
    for thread in threads:
        thread.join(timeout=30)
    stub.release()
    assert max(latencies) < 1.0, max(latencies)
    assert len(results) == 40 and all(status == 200 for status, _ in results), results
    # Each turn ends by its 2 s deadline (the parse falls back to the built-in parser).
    assert max(seconds for _, seconds in results) < 6.0, sorted(s for _, s in results)[-5:]


# ----- safe text ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "absent", "present"),
    [
        ("Fair <script>alert(1)</script>enough", ["<script", "alert"], ["Fair", "enough"]),
        ("a <b onmouseover=x>bold</b> word", ["<b", "onmouseover"], ["bold", "word"]),
        ("see ![chart](http://evil.example/x.png) here", ["evil", "!["], ["chart", "here"]),
        ("[click](https://evil.example/steal) now", ["evil", "]("], ["click", "now"]),
        ("[js](javascript:alert(1))", ["javascript", "]("], ["js"]),
        (
            "[card](/api/runs/ab/points/3/model-card)",
            [],
            ["[card](/api/runs/ab/points/3/model-card)"],
        ),
        ("[x](//evil.example/a)", ["evil"], ["x"]),
        ("go to <http://evil.example> or www.evil.example", ["evil"], ["link removed"]),
        ("[ref][1]\n\n[1]: http://evil.example", ["evil"], ["ref"]),
        (
            "<!-- hidden --> <img src=x onerror=alert(1)>text",
            ["hidden", "onerror", "<img"],
            ["text"],
        ),
        ("eo 0.05 < 0.1 and > 0", ["<", ">"], ["&lt;", "&gt;"]),
    ],
)
def test_safe_markdown(text: str, absent: list[str], present: list[str]) -> None:
    safe = safe_markdown(text)
    for part in absent:
        assert part not in safe, safe
    for part in present:
        assert part in safe, safe


def test_llm_html_is_shown_as_safe_text(fresh: LLMStub, facts: FactSheet) -> None:
    round_ = facts.point.round
    fresh.reply(f"Round {round_} <script>steal()</script>is **the choice**. ![x](http://e.x/a.png)")
    result = explain(facts, explainer(fresh))
    assert result.source == "llm"
    assert "<script" not in result.text and "steal" not in result.text
    assert "e.x" not in result.text and "**the choice**" in result.text


# ----- constraint claims -----------------------------------------------------------------
def _with_met(facts: FactSheet, met: list[bool | None]) -> FactSheet:
    constraints = [
        ConstraintFacts(text=f"eo<={b}", description="d", bound=b, validation_value=0.1, met=m)
        for b, m in zip((0.2, 0.3, 0.4), met, strict=False)
    ]
    return facts.model_copy(update={"constraints": constraints})


@pytest.mark.parametrize(
    ("text", "met", "flagged"),
    [
        ("This point meets all constraints.", [True, True], False),
        ("This point meets all constraints.", [True, False], True),
        ("This point meets all constraints.", [], True),
        ("It satisfies the bound on equalized odds.", [False], True),
        ("Its equalized odds stay under the limit.", [False], True),
        ("It is within the bound you set.", [True], False),
        ("It violates the constraint on equalized odds.", [True], True),
        ("It does not meet the constraint.", [False], False),
        ("It does not meet the constraint.", [True], True),
        ("It exceeds the limit you set.", [True, False], False),
        ("Its accuracy exceeds the baseline's.", [True], False),
        ("It meets the needs of most users.", [False], False),
    ],
)
def test_constraint_claims_are_checked(
    facts: FactSheet, text: str, met: list[bool | None], flagged: bool
) -> None:
    assert bool(check_claims(text, _with_met(facts, met))) is flagged


def test_a_false_claim_falls_back(fresh: LLMStub, facts: FactSheet) -> None:
    false = _with_met(facts, [False])
    fresh.reply("This point meets all constraints and is a good choice.")
    result = explain(false, explainer(fresh))
    assert result.source == "builtin" and "constraints" in (result.reason or "")
