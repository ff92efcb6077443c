"""Tests for the stacked sequence encoders (Joshi et al. 2019 BiLSTM / CNN / BiLSTM+CNN).

They prove: stacking M models equals running each alone (outputs, gradients, init); the BiLSTM
equals ``torch.nn.LSTM`` and the CNN equals ``torch.nn.Conv1d`` + max-pool on the unpadded
sequences; padding never changes a result; shapes, errors, dropout; and that each encoder learns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
import torch

from mtl_pipeline.training.families.bilstm import StackedBiLSTM, _reference_bilstm_forward
from mtl_pipeline.training.families.cnn import _conv_grouped, _conv_unfold_bmm
from mtl_pipeline.training.families.sequence import StackedEncoder, build_sequence_encoder
from mtl_pipeline.training.specs import SEQUENCE_ENCODERS

DT = torch.float64
VOCAB, DIM = 13, 5


@dataclass(frozen=True)
class Spec:
    """Stand-in for ``ModelSpec``: only the attributes the encoders read."""

    encoder: str = "bilstm"
    units: int = 3
    kernel_sizes: tuple[int, ...] = (3,)
    dropout: float = 0.0
    train_embedding: bool = False
    activation: str = "relu"


def gens(*seeds: int) -> list[torch.Generator]:
    return [torch.Generator().manual_seed(s) for s in seeds]


def embedding(seed: int = 0, vocab: int = VOCAB, dim: int = DIM) -> torch.Tensor:
    # Row 0 (padding) is deliberately NOT zero: the encoders must ignore it through the masks.
    return torch.randn(vocab, dim, generator=torch.Generator().manual_seed(seed), dtype=DT)


def tokens(m: int, b: int, length: int, seed: int, min_len: int = 1) -> torch.Tensor:
    """Right-padded random ids in [1, VOCAB) with per-sequence lengths in [min_len, length]."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(1, VOCAB, (m, b, length), generator=g)
    lengths = torch.randint(min_len, length + 1, (m, b), generator=g)
    lengths[..., 0] = length  # at least one full-length sequence per model
    pad = torch.arange(length).view(1, 1, -1) >= lengths.unsqueeze(-1)
    return x.masked_fill(pad, 0)


def enc(kind: str, seeds: tuple[int, ...], emb: torch.Tensor | None = None, **kw) -> StackedEncoder:
    spec = Spec(encoder=kind, **kw)
    return build_sequence_encoder(
        spec, len(seeds), gens(*seeds), embedding() if emb is None else emb
    )


KINDS = list(SEQUENCE_ENCODERS)
# torch.nn.Conv1d(padding="same") warns that even kernels need a padded copy: expected, harmless.
EVEN_SAME = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")


