"""The conversation suite's data and grading, shared by the rule reader's and the LLM
path's runners (``test_chat_suite.py``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter

from fairfront.datasets import list_datasets, load_dataset
from fairfront.service.chat import ChatContext, Clarify, DatasetInfo, Intent
from fairfront.vocabulary import DATASETS

SUITES = sorted((Path(__file__).parent / "data").glob("chat_suite*.yaml"))
"""chat_suite.yaml and its topic files (chat_suite_params.yaml: learner parameters)."""
INTENT: TypeAdapter[Any] = TypeAdapter(Intent)

LOANS = DatasetInfo(
    columns=[
        "ID",
        "name",
        "age",
        "sex",
        "income",
        "score",
        "grade",
        "class",
        "region",
        "defaulted",
    ],
    target="defaulted",
    positive="1",
    protected=["sex"],
    numeric=["age", "income", "score", "grade"],
    values={
        "defaulted": ["0", "1"],
        "class": ["A", "B", "C"],
        "sex": ["female", "male"],
        "region": ["North", "South", "East", "West"],
    },
    excluded={"ID": ["identifier"], "name": ["free_text"]},
)
"""An uploaded CSV as the dataset profile describes it (i11's keys)."""


@lru_cache(maxsize=1)
def datasets() -> dict[str, DatasetInfo]:
    infos = {
        name: DatasetInfo.from_dataset(
            load_dataset(name), builtin=True, tasks=list(DATASETS[name].tasks)
        )
        for name in list_datasets()
    }
    return {**infos, "loans.csv": LOANS}


@dataclass(frozen=True)
class Case:
    context: str
    message: str
    intents: tuple[Any, ...]
    """Expected intents (``Clarify`` notes among them), or empty when a question is."""
    question: str | None

    @property
    def label(self) -> str:
        return f"[{self.context}] {self.message}"


def _intent(spec: dict[str, Any]) -> Any:
    ((kind, args),) = spec.items()
    if kind == "note":
        return ("note", str(args))
    if not isinstance(args, dict):
        model = next(
            m
            for m in INTENT.core_schema["choices"].values()
            if m["schema"]["fields"]["kind"]["schema"]["default"] == kind
        )
        field = next(f for f in model["schema"]["fields"] if f != "kind")
        args = {field: args}
    return INTENT.validate_python({"kind": kind, **args})


@lru_cache(maxsize=1)
def load() -> tuple[dict[str, ChatContext], tuple[Case, ...]]:
    files = [yaml.safe_load(path.read_text(encoding="utf-8")) for path in SUITES]
    contexts = {
        name: ChatContext.model_validate({"datasets": datasets(), **raw})
        for data in files
        for name, raw in data["contexts"].items()
    }
    cases = []
    for row in (row for data in files for row in data["cases"]):
        context, message, *expected = row
        if len(expected) == 1 and "question" in expected[0]:
            cases.append(Case(context, message, (), expected[0]["question"]))
        else:
            cases.append(Case(context, message, tuple(_intent(e) for e in expected), None))
    return contexts, tuple(cases)


def grade(case: Case, got: list[Any]) -> str:
    """understood, asked (as expected), asked_back (could have acted) or wrong."""
    only_question = len(got) == 1 and isinstance(got[0], Clarify)
    if case.question is not None:
        if only_question and case.question.casefold() in got[0].question.casefold():
            return "asked"
        return "wrong"
    if len(got) == len(case.intents) and all(
        (isinstance(g, Clarify) and e[1] in g.question) if isinstance(e, tuple) else g == e
        for g, e in zip(got, case.intents, strict=True)
    ):
        return "understood"
    if only_question and not any(isinstance(e, tuple) for e in case.intents):
        return "asked_back"
    return "wrong"


def report(grades: list[tuple[Case, str, list[Any]]]) -> tuple[Counter[str], str]:
    counts = Counter(g for _, g, _ in grades)
    acting = sum(1 for c, _, _ in grades if c.question is None)
    lines = [
        f"{len(grades)} messages: understood {counts['understood']}, asked as expected "
        f"{counts['asked']}, asked back {counts['asked_back']}, wrong {counts['wrong']}",
        f"understood without asking: {counts['understood']}/{acting} of the messages that "
        f"ask for something ({counts['understood'] / max(acting, 1):.1%}); right overall "
        f"(understood or the expected question): "
        f"{(counts['understood'] + counts['asked']) / max(len(grades), 1):.1%}",
    ]
    for case, verdict, got in grades:
        if verdict in ("wrong", "asked_back"):
            shown = "; ".join(
                f"clarify: {g.question}" if isinstance(g, Clarify) else repr(g) for g in got
            )
            lines.append(f"  {verdict}: {case.label} -> {shown[:300]}")
    return counts, "\n".join(lines)
