"""The trace of one sample: one forward pass with hooks records every layer, attention map and hidden state.

cnn-explainer's idea: run the model once per input, keep plain arrays, and draw every view from them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from playground.analysis import Analysis
from playground.inspection.attention import AttentionTrace, attention_traces, captured
from playground.inspection.core import AtLayer, eval_mode, output_kind, predictions, probabilities, recording
from playground.inspection.recurrent import RecurrentTrace, recurrent_trace
from playground.inspection.tokens import token_labels, visible
from playground.modules import Recurrent


@dataclass
class LayerTrace(AtLayer):
    out_shape: tuple[int, ...]
    output: np.ndarray  # no batch dimension
    kind: str = "vector"  # how to read the output: image (C, H, W), channels (C, L), sequence (T, d) or vector (d,)


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
        return [visible(self.class_names[int(i)]) for i in np.atleast_1d(self.prediction)]

    def layer_input(self, index: int) -> np.ndarray:
        """What layer `index` received: the sample for the first layer, the previous output otherwise."""
        return self.input if index == 0 else self.layers[index - 1].output


def trace(model: nn.Module, analysis: Analysis, x: torch.Tensor) -> Trace:
    """Run one sample (a batch of 1) through the model once, recording every layer, attention and hidden state."""
    dataset = analysis.dataset
    if x.dim() == len(dataset.input_shape):
        x = x[None]
    with captured(model) as weights, eval_mode(model), recording(model, keep_inputs=True) as seen:
        out = model(x)
    layers, attention, recurrent = [], [], []
    for i, (layer, info) in enumerate(zip(model, analysis.layers)):
        layer_in, layer_out = seen[i][0]
        layers.append(LayerTrace(i, info.type, info.label, tuple(layer_out.shape[1:]), layer_out[0].numpy(),
                                 output_kind(analysis, i, layer_out.dim() - 1)))
        attention += attention_traces(i, info, layer, weights)
        if isinstance(layer, Recurrent):
            recurrent.append(recurrent_trace(i, info, layer.cell, layer_in[0], layer_out[0]))
    probs = probabilities(out, analysis)
    tokens = token_labels(dataset, x[0].tolist()) if dataset.input_kind == "tokens" else None
    return Trace(x[0].numpy().copy(), tokens, layers, attention, recurrent, out[0].numpy(),
                 None if probs is None else probs[0].numpy(), predictions(out, analysis)[0].numpy(), dataset.class_names)
