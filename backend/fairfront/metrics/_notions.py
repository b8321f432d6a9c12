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


NOTIONS: dict[str, Notion] = {
    n.name: n
    for n in (
        Notion(
            "dp",
            "demographic parity",
            ("selection_rate",),
            description="gap in the share of rows predicted positive",
        ),
        Notion(
            "eop",
            "equal opportunity",
            ("tpr",),
            description="gap in true-positive rate (share of real positives found)",
        ),
        Notion(
            "fpr",
            "false-positive-rate parity",
            ("fpr",),
            description="gap in false-positive rate (share of real negatives flagged)",
        ),
        Notion(
            "eo",
            "equalized odds (worst case, Fairlearn convention)",
            ("tpr", "fpr"),
            "max",
            description="the larger of the true-positive-rate gap and the false-positive-rate gap",
        ),
        Notion(
            "eo_sum",
            "equalized odds (sum, disparate mistreatment convention)",
            ("tpr", "tnr"),
            "sum",
            description="true-positive-rate gap plus true-negative-rate gap; up to 2x eo",
        ),
        Notion(
            "acc",
            "accuracy parity",
            ("accuracy",),
            description="gap in accuracy",
        ),
        Notion(
            "ppv",
            "predictive parity",
            ("ppv",),
            description="gap in precision (share of positive predictions that are right)",
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