# --------------------------------------------------------------------------------------------
# 1. stacked == alone
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("train_embedding", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_stacked_equals_alone_outputs_and_gradients(kind: str, train_embedding: bool) -> None:
    seeds = (11, 22, 33)
    kw = dict(kernel_sizes=(2, 3), train_embedding=train_embedding)
    stacked = enc(kind, seeds, **kw).eval()
    x = tokens(3, 4, 6, seed=5)
    head = torch.randn(3, 4, stacked.out_dim, dtype=DT, generator=torch.Generator().manual_seed(1))
    out = stacked(x)
    (out * head).sum().backward()
    for m, seed in enumerate(seeds):
        alone = enc(kind, (seed,), **kw).eval()
        out_alone = alone(x[m : m + 1])
        (out_alone * head[m : m + 1]).sum().backward()
        torch.testing.assert_close(out[m : m + 1], out_alone, rtol=1e-10, atol=1e-12)
        named = dict(alone.named_parameters())
        assert set(named) == {n for n, _ in stacked.named_parameters()}
        for name, p in stacked.named_parameters():
            # identical initial weights (init independence) and identical gradients
            torch.testing.assert_close(p.detach()[m : m + 1], named[name].detach(), rtol=0, atol=0)
            torch.testing.assert_close(p.grad[m : m + 1], named[name].grad, rtol=1e-10, atol=1e-12)


def test_init_does_not_depend_on_other_generators_and_is_drawn_from_own_generator() -> None:
    a = enc("bilstm_cnn", (1, 2, 3))
    b = enc("bilstm_cnn", (9, 2, 8, 7))
    c = enc("bilstm_cnn", (4, 5, 6))
    for (name, pa), (_, pb), (_, pc) in zip(
        a.named_parameters(), b.named_parameters(), c.named_parameters(), strict=True
    ):
        torch.testing.assert_close(pa[1], pb[1], rtol=0, atol=0, msg=name)
        assert not torch.equal(pa[1], pc[1]), name  # another seed really gives other weights
    # uniform ±1/sqrt(H) like torch.nn.LSTM
    assert a.lstm is not None
    bound = 1 / math.sqrt(3)
    for p in a.lstm.parameters():
        assert p.abs().max() <= bound and p.abs().max() > 0.5 * bound


# --------------------------------------------------------------------------------------------
# 2. BiLSTM == torch.nn.LSTM(bidirectional=True)
# --------------------------------------------------------------------------------------------
def torch_lstm_for(model: StackedBiLSTM, m: int) -> torch.nn.LSTM:
    ref = torch.nn.LSTM(
        model.input_size, model.units, batch_first=True, bidirectional=True, dtype=DT
    )
    with torch.no_grad():
        for d, suffix in enumerate(("", "_reverse")):
            getattr(ref, f"weight_ih_l0{suffix}").copy_(model.weight_ih[m, d].T)
            getattr(ref, f"weight_hh_l0{suffix}").copy_(model.weight_hh[m, d].T)
            getattr(ref, f"bias_ih_l0{suffix}").copy_(model.bias_ih[m, d])
            getattr(ref, f"bias_hh_l0{suffix}").copy_(model.bias_hh[m, d])
    return ref


def test_bilstm_equals_torch_lstm_on_unpadded_sequences() -> None:
    lstm = StackedBiLSTM(2, gens(3, 4), input_size=DIM, units=4, dtype=DT)
    inputs = torch.randn(2, 3, 7, DIM, dtype=DT, generator=torch.Generator().manual_seed(0))
    mask = torch.ones(2, 3, 7, dtype=torch.bool)
    final, seq = lstm(inputs, mask, return_sequence=True)
    assert final.shape == (2, 3, 8) and seq is not None and seq.shape == (2, 3, 7, 8)
    for m in range(2):
        ref_seq, (h_n, _) = torch_lstm_for(lstm, m)(inputs[m])
        torch.testing.assert_close(seq[m], ref_seq)
        torch.testing.assert_close(final[m], torch.cat([h_n[0], h_n[1]], dim=-1))


def test_bilstm_with_padding_equals_torch_lstm_on_trimmed_sequences() -> None:
    lstm = StackedBiLSTM(2, gens(3, 4), input_size=DIM, units=4, dtype=DT)
    x = tokens(2, 5, 8, seed=2)
    emb = embedding()
    inputs = emb[x]
    final, seq = lstm(inputs, x != 0, return_sequence=True)
    assert seq is not None
    for m in range(2):
        ref = torch_lstm_for(lstm, m)
        for i in range(5):
            n = int((x[m, i] != 0).sum())
            ref_seq, (h_n, _) = ref(inputs[m, i, :n].unsqueeze(0))
            torch.testing.assert_close(seq[m, i, :n], ref_seq[0])
            torch.testing.assert_close(seq[m, i, n:], torch.zeros_like(seq[m, i, n:]))
            torch.testing.assert_close(final[m, i], torch.cat([h_n[0, 0], h_n[1, 0]]))


def test_bilstm_encoder_output_is_final_forward_and_backward_state() -> None:
    model = enc("bilstm", (7, 8), units=4).eval()
    x = tokens(2, 4, 6, seed=9)
    out = model(x)
    assert model.lstm is not None
    emb = embedding()
    for m in range(2):
        ref = torch_lstm_for(model.lstm, m)
        for i in range(4):
            n = int((x[m, i] != 0).sum())
            _, (h_n, _) = ref(emb[x[m, i, :n]].unsqueeze(0))
            torch.testing.assert_close(out[m, i], torch.cat([h_n[0, 0], h_n[1, 0]]))


def _loss_and_grads(lstm, forward, inputs, mask, weights_final, weights_seq):
    final, seq = forward(lstm, inputs, mask, True)
    loss = (final * weights_final).sum() + (seq * weights_seq).sum()
    params = [lstm.weight_ih, lstm.weight_hh, lstm.bias_ih, lstm.bias_hh, inputs]
    return final, seq, torch.autograd.grad(loss, params)


@pytest.mark.parametrize("interior_padding", [False, True])
def test_hand_written_recurrence_equals_the_autograd_one_in_float64(interior_padding: bool) -> None:
    """Outputs and every gradient (weights, biases, inputs) of the hand-written backward equal
    the plain-autograd recurrence this project ran before, in float64 — right-padded sequences
    and, since a padded step only has to be skipped, ids of 0 inside a sequence too."""
    lstm = StackedBiLSTM(3, gens(5, 6, 7), input_size=DIM, units=4, dtype=DT)
    x = tokens(3, 6, 9, seed=4)
    if interior_padding:
        x[:, :, 2] = 0
        x[0, 1, :] = 0  # an empty sequence too
    gen = torch.Generator().manual_seed(3)
    inputs = embedding()[x].clone().requires_grad_(True)
    mask = x != 0
    w_final = torch.randn(3, 6, 8, dtype=DT, generator=gen)
    w_seq = torch.randn(3, 6, 9, 8, dtype=DT, generator=gen)
    new = _loss_and_grads(lstm, StackedBiLSTM.forward, inputs, mask, w_final, w_seq)
    ref = _loss_and_grads(lstm, _reference_bilstm_forward, inputs, mask, w_final, w_seq)
    torch.testing.assert_close(new[0], ref[0], rtol=1e-12, atol=1e-13)
    torch.testing.assert_close(new[1], ref[1], rtol=1e-12, atol=1e-13)
    for got, want in zip(new[2], ref[2], strict=True):
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)


