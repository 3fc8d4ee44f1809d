"""The model over its whole input space (TensorFlow Playground's view): the decision map and every neuron's.

One forward pass over an R×R grid (or R points on a line) yields the model's answer and each hidden
neuron's output at once; the big map and the neuron thumbnails are drawn from the same pass.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from playground.analysis import Analysis
from playground.datasets import Dataset
from playground.inspection.core import AtLayer, batched, eval_mode, predictions, probabilities, recording
from playground.layers import LAYERS

RESOLUTION = 80  # grid points per axis: the boundary looks smooth and every thumbnail is a subsample of it


@dataclass
class NeuronLayer(AtLayer):
    """One hidden layer's outputs over the inputs: (units, R, R) on a grid, (units, R) on a line."""

    values: np.ndarray


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


def hidden_indices(analysis: Analysis) -> list[int]:
    """Linear and activation layers before the output layer (the last Linear)."""
    types = [info.type for info in analysis.layers]
    last = max((i for i, t in enumerate(types) if t == "Linear"), default=len(types))
    return [i for i in range(last) if types[i] == "Linear" or LAYERS[types[i]].family == "activation"]


def _sweep(model: nn.Module, analysis: Analysis, points: torch.Tensor, neurons: bool):
    """One forward pass over all points (in chunks): the outputs and the hidden layers' outputs."""
    keep = hidden_indices(analysis) if neurons else []
    with eval_mode(model), recording(model) as seen:
        out = torch.cat([model(chunk) for chunk in batched(points)])
    hidden = [(i, analysis.layers[i], torch.cat([o for _, o in seen[i]]).numpy()) for i in keep]
    return out, [(i, info, a) for i, info, a in hidden if a.ndim == 2]


def _data(dataset: Dataset) -> np.ndarray:
    return torch.cat([dataset.x_train, dataset.x_test]).numpy()


def decision_grid(model: nn.Module, analysis: Analysis, dataset: Dataset, resolution: int = RESOLUTION,
                  neurons: bool = False) -> Grid:
    """The model's answer over an R×R grid spanning the data (plus 10 %), and optionally every hidden neuron's."""
    if map_kind(dataset) != "grid":
        raise ValueError(f"the decision map needs 2 input features; {dataset.name} has input shape {dataset.input_shape}")
    both = _data(dataset)
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
        values = predictions(out, analysis, dataset.task)
        task, confidence = "multiclass", probs.gather(-1, values[:, None])[:, 0].numpy().reshape(shape)
    cells = [NeuronLayer(i, info.type, info.label, a.T.reshape(-1, *shape)) for i, info, a in hidden]
    names = tuple(dataset.feature_names or ("x1", "x2"))[:2]
    return Grid(xs, ys, task, values.numpy().reshape(shape), confidence, cells, dataset.class_names, names)


def decision_curve(model: nn.Module, analysis: Analysis, dataset: Dataset, resolution: int = 200,
                   neurons: bool = False) -> Curve:
    """For one input feature: the predicted value along the data's range (plus 10 %), and each neuron's curve."""
    if map_kind(dataset) != "curve":
        raise ValueError(f"the prediction curve needs 1 input feature; {dataset.name} has input shape {dataset.input_shape}")
    xs = _axis(_data(dataset)[:, 0], resolution)
    out, hidden = _sweep(model, analysis, torch.from_numpy(xs[:, None]), neurons)
    probs = probabilities(out, analysis, dataset.task)
    if probs is None:
        pred = out.numpy()
    else:  # P(class 1) for two classes, the predicted class otherwise
        pred = (probs[:, 1] if probs.shape[-1] == 2 else predictions(out, analysis, dataset.task)).numpy()[:, None]
    name = (dataset.feature_names or ("x",))[0]
    return Curve(xs, pred[:, 0] if pred.ndim == 2 and pred.shape[1] == 1 else pred,
                 [NeuronLayer(i, info.type, info.label, a.T) for i, info, a in hidden], name)
