"""Edits on a spec's layer list, addressed by path (index, or indexes into nested Residual stacks).

Pure functions on plain dicts: every edit returns a new spec and leaves the old one untouched, so the
page can keep the user's work whatever happens.
"""
from __future__ import annotations

import copy
from typing import Any

from playground.layers import ACTIVATIONS, LAYERS

Path = tuple[int, ...]
# Layers whose cards offer an activation dropdown (it writes a separate activation layer after them).
ACTIVATED = ("Linear", "Conv1d", "Conv2d")


def _parent(spec: dict, path: Path) -> list[dict]:
    layers = spec["layers"]
    for i in path[:-1]:
        layers = layers[i]["layers"]
    return layers


def get_layer(spec: dict, path: Path) -> dict:
    return _parent(spec, path)[path[-1]]


def new_layer(ltype: str) -> dict[str, Any]:
    """A layer with its registry defaults written out, so the spec says exactly what is built."""
    d = LAYERS[ltype]
    layer: dict[str, Any] = {"type": ltype}
    for p in d.params:
        if p.default is not None:
            layer[p.name] = copy.copy(p.default)
    if d.has_inner:
        layer["layers"] = [{"type": "Linear", "out_features": 16}, {"type": "ReLU"}]
    return layer


def insert_layer(spec: dict, path: Path, layer: dict) -> dict:
    """Insert `layer` so that it ends up at `path`."""
    out = copy.deepcopy(spec)
    parent = _parent(out, path)
    parent.insert(min(path[-1], len(parent)), copy.deepcopy(layer))
    return out


def append_layer(spec: dict, layer: dict) -> dict:
    return insert_layer(spec, (len(spec["layers"]),), layer)


def remove_layer(spec: dict, path: Path) -> dict:
    out = copy.deepcopy(spec)
    del _parent(out, path)[path[-1]]
    return out


def move_layer(spec: dict, path: Path, delta: int) -> dict:
    """Move a layer up (delta −1) or down (+1) within its list; at the ends nothing changes."""
    out = copy.deepcopy(spec)
    parent = _parent(out, path)
    i, j = path[-1], path[-1] + delta
    if 0 <= j < len(parent):
        parent[i], parent[j] = parent[j], parent[i]
    return out


def reorder_layers(spec: dict, order: list[int]) -> dict:
    """Top-level layers in a new order (from drag and drop)."""
    out = copy.deepcopy(spec)
    out["layers"] = [copy.deepcopy(spec["layers"][i]) for i in order]
    return out


def duplicate_layer(spec: dict, path: Path) -> dict:
    return insert_layer(spec, path[:-1] + (path[-1] + 1,), get_layer(spec, path))


def set_arg(spec: dict, path: Path, arg: str, value: Any) -> dict:
    out = copy.deepcopy(spec)
    layer = get_layer(out, path)
    if value is None:
        layer.pop(arg, None)
    else:
        layer[arg] = value
    return out


def activation_after(spec: dict, path: Path) -> str | None:
    """The activation layer right after this one, if any (what the card's dropdown shows)."""
    parent = _parent(spec, path)
    nxt = path[-1] + 1
    if nxt < len(parent) and parent[nxt].get("type") in ACTIVATIONS:
        return parent[nxt]["type"]
    return None


def set_activation(spec: dict, path: Path, activation: str | None) -> dict:
    """Set, replace or (None) remove the activation layer that follows the layer at `path`."""
    current = activation_after(spec, path)
    after = path[:-1] + (path[-1] + 1,)
    if current == activation:
        return copy.deepcopy(spec)
    out = remove_layer(spec, after) if current else copy.deepcopy(spec)
    if activation:
        out = insert_layer(out, after, new_layer(activation))
    return out


def wrap_in_residual(spec: dict, path: Path) -> dict:
    """Put the layer at `path` (and its activation, if one follows) inside a new Residual block."""
    out = copy.deepcopy(spec)
    parent = _parent(out, path)
    i = path[-1]
    count = 2 if activation_after(spec, path) else 1
    inner = parent[i:i + count]
    parent[i:i + count] = [{"type": "Residual", "layers": inner}]
    return out


def apply_fix(spec: dict, path: Path | None, fix: dict) -> dict:
    """Carry out a validator's one-click fix (insert a layer, set an argument, remove a layer)."""
    target = tuple(fix["path"]) if fix.get("path") is not None else path
    if target is None:
        return copy.deepcopy(spec)
    op = fix["op"]
    if op == "insert_before":
        return insert_layer(spec, target, fix["layer"])
    if op == "insert_after":
        return insert_layer(spec, target[:-1] + (target[-1] + 1,), fix["layer"])
    if op == "set":
        return set_arg(spec, target, fix["arg"], fix["value"])
    if op == "remove":
        return remove_layer(spec, target)
    raise ValueError(f"unknown fix operation {op!r}")


def model_family(spec: dict) -> str:
    """A one-word name for the architecture: Transformer, LSTM, GRU, RNN, CNN or MLP."""
    types = set()

    def collect(layers):
        for layer in layers:
            if isinstance(layer, dict):
                types.add(layer.get("type"))
                if isinstance(layer.get("layers"), list):
                    collect(layer["layers"])

    collect(spec.get("layers") or [])
    for name, members in (("Transformer", {"TransformerBlock", "MultiheadAttention"}), ("LSTM", {"LSTM"}), ("GRU", {"GRU"}),
                          ("RNN", {"RNN"}), ("CNN", {"Conv1d", "Conv2d"})):
        if types & members:
            return name
    return "MLP"
