"""The multi-task network: a branched trunk of ReLU layers and one logit head per task.

Each trunk layer holds one or more copies ("branches"); ``assign[l][t]`` says which copy
of layer l task t uses. At first every task uses copy 0 of every layer (a plain shared
trunk). FairBranch's branching step gives a group of tasks its own copy of a layer
(:meth:`BranchedNetwork.branch`). Inputs are standardised inside the network (training
means and standard deviations are buffers), so the exported graph needs no scaler.

The structure is plain JSON (:meth:`BranchedNetwork.config`); weights are a
``state_dict`` of tensors, so a saved model loads with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

__all__ = ["BranchedNetwork", "ProbabilityOutputs"]


class BranchedNetwork(nn.Module):
    """Trunk layers (possibly branched) and one logit head per task."""

    mean: torch.Tensor
    scale: torch.Tensor

    def __init__(
        self,
        n_features: int,
        hidden: Sequence[int],
        n_tasks: int,
        assign: Sequence[Sequence[int]] | None = None,
    ) -> None:
        super().__init__()
        self.n_features = int(n_features)
        self.hidden = [int(h) for h in hidden]
        self.n_tasks = int(n_tasks)
        self.assign = (
            [[int(a) for a in row] for row in assign]
            if assign is not None
            else [[0] * self.n_tasks for _ in self.hidden]
        )
        if len(self.assign) != len(self.hidden):
            raise ValueError("assign needs one row per hidden layer")
        self.register_buffer("mean", torch.zeros(self.n_features))
        self.register_buffer("scale", torch.ones(self.n_features))
        widths = [self.n_features, *self.hidden]
        self.layers = nn.ModuleList(
            nn.ModuleList(nn.Linear(widths[depth], widths[depth + 1]) for _ in range(max(row) + 1))
            for depth, row in enumerate(self.assign)
        )
        self.heads = nn.ModuleList(nn.Linear(widths[-1], 1) for _ in range(self.n_tasks))

    # ----- structure --------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        """The JSON structure that :meth:`from_config` rebuilds (weights apart)."""
        return {
            "n_features": self.n_features,
            "hidden": list(self.hidden),
            "n_tasks": self.n_tasks,
            "assign": [list(row) for row in self.assign],
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> BranchedNetwork:
        return cls(config["n_features"], config["hidden"], config["n_tasks"], config["assign"])

    def set_scaling(self, mean: torch.Tensor, scale: torch.Tensor) -> None:
        self.mean.copy_(mean)
        self.scale.copy_(scale)

    def users(self, depth: int, copy_index: int) -> list[int]:
        """The tasks that use copy ``copy_index`` of layer ``depth``."""
        return [t for t, a in enumerate(self.assign[depth]) if a == copy_index]

    def copies(self, depth: int) -> nn.ModuleList:
        """The copies of trunk layer ``depth``."""
        copies = self.layers[depth]
        assert isinstance(copies, nn.ModuleList)  # noqa: S101 - built in __init__
        return copies

    def modules_with_users(self) -> list[tuple[nn.Module, list[int]]]:
        """Every parametrised part with the tasks using it (heads: one task each)."""
        parts: list[tuple[nn.Module, list[int]]] = []
        for depth in range(len(self.layers)):
            for k, layer in enumerate(self.copies(depth)):
                users = self.users(depth, k)
                if users:
                    parts.append((layer, users))
        parts += [(head, [t]) for t, head in enumerate(self.heads)]
        return parts

    def layer_above(self, depth: int, task: int) -> nn.Linear:
        """The linear map that reads task ``task``'s output of layer ``depth``."""
        if depth + 1 < len(self.layers):
            module = self.copies(depth + 1)[self.assign[depth + 1][task]]
        else:
            module = self.heads[task]
        assert isinstance(module, nn.Linear)  # noqa: S101 - built above
        return module

    def branch(self, depth: int, groups: Sequence[Sequence[int]]) -> bool:
        """Split the users of each copy of layer ``depth`` into ``groups``.

        Tasks that share a copy but fall in different groups get separate copies
        (the first group keeps the original, the others get deep copies with the same
        weights); tasks above must already be split at least as finely. Returns whether
        the structure changed.
        """
        changed = False
        row = self.assign[depth]
        copies = self.copies(depth)
        for k in range(len(copies)):
            users = set(self.users(depth, k))
            parts = [[t for t in g if t in users] for g in groups]
            parts = [p for p in parts if p]
            for part in parts[1:]:
                copies.append(copy.deepcopy(copies[k]))
                for t in part:
                    row[t] = len(copies) - 1
                changed = True
        return changed

    # ----- computation ------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits, shape (n, n_tasks)."""
        h = (x - self.mean) / self.scale
        outputs: dict[tuple[int, ...], torch.Tensor] = {(): h}
        keys: list[tuple[int, ...]] = [()] * self.n_tasks
        for depth in range(len(self.layers)):
            copies = self.copies(depth)
            next_outputs: dict[tuple[int, ...], torch.Tensor] = {}
            for t in range(self.n_tasks):
                key = (*keys[t], self.assign[depth][t])
                if key not in next_outputs:
                    next_outputs[key] = torch.relu(copies[self.assign[depth][t]](outputs[keys[t]]))
                keys[t] = key
            outputs = next_outputs
        return torch.cat([head(outputs[keys[t]]) for t, head in enumerate(self.heads)], dim=1)


class ProbabilityOutputs(nn.Module):
    """The network as exported: one [N, 2] probability output per task (negative, positive)."""

    def __init__(self, network: BranchedNetwork) -> None:
        super().__init__()
        self.network = network

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, ...]:
        positive = torch.sigmoid(self.network(features))
        return tuple(
            torch.stack([1.0 - positive[:, t], positive[:, t]], dim=1)
            for t in range(self.network.n_tasks)
        )
