"""Uploads by name in the chat: one owner's uploads only, and a question when two share one.

People name an upload by its file name ("use payroll.csv"). An owner who uploaded
``payroll.csv`` twice means one of them, and the chat cannot know which: it asks, naming
each (upload time, rows and columns, a short id), and trains on neither until the answer
("the second one", the id, or a suggestion button) says which. Each of the duplicates is
then named in the set-up by a label that carries its short id, ``payroll.csv (3f2a9c1b)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..chat import DatasetInfo, info_from_profile

__all__ = ["Catalog", "Upload", "catalog", "resolve_choice", "which_one"]

SHORT = 8
"""Characters of an upload id shown to people (and enough to answer with)."""
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")
_ORDINAL_WORDS = {
    **{word: n for n, word in enumerate(ORDINALS, start=1)},
    **{f"{n}{suffix}": n for n, suffix in ((1, "st"), (2, "nd"), (3, "rd"))},
    **{f"{n}th": n for n in range(4, len(ORDINALS) + 1)},
}
_NEWEST = {"last", "latest", "newest", "newer", "recent"}
_OLDEST = {"oldest", "older", "earlier", "earliest"}
_ANSWER_WORDS = {
    "the", "one", "upload", "uploaded", "file", "dataset", "data", "csv", "please", "i",
    "mean", "meant", "use", "take", "it", "its", "is", "that", "this", "number", "no", "id",
    "most", "with", "want", "pick", "choose", "ok", "okay", "yes",
}  # fmt: skip
"""Words of an answer to "which one?" besides ordinals, ids and the name: a message with
any other word is read as a new request, never as a choice."""
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Upload:
    """One of the owner's uploads, as the question shows it."""

    id: str
    name: str
    created: str
    rows: int
    columns: int

    @property
    def short(self) -> str:
        return self.id[:SHORT]

    @property
    def label(self) -> str:
        """Its name in the set-up when another upload has the same name."""
        return f"{self.name} ({self.short})"

    def describe(self) -> str:
        when = self.created[:16].replace("T", " ")
        return (
            f"{self.name} uploaded {when} UTC, {self.rows} rows x {self.columns} columns "
            f"(id {self.short})"
        )


@dataclass
class Catalog:
    """The datasets one owner's chat may name."""

    infos: dict[str, DatasetInfo]
    """Built-ins, uploads by name, duplicates also by label (the reader's names)."""
    uploads: dict[str, str] = field(default_factory=dict)
    """Upload id behind each unambiguous name and each label."""
    ambiguous: dict[str, list[Upload]] = field(default_factory=dict)
    """Names two or more uploads share, with those uploads (oldest first)."""


def catalog(builtins: Mapping[str, DatasetInfo], items: Iterable[Mapping[str, Any]]) -> Catalog:
    """The catalog of built-ins and ``items`` (one owner's uploads, oldest first, as
    ``DatasetsService.all`` lists them; built-in items are skipped)."""
    result = Catalog(infos=dict(builtins))
    by_name: dict[str, list[tuple[Upload, DatasetInfo]]] = {}
    for item in items:
        if item.get("builtin"):
            continue
        info = info_from_profile(item.get("profile") or {})
        upload = Upload(
            id=str(item["id"]),
            name=str(item["name"]),
            created=str(item.get("created") or ""),
            rows=int(item.get("rows") or 0),
            columns=len(info.columns),
        )
        by_name.setdefault(upload.name, []).append((upload, info))
    for name, entries in by_name.items():
        # the newest stands for the name while the reader reads it; it is never trained on
        result.infos[name] = entries[-1][1]
        if len(entries) == 1:
            result.uploads[name] = entries[0][0].id
            continue
        result.ambiguous[name] = [upload for upload, _ in entries]
        for upload, info in entries:
            result.infos[upload.label] = info
            result.uploads[upload.label] = upload.id
    return result


def which_one(name: str, uploads: list[Upload]) -> tuple[str, list[str]]:
    """The question and its suggestion buttons (whole answers, each naming the id)."""
    lines = [f"{n}. {upload.describe()}" for n, upload in enumerate(uploads, start=1)]
    question = (
        f"You have {len(uploads)} uploads named {name}; which one do you mean?\n"
        + "\n".join(lines)
        + '\nSay "the first one", "the second one" or its id; I train on neither until '
        "you say which."
    )
    options = [
        f"the {ORDINALS[n]} one ({upload.short})"
        for n, upload in enumerate(uploads[: len(ORDINALS)])
    ]
    return question, options


def resolve_choice(message: str, name: str, uploads: list[Upload]) -> Upload | None:
    """The upload an answer to :func:`which_one` names, or None when the message is not
    such an answer (another request) or does not say one clearly."""
    words = _WORD.findall(message.lower())
    name_words = set(_WORD.findall(name.lower()))
    by_id = {
        u.id
        for word in words
        if len(word) >= 4 and re.fullmatch(r"[0-9a-f]+", word)
        for u in uploads
        if u.id.startswith(word)
    }
    picks: set[int] = set()
    for word in words:
        if word in _ORDINAL_WORDS:
            picks.add(_ORDINAL_WORDS[word])
        elif word in _NEWEST:
            picks.add(len(uploads))
        elif word in _OLDEST:
            picks.add(1)
        elif word.isdigit() and len(words) <= 3 and 1 <= int(word) <= len(uploads):
            picks.add(int(word))  # "2", "number 2"
    known = _ANSWER_WORDS | name_words | set(_ORDINAL_WORDS) | _NEWEST | _OLDEST
    others = [
        w
        for w in words
        if w not in known and not w.isdigit() and not any(u.id.startswith(w) for u in uploads)
    ]
    if others or not words:
        return None
    if len(by_id) == 1:
        chosen = next(u for u in uploads if u.id in by_id)
        # an id and an ordinal that disagree are no clear answer
        return chosen if not picks or picks == {uploads.index(chosen) + 1} else None
    if by_id or len(picks) != 1:
        return None
    (pick,) = picks
    return uploads[pick - 1] if 1 <= pick <= len(uploads) else None
