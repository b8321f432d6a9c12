"""Pareto fronts over boosting rounds, and rules for choosing one round's model.

Two layers:

* **array level** -- objectives are minimised and ``F`` has shape ``(m, k)``:
  :func:`non_dominated`, :func:`hypervolume`, :func:`knee` and :func:`select_by_weights`;
* **point level** -- lists of ``front.json`` point dicts (one per round, with a
  ``validation`` and optionally a ``test`` metrics block): :class:`Constraint`,
  :func:`objective_matrix`, :func:`mark_front`, :class:`SelectionRule` and :func:`select`.

Choosing only ever reads the validation block (by default); the test block is
reported, never used to choose. Trivial points (a model predicting one class for
almost every row) are never on the front and never selected; points whose needed
metrics are NaN are never selected by a rule that needs them. Ties go to the
earliest round.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, TypeVar, cast

import numpy as np
import numpy.typing as npt

from .metrics import NOTIONS

__all__ = [
    "KNOWN_NOTIONS",
    "PERFORMANCE_METRICS",
    "Constraint",
    "ConstraintError",
    "NoEligiblePointError",
    "NoFeasiblePointError",
    "RoundNotFoundError",
    "Selection",
    "SelectionError",
    "SelectionRule",
    "hypervolume",
    "knee",
    "mark_front",
    "mark_selected",
    "non_dominated",
    "objective_matrix",
    "read_metric",
    "select",
    "select_by_weights",
]

KNOWN_NOTIONS: tuple[str, ...] = tuple(NOTIONS)
"""Fairness notions a point may carry: the metrics engine's."""

PERFORMANCE_METRICS: tuple[str, ...] = ("accuracy", "balanced_accuracy")
"""Performance metrics a point carries (higher is better)."""

# Largest meaningful violation per notion: gaps of rates lie in [0, 1]; eo_sum adds two.
_NOTION_MAX = {name: (2.0 if name == "eo_sum" else 1.0) for name in KNOWN_NOTIONS}
_ALIASES = {
    "bacc": "balanced_accuracy",
    "balanced_acc": "balanced_accuracy",
    "balancedaccuracy": "balanced_accuracy",
}
_TIE = 1e-12  # relative tolerance under which two scores count as tied

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]
Point = Mapping[str, Any]
PointsT = TypeVar("PointsT", bound=Sequence[MutableMapping[str, Any]])


# --------------------------------------------------------------------------- errors


class ConstraintError(ValueError):
    """A constraint is malformed: bad text, unknown metric, bad bound or attribute."""


class SelectionError(ValueError):
    """Base class for a selection rule that cannot pick a point."""


class NoEligiblePointError(SelectionError):
    """Every point is trivial or lacks (NaN) a metric the rule needs."""


class NoFeasiblePointError(SelectionError):
    """No eligible point satisfies every constraint.

    ``details`` holds, per constraint, its text, how many eligible points meet it
    and the best value any eligible point reached (with that point's round).
    """

    def __init__(self, message: str, details: Sequence[Mapping[str, Any]] = ()) -> None:
        super().__init__(message)
        self.details: list[dict[str, Any]] = [dict(d) for d in details]


class RoundNotFoundError(SelectionError, LookupError):
    """A rule asks for a round that no point has."""


# --------------------------------------------------------------------- array level


def _as_matrix(F: npt.ArrayLike) -> FloatArray:
    """``F`` as a 2-D float array; ``ValueError`` otherwise."""
    arr = np.asarray(F, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"F must be 2-D (points x objectives), got shape {arr.shape}")
    return arr


def _valid_rows(F: FloatArray, eligible: npt.ArrayLike | None) -> BoolArray:
    """Rows that are eligible and hold no NaN."""
    m = F.shape[0]
    if eligible is None:
        mask = np.ones(m, dtype=bool)
    else:
        mask = np.asarray(eligible, dtype=bool)
        if mask.shape != (m,):
            raise ValueError(f"eligible must have shape ({m},), got {mask.shape}")
    out: BoolArray = mask & ~np.isnan(F).any(axis=1)
    return out


def _nd_sweep_2d(F: FloatArray) -> BoolArray:
    """Non-dominated mask for two objectives by one sort (O(m log m))."""
    order = np.lexsort((F[:, 1], F[:, 0]))
    x, y = F[order, 0], F[order, 1]
    new_group = np.ones(x.size, dtype=bool)
    new_group[1:] = x[1:] != x[:-1]
    group = np.cumsum(new_group) - 1
    starts = np.flatnonzero(new_group)
    group_min = y[starts]  # y is sorted within each run of equal x
    running = np.minimum.accumulate(y)
    prev_min = np.full(starts.size, np.inf)
    prev_min[1:] = running[starts[1:] - 1]
    has_prev = group > 0
    # dominated by an equal-x point with smaller y, or by any smaller-x point with y <= ours
    dominated = (y > group_min[group]) | (has_prev & (prev_min[group] <= y))
    out = np.empty(x.size, dtype=bool)
    out[order] = ~dominated
    return out


