"""The deterministic chat parser: plain English requests to typed intents, no LLM.

A message is cut into sentences, each sentence into segments at commas and "and";
a segment that starts with a request word ("use", "protect", "keep", "train", a
dataset or learner name, a bounded metric such as "dp under 10%") starts a clause,
any other segment continues the clause before it ("protect sex, race and age").
Each clause goes to the first handler that recognises it; the handlers resolve
names against the session's context (columns case-insensitively, synonyms only as a
question) and build intents through their pydantic models, so an out-of-range value
becomes a :class:`Clarify`, never a parameter.

When anything needs clarifying, the set-up intents that were understood are kept,
the actions (train, select, explain, export, start over) are dropped, and one
:class:`Clarify` closes the list.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from fairfront.fronts import PERFORMANCE_METRICS, Constraint, ConstraintError
from fairfront.groups import GroupingError, ProtectedAttribute
from fairfront.metrics import NOTIONS

from ._intents import (
    ACTION_INTENTS,
    MAX_ROUNDS,
    NAME_MAX,
    TEXT_MAX,
    AddConstraint,
    ChatContext,
    ChooseDataset,
    ChooseLearner,
    Clarify,
    DatasetInfo,
    Explain,
    Export,
    Help,
    Intent,
    PointRule,
    SelectPoint,
    SetNotions,
    SetProtected,
    SetRounds,
    SetTarget,
    Setup,
    StartOver,
    Train,
    UploadDataset,
    apply,
)

__all__ = ["MAX_MESSAGE_CHARS", "check_intents", "parse"]

MAX_MESSAGE_CHARS = 2000
"""Longest message the parser reads; a longer one gets a clarify asking for less."""
MAX_CLAUSES = 30
"""Most requests one message may hold."""

_I = re.IGNORECASE
EXAMPLES = (
    "use adult",
    "protect sex and race",
    "keep equalized odds under 5%",
    "train",
    "pick the knee",
    "explain",
)

# ------------------------------------------------------------------ vocabulary

_METRIC_ALTERNATIVES = (
    ("eo_sum", r"equali[sz]ed[\s-]+odds[\s-]+\(?sum\)?|eo[\s_-]?sum|disparate[\s-]+mistreatment"),
    ("eo", r"equali[sz]ed[\s-]+odds|equal[\s-]+odds|eo"),
    ("dp", r"demographic[\s-]+parity|statistical[\s-]+parity|selection[\s-]+rate[\s-]+parity|dp"),
    ("eop", r"equal(?:ity[\s-]+of)?[\s-]+opportunity|true[\s-]+positive[\s-]+rate[\s-]+parity|eop"),
    (
        "fpr",
        r"false[\s-]+positive[\s-]+rate[\s-]+parity|false[\s-]+positive[\s-]+rates?"
        r"|predictive[\s-]+equality|fpr(?:[\s-]+parity)?",
    ),
    ("ppv", r"predictive[\s-]+parity|precision[\s-]+parity|ppv(?:[\s-]+parity)?"),
    ("acc", r"accuracy[\s-]+parity|equal[\s-]+accuracy|acc(?:[\s-]+parity)?"),
    ("balanced_accuracy", r"balanced[\s_-]+accuracy|balanced[\s_-]+acc|bacc"),
    ("accuracy", r"accuracy"),
)
_METRIC = (
    r"(?<![\w-])(?:"
    + "|".join(f"(?P<{name}>{alt})" for name, alt in _METRIC_ALTERNATIVES)
    + r")(?![\w-])"
)
_METRIC_RE = re.compile(_METRIC, _I)

_LE = (
    r"<=|=<|≤|<|under|below|beneath|less\s+than|lower\s+than|smaller\s+than|at\s+most"
    r"|no\s+more\s+than|not\s+more\s+than|no\s+higher\s+than|no\s+greater\s+than"
    r"|not\s+above|not\s+over|not\s+exceed(?:ing)?|(?:does\s+not|doesn't)\s+exceed"
    r"|max(?:imum)?(?:\s+of)?|within|up\s+to|capped\s+at"
)
_GE = (
    r">=|=>|≥|>|above|over|more\s+than|greater\s+than|higher\s+than|at\s+least"
    r"|no\s+less\s+than|not\s+below|not\s+under|no\s+lower\s+than|min(?:imum)?(?:\s+of)?"
    r"|exceed(?:s|ing)?"
)
_FILLER = (
    r"is|are|be|to|stays?|remains?|kept|should|must|needs?|gap|gaps|violation|difference"
    r"|value|score|at|of|it|the|keep"
)
_ATTR_WORD = r"[\w-]{1,60}"
_BOUND_RE = re.compile(
    r"(?:(?P<pattr>[A-Za-z_][\w-]{0,59})\s*:\s*)?"
    + _METRIC
    + r"(?:\s*\[\s*(?P<battr>[^\[\]\n]{1,60}?)\s*\])?"
    + rf"(?:\s+(?:for|on|across|among|in)\s+(?:the\s+)?(?P<attr>{_ATTR_WORD})"
    + r"(?:\s+(?:attribute|column|group)s?)?)?"
    + rf"(?:\s+(?:{_FILLER}))*"
    + rf"\s*(?:(?P<le>{_LE})|(?P<ge>{_GE}))"
    + r"\s*(?P<num>\d{1,6}(?:\.\d{1,6})?|\.\d{1,6})(?![\d.])"
    + r"\s*(?P<pct>%|percent\b|per\s*cent\b|percentage\s+points?\b|pp\b|points?\b)?",
    _I,
)
_TRAILING_ATTR_RE = re.compile(
    rf"\s*(?:for|on|across|among|in|by)\s+(?:the\s+)?(?P<attr>{_ATTR_WORD})"
    r"(?:\s+(?:attribute|column|group)s?)?",
    _I,
)
_ATTRIBUTE_RE = re.compile(_ATTR_WORD)
_ALL_ATTRIBUTES = {"all", "every", "each", "any", "both", "overall", "everyone", "everybody"}

_LEARNER_RE = re.compile(
    r"(?<![\w-])(?:(?P<mmm_fair>mmm[\s_-]?fair|multi[\s-]?fairness)|(?P<adafair>ada[\s_-]?fair))"
    r"(?![\w-])",
    _I,
)
_NUMBER = r"\d[\d,]{0,12}"
_ROUNDS_RE = re.compile(
    rf"(?<![\w.])(?P<n>{_NUMBER})\s*(?:boosting\s+)?(?:rounds|iterations|estimators|weak\s+learners)"
    rf"\b|\b(?:rounds|iterations|n_estimators|estimators)\s*(?:=|:|to|of|at)?\s*(?P<n2>{_NUMBER})"
    r"(?![\w.])",
    _I,
)
_ROUND_RE = re.compile(r"\bround\s*(?:#|no\.?|number)?\s*(?P<r>\d{1,12})(?![\w.])", _I)

_FILLER_START_RE = re.compile(
    r"^(?:(?:please|pls|kindly|ok(?:ay)?|so|now|then|next|finally|first(?:ly)?|also|and|just"
    r"|alright|right|well|great|cool|sure|yes|yeah|hmm+)\b[\s,:!]*"
    r"|(?:can|could|would|will)\s+you\s+|i(?:'d|\s+would)\s+like\s+(?:to\s+)?"
    r"|(?:i|we)\s+(?:want|need|wish)\s+(?:to\s+)?|let'?s\s+|let\s+us\s+|go\s+ahead\s+and\s+"
    r"|(?:i|we)\s+(?:will|shall)\s+)+",
    _I,
)
_TRIGGER_RE = re.compile(
    r"^(?:use|using|load|open|switch|try|choose|pick|select|take|go|train|run|fit|start|begin"
    r"|launch|restart|reset|predict|target|protect\w*|keep|constrain|limit|ensure|make|bound"
    r"|cap|require|set|add|explain|why|what|how|tell|describe|export|download|save|help"
    r"|hello|hi|hey|upload|track|measure|optimi[sz]e|with|show|give|the\s+knee|knee|fairest"
    r"|most|best|sensitive|round|rounds|clear|forget|learner|dataset|notions?|thanks?"
    r"|good\s+(?:morning|afternoon|evening)|i'?ll|do\s+it|kick\s+off)\b"
    rf"|^{_NUMBER}\s*(?:rounds|iterations)\b",
    _I,
)
_GREETING_RE = re.compile(
    r"^(?:hi|hello|hey|hiya|howdy|greetings|good\s+(?:morning|afternoon|evening|day)"
    r"|thanks?(?:\s+you)?|cheers)\b(?:\s+there)?[\s,!.]*",
    _I,
)
_HELP_RE = re.compile(
    r"^(?:help(?:\s+me)?|what\s+can\s+(?:you|i)\s+do|what\s+do\s+i\s+do|how\s+does\s+(?:this|it)"
    r"\s+work|how\s+do\s+i\s+(?:use|start)|what\s+can\s+i\s+(?:say|ask|type)|commands|options"
    r"|instructions|get\s+started|how\s+to\s+start|\?+)(?:\W|$)",
    _I,
)
_START_OVER_RE = re.compile(
    r"^(?:start\s+(?:over|again|afresh|from\s+scratch)|reset|restart|begin\s+again"
    r"|clear\s+(?:everything|all|the\s+set-?up)|forget\s+(?:everything|it\s+all|all)"
    r"|new\s+session|from\s+scratch)\b",
    _I,
)
_UPLOAD_RE = re.compile(
    r"\b(?:upload|my\s+own\s+(?:data|dataset|csv|file|table)|own\s+(?:csv|data(?:set)?)"
    r"|import\s+(?:a|my)\s+(?:csv|file|dataset))",
    _I,
)
_EXPORT_RE = re.compile(r"^(?:export|download|save)\b|\bonnx\b|\bmodel\s+card\b", _I)
_EXPLAIN_RE = re.compile(
    r"^(?:explain|why|tell\s+me\s+(?:about|why|more)|describe\s+(?:this|the|it)"
    r"|what\s+does\s+(?:this|it|that)\s+mean|what\s+am\s+i\s+looking\s+at|interpret"
    r"|what\s+is\s+(?:this|the\s+selected)\s+(?:point|model)"
    r"|how\s+(?:fair|good|accurate)\s+is\s+(?:it|this|the\s+model))\b",
    _I,
)
_SELECT_VERB_RE = re.compile(
    r"^(?:pick|select|choose|take|go\s+with|use|show(?:\s+me)?|give\s+me|i'?ll\s+take|find|get)\b",
    _I,
)
_SELECT_OBJECT_RE = re.compile(
    r"\b(?:point|knee|fairest|most\s+fair|least\s+unfair|most\s+accurate|trade-?\s?off"
    r"|compromise)\b|\bround\s*#?\s*\d",
    _I,
)
_SELECT_WEAK_OBJECT_RE = re.compile(r"\b(?:model|best|highest|lowest|one)\b", _I)
_SELECT_START_RE = re.compile(
    r"^(?:the\s+)?(?:knee|fairest|most\s+accurate|most\s+fair|best\s+(?:trade-?\s?off|compromise"
    r"|point|model)|round\s*#?\s*\d+)\b",
    _I,
)
_KNEE_RE = re.compile(r"\b(?:knee|trade-?\s?off|compromise|balanced\s+point)\b", _I)
_FAIREST_RE = re.compile(
    r"\b(?:fairest|most\s+fair|least\s+(?:unfair|biased)|smallest\s+(?:gap|violation)"
    r"|lowest\s+(?:gap|violation|unfairness))\b",
    _I,
)
_LOWEST_NOTION_RE = re.compile(
    r"\b(?:lowest|smallest|least|minimum|min(?:imi[sz]e|imal)?|fairest\s+(?:by|on|for|in))\s+"
    + _METRIC,
    _I,
)
_BEST_METRIC_RE = re.compile(
    r"\b(?:highest|best|maximum|max(?:imi[sz]e|imal)?|top)\s+(?P<m>balanced[\s_-]+accuracy"
    r"|bacc|accuracy)\b",
    _I,
)
_MOST_ACCURATE_RE = re.compile(r"\bmost\s+accurate\b", _I)
_WEIGHTS_RE = re.compile(
    r"\bweights?\s*(?:of|=|:)?\s*(?P<w>\d+(?:\.\d+)?(?:\s*[,/ ]\s*\d+(?:\.\d+)?){1,8})", _I
)
_TRAIN_RE = re.compile(
    r"^(?:train|go|run|fit|start|begin|launch|build|kick\s+off|do\s+it)\b(?P<rest>.*)$", _I
)
_TARGET_RE = re.compile(
    r"^(?:predict(?:ing)?|target(?:\s+column)?(?:\s+(?:is|=|:))?|the\s+target(?:\s+column)?"
    r"\s+(?:is|should\s+be)|outcome(?:\s+is)?|label(?:\s+is)?|classify)\b\s*(?P<rest>.*)$",
    _I,
)
_TARGET_AFTER_RE = re.compile(
    r"^(?P<rest>.+?)\s+(?:is|as)\s+(?:the\s+)?(?:target|outcome|label)\b(?P<more>.*)$", _I
)
_POSITIVE_RE = re.compile(
    r"(?:,?\s*(?:with|where|and)?\s*(?:the\s+)?positive(?:\s+(?:class|label|value))?"
    r"\s*(?:is|=|:|as|being)?\s*[\"']?(?P<pos>[^\s\"',]{1,200})[\"']?"
    r"|\s*\(\s*positive\s*(?:=|:)?\s*(?P<pos2>[^\s)]{1,200})\s*\))",
    _I,
)
_PROTECT_RE = re.compile(
    r"^(?:protect(?:ed|ing)?|sensitive|fair(?:ness)?\s+(?:for|across|towards|between"
    r"|with\s+respect\s+to)|groups?\s+by)(?:\s+(?:attributes?|columns?|features?|groups?))?"
    r"(?:\s*(?:are|is|=|:|by|on))?\s*(?P<rest>.*)$",
    _I,
)
_TARGET_LEAD_RE = re.compile(
    r"^(?:(?:the|whether|if|their|someone'?s|people'?s|a\s+person'?s|each\s+person'?s)\s+)+",
    _I,
)
_ADDING_RE = re.compile(r"\b(?:also|add|too|as\s+well|plus)\b", _I)
_USE_RE = re.compile(
    r"^(?:use|using|load|open|switch\s+to|try|choose|select|pick|with|on|take|go\s+with"
    r"|work\s+with|dataset|data|learner|notions?|fairness(?:\s+notions?)?|track|measure"
    r"|optimi[sz]e(?:\s+for)?|care\s+about|add)\b\s*(?:(?::|=|is|are)\s*)?(?P<rest>.*)$",
    _I,
)
_ITEM_LEAD_RE = re.compile(r"^(?:the|a|an|their|our|my)\s+", _I)
_ITEM_TAIL_RE = re.compile(
    r"\s+(?:data\s*set|dataset|data|learner|algorithm|notions?|model|attributes?|columns?"
    r"|features?|groups?|too|as\s+well|as\s+the\s+notion|please|instead)$",
    _I,
)
_CONNECTOR_RE = re.compile(
    r"\s+(?:with|using|keeping|while|so\s+that|such\s+that|subject\s+to|where|under|for)\s+", _I
)

_COLUMN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "gender": ("sex",),
    "genders": ("sex",),
    "ethnicity": ("race",),
    "ethnic": ("race",),
    "ethnicgroup": ("race",),
    "ethnicorigin": ("race",),
    "skincolour": ("race",),
    "skincolor": ("race",),
    "nationality": ("native-country", "foreign_worker"),
    "country": ("native-country",),
    "maritalstatus": ("marital-status", "marital"),
    "married": ("marital-status", "marital"),
    "agegroup": ("age_cat", "age"),
    "birthyear": ("age",),
}
"""Words users say for a column; a match only ever becomes a "did you mean" question."""

_TARGET_WORDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("adult", "Y"): ("income", "salary", "earnings", "wage", "wages", "income over 50k"),
    ("compas", "two_year_recid"): (
        "recidivism",
        "reoffending",
        "re-offending",
        "reoffend",
        "re-offend",
        "two year recidivism",
    ),
    ("german", "Probability"): ("credit", "credit risk", "good credit", "creditworthiness"),
    ("bank", "Probability"): ("subscription", "deposit", "term deposit", "subscribe"),
}
"""Plain words for a built-in dataset's target column (name, target) -> words."""

