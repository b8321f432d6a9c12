"""Histogram trees for the fair boosting learners: the data binned once, each round's
weighted tree grown on the bins.

Binning (once per ``fit``, :class:`FeatureBins`): each feature's float32 values get up
to ``max_bins`` bins, from the values of rows with positive sample weight (counted by
weight, as if rows were repeated by it). A feature with at most ``max_bins`` distinct
values gets one bin per value and the thresholds between them are the midpoints (in
double) of adjacent values, so its candidate splits partition the rows exactly as
scikit-learn's exact trees' candidates do; a feature with more distinct values gets
quantile bins (cuts at equal shares of the rows, between distinct values). A row is in
bin b of feature j when ``edges[j][b - 1] < x <= edges[j][b]``, so "bin <= b" and
"x <= edges[j][b]" are the same test: the fitted trees keep raw-value thresholds,
which is what :meth:`HistogramTree.apply` and the ONNX converter compare against.

Bundling (exclusive feature bundling, as LightGBM does): each feature's most frequent
bin is its default bin; features whose non-default rows never overlap (one-hot
columns of one categorical, sparse counts) share one code column. A row's code in a
bundle is 0 when every member is in its default bin, else ``offset_j + bin``. The
histograms are built per bundle (``np.bincount`` of code * 2 + label, weighted), then
spread back to features; a feature's default bin gets the node's total minus its
other bins. Adult's 108 one-hot and numeric columns make 17 code columns.

Growing (:class:`HistogramTreeGrower`): level by level to ``max_depth``; a node's
best split maximises the Gini criterion's proxy (``sum_left_sq / w_left + sum_right_sq
/ w_right``, the quantity scikit-learn's Gini splitter maximises) over every feature
and bin, vectorised over all of them at once; of two children, the histogram of the
one with fewer rows is built from its rows and the other's is the parent's minus it.
A node is split when it is impure and the best split improves the criterion; each
child must hold a positive share of the weight (more than 1e-11 of the node's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = [
    "FeatureBins",
    "HistogramTree",
    "HistogramTreeGrower",
    "TreeStructure",
    "dense_row_blocks",
]

_TREE_LEAF = -1
_MAX_BUNDLE_CODES = 4096
"""Most codes one bundle may hold (a feature with more bins has a bundle of its own)."""
_MAX_COLUMN_CODES = 1 << 15
"""Most joint codes one code column may hold (its histogram's length is twice that)."""
_BUNDLE_TRIES = 64
"""How many bundles with room a feature tries before it opens a new one."""
_RELATIVE_TOL = 1e-11
"""Weights below this share of a node's weight count as empty (float rounding)."""
_PREDICT_CELLS = 1 << 23
"""Cells (rows x features) densified at once when applying trees to sparse rows."""


@dataclass
class TreeStructure:
    """A fitted tree's arrays, named and laid out as scikit-learn's ``tree_`` attribute.

    ``children_left[i] == -1`` marks a leaf; an internal node sends a row left when
    ``float32(x[feature[i]]) <= threshold[i]`` (the threshold in double). ``value`` has
    shape (node_count, 1, 2): the node's weighted class fractions (class 0, class 1).
    """

    children_left: np.ndarray
    children_right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    value: np.ndarray
    n_node_samples: np.ndarray

    @property
    def node_count(self) -> int:
        return int(self.children_left.shape[0])

    @property
    def max_depth(self) -> int:
        depth = np.zeros(self.node_count, dtype=np.intp)
        for node in range(self.node_count):  # children are numbered after their parent
            if self.children_left[node] != _TREE_LEAF:
                depth[self.children_left[node]] = depth[self.children_right[node]] = depth[node] + 1
        return int(depth.max())


class HistogramTree:
    """A weighted binary classification tree grown on binned data.

    It predicts like a scikit-learn ``DecisionTreeClassifier`` with the same
    structure: ``tree_`` holds the same arrays (see :class:`TreeStructure`), thresholds
    are raw feature values, and a leaf's ``predict_proba`` is its weighted class
    fractions.
    """

    def __init__(self, structure: TreeStructure, n_features: int) -> None:
        self.tree_ = structure
        self.n_features_in_ = n_features
        self.n_outputs_ = 1
        self.n_classes_ = 2
        fractions = structure.value[:, 0, :]
        self.node_vote_ = fractions[:, 1] > fractions[:, 0]
        self.node_confidence_ = fractions.max(axis=1)
        self.split_bin_: np.ndarray | None = None
        """Per node, the bin of its split (set by the grower; -1 at leaves)."""

    def get_depth(self) -> int:
        return self.tree_.max_depth

    def apply(self, X: Any) -> np.ndarray:
        """The leaf of each row of ``X`` (dense or sparse; values rounded to float32)."""
        leaves = np.empty(X.shape[0], dtype=np.intp)
        for start, dense in dense_row_blocks(X):
            leaves[start : start + dense.shape[0]] = self.apply_dense(dense)
        return leaves

    def apply_dense(self, X: np.ndarray) -> np.ndarray:
        """Leaves of the rows of a dense float32 array (see :func:`dense_row_blocks`)."""
        tree = self.tree_
        node = np.zeros(X.shape[0], dtype=np.intp)
        rows = np.arange(X.shape[0])
        for _ in range(tree.max_depth):
            feature = tree.feature[node]
            internal = tree.children_left[node] != _TREE_LEAF
            values = X[rows, np.where(internal, feature, 0)].astype(np.float64)
            left = values <= tree.threshold[node]
            step = np.where(left, tree.children_left[node], tree.children_right[node])
            node = np.where(internal, step, node)
        return node

    def predict_proba(self, X: Any) -> np.ndarray:
        value = self.tree_.value[:, 0, :]
        return np.asarray(value[self.apply(X)])

    def vote(self, X: Any) -> np.ndarray:
        """True where the tree votes for the positive class (class 1 beats class 0)."""
        return np.asarray(self.node_vote_[self.apply(X)])


def dense_row_blocks(X: Any) -> Any:
    """Yield (first row, dense float32 block) over the rows of X, a bounded block at a time."""
    n, p = X.shape
    step = max(1, _PREDICT_CELLS // max(p, 1))
    if sp.issparse(X):
        X = sp.csr_matrix(X)
    for start in range(0, n, step):
        block = X[start : start + step]
        block = block.toarray() if sp.issparse(block) else np.asarray(block)
        yield start, block.astype(np.float32, copy=False)


def _feature_edges(values: np.ndarray, counts: np.ndarray, max_bins: int) -> np.ndarray:
    """Thresholds between bins for sorted distinct ``values`` (float64) with ``counts``."""
    if values.shape[0] <= max_bins:
        return (values[:-1] + values[1:]) / 2.0
    cumulative = np.cumsum(counts)
    targets = cumulative[-1] * np.arange(1, max_bins) / max_bins
    cuts = np.unique(np.searchsorted(cumulative, targets, side="left"))
    cuts = cuts[cuts < values.shape[0] - 1]
    return (values[cuts] + values[cuts + 1]) / 2.0


class FeatureBins:
    """Bins of every feature, fitted on one matrix, and the bundles of the features.

    ``edges[j]``: feature j's thresholds (double, increasing); it has ``len(edges[j]) +
    1`` bins. ``codes`` (n_columns x n_rows, intp): each row's joint code in each code
    column (several small bundles share a column, see ``_pack_columns``).
    """

    def __init__(self, X: Any, max_bins: int = 4096, sample_weight: Any = None) -> None:
        if sp.issparse(X):
            X = sp.csc_matrix(X, dtype=np.float32)
            X.sum_duplicates()
        else:
            X = np.asarray(X, dtype=np.float32)
        n, p = X.shape
        weight = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
        self.n_rows, self.n_features = n, p
        self.edges: list[np.ndarray] = []
        self.n_bins = np.ones(p, dtype=np.intp)
        self.default_bin = np.zeros(p, dtype=np.intp)
        # Rows off the default bin, and their bins, per feature (until bundled).
        off_rows: list[np.ndarray] = []
        off_bins: list[np.ndarray] = []
        for j in range(p):
            n_zero = 0
            if sp.issparse(X):
                start, end = X.indptr[j], X.indptr[j + 1]
                stored_rows = X.indices[start:end]
                stored = X.data[start:end].astype(np.float64)
                n_zero = n - stored.shape[0]
                column = np.concatenate([stored, [0.0]]) if n_zero else stored
                column_weight = (
                    np.concatenate(
                        [weight[stored_rows], [weight.sum() - weight[stored_rows].sum()]]
                    )
                    if n_zero
                    else weight[stored_rows]
                )
                values, inverse = np.unique(column, return_inverse=True)
                counts = np.bincount(inverse, minlength=values.shape[0])
                if n_zero:
                    counts[inverse[-1]] += n_zero - 1
            else:
                column = X[:, j].astype(np.float64)
                column_weight = weight
                values, inverse = np.unique(column, return_inverse=True)
                counts = np.bincount(inverse, minlength=values.shape[0])
            # Edges from the values that carry weight (as if rows were repeated by weight).
            mass = np.bincount(inverse, weights=column_weight, minlength=values.shape[0])
            weighted = mass > 0
            if weighted.any():
                edges = _feature_edges(values[weighted], mass[weighted], max_bins)
            else:
                edges = _feature_edges(values, counts, max_bins)
            self.edges.append(edges)
            n_bins = edges.shape[0] + 1
            self.n_bins[j] = n_bins
            bin_counts = np.bincount(
                np.searchsorted(edges, values, side="left"), weights=counts, minlength=n_bins
            )
            # The default bin: zero's (so one-hot columns of one categorical, present on
            # disjoint rows, bundle together), else the most frequent bin.
            zero_bin = int(np.searchsorted(edges, 0.0))
            default = zero_bin if bin_counts[zero_bin] > 0 else int(np.argmax(bin_counts))
            self.default_bin[j] = default
            if sp.issparse(X) and n_zero and zero_bin == default:
                bins = np.searchsorted(edges, stored, side="left")
                off = bins != default
                off_rows.append(stored_rows[off].astype(np.intp))
                off_bins.append(bins[off])
            else:
                dense = X[:, [j]].toarray().ravel() if sp.issparse(X) else X[:, j]
                bins = np.searchsorted(edges, dense.astype(np.float64), side="left")
                off_rows.append(np.flatnonzero(bins != default))
                off_bins.append(bins[off_rows[-1]])
        self._bundle(off_rows, off_bins)

    def _bundle(self, off_rows: list[np.ndarray], off_bins: list[np.ndarray]) -> None:
        n, p = self.n_rows, self.n_features
        self.bundle = np.full(p, -1, dtype=np.intp)  # -1: constant feature, in no bundle
        self.code_offset = np.zeros(p, dtype=np.intp)
        sizes: list[int] = []  # codes per bundle (code 0 included)
        occupied: list[np.ndarray] = []  # per bundle, the rows off its default
        n_occupied: list[int] = []
        order = sorted(range(p), key=lambda j: -off_rows[j].shape[0])
        for j in order:
            rows = off_rows[j]
            if rows.shape[0] == 0:
                continue
            chosen = -1
            tried = 0
            for b in range(len(sizes)):  # first fit: a bundle where no row conflicts
                if n_occupied[b] + rows.shape[0] > n:
                    continue
                if sizes[b] + self.n_bins[j] > _MAX_BUNDLE_CODES:
                    continue
                tried += 1
                if not occupied[b][rows].any():
                    chosen = b
                    break
                if tried >= _BUNDLE_TRIES:
                    break
            if chosen < 0:
                chosen = len(sizes)
                sizes.append(1)
                occupied.append(np.zeros(n, dtype=bool))
                n_occupied.append(0)
            self.bundle[j] = chosen
            self.code_offset[j] = sizes[chosen]
            sizes[chosen] += int(self.n_bins[j])
            occupied[chosen][rows] = True
            n_occupied[chosen] += int(rows.shape[0])
        self.bundle_sizes = np.asarray(sizes, dtype=np.intp)
        self._pack_columns()
        self.codes = np.zeros((len(self.column_bundles), n), dtype=np.intp)
        for j in range(p):
            if self.bundle[j] >= 0:
                b = self.bundle[j]
                code = (self.code_offset[j] + off_bins[j]) * self.stride[b]
                self.codes[self.column_of_bundle[b], off_rows[j]] += code
        # The feature-bin axis: feature j's bins at [feature_offset[j], ... + n_bins[j]).
        self.feature_offset = np.concatenate([[0], np.cumsum(self.n_bins)[:-1]]).astype(np.intp)
        self.n_feature_bins = int(self.n_bins.sum())
        # Global code axis (bundles one after another) -> feature-bin (dump slot at the end).
        self.bundle_start = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
        code_map = np.full(int(sum(sizes)), self.n_feature_bins, dtype=np.intp)
        for j in range(p):
            if self.bundle[j] >= 0:
                first = self.bundle_start[self.bundle[j]] + self.code_offset[j]
                code_map[first : first + self.n_bins[j]] = self.feature_offset[j] + np.arange(
                    self.n_bins[j]
                )
                code_map[first + self.default_bin[j]] = self.n_feature_bins
        self.code_map = code_map

    def _pack_columns(self) -> None:
        """Bundles share a code column (a mixed-radix joint code) while the product of
        their sizes stays within _MAX_COLUMN_CODES: one bincount then counts them all."""
        sizes = self.bundle_sizes
        columns: list[list[int]] = []
        products: list[int] = []
        for b in np.argsort(-sizes, kind="stable"):  # first fit, largest bundles first
            for c in range(len(columns)):
                if products[c] * int(sizes[b]) <= _MAX_COLUMN_CODES:
                    columns[c].append(int(b))
                    products[c] *= int(sizes[b])
                    break
            else:
                columns.append([int(b)])
                products.append(int(sizes[b]))
        self.column_bundles = columns
        self.column_sizes = np.asarray(products, dtype=np.intp)
        self.column_of_bundle = np.zeros(sizes.shape[0], dtype=np.intp)
        self.stride = np.ones(sizes.shape[0], dtype=np.intp)
        for c, members in enumerate(columns):
            stride = 1
            for b in reversed(members):  # joint = ((c_1 * s_2) + c_2) * s_3 + c_3 ...
                self.column_of_bundle[b] = c
                self.stride[b] = stride
                stride *= int(sizes[b])

    @property
    def n_bundles(self) -> int:
        return int(self.bundle_sizes.shape[0])

    def bundle_histograms(self, column_hists: list[np.ndarray]) -> np.ndarray:
        """(sum of bundle sizes, 2) per-bundle code histograms from per-column joint ones."""
        out = np.empty((int(self.bundle_sizes.sum()), 2))
        for members, joint in zip(self.column_bundles, column_hists, strict=True):
            shaped = joint.reshape([int(self.bundle_sizes[b]) for b in members] + [2])
            for axis, b in enumerate(members):
                others = tuple(a for a in range(len(members)) if a != axis)
                start = self.bundle_start[b]
                out[start : start + self.bundle_sizes[b]] = (
                    shaped.sum(axis=others) if others else shaped
                )
        return out

    def threshold(self, feature: int, bin: int) -> float:
        """The raw-value threshold of the split "bin <= ``bin``" of ``feature``."""
        return float(self.edges[feature][bin])

    def left_table(self, feature: int, bin: int, labelled: bool = False) -> np.ndarray:
        """Per code of ``feature``'s bundle: is that code's bin of ``feature`` <= ``bin``.

        ``labelled``: index by code * 2 + label instead (the grower's codes). A row
        goes left when ``table[its code]``.
        """
        b = self.bundle[feature]
        joint = np.arange(int(self.column_sizes[self.column_of_bundle[b]]))
        codes = (joint // self.stride[b]) % self.bundle_sizes[b]
        if labelled:
            codes = np.repeat(codes, 2)
        first = self.code_offset[feature]
        inside = (codes >= first) & (codes < first + self.n_bins[feature])
        below = codes <= first + bin
        if self.default_bin[feature] <= bin:
            return np.asarray(~inside | below)
        return np.asarray(inside & below)


@dataclass
class _Node:
    """A node being grown: its rows (None: every training row) and class histograms."""

    id: int
    rows: np.ndarray | None
    hist: np.ndarray | None  # (n_feature_bins, 2) class weights per feature-bin; None: a leaf
    total: np.ndarray  # (2,) weights of class 0 and 1
    n_rows: int


class HistogramTreeGrower:
    """Grows weighted Gini trees of depth ``max_depth`` on the bins of training rows.

    ``codes`` are the training rows' codes (``FeatureBins.codes`` restricted to
    them) and ``y`` their 0/1 labels; both are fixed for the whole boosting, only the
    weights change from tree to tree.
    """

    def __init__(self, bins: FeatureBins, codes: np.ndarray, y: np.ndarray, max_depth: int) -> None:
        self.bins = bins
        self.max_depth = max_depth
        self.y = np.asarray(y, dtype=np.intp)
        self.n_rows = int(self.y.shape[0])
        # The label folded into the codes: one weighted bincount gives both classes.
        self.labelled_codes = [np.ascontiguousarray(c * 2 + self.y) for c in codes]
        nb = bins.n_bins
        fo = bins.feature_offset
        self._last_bin = np.zeros(bins.n_feature_bins, dtype=bool)
        self._last_bin[fo + nb - 1] = True
        self._feature_of_bin = np.repeat(np.arange(bins.n_features), nb)
        self._bin_in_feature = np.arange(bins.n_feature_bins) - np.repeat(fo, nb)

    # ----- histograms ---------------------------------------------------------------
    def _histogram(
        self, rows: np.ndarray | None, weights: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(n_feature_bins, 2) class weights per feature-bin over ``rows``, and their total."""
        bins = self.bins
        w = weights if rows is None else weights[rows]
        if bins.n_bundles == 0:
            y = self.y if rows is None else self.y[rows]
            total = np.bincount(y, weights=w, minlength=2).astype(np.float64)
            constant = np.zeros((bins.n_feature_bins, 2))
            self._fill_default_bins(constant, total)
            return constant, total
        parts = [
            np.bincount(
                codes if rows is None else codes[rows], weights=w, minlength=2 * int(size)
            ).reshape(-1, 2)
            for codes, size in zip(self.labelled_codes, bins.column_sizes, strict=True)
        ]
        by_code = bins.bundle_histograms(parts)
        n_slots = bins.n_feature_bins + 1
        hist = np.column_stack(
            [np.bincount(bins.code_map, weights=by_code[:, k], minlength=n_slots) for k in (0, 1)]
        )[:-1]
        total = by_code[: int(bins.bundle_sizes[0])].sum(axis=0)  # every row is in bundle 0
        self._fill_default_bins(hist, total)
        return hist, total

    def _fill_default_bins(self, hist: np.ndarray, total: np.ndarray) -> None:
        """Each feature's default bin: the node's total minus its other bins."""
        bins = self.bins
        seen = np.add.reduceat(hist, bins.feature_offset, axis=0)
        default = bins.feature_offset + bins.default_bin
        hist[default] += total - seen
        self._clean(hist, total)

    @staticmethod
    def _clean(hist: np.ndarray, total: np.ndarray) -> None:
        """Weights within float rounding of zero (or below it) become zero."""
        tol = _RELATIVE_TOL * float(total.sum())
        hist[hist <= tol] = 0.0

    # ----- splits -------------------------------------------------------------------
    def _best_split(self, node: _Node) -> tuple[int, int, float] | None:
        """(feature, bin, improvement) of the best split of ``node``, or None."""
        total = node.total
        weight = float(total.sum())
        tol = _RELATIVE_TOL * weight
        if node.hist is None or node.hist.shape[0] == 0:
            return None
        if weight <= 0 or min(total) <= tol or node.n_rows < 2:
            return None
        left = np.cumsum(node.hist, axis=0)
        fo = self.bins.feature_offset
        before = left[fo] - node.hist[fo]
        left -= np.repeat(before, self.bins.n_bins, axis=0)
        right = total - left
        w_left = left.sum(axis=1)
        w_right = weight - w_left
        valid = (w_left > tol) & (w_right > tol) & ~self._last_bin
        if not valid.any():
            return None
        with np.errstate(divide="ignore", invalid="ignore"):
            proxy = (left**2).sum(axis=1) / w_left + (right**2).sum(axis=1) / w_right
        proxy = np.where(valid, proxy, -np.inf)
        best = int(np.argmax(proxy))
        improvement = float(proxy[best]) - float((total**2).sum()) / weight
        if not improvement > tol:
            return None
        return int(self._feature_of_bin[best]), int(self._bin_in_feature[best]), improvement

    # ----- growing ------------------------------------------------------------------
    def grow(self, weights: np.ndarray) -> tuple[HistogramTree, np.ndarray]:
        """The tree for ``weights`` (one per training row) and each training row's leaf."""
        bins = self.bins
        root_hist, total = self._histogram(None, weights)
        feature: list[int] = [_TREE_LEAF]
        split_bin: list[int] = [_TREE_LEAF]
        threshold: list[float] = [-2.0]
        children_left: list[int] = [_TREE_LEAF]
        children_right: list[int] = [_TREE_LEAF]
        value: list[np.ndarray] = [total]
        n_samples: list[int] = [self.n_rows]
        leaves: list[_Node] = []
        level = [_Node(0, None, root_hist, total, self.n_rows)]
        for depth in range(self.max_depth + 1):
            at_max_depth = depth == self.max_depth
            next_level: list[_Node] = []
            for node in level:
                split = None if at_max_depth else self._best_split(node)
                if split is None:
                    leaves.append(node)
                    continue
                j, b, _ = split
                rows = node.rows
                codes = self.labelled_codes[bins.column_of_bundle[bins.bundle[j]]]
                goes_left = bins.left_table(j, b, labelled=True)[
                    codes if rows is None else codes[rows]
                ]
                if rows is None:
                    left_rows, right_rows = np.flatnonzero(goes_left), np.flatnonzero(~goes_left)
                else:
                    left_rows, right_rows = rows[goes_left], rows[~goes_left]
                left_is_small = left_rows.shape[0] <= right_rows.shape[0]
                small = left_rows if left_is_small else right_rows
                small_hist: np.ndarray | None = None
                large_hist: np.ndarray | None = None
                if depth + 1 == self.max_depth or node.hist is None:
                    # The children will be leaves: their class totals are enough.
                    small_total = np.bincount(
                        self.y[small], weights=weights[small], minlength=2
                    ).astype(np.float64)
                    large_total = np.maximum(node.total - small_total, 0.0)
                else:
                    small_hist, small_total = self._histogram(small, weights)
                    large_hist = node.hist - small_hist
                    large_total = np.maximum(node.total - small_total, 0.0)
                    self._clean(large_hist, large_total)
                small_part = (small_hist, small_total)
                large_part = (large_hist, large_total)
                parts = (
                    ((left_rows, *small_part), (right_rows, *large_part))
                    if left_is_small
                    else ((left_rows, *large_part), (right_rows, *small_part))
                )
                children = []
                for part_rows, hist, part_total in parts:
                    child = len(feature)
                    children.append(child)
                    feature.append(_TREE_LEAF)
                    split_bin.append(_TREE_LEAF)
                    threshold.append(-2.0)
                    children_left.append(_TREE_LEAF)
                    children_right.append(_TREE_LEAF)
                    value.append(part_total)
                    n_samples.append(int(part_rows.shape[0]))
                    next_level.append(
                        _Node(child, part_rows, hist, part_total, int(part_rows.shape[0]))
                    )
                feature[node.id] = j
                split_bin[node.id] = b
                threshold[node.id] = bins.threshold(j, b)
                children_left[node.id], children_right[node.id] = children
            level = next_level
            if not level:
                break
        leaf_of_row = np.zeros(self.n_rows, dtype=np.intp)
        for leaf in leaves:
            if leaf.rows is not None:
                leaf_of_row[leaf.rows] = leaf.id
        totals = np.asarray(value, dtype=np.float64)
        sums = totals.sum(axis=1, keepdims=True)
        fractions = np.divide(totals, sums, out=np.full_like(totals, 0.5), where=sums > 0)
        structure = TreeStructure(
            children_left=np.asarray(children_left, dtype=np.intp),
            children_right=np.asarray(children_right, dtype=np.intp),
            feature=np.asarray(feature, dtype=np.intp),
            threshold=np.asarray(threshold, dtype=np.float64),
            value=fractions[:, None, :],
            n_node_samples=np.asarray(n_samples, dtype=np.intp),
        )
        tree = HistogramTree(structure, bins.n_features)
        tree.split_bin_ = np.asarray(split_bin, dtype=np.intp)
        return tree, leaf_of_row

    def apply_codes(self, tree: HistogramTree, codes: np.ndarray) -> np.ndarray:
        """Leaves of rows given by their codes (n_columns x n, not label-folded)."""
        structure = tree.tree_
        n = codes.shape[1] if codes.ndim == 2 else 0
        leaf = np.zeros(n, dtype=np.intp)
        pending: list[tuple[int, np.ndarray | None]] = [(0, None)]
        while pending:
            node, rows = pending.pop()
            left_child = int(structure.children_left[node])
            if left_child == _TREE_LEAF:
                if rows is None:
                    leaf[:] = node
                else:
                    leaf[rows] = node
                continue
            j = int(structure.feature[node])
            if tree.split_bin_ is None:
                raise ValueError("this tree was not grown on these bins (it has no split bins)")
            b = int(tree.split_bin_[node])
            column = codes[self.bins.column_of_bundle[self.bins.bundle[j]]]
            goes_left = self.bins.left_table(j, b)[column if rows is None else column[rows]]
            everyone = np.arange(n) if rows is None else rows
            pending.append((left_child, everyone[goes_left]))
            pending.append((int(structure.children_right[node]), everyone[~goes_left]))
        return leaf
