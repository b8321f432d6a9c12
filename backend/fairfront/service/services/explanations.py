"""Explanations of a point: a fact sheet from the run's stored numbers, then words.

The fact sheet reads the point from ``front.json`` and the by-group test rates from
the model at that round (the same engine as everywhere); the built-in explainer or a
configured LLM writes the text, and an LLM answer with a number not on the sheet is
replaced by the built-in text.

A multi-task point gets one fact sheet per task (that task's blocks, its single-task
baseline, its neighbours on the front, its by-group test rates) and one explanation per
task, then the gains against the single-task models.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from typing import Any

from ...fronts import Front
from ...metrics import evaluate
from ...runs import RunSpec, load_model, run_data
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
            front = read_front(run_dir).model_dump(mode="json")
            run = read_run(run_dir)
            spec = RunSpec.from_dict(run["spec"])
            by_group: dict[str, Any] = {}
            overall = None
            data = run_data(spec)
            if data.X_test is not None and data.y_test is not None:
                # the point's own model (a sweep's setting), truncated at the point
                predictions = load_model(run_dir, round=round_).predict(data.X_test)
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
                point=point.model_dump(mode="json"),
                by_group=by_group,
                neighbours=front_neighbours(front["points"], round_),
                baseline=front.get("baseline"),
                overall=overall,
                target_rule=spec.target_rule,
            )
            try:  # a cache only: a full or read-only store still gets its explanation
                atomic_write(cache, facts.model_dump_json().encode("utf-8"))
            except OSError as error:
                logger.warning("fact sheet not cached: %s", redact_paths(str(error)))
            return facts

    def task_facts(self, run_id: str, round_: int) -> dict[str, FactSheet]:
        """A multi-task point's fact sheet per task; computed once and kept beside the run."""
        self.runs.point(run_id, round_)  # 404 / 409
        run_dir = self.runs.run_dir(run_id)
        cache = run_dir / "explanations" / f"task-facts-round-{round_}.json"
        if cache.is_file():
            try:
                stored = json.loads(cache.read_bytes())
                return {t: FactSheet.model_validate(f) for t, f in stored.items()}
            except (OSError, ValueError, AttributeError):  # damaged: computed again below
                with contextlib.suppress(OSError):
                    cache.unlink()
        with self._lock:
            front = read_front(run_dir)
            run = read_run(run_dir)
            spec = RunSpec.from_dict(run["spec"])
            data = run_data(spec)
            predicted = None
            if data.X_test is not None and data.Y_test is not None:
                predicted = load_model(run_dir, round=round_).predict(data.X_test)
            sheets = {
                task: self._task_sheet(front, run, data, predicted, t, task, round_)
                for t, task in enumerate(data.tasks)
            }
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(
                json.dumps({t: json.loads(f.model_dump_json()) for t, f in sheets.items()}),
                encoding="utf-8",
            )
            return sheets

    @staticmethod
    def _task_sheet(
        front: Front, run: dict[str, Any], data: Any, predicted: Any, t: int, task: str, round_: int
    ) -> FactSheet:
        """One task's fact sheet: the point, neighbours and baseline seen through that task."""
        views = []
        for p in front.points:
            blocks = (p.tasks or {})[task]
            views.append(
                {
                    "round": p.round,
                    "on_front": p.on_front,
                    "trivial": p.trivial,
                    "validation": blocks.validation.model_dump(mode="json"),
                    **({"test": blocks.test.model_dump(mode="json")} if blocks.test else {}),
                }
            )
        by_group: dict[str, Any] = {}
        overall = None
        if predicted is not None:
            report = evaluate(
                data.Y_test[:, t],
                predicted[:, t],
                sensitive_features=data.sensitive_test,
                notions=front.notions,
            )
            by_group = by_group_from_report(report)
            overall = report.overall
        single = front.baselines.tasks.get(task) if front.baselines is not None else None
        return build_fact_sheet(
            dataset=run["dataset"]["name"],
            target=task,
            positive=data.positives[task],
            protected=[
                {"column": p["column"], "groups": sorted(data.sensitive[p["column"]].unique())}
                for p in run["dataset"]["protected"]
            ],
            learner=run["learner"]["name"],
            notions=front.notions,
            constraints=[],
            point=views[round_ - 1],
            by_group=by_group,
            neighbours=front_neighbours(views, round_),
            baseline=None if single is None else single.model_dump(mode="json"),
            overall=overall,
        )

    def explain(self, run_id: str, round_: int) -> dict[str, Any]:
        with llm_turn():  # one deadline for the whole explanation (inside a chat turn: its)
            if read_run(self.runs.run_dir(run_id))["kind"] == "multitask":
                return self._explain_tasks(run_id, round_)
            facts = self.facts(run_id, round_)
            explanation = explain(facts, self.llm)
        return {
            "round": round_,
            "text": explanation.text,
            "source": explanation.source,
            "reason": explanation.reason,
            "facts": json.loads(facts.model_dump_json()),
        }

    def _explain_tasks(self, run_id: str, round_: int) -> dict[str, Any]:
        """One explanation per task, then the gains against the single-task models."""
        sheets = self.task_facts(run_id, round_)
        parts, sources, reasons = [], set(), []
        for task, facts in sheets.items():
            explanation = explain(facts, self.llm)
            parts.append(f"Task {task}: {explanation.text}")
            sources.add(explanation.source)
            if explanation.reason:
                reasons.append(f"{task}: {explanation.reason}")
        front = read_front(self.runs.run_dir(run_id))
        gains = self._gains(front, round_)
        if gains:
            knowledge = sum(g["knowledge_gain"] for g in gains.values()) / len(gains)
            fairness = sum(g["eo_sum_gain"] for g in gains.values()) / len(gains)
            split = front.baselines.split if front.baselines is not None else "test"
            parts.append(
                f"Against single-task models ({split} split), this point's accuracy differs by "
                f"{knowledge:+.3f} on average over the tasks and its eo_sum violation by "
                f"{fairness:+.3f} (negative: fairer than the single-task models)."
            )
        return {
            "round": round_,
            "text": "\n\n".join(parts),
            "source": "llm" if sources == {"llm"} else "builtin",
            "reason": "; ".join(reasons) or None,
            "facts": {
                "tasks": {t: json.loads(f.model_dump_json()) for t, f in sheets.items()},
                "gains": gains,
            },
        }

    @staticmethod
    def _gains(front: Front, round_: int) -> dict[str, dict[str, float]]:
        """Per task, this point's accuracy and eo_sum minus its single-task model's."""
        if front.baselines is None:
            return {}
        split = front.baselines.split
        out: dict[str, dict[str, float]] = {}
        for task, blocks in (front.points[round_ - 1].tasks or {}).items():
            mine = blocks.test if split == "test" else blocks.validation
            single = front.baselines.tasks[task]
            base = single.test if split == "test" else single.validation
            if mine is None or base is None or mine.accuracy is None or base.accuracy is None:
                continue
            eo_mine, eo_base = mine.notion("eo_sum"), base.notion("eo_sum")
            if eo_mine is None or eo_base is None:
                continue
            if eo_mine.value is None or eo_base.value is None:
                continue
            out[task] = {
                "knowledge_gain": mine.accuracy - base.accuracy,
                "eo_sum_gain": eo_mine.value - eo_base.value,
            }
        return out
