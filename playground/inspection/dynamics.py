"""Training health: gradient norms over the epochs, and how weights and activations are spread per layer."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np
import torch
from torch import nn

from playground.analysis import Analysis
from playground.inspection.core import PASS_THROUGH, AtLayer, batched, eval_mode, output_kind, recording

MAX_HIST_VALUES = 20_000  # values kept per layer for a histogram


class HasGradNorms(Protocol):
    """An epoch's record as training keeps it (playground's EpochRecord): layer label -> gradient norm."""

    grad_norms: dict[str, float]


def gradient_history(epochs: Sequence[HasGradNorms]) -> dict[str, np.ndarray]:
    """Layer label -> gradient norm at the end of each epoch (NaN where a layer had no record)."""
    labels: list[str] = []
    for record in epochs:
        labels += [k for k in record.grad_norms if k not in labels]
    return {k: np.array([r.grad_norms.get(k, np.nan) for r in epochs], dtype=np.float64) for k in labels}


def _sample(flat: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return rng.choice(flat, MAX_HIST_VALUES, replace=False) if flat.size > MAX_HIST_VALUES else flat.copy()


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
    with eval_mode(model), recording(model) as seen:
        for chunk in batched(x_batch):
            model(chunk)
    rng = np.random.default_rng(0)
    stats = []
    for i, info in enumerate(analysis.layers):
        if info.type in PASS_THROUGH:
            continue
        out = torch.cat([o for _, o in seen[i]])
        flat = out.reshape(-1).numpy()
        s = ActivationStats(i, info.type, info.label, _sample(flat, rng), float(flat.mean()), float(flat.std()))
        if info.type == "ReLU":
            axis = unit_axis(analysis, i, out.dim())
            units = out.movedim(axis, 0).reshape(out.shape[axis], -1)
            dead = (units == 0).all(dim=1)
            s.units = len(dead)
            s.dead_units = torch.nonzero(dead).flatten().numpy()
        stats.append(s)
    return stats


def unit_axis(analysis: Analysis, index: int, ndim: int) -> int:
    """Which batch-output axis holds the units: channels after convolutions (their weights are shared across
    positions, so a whole feature map is one unit), features otherwise."""
    return 1 if output_kind(analysis, index, ndim - 1) in ("image", "channels") else ndim - 1


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
        stats.append(WeightStats(i, info.type, info.label, _sample(flat, rng), int(flat.size), float(flat.mean()),
                                 float(flat.std())))
    return stats
