"""The BiLSTM+CNN encoder (family ``bilstm_cnn``): the BiLSTM's per-timestep outputs
(``2·units``, zero at padding) feed the CNN (``bilstm.py``, ``cnn.py``); ``out_dim`` is the
CNN's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from .bilstm import StackedBiLSTM
from .cnn import stacked_cnn
from .registry import register
from .sequence import SequenceFamily, StackedEncoder


class BiLSTMCNNEncoder(StackedEncoder):
    """Embedding → BiLSTM (every timestep) → CNN → max-pool."""

    def build_layers(
        self, generators: Sequence[torch.Generator], spec: Any, units: int, dtype: torch.dtype
    ) -> int:
        self.lstm = StackedBiLSTM(self.n_models, generators, self.embedding.dim, units, dtype)
        self.cnn = stacked_cnn(self, generators, spec, self.lstm.out_dim, units, dtype)
        return self.cnn.out_dim

    def encode(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        _, seq = self.lstm(h, mask, return_sequence=True)
        return self.cnn(seq, mask)


@register
class BiLSTMCNN(SequenceFamily):
    name = "bilstm_cnn"
    encoder_class = BiLSTMCNNEncoder
