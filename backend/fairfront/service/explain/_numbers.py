"""Checking that a text uses only the fact sheet's numbers.

Every decimal and percentage in the text, and every whole number of 10 or more, must
be one of the fact sheet's numbers as written to that precision: ``0.05`` and ``5%``
stand for any fact in [0.045, 0.055], ``5.1%`` for one in [0.0505, 0.0515]. Whole
numbers must match a fact exactly (a round, a group size, a number inside a group
label such as ``under 25``). Small whole numbers ("two groups", "3 attributes") and
digits glued to letters (``50K``, ``H100``) are not checked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ._facts import FactSheet

__all__ = ["SMALL_INTEGER", "check_claims", "check_numbers", "numbers_in"]

SMALL_INTEGER = 10
"""Whole numbers below this are not checked."""

_NUMBER_RE = re.compile(
    r"(?<![\w.])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?P<pct>\s*(?:%|percent\b|per\s*cent\b|percentage\s+points?\b))?(?![\w%])",
    re.IGNORECASE,
)
_EPS = 1e-9


def numbers_in(text: str) -> list[tuple[str, float, float | None]]:
    """The numbers ``text`` states, as (as written, value, tolerance or None for exact).

    Percentages are converted to fractions; whole numbers below :data:`SMALL_INTEGER`
    are left out.
    """
    out: list[tuple[str, float, float | None]] = []
    for match in _NUMBER_RE.finditer(text):
        raw = match.group("num").replace(",", "")
        value = float(raw)
        places = len(raw.partition(".")[2])
        if match.group("pct"):
            out.append((match.group().strip(), value / 100, 0.5 * 10.0**-places / 100 + _EPS))
        elif "." in raw:
            out.append((match.group().strip(), value, 0.5 * 10.0**-places + _EPS))
        elif value >= SMALL_INTEGER:
            out.append((match.group().strip(), value, None))
    return out


def _supported(value: float, tolerance: float | None, facts: Sequence[float]) -> bool:
    if tolerance is None:
        return any(abs(value - f) <= _EPS for f in facts)
    return any(abs(value - f) <= tolerance for f in facts)


def check_numbers(text: str, facts: FactSheet) -> list[str]:
    """The numbers in ``text`` that are not the fact sheet's (empty: the text is fine)."""
    values = facts.values()
    return [written for written, v, tol in numbers_in(text) if not _supported(v, tol, values)]


# ----- claims about constraints ----------------------------------------------------------
_MEETS = re.compile(
    r"\b(?:meets?|meeting|satisf(?:y|ies|ied|ying)|fulfil+s?|complies|complying|respects?"
    r"|stays?\s+(?:within|under|below)|(?:is|are|remains?|stays?|kept)\s+(?:within|under|"
    r"below)\s+(?:the|its|their|your|every|each|all)?\s*(?:bounds?|limits?|constraints?|"
    r"thresholds?|caps?))\b[^.;\n]*",
    re.I,
)
_BREAKS = re.compile(
    r"\b(?:violat(?:es?|ed|ing)|breaks?|breach(?:es)?|exceeds?|fails?\s+to\s+meet|does\s+not"
    r"\s+(?:meet|satisfy)|doesn't\s+(?:meet|satisfy)|(?:is|are)\s+(?:above|over)\s+(?:the|its"
    r"|their|your)\s+(?:bounds?|limits?|thresholds?))\b[^.;\n]*",
    re.I,
)
_ABOUT_CONSTRAINTS = re.compile(r"\b(?:constraints?|bounds?|limits?|thresholds?|caps?)\b", re.I)


def check_claims(text: str, facts: FactSheet) -> list[str]:
    """Claims about the constraints that the fact sheet does not support (empty: fine).

    "Meets all constraints" / "satisfies the bound" / "stays under the limit" need every
    constraint of the sheet met (and at least one constraint); "violates" / "exceeds the
    limit" / "does not meet" need at least one constraint not met.
    """
    constraints = list(facts.constraints)
    met = [c.met for c in constraints]
    out: list[str] = []
    for match in _MEETS.finditer(text):
        claim = match.group().strip()
        before = text[max(0, match.start() - 16) : match.start()].lower()
        if re.search(r"(?:\bnot|n't|\bfails?\s+to|\bnever)\s+$", before):
            continue  # "does not meet ...": a claim of the other kind, checked below
        if not _ABOUT_CONSTRAINTS.search(match.string[max(0, match.start() - 60) : match.end()]):
            continue
        if not constraints or not all(m is True for m in met):
            out.append(claim[:80])
    for match in _BREAKS.finditer(text):
        claim = match.group().strip()
        if not _ABOUT_CONSTRAINTS.search(match.string[max(0, match.start() - 60) : match.end()]):
            continue
        if not any(m is False for m in met):
            out.append(claim[:80])
    return out
