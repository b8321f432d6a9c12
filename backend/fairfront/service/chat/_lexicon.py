"""The chat's lexicon: every phrase it knows, and what each one names.

Names come from the registries, never restated here: notions (name, short label,
aliases) from :data:`fairfront.vocabulary.NOTIONS`, performance metrics, learners and
built-in datasets (their aliases, target words and tasks) from
:mod:`fairfront.vocabulary`, column synonyms from ``COLUMN_SYNONYMS``; a session adds its
uploaded datasets and the chosen dataset's columns. The grammar's own words (verbs such
as "protect", comparisons such as "at least") are the :data:`CUES` table below: each
phrase names one cue.

:meth:`Lexicon.read` finds the longest phrase at each word; a word that matches nothing
may be a typo of one known single word (one edit, or two letters swapped: "trian" is
"train"), which the reader accepts for cue words and asks about for names.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from fairfront.vocabulary import (
    COLUMN_SYNONYMS,
    DATASETS,
    LEARNERS,
    NOTIONS,
    PARAMETERS,
    PERFORMANCE,
)

from ._phrases import ParameterPhrases, one_edit, plural
from ._tokens import Token, word_parts

__all__ = ["CUES", "Item", "Lexicon", "Term", "registry_lexicon"]

_CUE_TEXT = """
train: train | fit | launch | kick off | start training | begin training | run it | do it | go |
    go ahead | go for it | run | build it | train it | let us go | start | retrain |
    train again | run again | kick it off
start_over: start over | start again | reset | restart | from scratch | begin again |
    clear everything | forget everything | new session | start afresh | start from scratch |
    clear all | clear the setup
protect: protect | protected | protecting | sensitive | sensitive attribute |
    sensitive attributes | protected attribute | protected attributes | protected group |
    protected groups | fair to | fair towards | fair across | fairness for | fairness across |
    treated fairly | treat fairly | treats fairly | discriminate against | bias against |
    biased against | discrimination against | fair for
predict: predict | predicting | target | target column | outcome | label | classify | forecast |
    target variable
positive: positive | positive class | positive label | positive value | positive outcome |
    the positive class | counts as positive
means: means | stands for
use: use | using | switch to | try | choose | load | work with | optimise for | optimize for |
    optimise | optimize | measure | track | go with | with | switch | pick | select | take |
    apply | prefer | care about | focus on
bound: keep | keeps | keeping | cap | limit | constrain | bound | ensure | require | make sure |
    must | should |
    needs to | need | has to | stay | stays | remain | remains | stay under | restrict
le: under | below | beneath | less than | lower than | smaller than | at most | no more than |
    not more than | no higher than | not above | not over | within | up to | max | maximum |
    capped at | not exceed | does not exceed | not exceeding | no greater than | or less |
    or lower | tops | <= | < | ≤ | =<
ge: above | over | more than | greater than | higher than | at least | no less than |
    not below | not under | min | minimum | no lower than | or more | or higher | or better |
    exceeding | exceeds | >= | > | ≥ | =>
at: at | of | to | = | is | equal to | around | about
select: show me | give me | find | get | i will take | get me | show | i want | want |
    i would like | the one | go with | jump to | move to | switch to round
point: point | model | one | round | solution | classifier | option
fairest: fairest | most fair | least unfair | least biased | most equal | least discriminatory |
    fairest possible
lowest: lowest | smallest | least | minimum | minimal | minimise | minimize | minimising |
    minimizing | min | best
highest: highest | best | maximum | top | maximise | maximize | max | maximising | maximizing |
    most | greatest | largest
most_accurate: most accurate | best performing | best performance | highest performing |
    most precise
knee: knee | trade-off | tradeoff | trade off | best compromise | compromise | balanced point |
    sweet spot | best balance | good balance | elbow | middle ground | best trade-off |
    best tradeoff | the knee point
rounds: rounds | iterations | estimators | boosting rounds | weak learners | n_estimators |
    trees
epochs: epochs | epoch | training epochs
explain: explain | why | describe | tell me about | interpret | explanation |
    what am i looking at | walk me through | tell me more
