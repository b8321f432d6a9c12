"""Parameter names of several words, found where the lexicon's longest match would miss
them: inside a longer cue phrase ("no fairness" + "weight") or misspelt ("fairnes weight")."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["Atom", "ParameterPhrases", "one_edit", "plural"]

Atom = tuple[str, int, bool, bool]
"""A word part: its text, its token's index, whether it starts and ends that token."""


def plural(phrase: str) -> str:
    """``"fairness weight"`` -> ``"fairness weights"`` (the last word's plural)."""
    return phrase if phrase.endswith("s") else phrase + "s"


def one_edit(a: str, b: str) -> bool:
    """Whether ``a`` becomes ``b`` by one insertion, deletion, substitution or swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        i, j = (diff + [0, 0])[:2]
        return len(diff) == 2 and j == i + 1 and a[i] == b[j] and a[j] == b[i]
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


class ParameterPhrases:
    """The lexicon's parameter names of two or more words, indexed by their words."""

    def __init__(self, phrases: Iterable[tuple[str, ...]]) -> None:
        self.phrases = sorted(set(phrases), key=len, reverse=True)
        self.by_word: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for phrase in self.phrases:
            for position, word in enumerate(phrase):
                self.by_word.setdefault(word, []).append((phrase, position))
        self.longest = max((len(p) for p in self.phrases), default=0)

    def _at(self, atoms: Sequence[Atom], i: int, phrase: tuple[str, ...]) -> list[str] | None:
        end = i + len(phrase)
        if i < 0 or end > len(atoms) or not atoms[i][2] or not atoms[end - 1][3]:
            return None
        return [a[0] for a in atoms[i:end]]

    def starts_inside(self, atoms: Sequence[Atom], i: int, size: int) -> int:
        """Where (1 to ``size`` - 1 atoms after ``i``) a parameter's name starts that runs
        past the phrase of ``size`` atoms at ``i``; 0 for nowhere."""
        for cut in range(1, size):
            for phrase, position in self.by_word.get(atoms[i + cut][0], ()):
                runs_past = position == 0 and i + cut + len(phrase) > i + size
                if runs_past and self._at(atoms, i + cut, phrase) == list(phrase):
                    return cut
        return 0

    def misspelt(self, atoms: Sequence[Atom], i: int) -> tuple[int, tuple[str, ...]] | None:
        """(size, name) of a parameter's name at ``i`` with one word misspelt by one edit
        (a word of four letters or more), the longest first."""
        best: tuple[int, tuple[str, ...]] | None = None
        for k in range(min(self.longest, len(atoms) - i)):
            for phrase, position in self.by_word.get(atoms[i + k][0], ()):
                if position != k or (best is not None and len(phrase) <= best[0]):
                    continue
                words = self._at(atoms, i, phrase)
                if words is None:
                    continue
                off = [(w, p) for w, p in zip(words, phrase, strict=True) if w != p]
                if len(off) == 1 and len(off[0][1]) >= 4 and one_edit(*off[0]):
                    best = (len(phrase), phrase)
        return best
