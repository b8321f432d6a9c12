"""Model-written text made safe to show: markdown without raw HTML, images or links
that leave the service.

:func:`safe_markdown` keeps the words and drops everything that could run, load or
send the reader elsewhere: HTML tags and comments (their text content stays, except
inside ``script``/``style``), images (their alt text stays), links to anything but
the service's own ``/api/`` paths (their text stays), reference-link definitions,
and bare or auto-linked URLs (``link removed``).
"""

from __future__ import annotations

import re

__all__ = ["SAFE_LINK_PREFIX", "safe_markdown"]

SAFE_LINK_PREFIX = "/api/"
"""Links kept: relative paths into the service itself."""

_DANGEROUS_BLOCK = re.compile(r"<(script|style|iframe|object|embed)\b.*?(</\1\s*>|$)", re.I | re.S)
_COMMENT = re.compile(r"<!--.*?(-->|$)", re.S)
_TAG = re.compile(r"</?[A-Za-z!?][^>]*>?")
_IMAGE = re.compile(r"!\[([^\]]*)\]\s*(\([^)]*\)|\[[^\]]*\])")
_LINK = re.compile(r"\[([^\]]*)\]\s*\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_REF_LINK = re.compile(r"\[([^\]]*)\]\s*\[[^\]]*\]")
_REF_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+.*$", re.M)
_URL = re.compile(r"\b(?:[a-z][a-z0-9+.-]*://|www\.|mailto:|javascript:|data:)\S+", re.I)


def _link(match: re.Match[str]) -> str:
    text, target = match.group(1), match.group(2)
    if target.startswith(SAFE_LINK_PREFIX) and "//" not in target and ":" not in target:
        return f"[{text}]({target})"
    return text


def safe_markdown(text: str) -> str:
    """``text`` with no raw HTML, no images and links only to the service itself."""
    text = _DANGEROUS_BLOCK.sub("", text)
    text = _COMMENT.sub("", text)
    text = _TAG.sub("", text)
    text = _IMAGE.sub(lambda m: m.group(1), text)
    text = _REF_DEFINITION.sub("", text)
    kept: list[str] = []

    def keep(match: re.Match[str]) -> str:
        kept.append(_link(match))
        return f"\x00{len(kept) - 1}\x00"

    text = _LINK.sub(keep, text)
    text = _REF_LINK.sub(lambda m: m.group(1), text)
    text = _URL.sub("(link removed)", text)
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