export: export | download | save | onnx | model card | deploy | ship
undo: go back | back | undo | previous point | previous one | one before | revert |
    earlier point | previous model | previous choice | last one | previous selection |
    undo that | undo the last | step back | before that
fairer: fairer | more fair | less unfair | less biased | less bias | less discrimination |
    more equitable | less discriminatory
more_accurate: more accurate | more accuracy | better accuracy | less fair | more performance |
    higher accuracy | less errors | fewer errors
compare: compare | comparison | versus | vs | compared | relative to | how does it compare |
    what did fairness cost | cost of fairness | price of fairness | what does fairness cost |
    difference
baseline: unconstrained | unfair | baseline | plain | without fairness | no fairness |
    unmitigated | vanilla | regular | ordinary | unconstrained model | fairness unaware |
    fairness-unaware |
    without constraints | no constraints | standard
single_task: single-task | single task | separate models | one model per task |
    each task alone | separately | single-task models | single task models | separate
cancel: stop | cancel | abort | halt | kill | interrupt | stop training | stop the run |
    cancel the run | cancel training | enough
runs: runs | previous runs | earlier runs | my runs | past runs | run history | old runs |
    list runs | list of runs | all runs | the runs | trainings | history | previous trainings
open: open | reopen | go back to | back to | return to | load | resume | switch to
run: run | run number | training
drop: drop | remove | exclude | ignore | leave out | without | do not use | get rid of |
    discard | throw out | delete | skip | remove the column | not use
restore: put back | restore | bring back | add back | include | re-include | use again |
    back in | keep | reinstate | add | put
define: mean | means | meaning | define | definition | stand for | stands for | what is |
    what are | what does | meaning of | explain
question: what | which | how | who | tell me | is | are | does | do | can | could | whats |
    what is | what are | show me | give me | how much
how_many: how many | number of | count
worst: worst off | worst | worse off | disadvantaged | hurt most | most affected | biggest gap |
    largest gap | treated worst | least favoured | most harmed | suffers most | loses most |
    biggest difference | largest difference
status: status | progress | done | finished | ready | going | how far | still running |
    complete
setup: setup | set-up | settings | configuration | summary | set up | what did i choose |
    current setup | my setup | config
selected: selected | chosen | picked | current | this | it | its | that | did you pick |
    did you choose | did you select | is chosen
vague: good | decent | reasonable | nice one | best one | optimal | ideal | better one |
    a good one
weights: weights | weight | weighted | weighting
columns: columns | features | variables | fields | attributes
datasets: datasets | data sets | which data | built-in datasets
greet: hi | hello | hey | good morning | good afternoon | good evening | howdy | greetings |
    hiya | yo | hi there | hello there
thanks: thanks | thank you | thx | cheers | great | cool | nice | awesome | perfect |
    thank you very much | many thanks | brilliant | excellent
bye: bye | goodbye | see you | good bye | later | see ya
how_are_you: how are you | how is it going | how are things | how do you do | are you there |
    who are you
help: help | what can you do | what can i do | what can i say | how does this work |
    how do i start | get started | commands | instructions | options | what now | what next |
    what should i do | how do i use this | what do i do | i am lost | how does it work |
    guide me
upload: upload | my own data | my own csv | my own file | my own dataset | own data | own csv |
    import a csv | my data | a csv | csv | my own table | my file
together: together | jointly | at once | both tasks | at the same time | simultaneously |
    in one model | multi-task | multitask | multi-task learning | multitask learning |
    multi task | multi task learning | multiple tasks
all: all | every | each | any | both | overall | everyone | all attributes | every attribute |
    all groups
split: split at | split | cut at | bins | bin | bands | brackets | binned at | groups at | cut |
    thresholds | bucket | buckets | edges | bands at | bins at | boundaries
also: also | too | as well | plus | additionally | in addition | and also | add
fairness: fair | fairness | bias | biased | unfairness | discrimination
per: for | on | across | among | in | by | per | between | within
median: median | the median
rest: the rest | rest | the others | everyone else | all others | the remaining | others |
    everything else | all other
