"""What every inspection pass shares: eval mode, forward hooks, chunks, and outputs read as classes.

Pass a frozen copy of the model (`TrainingJob.model_copy()`), never the one a training thread is updating.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import torch
from torch import nn

from playground.analysis import Analysis
from playground.datasets import CLASSIFICATION_TASKS
from playground.layers import LAYERS
from playground.losses import LOSSES, predict_classes

CHUNK = 4096  # samples per forward pass when a whole grid or split goes through the model
PASS_THROUGH = ("Flatten", "Reshape", "Dropout", "Identity")  # layers that only reshape or copy in eval mode


@dataclass
class AtLayer:
    """What belongs to one top-level layer: its index in the spec, its type, and its label as the analysis names
    it everywhere ('3 Conv2d': the layer's card, the plots, the training's gradient-norm keys)."""

    index: int
    type: str
    label: str


# ---------------------------------------------------------------- running the model
@contextmanager
def eval_mode(model: nn.Module) -> Iterator[None]:
    """Eval mode without gradients for the block; the model's own mode comes back afterwards."""
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train(was)


@contextmanager
def recording(model: nn.Module, keep_inputs: bool = False) -> Iterator[dict[int, list]]:
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


def batched(x: torch.Tensor, size: int = CHUNK) -> Iterator[torch.Tensor]:
    for start in range(0, len(x), size):
        yield x[start:start + size]


# ---------------------------------------------------------------- outputs to probabilities and classes
def probability_rule(analysis: Analysis, outputs: int, task: str | None = None) -> str | None:
    """How outputs become class probabilities: softmax, sigmoid, given (a Softmax layer), exp (LogSoftmax),
    clip (one score trained as a value) or normalise (scores trained as one-hot values); None for regression."""
    if (task or analysis.dataset.task) not in CLASSIFICATION_TASKS:
        return None
    last = analysis.layers[-1].type
    scores = LOSSES[analysis.loss.type].target == "value"  # MSE-style losses regress one-hot targets
    if outputs == 1:
        return "clip" if scores or last == "Sigmoid" else "sigmoid"
    if last == "Softmax":
        return "given"
    if last == "LogSoftmax":
        return "exp"
    return "normalise" if scores else "softmax"


def probabilities(out: torch.Tensor, analysis: Analysis, task: str | None = None) -> torch.Tensor | None:
    """Class probabilities (last dimension = classes; 2 columns for one-output binary); None for regression."""
    rule = probability_rule(analysis, out.shape[-1], task)
    if rule is None:
        return None
    if rule in ("clip", "sigmoid"):
        p = out.clamp(0.0, 1.0) if rule == "clip" else torch.sigmoid(out)
        return torch.cat([1.0 - p, p], dim=-1)
    if rule == "given":
        return out
    if rule == "exp":
        return out.exp()
    if rule == "normalise":
        p = out.clamp(0.0, 1.0)
        return p / p.sum(dim=-1, keepdim=True).clamp_min(1e-12)
    return out.softmax(dim=-1)


def predictions(out: torch.Tensor, analysis: Analysis, task: str | None = None) -> torch.Tensor:
    """Class ids exactly as training counts them (see losses.predict_classes); the outputs themselves for regression."""
    if (task or analysis.dataset.task) not in CLASSIFICATION_TASKS:
        return out
    return predict_classes(out, analysis.loss.type)


# ---------------------------------------------------------------- how to read a layer's output
def output_kind(analysis: Analysis, index: int, ndim: int) -> str:
    """Read a layer's output (no batch dimension) as an image (C, H, W), channels (C, L), a sequence (T, d) or a vector."""
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
