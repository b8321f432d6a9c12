"""The rule reader: a message to intents, or to one question when any of it is unclear.

1. Tokens (:mod:`._tokens`), then lexicon items (:mod:`._lexicon`: longest known phrase
   at each word, names from the registries and the session).
2. Sentences at ``. ; ! ?`` and line breaks; clauses at commas, "and" and "then" where
   the next piece starts a request of its own (a verb, a dataset or learner, a bound).
   A sentence that chooses a point ("the fairest ...", "the lowest eop", "the knee")
   stays one clause, so its bounds are the rule's, not training constraints.
3. Each clause goes to the frames (:mod:`._frames`, :mod:`._setup_frames`,
   :mod:`._questions`), which mark the items they use and hand names and numbers to the
   :class:`~._checks.Checker`.
4. A message is acted on only when every content word and number was used. Otherwise
   the reply says what was understood and asks about the rest, with whole messages to
   send as buttons; nothing is applied.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from functools import lru_cache

from ._checks import Checker, quote
from ._clause import Clause, is_filler
from ._frames import SELECT_CUES, command, select, setup_items
from ._intents import SETUP_INTENTS, TEXT_MAX, Clarify, Help, Intent, SmallTalk
from ._lexicon import Item, Lexicon, registry_lexicon
from ._param_frames import parameters
from ._questions import question
from ._say import say_all
from ._setup import ChatContext
from ._setup_frames import columns_frame, positive_frame, predict, protect, use
from ._tokens import normalise, tokenise

__all__ = ["MAX_MESSAGE_CHARS", "parse"]

MAX_MESSAGE_CHARS = 2000
"""Longest message read; a longer one gets a question asking for less."""
MAX_ITEMS = 300
"""Most items one message may hold."""
EXAMPLES = (
    "use adult",
    "protect sex and race",
    "keep equalized odds under 5%",
    "train",
    "pick the knee",
    "explain",
)

_HEADS = (
    "train", "start_over", "protect", "predict", "bound", "explain", "export", "undo", "fairer",
    "more_accurate", "compare", "cancel", "runs", "open", "drop", "restore", "define",
    "question", "greet", "thanks", "bye", "how_are_you", "help", "upload", "how_many",
    "select", "use", "positive",
)  # fmt: skip
_PICK = ("pick", "choose", "select", "take")
_TOPICS = ("setup", "status", "columns", "datasets", "worst", "how_many")
_SMALL_TALK = {"greet": "greeting", "thanks": "thanks", "bye": "bye", "how_are_you": "how_are_you"}
_FOREIGN_WORDS = """
    der das und ist ich bitte nicht mit für eine einen le les est je veux et avec pour une
    el los las quiero por favor con para il che sono voglio favore que wie was kannst
    trainiere trainieren entraîner entrenar modelo modèle hallo bonjour hola ciao merci
    gracias danke grazie obrigado olá ein zeig zeige mir montre moi muéstrame wat het een
    ist modell fairste genauigkeit précision équité