def _dominated_by(cand: FloatArray, others: FloatArray) -> BoolArray:
    """For each row of ``cand``, whether some row of ``others`` dominates it (chunked)."""
    n, k = cand.shape
    out = np.zeros(n, dtype=bool)
    if others.shape[0] == 0:
        return out
    chunk = max(1, (1 << 22) // max(1, others.shape[0] * max(k, 1)))
    rows = others[None, :, :]
    for a in range(0, n, chunk):
        block = cand[a : a + chunk, None, :]
        weakly = np.asarray((rows <= block).all(axis=2), dtype=bool)
        strictly = np.asarray((rows < block).any(axis=2), dtype=bool)
        out[a : a + chunk] = (weakly & strictly).any(axis=1)
    return out


def _nd_pairwise(F: FloatArray) -> BoolArray:
    """Non-dominated mask by all-pairs comparison (any k)."""
    return ~_dominated_by(F, F)


def _nd_blocked(F: FloatArray, block: int = 512) -> BoolArray:
    """Non-dominated mask for many rows: blocks in (sum, lexicographic) order.

    A dominator always sorts before the rows it dominates, so each block only needs
    comparing with itself and with the front kept so far (by transitivity).
    """
    keys = tuple(F[:, j] for j in range(F.shape[1] - 1, -1, -1)) + (F.sum(axis=1),)
    order = np.lexsort(keys)
    keep = np.zeros(F.shape[0], dtype=bool)
    front = F[:0]
    for a in range(0, order.size, block):
        rows = order[a : a + block]
        B = F[rows]
        alive = ~_dominated_by(B, front)
        pos = np.flatnonzero(alive)
        alive[pos] = _nd_pairwise(B[pos])  # what the front kills would only kill less
        keep[rows[alive]] = True
        front = np.concatenate([front, B[alive]])
    return keep


def _nd_mask(F: FloatArray) -> BoolArray:
    """Non-dominated mask of NaN-free rows (no eligibility handling)."""
    m, k = F.shape
    if m == 0:
        return np.zeros(0, dtype=bool)
    if k == 2:
        return _nd_sweep_2d(F)
    if m > 1024 and np.isfinite(F).all():
        return _nd_blocked(F)
    return _nd_pairwise(F)


def non_dominated(F: npt.ArrayLike, eligible: npt.ArrayLike | None = None) -> BoolArray:
    """True for rows no other eligible row dominates (all objectives minimised).

    A row dominates another when it is no worse in every objective and strictly
    better in one. Rows with a NaN, or not ``eligible``, are False and dominate
    nothing. Identical rows do not dominate each other: every copy is kept.
    Two objectives use an O(m log m) sweep; more use chunked pairwise comparison,
    in blocks against the front found so far when there are many rows.
    """
    arr = _as_matrix(F)
    valid = _valid_rows(arr, eligible)
    out = np.zeros(arr.shape[0], dtype=bool)
    idx = np.flatnonzero(valid)
    out[idx] = _nd_mask(arr[idx])
    return out


def _hv2(P: FloatArray, ref: FloatArray) -> float:
    """Two-objective hypervolume of any points strictly below ``ref``."""
    order = np.lexsort((P[:, 1], P[:, 0]))
    x, y = P[order, 0], P[order, 1]
    widths = np.diff(np.append(x, ref[0]))
    heights = ref[1] - np.minimum.accumulate(y)
    return float(np.dot(widths, heights))


def _hv(P: FloatArray, ref: FloatArray) -> float:
    """Exact hypervolume of non-dominated points strictly below ``ref``.

    Slices along the last objective (points taken in ascending order); the
    (k-1)-dimensional area of each slice grows by each new point's exclusive
    contribution, computed as its box minus the hypervolume of the earlier points
    limited to that box (the WFG recursion), down to a sweep in two dimensions.
    """
    n, k = P.shape
    if n == 0:
        return 0.0
    if k == 1:
        return float(ref[0] - P[:, 0].min())
    if n == 1:
        return float(np.prod(ref - P[0]))
    if k == 2:
        return _hv2(P, ref)
    P = P[np.argsort(P[:, -1], kind="stable")]
    Q, sub_ref = P[:, :-1], ref[:-1]
    thickness = np.diff(np.append(P[:, -1], ref[-1]))
    boxes = np.prod(sub_ref - Q, axis=1)
    area = 0.0
    total = 0.0
    for i in range(n):
        exclusive = float(boxes[i])
        if i > 0:
            earlier = Q[:i]
            if (earlier <= Q[i]).all(axis=1).any():
                exclusive = 0.0  # covered in this slice already
            else:
                limited = np.maximum(earlier, Q[i])
                if limited.shape[1] > 2:
                    limited = np.unique(limited, axis=0)
                    limited = limited[_nd_pairwise(limited)]
                exclusive -= _hv(limited, sub_ref)
        area += exclusive
        total += area * float(thickness[i])
    return total


def hypervolume(F: npt.ArrayLike, reference: npt.ArrayLike) -> float:
    """Exact volume dominated by the rows of ``F`` and bounded by ``reference``.

    Only rows strictly better than ``reference`` in every objective contribute;
    rows with NaN are ignored. Two objectives: one sort. Three or more: exact
    slicing with exclusive contributions (fine for a few hundred points, k <= 5).
    """
    arr = _as_matrix(F)
    k = arr.shape[1]
    ref = np.asarray(reference, dtype=np.float64)
    if k == 0:
        raise ValueError("F has no objectives")
    if ref.shape != (k,):
        raise ValueError(f"reference must have {k} values (one per objective), got {ref.shape}")
    if not np.isfinite(ref).all():
        raise ValueError("reference must be finite")
    keep = ~np.isnan(arr).any(axis=1) & (arr < ref).all(axis=1)
    pts = arr[keep]
    if pts.shape[0] == 0:
        return 0.0
    if np.isneginf(pts).any():
        return math.inf
    pts = np.unique(pts, axis=0)
    pts = pts[_nd_mask(pts)]
    return float(_hv(pts, ref))


def _first_best(primary: FloatArray, secondary: FloatArray | None = None) -> int:
    """Position of the smallest ``primary`` (then ``secondary``); ties go to the first."""
    best = float(primary.min())
    cand = np.flatnonzero(primary <= best + _TIE * max(1.0, abs(best)))
    if secondary is not None and cand.size > 1:
        sec = secondary[cand]
        s_best = float(sec.min())
        cand = cand[sec <= s_best + _TIE * max(1.0, abs(s_best))]
    return int(cand[0])


def _normalised_front(
    F: npt.ArrayLike, eligible: npt.ArrayLike | None
) -> tuple[IntArray, FloatArray, BoolArray] | None:
    """Front rows, their objectives scaled to [0, 1] by ideal and nadir, varying columns.

    Rows with an infinite value are treated as ineligible (they cannot be scaled).
    Columns constant over the front scale to 0.
    """
    arr = _as_matrix(F)
    valid = _valid_rows(arr, eligible) & np.isfinite(arr).all(axis=1)
    idx = np.flatnonzero(valid)
    idx = idx[_nd_mask(arr[idx])]
    if idx.size == 0:
        return None
    front = arr[idx]
    ideal, nadir = front.min(axis=0), front.max(axis=0)
    span = nadir - ideal
    active = span > 0
    X = np.zeros_like(front)
    X[:, active] = (front[:, active] - ideal[active]) / span[active]
    return idx, X, active


def knee(F: npt.ArrayLike, eligible: npt.ArrayLike | None = None) -> int | None:
    """Row index of the knee of the front of the eligible, NaN-free rows.

    The front's objectives are scaled to [0, 1] by its ideal (best) and nadir
    (worst) values. The extreme points are the front's minimisers of each
    objective (ties: smallest sum of the others). The knee is the front point
    furthest below (on the ideal side of) the hyperplane through the extreme
    points -- for two objectives, the largest perpendicular distance from the line
    joining the two ends of the front. Falls back to the point nearest the ideal
    point (Euclidean, scaled) when the front is degenerate: one point, extremes
    that coincide or are affinely dependent, or no point strictly below the plane
    (a straight or concave front). Rows with infinite values are ignored; ties go
    to the lowest row. Returns None when no row is eligible.
    """
    res = _normalised_front(F, eligible)
    if res is None:
        return None
    idx, X, active = res
    Xa = X[:, active]
    ka = Xa.shape[1]
    nearest = int(idx[_first_best(np.linalg.norm(Xa, axis=1))])
    if idx.size == 1 or ka < 2:
        return nearest
    totals = Xa.sum(axis=1)
    anchors = [_first_best(Xa[:, j], totals - Xa[:, j]) for j in range(ka)]
    A = Xa[anchors]
    if len(set(anchors)) < ka or np.linalg.matrix_rank(A) < ka:
        return nearest
    normal = np.linalg.solve(A, np.ones(ka))
    below = (1.0 - Xa @ normal) / float(np.linalg.norm(normal))
    if float(below.max()) <= _TIE:
        return nearest
    return int(idx[_first_best(-below)])


def _check_weights(
    weights: npt.ArrayLike, k: int, names: Sequence[str] | None = None
) -> FloatArray:
    """Weights as a float vector summing to 1; ``ValueError`` naming the problem."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1:
        raise ValueError(f"weights must be a flat sequence of numbers, got shape {w.shape}")
    if w.size != k:
        of = f" ({', '.join(names)})" if names else ""
        raise ValueError(f"weights has {w.size} values but there are {k} objectives{of}")
    if not np.isfinite(w).all():
        raise ValueError(f"weights must be finite numbers, got {w.tolist()}")
    if (w < 0).any():
        raise ValueError(f"weights must be non-negative, got {w.tolist()}")
    total = float(w.sum())
    if total <= 0:
        raise ValueError("weights are all zero; give at least one objective a positive weight")
    out: FloatArray = w / total
    return out


def select_by_weights(
    F: npt.ArrayLike,
    weights: npt.ArrayLike,
    eligible: npt.ArrayLike | None = None,
    method: Literal["chebyshev", "pseudo_weights"] = "chebyshev",
) -> int | None:
    """Row index of the front point that best matches ``weights`` (one per objective).

    Only non-dominated, eligible, finite rows are candidates; objectives are scaled
    to [0, 1] by the front's ideal and nadir, and weights are rescaled to sum to 1
    (a larger weight means that objective matters more).

    * ``"chebyshev"``: smallest weighted Chebyshev distance ``max_j w_j x_j`` to the
      ideal point;
    * ``"pseudo_weights"`` (Deb): each point's pseudo-weights
      ``(1 - x_j) / sum_l (1 - x_l)`` say how near it is to the best of each
      objective; pick the point whose pseudo-weights are closest (Euclidean) to
      ``weights`` (renormalised over objectives that vary on the front).

    Ties go to the smallest sum of scaled objectives, then the lowest row. Returns
    None when no row is eligible.
    """
    if method not in ("chebyshev", "pseudo_weights"):
        raise ValueError(f"method must be 'chebyshev' or 'pseudo_weights', got {method!r}")
    arr = _as_matrix(F)
    w = _check_weights(weights, arr.shape[1])
    res = _normalised_front(arr, eligible)
    if res is None:
        return None
    idx, X, active = res
    if idx.size == 1 or not active.any():
        return int(idx[0])
    totals = X.sum(axis=1)
    if method == "chebyshev":
        score = (X * w).max(axis=1)
    else:
        closeness = np.where(active, 1.0 - X, 0.0)
        pseudo = closeness / closeness.sum(axis=1, keepdims=True)  # >= 1 varying column
        w_active = np.where(active, w, 0.0)
        mass = float(w_active.sum())
        target = w_active / mass if mass > 0 else active / float(active.sum())
        score = np.linalg.norm(pseudo - target, axis=1)
    return int(idx[_first_best(score, totals)])


# --------------------------------------------------------------------- point level


def _canonical_metric(name: str) -> str | None:
    """Canonical metric name for ``name`` (case, ``-`` and spaces ignored), or None."""
    key = re.sub(r"[\s\-]+", "_", name.strip().lower())
    key = _ALIASES.get(key, key)
    return key if key in KNOWN_NOTIONS or key in PERFORMANCE_METRICS else None


def _require_metric(name: object, what: str) -> str:
    """Canonical metric name or ``ConstraintError`` listing the choices."""
    key = _canonical_metric(name) if isinstance(name, str) else None
    if key is None:
        raise ConstraintError(
            f"unknown {what} {name!r}; choose from {', '.join(PERFORMANCE_METRICS)} "
            f"(or bacc) or the fairness notions {', '.join(KNOWN_NOTIONS)}"
        )
    return key


def _metric_phrase(metric: str) -> str:
    """How a metric reads in a sentence."""
    return metric.replace("_", " ") if metric in PERFORMANCE_METRICS else metric


def _num(x: float) -> str:
    """Short human form of a number."""
    return f"{x:.3g}"


def _to_float(x: object) -> float:
    """Plain float; None and unparsable values become NaN."""
    if x is None or isinstance(x, Mapping):
        return math.nan
    try:
        return float(cast(Any, x))
    except (TypeError, ValueError):
        return math.nan


def _block(point: Point, split: str) -> Mapping[str, Any]:
    """The metrics block of ``point`` for ``split`` (empty when absent)."""
    block = point.get(split)
    return block if isinstance(block, Mapping) else {}


def read_metric(
    point: Point, metric: str, attribute: str | None = None, split: str = "validation"
) -> float:
    """One metric of one point: performance, a notion's worst value or one attribute's.

    Missing values and nulls read as NaN. A notion without ``value`` falls back to
    the worst of its ``by_attribute`` values.
    """
    entry = _block(point, split).get(metric)
    if metric in PERFORMANCE_METRICS or not isinstance(entry, Mapping):
        return _to_float(entry) if attribute is None else math.nan
    by_attr = entry.get("by_attribute")
    by_attr = by_attr if isinstance(by_attr, Mapping) else {}
    if attribute is not None:
        return _to_float(by_attr.get(attribute))
    if "value" in entry:
        return _to_float(entry["value"])
    vals = [_to_float(v) for v in by_attr.values()]
    return max(vals) if vals and not any(math.isnan(v) for v in vals) else math.nan


_OP_RE = re.compile(r"<=|>=|=<|=>|≤|≥")
_OP_CANON = {"<=": "<=", "=<": "<=", "≤": "<=", ">=": ">=", "=>": ">=", "≥": ">="}
_PREFIX_RE = re.compile(r"^([^\s:\[\]]+)\s*:\s*(.+)$")
_BRACKET_RE = re.compile(r"^([^\[\]]+?)\s*\[\s*([^\[\]]*?)\s*\]$")
_NUMBER_RE = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(%?)$")
_BAD_ATTR_CHARS = set("[]<>=≤≥")


@dataclass(frozen=True)
class Constraint:
    """A bound on one validation metric, e.g. ``eo<=0.05`` or ``balanced_accuracy>=0.8``.

    ``attribute`` None means the notion's worst value over attributes ("on every
    attribute"); a name reads that attribute's value. Performance metrics
    (``accuracy``, ``balanced_accuracy``) have no attribute. Fairness notions take
    upper bounds only; ``acc`` is the accuracy-parity notion, not accuracy.
    """

    metric: str
    op: Literal["<=", ">="]
    bound: float
    attribute: str | None = None

    def __post_init__(self) -> None:
        metric = _require_metric(self.metric, "metric")
        object.__setattr__(self, "metric", metric)
        if self.op not in ("<=", ">="):
            raise ConstraintError(f"operator must be '<=' or '>=', got {self.op!r}")
        bound = _to_float(self.bound) if not isinstance(self.bound, bool) else math.nan
        if not math.isfinite(bound):
            raise ConstraintError(f"bound must be a finite number, got {self.bound!r}")
        object.__setattr__(self, "bound", bound)
        if self.attribute is not None:
            attr = self.attribute.strip() if isinstance(self.attribute, str) else ""
            if not attr or _BAD_ATTR_CHARS & set(attr):
                raise ConstraintError(f"bad attribute name {self.attribute!r}")
            object.__setattr__(self, "attribute", attr)
        if metric in PERFORMANCE_METRICS:
            if self.attribute is not None:
                raise ConstraintError(
                    f"{metric} has no per-attribute values; drop the attribute {self.attribute!r}"
                )
            if not 0.0 <= bound <= 1.0:
                hint = f"; did you mean {_num(bound)}%?" if 1.0 < bound <= 100.0 else ""
                raise ConstraintError(f"{metric} bound {_num(bound)} is outside [0, 1]{hint}")
            return
        if self.op == ">=":
            hint = (
                "; 'acc' is the accuracy-parity notion -- for a lower bound on accuracy "
                f"write accuracy>={_num(bound)}"
                if metric == "acc"
                else ""
            )
            raise ConstraintError(
                f"{metric} is a fairness violation and takes only upper bounds "
                f"({metric}<=...){hint}"
            )
        top = _NOTION_MAX[metric]
        if not 0.0 <= bound <= top:
            hint = f"; did you mean {_num(bound)}%?" if top < bound <= 100.0 else ""
            raise ConstraintError(f"{metric} bound {_num(bound)} is outside [0, {top:g}]{hint}")

    @classmethod
    def parse(cls, text: str) -> Constraint:
        """Parse ``eo<=0.05``, ``eo <= 5%``, ``eo[race]<=0.05``, ``race:eo<=0.05``, ``bacc>=0.8``.

        Raises :class:`ConstraintError` naming the piece that cannot be read.
        """
        if not isinstance(text, str):
            raise ConstraintError(f"constraint must be text, got {type(text).__name__}")
        ops = list(_OP_RE.finditer(text))
        if not ops:
            stray = re.search(r"[<>=!]+", text)
            if stray:
                raise ConstraintError(
                    f"unsupported comparison {stray.group()!r} in {text!r}; use <= or >="
                )
            raise ConstraintError(
                f"no comparison in {text!r}; expected e.g. 'eo<=0.05' or 'balanced_accuracy>=0.8'"
            )
        if len(ops) > 1:
            raise ConstraintError(f"more than one comparison in {text!r}; give one bound each")
        found = ops[0]
        op = cast(Literal["<=", ">="], _OP_CANON[found.group()])
        lhs, rhs = text[: found.start()].strip(), text[found.end() :].strip()
        if not lhs:
            raise ConstraintError(f"missing metric before {found.group()!r} in {text!r}")
        attribute: str | None = None
        prefix = _PREFIX_RE.match(lhs)
        if prefix:
            attribute, lhs = prefix.group(1), prefix.group(2).strip()
        bracket = _BRACKET_RE.match(lhs)
        if bracket:
            if attribute is not None:
                raise ConstraintError(f"attribute given twice in {text!r}")
            lhs, attribute = bracket.group(1).strip(), bracket.group(2)
            if not attribute:
                raise ConstraintError(f"empty attribute '[]' in {text!r}")
        elif re.search(r"[\[\]:]", lhs):
            raise ConstraintError(
                f"cannot read the metric {lhs!r} in {text!r}; write eo[race]<=0.05 or race:eo<=0.05"
            )
        metric = _canonical_metric(lhs)
        if metric is None:
            raise ConstraintError(
                f"unknown metric {lhs!r} in {text!r}; choose from "
                f"{', '.join(PERFORMANCE_METRICS)} (or bacc) or the fairness notions "
                f"{', '.join(KNOWN_NOTIONS)}"
            )
        number = _NUMBER_RE.match(rhs)
        if not number:
            raise ConstraintError(
                f"bad bound {rhs!r} in {text!r}; expected a number such as 0.05 or 5%"
            )
        try:
            value = Decimal(number.group(1))
        except InvalidOperation:  # pragma: no cover - the regex admits only numbers
            raise ConstraintError(f"bad bound {rhs!r} in {text!r}") from None
        if number.group(2):
            value /= 100
        return cls(metric, op, float(value), attribute)

    def __str__(self) -> str:
        where = f"[{self.attribute}]" if self.attribute is not None else ""
        return f"{self.metric}{where}{self.op}{self.bound!r}"

    def describe(self) -> str:
        """Plain words, e.g. ``eo <= 0.05 on every attribute``."""
        text = f"{_metric_phrase(self.metric)} {self.op} {self.bound:g}"
        if self.metric in PERFORMANCE_METRICS:
            return text
        if self.attribute is None:
            return f"{text} on every attribute"
        return f"{text} for {self.attribute}"

    def holds(self, value: npt.ArrayLike) -> BoolArray:
        """Whether values meet the bound (NaN never does)."""
        v = np.asarray(value, dtype=np.float64)
        out: BoolArray = v <= self.bound if self.op == "<=" else v >= self.bound
        return out

    def value(self, point: Point, split: str = "validation") -> float:
        """The value this constraint reads from ``point``."""
        return read_metric(point, self.metric, self.attribute, split)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "metric": self.metric,
            "op": self.op,
            "bound": float(self.bound),
            "attribute": self.attribute,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | str) -> Constraint:
        """Inverse of :meth:`to_dict`; also accepts the text form."""
        if isinstance(data, str):
            return cls.parse(data)
        unknown = set(data) - {"metric", "op", "bound", "attribute"}
        if unknown:
            raise ConstraintError(f"unknown constraint keys: {', '.join(sorted(unknown))}")
        try:
            return cls(data["metric"], data["op"], data["bound"], data.get("attribute"))
        except KeyError as err:
            raise ConstraintError(f"constraint is missing {err.args[0]!r}") from None


def _names(names: Sequence[str] | str) -> list[str]:
    """A name list (a lone string is one name)."""
    return [names] if isinstance(names, str) else list(names)


def objective_matrix(
    points: Sequence[Point],
    notions: Sequence[str],
    *,
    split: str = "validation",
    performance: Sequence[str] = PERFORMANCE_METRICS,
) -> tuple[FloatArray, list[str]]:
    """Minimised objectives per point: ``1-<metric>`` per performance metric, then
    each notion's worst violation; with the column names (``"1-accuracy"``, ``"eo"``).

    Missing or null values are NaN.
    """
    perf = [_require_metric(p, "performance metric") for p in _names(performance)]
    bad = [p for p in perf if p not in PERFORMANCE_METRICS]
    if bad:
        raise ValueError(f"{bad[0]!r} is a fairness notion, not a performance metric")
    nts = [_require_metric(n, "fairness notion") for n in _names(notions)]
    bad = [n for n in nts if n not in KNOWN_NOTIONS]
    if bad:
        raise ValueError(f"{bad[0]!r} is a performance metric, not a fairness notion")
    cols = perf + nts
    if len(set(cols)) != len(cols):
        raise ValueError(f"repeated objective in {cols}")
    if not cols:
        raise ValueError("no objectives: give at least one performance metric or notion")
    F = np.array(
        [[read_metric(p, c, None, split) for c in cols] for p in points], dtype=np.float64
    ).reshape(len(points), len(cols))
    F[:, : len(perf)] = 1.0 - F[:, : len(perf)]
    return F, [f"1-{p}" for p in perf] + nts


def _trivial(points: Sequence[Point]) -> BoolArray:
    """Whether each point is flagged trivial."""
    return np.array([bool(p.get("trivial", False)) for p in points], dtype=bool)


def mark_front(points: PointsT, notions: Sequence[str], split: str = "validation") -> PointsT:
    """Set ``on_front`` on every point (non-dominated, non-trivial, NaN-free); return them."""
    F, _ = objective_matrix(points, notions, split=split)
    front = non_dominated(F, ~_trivial(points))
    for p, on in zip(points, front, strict=True):
        p["on_front"] = bool(on)
    return points


def mark_selected(points: PointsT, selection: Selection | int | None) -> PointsT:
    """Set ``selected`` True on the chosen point (by index) and False elsewhere."""
    chosen = selection.index if isinstance(selection, Selection) else selection
    for i, p in enumerate(points):
        p["selected"] = i == chosen
    return points


RuleKind = Literal["knee", "weights", "constraints", "round"]
_KINDS = ("knee", "weights", "constraints", "round")
_RULE_KEYS = {"kind", "weights", "constraints", "maximize", "round", "method"}


@dataclass(frozen=True)
class SelectionRule:
    """How to choose one point.

    * ``knee``: the knee of the validation front (see :func:`knee`);
    * ``weights``: the front point best matching ``weights`` (one per objective of
      :func:`objective_matrix`; see :func:`select_by_weights` for ``method``);
    * ``constraints``: the best ``maximize`` (a notion is minimised instead) among
      all eligible points meeting every constraint;
    * ``round``: that round.
    """

    kind: RuleKind
    weights: tuple[float, ...] | None = None
    constraints: tuple[Constraint, ...] = ()
    maximize: str = "balanced_accuracy"
    round: int | None = None
    method: Literal["chebyshev", "pseudo_weights"] = "chebyshev"

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"rule kind must be one of {', '.join(_KINDS)}, got {self.kind!r}")
        if self.method not in ("chebyshev", "pseudo_weights"):
            raise ValueError(f"method must be 'chebyshev' or 'pseudo_weights', got {self.method!r}")
        object.__setattr__(self, "maximize", _require_metric(self.maximize, "maximize metric"))
        constraints = tuple(
            c if isinstance(c, Constraint) else Constraint.from_dict(c) for c in self.constraints
        )
        object.__setattr__(self, "constraints", constraints)
        if self.weights is not None:
            _check_weights(self.weights, len(self.weights))
            object.__setattr__(self, "weights", tuple(float(x) for x in self.weights))
        elif self.kind == "weights":
            raise ValueError("a 'weights' rule needs weights, one per objective")
        if self.round is not None:
            if isinstance(self.round, bool) or not isinstance(self.round, int | np.integer):
                raise ValueError(f"round must be an integer, got {self.round!r}")
            if self.round < 1:
                raise ValueError(f"rounds are numbered from 1, got {self.round}")
            object.__setattr__(self, "round", int(self.round))
        elif self.kind == "round":
            raise ValueError("a 'round' rule needs the round number")

    def describe(self, objectives: Sequence[str] | None = None, split: str = "validation") -> str:
        """A plain-language sentence for a model card."""
        if self.kind == "round":
            return f"the model from round {self.round}, chosen by hand"
        if self.kind == "knee":
            of = f" ({', '.join(objectives)})" if objectives else ""
            return (
                f"the knee of the {split} Pareto front{of}: with each objective scaled to "
                "[0, 1], the front point furthest below the plane through the front's "
                "extreme points"
            )
        if self.kind == "weights":
            raw = self.weights or ()
            ws = [w / sum(raw) for w in raw] if sum(raw) > 0 else list(raw)
            if objectives is not None and len(objectives) == len(ws):
                listed = ", ".join(f"{n} {w:.3g}" for n, w in zip(objectives, ws, strict=True))
            else:
                listed = ", ".join(f"{w:.3g}" for w in ws)
            if self.method == "chebyshev":
                how = "closest to the ideal point in weighted Chebyshev distance"
            else:
                how = "whose trade-off (Deb's pseudo-weights) is closest to the weights"
            return (
                f"the point of the {split} Pareto front {how}, with weights {listed} "
                "on the objectives scaled to [0, 1]"
            )
        target = _metric_phrase(self.maximize)
        if self.maximize in PERFORMANCE_METRICS:
            head = f"the point with the best {split} {target}"
        else:
            head = f"the point with the lowest {split} {target} (worst attribute)"
        if not self.constraints:
            return f"{head} among all non-trivial points"
        parts = [c.describe() for c in self.constraints]
        joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        return f"{head} among those with {joined}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "kind": self.kind,
            "weights": None if self.weights is None else [float(w) for w in self.weights],
            "constraints": [c.to_dict() for c in self.constraints],
            "maximize": self.maximize,
            "round": self.round,
            "method": self.method,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SelectionRule:
        """Inverse of :meth:`to_dict` (constraints may also be given as text)."""
        unknown = set(data) - _RULE_KEYS
        if unknown:
            raise ValueError(f"unknown selection-rule keys: {', '.join(sorted(unknown))}")
        if "kind" not in data:
            raise ValueError("selection rule is missing 'kind'")
        weights = data.get("weights")
        return cls(
            kind=data["kind"],
            weights=None if weights is None else tuple(float(w) for w in weights),
            constraints=tuple(Constraint.from_dict(c) for c in data.get("constraints") or ()),
            maximize=data.get("maximize", "balanced_accuracy"),
            round=data.get("round"),
            method=data.get("method", "chebyshev"),
        )


@dataclass
class Selection:
    """The chosen point: its position in the list, its round, the rule and why."""

    index: int
    round: int
    rule: SelectionRule
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "index": self.index,
            "round": self.round,
            "rule": self.rule.to_dict(),
            "reason": self.reason,
        }


def _rounds(points: Sequence[Point]) -> IntArray:
    """Round number of every point."""
    try:
        return np.array([int(p["round"]) for p in points], dtype=np.intp)
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"every point needs an integer 'round' ({err})") from None


def _no_eligible(n: int, trivial: BoolArray, nan: BoolArray, what: str) -> NoEligiblePointError:
    """The error for a list where no point can be chosen."""
    if n == 0:
        return NoEligiblePointError("no points to choose from")
    n_nan = int((nan & ~trivial).sum())
    return NoEligiblePointError(
        f"no eligible point among {n}: {int(trivial.sum())} trivial (predicting one class) "
        f"and {n_nan} with a missing (NaN) value of {what}"
    )


def _check_present(
    points: Sequence[Point], metric: str, attribute: str | None, split: str, text: str
) -> None:
    """``ConstraintError`` when no point records ``metric`` (or its ``attribute``)."""
    blocks = [_block(p, split) for p in points]
    entries = [b[metric] for b in blocks if metric in b]
    if not entries:
        raise ConstraintError(f"{text}: no point has a {split} value for {metric!r}")
    if attribute is None:
        return
    known: set[str] = set()
    for e in entries:
        by_attr = e.get("by_attribute") if isinstance(e, Mapping) else None
        if isinstance(by_attr, Mapping):
            known.update(str(a) for a in by_attr)
    if attribute not in known:
        choices = ", ".join(sorted(known)) or "none"
        raise ConstraintError(
            f"{text}: no point has {metric} for attribute {attribute!r} (known: {choices})"
        )


def _infeasible(
    rule: SelectionRule, values: FloatArray, rounds: IntArray, n_eligible: int
) -> NoFeasiblePointError:
    """The error naming each constraint and the best value any eligible point reached."""
    details: list[dict[str, Any]] = []
    parts: list[str] = []
    for j, c in enumerate(rule.constraints):
        col = values[:, j]
        met = int(c.holds(col).sum())
        pos = _first_best(col if c.op == "<=" else -col)
        best, rnd = float(col[pos]), int(rounds[pos])
        details.append({"constraint": str(c), "met_by": met, "best": best, "round": rnd})
        if met:
            parts.append(f"{c.describe()} is met by {met} of {n_eligible} eligible points")
        else:
            word = "lowest" if c.op == "<=" else "highest"
            parts.append(
                f"no point has {c.describe()}; the {word} reached is {_num(best)} (round {rnd})"
            )
    message = "; ".join(parts)
    if all(d["met_by"] for d in details):
        message = "no eligible point meets all constraints together: " + message
    return NoFeasiblePointError(message, details)


def _select_constraints(
    points: Sequence[Point], rule: SelectionRule, split: str, rounds: IntArray, trivial: BoolArray
) -> tuple[int, str]:
    """Position (in round order) and reason for a ``constraints`` rule."""
    for c in rule.constraints:
        _check_present(points, c.metric, c.attribute, split, str(c))
    values = np.array(
        [[c.value(p, split) for c in rule.constraints] for p in points], dtype=np.float64
    ).reshape(len(points), len(rule.constraints))
    target = np.array([read_metric(p, rule.maximize, None, split) for p in points])
    nan: BoolArray = np.isnan(values).any(axis=1) | np.isnan(target)
    eligible = ~trivial & ~nan
    if not eligible.any():
        needed = sorted(
            {rule.maximize}
            | {
                c.metric if c.attribute is None else f"{c.metric}[{c.attribute}]"
                for c in rule.constraints
            }
        )
        raise _no_eligible(len(points), trivial, nan, f"{split} {', '.join(needed)}")
    ok = eligible.copy()
    for j, c in enumerate(rule.constraints):
        ok &= c.holds(values[:, j])
    if not ok.any():
        raise _infeasible(rule, values[eligible], rounds[eligible], int(eligible.sum()))
    cand = np.flatnonzero(ok)
    higher = rule.maximize in PERFORMANCE_METRICS
    score = -target[cand] if higher else target[cand]
    pos = int(cand[_first_best(score)])
    word = "best" if higher else "lowest"
    among = (
        f"among the {cand.size} of {int(eligible.sum())} eligible points with "
        + " and ".join(c.describe() for c in rule.constraints)
        if rule.constraints
        else f"among all {cand.size} eligible points"
    )
    reason = (
        f"round {int(rounds[pos])} has the {word} {split} {_metric_phrase(rule.maximize)} "
        f"({_num(float(target[pos]))}) {among}"
    )
    return pos, reason


def select(
    points: Sequence[Point], rule: SelectionRule, notions: Sequence[str], split: str = "validation"
) -> Selection:
    """Choose one point by ``rule``, reading the ``split`` block (validation by default).

    Trivial points are never chosen. ``knee`` and ``weights`` choose among the
    front of :func:`objective_matrix`; ``constraints`` among every eligible point
    (non-trivial, no NaN in the metrics it reads). Ties go to the earliest round.
    Raises :class:`NoEligiblePointError`, :class:`NoFeasiblePointError` or
    :class:`RoundNotFoundError`.
    """
    rounds_raw = _rounds(points)
    order = np.lexsort((np.arange(len(points)), rounds_raw))  # by round, then list order
    pts = [points[i] for i in order]
    rounds = rounds_raw[order]
    trivial = _trivial(pts)

    if rule.kind == "round":
        hits = np.flatnonzero(rounds == rule.round)
        if hits.size == 0:
            have = f"{int(rounds.min())}-{int(rounds.max())}" if rounds.size else "none"
            raise RoundNotFoundError(f"no point for round {rule.round} (rounds present: {have})")
        pos = int(hits[0])
        if trivial[pos]:
            raise NoEligiblePointError(
                f"round {rule.round} is trivial (predicts one class) and cannot be selected"
            )
        reason = f"round {rule.round} was chosen by hand"
    elif rule.kind == "constraints":
        pos, reason = _select_constraints(pts, rule, split, rounds, trivial)
    else:
        F, names = objective_matrix(pts, notions, split=split)
        nan = np.asarray(np.isnan(F).any(axis=1), dtype=bool)
        eligible = ~trivial & ~nan & np.isfinite(F).all(axis=1)
        if not eligible.any():
            raise _no_eligible(len(pts), trivial, nan, f"{split} {', '.join(names)}")
        n_front = int(non_dominated(F, eligible).sum())
        if rule.kind == "knee":
            found = knee(F, eligible)
            what = f"is the knee of the {split} Pareto front of {', '.join(names)}"
        else:
            weights = _check_weights(rule.weights or (), F.shape[1], names)
            found = select_by_weights(F, weights, eligible, method=rule.method)
            listed = ", ".join(f"{n} {w:.3g}" for n, w in zip(names, weights, strict=True))
            how = (
                "is closest to the ideal point in weighted Chebyshev distance"
                if rule.method == "chebyshev"
                else "has the pseudo-weights closest to the weights"
            )
            what = f"{how} ({listed}) on the {split} Pareto front"
        if found is None:  # pragma: no cover - eligible rows always give a front
            raise _no_eligible(len(pts), trivial, nan, f"{split} {', '.join(names)}")
        pos = found
        reason = f"round {int(rounds[pos])} {what} ({n_front} points)"
    return Selection(index=int(order[pos]), round=int(rounds[pos]), rule=rule, reason=reason)
