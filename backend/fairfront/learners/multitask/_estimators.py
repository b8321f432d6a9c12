"""Multi-task classifiers on PyTorch (CPU): a plain shared trunk, FairBranch and L2T-FMT.

All three share :class:`MultiTaskBase`: ``fit(X, Y, *, sensitive_features=...)`` with
``Y`` an n x T matrix of 0/1 labels (or any two labels per task, the second sorted
one positive; a 1-D ``y`` is one task, predicted with scikit-learn's shapes), a
validation split held out inside ``fit`` (stratified by the tasks' labels and the
groups), mini-batch Adam, one checkpoint per epoch, early stopping on a validation
score, and a ``callback`` called after every epoch with an :class:`EpochInfo` (a job
drives a fit through it, as the boosting learners' ``RoundInfo``). The model predicts
with the checkpoint of ``selected_epoch_``: the epoch with the lowest validation score
among the epochs whose predictions are not trivial for any task. ``at_epoch`` gives any other epoch.

The fit loop and the steps every learner takes are methods of the base class, one per
step: :meth:`MultiTaskBase._losses` (per-task accuracy and fairness losses),
:meth:`MultiTaskBase._descend` (one optimiser step on a scalar loss),
:meth:`MultiTaskBase._validate` (scores of an epoch), :meth:`MultiTaskBase._select`
(the epoch to predict with) and, for the two fair learners,
:meth:`_TaskWeightedBase._update_task_weights` (the GradNorm-like rule). A learner's
``_step`` holds only what is its own: FairBranch's lambda switch and projection (and its
branching in ``_end_epoch``), L2T-FMT's teacher.

Class balance (``class_balance=True``, the default): each task's accuracy loss weights
its rows so that both classes count equally (the positive / negative weight ratio is
that task's n_neg / n_pos on the training rows, BCE's ``pos_weight``), so a rare
positive class (COMPAS ``is_violent_recid``, base rate 0.11) is not predicted away.
The epoch score then reads the balanced error instead of the error.

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
from collections.abc import Callable, Sequence
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
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

from ...metrics import GroupIndex, evaluate_many
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
    "Batch",
    "EpochInfo",
    "FairBranchClassifier",
    "L2TFMTClassifier",
    "MultiTaskBase",
    "MultiTaskMLPClassifier",
    "TaskClassError",
    "class_weights",
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
    """Per task: the epoch's ``front.json`` validation block (with the task's ``trivial``)."""
    trivial: bool
    weights: list[float] = field(default_factory=list)
    branches: list[list[int]] = field(default_factory=list)
    note: str = ""
    setting: dict[str, Any] = field(default_factory=dict)
    """The swept parameters this fit runs with (see ``MultiTaskSpec.sweep``); empty if none."""


@dataclass(frozen=True)
class Batch:
    """Rows a step trains on: features, labels (n x T, float 0/1) and group codes."""

    x: torch.Tensor
    y: torch.Tensor
    cells: torch.Tensor


@dataclass
class _FitData:
    """The prepared training data of one ``fit``."""

    x: torch.Tensor
    y: torch.Tensor
    cells: torch.Tensor
    Y: np.ndarray
    groups: GroupIndex
    train: np.ndarray
    val: np.ndarray
    names: list[str]

    def rows(self, index: torch.Tensor) -> Batch:
        return Batch(self.x[index], self.y[index], self.cells[index])


def class_weights(Y: np.ndarray) -> np.ndarray:
    """Per task, the row weights (negative, positive) that make both classes count equally.

    Shape (T, 2): w_y = n / (2 n_y). The positive / negative ratio is n_neg / n_pos (BCE's
    ``pos_weight``); the weights average 1 over the task's rows, so a weighted loss stays
    on the scale of the unweighted one (and equals it for a task with base rate 0.5).
    """
    Y = np.asarray(Y)
    n_pos = Y.sum(axis=0).astype(np.float64)
    n_neg = Y.shape[0] - n_pos
    counts = np.stack([n_neg, n_pos], axis=1)
    return np.asarray(Y.shape[0] / (2.0 * np.maximum(counts, 1.0)))


def _as_task_matrix(Y: Any) -> tuple[np.ndarray, list[str], list[np.ndarray], bool]:
    """Y as an int64 n x T 0/1 matrix, with task names (DataFrame columns or task_i), each
    task's two labels (index 1 = positive) and whether Y was one 1-D target.

    A task holds 0/1 (also as text, "0"/"1") or any two labels, sorted as scikit-learn
    sorts classes (the second is the positive one); anything else is refused, naming it.
    """
    if Y is None:
        raise ValueError(
            "this estimator requires y to be passed, but the target y is None: give Y, "
            "an n x T matrix of 0/1 labels"
        )
    names: list[str] | None = None
    if isinstance(Y, pd.DataFrame):
        names = [str(c) for c in Y.columns]
    elif isinstance(Y, pd.Series):
        names = [str(Y.name) if Y.name is not None else "task_0"]
    values = np.asarray(Y)
    single = values.ndim == 1
    if single:
        values = values.reshape(-1, 1)
    if values.ndim != 2 or values.shape[1] < 1:
        raise TaskClassError(f"Y must be an n x T matrix of 0/1 labels, got shape {values.shape}")
    names = names or [f"task_{t}" for t in range(values.shape[1])]
    out = np.empty(values.shape, dtype=np.int64)
    classes: list[np.ndarray] = []
    for t, name in enumerate(names):
        column = values[:, t]
        numeric = pd.to_numeric(pd.Series(column), errors="coerce").to_numpy(dtype=float)
        if not np.isnan(numeric).any() and set(np.unique(numeric).tolist()) <= {0.0, 1.0}:
            out[:, t] = numeric.astype(np.int64)
            classes.append(np.array([0, 1]))
            continue
        if pd.isna(pd.Series(column)).any():
            raise TaskClassError(f"task {name!r} has missing labels; every row needs one")
        kind = type_of_target(column)
        if kind == "continuous":
            raise TaskClassError(
                f"Unknown label type: task {name!r} holds continuous values; it must hold "
                "two classes (0/1, 1 = positive)"
            )
        labels, codes = np.unique(column, return_inverse=True)
        if labels.size > 2:
            shown = [str(v) for v in labels[:5]]
            raise TaskClassError(
                f"Only binary classification is supported. The type of the target is {kind}: "
                f"task {name!r} must hold two classes (0/1, 1 = positive), found {shown}"
            )
        out[:, t] = codes.reshape(-1)
        classes.append(labels if labels.size == 2 else np.array([labels[0], labels[0]]))
    return out, names, classes, single


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


def _keep_params(estimator: BaseEstimator, given: dict[str, Any]) -> None:
    """Store an ``__init__``'s arguments (its ``locals()``) as they are, as scikit-learn asks."""
    for name in estimator._get_param_names():
        setattr(estimator, name, given[name])


