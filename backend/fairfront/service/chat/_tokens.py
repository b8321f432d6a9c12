"""A chat message as tokens: words, numbers (with their unit), comparison signs, specs.

Normalising first: Unicode compatibility forms, curly quotes, contractions written out
("what's" -> "what is"), control characters dropped. Then one pass of one regular
expression cuts the text into :class:`Token` s, each with its place in the normalised
text so that a reply can quote exactly what it did not understand. A number followed by
``%``, "percent", "per cent" or "percentage points" is one token marked ``percent``;
``race:White``, ``age:30,50`` and ``eo[race]<=0.05`` stay whole (``spec`` and
``bound`` tokens).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

__all__ = ["Token", "normalise", "tokenise", "word_parts"]

TokenKind = Literal["word", "number", "op", "spec", "bound", "punct", "sep"]

_CONTRACTIONS = {
    "what's": "what is",
    "whats": "what is",
    "it's": "it is",
    "that's": "that is",
    "there's": "there is",
    "how's": "how is",
    "who's": "who is",
    "let's": "let us",
    "lets": "let us",
    "don't": "do not",
    "dont": "do not",
    "doesn't": "does not",
    "didn't": "did not",
    "isn't": "is not",
    "aren't": "are not",
    "can't": "cannot",
    "won't": "will not",
    "shouldn't": "should not",
    "i'd": "i would",
    "i'm": "i am",
    "i'll": "i will",
    "we'd": "we would",
    "you're": "you are",
    "i've": "i have",
}
_CONTRACTION_RE = re.compile(
    r"(?<![\w'])(" + "|".join(re.escape(c) for c in _CONTRACTIONS) + r")(?![\w'])", re.IGNORECASE
)
_OPS = r"<=|>=|=<|=>|≤|≥|==|!=|<|>|="
_NAME = r"[A-Za-z_][\w.\-]*"
_TOKEN_RE = re.compile(
    rf"(?P<bound>(?:{_NAME}:)?{_NAME}(?:\[[^\[\]\n]{{1,60}}\])?\s*(?:<=|>=|=<|=>|≤|≥|<|>)\s*"
    r"(?:\d+(?:\.\d+)?|\.\d+)\s*%?(?![\w.]))"
    rf"|(?P<spec>{_NAME}:(?![/\\])[^\s,;:]+(?:,[^\s,;:]+)*)"
    r"|(?P<number>(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?(?![\w])|\.\d+(?![\w]))"
    rf"|(?P<op>{_OPS})"
    r"|(?P<word>[^\W_][\w']*(?:[-_/.][^\W_][\w']*)*|_+\w+)"
    r"|(?P<sep>[;\n]|[.!?]+(?=\s|$))"
    r"|(?P<punct>\S)"
)
_PERCENT_RE = re.compile(
    r"\s*(?:%|per\s*cent\b|percent(?:age)?(?:\s+points?)?\b|pct\b|pp\b)", re.IGNORECASE
)


@dataclass(frozen=True)
class Token:
    """One piece of a message; ``low`` is its case-folded form."""

    text: str
    kind: TokenKind
    start: int
    end: int
    value: float | None = None
    percent: bool = False

    @property
    def low(self) -> str:
        return self.text.casefold()


def normalise(message: str) -> str:
    """NFKC, straight quotes, contractions written out, control characters as spaces."""
    text = unicodedata.normalize("NFKC", message)
    text = text.translate({0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"', 0x2013: "-"})
    text = "".join(ch if ch.isprintable() or ch == "\n" else " " for ch in text)
    text = text.replace("(", " ").replace(")", " ")  # "equalized odds (sum)": no meaning
    return _CONTRACTION_RE.sub(lambda m: _CONTRACTIONS[m.group().casefold()], text)


def tokenise(text: str) -> list[Token]:
    """The tokens of an already normalised ``text``."""
    out: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN_RE.search(text, pos)
        if match is None:
            break
        kind = match.lastgroup or "punct"
        end = match.end()
        raw = match.group()
        if kind == "number":
            unit = _PERCENT_RE.match(text, end)
            value = float(raw.replace(",", ""))
            if unit is not None:
                end = unit.end()
            out.append(
                Token(
                    text[match.start() : end], "number", match.start(), end, value, unit is not None
                )
            )
        elif kind == "word" and raw.casefold().endswith("'s"):  # a possessive: "model's"
            out.append(Token(raw[:-2], "word", match.start(), end - 2))
        else:
            out.append(Token(raw.strip(), kind, match.start(), end))  # type: ignore[arg-type]
        pos = end
    return out


def word_parts(text: str) -> tuple[str, ...]:
    """Lower-case words of a name or phrase, split at spaces, hyphens, underscores and
    slashes: the lexicon's key ("L2T-FMT" -> ("l2t", "fmt"))."""
    return tuple(w for w in re.split(r"[\s\-_/()',.]+", text.casefold()) if w)