_NOTION_WORDS = {
    "dp": "demographic parity",
    "eop": "equal opportunity",
    "fpr": "false-positive-rate parity",
    "eo": "equalized odds, worst case",
    "eo_sum": "equalized odds, sum",
    "acc": "accuracy parity",
    "ppv": "predictive parity",
}


# --------------------------------------------------------------------- helpers


def _key(text: str) -> str:
    """Comparison key: case, spaces, underscores, hyphens and dots ignored."""
    return re.sub(r"[\s_.\-]+", "", text.casefold())


def _quote(text: str, limit: int = 40) -> str:
    """User text quoted for a question: one line, at most ``limit`` characters."""
    flat = " ".join(text.split())
    return "'" + (flat if len(flat) <= limit else flat[: limit - 1] + "…") + "'"


def _listing(names: Sequence[str], limit: int = 25) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _clean_item(item: str) -> str:
    item = item.strip(" \t'\"`.,:;!?()")
    item = _ITEM_LEAD_RE.sub("", item)
    for _ in range(2):
        item = _ITEM_TAIL_RE.sub("", item).strip()
    return item


def _to_int(digits: str) -> int:
    return int(digits.replace(",", "")[:12])


def _metric_of(match: re.Match[str]) -> str:
    """The canonical metric a :data:`_METRIC` match found."""
    return next(name for name, _ in _METRIC_ALTERNATIVES if match.group(name))