def test_final_state_only_gradients_equal_the_autograd_ones() -> None:
    lstm = StackedBiLSTM(2, gens(1, 2), input_size=DIM, units=3, dtype=DT)
    x = tokens(2, 5, 7, seed=8)
    inputs, mask = embedding()[x], x != 0
    params = list(lstm.parameters())
    grads = []
    for forward in (StackedBiLSTM.forward, _reference_bilstm_forward):
        final, seq = forward(lstm, inputs, mask, False)
        assert seq is None
        grads.append(torch.autograd.grad(final.square().sum(), params))
    for got, want in zip(*grads, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)


def test_repeated_steps_give_the_gradients_of_a_fresh_encoder() -> None:
    """Step after step (other batch sizes and lengths), the same gradients a fresh encoder gives:
    nothing of one step's recurrence leaks into the next."""
    lstm = StackedBiLSTM(2, gens(1, 2), input_size=DIM, units=3, dtype=DT)
    for seed, (b, length) in enumerate([(4, 6), (3, 8), (5, 4)]):
        x = tokens(2, b, length, seed=seed)
        fresh = StackedBiLSTM(2, gens(1, 2), input_size=DIM, units=3, dtype=DT)
        for model in (lstm, fresh):
            model.zero_grad()
            final, _ = model(embedding()[x], x != 0)
            final.sum().backward()
        for p, q in zip(lstm.parameters(), fresh.parameters(), strict=True):
            torch.testing.assert_close(p.grad, q.grad, rtol=0, atol=0)


def test_two_forwards_before_one_backward_keep_their_own_saved_states() -> None:
    """Two forwards before one backward (e.g. two tasks' losses) give the gradients of two
    separate steps."""
    lstm = StackedBiLSTM(1, gens(3), input_size=DIM, units=3, dtype=DT)
    x1, x2 = tokens(1, 4, 6, seed=1), tokens(1, 4, 6, seed=2)
    emb = embedding()
    (lstm(emb[x1], x1 != 0)[0].sum() + lstm(emb[x2], x2 != 0)[0].sum()).backward()
    together = [p.grad.clone() for p in lstm.parameters()]
    lstm.zero_grad()
    for x in (x1, x2):
        lstm(emb[x], x != 0)[0].sum().backward()
    for p, want in zip(lstm.parameters(), together, strict=True):
        torch.testing.assert_close(p.grad, want, rtol=1e-12, atol=1e-13)


# --------------------------------------------------------------------------------------------
# 3. CNN == torch.nn.Conv1d + masked max-pool
# --------------------------------------------------------------------------------------------
def conv_reference(
    cnn, m: int, seq: torch.Tensor, activation=torch.relu
) -> torch.Tensor:  # seq: (n, C) real positions only
    outs = []
    for weight, bias, k in zip(cnn.weights, cnn.biases, cnn.kernel_sizes, strict=True):
        conv = torch.nn.Conv1d(cnn.in_channels, cnn.units, k, padding="same", dtype=DT)
        with torch.no_grad():
            conv.weight.copy_(weight[m])
            conv.bias.copy_(bias[m])
        fmap = activation(conv(seq.T.unsqueeze(0)))  # (1, F, n)
        outs.append(fmap[0].amax(dim=-1))
    return torch.cat(outs)


