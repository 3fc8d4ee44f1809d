"""Lesson 6, self-attention step by step: a small Transformer trained on the reverse task, opened up on a sequence
the learner types — X, then Q, K, V, the scores, the division by √d_k, the softmax, the weighted sum, W_O — every
number from the model's own weights, and why the scaling is there."""
from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from playground.analysis import Analysis, analyze
from playground.i18n import Msg, listing, msg, t
from playground.lessons import TryIt
from playground.modules import SelfAttention, TransformerBlock
from playground.spec import Spec, from_data
from playground.training import Trainer

SEQ_LEN, VOCAB = 6, 10
# The demo model: one post-norm Transformer block, d = 16 split into 2 heads of d_k = 8. It reverses sequences of
# six digits perfectly after six epochs (eight are trained), a few seconds, so the lesson can train it on first use.
DEMO = {
    "dataset": {"name": "reverse", "seq_len": SEQ_LEN, "vocab_size": VOCAB, "n_samples": 1000, "test_fraction": 0.2, "seed": 0},
    "layers": [{"type": "Embedding", "embedding_dim": 16}, {"type": "PositionalEncoding"},
               {"type": "TransformerBlock", "num_heads": 2, "dim_feedforward": 32}, {"type": "Linear", "out_features": VOCAB}],
    "loss": {"type": "CrossEntropyLoss"},
    "optimizer": {"type": "Adam", "lr": 0.01},
    "training": {"epochs": 8, "batch_size": 32, "seed": 0},
}
EXAMPLE = "3 1 4 1 5 9"


def demo_spec() -> Spec:
    return from_data({"name": t("learn_attention.spec.demo"), **DEMO})


@dataclass
class Demo:
    model: nn.Module
    analysis: Analysis
    test_accuracy: float  # per token, on the held-out sequences

    @property
    def attention(self) -> SelfAttention:
        return next(m for m in self.model.modules() if isinstance(m, TransformerBlock)).attention


def train_demo(spec: Spec | None = None) -> Demo:
    """Train the demo model (or another small one) headless, as Train would (same seed, same batches); seconds."""
    a = analyze(spec or demo_spec()).raise_if_invalid()
    trainer = Trainer(a)
    while not trainer.done:
        trainer.train_step()
    model = trainer.model.eval()
    return Demo(model, a, trainer.evaluate(a.dataset.x_test, a.dataset.y_test)[1])


class TokenError(ValueError):
    """Typed input the model cannot read, as one sentence for the learner."""

    def __init__(self, message: Msg):
        self.msg = message
        super().__init__(message.key)

    def __str__(self) -> str:
        return str(self.msg)


def parse_tokens(text: str, length: int = SEQ_LEN, vocab: int = VOCAB) -> list[int]:
    """'3 1 4 1 5 9', '314159' or '3,1,4,1,5,9' (full-width digits and commas too) → token ids; else TokenError."""
    plain = unicodedata.normalize("NFKC", text).replace(",", " ").replace("、", " ").strip()
    symbols = plain.split() if any(c.isspace() for c in plain) else list(plain)
    if not symbols:
        raise TokenError(msg("learn_attention.input.empty", length=length))
    allowed = {str(i) for i in range(vocab)}
    unknown = list(dict.fromkeys(s for s in symbols if s not in allowed))
    if unknown:
        raise TokenError(msg("learn_attention.input.unknown", symbols=listing([f"“{s[:12]}”" for s in unknown]), top=vocab - 1))
    if len(symbols) != length:
        raise TokenError(msg("learn_attention.input.length", length=length, count=len(symbols)))
    return [int(s) for s in symbols]


@dataclass
class Steps:
    """softmax(QKᵀ/√d_k)·V written out for one sequence; per-head arrays are (heads, T, ·)."""

    x: np.ndarray  # (T, d): embeddings plus positional encoding, the attention's input
    q: np.ndarray  # (heads, T, d_k): Q = X W_Q + b_Q, split into heads
    k: np.ndarray
    v: np.ndarray
    scores: np.ndarray  # (heads, T, T): Q Kᵀ
    scaled: np.ndarray  # Q Kᵀ / √d_k
    weights: np.ndarray  # row-wise softmax of `scaled`: it replaces the scores
    heads_out: np.ndarray  # (heads, T, d_k): weights · V
    concat: np.ndarray  # (T, d): Concat(head_1, …, head_h)
    output: np.ndarray  # (T, d): concat W_O + b_O

    @property
    def d_k(self) -> int:
        return self.q.shape[-1]


