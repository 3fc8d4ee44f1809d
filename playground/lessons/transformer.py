"""Lesson 7, multi-head attention and the Transformer block: a small Transformer with four heads, trained on the
reverse task, opened up on a sequence the learner types — the heads side by side, Concat and W_O, the residual paths
and the two LayerNorms of the playground's post-norm block, the feed-forward layer, and the causal mask."""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from playground.i18n import t
from playground.lessons import TryIt
from playground.lessons import attention as steps6
from playground.modules import SelfAttention, TransformerBlock
from playground.spec import Spec, from_data

SEQ_LEN, VOCAB, WIDTH, HEADS, HIDDEN = steps6.SEQ_LEN, steps6.VOCAB, 16, 4, 32
# Lesson 6's task and size with four heads of d_k = 4: the heads learn different versions of the mirror pattern, and
# the model reverses six digits perfectly after eight epochs on 800 sequences (about a second on one idle core).
DEMO = {
    "dataset": {"name": "reverse", "seq_len": SEQ_LEN, "vocab_size": VOCAB, "n_samples": 1000, "test_fraction": 0.2, "seed": 0},
    "layers": [{"type": "Embedding", "embedding_dim": WIDTH}, {"type": "PositionalEncoding"},
               {"type": "TransformerBlock", "num_heads": HEADS, "dim_feedforward": HIDDEN}, {"type": "Linear", "out_features": VOCAB}],
    "loss": {"type": "CrossEntropyLoss"},
    "optimizer": {"type": "Adam", "lr": 0.01},
    "training": {"epochs": 8, "batch_size": 32, "seed": 0},
}
# A GPT-style character model: one causal block. Ten epochs (about 10 s here) take it from chance to about 40 % of
# next characters right, twice what always guessing the commonest character (the space, 19 %) gets.
TEXT = {
    "dataset": {"name": "text", "seq_len": 32, "n_samples": 3000, "test_fraction": 0.2, "seed": 0},
    "layers": [{"type": "Embedding", "embedding_dim": 32}, {"type": "PositionalEncoding"},
               {"type": "TransformerBlock", "num_heads": 4, "dim_feedforward": 64, "causal": True},
               {"type": "Linear", "out_features": 39}],
    "loss": {"type": "CrossEntropyLoss"},
    "optimizer": {"type": "Adam", "lr": 0.003},
    "training": {"epochs": 10, "batch_size": 64, "seed": 0},
}


def demo_spec() -> Spec:
    return from_data({"name": t("learn_transformer.spec.heads", heads=HEADS), **DEMO})


def one_head_spec() -> Spec:
    """The demo model with one head of d_k = 16 instead of four of 4: the same parameters, one pattern."""
    layers = [dict(layer, num_heads=1) if layer["type"] == "TransformerBlock" else layer for layer in DEMO["layers"]]
    return from_data({"name": t("learn_transformer.spec.one_head"), **DEMO, "layers": layers})


def text_spec() -> Spec:
    return from_data({"name": t("learn_transformer.spec.text"), **TEXT})


@dataclass
class Demo(steps6.Demo):
    masked: nn.Module  # the same weights with the causal mask switched on
    by_position: np.ndarray  # (2, T): held-out accuracy per output position, without and with the mask

    @property
    def block(self) -> TransformerBlock:
        return next(m for m in self.model.modules() if isinstance(m, TransformerBlock))


def train_demo() -> Demo:
    """Train the demo model headless as Train would, and measure what the causal mask does to it."""
    base = steps6.train_demo(demo_spec())
    masked = copy.deepcopy(base.model)
    for module in masked.modules():
        if isinstance(module, SelfAttention):
            module.causal = True
    x, y = base.analysis.dataset.x_test, base.analysis.dataset.y_test
    with torch.no_grad():
        by_position = np.stack([(m(x).argmax(-1) == y).float().mean(0).numpy() for m in (base.model, masked)])
    return Demo(base.model, base.analysis, base.test_accuracy, masked, by_position)


@torch.no_grad()
def predict(demo: Demo, ids: list[int], causal: bool = False) -> list[int]:
    return (demo.masked if causal else demo.model)(torch.tensor([ids]))[0].argmax(-1).tolist()


@dataclass
class Norm:
    """LayerNorm written out for each row z of a (T, d) matrix: (z − μ)/√(σ² + ε), then γ ⊙ · + β."""

    mean: np.ndarray  # (T,): μ of each row, over its d features
    std: np.ndarray  # (T,): √(σ² + ε), σ² the biased variance (divided by d), as LayerNorm uses
    standardized: np.ndarray  # (T, d): (z − μ)/√(σ² + ε), each row with mean 0 and standard deviation ≈ 1
    output: np.ndarray  # (T, d): γ ⊙ standardized + β


@torch.no_grad()
def layer_norm_steps(norm: nn.LayerNorm, z: torch.Tensor) -> Norm:
    mean = z.mean(-1, keepdim=True)
    std = torch.sqrt(z.var(-1, unbiased=False, keepdim=True) + norm.eps)
    standardized = (z - mean) / std
    out = norm.weight * standardized + norm.bias
    return Norm(mean[:, 0].numpy(), std[:, 0].numpy(), standardized.numpy(), out.numpy())


