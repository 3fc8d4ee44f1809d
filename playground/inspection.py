"""Looking inside a model: one forward pass with hooks turns into a trace of plain numpy arrays.

Everything here computes; `playground.plots.inspect` draws. Pass a frozen copy of the model
(`TrainingJob.model_copy()`), never the one a training thread is updating.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Iterator, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from playground.datasets import CLASSIFICATION_TASKS, Dataset
from playground.layers import LAYERS
from playground.losses import LOSSES
from playground.modules import Recurrent, SelfAttention
from playground.analysis import Analysis
from playground.datasets import PER_TOKEN_TASKS as SEQUENCE_TASKS
from playground.training import EpochRecord

CHUNK = 4096  # samples per forward pass when a whole grid or split goes through the model
MAX_HIST_VALUES = 20_000  # values kept per layer for a histogram
_PASS_THROUGH = ("Flatten", "Reshape", "Dropout", "Identity")  # layers that only reshape or copy in eval mode
# Rules of the synthetic token tasks, so a typed sequence can be shown with its expected answer.
_RULES = {
    "reverse": lambda ids: ids[::-1],
    "sort": np.sort,
    "parity": lambda ids: int(ids.sum() % 2),
    "majority": lambda ids: int(2 * ids.sum() > len(ids)),
}


def layer_label(index: int, layer_type: str) -> str:
    """How a top-level layer is named everywhere: '3 Conv2d' (the training's gradient-norm keys too)."""
    return f"{index} {layer_type}"


# ---------------------------------------------------------------- one sample in
def prepare_input(dataset: Dataset, index: int | None = None, split: str = "test",
                  raw: np.ndarray | str | None = None) -> tuple[torch.Tensor, dict[str, Any]]:
    """One sample as a batch of 1: a dataset example, a drawing (`raw` array) or typed tokens (`raw` text)."""
    if raw is None:
        return _dataset_sample(dataset, index, split)
    if isinstance(raw, str):
        x, info = _typed_tokens(dataset, raw)
    elif dataset.input_kind == "float" and len(dataset.input_shape) == 3:
        x, info = _drawing(dataset, raw), {"source": "drawing"}
    else:
        x, info = _raw_values(dataset, raw), {"source": "values"}
    if dataset.input_kind == "tokens":
        info["tokens"] = token_labels(dataset, x[0].tolist())
    return x, info


def token_labels(dataset: Dataset, ids) -> list[str]:
    """Display text for token ids; a space and a line break become visible symbols."""
    vocab = dataset.vocab or ()
    return [_visible(vocab[int(i)]) for i in ids]


def _visible(symbol: str) -> str:
    return {" ": "␣", "\n": "↵"}.get(symbol, symbol)


def _dataset_sample(dataset: Dataset, index: int | None, split: str) -> tuple[torch.Tensor, dict[str, Any]]:
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    xs, ys = (dataset.x_test, dataset.y_test) if split == "test" else (dataset.x_train, dataset.y_train)
    index = 0 if index is None else int(index)
    if not 0 <= index < len(xs):
        raise ValueError(f"there is no sample {index}: the {split} split has {len(xs)} samples, numbered 0 to {len(xs) - 1}")
    info: dict[str, Any] = {"source": "dataset", "split": split, "index": index}
    y = ys[index].numpy()
    if dataset.task in SEQUENCE_TASKS:
        info["target"] = y
        info["target_tokens"] = [_visible(dataset.class_names[int(t)]) for t in y]
    elif dataset.is_classification:
        info["label"] = int(y)
        info["label_name"] = dataset.class_names[int(y)] if dataset.class_names else str(int(y))
    else:
        info["target"] = y
    if dataset.input_kind == "tokens":
        info["tokens"] = token_labels(dataset, xs[index].tolist())
    return xs[index:index + 1], info


def _typed_tokens(dataset: Dataset, text: str) -> tuple[torch.Tensor, dict[str, Any]]:
    if dataset.input_kind != "tokens":
        raise ValueError(f"{dataset.name} does not read tokens — pick a sample or draw one instead of typing")
    vocab = dataset.vocab or ()
    index = {s: i for i, s in enumerate(vocab)}
    seq_len = dataset.input_shape[0]
    if dataset.task == "next_token":
        symbols = list(text.lower())  # the corpus is lower-case
        unknown = sorted({c for c in symbols if c not in index})
        if unknown:
            others = "".join(s for s in vocab if not s.isalpha() and s not in " \n")
            raise ValueError(f"{_listing(unknown)} {'is' if len(unknown) == 1 else 'are'} not in the text's alphabet — "
                             f"use letters, spaces and these symbols: {others}")
        if not 1 <= len(symbols) <= seq_len:
            raise ValueError(f"type between 1 and {seq_len} characters (you typed {len(symbols)})")
    else:
        single = all(len(s) == 1 for s in vocab)
        symbols = text.split() if (any(c.isspace() for c in text) or not single) else list(text)
        unknown = sorted({s for s in symbols if s not in index})
        if unknown:
            raise ValueError(f"{_listing(unknown)} {'is not a token' if len(unknown) == 1 else 'are not tokens'} of "
                             f"{dataset.name} — use {_vocab_range(vocab)}, separated by spaces")
        if len(symbols) != seq_len:
            raise ValueError(f"{dataset.name} needs exactly {seq_len} tokens, separated by spaces (you typed {len(symbols)})")
    ids = np.array([index[s] for s in symbols], dtype=np.int64)
    info: dict[str, Any] = {"source": "typed"}
    if dataset.name in _RULES:
        target = np.asarray(_RULES[dataset.name](ids))
        if target.ndim:
            info["target"], info["target_tokens"] = target, token_labels(dataset, target)
        else:
            info["label"], info["label_name"] = int(target), dataset.class_names[int(target)]
    return torch.from_numpy(ids)[None], info


def _listing(symbols: list[str]) -> str:
    quoted = [f"'{_visible(s)}'" for s in symbols]
    if len(quoted) > 8:
        return ", ".join(quoted[:8]) + f" and {len(quoted) - 8} more"
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _vocab_range(vocab: tuple[str, ...]) -> str:
    if len(vocab) > 3 and all(s.isdigit() for s in vocab) and [int(s) for s in vocab] == list(range(len(vocab))):
        return f"the numbers 0 to {len(vocab) - 1}"
    return ", ".join(vocab)


def _drawing(dataset: Dataset, raw) -> torch.Tensor:
    """A drawing, any size and polarity, made to look like the dataset's images: ink high, 0..1."""
    grey = _grey(raw)
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    background = float(np.median(border))
    if background > 0.5:  # dark ink on a light canvas
        grey, background = 1.0 - grey, 1.0 - background
    ink = np.clip((grey - background) / max(1.0 - background, 1e-6), 0.0, 1.0)
    if ink.max() < 0.05:
        raise ValueError("the drawing is empty — draw something first")
    if dataset.name == "digits":
        ink = _fit_digit(ink)
    channels, height, width = dataset.input_shape
    t = torch.from_numpy(ink.astype(np.float32))[None, None]
    # Area averaging is how the digits themselves were made (on-pixels counted in 4x4 blocks of a 32x32 bitmap)
    mode = "area" if t.shape[-2] >= height and t.shape[-1] >= width else "bilinear"
    small = F.interpolate(t, size=(height, width), mode=mode, **({} if mode == "area" else {"align_corners": False}))
    small = small / small.max().clamp_min(1e-6)  # the datasets' brightest ink is 1 (16/16 for digits)
    return small.expand(1, channels, height, width).contiguous()


def _grey(raw) -> np.ndarray:
    a = np.asarray(raw, dtype=np.float64)
    if a.ndim == 3 and a.shape[-1] in (3, 4):
        alpha = a[..., 3] if a.shape[-1] == 4 else None
        # A canvas with a transparent background carries the strokes in its alpha channel
        a = alpha if alpha is not None and np.ptp(alpha) > 0 else a[..., :3].mean(axis=-1)
    if a.ndim != 2 or min(a.shape) < 2:
        raise ValueError(f"a drawing must be a 2-D grey image (height × width), got an array of shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError("the drawing contains values that are not numbers")
    if a.max() > 1.0:
        a = a / 255.0
    return np.clip(a, 0.0, 1.0)


def _fit_digit(ink: np.ndarray) -> np.ndarray:
    """Crop to the ink and centre it in a square, as NIST normalised the digits (they fill the frame's height)."""
    rows, cols = np.flatnonzero(ink.max(axis=1) > 0.05), np.flatnonzero(ink.max(axis=0) > 0.05)
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    side = max(crop.shape)
    square = np.zeros((side, side))
    top, left = (side - crop.shape[0]) // 2, (side - crop.shape[1]) // 2
    square[top:top + crop.shape[0], left:left + crop.shape[1]] = crop
    return square


def _raw_values(dataset: Dataset, raw) -> torch.Tensor:
    a = np.asarray(raw)
    size = math.prod(dataset.input_shape)
    if a.size != size:
        raise ValueError(f"{dataset.name} takes {size} value{'s' if size != 1 else ''} per sample, shaped "
                         f"{dataset.input_shape}; got {a.size}")
    if dataset.input_kind == "tokens":
        vocab = len(dataset.vocab or ())
        if not np.issubdtype(a.dtype, np.integer) or a.min() < 0 or a.max() >= vocab:
            raise ValueError(f"token ids must be whole numbers from 0 to {vocab - 1}")
        return torch.from_numpy(a.astype(np.int64).reshape(1, *dataset.input_shape))
    return torch.from_numpy(a.astype(np.float32).reshape(1, *dataset.input_shape))


# ---------------------------------------------------------------- outputs to probabilities and predictions
def probabilities(out: torch.Tensor, analysis: Analysis, task: str | None = None) -> torch.Tensor | None:
    """Class probabilities (last dimension = classes; 2 columns for one-output binary); None for regression."""
    task = task or analysis.dataset.task
    if task not in CLASSIFICATION_TASKS:
        return None
    last = analysis.layers[-1].type
    scores = LOSSES[analysis.loss.type].target == "value"  # MSE-style losses regress one-hot targets
    if out.shape[-1] == 1:
        p = out.clamp(0.0, 1.0) if scores or last == "Sigmoid" else torch.sigmoid(out)
        return torch.cat([1.0 - p, p], dim=-1)
    if last == "Softmax":
        return out
    if last == "LogSoftmax":
        return out.exp()
    if scores:
        p = out.clamp(0.0, 1.0)
        return p / p.sum(dim=-1, keepdim=True).clamp_min(1e-12)
    return out.softmax(dim=-1)


def _prediction(out: torch.Tensor, probs: torch.Tensor | None) -> torch.Tensor:
    """Class ids as training counts them: the raw argmax of several outputs (clipping scores could tie them),
    the probability of class 1 above one half for a single output."""
    if probs is None:
        return out
    return probs.argmax(dim=-1) if out.shape[-1] == 1 else out.argmax(dim=-1)


@contextmanager
def _eval_mode(model: nn.Module) -> Iterator[None]:
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train(was)


@contextmanager
def _recording(model: nn.Module, keep_inputs: bool = False) -> Iterator[dict[int, list]]:
    """Forward hooks on the top-level layers; each pass appends (input, output) per layer index."""
    seen: dict[int, list] = {i: [] for i in range(len(model))}

    def hook(i):
        def record(module, inputs, output):
            seen[i].append((inputs[0].detach() if keep_inputs else None, output.detach()))
        return record

    handles = [layer.register_forward_hook(hook(i)) for i, layer in enumerate(model)]
    try:
        yield seen
    finally:
        for h in handles:
            h.remove()


def _batched(x: torch.Tensor, size: int = CHUNK) -> Iterator[torch.Tensor]:
    for start in range(0, len(x), size):
        yield x[start:start + size]


# ---------------------------------------------------------------- the trace of one sample
@dataclass
class AtLayer:
    """What belongs to one top-level layer: its index in the spec and its type, shown as its label."""

    index: int
    type: str

    @property
    def label(self) -> str:
        return layer_label(self.index, self.type)


@dataclass
class LayerTrace(AtLayer):
    out_shape: tuple[int, ...]
    output: np.ndarray  # no batch dimension
    kind: str = "vector"  # how to read the output: image (C, H, W), channels (C, L), sequence (T, d) or vector (d,)


@dataclass
class AttentionTrace(AtLayer):
    """The attention weights of a MultiheadAttention or TransformerBlock layer (or a Residual around one)."""

    weights: np.ndarray  # (heads, T, T): rows are queries and sum to 1
    causal: bool


@dataclass
class RecurrentTrace(AtLayer):
    """The states over time of an RNN, LSTM or GRU layer."""

    hidden: np.ndarray  # (T, H·directions): the layer's output sequence h_1..h_T
    gates: dict[str, np.ndarray] | None = None  # one-layer, one-direction LSTM/GRU: gate name -> (T, H)
    cell: np.ndarray | None = None  # LSTM cell state c_t, (T, H)


@dataclass
class Trace:
    input: np.ndarray  # the sample, no batch dimension
    tokens: list[str] | None  # display labels of token inputs
    layers: list[LayerTrace]
    attention: list[AttentionTrace]
    recurrent: list[RecurrentTrace]
    output: np.ndarray  # the model's final output
    probabilities: np.ndarray | None  # (classes,) or (T, classes) for per-token tasks; None for regression
    prediction: np.ndarray  # class id(s), or the predicted value(s)
    class_names: tuple[str, ...] | None = None

    @property
    def prediction_labels(self) -> list[str] | None:
        """Class names of the prediction (one per token for per-token tasks)."""
        if self.probabilities is None or self.class_names is None:
            return None
        return [_visible(self.class_names[int(i)]) for i in np.atleast_1d(self.prediction)]

    def layer_input(self, index: int) -> np.ndarray:
        """What layer `index` received: the sample for the first layer, the previous output otherwise."""
        return self.input if index == 0 else self.layers[index - 1].output


def trace(model: nn.Module, analysis: Analysis, x: torch.Tensor) -> Trace:
    """Run one sample (a batch of 1) through the model once, recording every layer, attention and hidden state."""
    dataset = analysis.dataset
    if x.dim() == len(dataset.input_shape):
        x = x[None]
    attention = [m for m in model.modules() if isinstance(m, SelfAttention)]
    saved = [(m.capture, m.last_weights) for m in attention]
    try:
        for m in attention:
            m.capture = True
        with _eval_mode(model), _recording(model, keep_inputs=True) as seen:
            out = model(x)
        weights = {id(m): m.last_weights for m in attention}
    finally:
        for m, (capture, last) in zip(attention, saved):
            m.capture, m.last_weights = capture, last
    types = [info.type for info in analysis.layers]
    layers, attn, recurrent = [], [], []
    for i, layer in enumerate(model):
        layer_in, layer_out = seen[i][0]
        layers.append(LayerTrace(i, types[i], tuple(layer_out.shape[1:]), layer_out[0].numpy(),
                                 _kind(analysis, i, layer_out.dim() - 1)))
        for m in layer.modules():
            if isinstance(m, SelfAttention):
                attn.append(AttentionTrace(i, types[i], weights[id(m)][0].numpy(), m.causal))
        if isinstance(layer, Recurrent):
            recurrent.append(_recurrent_trace(i, types[i], layer.cell, layer_in[0], layer_out[0]))
    probs = probabilities(out, analysis)
    tokens = token_labels(dataset, x[0].tolist()) if dataset.input_kind == "tokens" else None
    return Trace(x[0].numpy(), tokens, layers, attn, recurrent, out[0].numpy(),
                 None if probs is None else probs[0].numpy(), _prediction(out, probs)[0].numpy(), dataset.class_names)


@torch.no_grad()
def _recurrent_trace(index: int, kind: str, cell: nn.Module, x: torch.Tensor, h: torch.Tensor) -> RecurrentTrace:
    """Hidden states, plus LSTM/GRU gates recomputed from the weights for a one-layer, one-direction cell.

    The previous hidden state h_{t-1} is the layer's own output shifted by one step (h_0 = 0), so every
    gate comes from one matrix product; only the LSTM cell state needs a loop over time.
    """
    result = RecurrentTrace(index, kind, h.numpy())
    if isinstance(cell, nn.RNN) or cell.num_layers != 1 or cell.bidirectional:
        return result
    size = cell.hidden_size
    h_prev = torch.cat([torch.zeros(1, size), h[:-1]])
    from_x = F.linear(x, cell.weight_ih_l0, getattr(cell, "bias_ih_l0", None))
    from_h = F.linear(h_prev, cell.weight_hh_l0, getattr(cell, "bias_hh_l0", None))
    if isinstance(cell, nn.LSTM):  # PyTorch stacks the gates as i, f, g, o
        pre = from_x + from_h
        i, f, o = (torch.sigmoid(pre[:, k * size:(k + 1) * size]) for k in (0, 1, 3))
        g = torch.tanh(pre[:, 2 * size:3 * size])
        c, c_prev = torch.empty_like(g), torch.zeros(size)
        for t in range(len(g)):
            c_prev = c[t] = f[t] * c_prev + i[t] * g[t]
        result.gates = {"input gate": i.numpy(), "forget gate": f.numpy(), "cell candidate": g.numpy(), "output gate": o.numpy()}
        result.cell = c.numpy()
    else:  # GRU stacks r, z, n; the reset gate scales only the recurrent part of the candidate
        r = torch.sigmoid(from_x[:, :size] + from_h[:, :size])
        z = torch.sigmoid(from_x[:, size:2 * size] + from_h[:, size:2 * size])
        n = torch.tanh(from_x[:, 2 * size:] + r * from_h[:, 2 * size:])
        result.gates = {"reset gate": r.numpy(), "update gate": z.numpy(), "candidate": n.numpy()}
    return result


# ---------------------------------------------------------------- convolution kernels and one output pixel
@dataclass
class KernelSet(AtLayer):
    """The learned kernels of a Conv1d or Conv2d layer."""

    weights: np.ndarray  # (out_channels, in_channels, k) or (out_channels, in_channels, k, k)
    bias: np.ndarray | None  # (out_channels,)
    stride: int
    padding: int
    dilation: int


def kernels(model: nn.Module, analysis: Analysis) -> list[KernelSet]:
    """The learned kernels of every top-level Conv1d/Conv2d layer."""
    out = []
    for i, (layer, info) in enumerate(zip(model, analysis.layers)):
        if isinstance(layer, (nn.Conv1d, nn.Conv2d)):
            bias = None if layer.bias is None else layer.bias.detach().numpy().copy()
            out.append(KernelSet(i, info.type, layer.weight.detach().numpy().copy(), bias,
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


def conv_step(x: np.ndarray, weight: np.ndarray, bias: float, stride: int, padding: int, i: int, j: int,
              dilation: int = 1) -> ConvStep:
    """y(i,j) = Σ_c Σ_m Σ_n w(c,m,n)·x(c, i·s − p + d·m, j·s − p + d·n) + b, exactly as nn.Conv2d computes it."""
    x, weight = np.asarray(x, dtype=np.float64), np.asarray(weight, dtype=np.float64)
    if x.ndim == 2:
        x = x[None]
    if weight.ndim == 2:
        weight = weight[None]
    k = weight.shape[-1]
    span = dilation * (k - 1) + 1
    height, width = x.shape[1] + 2 * padding, x.shape[2] + 2 * padding
    out_h, out_w = (height - span) // stride + 1, (width - span) // stride + 1
    if not (0 <= i < out_h and 0 <= j < out_w):
        raise ValueError(f"output pixel ({i}, {j}) is outside the {out_h}×{out_w} feature map")
    padded = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    r, c = i * stride, j * stride
    patch = padded[:, r:r + span:dilation, c:c + span:dilation]
    products = weight * patch
    total = float(products.sum())
    return ConvStep(i, j, x, patch, weight, products, total, float(bias), total + float(bias), stride, padding, dilation)


# ---------------------------------------------------------------- decision maps (TensorFlow Playground's view)
class NeuronLayer(NamedTuple):
    index: int
    type: str
    values: np.ndarray  # (units, R, R) on a grid, (units, R) on a curve


@dataclass
class Grid:
    """The model over an R×R grid of 2-D inputs; arrays are indexed [y, x] like a heatmap's z."""

    xs: np.ndarray  # (R,)
    ys: np.ndarray  # (R,)
    task: str  # binary, multiclass or regression
    output: np.ndarray  # (R, R): P(class 1) | predicted class | predicted value
    confidence: np.ndarray | None  # multiclass: probability of the predicted class
    neurons: list[NeuronLayer] = field(default_factory=list)
    class_names: tuple[str, ...] | None = None
    feature_names: tuple[str, str] = ("x1", "x2")


@dataclass
class Curve:
    """The model along a line of 1-D inputs (e.g. the sine regression): the predicted curve and each neuron's."""

    xs: np.ndarray  # (R,)
    prediction: np.ndarray  # (R,) (or (R, outputs))
    neurons: list[NeuronLayer] = field(default_factory=list)
    feature_name: str = "x"


def map_kind(dataset: Dataset) -> str | None:
    """'grid' for 2-D inputs, 'curve' for 1-D inputs, None when the input space cannot be drawn."""
    if dataset.input_kind != "float":
        return None
    return {(2,): "grid", (1,): "curve"}.get(tuple(dataset.input_shape))


def _axis(values: np.ndarray, resolution: int) -> np.ndarray:
    lo, hi = float(values.min()), float(values.max())
    margin = 0.1 * (hi - lo) or 1.0
    return np.linspace(lo - margin, hi + margin, resolution, dtype=np.float32)


def _hidden_indices(analysis: Analysis) -> list[int]:
    """Linear and activation layers before the output layer (the last Linear)."""
    types = [info.type for info in analysis.layers]
    last = max((i for i, t in enumerate(types) if t == "Linear"), default=len(types))
    return [i for i in range(last) if types[i] == "Linear" or LAYERS[types[i]].family == "activation"]


def _sweep(model: nn.Module, analysis: Analysis, points: torch.Tensor, neurons: bool):
    """One forward pass over all points (in chunks): the outputs and the hidden layers' outputs."""
    keep = _hidden_indices(analysis) if neurons else []
    with _eval_mode(model), _recording(model) as seen:
        out = torch.cat([model(chunk) for chunk in _batched(points)])
    hidden = [(i, analysis.layers[i].type, torch.cat([o for _, o in seen[i]]).numpy()) for i in keep]
    return out, [h for h in hidden if h[2].ndim == 2]


def decision_grid(model: nn.Module, analysis: Analysis, dataset: Dataset, resolution: int = 80,
                  neurons: bool = False) -> Grid:
    """The model's answer over an R×R grid spanning the data (plus 10 %), and optionally every hidden neuron's."""
    if map_kind(dataset) != "grid":
        raise ValueError(f"the decision map needs 2 input features; {dataset.name} has input shape {dataset.input_shape}")
    both = torch.cat([dataset.x_train, dataset.x_test]).numpy()
    xs, ys = _axis(both[:, 0], resolution), _axis(both[:, 1], resolution)
    gx, gy = np.meshgrid(xs, ys)  # [y, x] order, like heatmap z
    points = torch.from_numpy(np.stack([gx.ravel(), gy.ravel()], axis=1))
    out, hidden = _sweep(model, analysis, points, neurons)
    shape = (resolution, resolution)
    probs = probabilities(out, analysis, dataset.task)
    confidence = None
    if probs is None:
        task, values = "regression", out[:, 0]
    elif probs.shape[-1] == 2:
        task, values = "binary", probs[:, 1]
    else:
        values = _prediction(out, probs)
        task, confidence = "multiclass", probs.gather(-1, values[:, None])[:, 0].numpy().reshape(shape)
    cells = [NeuronLayer(i, t, a.T.reshape(-1, *shape)) for i, t, a in hidden]
    names = tuple(dataset.feature_names or ("x1", "x2"))[:2]
    return Grid(xs, ys, task, values.numpy().reshape(shape), confidence, cells, dataset.class_names, names)


def decision_curve(model: nn.Module, analysis: Analysis, dataset: Dataset, resolution: int = 200,
                   neurons: bool = False) -> Curve:
    """For one input feature: the predicted value along the data's range (plus 10 %), and each neuron's curve."""
    if map_kind(dataset) != "curve":
        raise ValueError(f"the prediction curve needs 1 input feature; {dataset.name} has input shape {dataset.input_shape}")
    xs = _axis(torch.cat([dataset.x_train, dataset.x_test]).numpy()[:, 0], resolution)
    out, hidden = _sweep(model, analysis, torch.from_numpy(xs[:, None]), neurons)
    probs = probabilities(out, analysis, dataset.task)
    if probs is None:
        pred = out.numpy()
    else:  # P(class 1) for two classes, the predicted class otherwise
        pred = (probs[:, 1] if probs.shape[-1] == 2 else _prediction(out, probs)).numpy()[:, None]
    name = (dataset.feature_names or ("x",))[0]
    return Curve(xs, pred[:, 0] if pred.ndim == 2 and pred.shape[1] == 1 else pred,
                 [NeuronLayer(i, t, a.T) for i, t, a in hidden], name)


# ---------------------------------------------------------------- training health: gradients, activations, weights
def gradient_history(epochs: list[EpochRecord]) -> dict[str, np.ndarray]:
    """Layer label -> gradient norm at the end of each epoch (NaN where a layer had no record)."""
    labels: list[str] = []
    for record in epochs:
        labels += [k for k in record.grad_norms if k not in labels]
    return {k: np.array([r.grad_norms.get(k, np.nan) for r in epochs], dtype=np.float64) for k in labels}


@dataclass
class ActivationStats(AtLayer):
    values: np.ndarray  # a sample of the layer's outputs, for a histogram
    mean: float
    std: float
    units: int | None = None  # ReLU only: how many units the layer has (a feature, or a whole channel of a feature map)
    dead_units: np.ndarray | None = None  # ReLU only: indices of the units that are 0 for every sample in the batch

    @property
    def dead_fraction(self) -> float | None:
        return None if self.units is None else len(self.dead_units) / self.units


def activation_stats(model: nn.Module, analysis: Analysis, x_batch: torch.Tensor) -> list[ActivationStats]:
    """Per layer: a sample of its outputs over the batch, and for ReLU layers the units that never fire."""
    with _eval_mode(model), _recording(model) as seen:
        for chunk in _batched(x_batch):
            model(chunk)
    rng = np.random.default_rng(0)
    stats = []
    for i, info in enumerate(analysis.layers):
        if info.type in _PASS_THROUGH:
            continue
        out = torch.cat([o for _, o in seen[i]])
        flat = out.reshape(-1).numpy()
        sample = rng.choice(flat, MAX_HIST_VALUES, replace=False) if flat.size > MAX_HIST_VALUES else flat.copy()
        s = ActivationStats(i, info.type, sample, float(flat.mean()), float(flat.std()))
        if info.type == "ReLU":
            axis = _unit_axis(analysis, i, out.dim())
            units = out.movedim(axis, 0).reshape(out.shape[axis], -1)
            dead = (units == 0).all(dim=1)
            s.units = len(dead)
            s.dead_units = torch.nonzero(dead).flatten().numpy()
        stats.append(s)
    return stats


def _kind(analysis: Analysis, index: int, ndim: int) -> str:
    """Read a layer's output (no batch dimension) as an image, channels × length, a sequence or a vector."""
    if ndim == 3:
        return "image"
    if ndim != 2:
        return "vector"
    # (C, L) after Conv1d/pooling, also through activations and norms; (T, d) after everything else
    for info in reversed(analysis.layers[:index + 1]):
        family = LAYERS[info.type].family
        if family in ("convolution", "pooling"):
            return "channels"
        if family not in ("activation", "normalization") and info.type != "Dropout":
            break
    return "sequence"


def _unit_axis(analysis: Analysis, index: int, ndim: int) -> int:
    """Which batch-output axis holds the units: channels after convolutions (their weights are shared across
    positions, so a whole feature map is one unit), features otherwise."""
    return 1 if _kind(analysis, index, ndim - 1) in ("image", "channels") else ndim - 1


@dataclass
class WeightStats(AtLayer):
    values: np.ndarray  # weights (not biases or norm gains), flattened, at most 20,000 of them
    count: int  # how many weights the layer has in all
    mean: float
    std: float


def weight_stats(model: nn.Module, analysis: Analysis) -> list[WeightStats]:
    """Per top-level layer with weight matrices or kernels: their values, for a histogram."""
    rng = np.random.default_rng(0)
    stats = []
    for i, (layer, info) in enumerate(zip(model, analysis.layers)):
        mats = [p.detach().reshape(-1) for p in layer.parameters() if p.dim() >= 2]
        if not mats:
            continue
        flat = torch.cat(mats).numpy()
        sample = rng.choice(flat, MAX_HIST_VALUES, replace=False) if flat.size > MAX_HIST_VALUES else flat.copy()
        stats.append(WeightStats(i, info.type, sample, int(flat.size), float(flat.mean()), float(flat.std())))
    return stats


# ---------------------------------------------------------------- a whole split: confusion, mistakes, residuals
@dataclass
class WrongExample:
    index: int  # position in the split
    true: Any  # class id, or the token ids of the target sequence
    predicted: Any
    confidence: float  # probability the model gave its (wrong) prediction; for sequences the most confident wrong token
    input: np.ndarray
    tokens: list[str] | None = None  # display labels of a token input


@dataclass
class Evaluation:
    task: str
    split: str
    n: int
    input_shape: tuple[int, ...]
    input_kind: str  # float or tokens
    class_names: tuple[str, ...] | None = None
    accuracy: float | None = None  # per token for per-token tasks
    confusion: np.ndarray | None = None  # (classes, classes): rows true, columns predicted
    per_class_accuracy: np.ndarray | None = None  # recall per true class; NaN for a class absent from the split
    sequence_accuracy: float | None = None  # per-token tasks: share of sequences with every token right
    wrong: list[WrongExample] = field(default_factory=list)  # most confidently wrong first (at most 8)
    y_true: np.ndarray | None = None  # regression
    y_pred: np.ndarray | None = None
    residuals: np.ndarray | None = None  # y − ŷ
    mse: float | None = None
    mae: float | None = None
    r2: float | None = None


def evaluate(model: nn.Module, analysis: Analysis, dataset: Dataset, split: str = "test", top: int = 8) -> Evaluation:
    """Run a whole split (in chunks): confusion and mistakes for classification, residuals for regression."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    x, y = (dataset.x_test, dataset.y_test) if split == "test" else (dataset.x_train, dataset.y_train)
    with _eval_mode(model):
        out = torch.cat([model(chunk) for chunk in _batched(x, 1024)])
    probs = probabilities(out, analysis, dataset.task)
    base = Evaluation(dataset.task, split, len(x), dataset.input_shape, dataset.input_kind, dataset.class_names)
    if probs is None:
        true, pred = y.numpy().astype(np.float64), out.numpy().astype(np.float64)
        res = true - pred
        spread = float(((true - true.mean(axis=0)) ** 2).sum())
        return replace(base, y_true=true, y_pred=pred, residuals=res, mse=float((res ** 2).mean()),
                       mae=float(np.abs(res).mean()), r2=1.0 - float((res ** 2).sum()) / spread if spread > 0 else None)
    pred = _prediction(out, probs)
    conf = probs.gather(-1, pred[..., None])[..., 0]  # the probability given to the predicted class
    classes = dataset.num_classes or probs.shape[-1]
    confusion = np.bincount((y * classes + pred).reshape(-1).numpy(), minlength=classes ** 2).reshape(classes, classes)
    support = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = np.where(support > 0, np.diag(confusion) / support, np.nan)
    miss = pred != y
    sequence_accuracy = None
    if dataset.task in SEQUENCE_TASKS:  # a sequence ranks by its most confident wrong token
        sequence_accuracy = float((~miss).all(dim=1).float().mean())
        score = torch.where(miss, conf, torch.zeros_like(conf)).max(dim=1).values
        wrong_rows = torch.nonzero(miss.any(dim=1)).flatten()
    else:
        score, wrong_rows = conf, torch.nonzero(miss).flatten()
    order = wrong_rows[torch.argsort(score[wrong_rows], descending=True, stable=True)][:top].tolist()
    tokens = dataset.input_kind == "tokens"
    wrong = [WrongExample(k, _plain(y[k]), _plain(pred[k]), float(score[k]), x[k].numpy(),
                          token_labels(dataset, x[k].tolist()) if tokens else None) for k in order]
    return replace(base, accuracy=float(np.trace(confusion) / confusion.sum()), confusion=confusion,
                   per_class_accuracy=per_class, sequence_accuracy=sequence_accuracy, wrong=wrong)


def _plain(t: torch.Tensor):
    """A class id as an int, a sequence of them as an array."""
    return t.numpy() if t.dim() else int(t)
