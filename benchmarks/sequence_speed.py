"""CPU time per model-step of the Joshi et al. sequence encoders: before, now, and plain PyTorch.

One *model-step* = one training step of one model: embedding lookup (frozen GloVe-sized table),
encoder, a Dense(25) + 2-class head, cross-entropy, backward, Adam. Stacked variants run M models
in one step and report the step's CPU time / M. Shapes are the Joshi protocol's: batch 32, up to
40 tokens, 50-d vectors, 25 units, dropout 0.25; sequence lengths are drawn from the real flu
tweets' token counts when ``--tweets`` points at them (else uniform in [5, 40]).

Variants, measured interleaved in one run (so machine load hits them alike), CPU time
(``time.process_time``) with ONE torch thread:
  before  the stacked encoder with the BiLSTM as this project ran it before the hand-written
          recurrence (``_reference_bilstm_forward``: autograd, ``steps[t]`` indexing)
  now     the stacked encoder as shipped
  plain   ``nn.LSTM(bidirectional=True)`` on packed sequences / ``nn.Conv1d``, one model at a
          time (M separate models, each its own step), the usual PyTorch way

Prints one line per (encoder, M, variant) and, for the BiLSTM at the largest M,
``speedup_vs_before=<x>`` and ``speedup_vs_plain=<y>``; plus the compute bound (GEMM FLOPs of a
BiLSTM model-step at this machine's measured batched-GEMM rate).

``--device cuda`` times the same steps on a GPU in wall time (``torch.cuda.synchronize`` around
each measurement; "plain" is then cuDNN's LSTM) and, from the BiLSTM/CNN/B+C figures, prints the
Joshi protocol's estimated training time on that device. "plain" is timed on at most
``--plain-models`` models (its cost is per model; a loop over 1,024 would only take longer).

    python benchmarks/sequence_speed.py                       # B, C, B+C at M = 1, 8, 32
    python benchmarks/sequence_speed.py --encoders bilstm --models 32 --repeats 5
    python benchmarks/sequence_speed.py --device cuda --models 32 256 1024
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from mtl_pipeline.training.families.bilstm import (  # noqa: E402
    StackedBiLSTM,
    _reference_bilstm_forward,
)
from mtl_pipeline.training.families.sequence import build_sequence_encoder  # noqa: E402

BATCH, LENGTH, DIM, UNITS, VOCAB, DROPOUT = 32, 40, 50, 25, 5000, 0.25


@dataclass(frozen=True)
class Spec:
    encoder: str
    units: int = UNITS
    kernel_sizes: tuple[int, ...] = (3,)
    dropout: float = DROPOUT
    train_embedding: bool = False
    activation: str = "relu"


def tweet_lengths(tweets: Path | None) -> torch.Tensor:
    """Token counts (capped at LENGTH) of the real flu tweets, or a uniform stand-in."""
    files = sorted(tweets.glob("RelatedVsNotRelated*.content.txt")) if tweets else []
    if not files:
        return torch.randint(5, LENGTH + 1, (4096,), generator=torch.Generator().manual_seed(0))
    from mtl_pipeline.text.tweets import tokenize_tweet

    counts = []
    for f in files:
        for line in f.read_text(encoding="utf-8", errors="replace").splitlines():
            text = line.split("\t", 2)[-1]
            counts.append(max(1, min(LENGTH, len(tokenize_tweet(text)))))
    return torch.tensor(counts)


def batch(
    m: int, lengths: torch.Tensor, g: torch.Generator, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """(M, B, L) right-padded ids, trimmed to the batch's longest sequence (as the trainer
    does), and (M, B) labels."""
    n = lengths[torch.randint(len(lengths), (m, BATCH), generator=g)]
    ids = torch.randint(2, VOCAB, (m, BATCH, LENGTH), generator=g)
    ids = ids.masked_fill(torch.arange(LENGTH).view(1, 1, -1) >= n.unsqueeze(-1), 0)
    ids = ids[..., : int(n.max())]
    return ids.to(device), torch.randint(0, 2, (m, BATCH), generator=g).to(device)


class StackedModel(nn.Module):
    """M stacked models: the project's encoder + a Dense(25)-ReLU-Dense(2) head per model."""

    def __init__(self, encoder: str, m: int, table: torch.Tensor) -> None:
        super().__init__()
        gens = [torch.Generator().manual_seed(i) for i in range(m)]
        drop = [torch.Generator(device=table.device).manual_seed(100 + i) for i in range(m)]
        self.encoder = build_sequence_encoder(Spec(encoder), m, gens, table, drop)
        d = self.encoder.out_dim
        self.w1 = nn.Parameter(torch.randn(m, d, UNITS) * d**-0.5)
        self.b1 = nn.Parameter(torch.zeros(m, 1, UNITS))
        self.w2 = nn.Parameter(torch.randn(m, UNITS, 2) * UNITS**-0.5)
        self.b2 = nn.Parameter(torch.zeros(m, 1, 2))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        z = self.encoder(ids, trimmed=True)
        return torch.baddbmm(self.b2, torch.relu(torch.baddbmm(self.b1, z, self.w1)), self.w2)


