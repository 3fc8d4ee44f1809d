"""Convolution and pooling opened up: the learned kernels, and one output value worked out term by term.

Deep-learning libraries compute cross-correlation (the kernel is not flipped):
y(i, j) = b + Σ_c Σ_m Σ_n w_c(m, n)·x_c(i·s − p + d·m, j·s − p + d·n), with x = 0 in the padding.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import nn

from playground.analysis import Analysis
from playground.inspection.core import AtLayer

POOLS = {"MaxPool2d": "max", "AvgPool2d": "avg"}  # pooling layers whose windows `pool_step` opens


def output_size(n: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """PyTorch's output length of a sliding window: ⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1."""
    return (n + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


@dataclass
class KernelSet(AtLayer):
    """The learned kernels of a Conv1d or Conv2d layer."""

    weights: np.ndarray  # (out_channels, in_channels, k) or (out_channels, in_channels, k, k)
    bias: np.ndarray | None  # (out_channels,)
    stride: int
    padding: int
    dilation: int


def kernels(model: nn.Module, analysis: Analysis) -> list[KernelSet]:
    """The learned kernels of every top-level Conv1d/Conv2d layer (copies: the model may train on)."""
    out = []
    for i, (layer, info) in enumerate(zip(model, analysis.layers)):
        if isinstance(layer, (nn.Conv1d, nn.Conv2d)):
            bias = None if layer.bias is None else layer.bias.detach().numpy().copy()
            out.append(KernelSet(i, info.type, info.label, layer.weight.detach().numpy().copy(), bias,
                                 layer.stride[0], layer.padding[0], layer.dilation[0]))
    return out


@dataclass
class ConvStep:
    """The multiply-add behind one output pixel y(i, j) of one output channel."""

    i: int
    j: int
    input: np.ndarray  # (C, H, W), unpadded
    patch: np.ndarray  # (C, k, k): the input values under the kernel (zeros where it overlaps the padding)
    weight: np.ndarray  # (C, k, k)
    products: np.ndarray  # weight · patch, element by element
    total: float  # sum of the products
    bias: float
    result: float  # total + bias
    stride: int
    padding: int
    dilation: int

    @property
    def origin(self) -> tuple[int, int]:
        """Input coordinates of the kernel's top-left tap (negative inside the zero padding)."""
        return self.i * self.stride - self.padding, self.j * self.stride - self.padding


def _window(x: np.ndarray, k: int, stride: int, padding: int, dilation: int, i: int, j: int, fill: float) -> np.ndarray:
    """The (C, k, k) input values under a window at output (i, j); `fill` where it overlaps the padding."""
    height, width = x.shape[1:]
    out_h, out_w = output_size(height, k, stride, padding, dilation), output_size(width, k, stride, padding, dilation)
    if not (0 <= i < out_h and 0 <= j < out_w):
        raise ValueError(f"output pixel ({i}, {j}) is outside the {out_h}×{out_w} feature map")
    span = dilation * (k - 1) + 1
    padded = np.pad(x, ((0, 0), (padding, padding), (padding, padding)), constant_values=fill)
    r, c = i * stride, j * stride  # i·s − p + d·m, shifted by p into the padded array
    return padded[:, r:r + span:dilation, c:c + span:dilation]


def conv_step(x: np.ndarray, weight: np.ndarray, bias: float, stride: int, padding: int, i: int, j: int,
              dilation: int = 1) -> ConvStep:
    """y(i,j) = Σ_c Σ_m Σ_n w(c,m,n)·x(c, i·s − p + d·m, j·s − p + d·n) + b, exactly as nn.Conv2d computes it."""
    x, weight = np.asarray(x, dtype=np.float64), np.asarray(weight, dtype=np.float64)
    x = x[None] if x.ndim == 2 else x
    weight = weight[None] if weight.ndim == 2 else weight
    patch = _window(x, weight.shape[-1], stride, padding, dilation, i, j, 0.0)
    products = weight * patch
    total = float(products.sum())
    return ConvStep(i, j, x, patch, weight, products, total, float(bias), total + float(bias), stride, padding, dilation)


@dataclass
class PoolStep:
    """One pooling window of one channel: its values and the maximum or mean taken over them."""

    i: int
    j: int
    kind: str  # max or avg
    window: np.ndarray  # (k, k); −∞ (max) or 0 (avg) where the window overlaps the padding
    result: float
    stride: int
    padding: int


def pool_step(x: np.ndarray, kind: str, kernel: int, stride: int | None, padding: int, i: int, j: int) -> PoolStep:
    """y(i,j) = max or mean over m, n of x(i·s − p + m, j·s − p + n), as nn.MaxPool2d / nn.AvgPool2d compute it
    (stride defaults to the kernel size; the mean counts padded zeros, PyTorch's count_include_pad=True)."""
    stride = stride or kernel
    x = np.asarray(x, dtype=np.float64)
    window = _window(x[None], kernel, stride, padding, 1, i, j, -np.inf if kind == "max" else 0.0)[0]
    result = float(window.max() if kind == "max" else window.mean())
    return PoolStep(i, j, kind, window, result, stride, padding)
