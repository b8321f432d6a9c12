"""The small computations the multi-task learners are made of, each testable alone.

* :func:`linear_cka`: linear centred kernel alignment between two matrices whose rows
  match (Kornblith et al., 2019);
* :func:`group_by_similarity`: tasks whose mutual similarity is at least ``tau`` form a
  group (FairBranch's branching step);
* :func:`project_conflicting`: PCGrad-style projection of conflicting gradients;
* :func:`robust_fairness_loss`: the worst-group cross-entropy per class of
  ``algorithms.md`` section 6;
* :func:`gradnorm_weights`: one GradNorm-like update of the task weights.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

__all__ = [
    "gradnorm_weights",
    "group_by_similarity",
    "linear_cka",
    "project_conflicting",
    "robust_fairness_loss",
]


def linear_cka(X: np.ndarray | torch.Tensor, Y: np.ndarray | torch.Tensor) -> float:
    """Linear CKA of X (n x p) and Y (n x q): ||Yc' Xc||_F^2 / (||Xc' Xc||_F ||Yc' Yc||_F).

    Columns are centred first. The value lies in [0, 1], is 1 for CKA(X, X), and is
    unchanged by an orthogonal transform or an isotropic scaling of either matrix's
    columns. A matrix with no variance has no similarity to anything: 0.
    """
    a = np.asarray(X.detach().cpu() if isinstance(X, torch.Tensor) else X, dtype=np.float64)
    b = np.asarray(Y.detach().cpu() if isinstance(Y, torch.Tensor) else Y, dtype=np.float64)
    a = a.reshape(a.shape[0], -1)
    b = b.reshape(b.shape[0], -1)
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"CKA needs matching rows, got {a.shape[0]} and {b.shape[0]}")
    a = a - a.mean(axis=0)
    b = b - b.mean(axis=0)
    cross = float(np.linalg.norm(b.T @ a) ** 2)
    norm = float(np.linalg.norm(a.T @ a) * np.linalg.norm(b.T @ b))
    if norm <= 1e-300:
        return 0.0
    return float(np.clip(cross / norm, 0.0, 1.0))


def group_by_similarity(similarity: np.ndarray, tau: float) -> list[list[int]]:
    """Partition tasks so that every pair inside a group has similarity >= ``tau``.

    Tasks are taken in order; each joins the first group all of whose members it is
    similar enough to, otherwise it starts a new group (complete linkage, deterministic).
    """
    sim = np.asarray(similarity, dtype=np.float64)
    if sim.ndim != 2 or sim.shape[0] != sim.shape[1]:
        raise ValueError(f"similarity must be a square matrix, got shape {sim.shape}")
    groups: list[list[int]] = []
    for t in range(sim.shape[0]):
        for group in groups:
            if all(sim[t, u] >= tau and sim[u, t] >= tau for u in group):
                group.append(t)
                break
        else:
            groups.append([t])
    return groups


def project_conflicting(gradients: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """Project each gradient onto the normal plane of every other one it conflicts with.

    Two gradients conflict when their dot product is negative. As in PCGrad (Yu et al.,
    2020), g_i is projected in turn against the *original* g_j, j != i, in task order
    (PCGrad shuffles the order; a fixed order keeps fits deterministic). For two
    gradients the results no longer conflict with each other nor with the originals.
    """
    originals = [g.reshape(-1) for g in gradients]
    projected: list[torch.Tensor] = []
    for i, g in enumerate(originals):
        out = g.clone()
        for j, other in enumerate(originals):
            if i == j:
                continue
            dot = torch.dot(out, other)
            squared = torch.dot(other, other)
            if dot < 0 and squared > 0:
                out = out - dot / squared * other
        projected.append(out.reshape(gradients[i].shape))
    return projected


def robust_fairness_loss(
    losses: torch.Tensor, y: torch.Tensor, groups: torch.Tensor, n_groups: int
) -> torch.Tensor:
    """F = sum over classes y of max over groups g of the mean loss on rows (Y=y, S=g).

    ``losses`` are per-row cross-entropies (n,), ``y`` the 0/1 labels, ``groups`` the
    group codes 0..n_groups-1. Empty (class, group) cells are skipped; a class with no
    row contributes nothing.
    """
    cells = y.long() * n_groups + groups.long()
    sums = torch.zeros(2 * n_groups, dtype=losses.dtype).index_add(0, cells, losses)
    counts = torch.zeros(2 * n_groups, dtype=losses.dtype).index_add(
        0, cells, torch.ones_like(losses)
    )
    present = counts > 0
    means = torch.where(present, sums / counts.clamp(min=1), torch.full_like(sums, -torch.inf))
    worst = means.reshape(2, n_groups).max(dim=1).values
    return torch.where(torch.isfinite(worst), worst, torch.zeros_like(worst)).sum()


def gradnorm_weights(
    weights: np.ndarray,
    grad_norms: np.ndarray,
    loss_ratios: np.ndarray,
    *,
    alpha: float = 1.5,
    rate: float = 0.05,
) -> np.ndarray:
    """One GradNorm-like step on the task weights (they keep summing to T).

    GradNorm (Chen et al., 2018) drives each task's weighted gradient norm w_t * G_t
    towards the mean weighted norm times r_t^alpha, with r_t the task's loss ratio
    L_t / L_t(0) relative to the mean ratio (tasks that learn slower get more weight).
    Here the weights move a share ``rate`` of the way to the weights that would meet the
    targets exactly, instead of a gradient step on the GradNorm loss: no extra backward
    pass, the same fixed point.
    """
    w = np.asarray(weights, dtype=np.float64)
    g = np.asarray(grad_norms, dtype=np.float64)
    ratios = np.asarray(loss_ratios, dtype=np.float64)
    ok = np.isfinite(g) & (g > 1e-12) & np.isfinite(ratios) & (ratios > 0)
    if w.size < 2 or not ok.all():
        return w
    relative = ratios / ratios.mean()
    target = float(np.mean(w * g)) * relative**alpha
    wanted = target / g
    new = (1 - rate) * w + rate * wanted
    return np.asarray(new * (w.size / new.sum()))