class PlainModel(nn.Module):
    """One model the usual PyTorch way: nn.LSTM on packed sequences and/or nn.Conv1d."""

    def __init__(self, encoder: str, table: torch.Tensor, seed: int) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.kind = encoder
        self.embedding = nn.Embedding.from_pretrained(table, freeze=True, padding_idx=0)
        width = DIM
        if encoder in ("bilstm", "bilstm_cnn"):
            self.lstm = nn.LSTM(DIM, UNITS, batch_first=True, bidirectional=True)
            width = 2 * UNITS
        if encoder in ("cnn", "bilstm_cnn"):
            self.conv = nn.Conv1d(width, UNITS, 3, padding=1)
            width = UNITS
        self.head = nn.Sequential(nn.Linear(width, UNITS), nn.ReLU(), nn.Linear(UNITS, 2))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        mask = ids != 0
        lengths = mask.sum(1).clamp(min=1).cpu()  # pack_padded_sequence takes CPU lengths
        h = self.embedding(ids)
        if self.kind in ("bilstm", "bilstm_cnn"):
            packed = nn.utils.rnn.pack_padded_sequence(
                h, lengths, batch_first=True, enforce_sorted=False
            )
            out, (h_n, _) = self.lstm(packed)
            if self.kind == "bilstm":
                return self.head(F.dropout(torch.cat([h_n[0], h_n[1]], -1), DROPOUT))
            h, _ = nn.utils.rnn.pad_packed_sequence(
                out, batch_first=True, total_length=ids.shape[1]
            )
        fmap = torch.relu(self.conv(h.transpose(1, 2))).masked_fill(~mask.unsqueeze(1), -1e9)
        return self.head(F.dropout(fmap.amax(dim=2), DROPOUT))


@contextlib.contextmanager
def bilstm_as_before() -> Iterator[None]:
    """Run StackedBiLSTM with the pre-rewrite forward (the benchmark's "before")."""
    saved = StackedBiLSTM.forward
    StackedBiLSTM.forward = _reference_bilstm_forward  # type: ignore[assignment]
    try:
        yield
    finally:
        StackedBiLSTM.forward = saved  # type: ignore[method-assign]


def stacked_step(model: StackedModel, opt, ids, labels) -> None:
    logits = model(ids)
    loss = F.cross_entropy(logits.reshape(-1, 2), labels.reshape(-1), reduction="sum")
    opt.zero_grad()
    loss.backward()
    opt.step()


def plain_steps(models, opts, ids, labels) -> None:
    for k, (model, opt) in enumerate(zip(models, opts, strict=True)):
        loss = F.cross_entropy(model(ids[k]), labels[k])
        opt.zero_grad()
        loss.backward()
        opt.step()


def per_model_ms(step: Callable[[], None], m: int, steps: int) -> float:
    """CPU time per model-step on the CPU; wall time (synchronised) on a GPU."""
    cuda = torch.cuda.is_available() and torch.cuda.is_initialized()
    clock = time.perf_counter if cuda else time.process_time
    step()  # warm-up (allocator, first-call paths)
    if cuda:
        torch.cuda.synchronize()
    start = clock()
    for _ in range(steps):
        step()
    if cuda:
        torch.cuda.synchronize()
    return (clock() - start) / steps / m * 1e3


def gemm_rate() -> float:
    """This machine's batched-GEMM rate (FLOP/s) on the BiLSTM's input-projection shape."""
    n = 64
    a, b = torch.randn(n, 4 * UNITS, DIM), torch.randn(n, DIM, BATCH * LENGTH)
    torch.bmm(a, b)
    start, reps = time.process_time(), 20
    for _ in range(reps):
        torch.bmm(a, b)
    return 2 * n * 4 * UNITS * DIM * BATCH * LENGTH * reps / (time.process_time() - start)


def bilstm_gemm_flops(length: float) -> float:
    """GEMM FLOPs of one BiLSTM model-step (both directions): input projection, recurrence,
    and their backward (dW_ih, dW_hh, dh; no dx, the table is frozen)."""
    per_direction = 2 * BATCH * length * 4 * UNITS * (2 * DIM + 3 * UNITS)
    return 2 * per_direction


