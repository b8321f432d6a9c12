"""What the chat does on a finished run: choose, go back, move along the front, compare,
answer questions from stored numbers, explain and export (:class:`PointsChat`), and one
message's working state (:class:`Turn`)."""

from __future__ import annotations

import logging
from typing import Any

from ...fronts import SelectionRule
from ..chat import (
    Ask,
    Compare,
    Explain,
    Export,
    Intent,
    Move,
    SelectPoint,
    Setup,
    Undo,
    point_answer,
    setting_words,
)
from ..chat._answers import (
    compare_answer,
    move_along,
    points_answer,
    single_task_answer,
    worst_group_answer,
)
from ..explain import check_numbers
from .explanations import ExplanationsService
from .exports import ExportsService
from .runs import RunsService

__all__ = ["NEXT_ON_RUN", "PointsChat", "Turn"]

log = logging.getLogger(__name__)

NEXT_ON_RUN = ["explain", "make it fairer", "compare with the unconstrained model", "export"]


class Turn:
    """One message's working state: the set-up, run, history, replies and actions."""

    def __init__(self, setup: Setup, run_id: str | None, history: list[dict[str, Any]]) -> None:
        self.setup = setup
        self.run_id = run_id
        self.history = history
        self.changed = False
        self.replies: list[str] = []
        self.actions: list[dict[str, Any]] = []
        self.suggestions: list[str] = []
        self.owner: str | None = None
        """Whose session this is: uploads and runs are looked up among theirs only."""

    def say(self, text: str, action: dict[str, Any] | None = None) -> None:
        if text:
            self.replies.append(text)
        if action:
            self.actions.append(action)


class PointsChat:
    """Intents about the session's finished run; its choices are kept in the history."""

    def __init__(
        self, runs: RunsService, explanations: ExplanationsService, exports: ExportsService
    ) -> None:
        self.runs = runs
        self.explanations = explanations
        self.exports = exports

    def _front(self, run_id: str) -> dict[str, Any]:
        """The run's front as JSON (what the answers read)."""
        front: dict[str, Any] = self.runs.front(run_id).model_dump(mode="json")
        return front

    def _point(self, run_id: str, round_: int) -> dict[str, Any]:
        point: dict[str, Any] = self.runs.point(run_id, round_).model_dump(mode="json")
        return point

    def _current(self, run_id: str, run: dict[str, Any]) -> int:
        return int((run["selection"] or {}).get("round") or self.runs.selected_round(run_id))

    def _choose(self, turn: Turn, run_id: str, round_: int, reason: str) -> None:
        """Choose ``round_`` and remember it in the session's history of choices."""
        self.runs.select(run_id, SelectionRule(kind="round", round=round_))
        turn.history.append({"role": "selection", "run_id": run_id, "round": round_})
        turn.say(reason, {"type": "point_selected", "round": round_})

    def act(self, intent: Intent, turn: Turn) -> None:
        run_id = turn.run_id
        if run_id is None:
            turn.say('There is no trained run yet: set things up and say "train".')
            return
        run = self.runs.get(run_id)
        if run["status"] != "done":
            turn.say(f"The run is {run['status']}; ask again when it is done.")
            return
        current = self._current(run_id, run)
        chosen = [
            h["round"]
            for h in turn.history
            if h.get("role") == "selection" and h.get("run_id") == run_id
        ]
        if not chosen and isinstance(intent, SelectPoint | Move):
            turn.history.append({"role": "selection", "run_id": run_id, "round": current})
        turn.suggestions = NEXT_ON_RUN
        if isinstance(intent, SelectPoint):
            picked = self.runs.select(run_id, intent.rule.to_rule())
            round_ = int(picked["point"]["round"])
            turn.history.append({"role": "selection", "run_id": run_id, "round": round_})
            setting = setting_words(picked["selection"].get("setting"))
            turn.say(
                f"Selected round {round_}"
                + (f" (the setting {setting})" if setting else "")
                + f": {picked['selection']['reason']}. "
                + point_answer(picked["point"], run["spec"]["notions"], None),
                {"type": "point_selected", "round": round_},
            )
        elif isinstance(intent, Undo):
            if len(chosen) < 2:
                turn.say(
                    f"There is no earlier choice to go back to; round {current} is the "
                    "first point chosen on this run."
                )
                return
            last = _last_choice(turn.history, run_id)
            turn.history = [h for h in turn.history if h is not last]
            self.runs.select(run_id, SelectionRule(kind="round", round=chosen[-2]))
            turn.say(
                f"Back to round {chosen[-2]} (chosen before round {chosen[-1]}).",
                {"type": "point_selected", "round": chosen[-2]},
            )
        elif isinstance(intent, Move):
            moved, text = move_along(self._front(run_id), current, intent.direction)
            if moved is None:
                turn.say(text)
            else:
                self._choose(turn, run_id, moved, text)
        elif isinstance(intent, Explain | Export):
            self._explain_or_export(intent, turn, run_id, intent.round or current)
        elif isinstance(intent, Compare):
            if intent.against == "single_task":
                point = self._point(run_id, current)
                answer = single_task_answer(self._front(run_id), point)
                turn.say(
                    answer
                    or "This run stores no single-task models to compare with; "
                    "they come with multi-task runs (FairBranch, L2T-FMT, MTL)."
                )
            else:
                turn.say(compare_answer(self.explanations.facts(run_id, current)))
        elif isinstance(intent, Ask):
            turn.say(self._answer(intent, run_id, run, current))
        else:  # pragma: no cover - every intent kind is handled above
            turn.say('I did not understand that; say "help" for examples.')

    def _answer(self, intent: Ask, run_id: str, run: dict[str, Any], current: int) -> str:
        if intent.topic == "points":
            return points_answer(self._front(run_id))
        if intent.topic == "selected":
            selection = run["selection"] or self._front(run_id)["selection"]
            setting = setting_words(selection.get("setting"))
            return (
                f"The chosen point is round {current}"
                + (f", from the setting {setting}" if setting else "")
                + f": {selection.get('reason', '')}."
            )
        facts = self.explanations.facts(run_id, current)
        if intent.topic == "worst_group":
            answer = worst_group_answer(facts)
        else:
            answer = point_answer(
                self._point(run_id, current), run["spec"]["notions"], intent.metric
            )
        if intent.text and not check_numbers(intent.text, facts):
            return intent.text  # the model's own words, every number on the fact sheet
        if intent.text:
            log.info("a model's answer quoted numbers not on the fact sheet; using stored ones")
        return answer

    def _explain_or_export(
        self, intent: Explain | Export, turn: Turn, run_id: str, round_: int
    ) -> None:
        if isinstance(intent, Explain):
            explanation = self.explanations.explain(run_id, round_)
            turn.say(
                explanation["text"],
                {"type": "explanation", "round": round_, "source": explanation["source"]},
            )
            return
        self.exports.files(run_id, round_)
        base = f"/api/runs/{run_id}/points/{round_}"
        turn.say(
            f"The model at round {round_} is ready: one ONNX file (preprocessing included) "
            "and its model card.",
            {
                "type": "download",
                "round": round_,
                "model_url": f"{base}/model.onnx",
                "card_url": f"{base}/model-card",
                "card_markdown_url": f"{base}/model-card?format=markdown",
            },
        )


def _last_choice(history: list[dict[str, Any]], run_id: str) -> dict[str, Any] | None:
    return next(
        (
            h
            for h in reversed(history)
            if h.get("role") == "selection" and h.get("run_id") == run_id
        ),
        None,
    )
