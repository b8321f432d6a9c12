"""Frames: what one clause asks for, read from its cue words and names.

Each frame reads one kind of request from a :class:`Clause`, marks the items it used,
and hands every name and number to the :class:`Checker` (which accepts an intent or
asks). A frame returns False when the clause is not its kind. :func:`setup_items` is
the shared reading of names in any clause ("train adafair on compas for 200 rounds").
"""

from __future__ import annotations

from functools import partial

from fairfront.fronts import Constraint
from fairfront.vocabulary import LEARNERS, NOTIONS

from ._bounds import read_bounds
from ._checks import Checker
from ._clause import Clause
from ._intents import (
    Cancel,
    ChooseLearner,
    Compare,
    Define,
    Explain,
    Export,
    Intent,
    ListRuns,
    Move,
    OpenRun,
    PointRule,
    SelectPoint,
    SetEpochs,
    SetNotions,
    SetRounds,
    StartOver,
    Undo,
    UploadDataset,
)

__all__ = ["SELECT_CUES", "command", "setup_items"]

SELECT_CUES = ("fairest", "most_accurate", "knee")
"""Cues that make a sentence a choice of point (its bounds are the rule's)."""


def _int(clause: Clause, i: int) -> int | None:
    token = clause.items[i].token
    if token.value is None or token.percent or token.value != int(token.value):
        return None
    return int(token.value)


def _round_number(clause: Clause) -> tuple[int, int, int] | None:
    """(round, cue position, number position) of "round 12" in ``clause``."""
    for i, item in clause:
        if item.token.low in ("round", "iteration") and i + 1 < len(clause):
            n = i + 1
            if clause.items[n].token.low in ("#", "no", "number") and n + 1 < len(clause):
                n += 1
            number = _int(clause, n) if clause.items[n].kind == "number" else None
            if number is not None:
                return number, i, n
    return None


def counts(clause: Clause, checker: Checker) -> list[tuple[int, Intent]]:
    """ "300 rounds", "rounds to 300", "30 epochs": numbers counting rounds or epochs."""
    out: list[tuple[int, Intent]] = []
    for i, item in clause:
        if i in clause.used or not item.cue("rounds", "epochs"):
            continue
        before = clause.prev_content(i)
        after = clause.next_content(i, skip=("at",))
        for n in (before, after):
            if n is None or n in clause.used or clause.items[n].kind != "number":
                continue
            number = _int(clause, n)
            clause.take(i, n)
            if n == after:
                clause.take(*range(i, n))
            if number is None:
                checker.ask(
                    f"How many {item.text}? '{clause.items[n].text}' is not a whole number."
                )
            elif item.cue("epochs"):
                built = checker.build(partial(SetEpochs, epochs=number), "set epochs")
                if built is not None:
                    out.append((i, built))
            elif checker.rounds_ok(number):
                out.append((i, SetRounds(rounds=number)))
            break
    return out


def setup_items(clause: Clause, checker: Checker, *, adding: bool = False) -> None:
    """Names anywhere in a clause, emitted in the order written: bounds, rounds, datasets,
    learners and notions ("use dp under 3%" sets the notion and the bound)."""
    bounds = read_bounds(clause, checker)
    if bounds is None:
        clause.take(*range(len(clause)))
        return
    steps: list[tuple[int, Intent | str]] = list(counts(clause, checker))
    notions = list(checker.setup.notions) if adding or clause.has("also") else []
    listed: int | None = None
    for i, item in clause:
        if i in clause.used:
            continue
        term = item.term("dataset", "learner", "notion")
        if term is None and item.cue("upload"):
            clause.take_all("upload")
            if not any(isinstance(s, UploadDataset) for _, s in steps):
                steps.append((i, UploadDataset()))
            continue
        if term is None and item.cue("together") and not clause.terms("task"):
            clause.take(i)
            if any(LEARNERS[t.value].multitask for _, t in clause.terms("learner")):
                continue  # "multi-task learning with fairbranch": the learner says which
            names = [n for n, t in LEARNERS.items() if t.multitask]
            checker.ask(
                "Which multi-task learner: " + ", ".join(names) + "?", [f"use {n}" for n in names]
            )
            continue
        if term is None:
            continue
        clause.take(i)
        if item.typo:
            checker.ask(f"Did you mean {term.value} ('{item.text}')?", [f"use {term.value}"])
        elif term.kind == "dataset":
            steps.append((i, "dataset:" + term.value))
        elif term.kind == "learner":
            steps.append((i, ChooseLearner(learner=term.value)))
        elif term.value not in notions:
            notions.append(term.value)
            listed = i if listed is None else listed
    if clause.has("use") and not clause.has("also", "bound"):  # "use dp under 3%": the notion
        for constraint in bounds:
            metric = Constraint.parse(constraint).metric
            if metric in NOTIONS and metric not in notions:
                notions.append(metric)
                listed = 0 if listed is None else listed
    if listed is not None:
        steps.append((listed, SetNotions(notions=notions)))
    for _, step in sorted(steps, key=lambda s: s[0]):
        if isinstance(step, str):
            checker.choose_dataset(step.removeprefix("dataset:"))
        else:
            checker.emit(step)
    for constraint in bounds:
        checker.add_bound(constraint)
    if steps or bounds:
        clause.take_all("use", "also", "open", "select")