def measure(
    encoder: str,
    m: int,
    data: tuple[torch.Tensor, torch.Tensor],
    table: torch.Tensor,
    steps: int,
    repeats: int,
    plain_models: int,
) -> dict[str, list[float]]:
    """Per-model-step ms of each variant, ``repeats`` times, the variants interleaved."""
    ids, labels = data
    stacked = StackedModel(encoder, m, table).to(table.device)
    opt = torch.optim.Adam(stacked.parameters(), lr=1e-3)
    n_plain = min(m, plain_models)
    plain = [PlainModel(encoder, table, seed=k).to(table.device) for k in range(n_plain)]
    plain_opts = [torch.optim.Adam(p.parameters(), lr=1e-3) for p in plain]

    def now() -> float:
        return per_model_ms(lambda: stacked_step(stacked, opt, ids, labels), m, steps)

    def before() -> float:
        with bilstm_as_before():
            return now()

    def one_at_a_time() -> float:
        return per_model_ms(lambda: plain_steps(plain, plain_opts, ids, labels), n_plain, steps)

    variants = {"now": now, "plain": one_at_a_time}
    if encoder != "cnn":  # the CNN did not change
        variants["before"] = before
    times: dict[str, list[float]] = {v: [] for v in variants}
    for _ in range(repeats):
        for name, run in variants.items():
            times[name].append(run())
    return times


#: Model-steps of the Joshi protocol per shared layer (tweets base configuration: 2 pairs × 10
#: folds × (2 STL + 1 MTL) × 20 epochs × steps per epoch of batch 32) and of its BiLSTM
#: auxiliary-share ablation; counted from the shared tweets' training-set sizes.
PROTOCOL_MODEL_STEPS = {"cv_per_encoder": 147_000, "ablation_bilstm": 600_000}


def print_protocol_estimate(results: dict[tuple[str, int, str], float], m: int) -> None:
    """The protocol's training time on this device from the stacked per-model-step figures."""
    total = 0.0
    for encoder in ("bilstm", "cnn", "bilstm_cnn"):
        if (encoder, m, "now") in results:
            total += results[(encoder, m, "now")] * PROTOCOL_MODEL_STEPS["cv_per_encoder"] / 1e3
    if ("bilstm", m, "now") in results:
        total += results[("bilstm", m, "now")] * PROTOCOL_MODEL_STEPS["ablation_bilstm"] / 1e3
    print(
        f"protocol estimate at M={m}: {total:.0f} s of training (model-steps × ms per model-step)"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--encoders", nargs="+", default=["bilstm", "cnn", "bilstm_cnn"])
    ap.add_argument("--models", nargs="+", type=int, default=[1, 8, 32])
    ap.add_argument("--steps", type=int, default=3, help="timed steps per measurement")
    ap.add_argument("--repeats", type=int, default=3, help="interleaved repeats (median kept)")
    ap.add_argument("--tweets", type=Path, default=Path("../shared/data/tweets"))
    ap.add_argument("--device", default="cpu", help="cpu (CPU time, 1 thread) or cuda (wall time)")
    ap.add_argument("--plain-models", type=int, default=32, help="plain models timed at most")
    args = ap.parse_args(argv)
    device = torch.device(args.device)
    torch.set_num_threads(1)
    lengths = tweet_lengths(args.tweets if args.tweets.exists() else None)
    table = (torch.randn(VOCAB, DIM, generator=torch.Generator().manual_seed(0)) * 0.1).to(device)
    g = torch.Generator().manual_seed(1)
    timer = "wall time, synchronised" if device.type == "cuda" else "1 thread, CPU time"
    mean_length = lengths.float().mean()
    print(f"torch {torch.__version__}, {device}, {timer}; mean tweet length {mean_length:.1f}")
    results: dict[tuple[str, int, str], float] = {}
    for encoder in args.encoders:
        for m in args.models:
            data = batch(m, lengths, g, device)
            times = measure(encoder, m, data, table, args.steps, args.repeats, args.plain_models)
            for name, ts in times.items():
                results[(encoder, m, name)] = statistics.median(ts)
                print(
                    f"encoder={encoder} M={m} variant={name} ms_per_model_step="
                    f"{results[(encoder, m, name)]:.2f} (repeats: {', '.join(f'{t:.2f}' for t in ts)})"
                )
    if "bilstm" in args.encoders:
        m = max(args.models)
        now = results[("bilstm", m, "now")]
        print(f"bilstm M={m}: speedup_vs_before={results[('bilstm', m, 'before')] / now:.2f}")
        print(f"bilstm M={m}: speedup_vs_plain={results[('bilstm', m, 'plain')] / now:.2f}")
        if device.type == "cuda":
            print_protocol_estimate(results, m)
            return 0
        rate = gemm_rate()
        mean_len = float(lengths.float().mean())
        trimmed = float(LENGTH)  # batches are trimmed to their longest tweet, ~the cap here
        bound = bilstm_gemm_flops(trimmed) / rate * 1e3
        print(
            f"bound: {bilstm_gemm_flops(trimmed) / 1e6:.0f} MFLOP of GEMM per BiLSTM model-step at "
            f"L={trimmed:.0f} (mean real length {mean_len:.1f}); batched GEMM {rate / 1e9:.1f} "
            f"GFLOP/s -> {bound:.2f} ms; now is {now / bound:.2f}x that"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
