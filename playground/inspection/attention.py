"""Self-attention opened up: the weights each head gave, and the formula's intermediates step by step."""
from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch
from torch import nn

from playground.analysis import LayerInfo
from playground.inspection.core import AtLayer
from playground.modules import SelfAttention


@dataclass
class AttentionTrace(AtLayer):
    """The attention weights of a MultiheadAttention or TransformerBlock layer (or a Residual around one)."""

    weights: np.ndarray  # (heads, T, T): rows are queries and sum to 1
    causal: bool
    d_k: int = 0  # size of each head's queries and keys

    @property
    def heads(self) -> int:
        return self.weights.shape[0]


@contextmanager
def captured(model: nn.Module) -> Iterator[dict[int, torch.Tensor]]:
    """Turn on weight capture in every self-attention module; yields id(module) -> weights after the pass."""
    modules = [m for m in model.modules() if isinstance(m, SelfAttention)]
    saved = [(m.capture, m.last_weights) for m in modules]
    weights: dict[int, torch.Tensor] = {}
    try:
        for m in modules:
            m.capture = True
        yield weights
        weights.update({id(m): m.last_weights for m in modules if m.last_weights is not None})
    finally:
        for m, (capture, last) in zip(modules, saved):
            m.capture, m.last_weights = capture, last


def attention_traces(index: int, info: LayerInfo, layer: nn.Module, weights: dict[int, torch.Tensor]) -> list[AttentionTrace]:
    """The captured weights of every self-attention module inside top-level layer `index` (first sample)."""
    return [AttentionTrace(index, info.type, info.label, weights[id(m)][0].numpy(), m.causal, m.head_dim)
            for m in layer.modules() if isinstance(m, SelfAttention) and id(m) in weights]


@dataclass
class AttentionSteps:
    """softmax(QKᵀ/√d_k + M)·V written out for one sequence; per-head arrays are (heads, T, ·)."""

    x: np.ndarray  # (T, d): the layer's input
    q: np.ndarray  # (heads, T, d_k): Q = X W_Q + b_Q, split into heads
    k: np.ndarray
    v: np.ndarray
    scores: np.ndarray  # (heads, T, T): Q Kᵀ
    scaled: np.ndarray  # QKᵀ/√d_k, with −∞ on masked (future) keys
    weights: np.ndarray  # row-wise softmax of `scaled`
    heads_out: np.ndarray  # (heads, T, d_k): weights · V
    concat: np.ndarray  # (T, d): Concat(head_1, …, head_h)
    output: np.ndarray  # (T, d): concat W_Oᵀ + b_O
    causal: bool


@torch.no_grad()
def attention_steps(module: SelfAttention, x: torch.Tensor) -> AttentionSteps:
    """Every intermediate of self-attention on one sequence `x` (T, d), from the module's own weights."""
    d, h = module.embed_dim, module.num_heads
    d_k, T = d // h, x.shape[0]
    w, b = module.in_proj.weight, module.in_proj.bias
    q, k, v = ((x @ w[s * d:(s + 1) * d].T + (0 if b is None else b[s * d:(s + 1) * d])).view(T, h, d_k).transpose(0, 1)
               for s in range(3))
    scores = q @ k.transpose(-2, -1)
    scaled = scores / math.sqrt(d_k)
    if module.causal:
        scaled = scaled.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf"))
    weights = scaled.softmax(dim=-1)
    heads_out = weights @ v
    concat = heads_out.transpose(0, 1).reshape(T, d)
    out = module.out_proj(concat)
    arrays = [a.numpy() for a in (x, q, k, v, scores, scaled, weights, heads_out, concat, out)]
    return AttentionSteps(*arrays, causal=module.causal)
