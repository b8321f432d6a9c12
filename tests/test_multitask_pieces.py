"""The pieces of the multi-task learners: CKA, projection, grouping, robust loss, weights."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from fairfront.learners.multitask import (  # noqa: E402
    BranchedNetwork,
    FairBranchClassifier,
    MultiTaskMLPClassifier,
    class_weights,
    gradnorm_weights,
    group_by_similarity,
    linear_cka,
    project_conflicting,
    robust_fairness_loss,
)


def test_cka_of_a_matrix_with_itself_is_one() -> None:
    X = np.random.default_rng(0).normal(size=(50, 8))
    assert linear_cka(X, X) == pytest.approx(1.0)


def test_cka_is_invariant_to_orthogonal_transforms_and_scaling() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 6))
    Y = X @ rng.normal(size=(6, 5)) + 0.5 * rng.normal(size=(60, 5))
    Q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    base = linear_cka(X, Y)
    assert 0 < base < 1
    assert linear_cka(X, Y @ Q) == pytest.approx(base)
    assert linear_cka(X, 3.0 * Y) == pytest.approx(base)
    # Independent noise is far less similar.
    assert linear_cka(X, rng.normal(size=(60, 5))) < base


def test_projection_removes_the_conflict() -> None:
    g1 = torch.tensor([1.0, 0.0, 0.5])
    g2 = torch.tensor([-1.0, 1.0, 0.0])
    assert torch.dot(g1, g2) < 0
    p1, p2 = project_conflicting([g1, g2])
    assert torch.dot(p1, g2) >= -1e-6
    assert torch.dot(p2, g1) >= -1e-6
    assert torch.dot(p1, p2) >= -1e-6
    # Gradients that agree are left alone.
    q1, q2 = project_conflicting([g1, -g2 * 0 + g1])
    assert torch.equal(q1, g1) and torch.equal(q2, g1)


def test_grouping_on_a_constructed_example() -> None:
    sim = np.array(
        [
            [1.0, 0.9, 0.1, 0.2],
            [0.9, 1.0, 0.2, 0.1],
            [0.1, 0.2, 1.0, 0.8],
            [0.2, 0.1, 0.8, 1.0],
        ]
    )
    assert group_by_similarity(sim, 0.7) == [[0, 1], [2, 3]]
    assert group_by_similarity(sim, 0.85) == [[0, 1], [2], [3]]
    assert group_by_similarity(sim, 0.05) == [[0, 1, 2, 3]]


def test_branching_step_groups_tasks_by_the_cka_of_their_heads() -> None:
    """Tasks 0, 1 read the shared layer alike, task 2 differently: 0 and 1 stay together."""
    torch.manual_seed(0)
    net = BranchedNetwork(n_features=4, hidden=[6, 8], n_tasks=3)
    rng = np.random.default_rng(0)
    base = rng.normal(size=8)
    with torch.no_grad():
        net.heads[0].weight.copy_(torch.tensor(base[None, :], dtype=torch.float32))
        net.heads[1].weight.copy_(torch.tensor(2 * base[None, :] + 0.01, dtype=torch.float32))
        centred = base - base.mean()
        other = rng.normal(size=8)
        other -= other.mean()
        other -= other @ centred / (centred @ centred) * centred  # uncorrelated with task 0
        net.heads[2].weight.copy_(torch.tensor(other[None, :], dtype=torch.float32))
    learner = FairBranchClassifier(tau=0.7)
    sim = learner.task_similarity(net, depth=1)
    groups = group_by_similarity(sim, 0.7)
    assert groups == [[0, 1], [2]]
    x = torch.randn(5, 4)
    before = net(x)
    assert net.branch(1, groups)
    assert net.assign[1] == [0, 0, 1]
    assert len(net.copies(1)) == 2
    # A branch starts as an exact copy: the outputs do not change.
    assert torch.allclose(net(x), before)


def test_robust_fairness_loss_is_the_worst_group_per_class() -> None:
    losses = torch.tensor([1.0, 3.0, 2.0, 4.0, 0.5, 0.7])
    y = torch.tensor([0, 0, 0, 1, 1, 1])
    groups = torch.tensor([0, 0, 1, 0, 1, 1])
    # class 0: group 0 mean 2, group 1 mean 2 -> 2; class 1: group 0 4, group 1 0.6 -> 4
    assert float(robust_fairness_loss(losses, y, groups, 2)) == pytest.approx(6.0)


def test_gradnorm_weights_favour_the_slower_task_and_keep_their_sum() -> None:
    w = gradnorm_weights(np.ones(2), np.array([1.0, 1.0]), np.array([1.0, 0.5]), rate=1.0)
    assert w.sum() == pytest.approx(2.0)
    assert w[0] > w[1]


def test_class_weights_balance_the_classes_and_average_one() -> None:
    Y = np.array([[1, 0], [0, 1], [0, 0], [0, 1], [0, 0], [0, 1], [0, 0], [0, 0]])
    w = class_weights(Y)
    # task 0: 1 positive, 7 negatives; task 1: 3 and 5.
    assert w[0, 1] / w[0, 0] == pytest.approx(7.0)
    assert w[1, 1] / w[1, 0] == pytest.approx(5 / 3)
    for t in range(2):
        assert np.mean(np.where(Y[:, t] == 1, w[t, 1], w[t, 0])) == pytest.approx(1.0)
    assert np.allclose(class_weights(np.array([[0], [1]])), 1.0)


def test_class_balanced_loss_is_bce_pos_weight_and_leaves_the_fairness_loss_alone() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    Y = np.stack([rng.random(200) < 0.1, rng.random(200) < 0.5], axis=1).astype(int)
    groups = np.where(rng.random(200) < 0.4, "a", "b")
    fitted = {
        balance: MultiTaskMLPClassifier(
            max_epochs=1, validation_size=0.0, class_balance=balance, random_state=0
        ).fit(X, Y, sensitive_features=groups)
        for balance in (True, False)
    }
    logits = torch.from_numpy(rng.normal(size=(200, 2)).astype(np.float32))
    y = torch.from_numpy(Y.astype(np.float32))
    cells = torch.from_numpy((groups == "b").astype(np.int64))
    L, F = fitted[True]._task_losses(logits, y, cells, fairness=True)
    L0, F0 = fitted[False]._task_losses(logits, y, cells, fairness=True)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    for t in range(2):
        n_pos = float(Y[:, t].sum())
        n_neg = 200 - n_pos
        pos_weight = torch.tensor(n_neg / n_pos)
        expected = bce(logits[:, t], y[:, t], pos_weight=pos_weight) * 200 / (2 * n_neg)
        assert float(L[t]) == pytest.approx(float(expected), rel=1e-5)
        assert float(L0[t]) == pytest.approx(float(bce(logits[:, t], y[:, t])), rel=1e-6)
    assert torch.equal(F, F0)