"""
_FOREIGN = frozenset(_FOREIGN_WORDS.split())


@lru_cache(maxsize=64)
def _lexicon(
    datasets: tuple[str, ...], columns: tuple[str, ...], tasks: tuple[tuple[str, str], ...]
) -> Lexicon:
    return Lexicon(datasets, columns, tasks)


def lexicon_for(context: ChatContext) -> Lexicon:
    info = context.info
    dataset = context.setup.dataset or ""
    return _lexicon(
        tuple(context.datasets),
        tuple(info.columns) if info else (),
        tuple((t, dataset) for t in info.tasks) if info else (),
    )


def _foreign(text: str, items: list[Item]) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    if letters and sum(ord(ch) > 0x24F for ch in letters) > len(letters) / 3:
        return True
    words = [i.token.low for i in items if i.kind == "word"]
    foreign = sum(w in _FOREIGN for w in words)
    known = sum(1 for i in items if i.terms and i.term("cue") is not None)
    return foreign >= 2 and foreign >= known or (len(words) == 1 and foreign == 1)


def _is_head(items: list[Item], i: int, selecting: bool) -> bool:
    item = items[i]
    if selecting and (
        item.cue("le", "ge", "lowest", "highest", *SELECT_CUES) or item.term("notion", "metric")
    ):
        return False
    if item.kind == "bound" or item.term("dataset", "learner", "parameter") is not None:
        return True
    if any(item.cue(h) for h in _HEADS) and (not is_filler(item) or item.token.low == "use"):
        return True
    if item.term("notion", "metric") and i + 1 < len(items):
        nxt = items[i + 1]
        return nxt.cue("le", "ge", "bound") or nxt.kind == "number"
    if item.kind == "number" and i + 1 < len(items):
        return items[i + 1].cue("rounds", "epochs") or items[i + 1].term("parameter") is not None
    return False


def _selecting(items: list[Item]) -> bool:
    pointed = any(item.cue("point") for item in items) or any(
        item.cue("use", "select") for item in items[:2]
    )
    picking = any(item.cue("select") or item.token.low in _PICK for item in items)
    if (
        picking
        and any(item.cue("point") for item in items)
        and any(item.term("notion", "metric") for item in items)
    ):
        return True  # "select the point where accuracy is ...": a choice, never a set-up
    for i, item in enumerate(items):
        if item.cue(*SELECT_CUES) or item.cue("weights") or pointed and item.cue("vague"):
            return True
        if pointed and item.cue("lowest", "highest") and not any(x.cue("predict") for x in items):
            return True
        if item.cue("lowest", "highest") and i + 1 < len(items):
            nxt = next((x for x in items[i + 1 :] if not is_filler(x)), None)
            if nxt is not None and nxt.term("notion", "metric"):
                return True
        if item.token.low == "round" and i + 1 < len(items) and items[i + 1].kind == "number":
            return True
    return False


def clauses(sentence: list[Item]) -> list[Clause]:
    """A sentence cut into clauses (see the module docstring)."""
    selecting = _selecting(sentence)
    out: list[Clause] = []
    current: list[Item] = []
    cut = True
    for i, item in enumerate(sentence):
        soft = item.token.text in (",", "&") or item.token.low in ("and", "then", "plus")
        if soft:
            current.append(item)
            cut = True
            continue
        if (
            cut
            and (not is_filler(item) or item.token.low == "use")
            and any(not is_filler(x) for x in current)
            and _is_head(sentence, i, selecting)
        ):
            out.append(Clause(current))
            current = []
        if not is_filler(item):
            cut = False
        current.append(item)
    if current:
        out.append(Clause(current))
    return out


def _read(clause: Clause, checker: Checker, *, asked: bool, selecting: bool) -> None:
    before = len(checker.intents) + len(checker.questions)
    _frame(clause, checker, asked=asked, selecting=selecting)
    if len(checker.intents) + len(checker.questions) > before:
        return
    if clause.has("help"):  # "help", "what can you do", "I am lost"
        clause.take_all("help", "question")
        checker.emit(Help())
    elif clause.has("train") and not checker.tried_training:  # "go", "let's go", "run it"
        clause.take_all("train")
        checker.train()


def _frame(clause: Clause, checker: Checker, *, asked: bool, selecting: bool) -> None:
    """The clause's frame: the first kind of request that recognises it."""
    frames: tuple[Callable[[], bool], ...] = (
        lambda: parameters(clause, checker),
        lambda: selecting and not clause.has("explain", "export") and select(clause, checker),
        lambda: asked and question(clause, checker, asked=True),
        lambda: command(clause, checker),
        lambda: question(clause, checker, asked=False),
        lambda: protect(clause, checker),
        lambda: predict(clause, checker),
        lambda: positive_frame(clause, checker),
        lambda: columns_frame(clause, checker),
    )
    if any(frame() for frame in frames):
        pass
    elif clause.has("train"):
        clause.take_all("train")
        setup_items(clause, checker)
        checker.train()
    else:
        use(clause, checker)
    if clause.leftovers():  # "protect sex with dp under 5%": the names after the frame's own
        setup_items(clause, checker)


