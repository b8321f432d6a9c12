"""The fairness notions: which per-group rate each one compares, and how.

A notion is a small frozen object; the registry ``NOTIONS`` maps the names used
everywhere (command line, API, front.json) to them. Rates are computed from
per-group confusion counts by :mod:`fairfront.metrics._counts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["NOTIONS", "RATES", "Notion", "get_notion"]

# Every per-group rate the engine knows, by name.
RATES = ("selection_rate", "tpr", "fpr", "tnr", "accuracy", "ppv")


@dataclass(frozen=True)
class Notion:
    """A group-fairness notion: a violation is a gap between groups' rates.

    ``rates`` are compared between the groups of one attribute; with several rates
    the gaps are combined with ``combine`` (``max``: Fairlearn's equalized-odds
    convention; ``sum``: the AdaFair / FairBranch "disparate mistreatment" one).
    """

    name: str
    label: str
    rates: tuple[str, ...]
    combine: Literal["max", "sum"] = "max"
    description: str = ""
    short: str = ""
    """Label for charts and sentences (``label`` without the convention)."""
    aliases: tuple[str, ...] = ()
    """Other words people use for it (lower case); the chat's lexicon reads them."""

    @property
    def direction(self) -> Literal["lower_is_better"]:
        """Every notion is a gap: lower is better."""
        return "lower_is_better"

    @property
    def convention(self) -> str:
        """How several rates are combined, in words (empty for one rate)."""
        if len(self.rates) == 1:
            return ""
        joined = " and ".join(r.replace("_", " ") for r in self.rates)
        if self.combine == "max":
            return f"the larger of the {joined} gaps (worst case, Fairlearn's convention)"
        return f"the {joined} gaps added (disparate-mistreatment convention; up to 2x eo)"


NOTIONS: dict[str, Notion] = {
    n.name: n
    for n in (
        Notion(
            "dp",
            "demographic parity",
            ("selection_rate",),
            description="gap in the share of rows predicted positive",
            short="demographic parity",
            aliases=("statistical parity", "selection rate parity", "selection rate", "parity"),
        ),
        Notion(
            "eop",
            "equal opportunity",
            ("tpr",),
            description="gap in true-positive rate (share of real positives found)",
            short="equal opportunity",
            aliases=(
                "equality of opportunity",
                "true positive rate parity",
                "tpr parity",
                "true positive rate",
                "recall parity",
            ),
        ),
        Notion(
            "fpr",
            "false-positive-rate parity",
            ("fpr",),
            description="gap in false-positive rate (share of real negatives flagged)",
            short="false-positive-rate parity",
            aliases=(
                "false positive rate parity",
                "false positive rate",
                "false positive rates",
                "predictive equality",
                "fpr parity",
            ),
        ),
        Notion(
            "eo",
            "equalized odds (worst case, Fairlearn convention)",
            ("tpr", "fpr"),
            "max",
            description="the larger of the true-positive-rate gap and the false-positive-rate gap",
            short="equalized odds",
            aliases=("equalized odds", "equalised odds", "equal odds", "eq odds"),
        ),
        Notion(
            "eo_sum",
            "equalized odds (sum, disparate mistreatment convention)",
            ("tpr", "tnr"),
            "sum",
            description="true-positive-rate gap plus true-negative-rate gap; up to 2x eo",
            short="equalized odds (sum)",
            aliases=(
                "equalized odds sum",
                "equalised odds sum",
                "disparate mistreatment",
                "eo sum",
            ),
        ),
        Notion(
            "acc",
            "accuracy parity",
            ("accuracy",),
            description="gap in accuracy",
            short="accuracy parity",
            aliases=("accuracy equality", "equal accuracy", "overall accuracy equality"),
        ),
        Notion(
            "ppv",
            "predictive parity",
            ("ppv",),
            description="gap in precision (share of positive predictions that are right)",
            short="predictive parity",
            aliases=("precision parity", "ppv parity", "calibration within groups"),
        ),
    )
}


def get_notion(name: str) -> Notion:
    """Return the notion called ``name``; ``ValueError`` naming the choices otherwise."""
    try:
        return NOTIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown fairness notion {name!r}; choose from {', '.join(NOTIONS)}"
        ) from None