def select(clause: Clause, checker: Checker) -> bool:
    """Choose a point: the knee, a round, the fairest or most accurate under bounds."""
    rounded = _round_number(clause)
    lowest = _extreme(clause, "lowest", ("notion",))
    highest = _extreme(clause, "highest", ("metric",))
    weights = _weights(clause)
    pointed = clause.has("point") or any(item.cue("use", "select") for item in clause.items[:2])
    vague = pointed and (clause.has("vague") or clause.has("lowest", "highest"))
    named = pointed and clause.has("point") and bool(clause.terms("notion", "metric"))
    if not (clause.has(*SELECT_CUES) or rounded or lowest or highest or weights or vague or named):
        return False
    if not checker.needs_run("choose a point from"):
        clause.take(*range(len(clause)))
        return True
    clause.take_all("select", "point", "use")
    if weights is not None:
        rule = checker.build(
            lambda: PointRule(kind="weights", weights=weights), "use those weights"
        )
        if rule is not None:
            checker.emit(SelectPoint(rule=rule))
        return True
    if rounded is not None:
        clause.take(rounded[1], rounded[2])
        if checker.round_ok(rounded[0]):
            checker.emit(SelectPoint(rule=PointRule(kind="round", round=rounded[0])))
        return True
    if clause.has("knee"):
        clause.take_all("knee")
        checker.emit(SelectPoint(rule=PointRule(kind="knee")))
        return True
    bounds = read_bounds(clause, checker)
    if bounds is None:
        return True
    run = checker.context.run
    maximize = "balanced_accuracy"
    if lowest is not None:
        maximize = lowest[1]
        clause.take(*lowest[0])
    elif highest is not None:
        maximize = highest[1]
        clause.take(*highest[0])
    elif clause.has("fairest"):
        clause.take_all("fairest")
        notions = (
            run.notions if run is not None and run.notions else checker.setup.effective_notions
        )
        maximize = notions[0]
        by = clause.terms("notion")  # "the fairest by dp"
        if len(by) == 1:
            clause.take(by[0][0])
            maximize = by[0][1].value
    elif clause.has("most_accurate"):
        clause.take_all("most_accurate")
        maximize = "accuracy"
    elif not bounds:
        clause.take_all("vague", "lowest", "highest")
        checker.ask(
            "Which point do you mean? The knee of the front (the best trade-off), the "
            "fairest one above an accuracy level, the most accurate one under a fairness "
            "bound, or a round number?",
            [
                "pick the knee",
                "pick the fairest point with balanced accuracy above 0.8",
                "pick the most accurate point with eo under 0.05",
            ],
        )
        return True
    measured = run.notions if run is not None and run.notions else []
    missing = [
        m
        for m in [maximize, *(Constraint.parse(c).metric for c in bounds)]
        if m in NOTIONS and measured and m not in measured
    ]
    if missing:
        checker.ask(
            f"This run measured {', '.join(measured)} only, not {', '.join(missing)}. "
            f"Choose by {measured[0]}, or train again with {missing[0]}?",
            ["pick the fairest point", f"use {missing[0]} and train"],
        )
        return True
    rule = checker.build(
        lambda: PointRule(kind="constraints", constraints=bounds, maximize=maximize),
        "choose a point that way",
    )
    if rule is not None:
        checker.emit(SelectPoint(rule=rule))
    return True