against: against | vs | versus
whether: whether | if
not: not | no | never | without | except | instead | but | nor | cannot
again: again | back
sweep: sweep | sweeps | sweeping | sweep over | grid | grid search | vary | varying |
    parameter sweep | hyperparameter sweep
default: default | defaults | the default | default value | default values |
    back to default | back to the default | back to defaults
parameters: parameters | parameter | hyperparameters | hyperparameter | learner parameters
"""
"""The grammar's words, one cue a line: ``name: phrase | phrase | ...`` (lower case; hyphens
and spaces alike; a line that starts with spaces continues the one before)."""


def _cues(text: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    name = ""
    for line in text.strip().splitlines():
        if not line.startswith(" "):
            name, _, line = line.partition(":")
            out[name] = ()
        out[name] += tuple(p.strip() for p in line.split("|") if p.strip())
    return out


CUES: dict[str, tuple[str, ...]] = _cues(_CUE_TEXT)

_TYPO_MIN = 5
"""Shortest word read through a typo."""
_NAME_KINDS = ("column", "synonym", "dataset", "target", "task")
"""Terms that name the user's data: never read through a typo, only asked about."""


@dataclass(frozen=True)
class Term:
    """What a phrase names: a registry entry, a column, or a grammar cue."""

    kind: str
    """notion, metric, learner, parameter, dataset, target, task, synonym, column or cue."""
    value: str
    dataset: str = ""
    """For a target word or a task: the dataset it belongs to."""


@dataclass(frozen=True)
class Item:
    """A run of tokens read as one thing: a phrase with its terms, or one token."""

    first: int
    stop: int
    tokens: tuple[Token, ...]
    terms: tuple[Term, ...] = ()
    typo: str = ""
    """The known word a misspelt word was read as (empty: spelt right)."""

    @property
    def text(self) -> str:
        return " ".join(t.text for t in self.tokens)

    @property
    def token(self) -> Token:
        return self.tokens[0]

    @property
    def kind(self) -> str:
        return self.tokens[0].kind if len(self.tokens) == 1 else "word"

    def term(self, *kinds: str) -> Term | None:
        return next((t for t in self.terms if t.kind in kinds), None)

    def cue(self, *names: str) -> bool:
        return any(t.kind == "cue" and t.value in names for t in self.terms)

    def names(self, *kinds: str) -> list[Term]:
        return [t for t in self.terms if t.kind in kinds]


def _phrases(*texts: str) -> Iterable[tuple[str, ...]]:
    for text in texts:
        parts = word_parts(text)
        if parts:
            yield parts


@lru_cache(maxsize=1)
def registry_lexicon() -> dict[tuple[str, ...], tuple[Term, ...]]:
    """Phrases from the registries and the cue table (built once)."""
    table: dict[tuple[str, ...], list[Term]] = {}

    def add(term: Term, *texts: str) -> None:
        for parts in _phrases(*texts):
            bucket = table.setdefault(parts, [])
            if term not in bucket:
                bucket.append(term)

    for n in NOTIONS.values():
        add(Term("notion", n.name), n.name, n.short or n.label, *n.aliases)
    for m in PERFORMANCE.values():
        aliases = [a for a in m.aliases if word_parts(a) not in table]  # "acc": the notion
        add(Term("metric", m.name), m.name, m.label, *aliases)
    for t in LEARNERS.values():
        add(Term("learner", t.name), t.name, t.label.split("(")[0], *t.aliases)
    for p in PARAMETERS.values():
        said = (p.name, p.label, *p.aliases)
        add(Term("parameter", p.name), *said, *(plural(s) for s in said))
    for d in DATASETS.values():
        add(Term("dataset", d.name), d.name, *d.aliases)
        add(Term("target", d.target, d.name), *d.target_words)
        for task in d.tasks:
            add(Term("task", task, d.name), task)
    for word, columns in COLUMN_SYNONYMS.items():
        for column in columns:
            add(Term("synonym", column), word)
    for cue, phrases in CUES.items():
        add(Term("cue", cue), *phrases)
    return {k: tuple(v) for k, v in table.items()}


