"""Starter specs: the shipped examples, and a working starter model for every dataset."""
from __future__ import annotations

import copy
import json
from functools import lru_cache
from importlib import resources
from typing import Any

from playground.datasets import DATASETS, load_dataset
from playground.i18n import t
from playground.spec import Spec, from_data


@lru_cache(maxsize=1)
def _examples() -> dict[str, dict[str, Any]]:
    folder = resources.files("playground") / "examples"
    out = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            out[entry.name[:-5]] = json.loads(entry.read_text())
    return out


def examples() -> dict[str, Spec]:
    """The shipped starter specs by file stem, typed (they pass the same door as any uploaded spec)."""
    return {k: from_data(copy.deepcopy(v)) for k, v in _examples().items()}


def examples_for(dataset: str) -> dict[str, Spec]:
    return {k: v for k, v in examples().items() if v.dataset.name == dataset}


def starter(dataset: str) -> Spec:
    """A working model for `dataset`: its shipped example if there is one, else one built for its task."""
    shipped = examples_for(dataset)
    if shipped:
        return next(iter(shipped.values()))
    d = DATASETS[dataset]
    ds = load_dataset(dataset)
    n_out = 1 if ds.task == "regression" else ds.num_classes
    loss = {"type": "MSELoss"} if ds.task == "regression" else {"type": "CrossEntropyLoss"}
    training = {"epochs": 30, "batch_size": 32, "seed": 0}
    if ds.input_kind == "tokens":
        causal = ds.task == "next_token"
        layers = [{"type": "Embedding", "embedding_dim": 32}, {"type": "PositionalEncoding", "kind": "sinusoidal", "max_len": 256},
                  {"type": "TransformerBlock", "num_heads": 4, "dim_feedforward": 64, "dropout": 0.0, "causal": causal}]
        if ds.task in ("binary", "multiclass"):
            layers = [{"type": "Embedding", "embedding_dim": 16}, {"type": "LSTM", "hidden_size": 32, "num_layers": 1, "bidirectional": False, "dropout": 0.0},
                      {"type": "SequencePool", "mode": "last"}]
        layers.append({"type": "Linear", "out_features": n_out, "bias": True})
        opt = {"type": "Adam", "lr": 0.003}
    elif len(ds.input_shape) == 3:
        layers = [{"type": "Conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1}, {"type": "ReLU"}, {"type": "MaxPool2d", "kernel_size": 2},
                  {"type": "Conv2d", "out_channels": 16, "kernel_size": 3, "padding": 1}, {"type": "ReLU"}, {"type": "MaxPool2d", "kernel_size": 2},
                  {"type": "Flatten"}, {"type": "Linear", "out_features": n_out}]
        opt = {"type": "Adam", "lr": 0.003}
        training["epochs"] = 15
    elif len(ds.input_shape) == 2:  # float sequences (sine_forecast)
        layers = [{"type": "LSTM", "hidden_size": 32}, {"type": "SequencePool", "mode": "last"}, {"type": "Linear", "out_features": n_out}]
        opt = {"type": "Adam", "lr": 0.01}
    else:
        width = 16 if ds.input_shape[0] <= 4 else 32
        layers = [{"type": "Linear", "out_features": width}, {"type": "Tanh" if ds.input_shape == (2,) else "ReLU"},
                  {"type": "Linear", "out_features": width}, {"type": "Tanh" if ds.input_shape == (2,) else "ReLU"},
                  {"type": "Linear", "out_features": n_out}]
        opt = {"type": "Adam", "lr": 0.01}
        training["epochs"] = 100 if ds.input_shape[0] <= 2 else 50
    return from_data({"name": t("build.starter.name", title=d.title), "dataset": {"name": dataset}, "layers": layers,
                      "loss": loss, "optimizer": opt, "training": training})


DEFAULT_DATASET = "spiral"


def default_spec() -> Spec:
    return starter(DEFAULT_DATASET)
