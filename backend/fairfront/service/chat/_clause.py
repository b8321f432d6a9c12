"""A clause: a run of lexicon items that one frame reads, and which of them it used.

Every item a frame reads is marked used; an item that no frame used and that is not a
filler word ("the", "please", "it") is a content word the message was not understood
on, and the reader asks about it instead of acting.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ._lexicon import Item, Term

__all__ = ["FILLER", "Clause", "is_filler"]

_FILLER_WORDS = """
    the a an please pls kindly me my i we you it its this that these those is are be been
    being was were to of for on in with and then now just can could would will shall let us
    ok okay so alright right well sure yes yeah yep ahead want wants like need some am do
    does did should really actually maybe first next finally there here hmm um oh by at as
    from our your their them they model models point points up also too thing bit little
    slightly much way rather quite very set make get give go about one ones using use same
    please thanks thank kind have has had something anything currently only still already
    whose which what how who where when any whatever exactly simply mode version option care
    cares important matters worried concerned data dataset file table network version
    variant far someone somebody person people yet everything gap gaps violation will
"""
FILLER = frozenset(_FILLER_WORDS.split())
"""Words that carry no request of their own."""


def is_filler(item: Item) -> bool:
    return all(t.kind in ("punct", "sep") or t.low in FILLER for t in item.tokens)


@dataclass
class Clause:
    """Items of one clause (``items``) and the positions a frame used (``used``)."""

    items: list[Item]
    used: set[int] = field(default_factory=set)

    def __iter__(self) -> Iterator[tuple[int, Item]]:
        return iter(enumerate(self.items))

    def __len__(self) -> int:
        return len(self.items)

    def take(self, *positions: int | None) -> None:
        self.used.update(p for p in positions if p is not None)

    def take_all(self, *cues: str) -> None:
        """Mark every item holding one of ``cues``."""
        for i, item in self:
            if item.cue(*cues):
                self.used.add(i)

    def find(self, *cues: str, start: int = 0, free: bool = True) -> int | None:
        """The first position from ``start`` holding one of ``cues`` (unused if ``free``)."""
        for i in range(start, len(self.items)):
            if self.items[i].cue(*cues) and not (free and i in self.used):
                return i
        return None

    def has(self, *cues: str) -> bool:
        return self.find(*cues, free=False) is not None

    def terms(self, *kinds: str, free: bool = True) -> list[tuple[int, Term]]:
        out = []
        for i, item in self:
            term = item.term(*kinds)
            if term is not None and not (free and i in self.used):
                out.append((i, term))
        return out

    def numbers(self, free: bool = True) -> list[int]:
        return [i for i, item in self if item.kind == "number" and not (free and i in self.used)]

    def next_content(self, i: int, skip: tuple[str, ...] = ()) -> int | None:
        """The position after ``i`` of the next item that is neither filler nor a ``skip`` cue."""
        for j in range(i + 1, len(self.items)):
            item = self.items[j]
            if is_filler(item) and not item.cue("not") or (skip and item.cue(*skip)):
                continue
            return j
        return None

    def prev_content(self, i: int, skip: tuple[str, ...] = ()) -> int | None:
        for j in range(i - 1, -1, -1):
            item = self.items[j]
            if item.kind == "number" or item.kind in ("op", "spec", "bound"):
                return j
            if is_filler(item) or (skip and item.cue(*skip)):
                continue
            return j
        return None

    def head(self) -> int | None:
        """The first content item."""
        return self.next_content(-1)

    def leftovers(self) -> list[int]:
        """Positions of content items no frame used."""
        return [i for i, item in self if i not in self.used and not is_filler(item)]

    def text(self, positions: list[int]) -> str:
        return " ".join(self.items[i].text for i in positions)

    def rest(self) -> Clause:
        """A clause of the items not used yet (for a second reading)."""
        return Clause([item for i, item in self if i not in self.used])
