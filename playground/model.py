"""Build the real PyTorch model from a checked spec."""
from __future__ import annotations

import threading

import torch

from playground.modules import Net
from playground.analysis import NAMESPACE, Analysis

# Weight initialisation draws from PyTorch's one global generator; the lock keeps two sessions'
# builds from interleaving, so a seed always gives the same weights.
_BUILD_LOCK = threading.Lock()


def build_model(analysis: Analysis, seed: int | None = None) -> Net:
    """A fresh model with weights drawn from `seed` (the spec's training seed by default)."""
    analysis.raise_if_invalid()
    seed = analysis.training.seed if seed is None else seed
    with _BUILD_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return Net(*[info.call.build(NAMESPACE) for info in analysis.layers])


def count_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
