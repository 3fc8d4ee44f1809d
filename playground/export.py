"""Export a checked spec as one standalone PyTorch file (needs only torch)."""
from __future__ import annotations

import inspect

from playground import modules
from playground.layers import Call, format_shape
from playground.spec import Analysis

# Classes of ours that other classes of ours use inside.
_DEPENDS = {"TransformerBlock": ["SelfAttention"], "PositionalEncoding": ["sinusoidal_table"]}
_ORDER = ["sinusoidal_table", "SelfAttention", "TransformerBlock", "PositionalEncoding", "SequencePool", "Reshape", "Residual", "Recurrent", "Net"]


def _ours(call: Call, found: set[str]) -> None:
    if not call.ctor.startswith("nn."):
        found.add(call.ctor)
        for dep in _DEPENDS.get(call.ctor, []):
            found.add(dep)
    for a in call.args:
        if isinstance(a, Call):
            _ours(a, found)


def export_code(analysis: Analysis) -> str:
    """Python source that defines the model, and when run builds it, runs one random batch and prints shape and parameter count."""
    analysis.raise_if_invalid()
    spec, ds = analysis.spec, analysis.dataset
    needed = {"Net"}
    for info in analysis.layers:
        _ours(info.call, needed)
    sources = [inspect.getsource(getattr(modules, name)).rstrip() for name in _ORDER if name in needed]
    layer_lines = "\n".join(f"        {info.call.code(8)},  # -> {format_shape(info.out_shape)}, {info.params:,} params" for info in analysis.layers)
    if ds.input_kind == "tokens":
        example = f"torch.randint(0, {ds.vocab_size}, (4, {', '.join(map(str, ds.input_shape))}))"
    else:
        example = f"torch.randn(4, {', '.join(map(str, ds.input_shape))})"
    loss_args = ", ".join(f"{k}={v!r}" for k, v in analysis.loss.items() if k != "type")
    opt_args = ", ".join(f"{k}={v!r}" for k, v in analysis.optimizer.items() if k != "type")
    title = spec.get("name") or "Model"
    return f'''"""{title} — exported from the Architecture Playground.

Dataset: {ds.name} ({ds.task}); input per sample {format_shape(ds.input_shape)}{", token ids" if ds.input_kind == "tokens" else ""}.
Needs only PyTorch. Run it: python {_slug(title)}.py
"""
import math

import torch
from torch import nn


{chr(10).join(s + chr(10) + chr(10) for s in sources).rstrip()}


def build_model() -> nn.Module:
    return Net(
{layer_lines}
    )


def make_training(model: nn.Module):
    """The loss and optimizer the playground trained this model with."""
    loss_fn = nn.{analysis.loss["type"]}({loss_args})
    optimizer = torch.optim.{analysis.optimizer["type"]}(model.parameters(), {opt_args})
    return loss_fn, optimizer


if __name__ == "__main__":
    torch.manual_seed({analysis.training["seed"]})
    model = build_model()
    x = {example}
    y = model(x)
    print("output shape:", tuple(y.shape))
    print("parameters:", sum(p.numel() for p in model.parameters()))
'''



def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text.lower()).strip("_") or "model"