@torch.no_grad()
def attention_steps(module: SelfAttention, x: torch.Tensor, causal: bool = False) -> Steps:
    """Every intermediate of self-attention on one sequence `x` (T, d), from the module's own weights; `causal`
    masks each query's future keys (their scaled scores become −∞) whatever the module's own setting."""
    d, h = module.embed_dim, module.num_heads
    d_k, T = d // h, x.shape[0]
    w, b = module.in_proj.weight, module.in_proj.bias  # W_Q, W_K, W_V stacked as PyTorch stores them: (3d, d)
    q, k, v = ((x @ w[s * d:(s + 1) * d].T + b[s * d:(s + 1) * d]).view(T, h, d_k).transpose(0, 1) for s in range(3))
    scores = q @ k.transpose(-2, -1)
    scaled = scores / math.sqrt(d_k)
    if causal:
        scaled = scaled.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf"))
    weights = scaled.softmax(dim=-1)
    heads_out = weights @ v
    concat = heads_out.transpose(0, 1).reshape(T, d)
    out = module.out_proj(concat)
    return Steps(*(a.numpy() for a in (x, q, k, v, scores, scaled, weights, heads_out, concat, out)))


def mirror_head(steps: Steps) -> tuple[int, float]:
    """The head that looks most at the mirrored position (query i → key T − 1 − i), and its mean weight there."""
    mirrored = steps.weights[:, ::-1].diagonal(axis1=1, axis2=2).mean(axis=1)  # A[h, i, T − 1 − i] averaged over i
    head = int(mirrored.argmax())
    return head, float(mirrored[head])


@torch.no_grad()
def attention_input(demo: Demo, ids: list[int]) -> torch.Tensor:
    """X exactly as the model computes it: its Embedding, then its PositionalEncoding (T, d)."""
    x = torch.tensor([ids])
    for layer in demo.model:
        if isinstance(layer, TransformerBlock):
            return x[0]
        x = layer(x)
    raise ValueError("the demo model has no TransformerBlock")


@torch.no_grad()
def predict(demo: Demo, ids: list[int]) -> list[int]:
    return demo.model(torch.tensor([ids]))[0].argmax(-1).tolist()


# ---------------------------------------------------------------- why √d_k
def dot_variance(dims: list[int], samples: int = 20_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Measured variance of q·k and of q·k/√d_k for q, k with independent N(0, 1) entries, per dimension d_k."""
    g = torch.Generator().manual_seed(seed)
    raw, scaled = [], []
    for d in dims:
        dots = (torch.randn(samples, d, generator=g) * torch.randn(samples, d, generator=g)).sum(-1)
        raw.append(float(dots.var()))
        scaled.append(float((dots / math.sqrt(d)).var()))
    return np.array(raw), np.array(scaled)


@dataclass
class Saturation:
    d_k: int
    scores: np.ndarray  # one query's scores against the keys, unscaled
    plain: np.ndarray  # softmax(scores)
    scaled: np.ndarray  # softmax(scores / √d_k)
    plain_grad: float  # the largest |∂ softmax_i / ∂ score_j|: near 0 once the softmax has saturated
    scaled_grad: float


def saturation(d_k: int, keys: int = SEQ_LEN, seed: int = 0) -> Saturation:
    """One query against `keys` random keys (unit-variance entries): the softmax with and without the scaling."""
    g = torch.Generator().manual_seed(seed)
    q, k = torch.randn(d_k, generator=g), torch.randn(keys, d_k, generator=g)
    scores = k @ q

    def largest_gradient(s: torch.Tensor) -> float:
        return float(torch.autograd.functional.jacobian(lambda z: z.softmax(-1), s).abs().max())

    scaled = scores / math.sqrt(d_k)
    return Saturation(d_k, scores.numpy(), scores.softmax(-1).numpy(), scaled.softmax(-1).numpy(),
                      largest_gradient(scores), largest_gradient(scaled))


@torch.no_grad()
def multihead_difference(module: SelfAttention, steps: Steps) -> tuple[float, float]:
    """PyTorch's nn.MultiheadAttention with this module's weights, on the same X: the largest difference from the
    steps' attention weights and from their output (both are round-off, about 10⁻⁷)."""
    mha = nn.MultiheadAttention(module.embed_dim, module.num_heads, batch_first=True)
    mha.in_proj_weight.copy_(module.in_proj.weight)
    mha.in_proj_bias.copy_(module.in_proj.bias)
    mha.out_proj.weight.copy_(module.out_proj.weight)
    mha.out_proj.bias.copy_(module.out_proj.bias)
    x = torch.from_numpy(steps.x)[None]
    out, weights = mha.eval()(x, x, x, need_weights=True, average_attn_weights=False)
    return float(np.abs(weights[0].numpy() - steps.weights).max()), float(np.abs(out[0].numpy() - steps.output).max())


TRY_IT = [TryIt("learn_attention.try.reverse", demo_spec)]
