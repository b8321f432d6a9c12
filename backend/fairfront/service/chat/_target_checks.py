"""Checks of what to predict: a column, a rule on a column, several tasks, the positive
class. Functions of a :class:`~._checks.Checker` (they resolve names through it and
accept an intent or ask)."""

from __future__ import annotations

from collections.abc import Sequence

from ._checks import Checker, key, listing, quote
from ._intents import SetPositive, SetTarget, SetTargetRule, SetTasks
from ._setup import DatasetInfo

__all__ = ["positive", "target", "target_rule", "tasks"]


def target(checker: Checker, column: str, positive: str | None = None) -> None:
    info = checker.needs_dataset("is that column in")
    if info is None:
        return
    real = checker.column(column, lambda c: f"predict {c}", info)
    if real is None:
        return
    if info.builtin and real != info.target:
        checker.ask(
            f"{checker.setup.dataset} always predicts {info.target} (positive class "
            f"{info.positive}); to predict {real}, upload your own CSV.",
            [f"predict {info.target}", "upload my own data"],
        )
        return
    if positive is None and real == info.target and info.positive_question is None:
        positive = info.positive
    if positive is not None and not positive_ok(checker, real, positive, info):
        return
    built = checker.build(lambda: SetTarget(column=real, positive=positive), "set that target")
    if built is not None:
        checker.emit(built)


def positive_ok(checker: Checker, column: str, value: str, info: DatasetInfo) -> bool:
    values = info.values.get(column)
    if not values or value in values:
        return True
    same = [v for v in values if v.casefold() == value.casefold()]
    if len(same) == 1:
        return True
    checker.ask(
        f"{column} has no value {quote(value)}; its values are {listing(values)}. "
        "Which one is the positive class?",
        [f"the positive class is {v}" for v in values[:5]],
    )
    return False


def positive(checker: Checker, value: str) -> None:
    info = checker.needs_dataset("is that class in")
    if info is None:
        return
    column = checker.setup.target or info.target
    if positive_ok(checker, column, value, info):
        values = info.values.get(column) or [value]
        real = next((v for v in values if v.casefold() == value.casefold()), value)
        checker.emit(SetPositive(value=real))


def target_rule(checker: Checker, column: str, op: str, value: str) -> None:
    info = checker.needs_dataset("is that column in")
    if info is None:
        return
    real = checker.column(column, lambda c: f"predict whether {c} {op} {value}", info)
    if real is None:
        return
    if info.builtin:
        checker.ask(
            f"{checker.setup.dataset} has a fixed target ({info.target}); rules on a "
            "column work on your own CSV.",
            [f"predict {info.target}"],
        )
        return
    built = checker.build(lambda: SetTargetRule(rule=f"{real} {op} {value}"), "use that rule")
    if built is not None:
        checker.emit(built)


def tasks(checker: Checker, names: Sequence[str]) -> None:
    info = checker.needs_dataset("are those tasks in")
    if info is None:
        return
    known = info.tasks or info.columns
    real: list[str] = []
    for name in names:
        found = next((t for t in known if key(t) == key(name)), None)
        if found is None:
            checker.ask(
                f"{checker.setup.dataset} has no task {quote(name)}; its tasks are "
                f"{listing(known)}.",
                [f"predict {' and '.join(known[:2])} together"],
            )
            return
        real.append(found)
    built = checker.build(lambda: SetTasks(tasks=real), "predict those together")
    if built is not None:
        checker.emit(built)


# --------------------------------------------------------------- bounds
