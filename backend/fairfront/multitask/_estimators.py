"""Multi-task classifiers on PyTorch (CPU): a plain shared trunk, FairBranch and L2T-FMT.

All three share :class:`MultiTaskBase`: ``fit(X, Y, *, sensitive_features=...)`` with
``Y`` an n x T 0/1 matrix (a 1-D ``y`` is one task), a validation split held out inside
``fit`` (stratified by the tasks' labels and the groups), mini-batch Adam, one
checkpoint per epoch, early stopping on a validation score, and a ``callback``
called after every epoch with an :class:`EpochInfo` (a job drives a fit through it, as
the boosting learners' ``RoundInfo``). The model predicts with the checkpoint of
``selected_epoch_``: the epoch with the lowest validation score among the epochs
whose predictions are not trivial for any task. ``at_epoch`` gives any other epoch.

Fits are deterministic for a given ``random_state``: every random draw (initial
weights, batches, the teacher's exploration) comes from seeds drawn from it, inside a
forked torch RNG so the global one is left alone.

Groups for the fairness losses are the cells of the protected attributes (with one
attribute: its groups; with several: their intersection, the finest split).
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

from ..metrics import GroupIndex, evaluate_many
from ._network import BranchedNetwork
from ._pieces import (
    gradnorm_weights,
    group_by_similarity,
    linear_cka,
    project_conflicting,
    robust_fairness_loss,
)

__all__ = [
    "TRACKED_NOTIONS",
    "EpochInfo",
    "FairBranchClassifier",
    "L2TFMTClassifier",
    "MultiTaskBase",
    "MultiTaskMLPClassifier",
    "TaskClassError",
]

log = logging.getLogger(__name__)

TRACKED_NOTIONS = ("eo", "eo_sum", "eop")
"""Notions scored per task and epoch: both equalized-odds conventions and EP (|dTPR|)."""

_MAX_SEED = np.iinfo(np.int32).max


class TaskClassError(ValueError):
    """A task's labels are not 0/1, or a task has a single class in the training part."""


@dataclass(frozen=True)
class EpochInfo:
    """What one epoch did, passed to a ``callback`` as it happens."""

    epoch: int
    n_epochs: int
    seconds: float
    train_loss: float
    validation_loss: float
    validation: dict[str, dict[str, Any]]
    """Per task: the epoch's ``front.json`` validation block."""
    trivial: bool
    weights: list[float] = field(default_factory=list)
    branches: list[list[int]] = field(default_factory=list)
    note: str = ""


def _as_task_matrix(Y: Any) -> tuple[np.ndarray, list[str]]:
    """Y as an int64 n x T 0/1 matrix, with task names (DataFrame columns or task_i)."""
    names: list[str] | None = None
    if isinstance(Y, pd.DataFrame):
        names = [str(c) for c in Y.columns]
    elif isinstance(Y, pd.Series):
        names = [str(Y.name) if Y.name is not None else "task_0"]
    values = np.asarray(Y)
    if values.ndim == 1:
        values = values.reshape(-1, 1)
    if values.ndim != 2 or values.shape[1] < 1:
        raise TaskClassError(f"Y must be an n x T matrix of 0/1 labels, got shape {values.shape}")
    names = names or [f"task_{t}" for t in range(values.shape[1])]
    out = np.empty(values.shape, dtype=np.int64)
    for t, name in enumerate(names):
        column = pd.to_numeric(pd.Series(values[:, t]), errors="coerce").to_numpy(dtype=float)
        found = sorted(set(np.unique(column[~np.isnan(column)]).tolist()))
        if np.isnan(column).any() or not set(found) <= {0.0, 1.0}:
            shown = sorted({str(v) for v in values[:, t]})[:5]
            raise TaskClassError(
                f"task {name!r} must hold 0/1 labels (1 = positive), found {shown}"
            )
        out[:, t] = column.astype(np.int64)
    return out, names