@dataclass
class BlockSteps:
    """The playground's post-norm block on one sequence X: X' = LN₁(X + MHA(X)), Y = LN₂(X' + FFN(X'))."""

    attention: steps6.Steps  # X, Q, K, V, the (masked) scores and weights, the heads, Concat, MHA(X)
    contributions: np.ndarray  # (heads, T, d): head_h · W_O^(h), one block of W_O's rows per head; they sum to MHA(X) − b_O
    sum1: np.ndarray  # X + MHA(X): the first residual connection
    norm1: Norm  # X' = LN₁(X + MHA(X))
    hidden: np.ndarray  # (T, dim_feedforward): ReLU(X' W₁ + b₁)
    feedforward: np.ndarray  # FFN(X') = hidden · W₂ + b₂
    sum2: np.ndarray  # X' + FFN(X'): the second residual connection
    norm2: Norm  # Y = LN₂(X' + FFN(X')): the block's output

    @property
    def output(self) -> np.ndarray:
        return self.norm2.output


@torch.no_grad()
def block_steps(block: TransformerBlock, x: torch.Tensor, causal: bool = False) -> BlockSteps:
    """Every intermediate of the block on one sequence `x` (T, d), in eval mode (dropout off), from its own weights."""
    att = steps6.attention_steps(block.attention, x, causal)
    heads, d_k = att.heads_out.shape[0], att.d_k
    w_o = block.attention.out_proj.weight.T  # (d, d): row block h multiplies head h's columns of Concat
    contributions = np.stack([att.heads_out[h] @ w_o[h * d_k:(h + 1) * d_k].numpy() for h in range(heads)])
    sum1 = x + torch.from_numpy(att.output)
    norm1 = layer_norm_steps(block.norm1, sum1)
    x1 = torch.from_numpy(norm1.output)
    first, _, _, second = block.feedforward
    hidden = first(x1).relu()
    feedforward = second(hidden)
    sum2 = x1 + feedforward
    return BlockSteps(att, contributions, sum1.numpy(), norm1, hidden.numpy(), feedforward.numpy(), sum2.numpy(),
                      layer_norm_steps(block.norm2, sum2))


def causal_mask(length: int, causal: bool = True) -> np.ndarray:
    """M with M_ij = 0 where query i may look at key j (j ≤ i) and −∞ where j is in its future; all 0 without a mask."""
    return np.where(np.triu(np.ones((length, length), dtype=bool), 1) & causal, -np.inf, 0.0)


def encoder_layer(block: TransformerBlock) -> nn.TransformerEncoderLayer:
    """PyTorch's own post-norm encoder layer carrying the block's weights: the oracle for the block's output."""
    att = block.attention
    layer = nn.TransformerEncoderLayer(att.embed_dim, att.num_heads, block.feedforward[0].out_features, dropout=0.0,
                                       batch_first=True, norm_first=False)
    first, _, _, second = block.feedforward
    layer.load_state_dict({
        "self_attn.in_proj_weight": att.in_proj.weight, "self_attn.in_proj_bias": att.in_proj.bias,
        "self_attn.out_proj.weight": att.out_proj.weight, "self_attn.out_proj.bias": att.out_proj.bias,
        "linear1.weight": first.weight, "linear1.bias": first.bias, "linear2.weight": second.weight, "linear2.bias": second.bias,
        "norm1.weight": block.norm1.weight, "norm1.bias": block.norm1.bias,
        "norm2.weight": block.norm2.weight, "norm2.bias": block.norm2.bias})
    return layer.eval()


@torch.no_grad()
def pytorch_differences(block: TransformerBlock, steps: BlockSteps, causal: bool = False) -> tuple[float, float]:
    """The largest differences of the steps' attention weights from nn.MultiheadAttention's (with the causal mask as
    `attn_mask` when it is on), and of their block output from nn.TransformerEncoderLayer's: float round-off."""
    layer = encoder_layer(block)
    x = torch.from_numpy(steps.attention.x)[None]
    mask = torch.ones(x.shape[1], x.shape[1], dtype=torch.bool).triu(1) if causal else None
    _, weights = layer.self_attn(x, x, x, attn_mask=mask, need_weights=True, average_attn_weights=False)
    out = layer(x, src_mask=mask, is_causal=causal)
    return float(np.abs(weights[0].numpy() - steps.attention.weights).max()), float(np.abs(out[0].numpy() - steps.output).max())


def attention_parameters(embed_dim: int, heads: list[int]) -> list[int]:
    """Parameters of nn.MultiheadAttention(embed_dim, h) for each h: the same for every number of heads."""
    return [sum(p.numel() for p in nn.MultiheadAttention(embed_dim, h).parameters()) for h in heads]


TRY_IT = [TryIt("learn_transformer.try.one_head", one_head_spec), TryIt("learn_transformer.try.heads", demo_spec),
          TryIt("learn_transformer.try.text", text_spec)]
