"""Question frames: what a notion means, and questions about the chosen point, the run
and the set-up (answered later from stored numbers, never from the message)."""

from __future__ import annotations

from ._checks import Checker
from ._clause import Clause
from ._intents import Ask, AskTopic, Define, Help

__all__ = ["question"]

_POINT_WORDS = ("selected", "point", "run")
_FRAMING = ("question", "define", "selected", "point", "select", "at", "per", "explain")


def _ask(clause: Clause, checker: Checker, topic: AskTopic, metric: str | None = None) -> bool:
    if topic in ("metric", "worst_group", "selected", "points") and not checker.needs_run(
        "ask about"
    ):
        clause.take(*range(len(clause)))
        return True
    clause.take_all(*_FRAMING)
    checker.emit(Ask(topic=topic, metric=metric))
    return True


def question(clause: Clause, checker: Checker, *, asked: bool) -> bool:
    """A question; ``asked``: the sentence reads as one (a "?" or a question word first)."""
    terms = clause.terms("notion", "metric")
    refers = clause.has(*_POINT_WORDS) and any(
        clause.items[i].cue("selected") or clause.items[i].token.low in ("model", "point", "round")
        for i, _ in clause
    )
    run = checker.context.run
    if (
        run is not None
        and run.status == "done"
        and any(  # "what is the accuracy?": its value
            i > 0 and clause.items[i - 1].token.low == "the" for i, _ in terms
        )
    ):
        refers = True
    others = [
        i
        for i in clause.leftovers()
        if i not in {j for j, _ in terms}
        and not clause.items[i].cue("compare", "per", "define", "means", "question")
    ]
    if terms and not refers and not others and (clause.has("define", "means") or asked):
        clause.take_all(*_FRAMING, "means", "compare", "per")
        for i, term in terms:
            clause.take(i)
            checker.emit(Define(term=term.value))
        return True
    if not asked or clause.has("explain", "export"):
        return False
    if clause.has("how_many"):
        clause.take_all("how_many", "rounds", "point", "run")
        for i, item in clause:
            if item.token.low in ("front", "pareto", "models", "points", "rounds"):
                clause.take(i)
        return _ask(clause, checker, "points")
    if clause.has("worst"):
        clause.take_all("worst", "fairness", "columns")
        for i, item in clause:
            if item.token.low in ("group", "groups", "attribute", "off", "most", "treated"):
                clause.take(i)
        return _ask(clause, checker, "worst_group")
    if terms and refers or terms and clause.has("question") and checker.context.run is not None:
        i, term = terms[0]
        clause.take(*(j for j, _ in terms))
        return _ask(clause, checker, "metric", term.value if len(terms) == 1 else None)
    if clause.has("fairness") and refers:
        clause.take_all("fairness")
        return _ask(clause, checker, "metric")
    for cue, topic in (
        ("status", "status"),
        ("setup", "setup"),
        ("columns", "columns"),
        ("datasets", "datasets"),
    ):
        if clause.has(cue):
            clause.take_all(cue, "run", "train")
            return _ask(clause, checker, topic)  # type: ignore[arg-type]
    if clause.has("selected") and clause.has("point", "select"):
        return _ask(clause, checker, "selected")
    if clause.has("help"):
        clause.take_all("help", "question")
        checker.emit(Help())
        return True
    return False