def _split_rows(
    Y: np.ndarray, cells: np.ndarray, size: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Train and validation rows, stratified as finely as the counts allow."""
    n = Y.shape[0]
    rows = np.arange(n)
    n_val = int(np.floor(size * n))
    if size <= 0 or n_val < 2 or n - n_val < 2:
        return rows, rows
    labels = Y @ (2 ** np.arange(Y.shape[1]))
    for strata in (labels * (cells.max() + 1) + cells, labels, Y[:, 0]):
        counts = np.bincount(strata)
        counts = counts[counts > 0]
        if counts.min() >= 2 and counts.size <= min(n_val, n - n_val):
            train, val = train_test_split(rows, test_size=n_val, stratify=strata, random_state=seed)
            return np.sort(train), np.sort(val)
    train, val = train_test_split(rows, test_size=n_val, random_state=seed)
    return np.sort(train), np.sort(val)


class MultiTaskBase(ClassifierMixin, BaseEstimator):
    """Shared fit loop; subclasses define one training step and the validation objective."""

    _parameter_constraints: dict[str, list[Any]] = {
        "hidden_layer_sizes": [tuple, list],
        "max_epochs": [Interval(Integral, 1, 10_000, closed="both")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "validation_size": [Interval(Real, 0, 0.9, closed="both")],
        "patience": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        hidden_layer_sizes: tuple[int, ...] = (64, 32),
        max_epochs: int = 30,
        batch_size: int = 256,
        learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        validation_size: float = 0.2,
        patience: int | None = 10,
        random_state: Any = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.validation_size = validation_size
        self.patience = patience
        self.random_state = random_state

    # ----- what subclasses decide -------------------------------------------------
    def _start(self, network: BranchedNetwork, n_tasks: int, seed: int) -> None:
        """Set up per-fit state (task weights, teacher...)."""
        self.task_weights_ = np.ones(n_tasks)

    def _step(
        self,
        network: BranchedNetwork,
        optimizer: torch.optim.Optimizer,
        x: torch.Tensor,
        y: torch.Tensor,
        cells: torch.Tensor,
    ) -> float:
        """One optimisation step on a batch; returns the batch's training loss."""
        raise NotImplementedError

    def _end_epoch(
        self, network: BranchedNetwork, epoch: int
    ) -> tuple[torch.optim.Optimizer | None, str]:
        """After an epoch: maybe change the network (a new optimizer if so) and say why."""
        return None, ""

    def _uses_fairness(self) -> bool:
        return False

    def _objective(self, logits: torch.Tensor, y: torch.Tensor, cells: torch.Tensor) -> float:
        """Validation objective (lower is better): mean over tasks of the task's losses."""
        ce = nn.functional.binary_cross_entropy_with_logits(logits, y, reduction="none")
        total = ce.mean(dim=0)
        if self._uses_fairness():
            fair = torch.stack(
                [
                    robust_fairness_loss(ce[:, t], y[:, t], cells, self.n_cells_)
                    for t in range(y.shape[1])
                ]
            )
            total = total + fair
        return float(total.mean())

    def _score(self, blocks: dict[str, dict[str, Any]]) -> float:
        """Validation score of an epoch (lower is better), from the per-task blocks.

        Mean over tasks of the error rate, plus (for the fair learners) the mean
        ``eo_sum``: AdaFair's ERR + EqOdds rule of ``algorithms.md`` section 3 with
        c = 0, averaged over tasks. Early stopping and the choice of epoch read it.
        """
        error = np.mean([1.0 - float(b["accuracy"] or 0.0) for b in blocks.values()])
        if not self._uses_fairness():
            return float(error)
        eo_sum = [b["eo_sum"]["value"] for b in blocks.values()]
        return float(error + np.mean([1.0 if v is None else float(v) for v in eo_sum]))

    def _score_text(self) -> str:
        return "mean error + mean eo_sum" if self._uses_fairness() else "mean error"

    # ----- helpers for subclasses -------------------------------------------------
    def _losses(
        self, network: BranchedNetwork, x: torch.Tensor, y: torch.Tensor, cells: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-task accuracy losses L (T,) and robust fairness losses F (T,)."""
        logits = network(x)
        ce = nn.functional.binary_cross_entropy_with_logits(logits, y, reduction="none")
        fair = torch.stack(
            [
                robust_fairness_loss(ce[:, t], y[:, t], cells, self.n_cells_)
                for t in range(y.shape[1])
            ]
        )
        return ce.mean(dim=0), fair

    def _new_optimizer(self, network: nn.Module) -> torch.optim.Optimizer:
        return torch.optim.Adam(
            network.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay
        )

    # ----- scikit-learn API -------------------------------------------------------
    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        return tags

    def fit(
        self,
        X: Any,
        Y: Any,
        *,
        sensitive_features: Any = None,
        callback: Callable[[EpochInfo], None] | None = None,
    ) -> MultiTaskBase:
        """Train on (X, Y); ``sensitive_features``: one column per protected attribute."""
        self._validate_params()
        hidden = tuple(int(h) for h in self.hidden_layer_sizes)
        if not hidden or min(hidden) < 1:
            raise ValueError(f"hidden_layer_sizes must be positive widths, got {hidden!r}")
        Y_matrix, names = _as_task_matrix(Y)
        X = validate_data(self, X, accept_sparse=["csr", "csc"], dtype=[np.float32, np.float64])
        X = np.asarray(X.toarray() if sp.issparse(X) else X, dtype=np.float32)
        if X.shape[0] != Y_matrix.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but Y has {Y_matrix.shape[0]}")
        n, n_tasks = Y_matrix.shape
        groups = (
            GroupIndex.single(n)
            if sensitive_features is None
            else GroupIndex.from_sensitive(sensitive_features, n)
        )
        cells, cell_labels = groups.intersection()
        self.tasks_ = names
        self.n_tasks_ = n_tasks
        self.classes_ = np.array([0, 1])
        self.protected_ = groups.attributes
        self.n_cells_ = len(cell_labels)
        rng = check_random_state(self.random_state)
        split_seed, torch_seed = (int(s) for s in rng.randint(_MAX_SEED, size=2))
        train, val = _split_rows(Y_matrix, cells, self.validation_size, split_seed)
        self.validation_on_training_data_ = train is val
        self.validation_rows_ = val
        for t, name in enumerate(names):
            present = np.unique(Y_matrix[train, t])
            if present.size < 2:
                raise TaskClassError(
                    f"task {name!r} has a single class ({int(present[0])}) in the training "
                    "part; it needs rows of both classes"
                )

        started = time.perf_counter()
        self.checkpoints_: list[tuple[dict[str, Any], dict[str, torch.Tensor]]] = []
        self.validation_objective_: list[float] = []
        self.validation_score_: list[float] = []
        self.validation_blocks_: list[dict[str, dict[str, Any]]] = []
        self.history_: list[dict[str, Any]] = []
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(torch_seed)
            generator = torch.Generator().manual_seed(torch_seed)
            network = BranchedNetwork(X.shape[1], hidden, n_tasks)
            mean = X[train].mean(axis=0)
            scale = X[train].std(axis=0)
            scale[scale < 1e-8] = 1.0
            network.set_scaling(torch.from_numpy(mean), torch.from_numpy(scale))
            self._start(network, n_tasks, torch_seed)
            optimizer = self._new_optimizer(network)
            x_all = torch.from_numpy(X)
            y_all = torch.from_numpy(Y_matrix.astype(np.float32))
            c_all = torch.from_numpy(cells.astype(np.int64))
            train_t, val_t = torch.from_numpy(train), torch.from_numpy(val)
            best, since_best = np.inf, 0
            self.stop_reason_ = f"all {self.max_epochs} epochs done"
            for epoch in range(1, self.max_epochs + 1):
                tick = time.perf_counter()
                network.train()
                order = train_t[torch.randperm(train_t.shape[0], generator=generator)]
                losses = []
                for start in range(0, order.shape[0], self.batch_size):
                    rows = order[start : start + self.batch_size]
                    losses.append(
                        self._step(network, optimizer, x_all[rows], y_all[rows], c_all[rows])
                    )
                new_optimizer, note = self._end_epoch(network, epoch)
                if new_optimizer is not None:
                    optimizer = new_optimizer
                network.eval()
                with torch.no_grad():
                    logits = network(x_all[val_t])
                objective = self._objective(logits, y_all[val_t], c_all[val_t])
                self.checkpoints_.append((network.config(), copy.deepcopy(network.state_dict())))
                self.validation_objective_.append(objective)
                predicted = (logits > 0).numpy()
                blocks, trivial = {}, False
                for t, name in enumerate(names):
                    metrics = evaluate_many(
                        Y_matrix[val, t],
                        predicted[:, t : t + 1],
                        sensitive_features=groups.take(val),
                        notions=TRACKED_NOTIONS,
                    )
                    blocks[name] = metrics.block(0)
                    trivial = trivial or bool(metrics.trivial[0])
                score = self._score(blocks)
                self.validation_blocks_.append(blocks)
                self.validation_score_.append(score)
                self.history_.append({"trivial": trivial, "note": note})
                if callback is not None:
                    callback(
                        EpochInfo(
                            epoch=epoch,
                            n_epochs=self.max_epochs,
                            seconds=time.perf_counter() - tick,
                            train_loss=float(np.mean(losses)),
                            validation_loss=objective,
                            validation=blocks,
                            trivial=trivial,
                            weights=[float(w) for w in self.task_weights_],
                            branches=[list(r) for r in network.assign],
                            note=note,
                        )
                    )
                if score < best - 1e-6:
                    best, since_best = score, 0
                else:
                    since_best += 1
                if self.patience is not None and since_best >= self.patience:
                    self.stop_reason_ = (
                        f"epoch {epoch}: no better validation score for "
                        f"{self.patience} epochs (early stop)"
                    )
                    break
        self.n_epochs_ = len(self.checkpoints_)
        self.fit_seconds_ = time.perf_counter() - started
        scores = np.array(self.validation_score_)
        trivial_epochs = np.array([h["trivial"] for h in self.history_])
        eligible = np.where(trivial_epochs, np.inf, scores)
        what = self._score_text()
        if np.isfinite(eligible).any():
            chosen = int(np.argmin(eligible))
            self.selection_reason_ = (
                f"epoch {chosen + 1} has the lowest validation {what} "
                f"({scores[chosen]:.4f}) among the epochs not trivial on any task"
            )
        else:
            chosen = int(np.argmin(scores))
            self.selection_reason_ = (
                f"every epoch is trivial on some task; epoch {chosen + 1} has the lowest "
                f"validation {what} ({scores[chosen]:.4f})"
            )
        self._use_epoch(chosen + 1)
        return self

    # ----- prediction -------------------------------------------------------------
    def _use_epoch(self, epoch: int) -> None:
        config, state = self.checkpoints_[epoch - 1]
        network = BranchedNetwork.from_config(config)
        network.load_state_dict(state)
        network.eval()
        self.network_ = network
        self.selected_epoch_ = int(epoch)

    def at_epoch(self, epoch: int) -> MultiTaskBase:
        """This model with the checkpoint of ``epoch`` (1-based), as a new estimator."""
        check_is_fitted(self)
        if not 1 <= epoch <= self.n_epochs_:
            raise ValueError(f"epoch {epoch} does not exist: this fit has 1 to {self.n_epochs_}")
        other = copy.copy(self)
        other._use_epoch(epoch)
        other.selection_reason_ = f"epoch {epoch}, chosen by the caller"
        return other

    def _features(self, X: Any) -> torch.Tensor:
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse=["csr", "csc"], dtype=[np.float32, np.float64], reset=False
        )
        return torch.from_numpy(np.asarray(X.toarray() if sp.issparse(X) else X, np.float32))

    def positive_proba(self, X: Any) -> np.ndarray:
        """P(positive) per row and task, shape (n, T)."""
        x = self._features(X)
        with torch.no_grad():
            return torch.sigmoid(self.network_(x)).numpy().astype(np.float64)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Shape (n, T, 2): per task, the probabilities of class 0 and class 1."""
        positive = self.positive_proba(X)
        return np.stack([1.0 - positive, positive], axis=2)

    def predict(self, X: Any) -> np.ndarray:
        """0/1 labels, shape (n, T)."""
        x = self._features(X)
        with torch.no_grad():
            return (self.network_(x) > 0).numpy().astype(np.int64)


class MultiTaskMLPClassifier(MultiTaskBase):
    """A plain shared trunk with one head per task; loss = sum of the tasks' cross-entropies.

    No fairness term, no task weighting: the multi-task baseline.
    """

    def _step(
        self,
        network: BranchedNetwork,
        optimizer: torch.optim.Optimizer,
        x: torch.Tensor,
        y: torch.Tensor,
        cells: torch.Tensor,
    ) -> float:
        optimizer.zero_grad()
        logits = network(x)
        loss = nn.functional.binary_cross_entropy_with_logits(logits, y, reduction="none")
        total = loss.mean(dim=0).sum()
        total.backward()
        optimizer.step()
        return float(total.detach())


def _flat(grads: tuple[torch.Tensor | None, ...], params: list[nn.Parameter]) -> list[torch.Tensor]:
    return [g if g is not None else torch.zeros_like(p) for g, p in zip(grads, params, strict=True)]


class FairBranchClassifier(MultiTaskBase):
    """FairBranch: fair multi-task learning with parameter-similarity branching.

    Per task t: accuracy loss L_t (cross-entropy) and fairness loss F_t (the robust
    worst-group loss, :func:`robust_fairness_loss`). lambda_t = 0 when the gradients of
    L_t and F_t on task t's head point against each other, else 1. Inside every part
    shared by several tasks, the tasks' fairness gradients are made non-conflicting by
    projection (:func:`project_conflicting`) before they are summed; accuracy gradients
    are summed as they are. Task weights follow a GradNorm-like rule
    (:func:`gradnorm_weights`) on the tasks' accuracy-gradient norms over shared parts.

    Branching: every ``branch_every`` epochs, starting at the top trunk layer and moving
    one layer down each time, the tasks sharing a copy of that layer are compared by the
    linear CKA of "their parameters above it": the weight matrix of the layer that reads
    that layer's output (the next trunk layer's copy, or the task's head), transposed so
    its rows are the shared layer's units. Tasks whose mutual similarity is >= ``tau``
    form a group, and each group gets its own copy of the layer.

    Where ``algorithms.md`` leaves a choice, this follows the page, not the paper's code:
    a fixed projection order (PCGrad shuffles), a closed-form GradNorm-like weight update
    (no extra backward pass), and ``fairness_weight`` scaling F_t (1 = the page's
    L_t + lambda_t F_t).
    """

    _parameter_constraints: dict[str, list[Any]] = {
        **MultiTaskBase._parameter_constraints,
        "tau": [Interval(Real, 0, 1, closed="both")],
        "branch_every": [Interval(Integral, 1, None, closed="left")],
        "fairness_weight": [Interval(Real, 0, None, closed="left")],
        "gradnorm_alpha": [Interval(Real, 0, None, closed="left")],
        "weight_rate": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(
        self,
        *,
        hidden_layer_sizes: tuple[int, ...] = (64, 32),
        max_epochs: int = 30,
        batch_size: int = 256,
        learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        validation_size: float = 0.2,
        patience: int | None = 10,
        tau: float = 0.7,
        branch_every: int = 5,
        fairness_weight: float = 1.0,
        gradnorm_alpha: float = 1.5,
        weight_rate: float = 0.05,
        random_state: Any = None,
    ) -> None:
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            max_epochs=max_epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            validation_size=validation_size,
            patience=patience,
            random_state=random_state,
        )
        self.tau = tau
        self.branch_every = branch_every
        self.fairness_weight = fairness_weight
        self.gradnorm_alpha = gradnorm_alpha
        self.weight_rate = weight_rate

    def _uses_fairness(self) -> bool:
        return self.fairness_weight > 0

    def _start(self, network: BranchedNetwork, n_tasks: int, seed: int) -> None:
        super()._start(network, n_tasks, seed)
        self.branch_depth_ = len(network.hidden) - 1
        self.branch_log_: list[dict[str, Any]] = []
        self.lambda_on_share_ = np.zeros(n_tasks)
        self._initial_losses: np.ndarray | None = None
        self._steps = 0

    def _step(
        self,
        network: BranchedNetwork,
        optimizer: torch.optim.Optimizer,
        x: torch.Tensor,
        y: torch.Tensor,
        cells: torch.Tensor,
    ) -> float:
        parts = network.modules_with_users()
        params = [p for module, _ in parts for p in module.parameters()]
        L, F = self._losses(network, x, y, cells)
        n_tasks = L.shape[0]
        grads_L = [
            _flat(torch.autograd.grad(L[t], params, retain_graph=True, allow_unused=True), params)
            for t in range(n_tasks)
        ]
        use_fair = self.fairness_weight > 0
        grads_F = [
            _flat(torch.autograd.grad(F[t], params, retain_graph=True, allow_unused=True), params)
            if use_fair
            else [torch.zeros_like(p) for p in params]
            for t in range(n_tasks)
        ]
        # Where each part's parameters sit in ``params``.
        spans: list[tuple[int, int, list[int]]] = []
        offset = 0
        for module, users in parts:
            count = len(list(module.parameters()))
            spans.append((offset, offset + count, users))
            offset += count
        head_span = {
            users[0]: (a, b)
            for (a, b, users), (m, _) in zip(spans, parts, strict=True)
            if any(m is h for h in network.heads)
        }
        # lambda switch on the heads.
        lambdas = np.ones(n_tasks)
        for t in range(n_tasks):
            a, b = head_span[t]
            dot = sum(float((grads_L[t][i] * grads_F[t][i]).sum()) for i in range(a, b))
            lambdas[t] = 0.0 if dot < 0 else 1.0
        self.lambda_on_share_ = self.lambda_on_share_ + lambdas
        self._steps += 1
        w = self.task_weights_
        shared_norms = np.zeros(n_tasks)
        has_shared = False
        for a, b, users in spans:
            if len(users) == 1:
                t = users[0]
                for i in range(a, b):
                    params[i].grad = w[t] * (
                        grads_L[t][i] + self.fairness_weight * lambdas[t] * grads_F[t][i]
                    )
                continue
            has_shared = True
            for t in users:
                shared_norms[t] += sum(float((grads_L[t][i] ** 2).sum()) for i in range(a, b))
            fair = [
                torch.cat([grads_F[t][i].reshape(-1) for i in range(a, b)])
                * float(w[t] * self.fairness_weight * lambdas[t])
                for t in users
            ]
            fair_sum = torch.stack(project_conflicting(fair)).sum(dim=0)
            position = 0
            for i in range(a, b):
                size = params[i].numel()
                accuracy = sum(float(w[t]) * grads_L[t][i] for t in users)
                params[i].grad = accuracy + fair_sum[position : position + size].reshape(
                    params[i].shape
                )
                position += size
        optimizer.step()
        losses = L.detach().numpy()
        if self._initial_losses is None:
            self._initial_losses = np.maximum(losses, 1e-12)
        if has_shared and n_tasks > 1:
            self.task_weights_ = gradnorm_weights(
                w,
                np.sqrt(shared_norms),
                losses / self._initial_losses,
                alpha=self.gradnorm_alpha,
                rate=self.weight_rate,
            )
        weighted = L + self.fairness_weight * torch.from_numpy(lambdas).float() * F
        return float(weighted.detach().sum())

    def task_similarity(self, network: BranchedNetwork, depth: int) -> np.ndarray:
        """CKA between the tasks' parameters above layer ``depth`` (T x T)."""
        n_tasks = network.n_tasks
        matrices = [network.layer_above(depth, t).weight.detach().T for t in range(n_tasks)]
        sim = np.eye(n_tasks)
        for a in range(n_tasks):
            for b in range(a + 1, n_tasks):
                sim[a, b] = sim[b, a] = linear_cka(matrices[a], matrices[b])
        return sim

    def _end_epoch(
        self, network: BranchedNetwork, epoch: int
    ) -> tuple[torch.optim.Optimizer | None, str]:
        if network.n_tasks < 2 or epoch % self.branch_every or self.branch_depth_ < 0:
            return None, ""
        depth = self.branch_depth_
        sim = self.task_similarity(network, depth)
        groups = group_by_similarity(sim, self.tau)
        changed = network.branch(depth, groups)
        self.branch_depth_ -= 1
        self.branch_log_.append(
            {
                "epoch": epoch,
                "depth": depth,
                "similarity": sim.round(4).tolist(),
                "groups": groups,
                "changed": changed,
            }
        )
        note = f"branching at layer {depth + 1}: groups {groups} (CKA {sim.round(3).tolist()})"
        log.info(note)
        return (self._new_optimizer(network) if changed else None), note


class L2TFMTClassifier(MultiTaskBase):
    """L2T-FMT: a teacher chooses, per task and step, the student's objective.

    The student is a shared trunk with one head per task. At each step, for each task,
    a small Q-network (the teacher; its state is the task's head weights and a one-hot
    task id) chooses accuracy (cross-entropy L_t) or fairness (the robust loss F_t),
    epsilon-greedy; the student takes one step on sum_t w_t * chosen_t. The reward of a
    choice is min(relative gain in L_t, relative gain in F_t) measured on the batch
    after the step; the teacher learns by one-step Q-learning with discount ``discount``
    (0.9). The T task weights w_t follow the GradNorm-like rule of FairBranch.

    Where ``algorithms.md`` leaves a choice, this follows the page: the gains are measured
    on the training batch itself (no separate reward split), and epsilon decays linearly
    from ``epsilon`` to ``epsilon / 10`` over the epochs.
    """

    _parameter_constraints: dict[str, list[Any]] = {
        **MultiTaskBase._parameter_constraints,
        "epsilon": [Interval(Real, 0, 1, closed="both")],
        "discount": [Interval(Real, 0, 1, closed="left")],
        "teacher_learning_rate": [Interval(Real, 0, None, closed="neither")],
        "gradnorm_alpha": [Interval(Real, 0, None, closed="left")],
        "weight_rate": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(
        self,
        *,
        hidden_layer_sizes: tuple[int, ...] = (64, 32),
        max_epochs: int = 30,
        batch_size: int = 256,
        learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        validation_size: float = 0.2,
        patience: int | None = 10,
        epsilon: float = 0.2,
        discount: float = 0.9,
        teacher_learning_rate: float = 1e-3,
        gradnorm_alpha: float = 1.5,
        weight_rate: float = 0.05,
        random_state: Any = None,
    ) -> None:
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            max_epochs=max_epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            validation_size=validation_size,
            patience=patience,
            random_state=random_state,
        )
        self.epsilon = epsilon
        self.discount = discount
        self.teacher_learning_rate = teacher_learning_rate
        self.gradnorm_alpha = gradnorm_alpha
        self.weight_rate = weight_rate

    def _uses_fairness(self) -> bool:
        return True

    def _state(self, network: BranchedNetwork) -> torch.Tensor:
        eye = torch.eye(network.n_tasks)
        rows = [
            torch.cat([head.weight.detach().reshape(-1), head.bias.detach(), eye[t]])
            for t, head in enumerate(network.heads)
            if isinstance(head, nn.Linear)
        ]
        return torch.stack(rows)

    def _start(self, network: BranchedNetwork, n_tasks: int, seed: int) -> None:
        super()._start(network, n_tasks, seed)
        width = self._state(network).shape[1]
        self.teacher_ = nn.Sequential(nn.Linear(width, 32), nn.ReLU(), nn.Linear(32, 2))
        self._teacher_optimizer = torch.optim.Adam(
            self.teacher_.parameters(), lr=self.teacher_learning_rate
        )
        self._explore = np.random.RandomState(seed)
        self._initial_losses: np.ndarray | None = None
        self._epoch = 1
        self.fairness_share_: list[list[float]] = []
        self._chosen = np.zeros(n_tasks)
        self._count = 0

    def _step(
        self,
        network: BranchedNetwork,
        optimizer: torch.optim.Optimizer,
        x: torch.Tensor,
        y: torch.Tensor,
        cells: torch.Tensor,
    ) -> float:
        n_tasks = network.n_tasks
        state = self._state(network)
        with torch.no_grad():
            q = self.teacher_(state)
        fraction = (self._epoch - 1) / max(1, self.max_epochs - 1)
        epsilon = self.epsilon * (1 - 0.9 * fraction)
        actions = q.argmax(dim=1).numpy()
        explore = self._explore.random_sample(n_tasks) < epsilon
        actions = np.where(explore, self._explore.randint(2, size=n_tasks), actions)
        optimizer.zero_grad()
        L, F = self._losses(network, x, y, cells)
        chosen = torch.stack([F[t] if actions[t] else L[t] for t in range(n_tasks)])
        weights = torch.from_numpy(self.task_weights_).float()
        total = (weights * chosen).sum()
        shared = list(network.layers.parameters())
        norms = np.zeros(n_tasks)
        if n_tasks > 1:
            for t in range(n_tasks):
                grads = torch.autograd.grad(chosen[t], shared, retain_graph=True)
                norms[t] = float(np.sqrt(sum(float((g**2).sum()) for g in grads)))
        total.backward()
        optimizer.step()
        with torch.no_grad():
            L_after, F_after = self._losses(network, x, y, cells)
        gain_acc = (L - L_after).detach() / L.detach().clamp(min=1e-8)
        gain_fair = (F - F_after).detach() / F.detach().clamp(min=1e-8)
        reward = torch.minimum(gain_acc, gain_fair)
        next_state = self._state(network)
        with torch.no_grad():
            target = reward + self.discount * self.teacher_(next_state).max(dim=1).values
        self._teacher_optimizer.zero_grad()
        predicted = self.teacher_(state)[torch.arange(n_tasks), torch.from_numpy(actions)]
        loss = nn.functional.mse_loss(predicted, target)
        loss.backward()
        self._teacher_optimizer.step()
        losses = L.detach().numpy()
        if self._initial_losses is None:
            self._initial_losses = np.maximum(losses, 1e-12)
        if n_tasks > 1:
            self.task_weights_ = gradnorm_weights(
                self.task_weights_,
                norms,
                losses / self._initial_losses,
                alpha=self.gradnorm_alpha,
                rate=self.weight_rate,
            )
        self._chosen += actions
        self._count += 1
        return float(total.detach())

    def _end_epoch(
        self, network: BranchedNetwork, epoch: int
    ) -> tuple[torch.optim.Optimizer | None, str]:
        share = (self._chosen / max(1, self._count)).tolist()
        self.fairness_share_.append(share)
        self._chosen[:] = 0
        self._count = 0
        self._epoch = epoch + 1
        return None, "teacher chose fairness on " + ", ".join(f"{s:.0%}" for s in share)
