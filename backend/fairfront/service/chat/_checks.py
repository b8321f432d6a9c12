"""The checks against the session, shared by the rule reader and the LLM path.

A :class:`Checker` holds a scratch set-up (the session's, with what this message has
set so far), the intents accepted and the questions raised. Every name is resolved
here: a dataset or column exactly (case, spaces, hyphens and underscores aside), a
synonym or a near miss only ever as a question; every number is ranged here (rounds,
a round the run has, bounds between 0 and 1); actions that need a run or a dataset ask
when there is none. :func:`check_intents` runs an LLM's intents through the same checks.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from fairfront.fronts import PERFORMANCE_METRICS, Constraint, ConstraintError
from fairfront.groups import GroupingError, ProtectedAttribute
from fairfront.vocabulary import COLUMN_SYNONYMS, NOTIONS

from ._intents import (
    MAX_ROUNDS,
    NAME_MAX,
    TEXT_MAX,
    AddConstraint,
    ChooseDataset,
    Clarify,
    DropColumns,
    Explain,
    Export,
    Intent,
    KeepColumns,
    Move,
    SelectPoint,
    SetNotions,
    SetProtected,
    Train,
    Undo,
)
from ._setup import ChatContext, DatasetInfo, Setup, apply

__all__ = ["NEED_RUN", "Checker", "key", "listing", "quote"]

_IntentT = TypeVar("_IntentT", bound=BaseModel)
NEED_RUN = {
    SelectPoint: "choose a point from",
    Explain: "explain",
    Export: "export",
    Undo: "go back on",
    Move: "move along",
}


def key(text: str) -> str:
    """Comparison key: case, spaces, underscores, hyphens and dots ignored."""
    return re.sub(r"[\s_.\-]+", "", text.casefold())


def quote(text: str, limit: int = 40) -> str:
    """User text quoted for a question: one line, at most ``limit`` characters."""
    flat = " ".join(text.split())
    return "'" + (flat if len(flat) <= limit else flat[: limit - 1] + "…") + "'"


def listing(names: Sequence[str], limit: int = 25) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


class Checker:
    """One message's accepted intents and open questions, against one context."""

    def __init__(self, context: ChatContext) -> None:
        self.context = context
        self.setup: Setup = context.setup
        self.intents: list[Intent] = []
        self.questions: list[Clarify] = []
        self.tried_training = False

    @property
    def info(self) -> DatasetInfo | None:
        return self.context.datasets.get(self.setup.dataset or "")

    # ---------------------------------------------------------- bookkeeping
    def emit(self, intent: Intent) -> None:
        if isinstance(intent, SetNotions):
            for i, earlier in enumerate(self.intents):
                if isinstance(earlier, SetNotions):
                    self.intents[i] = intent
                    self.setup = apply(self.setup, intent)
                    return
        self.intents.append(intent)
        self.setup = apply(self.setup, intent)

    def ask(self, question: str, options: Iterable[str] = ()) -> None:
        opts = list(dict.fromkeys(o[:NAME_MAX] for o in options if o))[:10]
        self.questions.append(Clarify(question=question[:TEXT_MAX], options=opts))

    def build(self, factory: Callable[[], _IntentT], what: str) -> _IntentT | None:
        """An intent, or None after asking when its values are out of range."""
        try:
            return factory()
        except (ValidationError, ValueError) as error:
            detail = (
                "; ".join(e["msg"] for e in error.errors()[:3])
                if isinstance(error, ValidationError)
                else str(error)
            )
            self.ask(f"I cannot {what}: {detail}.")
            return None

    def dataset_options(self) -> list[str]:
        return [f"use {n}" for n in list(self.context.datasets)[:5]]

    # -------------------------------------------------------------- context
    def needs_run(self, what: str) -> bool:
        if self.context.run is not None:
            return True
        self.ask(
            f"There is no trained model yet to {what}. Choose a dataset, then say 'train'.",
            ["train", "help"] if self.setup.dataset else [*self.dataset_options()[:3], "help"],
        )
        return False

    def needs_dataset(self, what: str) -> DatasetInfo | None:
        info = self.info
        if info is None:
            names = list(self.context.datasets)
            self.ask(
                f"Which dataset {what}? Choose one first"
                + (f" ({listing(names)})." if names else "."),
                self.dataset_options(),
            )
        return info

    def round_ok(self, number: int) -> bool:
        run = self.context.run
        top = run.rounds if run is not None and run.rounds else MAX_ROUNDS
        if 1 <= number <= top:
            return True
        have = "this run has" if run is not None and run.rounds else "rounds are numbered"
        self.ask(
            f"There is no round {number}: {have} 1 to {top}. Which round?",
            [f"pick round {top}", "pick the knee"],
        )
        return False

    def rounds_ok(self, number: int) -> bool:
        if 1 <= number <= MAX_ROUNDS:
            return True
        self.ask(
            f"Rounds must be between 1 and {MAX_ROUNDS}; {number} is out of range. "
            "How many rounds?",
            [f"{MAX_ROUNDS} rounds", "300 rounds"],
        )
        return False

    def choose_dataset(self, typed: str) -> bool:
        name = next((n for n in self.context.datasets if key(n) == key(typed)), None)
        if name is None:
            names = list(self.context.datasets)
            close = difflib.get_close_matches(typed.casefold(), names, n=2, cutoff=0.7)
            self.ask(
                f"There is no dataset {quote(typed)}. "
                + (
                    f"Did you mean {' or '.join(close)}?"
                    if close
                    else f"Choose one of {listing(names)}, or upload your own CSV."
                ),
                [f"use {n}" for n in (close or names[:5])],
            )
            return False
        self.emit(ChooseDataset(name=name))  # the same one again: said back, changes nothing
        return True

    def train(self) -> None:
        self.tried_training = True
        if self.setup.dataset is None:
            self.ask(
                "Which dataset should I train on? Choose one"
                + (f" ({listing(list(self.context.datasets))})" if self.context.datasets else "")
                + " or upload your own CSV.",
                [*self.dataset_options(), "upload my own data"],
            )
            return
        problems = self.setup.problems(self.info)
        if problems:  # read right, but not trainable: said once, next to the set-up
            self.intents.append(
                Clarify(question="I cannot train yet: " + "; ".join(problems) + ".")
            )
            return
        self.emit(Train())

    # -------------------------------------------------------------- columns
    def column(self, typed: str, option: Callable[[str], str], info: DatasetInfo) -> str | None:
        """The real column name for ``typed``, or None after asking."""
        k = key(typed)
        exact = [c for c in info.columns if key(c) == k]
        if len(exact) == 1:
            return exact[0]
        if len(exact) > 1:
            same = [c for c in exact if c.casefold() == typed.casefold()]
            if len(same) == 1:
                return same[0]
            self.ask(f"Which column do you mean: {', '.join(exact)}?", [option(c) for c in exact])
            return None
        by_key = {key(c): c for c in info.columns}
        synonyms = {key(w): cs for w, cs in COLUMN_SYNONYMS.items()}
        suggestions = [by_key[key(s)] for s in synonyms.get(k, ()) if key(s) in by_key]
        if not suggestions:
            suggestions = [by_key[c] for c in difflib.get_close_matches(k, list(by_key), 3, 0.75)]
        name = self.setup.dataset or "this dataset"
        if suggestions:
            self.ask(
                f"{name} has no column {quote(typed)}. Did you mean "
                + " or ".join(suggestions)
                + "?",
                [option(s) for s in suggestions],
            )
        else:
            self.ask(
                f"{name} has no column {quote(typed)}. Its columns are: {listing(info.columns)}."
            )
        return None

    def protected_now(self, info: DatasetInfo) -> list[str]:
        return list(self.setup.protected if self.setup.protected is not None else info.protected)

    def protect(self, items: Sequence[str], *, adding: bool) -> None:
        """``items`` ('sex', 'race:White', 'age:30,50') resolved and set as protected."""
        info = self.needs_dataset("are the protected attributes in")
        if info is None:
            return
        chosen = self.protected_now(info) if adding else []
        for index, item in enumerate(items):
            typed, sep, spec = item.partition(":")

            def option(
                column: str,
                index: int = index,
                sep: str = sep,
                spec: str = spec,
                chosen: list[str] = chosen,
            ) -> str:
                picked = [*chosen, column + sep + spec, *items[index + 1 :]]
                unique = {p.partition(":")[0].casefold(): p for p in reversed(picked)}
                return "protect " + ", ".join(reversed(list(unique.values())))

            column = self.column(typed.strip(), option, info)
            if column is None:
                return
            text = f"{column}{sep}{spec.strip()}"
            if sep:
                try:
                    ProtectedAttribute.parse(text)
                except GroupingError as error:
                    self.ask(f"I cannot read {quote(item)}: {error}.")
                    return
                edges = "," in spec or spec.replace(".", "", 1).isdigit()
                if edges and info.numeric and column not in info.numeric:
                    self.ask(
                        f"{column} is not numeric, so it cannot be split at numbers. "
                        f"Protect each of its values, or one value against the rest?",
                        [f"protect {column}:all", f"protect {column}"],
                    )
                    return
            chosen = [c for c in chosen if c.partition(":")[0] != column] + [text]
        built = self.build(lambda: SetProtected(attributes=chosen), "protect those columns")
        if built is not None:
            self.emit(built)

    def columns(self, typed: Sequence[str], *, restore: bool) -> None:
        info = self.needs_dataset("are those columns in")
        if info is None:
            return
        verb = "put back" if restore else "drop"
        found: list[str] = []
        for name in typed:
            column = self.column(name, lambda c: f"{verb} {c}", info)
            if column is None:
                return
            if not restore and column == (self.setup.target or info.target):
                self.ask(f"{column} is the target; it is never a feature. Drop another column?")
                return
            found.append(column)
        if restore:
            self.emit(KeepColumns(columns=found))
        else:
            self.emit(DropColumns(columns=found))

    def bound(
        self, metric: str, op: str, value: float, attribute: str | None, written: str
    ) -> str | None:
        """One bound as canonical constraint text, or None after asking."""
        label = NOTIONS[metric].short if metric in NOTIONS else metric.replace("_", " ")
        if metric not in PERFORMANCE_METRICS and op == ">=":
            self.ask(
                f"{label} is a gap between groups, so it only takes an upper bound. "
                f"Did you mean {metric} under {written}?",
                [f"keep {metric} under {written}"],
            )
            return None
        if attribute is not None:
            if metric in PERFORMANCE_METRICS:
                self.ask(
                    f"{label} has no per-attribute value; drop 'for {attribute}'?",
                    [f"keep {metric} {'above' if op == '>=' else 'under'} {written}"],
                )
                return None
            info = self.info
            if info is not None:
                column = self.column(
                    attribute, lambda c: f"keep {metric} under {written} for {c}", info
                )
                if column is None:
                    return None
                protected = [p.partition(":")[0] for p in self.protected_now(info)]
                if column not in protected:
                    self.ask(
                        f"{column} is not a protected attribute (protected: "
                        f"{', '.join(protected) or 'none'}). Protect it first?",
                        ["protect " + ", ".join([*protected, column])],
                    )
                    return None
                attribute = column
        where = f"[{attribute}]" if attribute else ""
        try:
            return str(Constraint.parse(f"{metric}{where}{op}{value!r}"))
        except ConstraintError as error:
            self.ask(f"I cannot use {quote(written)} for {label}: {error}.")
            return None

    def add_bound(self, constraint: str) -> None:
        metric = Constraint.parse(constraint).metric
        if metric not in PERFORMANCE_METRICS and metric not in self.setup.notions:
            self.emit(SetNotions(notions=[*self.setup.notions, metric]))
        self.emit(AddConstraint(text=constraint))

    # ---------------------------------------------------------------- result
    def result(self) -> list[Intent]:
        """The intents; next to a question, nothing acts: only the question is returned."""
        if self.questions:
            question = " ".join(dict.fromkeys(q.question for q in self.questions))
            options = list(dict.fromkeys(o for q in self.questions for o in q.options))
            return [Clarify(question=question[:TEXT_MAX], options=options[:10])]
        return list(self.intents)

    # ----------------------------------------------------------- LLM intents