def choose_checkpoint(
    scores: Sequence[float], trivial: Sequence[bool], what: str, labels: Sequence[str]
) -> tuple[int, str]:
    """The checkpoint to predict with (0-based index) and why.

    The lowest validation score among the checkpoints not trivial on any task; when
    every one is trivial on some task, the lowest score all the same, and the reason says
    so (the point stays flagged trivial). ``labels`` name the checkpoints in the reason
    ("epoch 3", "fairness_weight=2, epoch 3").
    """
    values = np.asarray(scores, dtype=float)
    eligible = np.where(np.asarray(trivial, dtype=bool), np.inf, values)
    if np.isfinite(eligible).any():
        chosen = int(np.argmin(eligible))
        return chosen, (
            f"{labels[chosen]} has the lowest validation {what} ({values[chosen]:.4f}) "
            "among the checkpoints not trivial on any task"
        )
    chosen = int(np.argmin(values))
    return chosen, (
        f"every checkpoint is trivial on some task; {labels[chosen]} has the lowest "
        f"validation {what} ({values[chosen]:.4f})"
    )


class MultiTaskBase(ClassifierMixin, BaseEstimator):
    """Shared fit loop and steps; subclasses define one training step (``_step``).

    Parameters common to every learner: ``hidden_layer_sizes`` (trunk widths),
    ``max_epochs``, ``batch_size``, ``learning_rate`` and ``weight_decay`` (Adam),
    ``validation_size`` (share held out inside ``fit``), ``patience`` (epochs without a
    better validation score before stopping; None: never), ``class_balance`` (weight each
    task's accuracy loss so both classes count equally, see :func:`class_weights`; the
    epoch score then uses the balanced error) and ``random_state``.

    With ``class_balance`` a task's decision threshold (probability 0.5) is the one of
    balanced classes: ``predict_proba`` gives the probabilities of that balanced
    problem, not the task's base-rate-calibrated ones.
    """

    _parameter_constraints: dict[str, list[Any]] = {
        "hidden_layer_sizes": [tuple, list],
        "max_epochs": [Interval(Integral, 1, 10_000, closed="both")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "validation_size": [Interval(Real, 0, 0.9, closed="both")],
        "patience": [Interval(Integral, 1, None, closed="left"), None],
        "class_balance": ["boolean"],
        "random_state": ["random_state"],
    }

    hidden_layer_sizes: tuple[int, ...]
    max_epochs: int
    batch_size: int
    learning_rate: float
    weight_decay: float
    validation_size: float
    patience: int | None
    class_balance: bool
    random_state: Any

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
        class_balance: bool = True,
        random_state: Any = None,
    ) -> None:
        _keep_params(self, locals())

    # ----- what subclasses decide -------------------------------------------------
    def _start(self, network: BranchedNetwork, n_tasks: int, seed: int) -> None:
        """Set up per-fit state (task weights, teacher...)."""
        self.task_weights_ = np.ones(n_tasks)

    def _step(
        self, network: BranchedNetwork, optimizer: torch.optim.Optimizer, batch: Batch
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

    # ----- the steps every learner shares -----------------------------------------
    def _task_losses(
        self, logits: torch.Tensor, y: torch.Tensor, cells: torch.Tensor, *, fairness: bool
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-task accuracy losses L (T,) and robust fairness losses F (T,; zeros if not
        ``fairness``).

        L_t is the mean cross-entropy of task t, class-weighted when ``class_balance``.
        F_t (:func:`robust_fairness_loss`) reads the unweighted cross-entropies: it is a
        sum of per-class means already, so both classes count in it whatever the weights.
        """
        ce = nn.functional.binary_cross_entropy_with_logits(logits, y, reduction="none")
        if self.class_balance:
            weights = self._class_weights
            accuracy = (ce * torch.where(y > 0.5, weights[:, 1], weights[:, 0])).mean(dim=0)
        else:
            accuracy = ce.mean(dim=0)
        if not fairness:
            return accuracy, torch.zeros_like(accuracy)
        fair = torch.stack(
            [
                robust_fairness_loss(ce[:, t], y[:, t], cells, self.n_cells_)
                for t in range(y.shape[1])
            ]
        )
        return accuracy, fair

    def _losses(
        self, network: BranchedNetwork, batch: Batch, *, fairness: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """L and F (see :meth:`_task_losses`) of the network on a batch."""
        return self._task_losses(network(batch.x), batch.y, batch.cells, fairness=fairness)

    @staticmethod
    def _descend(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> float:
        """One optimiser step on the gradient of a scalar ``loss``; returns its value."""
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return float(loss.detach())

    def _objective(self, logits: torch.Tensor, y: torch.Tensor, cells: torch.Tensor) -> float:
        """Validation loss (reported, lower is better): mean over tasks of L_t (+ F_t)."""
        accuracy, fair = self._task_losses(logits, y, cells, fairness=self._uses_fairness())
        return float((accuracy + fair).mean())

    def _score(self, blocks: dict[str, dict[str, Any]]) -> float:
        """Validation score of an epoch (lower is better), from the per-task blocks.

        Mean over tasks of the balanced error (1 - balanced accuracy) with
        ``class_balance``, of the error rate without, plus (for the fair learners) the
        mean ``eo_sum``: AdaFair's ERR + EqOdds rule of ``algorithms.md`` section 3 with
        c = 0, averaged over tasks. Early stopping and the choice of epoch read it. The
        balanced error goes with the class-balanced loss: the error would prefer the
        epochs that predict a rare class least, down to the trivial ones.
        """
        metric = "balanced_accuracy" if self.class_balance else "accuracy"
        error = np.mean([1.0 - float(b[metric] or 0.0) for b in blocks.values()])
        if not self._uses_fairness():
            return float(error)
        eo_sum = [b["eo_sum"]["value"] for b in blocks.values()]
        return float(error + np.mean([1.0 if v is None else float(v) for v in eo_sum]))

    def score_description(self) -> str:
        """What the validation score is, in words ("mean balanced error + mean eo_sum")."""
        error = "mean balanced error" if self.class_balance else "mean error"
        return f"{error} + mean eo_sum" if self._uses_fairness() else error

    def _new_optimizer(self, network: nn.Module) -> torch.optim.Optimizer:
        return torch.optim.Adam(
            network.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay
        )

    # ----- fit, step by step ------------------------------------------------------
    def _prepare(self, X: Any, Y: Any, sensitive_features: Any) -> _FitData:
        """Check the inputs, set the fitted attributes that describe them, split rows."""
        self._validate_params()
        hidden = tuple(int(h) for h in self.hidden_layer_sizes)
        if not hidden or min(hidden) < 1:
            raise ValueError(f"hidden_layer_sizes must be positive widths, got {hidden!r}")
        Y_matrix, names, self.task_classes_, self.single_output_ = _as_task_matrix(Y)
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
        self.classes_ = self.task_classes_[0] if self.single_output_ else self.task_classes_
        self.protected_ = groups.attributes
        self.n_cells_ = len(cell_labels)
        rng = check_random_state(self.random_state)
        split_seed, self._seed = (int(s) for s in rng.randint(_MAX_SEED, size=2))
        train, val = _split_rows(Y_matrix, cells, self.validation_size, split_seed)
        self.validation_on_training_data_ = train is val
        self.validation_rows_ = val
        for t, name in enumerate(names):
            present = np.unique(Y_matrix[train, t])
            if present.size < 2:
                label = self.task_classes_[t][int(present[0])]
                raise TaskClassError(
                    f"task {name!r} has a single class ({label!r}; 1 class) in the training "
                    "part; it needs rows of both classes"
                )
        self.class_weights_ = class_weights(Y_matrix[train])
        self._class_weights = torch.from_numpy(self.class_weights_.astype(np.float32))
        return _FitData(
            x=torch.from_numpy(X),
            y=torch.from_numpy(Y_matrix.astype(np.float32)),
            cells=torch.from_numpy(cells.astype(np.int64)),
            Y=Y_matrix,
            groups=groups,
            train=train,
            val=val,
            names=names,
        )

    def _build(self, data: _FitData) -> BranchedNetwork:
        """The initial network, with the training rows' scaling inside."""
        hidden = tuple(int(h) for h in self.hidden_layer_sizes)
        network = BranchedNetwork(data.x.shape[1], hidden, self.n_tasks_)
        X_train = data.x.numpy()[data.train]
        scale = X_train.std(axis=0)
        scale[scale < 1e-8] = 1.0
        network.set_scaling(torch.from_numpy(X_train.mean(axis=0)), torch.from_numpy(scale))
        return network

    def _train_epoch(
        self,
        network: BranchedNetwork,
        optimizer: torch.optim.Optimizer,
        data: _FitData,
        generator: torch.Generator,
    ) -> float:
        """One pass over the training rows in shuffled mini-batches; mean batch loss."""
        network.train()
        train = torch.from_numpy(data.train)
        order = train[torch.randperm(train.shape[0], generator=generator)]
        losses = [
            self._step(network, optimizer, data.rows(order[start : start + self.batch_size]))
            for start in range(0, order.shape[0], self.batch_size)
        ]
        return float(np.mean(losses))

    def _validate(
        self, network: BranchedNetwork, data: _FitData
    ) -> tuple[float, dict[str, dict[str, Any]], bool]:
        """Validation loss, per-task blocks and whether any task's predictions are trivial.

        Stores the epoch's checkpoint, loss, blocks and score.
        """
        network.eval()
        val = torch.from_numpy(data.val)
        with torch.no_grad():
            logits = network(data.x[val])
        objective = self._objective(logits, data.y[val], data.cells[val])
        predicted = (logits > 0).numpy()
        blocks, trivial = {}, False
        for t, name in enumerate(data.names):
            metrics = evaluate_many(
                data.Y[data.val, t],
                predicted[:, t : t + 1],
                sensitive_features=data.groups.take(data.val),
                notions=TRACKED_NOTIONS,
            )
            blocks[name] = {**metrics.block(0), "trivial": bool(metrics.trivial[0])}
            trivial = trivial or blocks[name]["trivial"]
        self.checkpoints_.append((network.config(), copy.deepcopy(network.state_dict())))
        self.validation_objective_.append(objective)
        self.validation_blocks_.append(blocks)
        self.validation_score_.append(self._score(blocks))
        return objective, blocks, trivial

    def _select(self) -> int:
        """The epoch to predict with (1-based), with ``selection_reason_``: see
        :func:`choose_checkpoint`."""
        chosen, self.selection_reason_ = choose_checkpoint(
            self.validation_score_,
            [h["trivial"] for h in self.history_],
            self.score_description(),
            [f"epoch {e}" for e in range(1, len(self.validation_score_) + 1)],
        )
        return chosen + 1

    # ----- scikit-learn API -------------------------------------------------------
    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        # Each task is binary with 0/1 labels (1 = positive); no multi-class tasks.
        tags.classifier_tags.multi_class = False
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
        data = self._prepare(X, Y, sensitive_features)
        started = time.perf_counter()
        self.checkpoints_: list[tuple[dict[str, Any], dict[str, torch.Tensor]]] = []
        self.validation_objective_: list[float] = []
        self.validation_score_: list[float] = []
        self.validation_blocks_: list[dict[str, dict[str, Any]]] = []
        self.history_: list[dict[str, Any]] = []
        self.stop_reason_ = f"all {self.max_epochs} epochs done"
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self._seed)
            generator = torch.Generator().manual_seed(self._seed)
            network = self._build(data)
            self._start(network, self.n_tasks_, self._seed)
            optimizer = self._new_optimizer(network)
            best, since_best = np.inf, 0
            for epoch in range(1, self.max_epochs + 1):
                tick = time.perf_counter()
                train_loss = self._train_epoch(network, optimizer, data, generator)
                new_optimizer, note = self._end_epoch(network, epoch)
                if new_optimizer is not None:
                    optimizer = new_optimizer
                objective, blocks, trivial = self._validate(network, data)
                self.history_.append({"trivial": trivial, "note": note})
                if callback is not None:
                    callback(
                        EpochInfo(
                            epoch=epoch,
                            n_epochs=self.max_epochs,
                            seconds=time.perf_counter() - tick,
                            train_loss=train_loss,
                            validation_loss=objective,
                            validation=blocks,
                            trivial=trivial,
                            weights=[float(w) for w in self.task_weights_],
                            branches=[list(r) for r in network.assign],
                            note=note,
                        )
                    )
                score = self.validation_score_[-1]
                best, since_best = (score, 0) if score < best - 1e-6 else (best, since_best + 1)
                if self.patience is not None and since_best >= self.patience:
                    self.stop_reason_ = (
                        f"epoch {epoch}: no better validation score for "
                        f"{self.patience} epochs (early stop)"
                    )
                    break
        self.n_epochs_ = len(self.checkpoints_)
        self.fit_seconds_ = time.perf_counter() - started
        self.use_epoch(self._select())
        return self

    # ----- prediction -------------------------------------------------------------
    def use_epoch(self, epoch: int) -> None:
        """Predict with the checkpoint of ``epoch`` (1-based) from now on."""
        config, state = self.checkpoints_[epoch - 1]
        network = BranchedNetwork.from_config(config)
        network.load_state_dict(state)
        network.eval()
        self.network_ = network
        self.selected_epoch_ = int(epoch)

    def check_params(self) -> None:
        """Raise for a parameter value out of range, before any data is read."""
        self._validate_params()

    def at_epoch(self, epoch: int) -> MultiTaskBase:
        """This model with the checkpoint of ``epoch`` (1-based), as a new estimator."""
        check_is_fitted(self)
        if not 1 <= epoch <= self.n_epochs_:
            raise ValueError(f"epoch {epoch} does not exist: this fit has 1 to {self.n_epochs_}")
        other = copy.copy(self)
        other.use_epoch(epoch)
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
        """Shape (n, T, 2): per task, the probabilities of its two classes (negative,
        positive); (n, 2) when the model was fitted on one 1-D target."""
        positive = self.positive_proba(X)
        proba = np.stack([1.0 - positive, positive], axis=2)
        return proba[:, 0, :] if self.single_output_ else proba

    def predict(self, X: Any) -> np.ndarray:
        """Labels, shape (n, T) (0/1 for 0/1 tasks); (n,) for one 1-D target."""
        x = self._features(X)
        with torch.no_grad():
            codes = (self.network_(x) > 0).numpy().astype(np.int64)
        if all(np.array_equal(c, [0, 1]) for c in self.task_classes_):
            labels = codes
        else:
            labels = np.column_stack(
                [self.task_classes_[t][codes[:, t]] for t in range(codes.shape[1])]
            )
        return labels[:, 0] if self.single_output_ else labels


class MultiTaskMLPClassifier(MultiTaskBase):
    """A plain shared trunk with one head per task; loss = sum of the tasks' L_t.

    No fairness term, no task weighting: the multi-task baseline (class-balanced like
    the others when ``class_balance``).
    """

    def _step(
        self, network: BranchedNetwork, optimizer: torch.optim.Optimizer, batch: Batch
    ) -> float:
        accuracy, _ = self._losses(network, batch, fairness=False)
        return self._descend(optimizer, accuracy.sum())


class _TaskWeightedBase(MultiTaskBase):
    """The two fair learners: a fairness term and GradNorm-like task weights.

    ``gradnorm_alpha`` and ``weight_rate`` drive :func:`gradnorm_weights`.
    """

    _parameter_constraints: dict[str, list[Any]] = {
        **MultiTaskBase._parameter_constraints,
        "gradnorm_alpha": [Interval(Real, 0, None, closed="left")],
        "weight_rate": [Interval(Real, 0, 1, closed="both")],
    }

    gradnorm_alpha: float
    weight_rate: float

    def _uses_fairness(self) -> bool:
        return True

    def _start(self, network: BranchedNetwork, n_tasks: int, seed: int) -> None:
        super()._start(network, n_tasks, seed)
        self._initial_losses: np.ndarray | None = None

    def _update_task_weights(self, accuracy: torch.Tensor, grad_norms: np.ndarray) -> None:
        """One GradNorm-like step from the tasks' accuracy losses and shared-gradient norms.

        Loss ratios are taken against the first step's losses. A task with no gradient
        on a shared part (norm 0, e.g. once every task has its own branch) leaves the
        weights as they are.
        """
        losses = accuracy.detach().numpy()
        if self._initial_losses is None:
            self._initial_losses = np.maximum(losses, 1e-12)
        self.task_weights_ = gradnorm_weights(
            self.task_weights_,
            grad_norms,
            losses / self._initial_losses,
            alpha=self.gradnorm_alpha,
            rate=self.weight_rate,
        )


def _task_gradients(losses: torch.Tensor, params: list[nn.Parameter]) -> list[list[torch.Tensor]]:
    """Per task t, the gradient of ``losses[t]`` on each of ``params`` (zeros where unused)."""
    out = []
    for t in range(losses.shape[0]):
        grads = torch.autograd.grad(losses[t], params, retain_graph=True, allow_unused=True)
        pairs = zip(grads, params, strict=True)
        out.append([g if g is not None else torch.zeros_like(p) for g, p in pairs])
    return out


@dataclass(frozen=True)
class _Part:
    """A parametrised part of the network: its slice of the parameter list and its users."""

    start: int
    stop: int
    users: list[int]
    is_head: bool


def _parts(network: BranchedNetwork) -> tuple[list[nn.Parameter], list[_Part]]:
    """The network's parameters in order, and where each part's parameters sit in them."""
    params: list[nn.Parameter] = []
    parts: list[_Part] = []
    for module, users in network.modules_with_users():
        own = list(module.parameters())
        is_head = any(module is head for head in network.heads)
        parts.append(_Part(len(params), len(params) + len(own), users, is_head))
        params += own
    return params, parts


class FairBranchClassifier(_TaskWeightedBase):
    """FairBranch: fair multi-task learning with parameter-similarity branching.

    Per task t: accuracy loss L_t (cross-entropy, class-balanced when ``class_balance``)
    and fairness loss F_t (the robust worst-group loss, :func:`robust_fairness_loss`).
    lambda_t = 0 when the gradients of L_t and F_t on task t's head point against each
    other, else 1. Inside every part shared by several tasks, the tasks' fairness
    gradients are made non-conflicting by projection (:func:`project_conflicting`) before
    they are summed; accuracy gradients are summed as they are. Task weights follow a
    GradNorm-like rule (:func:`gradnorm_weights`) on the tasks' accuracy-gradient norms
    over shared parts.

    ``class_balance`` matters to the switch: F_t weighs both classes equally, so on an
    imbalanced task the unweighted L_t (ruled by the majority class) points against it
    at nearly every step and lambda_t stays 0 (COMPAS ``is_violent_recid``: fairness on
    in 5% of the steps; class-balanced: 84%); ``lambda_on_share_`` counts, per task, the
    steps with lambda_t = 1 out of ``n_steps_``.

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
        **_TaskWeightedBase._parameter_constraints,
        "tau": [Interval(Real, 0, 1, closed="both")],
        "branch_every": [Interval(Integral, 1, None, closed="left")],
        "fairness_weight": [Interval(Real, 0, None, closed="left")],
    }

    tau: float
    branch_every: int
    fairness_weight: float

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
        class_balance: bool = True,
        random_state: Any = None,
        tau: float = 0.7,
        branch_every: int = 5,
        fairness_weight: float = 1.0,
        gradnorm_alpha: float = 1.5,
        weight_rate: float = 0.05,
    ) -> None:
        _keep_params(self, locals())

    def _uses_fairness(self) -> bool:
        return self.fairness_weight > 0

    def _start(self, network: BranchedNetwork, n_tasks: int, seed: int) -> None:
        super()._start(network, n_tasks, seed)
        self.branch_depth_ = len(network.hidden) - 1
        self.branch_log_: list[dict[str, Any]] = []
        self.lambda_on_share_ = np.zeros(n_tasks)
        self.n_steps_ = 0

    def _step(
        self, network: BranchedNetwork, optimizer: torch.optim.Optimizer, batch: Batch
    ) -> float:
        accuracy, fair = self._losses(network, batch, fairness=self._uses_fairness())
        params, parts = _parts(network)
        grads_L = _task_gradients(accuracy, params)
        grads_F = (
            _task_gradients(fair, params)
            if self._uses_fairness()
            else [[torch.zeros_like(p) for p in params] for _ in range(accuracy.shape[0])]
        )
        lambdas = self._lambda_switch(parts, grads_L, grads_F)
        shared_norms = self._set_gradients(params, parts, grads_L, grads_F, lambdas)
        optimizer.step()
        self._update_task_weights(accuracy, shared_norms)
        weighted = accuracy + self.fairness_weight * torch.from_numpy(lambdas).float() * fair
        return float(weighted.detach().sum())

    def _lambda_switch(
        self,
        parts: list[_Part],
        grads_L: list[list[torch.Tensor]],
        grads_F: list[list[torch.Tensor]],
    ) -> np.ndarray:
        """lambda_t = 0 where L_t's and F_t's gradients on task t's head conflict, else 1."""
        lambdas = np.ones(len(grads_L))
        for part in parts:
            if part.is_head:
                t = part.users[0]
                dot = sum(
                    float((grads_L[t][i] * grads_F[t][i]).sum())
                    for i in range(part.start, part.stop)
                )
                lambdas[t] = 0.0 if dot < 0 else 1.0
        self.lambda_on_share_ = self.lambda_on_share_ + lambdas
        self.n_steps_ += 1
        return lambdas

    def _set_gradients(
        self,
        params: list[nn.Parameter],
        parts: list[_Part],
        grads_L: list[list[torch.Tensor]],
        grads_F: list[list[torch.Tensor]],
        lambdas: np.ndarray,
    ) -> np.ndarray:
        """Write each parameter's gradient; return the tasks' shared accuracy-gradient norms.

        A part of one task: w_t (grad L_t + fairness_weight lambda_t grad F_t). A shared
        part: the tasks' weighted accuracy gradients summed, plus their weighted
        fairness gradients after projection of the conflicting ones.
        """
        w = self.task_weights_
        shared_norms = np.zeros(len(grads_L))
        for part in parts:
            span = range(part.start, part.stop)
            if len(part.users) == 1:
                t = part.users[0]
                for i in span:
                    params[i].grad = w[t] * (
                        grads_L[t][i] + self.fairness_weight * lambdas[t] * grads_F[t][i]
                    )
                continue
            for t in part.users:
                shared_norms[t] += sum(float((grads_L[t][i] ** 2).sum()) for i in span)
            fair = [
                torch.cat([grads_F[t][i].reshape(-1) for i in span])
                * float(w[t] * self.fairness_weight * lambdas[t])
                for t in part.users
            ]
            fair_sum = torch.stack(project_conflicting(fair)).sum(dim=0)
            position = 0
            for i in span:
                size = params[i].numel()
                accuracy = sum(float(w[t]) * grads_L[t][i] for t in part.users)
                params[i].grad = accuracy + fair_sum[position : position + size].reshape(
                    params[i].shape
                )
                position += size
        return np.sqrt(shared_norms)

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


class L2TFMTClassifier(_TaskWeightedBase):
    """L2T-FMT: a teacher chooses, per task and step, the student's objective.

    The student is a shared trunk with one head per task. At each step, for each task,
    a small Q-network (the teacher; its state is the task's head weights and a one-hot
    task id) chooses accuracy (cross-entropy L_t, class-balanced when ``class_balance``)
    or fairness (the robust loss F_t), epsilon-greedy; the student takes one step on
    sum_t w_t * chosen_t. The reward of a choice is min(relative gain in L_t, relative
    gain in F_t) measured on the batch after the step; the teacher learns by one-step
    Q-learning with discount ``discount`` (0.9). The T task weights w_t follow the
    GradNorm-like rule of FairBranch.

    Where ``algorithms.md`` leaves a choice, this follows the page: the gains are measured
    on the training batch itself (no separate reward split), and epsilon decays linearly
    from ``epsilon`` to ``epsilon / 10`` over the epochs.
    """

    _parameter_constraints: dict[str, list[Any]] = {
        **_TaskWeightedBase._parameter_constraints,
        "epsilon": [Interval(Real, 0, 1, closed="both")],
        "discount": [Interval(Real, 0, 1, closed="left")],
        "teacher_learning_rate": [Interval(Real, 0, None, closed="neither")],
    }

    epsilon: float
    discount: float
    teacher_learning_rate: float

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
        class_balance: bool = True,
        random_state: Any = None,
        epsilon: float = 0.2,
        discount: float = 0.9,
        teacher_learning_rate: float = 1e-3,
        gradnorm_alpha: float = 1.5,
        weight_rate: float = 0.05,
    ) -> None:
        _keep_params(self, locals())

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
        self._epoch = 1
        self.fairness_share_: list[list[float]] = []
        self._chosen = np.zeros(n_tasks)
        self._count = 0

    def _step(
        self, network: BranchedNetwork, optimizer: torch.optim.Optimizer, batch: Batch
    ) -> float:
        state = self._state(network)
        actions = self._choose(state)
        accuracy, fair = self._losses(network, batch)
        chosen = torch.stack([fair[t] if actions[t] else accuracy[t] for t in range(len(actions))])
        norms = self._trunk_gradient_norms(network, chosen)
        total = self._descend(
            optimizer, (torch.from_numpy(self.task_weights_).float() * chosen).sum()
        )
        self._teach(network, batch, state, actions, accuracy, fair)
        self._update_task_weights(accuracy, norms)
        self._chosen += actions
        self._count += 1
        return total

    def _choose(self, state: torch.Tensor) -> np.ndarray:
        """Per task, 1 (fairness) or 0 (accuracy): the teacher's best, epsilon-greedy."""
        n_tasks = state.shape[0]
        with torch.no_grad():
            q = self.teacher_(state)
        fraction = (self._epoch - 1) / max(1, self.max_epochs - 1)
        epsilon = self.epsilon * (1 - 0.9 * fraction)
        actions = q.argmax(dim=1).numpy()
        explore = self._explore.random_sample(n_tasks) < epsilon
        return np.asarray(np.where(explore, self._explore.randint(2, size=n_tasks), actions))

    @staticmethod
    def _trunk_gradient_norms(network: BranchedNetwork, objectives: torch.Tensor) -> np.ndarray:
        """Per task, the norm of its objective's gradient on the shared trunk (T > 1)."""
        n_tasks = objectives.shape[0]
        norms = np.zeros(n_tasks)
        if n_tasks > 1:
            shared = list(network.layers.parameters())
            for t in range(n_tasks):
                grads = torch.autograd.grad(objectives[t], shared, retain_graph=True)
                norms[t] = float(np.sqrt(sum(float((g**2).sum()) for g in grads)))
        return norms

    def _teach(
        self,
        network: BranchedNetwork,
        batch: Batch,
        state: torch.Tensor,
        actions: np.ndarray,
        accuracy: torch.Tensor,
        fair: torch.Tensor,
    ) -> None:
        """One Q-learning step of the teacher on the reward of the student's last step."""
        with torch.no_grad():
            accuracy_after, fair_after = self._losses(network, batch)
        gain_acc = (accuracy - accuracy_after).detach() / accuracy.detach().clamp(min=1e-8)
        gain_fair = (fair - fair_after).detach() / fair.detach().clamp(min=1e-8)
        reward = torch.minimum(gain_acc, gain_fair)
        with torch.no_grad():
            target = reward + self.discount * self.teacher_(self._state(network)).max(dim=1).values
        self._teacher_optimizer.zero_grad()
        predicted = self.teacher_(state)[torch.arange(len(actions)), torch.from_numpy(actions)]
        loss = nn.functional.mse_loss(predicted, target)
        loss.backward()
        self._teacher_optimizer.step()

    def _end_epoch(
        self, network: BranchedNetwork, epoch: int
    ) -> tuple[torch.optim.Optimizer | None, str]:
        share = (self._chosen / max(1, self._count)).tolist()
        self.fairness_share_.append(share)
        self._chosen[:] = 0
        self._count = 0
        self._epoch = epoch + 1
        return None, "teacher chose fairness on " + ", ".join(f"{s:.0%}" for s in share)