def parse(message: str, context: ChatContext) -> list[Intent]:
    """The intents a message asks for, in order; or one :class:`Clarify` (never raises)."""
    if not isinstance(message, str):
        return [Clarify(question="Please send your request as text.")]
    if len(message) > MAX_MESSAGE_CHARS:
        return [
            Clarify(
                question=f"That message is too long ({len(message)} characters; the "
                f"limit is {MAX_MESSAGE_CHARS}). Please send one short request at a time.",
                options=list(EXAMPLES[:4]),
            )
        ]
    text = normalise(message).strip()
    items = lexicon_for(context).read(tokenise(text))
    if len(items) > MAX_ITEMS:
        return [
            Clarify(
                question=f"That is too much in one message ({len(items)} pieces); please "
                f"send at most {MAX_ITEMS} at a time.",
                options=list(EXAMPLES[:4]),
            )
        ]
    if _foreign(text, items):
        return [SmallTalk(mood="other_language")]
    checker = Checker(context)
    left: list[str] = []
    small: list[str] = []
    sentences: list[list[Item]] = [[]]
    for item in items:
        if item.kind == "sep":
            sentences[-1].append(item)
            sentences.append([])
        else:
            sentences[-1].append(item)
    for sentence in (s for s in sentences if any(not is_filler(i) or i.terms for i in s)):
        first = next((i for i in sentence if not is_filler(i) or i.terms), sentence[0])
        asked = (
            sentence[-1].token.text.endswith("?")
            or any(i.cue("question", "how_many") for i in sentence[:2])
            or first.cue(*_TOPICS)
        )
        selecting = _selecting(sentence)
        for clause in clauses(sentence):
            for i, item in clause:
                mood = next((m for c, m in _SMALL_TALK.items() if item.cue(c)), None)
                if mood and (i == 0 or all(is_filler(x) for x in clause.items[:i])):
                    small.append(mood)
                    clause.take(i)
            if clause.leftovers() or any(x.terms for j, x in clause if j not in clause.used):
                _read(clause, checker, asked=asked, selecting=selecting)
            left.extend(_pieces(clause))
    return _result(checker, left, small, context)


def _pieces(clause: Clause) -> list[str]:
    """The runs of content words no frame used, as written."""
    out: list[str] = []
    run: list[int] = []
    for i in [*clause.leftovers(), -9]:
        if run and i != run[-1] + 1:
            out.append(clause.text(run))
            run = []
        if i >= 0:
            run.append(i)
    return out


def _result(
    checker: Checker, left: list[str], small: list[str], context: ChatContext
) -> list[Intent]:
    intents = [i for i in checker.intents if not isinstance(i, Clarify)]
    if not checker.questions and not left:
        if checker.intents:
            return list(checker.intents)
        if small:
            return [SmallTalk(mood=small[0])]  # type: ignore[arg-type]
        return [_unknown([], context)]
    understood = say_all(intents)
    parts = [f"I understood: {understood}."] if understood else []
    parts += list(dict.fromkeys(q.question for q in checker.questions))
    if understood and not left:
        parts.append("I have done nothing yet.")
    setup = say_all([i for i in intents if isinstance(i, SETUP_INTENTS)])
    actions = say_all([i for i in intents if not isinstance(i, SETUP_INTENTS)])
    options = [
        ", ".join(x for x in (setup, o, actions) if x) if o != "help" else o
        for q in checker.questions
        for o in q.options
    ]
    for piece in left[:3]:
        near = _near(piece)
        if near:
            parts.append(f"Did you mean {near[0]} ({near[1]}) for {quote(piece)}?")
            options.insert(0, ", ".join(x for x in (understood, f"use {near[1]}") if x))
    if left:
        quoted = " or ".join(dict.fromkeys(quote(p) for p in left[:3]))
        parts.append(
            f"I did not understand {quoted}; what do you mean by it?"
            if not understood
            else f"But I did not understand {quoted}, so I have done nothing yet."
        )
        if understood:
            options.append(understood)
        if not intents and not checker.questions and not any(_near(p) for p in left[:3]):
            return [_unknown(left, context)]
    options.append("help")
    return [
        Clarify(
            question=" ".join(parts)[:TEXT_MAX],
            options=list(dict.fromkeys(o[:200] for o in options))[:6],
        )
    ]


def _near(piece: str) -> tuple[str, str] | None:
    """A registry name ``piece`` is one or two letters from ("equal oportunity")."""
    names = {
        " ".join(k): t.value
        for k, ts in registry_lexicon().items()
        for t in ts
        if t.kind in ("notion", "metric", "learner", "dataset") and len(" ".join(k)) > 4
    }
    close = difflib.get_close_matches(piece.casefold(), list(names), n=1, cutoff=0.85)
    return (close[0], names[close[0]]) if close else None


def _unknown(texts: list[str], context: ChatContext) -> Clarify:
    if context.setup.dataset is None:
        options = [f"use {n}" for n in list(context.datasets)[:4]] + ["help"]
    elif context.run is None:
        options = ["train", "protect sex and race", "keep equalized odds under 5%", "help"]
    else:
        options = ["pick the knee", "explain", "export", "help"]
    quoted = list(dict.fromkeys(quote(t) for t in texts))[:3]
    what = " or ".join(quoted) if quoted else "that"
    return Clarify(
        question=f"Sorry, I did not understand {what}. You can say, for example: "
        + "; ".join(f"'{e}'" for e in EXAMPLES)
        + ".",
        options=options,
    )
