"""The layers PyTorch lacks, written out so a learner can map code to formula.

This file imports only torch and math: `playground export` copies these classes verbatim into
the standalone model file.
"""
import math

import torch
from torch import nn


class SelfAttention(nn.Module):
    """Multi-head self-attention: softmax(QKᵀ/√d_k)·V per head, heads concatenated, then W^O."""

    def __init__(self, embed_dim: int, num_heads: int, causal: bool = False, dropout: float = 0.0, bias: bool = True):
        super().__init__()
        self.embed_dim, self.num_heads, self.causal = embed_dim, num_heads, causal
        self.head_dim = embed_dim // num_heads
        self.in_proj = nn.Linear(embed_dim, 3 * embed_dim, bias=bias)  # W^Q, W^K, W^V stacked
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)  # W^O
        self.dropout = nn.Dropout(dropout)
        self.capture = False  # inspection turns this on to keep the attention weights
        self.last_weights: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, seq, _ = x.shape
        q, k, v = self.in_proj(x).split(self.embed_dim, dim=-1)
        # (batch, seq, embed) -> (batch, heads, seq, head_dim)
        q, k, v = (t.view(batch, seq, self.num_heads, self.head_dim).transpose(1, 2) for t in (q, k, v))
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_dim)
        if self.causal:
            future = torch.ones(seq, seq, dtype=torch.bool, device=x.device).triu(1)
            scores = scores.masked_fill(future, float("-inf"))
        weights = scores.softmax(dim=-1)
        if self.capture:
            self.last_weights = weights.detach()
        out = self.dropout(weights) @ v
        out = out.transpose(1, 2).reshape(batch, seq, self.embed_dim)  # Concat(head_1..head_h)
        return self.out_proj(out)


class TransformerBlock(nn.Module):
    """Post-norm encoder block as in "Attention Is All You Need": x = LN(x + MHA(x)); x = LN(x + FFN(x))."""

    def __init__(self, embed_dim: int, num_heads: int, dim_feedforward: int, dropout: float = 0.0, causal: bool = False):
        super().__init__()
        self.attention = SelfAttention(embed_dim, num_heads, causal=causal, dropout=dropout)
        self.norm1 = nn.LayerNorm(embed_dim)
        self.feedforward = nn.Sequential(
            nn.Linear(embed_dim, dim_feedforward),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(dim_feedforward, embed_dim),
        )
        self.norm2 = nn.LayerNorm(embed_dim)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm1(x + self.dropout1(self.attention(x)))
        return self.norm2(x + self.dropout2(self.feedforward(x)))


class PositionalEncoding(nn.Module):
    """Adds position information: sinusoidal PE(pos,2i)=sin(pos/10000^(2i/d)), PE(pos,2i+1)=cos(·), or learned."""

    def __init__(self, embed_dim: int, max_len: int = 256, kind: str = "sinusoidal"):
        super().__init__()
        self.kind = kind
        if kind == "learned":
            self.pe = nn.Parameter(torch.randn(max_len, embed_dim) * 0.02)
        else:
            self.register_buffer("pe", sinusoidal_table(max_len, embed_dim), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.pe[: x.shape[1]]


def sinusoidal_table(max_len: int, embed_dim: int) -> torch.Tensor:
    """The (max_len, embed_dim) table of sinusoidal position encodings."""
    pos = torch.arange(max_len, dtype=torch.float32).unsqueeze(1)
    two_i = torch.arange(0, embed_dim, 2, dtype=torch.float32)
    angle = pos / torch.pow(10000.0, two_i / embed_dim)
    table = torch.zeros(max_len, embed_dim)
    table[:, 0::2] = torch.sin(angle)
    table[:, 1::2] = torch.cos(angle[:, : embed_dim // 2])
    return table


class SequencePool(nn.Module):
    """Turns a sequence (seq, d) into one vector (d) by its mean, max, first or last step."""

    def __init__(self, mode: str = "mean"):
        super().__init__()
        self.mode = mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "mean":
            return x.mean(dim=1)
        if self.mode == "max":
            return x.max(dim=1).values
        if self.mode == "first":
            return x[:, 0]
        return x[:, -1]


class Reshape(nn.Module):
    """Reshapes each sample to `shape` (the batch dimension is kept)."""

    def __init__(self, shape: list[int]):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.shape)


class Residual(nn.Module):
    """A skip connection: y = x + F(x), where F is the inner stack of layers."""

    def __init__(self, *layers: nn.Module):
        super().__init__()
        self.inner = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.inner(x)


class Recurrent(nn.Module):
    """Wraps nn.RNN / nn.LSTM / nn.GRU (batch-first) and returns the whole output sequence."""

    def __init__(self, cell: nn.Module):
        super().__init__()
        self.cell = cell

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cell(x)[0]


INPUT_FEATURES = {  # TensorFlow Playground's input features of a 2-D point
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: torch.sin(x1),
    "sin(x2)": lambda x1, x2: torch.sin(x2),
}


class InputFeatures(nn.Module):
    """Turns each 2-D point (x1, x2) into the chosen features, e.g. x1², x2², x1·x2, sin x1, stacked side by side."""

    def __init__(self, features: list[str]):
        super().__init__()
        self.features = tuple(features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1, x2 = x[:, 0], x[:, 1]
        return torch.stack([INPUT_FEATURES[name](x1, x2) for name in self.features], dim=1)


class Net(nn.Sequential):
    """The whole model: the layers applied one after another (an nn.Sequential with a clearer name)."""
