"""The batched maths equals plain PyTorch: M=1 stacked model vs nn.Sequential + torch.optim.Adam."""

import numpy as np
import pytest
import torch
from torch import nn

from mtl_pipeline.training import ModelSpec
from mtl_pipeline.training.dropout import seed_keys
from mtl_pipeline.training.inputs import DenseInput, SparseInput
from mtl_pipeline.training.losses import masked_cross_entropy
from mtl_pipeline.training.network import StackedNetwork
from mtl_pipeline.training.optim import StackedAdam

from .conftest import make_features

ACTS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}


def _linear(w, b):
    lin = nn.Linear(w.shape[0], w.shape[1]).double()
    with torch.no_grad():
        lin.weight.copy_(w.T)
        lin.bias.copy_(b)
    return lin


@pytest.mark.parametrize(
    "input_kind,activation,head_hidden,impl",
    [
        ("sparse", "relu", 0, "fused"),
        ("dense", "sigmoid", 5, "fused"),
        ("sparse", "tanh", 5, "vectorised"),
    ],
)
def test_stacked_m1_equals_plain_pytorch(input_kind, activation, head_hidden, impl):
    X = make_features(n=80, v=30)
    cpu = torch.device("cpu")
    spec = ModelSpec(hidden_sizes=(12, 7), activation=activation, head_hidden=head_hidden)
    net = StackedNetwork(
        spec,
        1,
        30,
        [2, 3],
        [torch.Generator().manual_seed(4)],
        cpu,
        torch.float64,
        seed_keys([4], cpu),
    )
    opt = StackedAdam(net.param_groups(), 1, 3, lr=1e-2, impl=impl)
    inp = (
        SparseInput(X, cpu, torch.float64)
        if input_kind == "sparse"
        else DenseInput(X, cpu, torch.float64)
    )

    act = ACTS[activation]
    trunk = nn.Sequential(
        _linear(net.weights[0][0], net.biases[0][0]), act(),
        _linear(net.weights[1][0], net.biases[1][0]), act(),
    )  # fmt: skip
    heads = []
    for t in range(2):
        layers = []
        if head_hidden:
            layers += [_linear(net.heads.hidden_w[t][0], net.heads.hidden_b[t][0]), act()]
        layers.append(_linear(net.heads.out_w[t][0], net.heads.out_b[t][0]))
        heads.append(nn.Sequential(*layers))
    ref_params = [*trunk.parameters(), *heads[0].parameters(), *heads[1].parameters()]
    ref_opt = torch.optim.Adam(ref_params, lr=1e-2)
    Xd = torch.as_tensor(X.toarray())

    rng = np.random.default_rng(0)
    B = 8
    for step in range(6):
        rows = rng.integers(0, 80, 2 * B)
        y0, y1 = rng.integers(0, 2, B), rng.integers(0, 3, B)
        # stacked: one trunk pass over both tasks' rows, labels -1 outside each task's slot
        lab = torch.full((1, 2 * B, 2), -1, dtype=torch.int64)
        lab[0, :B, 0] = torch.as_tensor(y0)
        lab[0, B:, 1] = torch.as_tensor(y1)
        rows_t = torch.as_tensor(rows).view(1, -1)
        logits = net(inp.gather(rows_t, inp.nnz_of(rows)), epoch=0, step=step)
        loss = sum(masked_cross_entropy(logits[t], lab[..., t])[0].sum() for t in range(2))
        opt.zero_grad(skip=[net.weights[0]])
        loss.backward()
        net.finish_backward()
        opt.step()
        # reference
        ref_opt.zero_grad()
        h0, h1 = trunk(Xd[rows[:B]]), trunk(Xd[rows[B:]])
        ref_loss = nn.functional.cross_entropy(
            heads[0](h0), torch.as_tensor(y0)
        ) + nn.functional.cross_entropy(heads[1](h1), torch.as_tensor(y1))
        ref_loss.backward()
        ref_opt.step()
        assert loss.item() == pytest.approx(ref_loss.item(), rel=1e-10)

    def close(a, b):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-11)

    close(net.weights[0][0], trunk[0].weight.T)
    close(net.weights[1][0], trunk[2].weight.T)
    close(net.biases[1][0], trunk[2].bias)
    for t in range(2):
        close(net.heads.out_w[t][0], heads[t][-1].weight.T)
        close(net.heads.out_b[t][0], heads[t][-1].bias)


def test_masked_adam_leaves_skipped_models_and_heads_untouched():
    cpu = torch.device("cpu")
    for impl in ("fused", "vectorised"):
        p = nn.Parameter(torch.randn(3, 4, dtype=torch.float64))
        h = nn.Parameter(torch.randn(3, 2, dtype=torch.float64))
        opt = StackedAdam([(p, 0), (h, 1)], 3, 2, lr=0.1, impl=impl)
        refs = [torch.optim.Adam([nn.Parameter(p[m].detach().clone())], lr=0.1) for m in range(3)]
        ref_params = [r.param_groups[0]["params"][0] for r in refs]
        g = torch.Generator().manual_seed(1)
        masks = [[1, 1, 1], [1, 0, 1], [0, 0, 1], [1, 1, 1]]
        h0 = h.detach().clone()
        for mask in masks:
            grad = torch.randn(3, 4, generator=g, dtype=torch.float64)
            p.grad.copy_(grad)
            h.grad.fill_(1.0)
            upd = np.zeros((3, 2), dtype=bool)
            upd[:, 0] = mask
            opt.step(torch.as_tensor(upd, device=cpu), upd)
            for m in range(3):
                if mask[m]:
                    ref_params[m].grad = grad[m].clone()
                    refs[m].step()
        for m in range(3):
            torch.testing.assert_close(
                p[m].detach(), ref_params[m].detach(), rtol=1e-12, atol=1e-14
            )
        assert torch.equal(h.detach(), h0)  # group 1 never updated
        assert opt.steps[:, 0].tolist() == [3, 2, 4] and opt.steps[:, 1].tolist() == [0, 0, 0]