def _fullmatch_metric(text: str) -> str | None:
    match = _METRIC_RE.fullmatch(text.strip())
    return _metric_of(match) if match else None


def _normalise(message: str) -> str:
    text = unicodedata.normalize("NFKC", message)
    text = text.translate({0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"'})
    return "".join(ch if ch.isprintable() or ch == "\n" else " " for ch in text)


# ----------------------------------------------------------------------- clauses

_SPAN_RE = re.compile(r"[A-Za-z_][\w.\-]*:=?[^\s,;:]+(?:,[^\s,;:]+)*")
_HARD_SEP_RE = re.compile(r"[;\n]+|[.!?]+(?=\s|$)")
_SOFT_SEP_RE = re.compile(
    r"\s*(?:(?<!\d),|,(?!\d)|\band\s+then\b|\bthen\b|\band\b|&|\bplus\b)\s*", _I
)


@dataclass
class _Clause:
    head: str
    raw_head: str
    tail: list[str] = field(default_factory=list)

    def text(self) -> str:
        return " and ".join([self.head, *self.tail])


def _protect_spans(text: str) -> tuple[str, list[str]]:
    """``name:values`` specs replaced by placeholders, so separators inside survive."""
    spans: list[str] = []

    def keep(match: re.Match[str]) -> str:
        spans.append(match.group())
        return f"\x00{len(spans) - 1}\x00"

    return _SPAN_RE.sub(keep, text), spans


def _restore(text: str, spans: Sequence[str]) -> str:
    return re.sub(r"\x00(\d+)\x00", lambda m: spans[int(m.group(1))], text)


_IntentT = TypeVar("_IntentT", bound=BaseModel)

_NAMED_KINDS = ("dataset", "learner", "notion", "rounds", "upload")
"""What a bare clause ("adult", "adafair", "dp and eo") may name."""


def _kind(found: tuple[str, str] | None) -> str | None:
    return None if found is None else found[0]


def _is_select(head: str) -> bool:
    """Whether a clause head asks to choose a point (its bounds are the rule's)."""
    return bool(
        _SELECT_START_RE.match(head)
        or (_SELECT_VERB_RE.match(head) and _SELECT_OBJECT_RE.search(head))
    )


class _Parser:
    """One message's parse: a scratch set-up, the intents so far and open questions."""

    def __init__(self, context: ChatContext) -> None:
        self.context = context
        self.setup: Setup = context.setup
        self.intents: list[Intent] = []
        self.questions: list[Clarify] = []
        self.greeted = False
        self.depth = 0
        self.unknown: list[str] = []
        names = sorted(context.datasets, key=len, reverse=True)
        self.dataset_re = (
            re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w-])", _I)
            if names
            else None
        )

    # ------------------------------------------------------------ bookkeeping
    @property
    def info(self) -> DatasetInfo | None:
        return self.context.datasets.get(self.setup.dataset or "")

    def emit(self, intent: Intent) -> None:
        if isinstance(intent, SetNotions):
            earlier = [i for i, x in enumerate(self.intents) if isinstance(x, SetNotions)]
            if earlier:
                self.intents[earlier[0]] = intent
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
        except ValidationError as error:
            detail = "; ".join(e["msg"] for e in error.errors()[:3])
            self.ask(f"I cannot {what}: {detail}.")
            return None

    def result(self) -> list[Intent]:
        questions = list(self.questions)
        if self.unknown:
            questions.append(self.unknown_question(self.unknown))
        if questions:
            kept = [i for i in self.intents if not isinstance(i, ACTION_INTENTS)]
            question = " ".join(q.question for q in questions)
            options = list(dict.fromkeys(o for q in questions for o in q.options))
            return [*kept, Clarify(question=question[:TEXT_MAX], options=options[:10])]
        if not self.intents:
            return [Help()] if self.greeted else [self.unknown_question([])]
        return list(self.intents)

    def unknown_question(self, texts: Sequence[str]) -> Clarify:
        if self.setup.dataset is None:
            options = [f"use {n}" for n in list(self.context.datasets)[:4]] + ["help"]
        elif self.context.run is None:
            options = ["train", "protect sex and race", "keep equalized odds under 5%", "help"]
        else:
            options = ["pick the knee", "explain", "export", "help"]
        quoted = list(dict.fromkeys(_quote(t) for t in texts))[:3]
        what = " or ".join(quoted) if quoted else "that"
        return Clarify(
            question=(
                f"Sorry, I did not understand {what}. You can say, for example: "
                + "; ".join(f"'{e}'" for e in EXAMPLES)
                + "."
            ),
            options=options,
        )

    # --------------------------------------------------------------- clauses
    def clauses(self, text: str) -> list[_Clause]:
        masked, spans = _protect_spans(text)
        out: list[_Clause] = []
        for sentence in _HARD_SEP_RE.split(masked):
            current: _Clause | None = None
            for raw in _SOFT_SEP_RE.split(sentence):
                segment = _restore(raw, spans).strip()
                if not segment.strip(" ,.!?"):
                    continue
                head = _FILLER_START_RE.sub("", segment).strip()
                if not head:
                    if current is None:
                        current = _Clause("", segment)
                        out.append(current)
                    continue
                if current is None or (
                    self.starts_clause(head)
                    and not (_is_select(current.head) and _BOUND_RE.match(head))
                ):
                    current = _Clause(head, segment)
                    out.append(current)
                else:
                    current.tail.append(head)
        return [c for c in out if c.head or c.tail]

    def starts_clause(self, head: str) -> bool:
        if _TRIGGER_RE.match(head) or _LEARNER_RE.match(head):
            return True
        if self.dataset_re is not None and self.dataset_re.match(head):
            return True
        bound = _BOUND_RE.search(head)
        return bound is not None and bound.start() == 0

    def handle(self, clause: _Clause) -> None:
        if self.depth > 3:  # a piece that no handler takes apart any further
            self.unknown.append(clause.text())
            return
        self.depth += 1
        try:
            self.dispatch(clause)
        finally:
            self.depth -= 1

    def dispatch(self, clause: _Clause) -> None:
        handlers = (
            self.greeting,
            self.help,
            self.start_over,
            self.upload,
            self.export,
            self.explain,
            self.select,
            self.train,
            self.target,
            self.protect,
            self.bounds,
            self.rounds,
            self.use,
        )
        for handler in handlers:
            if handler(clause):
                return
        if clause.head or clause.tail:
            self.unknown.append(clause.text())

    def handle_text(self, text: str) -> None:
        """Parse a piece of a clause as a clause of its own."""
        head = _FILLER_START_RE.sub("", text).strip()
        if head:
            self.handle(_Clause(head, text))

    # ---------------------------------------------------------- checking intents
    def check(self, intent: Intent) -> None:
        """Emit ``intent`` if the context allows it, else ask (see :func:`check_intents`)."""
        if isinstance(intent, ChooseDataset):
            self.choose_dataset(intent.name)
        elif isinstance(intent, SetTarget):
            self.check_target(intent)
        elif isinstance(intent, SetProtected):
            self.check_protected(intent)
        elif isinstance(intent, AddConstraint):
            self.check_bound(intent)
        elif isinstance(intent, SelectPoint | Explain | Export):
            what = {SelectPoint: "choose a point from", Explain: "explain", Export: "export"}
            if not self.needs_run(what[type(intent)]):
                return
            number = intent.rule.round if isinstance(intent, SelectPoint) else intent.round
            if number is None or self.round_in(f"round {number}")[0]:
                self.emit(intent)
        elif isinstance(intent, Train):
            self.train(_Clause("train", "train"))
        else:
            self.emit(intent)

    def check_target(self, intent: SetTarget) -> None:
        info = self.info
        if info is None:
            self.ask(
                "Which dataset is that column in? Choose one first.",
                [f"use {n}" for n in list(self.context.datasets)[:5]],
            )
            return
        column = self.resolve_column(intent.column, info, lambda c: f"predict {c}")
        if column is None:
            return
        if info.builtin and column != info.target:
            self.ask(
                f"{self.setup.dataset} always predicts {info.target}; to predict {column}, "
                "upload your own CSV.",
                [f"predict {info.target}", "upload my own data"],
            )
            return
        self.emit(intent.model_copy(update={"column": column}))

    def check_protected(self, intent: SetProtected) -> None:
        info = self.info
        if info is None:
            self.ask(
                "Which dataset are the protected attributes in? Choose one first.",
                [f"use {n}" for n in list(self.context.datasets)[:5]],
            )
            return
        chosen: list[str] = []
        for index, item in enumerate(intent.attributes):
            spec = self.protected_spec(item, info, chosen, [], intent.attributes[index + 1 :])
            if spec is None:
                return
            if spec:
                chosen.append(spec)
        built = self.build(lambda: SetProtected(attributes=chosen), "protect those columns")
        if built is not None:
            self.emit(built)

    def check_bound(self, intent: AddConstraint) -> None:
        constraint = Constraint.parse(intent.text)
        if constraint.attribute is not None:
            attribute = self.bound_attribute(
                constraint.attribute,
                constraint.metric,
                constraint.op,
                Decimal(repr(constraint.bound)),
            )
            if attribute is None:
                return
            constraint = Constraint(constraint.metric, constraint.op, constraint.bound, attribute)
        self.add_bound(str(constraint))

    # -------------------------------------------------------------- handlers
    def greeting(self, clause: _Clause) -> bool:
        match = _GREETING_RE.match(clause.head)
        if not match:
            return False
        self.greeted = True
        parts = [clause.head[match.end() :].strip(), *clause.tail]
        for part in parts:
            self.handle_text(part)
        return True

    def help(self, clause: _Clause) -> bool:
        if clause.tail or not _HELP_RE.match(clause.head):
            return False
        self.emit(Help())
        return True

    def start_over(self, clause: _Clause) -> bool:
        if not _START_OVER_RE.match(clause.head):
            return False
        self.emit(StartOver())
        return True

    def upload(self, clause: _Clause) -> bool:
        if not _UPLOAD_RE.search(clause.head):
            return False
        self.emit(UploadDataset())
        return True

    def needs_run(self, what: str) -> bool:
        if self.context.run is not None:
            return True
        self.ask(
            f"There is no trained model yet to {what}. Choose a dataset, then say 'train'.",
            ["train", "help"],
        )
        return False

    def round_in(self, text: str) -> tuple[bool, int | None]:
        """(ok, round) from 'round N' in ``text``; asks when N is out of range."""
        match = _ROUND_RE.search(text)
        if not match:
            return True, None
        number = _to_int(match.group("r"))
        run = self.context.run
        top = run.rounds if run is not None and run.rounds else MAX_ROUNDS
        if not 1 <= number <= top:
            have = "this run has" if run is not None and run.rounds else "rounds are numbered"
            self.ask(
                f"There is no round {number}: {have} 1 to {top}. Which round?",
                [f"round {top}", "the knee"],
            )
            return False, None
        return True, number

    def export(self, clause: _Clause) -> bool:
        if not _EXPORT_RE.search(clause.head):
            return False
        if self.needs_run("export"):
            ok, number = self.round_in(clause.text())
            if ok:
                self.emit(Export(round=number))
        return True

    def explain(self, clause: _Clause) -> bool:
        if not _EXPLAIN_RE.match(clause.head):
            return False
        if self.needs_run("explain"):
            ok, number = self.round_in(clause.text())
            if ok:
                self.emit(Explain(round=number))
        return True

    def select(self, clause: _Clause) -> bool:
        head, text = clause.head, clause.text()
        named = _LEARNER_RE.search(head) or (
            self.dataset_re is not None and self.dataset_re.search(head)
        )
        strong = _SELECT_OBJECT_RE.search(text)
        weak = _SELECT_WEAK_OBJECT_RE.search(text) and not named
        verb = _SELECT_VERB_RE.match(head)
        if not (_SELECT_START_RE.match(head) or (verb and (strong or weak))):
            return False
        if verb and verb.group().lower() == "use" and not strong:
            return False
        if not self.needs_run("choose a point from"):
            return True
        ok, number = self.round_in(text)
        if not ok:
            return True
        if number is not None:
            self.emit(SelectPoint(rule=PointRule(kind="round", round=number)))
            return True
        weights = _WEIGHTS_RE.search(text)
        if weights:
            values = [float(w) for w in re.split(r"[\s,/]+", weights.group("w")) if w]
            rule = self.build(
                lambda: PointRule(kind="weights", weights=values), "use those weights"
            )
            if isinstance(rule, PointRule):
                self.emit(SelectPoint(rule=rule))
            return True
        if _KNEE_RE.search(text):
            self.emit(SelectPoint(rule=PointRule(kind="knee")))
            return True
        constraints = self.scan_bounds(text, for_setup=False)
        if constraints is None:
            return True
        maximize = self.maximize_in(text)
        if maximize is None and not constraints:
            self.ask(
                "Which point do you mean? The knee of the front (the best trade-off), the "
                "fairest one above an accuracy level, the most accurate one under a fairness "
                "bound, or a round number?",
                [
                    "pick the knee",
                    "pick the fairest point with balanced accuracy above 0.8",
                    "pick the most accurate point with equalized odds under 5%",
                ],
            )
            return True
        chosen: Any = maximize or "balanced_accuracy"
        rule = self.build(
            lambda: PointRule(kind="constraints", constraints=constraints, maximize=chosen),
            "choose a point that way",
        )
        if isinstance(rule, PointRule):
            self.emit(SelectPoint(rule=rule))
        return True

    def first_notion(self) -> str:
        run = self.context.run
        if run is not None and run.notions:
            return run.notions[0]
        return self.setup.effective_notions[0]

    def maximize_in(self, text: str) -> str | None:
        lowest = _LOWEST_NOTION_RE.search(text)
        if lowest:
            metric = _metric_of(lowest)
            if metric not in PERFORMANCE_METRICS:
                return metric
        if _FAIREST_RE.search(text):
            return self.first_notion()
        best = _BEST_METRIC_RE.search(text)
        if best:
            return "accuracy" if best.group("m").lower() == "accuracy" else "balanced_accuracy"
        if _MOST_ACCURATE_RE.search(text):
            return "balanced_accuracy"
        return None

    def train(self, clause: _Clause) -> bool:
        match = _TRAIN_RE.match(clause.head)
        if not match:
            return False
        rest = " and ".join([match.group("rest"), *clause.tail])
        if self.dataset_re is not None:
            for found in self.dataset_re.finditer(rest):
                self.choose_dataset(found.group())
        for found in _LEARNER_RE.finditer(rest):
            self.emit(ChooseLearner(learner="adafair" if found.group("adafair") else "mmm_fair"))
        self.rounds_in(rest)
        if self.setup.dataset is None:
            self.ask(
                "Which dataset should I train on? Choose one"
                + (f" ({_listing(list(self.context.datasets))})" if self.context.datasets else "")
                + " or upload your own CSV.",
                [f"use {n}" for n in list(self.context.datasets)[:5]] + ["upload my own data"],
            )
            return True
        problems = self.setup.problems(self.info)
        if problems:
            self.ask("I cannot train yet: " + "; ".join(problems) + ".")
            return True
        self.emit(Train())
        return True

    def choose_dataset(self, typed: str) -> None:
        name = next((n for n in self.context.datasets if n.casefold() == typed.casefold()), None)
        if name is None:
            self.ask(
                f"There is no dataset {_quote(typed)}. Choose one of "
                f"{_listing(list(self.context.datasets))}, or upload your own CSV.",
                [f"use {n}" for n in list(self.context.datasets)[:5]],
            )
            return
        if name != self.setup.dataset:
            self.emit(ChooseDataset(name=name))

    def rounds_in(self, text: str) -> bool:
        match = _ROUNDS_RE.search(text)
        if not match:
            return False
        number = _to_int(match.group("n") or match.group("n2"))
        if not 1 <= number <= MAX_ROUNDS:
            self.ask(
                f"Rounds must be between 1 and {MAX_ROUNDS}; {number} is out of range. "
                "How many rounds?",
                [f"{MAX_ROUNDS} rounds", "300 rounds"],
            )
            return True
        self.emit(SetRounds(rounds=number))
        return True

    def rounds(self, clause: _Clause) -> bool:
        if not self.rounds_in(clause.head):
            return False
        for item in clause.tail:
            self.handle_text(item)
        return True

    # ---------------------------------------------------------------- columns
    def resolve_column(
        self, typed: str, info: DatasetInfo, option: Callable[[str], str]
    ) -> str | None:
        """The real column name for ``typed``, or None after asking."""
        key = _key(typed)
        exact = [c for c in info.columns if _key(c) == key]
        if len(exact) == 1:
            return exact[0]
        if len(exact) > 1:
            same = [c for c in exact if c.casefold() == typed.casefold()]
            if len(same) == 1:
                return same[0]
            self.ask(f"Which column do you mean: {', '.join(exact)}?", [option(c) for c in exact])
            return None
        by_key = {_key(c): c for c in info.columns}
        suggestions = [by_key[_key(s)] for s in _COLUMN_SYNONYMS.get(key, ()) if _key(s) in by_key]
        if not suggestions:
            close = difflib.get_close_matches(key, list(by_key), n=3, cutoff=0.75)
            suggestions = [by_key[c] for c in close]
        name = self.setup.dataset or "this dataset"
        if suggestions:
            self.ask(
                f"{name} has no column {_quote(typed)}. Did you mean "
                + " or ".join(suggestions)
                + "?",
                [option(s) for s in suggestions],
            )
        else:
            self.ask(
                f"{name} has no column {_quote(typed)}. Its columns are: {_listing(info.columns)}."
            )
        return None

    def target_column(self, typed: str, info: DatasetInfo, dataset: str) -> str | None:
        """``typed`` as the target of ``dataset`` (plain words allowed), else None."""
        words = _TARGET_WORDS.get((dataset, info.target), ())
        if _key(typed) in {_key(w) for w in words}:
            return info.target
        return next((c for c in info.columns if _key(c) == _key(typed)), None)

    # ----------------------------------------------------------------- target
    def target(self, clause: _Clause) -> bool:
        match = _TARGET_RE.match(clause.head) or _TARGET_AFTER_RE.match(clause.head)
        if not match:
            return False
        rest = match.group("rest")
        positive: str | None = None
        found = _POSITIVE_RE.search(rest)
        if found:
            positive = found.group("pos") or found.group("pos2")
            rest = rest[: found.start()]
        rest = _TARGET_LEAD_RE.sub("", rest.strip())
        typed = _clean_item(re.sub(r"\s+column$", "", rest.strip(), flags=_I))
        if not typed:
            self.ask("Which column should the model predict?")
            return True
        words = typed.split()
        # "income is over 50K": the longest leading words that name a target
        candidates = [typed] + [" ".join(words[:n]) for n in range(min(len(words) - 1, 4), 0, -1)]
        if self.setup.dataset is None:
            hits: list[str] = []
            for candidate in candidates:
                hits = [
                    name
                    for name, info in self.context.datasets.items()
                    if self.target_column(candidate, info, name) is not None
                ]
                if hits:
                    break
            if len(hits) != 1:
                where = (
                    f"Datasets with a column {_quote(typed)}: {', '.join(hits)}." if hits else ""
                )
                self.ask(
                    f"Which dataset should I use to predict {_quote(typed)}? {where}".strip(),
                    [f"use {n}" for n in (hits or list(self.context.datasets))[:5]],
                )
                return True
            self.emit(ChooseDataset(name=hits[0]))
        info = self.info
        if info is None:
            self.ask(f"I do not know the columns of {_quote(self.setup.dataset or '')}.")
            return True
        dataset = self.setup.dataset or ""
        column = next(
            (c for c in (self.target_column(x, info, dataset) for x in candidates) if c), None
        )
        if column is None:
            column = self.resolve_column(typed, info, lambda c: f"predict {c}")
            if column is None:
                return True
        if info.builtin and column != info.target:
            self.ask(
                f"{self.setup.dataset} always predicts {info.target} (positive class "
                f"{info.positive}); to predict {column}, upload your own CSV.",
                [f"predict {info.target}", "upload my own data"],
            )
            return True
        if positive is None and column == info.target:
            positive = info.positive
        intent = self.build(lambda: SetTarget(column=column, positive=positive), "set that target")
        if intent is not None:
            self.emit(intent)
        for item in clause.tail:
            self.handle_text(item)
        return True

    # -------------------------------------------------------------- protected
    def protect(self, clause: _Clause) -> bool:
        match = _PROTECT_RE.match(clause.head)
        if not match:
            return False
        items = [match.group("rest"), *clause.tail]
        info = self.info
        if info is None:
            self.ask(
                "Which dataset are the protected attributes in? Choose one first"
                + (
                    f" ({_listing(list(self.context.datasets))})." if self.context.datasets else "."
                ),
                [f"use {n}" for n in list(self.context.datasets)[:5]],
            )
            return True
        adding = bool(_ADDING_RE.search(clause.raw_head))
        current = list(self.setup.protected if self.setup.protected is not None else info.protected)
        chosen: list[str] = current if adding else []
        later: list[str] = []
        cleaned = [_clean_item(raw) for raw in items]
        for index, item in enumerate(cleaned):
            if not item:
                continue
            spec = self.protected_spec(item, info, chosen, later, cleaned[index + 1 :])
            if spec is None:
                return True
            if spec and spec.partition(":")[0] not in [c.partition(":")[0] for c in chosen]:
                chosen.append(spec)
        if not chosen:
            self.ask("Which columns should be protected? e.g. 'protect sex and race'.")
            return True
        intent = self.build(lambda: SetProtected(attributes=chosen), "protect those columns")
        if intent is not None:
            self.emit(intent)
        for text in later:
            self.handle_text(text)
        return True

    def protected_spec(
        self,
        item: str,
        info: DatasetInfo,
        chosen: list[str],
        later: list[str],
        remaining: Sequence[str],
    ) -> str | None:
        """One protected item as ``column[:spec]``; '' to skip; None after asking."""
        column_text, sep, spec = item.partition(":")
        if not sep and " " in item.strip():
            if self.is_column(item, info):
                column_text = item
            else:
                cut = _CONNECTOR_RE.search(" " + item)
                first = item.split()[0]
                if cut is not None and self.is_column(first, info):
                    later.append(item[len(first) :])
                    column_text = first
                elif (
                    self.dataset_re is not None and self.dataset_re.fullmatch(item)
                ) or _BOUND_RE.search(item):
                    later.append(item)
                    return ""

        def option(column: str) -> str:
            picked = [*chosen, column + (sep + spec if sep else ""), *(r for r in remaining if r)]
            unique = {p.partition(":")[0].casefold(): p for p in reversed(picked)}
            return "protect " + ", ".join(reversed(list(unique.values())))

        column = self.resolve_column(column_text.strip(), info, option)
        if column is None:
            return None
        if not sep:
            return column
        text = f"{column}:{spec.strip()}"
        try:
            ProtectedAttribute.parse(text)
        except GroupingError as error:
            self.ask(f"I cannot read {_quote(item)}: {error}.")
            return None
        return text

    def is_column(self, text: str, info: DatasetInfo) -> bool:
        return any(_key(c) == _key(text) for c in info.columns)

    # ----------------------------------------------------------------- bounds
    def scan_bounds(self, text: str, *, for_setup: bool) -> list[str] | None:
        """Every bound written in ``text`` as constraint text; None after asking."""
        out: list[str] = []
        pos = 0
        while True:
            match = _BOUND_RE.search(text, pos)
            if match is None:
                return out
            pos = match.end()
            metric = _metric_of(match)
            attribute = match.group("pattr") or match.group("battr") or match.group("attr")
            trailing = _TRAILING_ATTR_RE.match(text, pos)
            if attribute is None and trailing is not None:
                attribute = trailing.group("attr")
                pos = trailing.end()
            constraint = self.bound(match, metric, attribute, for_setup=for_setup)
            if constraint is None:
                return None
            out.append(constraint)

    def bound(
        self, match: re.Match[str], metric: str, attribute: str | None, *, for_setup: bool
    ) -> str | None:
        """One bound as canonical constraint text, or None after asking."""
        words = match.group()
        op = "<=" if match.group("le") else ">="
        try:
            number = Decimal(match.group("num"))
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            number = Decimal(-1)
        percent = bool(match.group("pct"))
        value = number / 100 if percent else number
        if metric not in PERFORMANCE_METRICS and op == ">=":
            self.ask(
                f"{NOTIONS[metric].label} is a gap between groups, so it only takes an upper "
                f"bound. Did you mean {metric} under {match.group('num')}"
                f"{'%' if percent else ''}?",
                [f"{metric}<={match.group('num')}{'%' if percent else ''}"],
            )
            return None
        if not percent and value > 1:
            self.ask(
                f"Is {match.group('num')} in {_quote(words)} a percentage? Rates and gaps lie "
                f"between 0 and 1.",
                [f"{metric}{op}{match.group('num')}%"],
            )
            return None
        if attribute is not None and attribute.casefold() in _ALL_ATTRIBUTES:
            attribute = None
        if attribute is not None:
            if metric in PERFORMANCE_METRICS:
                self.ask(
                    f"{metric.replace('_', ' ')} has no per-attribute value; "
                    f"drop 'for {attribute}'?",
                    [f"{metric}{op}{value}"],
                )
                return None
            resolved = self.bound_attribute(attribute, metric, op, value)
            if resolved is None:
                return None
            attribute = resolved
        where = f"[{attribute}]" if attribute else ""
        try:
            return str(Constraint.parse(f"{metric}{where}{op}{value}"))
        except ConstraintError as error:
            self.ask(f"I cannot use {_quote(words)}: {error}.")
            return None

    def bound_attribute(self, typed: str, metric: str, op: str, value: Decimal) -> str | None:
        info = self.info
        if info is None:
            return typed.strip()
        column = self.resolve_column(typed, info, lambda c: f"{metric}[{c}]{op}{value}")
        if column is None:
            return None
        protected = (
            [p.partition(":")[0] for p in (self.setup.protected or [])]
            if self.setup.protected is not None
            else list(info.protected)
        )
        if column not in protected:
            self.ask(
                f"{column} is not a protected attribute (protected: "
                f"{', '.join(protected) or 'none'}). Protect it first?",
                ["protect " + ", ".join([*protected, column])],
            )
            return None
        return column

    def bounds(self, clause: _Clause) -> bool:
        constraints = self.scan_bounds(clause.head, for_setup=True)
        if constraints is None:
            return True
        if not constraints:
            if re.match(
                r"^(?:keep|constrain|limit|cap|bound)\b", clause.head, _I
            ) and _METRIC_RE.search(clause.head):
                self.ask(
                    f"What bound do you want in {_quote(clause.head)}? e.g. 'keep equalized "
                    "odds under 5%'.",
                    ["keep equalized odds under 5%"],
                )
                return True
            return False
        for constraint in constraints:
            self.add_bound(constraint)
        last = Constraint.parse(constraints[-1])
        for item in clause.tail:
            more = self.scan_bounds(item, for_setup=True)
            if more is None:
                return True
            if more:
                for constraint in more:
                    self.add_bound(constraint)
                last = Constraint.parse(more[-1])
                continue
            cleaned = _clean_item(item)
            if (
                cleaned
                and last.metric not in PERFORMANCE_METRICS
                and _ATTRIBUTE_RE.fullmatch(cleaned)
                and not self.starts_clause(cleaned)
            ):
                attribute = self.bound_attribute(
                    cleaned, last.metric, last.op, Decimal(repr(last.bound))
                )
                if attribute is None:
                    return True
                self.add_bound(str(Constraint(last.metric, last.op, last.bound, attribute)))
                continue
            self.handle_text(item)
        return True

    def add_bound(self, constraint: str) -> None:
        metric = Constraint.parse(constraint).metric
        if metric not in PERFORMANCE_METRICS and metric not in self.setup.notions:
            self.emit(SetNotions(notions=[*self.setup.notions, metric]))  # type: ignore[list-item]
        self.emit(AddConstraint(text=constraint))

    # -------------------------------------------------------------------- use
    def use(self, clause: _Clause) -> bool:
        match = _USE_RE.match(clause.head)
        if match:
            items = [match.group("rest"), *clause.tail]
        elif _kind(self.resolve_item(_clean_item(clause.head))) in _NAMED_KINDS:
            items = [clause.head, *clause.tail]
        else:
            return False
        adding = bool(_ADDING_RE.search(clause.raw_head))
        notions: list[str] = list(self.setup.notions) if adding else []
        notion_slot: int | None = None
        for raw in items:
            item = _clean_item(raw)
            if not item:
                continue
            found = self.resolve_item(item)
            if found is None:
                self.ask_unknown_item(item)
                continue
            kind, value = found
            if kind == "dataset":
                self.choose_dataset(value)
            elif kind == "learner":
                self.emit(ChooseLearner(learner=value))  # type: ignore[arg-type]
            elif kind == "notion":
                if value not in notions:
                    notions.append(value)
                if notion_slot is None:
                    notion_slot = len(self.intents)
            elif kind == "rounds":
                self.rounds_in(item)
            elif kind == "upload":
                self.emit(UploadDataset())
            else:
                self.handle_text(raw)
        if notions:
            intent = SetNotions(notions=notions)  # type: ignore[arg-type]
            self.setup = apply(self.setup, intent)
            earlier = [i for i, x in enumerate(self.intents) if isinstance(x, SetNotions)]
            if earlier:
                self.intents[earlier[0]] = intent
            else:
                self.intents.insert(notion_slot or 0, intent)
        return True

    def resolve_item(self, item: str) -> tuple[str, str] | None:
        """What a "use ..." item names: (kind, canonical value), or None."""
        if not item:
            return None
        dataset = next((n for n in self.context.datasets if n.casefold() == item.casefold()), None)
        if dataset is not None:
            return "dataset", dataset
        learner = _LEARNER_RE.fullmatch(item)
        if learner:
            return "learner", "adafair" if learner.group("adafair") else "mmm_fair"
        metric = _fullmatch_metric(item)
        if metric is not None and metric not in PERFORMANCE_METRICS:
            return "notion", metric
        if _ROUNDS_RE.fullmatch(item):
            return "rounds", item
        if _UPLOAD_RE.search(item):
            return "upload", item
        if _BOUND_RE.search(item) or _SELECT_OBJECT_RE.search(item):
            return "clause", item
        return None

    def ask_unknown_item(self, item: str) -> None:
        names = list(self.context.datasets)
        known = names + ["mmm_fair", "adafair"] + [NOTIONS[n].label for n in NOTIONS]
        close = difflib.get_close_matches(
            item.casefold(), [k.casefold() for k in known], n=2, cutoff=0.7
        )
        if close:
            real = [next(k for k in known if k.casefold() == c) for c in close]
            self.ask(
                f"I do not know {_quote(item)}. Did you mean {' or '.join(real)}?",
                [f"use {r}" for r in real],
            )
            return
        self.ask(
            f"I do not know {_quote(item)}. Datasets: {_listing(names) or 'none'}; learners: "
            "mmm_fair, adafair; fairness notions: "
            + ", ".join(f"{n} ({_NOTION_WORDS[n]})" for n in NOTIONS)
            + ".",
            [f"use {n}" for n in names[:4]],
        )