@EVEN_SAME
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_cnn_equals_torch_conv1d_with_masked_max_pool(activation: str) -> None:
    model = enc("cnn", (1, 2), units=3, kernel_sizes=(2, 3, 4), activation=activation).eval()
    x = tokens(2, 6, 7, seed=4)  # includes sequences shorter than the widest kernel
    out = model(x)
    assert model.cnn is not None and out.shape == (2, 6, 9)
    emb = embedding()
    act = {"relu": torch.relu, "tanh": torch.tanh}[activation]
    for m in range(2):
        for i in range(6):
            n = int((x[m, i] != 0).sum())
            ref = conv_reference(model.cnn, m, emb[x[m, i, :n]], act)
            torch.testing.assert_close(out[m, i], ref)


@EVEN_SAME
def test_bilstm_cnn_equals_torch_lstm_then_conv1d() -> None:
    model = enc("bilstm_cnn", (5, 6), units=3, kernel_sizes=(3, 2)).eval()
    x = tokens(2, 4, 6, seed=8)
    out = model(x)
    assert model.lstm is not None and model.cnn is not None and out.shape == (2, 4, 6)
    emb = embedding()
    for m in range(2):
        lstm = torch_lstm_for(model.lstm, m)
        for i in range(4):
            n = int((x[m, i] != 0).sum())
            seq, _ = lstm(emb[x[m, i, :n]].unsqueeze(0))
            torch.testing.assert_close(out[m, i], conv_reference(model.cnn, m, seq[0]))


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_grouped_conv_equals_unfold_bmm(k: int) -> None:
    g = torch.Generator().manual_seed(k)
    inputs = torch.randn(3, 4, 6, 5, dtype=DT, generator=g)
    weight = torch.randn(3, 2, 5, k, dtype=DT, generator=g)
    bias = torch.randn(3, 2, dtype=DT, generator=g)
    torch.testing.assert_close(
        _conv_grouped(inputs, weight, bias), _conv_unfold_bmm(inputs, weight, bias)
    )


# --------------------------------------------------------------------------------------------
# 4. padding invariance
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_appending_padding_does_not_change_outputs(kind: str) -> None:
    model = enc(kind, (3, 4), kernel_sizes=(2, 3)).eval()
    x = tokens(2, 5, 6, seed=1)
    out = model(x)
    longer = torch.cat([x, torch.zeros(2, 5, 4, dtype=x.dtype)], dim=-1)
    torch.testing.assert_close(model(longer), out)


@pytest.mark.parametrize("kind", KINDS)
def test_output_of_a_short_sequence_does_not_depend_on_its_batch(kind: str) -> None:
    """The masks (not the batch-wide trim) must make a padded sequence equal itself unpadded."""
    model = enc(kind, (3,), kernel_sizes=(3,)).eval()
    short = torch.tensor([[[4, 7, 2]]])
    long = torch.tensor([[[5, 1, 9, 3, 8, 6, 2, 11, 4]]])
    batch = torch.cat([torch.cat([short, torch.zeros(1, 1, 6, dtype=short.dtype)], -1), long], 1)
    torch.testing.assert_close(model(batch)[:, 0], model(short)[:, 0])
    torch.testing.assert_close(model(batch)[:, 1], model(long)[:, 0])


def test_all_padding_sequence_gives_zeros_without_nan() -> None:
    for kind in KINDS:
        model = enc(kind, (1,)).eval()
        x = torch.tensor([[[0, 0, 0], [3, 0, 0]]])
        out = model(x)
        assert torch.isfinite(out).all()
        torch.testing.assert_close(out[0, 0], torch.zeros_like(out[0, 0]))


# --------------------------------------------------------------------------------------------
# 5. shapes, errors, embedding, dropout
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "kernel_sizes", "expected"),
    [("bilstm", (3,), 8), ("cnn", (3,), 4), ("cnn", (2, 3, 5), 12), ("bilstm_cnn", (3, 4), 8)],
)
def test_shapes_and_out_dim(kind: str, kernel_sizes: tuple[int, ...], expected: int) -> None:
    model = enc(kind, (1, 2, 3), units=4, kernel_sizes=kernel_sizes)
    assert model.n_models == 3 and model.out_dim == expected
    out = model(tokens(3, 5, 7, seed=0))
    assert out.shape == (3, 5, expected) and out.dtype == DT


@pytest.mark.parametrize("bad", ["mlp", "transformer", "BiLSTM"])
def test_unknown_encoder_raises_value_error_naming_parameter_and_allowed(bad: str) -> None:
    with pytest.raises(ValueError, match=r"encoder.*'bilstm', 'cnn', 'bilstm_cnn'") as info:
        enc(bad, (1,))
    assert repr(bad) in str(info.value)