def _weights(clause: Clause) -> list[float] | None:
    """ "weights 1, 1, 2": one weight per objective."""
    at = clause.find("weights")
    if at is None:
        return None
    found = [
        j
        for j in range(at + 1, len(clause))
        if clause.items[j].kind == "number" and j not in clause.used
    ]
    if not found:
        return None
    clause.take(at, *found)
    for j in range(at + 1, max(found)):
        if clause.items[j].token.text in (",", "and", "of", "/"):
            clause.take(j)
    return [float(clause.items[j].token.value or 0) for j in found]


def _extreme(clause: Clause, cue: str, kinds: tuple[str, ...]) -> tuple[list[int], str] | None:
    """("lowest", notion) or ("highest", metric) next to each other: positions and name."""
    for i, item in clause:
        if not item.cue(cue):
            continue
        j = clause.next_content(i)
        if j is not None and (term := clause.items[j].term(*kinds)) is not None:
            return [i, j], term.value
    return None


def _number_after(clause: Clause) -> tuple[int, list[int]] | None:
    got = _round_number(clause)
    return (got[0], [got[1], got[2]]) if got else None


def command(clause: Clause, checker: Checker) -> bool:
    """The one-word requests: start over, stop, runs, undo, move, compare, explain, export."""
    if clause.has("start_over"):
        clause.take_all("start_over")
        checker.emit(StartOver())
        return True
    if clause.has("cancel"):
        clause.take_all("cancel", "run", "train")
        checker.emit(Cancel())
        return True
    if clause.has("runs"):
        clause.take_all("runs", "select", "question", "again")
        checker.emit(ListRuns())
        return True
    opened = _open_run(clause)
    if opened is not None:
        checker.emit(OpenRun(run=opened))
        return True
    if clause.has("undo") and not clause.has("restore"):
        if checker.needs_run("go back on"):
            checker.emit(Undo())
        clause.take_all("undo", "select", "again", "open", "point")
        return True
    if clause.has("fairer", "more_accurate"):
        if checker.needs_run("move along"):
            fairer = clause.has("fairer")
            checker.emit(Move(direction="fairer" if fairer else "more_accurate"))
        clause.take_all("fairer", "more_accurate")
        return True
    if clause.has("rest", "predict"):
        return False
    head = clause.items[0]
    if clause.has("compare") or (
        clause.has("baseline", "single_task")
        and (clause.has("against") or head.cue("question", "select", "use"))
    ):
        single = clause.has("single_task")
        if checker.needs_run("compare"):
            checker.emit(Compare(against="single_task" if single else "baseline"))
        clause.take_all("compare", "baseline", "single_task", "against", "select", "question")
        return True
    terms = clause.terms("notion", "metric")
    if (
        clause.has("explain")
        and terms
        and _round_number(clause) is None
        and not clause.has("selected", "point")
    ):
        clause.take_all("explain")
        for i, term in terms:
            clause.take(i)
            checker.emit(Define(term=term.value))
        return True
    for cue, kind in (("export", Export), ("explain", Explain)):
        if clause.has(cue):
            clause.take_all(cue, "selected", "point")
            number = _number_after(clause)
            if number is not None:
                clause.take(*number[1])
            what = "export" if kind is Export else "explain"
            if checker.needs_run(what) and (number is None or checker.round_ok(number[0])):
                checker.emit(kind(round=number[0] if number else None))
            return True
    return False


def _open_run(clause: Clause) -> str | None:
    """ "open run 3", "reopen run ab12cd", "go back to run 2": the run asked for."""
    at = clause.find("open")
    if at is None:
        return None
    run = clause.next_content(at)
    if run is None or clause.items[run].token.low not in ("run", "training"):
        return None
    ref = clause.next_content(run)
    if ref is None:
        return None
    token = clause.items[ref].token
    text = token.text.lstrip("#")
    if not text or not (token.kind == "number" or text.isalnum()):
        return None
    clause.take(at, run, ref)
    return text
