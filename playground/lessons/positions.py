"""Lesson 8, positional encoding: the sinusoidal table exactly as the playground's PositionalEncoding adds it, its
waves, the dot product between positions (a function of the offset only), why self-attention needs it at all
(it is permutation-equivariant), and the reverse task trained with sinusoidal, learned and no positional encoding."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import torch

from playground.analysis import Analysis, analyze
from playground.i18n import t
from playground.lessons import TryIt
from playground.model import build_model
from playground.modules import PositionalEncoding
from playground.spec import Spec, from_data

BASE = 10000.0  # the base of the wavelengths, as in "Attention Is All You Need" and playground/modules.py

# ---------------------------------------------------------------- the sinusoidal table


def table(positions: int, d: int) -> np.ndarray:
    """The (positions, d) table PE, read from what PositionalEncoding adds to an all-zero input."""
    module = PositionalEncoding(d, max_len=positions)
    with torch.no_grad():
        return module(torch.zeros(1, positions, d))[0].numpy()


def frequency(dim: int, d: int) -> float:
    """ω of dimension `dim` (2i or 2i + 1 share ω_i = 1 / 10000^(2i/d)), in radians per position."""
    two_i = dim - dim % 2
    return 1.0 / BASE ** (two_i / d)


def wavelength(dim: int, d: int) -> float:
    """Positions per full period of dimension `dim`: 2π · 10000^(2i/d)."""
    return 2 * np.pi / frequency(dim, d)


def similarity(pe: np.ndarray) -> np.ndarray:
    """Dot products PE(p) · PE(q) of every pair of positions (positions × positions)."""
    pe64 = pe.astype(np.float64)
    return pe64 @ pe64.T


def offset_curve(offsets: np.ndarray, d: int) -> np.ndarray:
    """Σ_i cos(k ω_i): what PE(p) · PE(p + k) equals for every p, as a function of the offset k alone."""
    omegas = np.array([frequency(2 * i, d) for i in range(d // 2)])
    return np.cos(np.outer(np.asarray(offsets, dtype=np.float64), omegas)).sum(axis=1)


def offset_error(pe: np.ndarray) -> float:
    """The largest |PE(p) · PE(q) − Σ_i cos((p − q) ω_i)| over all pairs: float32 round-off of the table."""
    n, d = pe.shape
    p = np.arange(n)
    return float(np.abs(similarity(pe) - offset_curve((p[:, None] - p[None, :]).ravel(), d).reshape(n, n)).max())


# ---------------------------------------------------------------- the ablation: reverse with and without positions
SEQ_LEN, VOCAB, EMBED = 8, 10, 16
EPOCHS = 12
VARIANTS = ("sinusoidal", "learned", "none")  # the kind of positional encoding; "none" leaves the layer out
SOLVED = 0.99  # per-token test accuracy from which a run counts as having learned to reverse


def ablation_data(kind: str) -> dict:
    """The spec document of one arm of the ablation: lesson 6's Transformer on eight digits, PE of `kind` or none."""
    layers: list[dict] = [{"type": "Embedding", "embedding_dim": EMBED}]
    if kind != "none":
        layers.append({"type": "PositionalEncoding", **({"kind": kind} if kind == "learned" else {})})
    layers += [{"type": "TransformerBlock", "num_heads": 2, "dim_feedforward": 32}, {"type": "Linear", "out_features": VOCAB}]
    return {
        "dataset": {"name": "reverse", "seq_len": SEQ_LEN, "vocab_size": VOCAB, "n_samples": 1000, "test_fraction": 0.2, "seed": 0},
        "layers": layers,
        "loss": {"type": "CrossEntropyLoss"},
        "optimizer": {"type": "Adam", "lr": 0.01},
        "training": {"epochs": EPOCHS, "batch_size": 32, "seed": 0},
    }


def ablation_spec(kind: str) -> Spec:
    return from_data({"name": t(f"learn_positions.spec.{kind}"), **ablation_data(kind)})


def with_sinusoidal() -> Spec:
    return ablation_spec("sinusoidal")


def with_learned() -> Spec:
    return ablation_spec("learned")


def without_positions() -> Spec:
    return ablation_spec("none")


def blind_ceiling(x: np.ndarray) -> float:
    """The best per-token accuracy a model blind to positions can expect on reversing the sequences `x`.

    Such a model sees at position i only its token x_i and the multiset of the sequence. With independent uniform
    tokens, the target x_{T−1−i} is then equally likely any of the other T − 1 tokens, so the best guess is the most
    frequent of them: right with probability (its count) / (T − 1).
    """
    x = np.asarray(x)
    T = x.shape[1]
    total = 0.0
    for row in x:
        counts = Counter(row.tolist())
        for token in row.tolist():
            counts[token] -= 1
            total += max(counts.values()) / (T - 1)
            counts[token] += 1
    return total / x.size


@dataclass(frozen=True)
class Equivariance:
    without: float  # largest |f(Px) − P f(x)| for the model without positional encoding: round-off
    with_pe: float  # the same for the model with sinusoidal positional encoding: far from 0


@torch.no_grad()
def equivariance(ids: list[int], seed: int = 0) -> Equivariance:
    """Shuffle a sequence and compare each model's outputs with its outputs on the original, shuffled the same way."""
    x = torch.tensor([ids])
    perm = torch.randperm(len(ids), generator=torch.Generator().manual_seed(seed))
    gaps = []
    for kind in ("none", "sinusoidal"):
        model = build_model(analyze(ablation_spec(kind)).raise_if_invalid(), seed).eval()
        gaps.append(float((model(x[:, perm]) - model(x)[:, perm]).abs().max()))
    return Equivariance(*gaps)


def learned_table(model: torch.nn.Module) -> np.ndarray:
    """The first SEQ_LEN rows of a trained model's learned positional table (the rows the task uses)."""
    pe = next(m for m in model.modules() if isinstance(m, PositionalEncoding))
    return pe.pe.detach()[:SEQ_LEN].numpy()


def first_solved(accuracies: list[float]) -> int | None:
    """The first epoch (1-based) whose test accuracy reached SOLVED, or None."""
    return next((e for e, a in enumerate(accuracies, 1) if a >= SOLVED), None)


def analyses() -> dict[str, Analysis]:
    return {kind: analyze(ablation_spec(kind)).raise_if_invalid() for kind in VARIANTS}


TRY_IT = [TryIt("learn_positions.try.sinusoidal", with_sinusoidal), TryIt("learn_positions.try.none", without_positions),
          TryIt("learn_positions.try.learned", with_learned)]
