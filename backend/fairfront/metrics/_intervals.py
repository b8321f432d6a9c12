"""Confidence intervals for every group rate and every gap, from the confusion counts.

Method (analytic, exact arithmetic on counts; no resampling):

* **Group rates** -- every rate the engine reports is a proportion ``k / n`` of a
  group's rows (selection rate: predicted positive among the group; tpr: found among
  its positives; ppv: right among its predicted positives; ...). Given its
  denominator, the numerator is binomial: the rows are independent draws and the
  model is fixed, so the labels (or predictions) of the rows counted in ``n`` are
  independent Bernoulli trials at the group's true rate. We give the **Wilson score
  interval**, which keeps close to nominal coverage down to a handful of rows and
  rates near 0 or 1 (where the Wald interval collapses) -- Brown, Cai & DasGupta
  (2001).
* **Difference of two groups' rates** -- the groups are disjoint sets of rows, so
  their rates are independent: **Newcombe's hybrid score interval** (Newcombe 1998,
  method 10), i.e. the MOVER combination (Zou & Donner 2008) of the two Wilson
  intervals. Its coverage is close to nominal from about 10 rows per group.
* **Gap of an attribute** (largest minus smallest rate = the largest absolute
  pairwise difference): with an interval ``[L, U]`` for each pairwise difference
  ``d``, ``|d|`` lies in ``[dist(0, [L, U]), max(|L|, |U|)]``; the gap's interval is
  the largest of those ends over pairs. With two groups this keeps Newcombe's
  coverage exactly (and covers a true gap of 0 whenever the difference interval
  holds 0, which a percentile bootstrap of the gap does not: the gap is biased
  upward). With more groups the upper end keeps its level for the pair that holds
  the true gap; the lower end, which one pair's chance spread could push above a true
  gap shared by several pairs, uses Bonferroni-widened pair intervals (level
  ``1 - (1 - level) / K`` for K pairs), so it stays valid and errs on the
  conservative side (``bench/bench_intervals.py --coverage`` measures both ends).
* **Notions of several rates** -- ``max`` (eo): the larger of the two ends;
  ``sum`` (eo_sum): the MOVER sum of the two gaps' intervals (the tpr and tnr gaps
  read disjoint rows -- positives and negatives -- so they are independent).
* **Worst over attributes** -- ``[max lo, max hi]`` (``sum`` aggregation: sums).
  The upper end, which confidence constraints read, holds at the one-sided level of
  the attribute with the largest true gap.

Why not a bootstrap: every model's interval is a function of its own counts only, so
this is vectorised over the m models of a front for free (no ``n x B`` weight matrix,
no random numbers, same numbers on every run). The coupling of the models through
shared rows matters for joint statements across models (is round 40 fairer than
round 41?), not for each model's own interval, which is all we report. The tests
compare against a plain row-resampling loop; the benchmark measures coverage on
synthetic data with known rates, group sizes 20 to 20,000.

Rows are counted as they are: with ``sample_weight`` the counts are weighted and the
intervals are not computed (the engine leaves them out).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import norm

from ._counts import gaps, rate_fractions
from ._notions import get_notion

__all__ = [
    "DEFAULT_LEVEL",
    "TOO_WIDE",
    "Interval",
    "check_level",
    "format_interval",
    "gap_interval",
    "newcombe",
    "notion_interval",
    "rate_intervals",
    "too_wide_groups",
    "wider_than_gap",
    "wilson",
    "worst_interval",
]

DEFAULT_LEVEL = 0.95
TOO_WIDE = 0.2
"""A group whose rate interval is wider than this (about +-0.1) is too small to judge:
it cannot tell a 0.1 gap from none."""


@dataclass(frozen=True)
class Interval:
    """Lower and upper ends (arrays of the same shape; NaN where undefined)."""

    lo: np.ndarray
    hi: np.ndarray


def check_level(level: float) -> float:
    """``level`` as a float in (0, 1); ``ValueError`` naming it otherwise."""
    value = float(level)
    if not 0.5 <= value < 1.0:
        raise ValueError(f"confidence level must be in [0.5, 1), got {level!r}")
    return value


def _z(level: float | np.ndarray) -> np.ndarray:
    """The two-sided normal quantile of ``level`` (element-wise)."""
    if np.ndim(level) == 0:
        return _z_scalar(float(level))
    levels = np.asarray(level, dtype=np.float64)
    # Levels repeat (one per model, mostly equal): each distinct one is computed once.
    unique, inverse = np.unique(levels, return_inverse=True)
    z = np.array([_z_scalar(float(u)) for u in unique]) if unique.size <= 8 else None
    if z is None:
        z = np.asarray(norm.ppf(0.5 + unique / 2))
    return np.asarray(z[inverse].reshape(levels.shape))


@functools.lru_cache(maxsize=64)
def _z_scalar(level: float) -> np.ndarray:
    """The normal quantile of one level, computed once (scipy's ``ppf`` call costs far
    more than the interval arithmetic; a run asks for the same level every round)."""
    z = np.asarray(norm.ppf(0.5 + np.asarray(level) / 2))
    z.setflags(write=False)
    return z


def wilson(k: np.ndarray, n: np.ndarray, level: float | np.ndarray = DEFAULT_LEVEL) -> Interval:
    """Wilson score interval of ``k / n`` (element-wise); NaN where ``n`` is 0.

    ``level`` may be an array broadcasting with ``k`` (one level per element).
    """
    k = np.asarray(k, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    if np.ndim(level) == 0:
        check_level(float(level))
    z = _z(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    hi = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return Interval(lo, hi)


def newcombe(p1: np.ndarray, ci1: Interval, p2: np.ndarray, ci2: Interval) -> Interval:
    """Newcombe's hybrid score interval for ``p1 - p2`` from the two Wilson intervals."""
    d = p1 - p2
    lo = d - np.sqrt((p1 - ci1.lo) ** 2 + (ci2.hi - p2) ** 2)
    hi = d + np.sqrt((ci1.hi - p1) ** 2 + (p2 - ci2.lo) ** 2)
    return Interval(lo, hi)