class Lexicon:
    """Registry phrases plus one session's dataset names, columns and tasks."""

    def __init__(
        self,
        datasets: Iterable[str] = (),
        columns: Iterable[str] = (),
        tasks: Iterable[tuple[str, str]] = (),
    ) -> None:
        table = {k: list(v) for k, v in registry_lexicon().items()}
        for kind, names in (
            ("dataset", [(d, "") for d in datasets]),
            ("column", [(c, "") for c in columns]),
            ("task", list(tasks)),
        ):
            for name, dataset in names:
                parts = word_parts(name)
                if parts:
                    bucket = table.setdefault(parts, [])
                    term = Term(kind, name, dataset)
                    if term not in bucket:
                        bucket.insert(0, term) if kind == "column" else bucket.append(term)
        self.table = {k: tuple(v) for k, v in table.items()}
        self.longest = max(len(k) for k in self.table)
        self.singles = sorted(k[0] for k in self.table if len(k) == 1 and len(k[0]) >= _TYPO_MIN)
        self.parameters = ParameterPhrases(
            k for k, ts in self.table.items() if len(k) > 1 and ts[0].kind == "parameter"
        )

    def read(self, tokens: Sequence[Token]) -> list[Item]:
        """The message's items: longest known phrases, and the other tokens one by one."""
        atoms: list[tuple[str, int, bool, bool]] = []  # part, token index, first, last
        for index, token in enumerate(tokens):
            if token.kind == "word" or token.kind == "op":
                parts = word_parts(token.text) if token.kind == "word" else (token.text,)
                for n, part in enumerate(parts):
                    atoms.append((part, index, n == 0, n == len(parts) - 1))
            else:
                atoms.append((f"\x00{token.kind}", index, True, True))
        items: list[Item] = []
        i = 0
        while i < len(atoms):
            part, index, first, _ = atoms[i]
            found: tuple[int, tuple[Term, ...]] | None = None
            if first:
                for size in range(min(self.longest, len(atoms) - i), 0, -1):
                    end = atoms[i + size - 1]
                    if not end[3]:
                        continue
                    key = tuple(a[0] for a in atoms[i : i + size])
                    if key in self.table:
                        found = (size, self.table[key])
                        break
            cut = self.parameters.starts_inside(atoms, i, found[0]) if found else 0
            if cut:  # "no fairness weight": "no" + "fairness weight", not "no fairness" + ...
                key = tuple(a[0] for a in atoms[i : i + cut])
                found = (cut, self.table[key]) if key in self.table else None
            misspelt = self.parameters.misspelt(atoms, i) if first else None
            if misspelt is not None and misspelt[0] > (found[0] if found else 0):
                size, phrase = misspelt
                stop = atoms[i + size - 1][1] + 1
                terms = tuple(t for t in self.table[phrase] if t.kind == "parameter")
                items.append(Item(index, stop, tuple(tokens[index:stop]), terms, " ".join(phrase)))
                i += size
                continue
            if found is None:
                stop = index + 1
                while i < len(atoms) and atoms[i][1] == index:
                    i += 1
                token = tokens[index]
                typo, terms = self._typo(token)
                items.append(Item(index, stop, (token,), terms, typo))
                continue
            size, terms = found
            stop = atoms[i + size - 1][1] + 1
            items.append(Item(index, stop, tuple(tokens[index:stop]), terms))
            i += size
        return items

    def _typo(self, token: Token) -> tuple[str, tuple[Term, ...]]:
        word = token.low
        if token.kind != "word" or len(word) < _TYPO_MIN or not word.isalpha():
            return "", ()
        close = [s for s in self.singles if one_edit(word, s)]
        if len(close) != 1:
            return "", ()
        # Only the grammar's and the registries' words are read through a typo; a name (a
        # column, dataset or target word) is left for the checks, which ask "did you mean".
        terms = tuple(t for t in self.table[(close[0],)] if t.kind not in _NAME_KINDS)
        return (close[0], terms) if terms else ("", ())