def parse(message: str, context: ChatContext) -> list[Intent]:
    """The intents a chat message asks for, in the order it asks (never raises for text).

    Unknown, ambiguous or out-of-range requests become a :class:`Clarify` (with
    short replies as ``options``); see the module docstring for what is kept then.
    """
    if not isinstance(message, str):
        return [Clarify(question="Please send your request as text.")]
    if len(message) > MAX_MESSAGE_CHARS:
        return [
            Clarify(
                question=(
                    f"That message is too long ({len(message)} characters; the limit is "
                    f"{MAX_MESSAGE_CHARS}). Please send one short request at a time."
                ),
                options=list(EXAMPLES[:4]),
            )
        ]
    parser = _Parser(context)
    text = _normalise(message).strip()
    if not text:
        return [parser.unknown_question([])]
    clauses = parser.clauses(text)
    if len(clauses) > MAX_CLAUSES:
        return [
            Clarify(
                question=f"That is {len(clauses)} requests in one message; please send at most "
                f"{MAX_CLAUSES} at a time."
            )
        ]
    for clause in clauses:
        parser.handle(clause)
    return parser.result()


def check_intents(intents: Sequence[Intent], context: ChatContext) -> list[Intent]:
    """Intents from elsewhere (an LLM's function calls) checked against ``context``.

    Names are resolved as :func:`parse` resolves them (a dataset or column that does
    not exist, or a synonym, becomes a :class:`Clarify`); selection, explanation and
    export need a run and a round it has; training needs a dataset. The same rule as
    :func:`parse` then applies: next to a clarify, only set-up intents are kept.
    """
    parser = _Parser(context)
    for intent in intents[:MAX_CLAUSES]:
        parser.check(intent)
    if not parser.intents and not parser.questions:
        return [parser.unknown_question([])]
    return parser.result()