def test_other_invalid_arguments_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match="generators"):
        build_sequence_encoder(Spec(), 2, gens(1), embedding())
    with pytest.raises(ValueError, match="kernel_sizes"):
        enc("cnn", (1,), kernel_sizes=(0,))
    with pytest.raises(ValueError, match="activation"):
        enc("cnn", (1,), activation="gelu")
    with pytest.raises(ValueError, match="dropout"):
        enc("cnn", (1,), dropout=1.0)
    with pytest.raises(AttributeError, match="kernel_sizes"):
        build_sequence_encoder(object(), 1, gens(1), embedding())
    with pytest.raises(ValueError, match="embedding"):
        build_sequence_encoder(Spec(), 1, gens(1), torch.zeros(5, dtype=DT))
    model = enc("bilstm", (1, 2))
    with pytest.raises(ValueError, match="n_models=2"):
        model(tokens(3, 2, 4, seed=0))
    with pytest.raises(ValueError, match="int64"):
        model(tokens(2, 2, 4, seed=0).to(DT))


def test_embedding_frozen_by_default_trainable_copy_per_model_on_request() -> None:
    emb = embedding()
    frozen = enc("cnn", (1, 2), emb=emb)
    assert "embedding.weight" not in dict(frozen.named_parameters())
    assert dict(frozen.named_buffers())["embedding.weight"].shape == (VOCAB, DIM)
    trainable = enc("cnn", (1, 2), emb=emb, train_embedding=True)
    weight = dict(trainable.named_parameters())["embedding.weight"]
    assert weight.shape == (2, VOCAB, DIM)
    torch.testing.assert_close(weight[0], emb, rtol=0, atol=0)
    torch.testing.assert_close(weight[1], emb, rtol=0, atol=0)
    # training one model's copy leaves the caller's matrix and the other model's copy alone
    x = tokens(2, 3, 4, seed=0)
    (trainable(x)[0]).sum().backward()
    assert weight.grad is not None
    assert weight.grad[0].abs().sum() > 0 and weight.grad[1].abs().sum() == 0
    torch.testing.assert_close(emb, embedding(), rtol=0, atol=0)


def test_dropout_only_in_training_mode_and_per_model_generators_keep_stacked_equal_alone() -> None:
    x = tokens(2, 6, 5, seed=3)
    stacked = build_sequence_encoder(
        Spec(encoder="cnn", dropout=0.5), 2, gens(1, 2), embedding(), dropout_generators=gens(7, 8)
    )
    eval_out = stacked.eval()(x)
    torch.testing.assert_close(stacked(x), eval_out)  # eval: deterministic, no dropout
    train_out = stacked.train()(x)
    dropped = train_out == 0
    assert dropped.any() and not dropped.all()
    kept = ~dropped & (eval_out != 0)
    torch.testing.assert_close(train_out[kept], 2.0 * eval_out[kept])  # inverted dropout 1/(1-p)
    alone = build_sequence_encoder(
        Spec(encoder="cnn", dropout=0.5), 1, gens(2), embedding(), dropout_generators=gens(8)
    ).train()
    torch.testing.assert_close(alone(x[1:]), train_out[1:])


# --------------------------------------------------------------------------------------------
# 6. each encoder learns a toy task
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_each_encoder_learns_does_token_5_occur(kind: str) -> None:
    vocab, n, length = 12, 64, 8
    g = torch.Generator().manual_seed(123)
    x = torch.randint(1, vocab, (n, length), generator=g)
    lengths = torch.randint(3, length + 1, (n,), generator=g)
    x = x.masked_fill(torch.arange(length) >= lengths.unsqueeze(1), 0)
    x = x.masked_fill(x == 5, 6)
    has5 = torch.rand(n, generator=g) < 0.5
    pos = (torch.rand(n, generator=g) * lengths).long()
    x[has5, pos[has5]] = 5
    y = has5.float()
    emb = torch.randn(vocab, 6, generator=g)
    spec = Spec(encoder=kind, units=8, kernel_sizes=(3,), dropout=0.0)
    model = build_sequence_encoder(spec, 2, gens(1, 2), emb)
    head_w = torch.nn.Parameter(torch.zeros(2, model.out_dim, 1))
    head_b = torch.nn.Parameter(torch.zeros(2, 1, 1))
    opt = torch.optim.Adam([*model.parameters(), head_w, head_b], lr=0.02)
    xs = x.unsqueeze(0).expand(2, n, length)
    for _ in range(150):
        logits = (torch.bmm(model(xs), head_w) + head_b).squeeze(-1)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y.expand(2, n))
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        pred = (torch.bmm(model(xs), head_w) + head_b).squeeze(-1) > 0
    accuracy = (pred == has5).float().mean(dim=1)
    assert (accuracy >= 0.95).all(), accuracy
