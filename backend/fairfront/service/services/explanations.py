"""Explanations of a point: a fact sheet from the run's stored numbers, then words.

The fact sheet reads the point from ``front.json`` and the by-group test rates from
the model at that round (the same engine as everywhere); the built-in explainer or a
configured LLM writes the text, and an LLM answer with a number not on the sheet is
replaced by the built-in text.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from typing import Any

from ...datasets import load_dataset
from ...metrics import evaluate
from ...training import RunSpec, load_model
from ..explain import (
    FactSheet,
    LLMExplainer,
    build_fact_sheet,
    by_group_from_report,
    explain,
    front_neighbours,
)
from ..llm import llm_turn, make_llm_client
from ..settings import Settings
from ..storage import atomic_write, redact_paths
from ..storage import checked_front as read_front
from ..storage import checked_run as read_run
from .runs import RunsService

logger = logging.getLogger(__name__)


class ExplanationsService:
    def __init__(self, runs: RunsService, settings: Settings) -> None:
        self.runs = runs
        self.settings = settings
        client = make_llm_client(settings)
        self.llm = (
            LLMExplainer(
                client, settings.llm_model or "", settings.llm_timeout, settings.llm_retries
            )
            if client is not None
            else None
        )
        self._lock = threading.Lock()

    def facts(self, run_id: str, round_: int) -> FactSheet:
        """The fact sheet of that point; computed once and kept beside the run."""
        point = self.runs.point(run_id, round_)
        run_dir = self.runs.run_dir(run_id)
        cache = run_dir / "explanations" / f"facts-round-{round_}.json"
        if cache.is_file():
            try:
                return FactSheet.model_validate_json(cache.read_bytes())
            except (OSError, ValueError):  # a damaged cache: computed again below
                with contextlib.suppress(OSError):
                    cache.unlink()
        with self._lock:
            front = read_front(run_dir)
            run = read_run(run_dir)
            spec = RunSpec.from_dict(run["spec"])
            by_group: dict[str, Any] = {}
            overall = None
            data = load_dataset(
                spec.data,
                target=spec.target,
                positive=spec.positive,
                protected=spec.protected,
                drop=spec.drop,
                test_size=spec.test_size,
                random_state=spec.random_state,
            )
            if data.X_test is not None and data.y_test is not None:
                model = load_model(run_dir)
                learner = model.named_steps["learner"].at_round(round_)
                predictions = learner.predict(
                    model.named_steps["preprocess"].transform(data.X_test)
                )
                report = evaluate(
                    data.y_test,
                    predictions,
                    sensitive_features=data.sensitive_test,
                    notions=front["notions"],
                )
                by_group = by_group_from_report(report)
                overall = report.overall
            facts = build_fact_sheet(
                dataset=run["dataset"]["name"],
                target=data.target,
                positive=data.positive,
                protected=[
                    {"column": p["column"], "groups": sorted(data.sensitive[p["column"]].unique())}
                    for p in run["dataset"]["protected"]
                ],
                learner=spec.learner,
                notions=front["notions"],
                constraints=spec.constraints,
                point=point,
                by_group=by_group,
                neighbours=front_neighbours(front["points"], round_),
                baseline=front.get("baseline"),
                overall=overall,
            )
            try:  # a cache only: a full or read-only store still gets its explanation
                atomic_write(cache, facts.model_dump_json().encode("utf-8"))
            except OSError as error:
                logger.warning("fact sheet not cached: %s", redact_paths(str(error)))
            return facts

    def explain(self, run_id: str, round_: int) -> dict[str, Any]:
        facts = self.facts(run_id, round_)
        with llm_turn():  # one deadline for the whole explanation (inside a chat turn: its)
            explanation = explain(facts, self.llm)
        return {
            "round": round_,
            "text": explanation.text,
            "source": explanation.source,
            "reason": explanation.reason,
            "facts": json.loads(facts.model_dump_json()),
        }