def rate_intervals(
    counts: np.ndarray, level: float = DEFAULT_LEVEL, rates: Iterable[str] | None = None
) -> dict[str, tuple[np.ndarray, Interval]]:
    """Each rate and its Wilson interval from counts ``(..., G, 2, 2)``, shape (..., G)."""
    fractions = rate_fractions(counts)
    names = tuple(rates) if rates is not None else tuple(fractions)
    out = {}
    for name in names:
        k, n = fractions[name]
        with np.errstate(divide="ignore", invalid="ignore"):
            p = k / n
        out[name] = (p, wilson(k, n, level))
    return out


def gap_interval(
    k: np.ndarray,
    n: np.ndarray,
    level: float = DEFAULT_LEVEL,
    included: np.ndarray | None = None,
) -> Interval:
    """Interval of the largest gap between groups' rates ``k / n`` (last axis).

    Upper end: the largest ``max(|L|, |U|)`` over pairs of Newcombe intervals at
    ``level``. Lower end: the largest ``dist(0, [L, U])`` over pairs, with the pairs'
    intervals at the Bonferroni level ``1 - (1 - level) / K`` for K pairs, so that a
    true gap of 0 among many groups is still covered (without it, 4 groups of 200 rows
    with equal rates were covered 80% of the time instead of 95%). With two groups
    both ends are Newcombe's. Groups with an undefined rate (``n`` 0) or not
    ``included`` are left out, as in :func:`fairfront.metrics.gaps`; NaN where fewer
    than two groups remain.
    """
    k = np.asarray(k, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    defined = n > 0
    if included is not None:
        defined &= included
    G = k.shape[-1]
    n_defined = defined.sum(axis=-1)
    n_pairs = np.maximum(n_defined * (n_defined - 1) / 2, 1.0)
    strict = 1 - (1 - check_level(level)) / n_pairs  # (...)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
    a = (slice(None),) * (k.ndim - 1)
    row, col = (*a, slice(None), None), (*a, None, slice(None))
    pair = defined[row] & defined[col] & ~np.eye(G, dtype=bool)

    def pairs(ci: Interval) -> Interval:  # (..., G, G): p_a - p_b
        return newcombe(
            p[row], Interval(ci.lo[row], ci.hi[row]), p[col], Interval(ci.lo[col], ci.hi[col])
        )

    wide = pairs(wilson(k, n, strict[..., None]))
    usual = pairs(wilson(k, n, level))
    near = np.where(wide.lo > 0, wide.lo, np.where(wide.hi < 0, -wide.hi, 0.0))
    far = np.maximum(np.abs(usual.lo), np.abs(usual.hi))
    lo = np.max(np.where(pair, near, -np.inf), axis=(-2, -1))
    hi = np.max(np.where(pair, far, -np.inf), axis=(-2, -1))
    enough = n_defined >= 2
    return Interval(
        np.where(enough, np.clip(lo, 0.0, 1.0), np.nan),
        np.where(enough, np.clip(hi, 0.0, 1.0), np.nan),
    )


def notion_interval(
    counts: np.ndarray,
    notion: str,
    level: float = DEFAULT_LEVEL,
    included: np.ndarray | None = None,
) -> Interval:
    """The interval of a notion's gap for counts ``(..., G, 2, 2)``: shape (...)."""
    spec = get_notion(notion)
    fractions = rate_fractions(counts)
    out: Interval | None = None
    value = np.empty(0)
    for name in spec.rates:
        k, n = fractions[name]
        with np.errstate(divide="ignore", invalid="ignore"):
            g = gaps(k / n, included)
        gi = gap_interval(k, n, level, included)
        if out is None:
            value, out = g, gi
        elif spec.combine == "max":
            undefined = np.isnan(value) | np.isnan(g)
            value = np.fmax(value, g)
            out = Interval(
                np.where(undefined, np.nan, np.fmax(out.lo, gi.lo)),
                np.where(undefined, np.nan, np.fmax(out.hi, gi.hi)),
            )
        else:
            total = value + g
            out = Interval(
                np.maximum(total - np.sqrt((value - out.lo) ** 2 + (g - gi.lo) ** 2), 0.0),
                total + np.sqrt((out.hi - value) ** 2 + (gi.hi - g) ** 2),
            )
            value = total
    assert out is not None  # noqa: S101 - every notion has a rate
    return out


def worst_interval(intervals: Iterable[Interval], aggregation: str = "max") -> Interval:
    """Interval of the worst (``max``) or summed gap over attributes, ignoring NaN ones."""
    items = list(intervals)
    los = np.stack([i.lo for i in items])
    his = np.stack([i.hi for i in items])
    defined = ~np.isnan(los)
    if aggregation == "sum":
        lo = np.where(defined, los, 0.0).sum(axis=0)
        hi = np.where(defined, his, 0.0).sum(axis=0)
    else:
        lo = np.where(defined, los, -np.inf).max(axis=0)
        hi = np.where(defined, his, -np.inf).max(axis=0)
    anyd = defined.any(axis=0)
    return Interval(np.where(anyd, lo, np.nan), np.where(anyd, hi, np.nan))


def too_wide_groups(groups: Mapping[str, Mapping[str, Any]], notion: str) -> list[str]:
    """Groups too small to judge ``notion``: a rate it compares has an interval wider
    than :data:`TOO_WIDE` (or none at all: no rows to measure it on).

    ``groups`` maps labels to per-group stats with an ``intervals`` entry ``{rate:
    [lo, hi] | None}`` (as in a report's ``to_dict``); groups without it are skipped.
    """
    out = []
    for label, stats in groups.items():
        cis = stats.get("intervals")
        if not isinstance(cis, Mapping):
            continue
        for rate in get_notion(notion).rates:
            ci = cis.get(rate)
            if ci is None or ci[1] - ci[0] > TOO_WIDE:
                out.append(label)
                break
    return out


def format_interval(value: float | None, ci: Any, digits: int = 3) -> str:
    """``0.081 [0.012, 0.162]``; the value alone when there is no interval."""
    if value is None:
        return "-"
    text = f"{value:.{digits}f}"
    if isinstance(ci, list | tuple) and len(ci) == 2 and None not in ci:
        text += f" [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"
    return text


def wider_than_gap(value: float | None, interval: Any) -> bool:
    """Whether a gap's interval ``[lo, hi]`` is wider than the gap itself: the gap
    cannot be told apart from noise (charts grey it out, cards mark it)."""
    if value is None or not isinstance(interval, list | tuple) or len(interval) != 2:
        return False
    if interval[0] is None or interval[1] is None:
        return False
    return bool(interval[1] - interval[0] > value)
