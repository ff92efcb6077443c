"""The stacked network: M independent models as batched tensors (leading dim M).

A trunk built by the spec's model family (``families``: the MLP, a sequence encoder, or any
registered one) under one stacked task head per task slot (``heads.StackedHeads``; STL = one
head), with the trainer's hashed dropout. The trunk's own hooks (a first layer computed outside
autograd, soft sharing's pull) are reached through the methods below.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .dropout import HashedDropout, step_keys
from .heads import ACT, StackedHeads
from .init_schemes import init_scheme
from .inputs import SparseBatch
from .output_heads import output_head
from .specs import ModelSpec


class StackedNetwork(nn.Module):
    """The family's trunk + stacked heads for M models of one chunk."""

    def __init__(
        self,
        spec: ModelSpec,
        n_models: int,
        in_dim: int,
        n_classes: Sequence[int],
        generators: Sequence[torch.Generator],
        device: torch.device,
        dtype: torch.dtype,
        seed_keys: torch.Tensor,
        embedding: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        if len(generators) != n_models:
            raise ValueError(f"need one generator per model: {len(generators)} != {n_models}")
        self.spec = spec
        self.n_models = n_models
        self.seed_keys = seed_keys
        self.dropout = HashedDropout(spec.dropout)
        self.act = ACT[spec.activation]
        scheme = init_scheme(spec.weight_init)
        # the trunk draws its weights first, the heads after (each from the models' generators)
        self.trunk = spec.family.build(
            spec, n_models, in_dim, len(n_classes), generators, device, dtype, embedding
        )
        self.heads = StackedHeads(
            n_models,
            self.trunk.out_dim,
            n_classes,
            spec.head_hidden,
            spec.activation,
            generators,
            device,
            dtype,
            hidden_init=scheme.hidden,
            output_init=scheme.output,
            output=output_head(spec.output_head),
        )

    # The MLP trunk's layers, read by the Grad-TAG probe and the tests.
    @property
    def weights(self) -> nn.ParameterList:
        return self.trunk.weights

    @property
    def biases(self) -> nn.ParameterList:
        return self.trunk.biases

    # ------------------------------------------------------------------ parameters
    def param_groups(self) -> list[tuple[nn.Parameter, int]]:
        """(parameter, group): group 0 = shared trunk, 1 + t = head of task slot t."""
        out: list[tuple[nn.Parameter, int]] = []
        for p in self.trunk.trainable():
            if p.shape[0] != self.n_models:
                raise ValueError(
                    f"trainable encoder parameter of shape {tuple(p.shape)} lacks the leading "
                    f"model dim {self.n_models}; every trainable parameter must be per model"
                )
            out.append((p, 0))
        for t in range(len(self.heads.out_w)):
            out.extend((p, 1 + t) for p in self.heads.params_of(t))
        return out

    def hand_written_grads(self) -> list[nn.Parameter]:
        """Parameters whose gradient ``finish_backward`` writes (the optimizer must not zero it)."""
        return self.trunk.hand_written_grads()

    # ------------------------------------------------------------------ forward
    def first_layer(self, x: SparseBatch | torch.Tensor) -> torch.Tensor | None:
        """The trunk's reusable first-layer product of ``x`` (the MLP's x @ W_0, (M, R, H),
        bias and activation not applied), or None when its trunk has none."""
        return self.trunk.first_layer(x)

    def forward(
        self,
        x: SparseBatch | torch.Tensor | None,
        epoch: int | None = None,
        step: int = 0,
        h0: torch.Tensor | None = None,
    ) -> list[torch.Tensor]:
        """Logits per task slot, each (M, R, C_t). ``epoch`` None = evaluation (no dropout).
        ``h0``: the trunk's first-layer product of these rows, when already computed (``x`` is
        then not read)."""
        train = epoch is not None and self.training

        def drop(h: torch.Tensor, layer: int) -> torch.Tensor:
            return self.dropout(h, step_keys(self.seed_keys, epoch, step, layer))

        dropout = drop if (train and self.spec.dropout > 0) else None
        h = self.trunk(x, dropout, train, h0)
        return self.heads(h, dropout)

    def pull_trunks(
        self, step_size: float, updated: torch.Tensor, all_updated: bool = False
    ) -> None:
        """Soft sharing's pull of the task trunks toward their mean after the optimizer step
        (a no-op for one shared trunk; see ``families.mlp.MLPTrunk.pull_trunks``)."""
        self.trunk.pull_trunks(step_size, updated, all_updated)

    def finish_backward(self) -> None:
        """After ``loss.backward()``: the trunk's hand-written gradients."""
        self.trunk.finish_backward()
