"""Lesson 4, convolution: one output pixel of nn.Conv2d worked out on a small image (kernel, stride, padding,
dilation), pooling, receptive fields through a stack, and the curriculum's CNN adapted to the bundled images.

Libraries compute cross-correlation (the kernel is not flipped):
y(i, j) = b + Σ_m Σ_n w(m, n)·x(i·s − p + d·m, j·s − p + d·n), with x = 0 in the padding.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from playground.analysis import Analysis, analyze
from playground.datasets import load_dataset
from playground.i18n import Msg, msg, t
from playground.inspection import ConvStep, conv_step
from playground.lessons import TryIt
from playground.spec import Spec, from_data
from playground.templates import examples

KERNELS = ("vertical", "horizontal", "diagonal", "box", "centre", "random")
PATTERN = "pattern"
IMAGES = (*(str(d) for d in range(10)), PATTERN)  # a digit of the digits dataset, or a small drawn pattern
POOLS = {"MaxPool2d": nn.MaxPool2d, "AvgPool2d": nn.AvgPool2d}


def output_size(n: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """PyTorch's output length of a sliding window: ⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1."""
    return (n + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def image(choice: str) -> np.ndarray:
    """The picture the lesson convolves: the first test digit with that label (8×8), or a 7×7 drawn pattern."""
    if choice == PATTERN:
        x = np.zeros((7, 7))
        x[1:6, 2] = 1.0  # a vertical bar and a horizontal bar: each edge kernel finds one of them
        x[4, 2:6] = 1.0
        return x
    digits = load_dataset("digits")
    first = int(torch.nonzero(digits.y_test == int(choice))[0, 0])
    return digits.x_test[first, 0].numpy().astype(np.float64)


def kernel(name: str, k: int) -> np.ndarray:
    """A k×k kernel: edge detectors, a box (equal weights 1/k²), a single centre 1, or a freshly initialised nn.Conv2d's."""
    m, n = np.mgrid[0:k, 0:k].astype(np.float64)
    c = (k - 1) / 2
    if name == "vertical":
        return np.sign(n - c)
    if name == "horizontal":
        return np.sign(m - c)
    if name == "diagonal":
        return np.sign(n - m)
    if name == "box":
        return np.full((k, k), 1.0 / (k * k))
    if name == "centre":
        out = np.zeros((k, k))
        out[k // 2, k // 2] = 1.0
        return out
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return nn.Conv2d(1, 1, k).weight.detach()[0, 0].double().numpy()


def size_problem(n: int, k: int, padding: int, dilation: int) -> Msg | None:
    """Why a window does not fit the padded input, as PyTorch would refuse it; None when it fits."""
    span = dilation * (k - 1) + 1
    if span > n + 2 * padding:
        return msg("learn_convolution.conv.too_big", span=span, padded=n + 2 * padding)
    return None


@dataclass(frozen=True)
class Convolution:
    image: np.ndarray  # (n, n)
    weight: np.ndarray  # (k, k)
    stride: int
    padding: int
    dilation: int
    output: np.ndarray  # F.conv2d's result, (n_out, n_out)
    step: ConvStep  # the weighted sum behind the chosen output pixel

    @property
    def span(self) -> int:
        """How many input pixels the (dilated) kernel covers along one side: d(k − 1) + 1."""
        return self.dilation * (self.weight.shape[0] - 1) + 1


def convolve(x: np.ndarray, weight: np.ndarray, stride: int, padding: int, dilation: int, i: int, j: int) -> Convolution:
    """The whole output map from F.conv2d, and output pixel (i, j) written out as its weighted sum (bias 0)."""
    out = F.conv2d(torch.from_numpy(x)[None, None], torch.from_numpy(weight)[None, None], stride=stride, padding=padding,
                   dilation=dilation)[0, 0].numpy()
    return Convolution(x, weight, stride, padding, dilation, out, conv_step(x, weight, 0.0, stride, padding, i, j, dilation))


# ---------------------------------------------------------------- pooling
@dataclass(frozen=True)
class Pooling:
    image: np.ndarray
    kind: str  # MaxPool2d or AvgPool2d
    kernel: int
    stride: int
    output: np.ndarray
    params: int  # the pooling layer's trainable parameters (always 0)


def pool(x: np.ndarray, kind: str, k: int, stride: int) -> Pooling:
    layer = POOLS[kind](k, stride)
    out = layer(torch.from_numpy(x)[None, None])[0, 0].numpy()
    return Pooling(x, kind, k, stride, out, sum(p.numel() for p in layer.parameters()))


# ---------------------------------------------------------------- receptive fields
@dataclass(frozen=True)
class Stage:
    """One layer of a stack, as far as geometry goes (a pooling layer has dilation 1)."""

    type: str  # Conv2d, MaxPool2d or AvgPool2d
    kernel: int
    stride: int = 1
    padding: int = 0
    dilation: int = 1


@dataclass(frozen=True)
class Field:
    """What one unit of a layer sees of the input: its receptive field and where its neighbours' start."""

    size: int  # output side length of the layer
    jump: int  # input pixels between neighbouring units: the product of the strides so far
    rf: int  # receptive field side: r_l = r_{l−1} + d_l(k_l − 1)·j_{l−1}
    start: int  # input index of the first pixel seen by unit 0 (negative: it reaches into the padding)

    def span(self, unit: int) -> tuple[int, int]:
        """First and last input index that unit `unit` of this layer reads."""
        first = self.start + unit * self.jump
        return first, first + self.rf - 1


def receptive_fields(stages: list[Stage], n: int) -> tuple[list[Field], Msg | None]:
    """Each layer's field, by the recurrence; stops with a sentence at the first layer the input is too small for."""
    fields, size, jump, rf, start = [], n, 1, 1, 0
    for number, s in enumerate(stages, 1):
        problem = size_problem(size, s.kernel, s.padding, s.dilation)
        if s.type in POOLS and 2 * s.padding > s.kernel:  # PyTorch: pad should be at most half of the kernel size
            problem = msg("learn_convolution.rf.pool_padding", k=s.kernel, most=s.kernel // 2)
        if problem is not None:
            return fields, msg("learn_convolution.rf.stops", number=number, type=s.type, size=size, problem=problem)
        rf += s.dilation * (s.kernel - 1) * jump
        start -= s.padding * jump
        jump *= s.stride
        size = output_size(size, s.kernel, s.stride, s.padding, s.dilation)
        fields.append(Field(size, jump, rf, start))
    return fields, None


def stack_module(stages: list[Stage], channels: int = 1) -> nn.Sequential:
    """The real PyTorch layers of a stack (one channel in and out), for checking the recurrence against autograd."""
    layers = []
    for s in stages:
        if s.type == "Conv2d":
            layers.append(nn.Conv2d(channels, channels, s.kernel, s.stride, s.padding, s.dilation))
        else:
            layers.append(POOLS[s.type](s.kernel, s.stride, s.padding))
    return nn.Sequential(*layers)


CURRICULUM_STACK = [Stage("Conv2d", 3), Stage("MaxPool2d", 2, 2), Stage("Conv2d", 3), Stage("MaxPool2d", 2, 2), Stage("Conv2d", 3)]


# ---------------------------------------------------------------- the curriculum's CNN on the bundled images
def curriculum_layers(padding: int, classes: int, pooling: bool = True) -> list[dict]:
    """Conv(32, 3×3) → Pool → Conv(64, 3×3) → Pool → Conv(64, 3×3) → Dense(64) → Dense(classes), ReLU between."""
    pool = [{"type": "MaxPool2d", "kernel_size": 2}] if pooling else []
    conv = [{"type": "Conv2d", "out_channels": c, "kernel_size": 3, "padding": padding} for c in (32, 64, 64)]
    return [conv[0], {"type": "ReLU"}, *pool, conv[1], {"type": "ReLU"}, *pool, conv[2], {"type": "ReLU"},
            {"type": "Flatten"}, {"type": "Linear", "out_features": 64}, {"type": "ReLU"}, {"type": "Linear", "out_features": classes}]


def _cnn(dataset: str, layers: list[dict], name: str | None = None, epochs: int = 10) -> Spec:
    named = {"name": name} if name else {}
    return from_data({**named, "dataset": {"name": dataset, "test_fraction": 0.2, "seed": 0}, "layers": layers,
                      "optimizer": {"type": "Adam", "lr": 0.003}, "training": {"epochs": epochs, "batch_size": 32, "seed": 0}})


# The analyses below are of fixed lesson models (no user data, no language: their problems are rendered where shown),
# so one copy serves every session; analysing a CNN takes a few hundred milliseconds.
@functools.cache
def curriculum_on(dataset: str, padding: int = 0, pooling: bool = True) -> Analysis:
    """The curriculum's stack on a bundled image set, as the playground would build it (shapes or the refusal)."""
    classes = load_dataset(dataset).num_classes
    return analyze(_cnn(dataset, curriculum_layers(padding, classes, pooling)))


@dataclass(frozen=True)
class PoolingRow:
    """One layer of the adapted CNN, built with and without its pooling layers (None: the layer is a pool)."""

    type: str
    with_pool: tuple[tuple[int, ...], int]  # output shape and parameters
    without_pool: tuple[tuple[int, ...], int] | None


@functools.cache
def pooling_effect() -> tuple[tuple[PoolingRow, ...], int, int]:
    """The adapted CNN on digits with and without its two MaxPool2d layers, layer by layer, and both totals."""
    pooled, plain = curriculum_on("digits", 1, True), curriculum_on("digits", 1, False)
    rest = iter(plain.layers)
    rows = tuple(PoolingRow(info.type, (info.out_shape, info.params),
                            None if info.type in POOLS else (lambda o: (o.out_shape, o.params))(next(rest)))
                 for info in pooled.layers)
    return rows, pooled.total_params, plain.total_params


def spatial_sizes(analysis: Analysis) -> list[int]:
    """The map's side length from the input through every convolution and pooling layer that built."""
    sizes = [analysis.dataset.input_shape[-1]]
    return sizes + [info.out_shape[-1] for info in analysis.layers if info.type == "Conv2d" or info.type in POOLS]


def adapted_cnn() -> Spec:
    """The curriculum's CNN on 8×8 digits: padding 1 keeps each 3×3 convolution from shrinking the map."""
    return _cnn("digits", curriculum_layers(1, 10), t("learn_convolution.spec.adapted"))


def textbook_sgd() -> Spec:
    """The shipped Conv(10, 5×5) → MaxPool(2) → Linear(50) → Linear(10), SGD lr 0.01, momentum 0.9, 80/20 split."""
    return from_data({**examples()["cnn_digits_sgd"].to_dict(), "name": t("learn_convolution.spec.sgd")})


SHIPPED = ("cnn_digits", "cnn_digits_sgd", "cnn_shapes")


@dataclass(frozen=True)
class Shipped:
    file: str
    name: str
    dataset: str
    input_shape: tuple[int, ...]
    params: int


@functools.cache
def shipped() -> tuple[Shipped, ...]:
    """The shipped CNN examples with the input size their dataset gives them."""
    out = []
    for file in SHIPPED:
        a = analyze(examples()[file])
        out.append(Shipped(f"{file}.json", a.spec.name or file, a.spec.dataset.name, a.dataset.input_shape, a.total_params))
    return tuple(out)


TRY_IT = [TryIt("learn_convolution.try.adapted", adapted_cnn), TryIt("learn_convolution.try.sgd", textbook_sgd)]
