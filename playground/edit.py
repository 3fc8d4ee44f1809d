"""Edits on a spec, addressed by layer path (index, or indexes into nested Residual stacks).

Every edit takes a typed `Spec` and returns a new one, validated again: an edit that would make the spec
invalid (a value out of range, a type mistake) raises SpecError and the caller keeps the spec it had.
"""
from __future__ import annotations

import copy
from typing import Any, Callable

from playground.layers import ACTIVATIONS, LAYERS
from playground.spec import Spec, from_data

Path = tuple[int, ...]
# Layers whose cards offer an activation dropdown (it writes a separate activation layer after them).
ACTIVATED = ("Linear", "Conv1d", "Conv2d")


def _edited(spec: Spec, change: Callable[[dict[str, Any]], None]) -> Spec:
    doc = copy.deepcopy(spec.to_dict())
    change(doc)
    return from_data(doc)


def _parent(doc: dict, path: Path) -> list[dict]:
    layers = doc["layers"]
    for i in path[:-1]:
        layers = layers[i]["layers"]
    return layers


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


def insert_layer(spec: Spec, path: Path, layer: dict[str, Any]) -> Spec:
    """Insert `layer` so that it ends up at `path`."""
    def change(doc):
        parent = _parent(doc, path)
        parent.insert(min(path[-1], len(parent)), copy.deepcopy(layer))
    return _edited(spec, change)


def append_layer(spec: Spec, layer: dict[str, Any]) -> Spec:
    return insert_layer(spec, (len(spec.layers),), layer)


def remove_layer(spec: Spec, path: Path) -> Spec:
    return _edited(spec, lambda doc: _parent(doc, path).pop(path[-1]))


def move_layer(spec: Spec, path: Path, delta: int) -> Spec:
    """Move a layer up (delta −1) or down (+1) within its list; at the ends nothing changes."""
    def change(doc):
        parent = _parent(doc, path)
        i, j = path[-1], path[-1] + delta
        if 0 <= j < len(parent):
            parent[i], parent[j] = parent[j], parent[i]
    return _edited(spec, change)


def duplicate_layer(spec: Spec, path: Path) -> Spec:
    layer = _parent(spec.to_dict(), path)[path[-1]]
    return insert_layer(spec, path[:-1] + (path[-1] + 1,), layer)


def set_arg(spec: Spec, path: Path, arg: str, value: Any) -> Spec:
    """Set one argument of the layer at `path` (None removes it, so its default applies)."""
    def change(doc):
        layer = _parent(doc, path)[path[-1]]
        if value is None:
            layer.pop(arg, None)
        else:
            layer[arg] = value
    return _edited(spec, change)


def set_section(spec: Spec, section: str, value: dict[str, Any] | None) -> Spec:
    """Replace the dataset, loss, optimizer or training section (None removes an optional one)."""
    def change(doc):
        if value is None:
            doc.pop(section, None)
        else:
            doc[section] = copy.deepcopy(value)
    return _edited(spec, change)


def set_option(spec: Spec, section: str, name: str, value: Any) -> Spec:
    """Set one option of a section (None removes it, so its default applies)."""
    body = dict(spec.to_dict().get(section) or {})
    if value is None:
        body.pop(name, None)
    else:
        body[name] = value
    return set_section(spec, section, body)


def activation_after(spec: Spec, path: Path) -> str | None:
    """The activation layer right after this one, if any (what the card's dropdown shows)."""
    parent = _parent(spec.to_dict(), path)
    nxt = path[-1] + 1
    if nxt < len(parent) and parent[nxt]["type"] in ACTIVATIONS:
        return parent[nxt]["type"]
    return None


def set_activation(spec: Spec, path: Path, activation: str | None) -> Spec:
    """Set, replace or (None) remove the activation layer that follows the layer at `path`."""
    current = activation_after(spec, path)
    after = path[:-1] + (path[-1] + 1,)
    if current == activation:
        return spec
    out = remove_layer(spec, after) if current else spec
    return insert_layer(out, after, new_layer(activation)) if activation else out


def wrap_in_residual(spec: Spec, path: Path) -> Spec:
    """Put the layer at `path` (and its activation, if one follows) inside a new Residual block."""
    count = 2 if activation_after(spec, path) else 1

    def change(doc):
        parent = _parent(doc, path)
        i = path[-1]
        parent[i:i + count] = [{"type": "Residual", "layers": parent[i:i + count]}]
    return _edited(spec, change)


def apply_fix(spec: Spec, path: Path | None, fix: dict[str, Any]) -> Spec:
    """Carry out a validator's one-click fix (insert a layer, set an argument, remove a layer)."""
    target = tuple(fix["path"]) if fix.get("path") is not None else path
    if target is None:
        return spec
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


def layer_types(spec: Spec) -> set[str]:
    """Every layer type in the model, nested ones included."""
    found: set[str] = set()
    stack = list(spec.layers)
    while stack:
        layer = stack.pop()
        found.add(layer.type)
        stack.extend(getattr(layer, "layers", None) or [])
    return found


def model_family(spec: Spec) -> str:
    """A one-word name for the architecture: Transformer, LSTM, GRU, RNN, CNN or MLP."""
    types = layer_types(spec)
    for name, members in (("Transformer", {"TransformerBlock", "MultiheadAttention"}), ("LSTM", {"LSTM"}), ("GRU", {"GRU"}),
                          ("RNN", {"RNN"}), ("CNN", {"Conv1d", "Conv2d"})):
        if types & members:
            return name
    return "MLP"


def input_features(spec: Spec) -> list[str] | None:
    """The features an InputFeatures first layer feeds the network, or None when the model reads the raw point."""
    first = spec.layers[0] if spec.layers else None
    return list(first.features) if first is not None and first.type == "InputFeatures" else None


def set_input_features(spec: Spec, features: list[str] | None) -> Spec:
    """Feed the network these features of each 2-D point (an InputFeatures first layer), or None for the point itself."""
    current = input_features(spec)
    if features is None:
        return remove_layer(spec, (0,)) if current is not None else spec
    if current is None:
        return insert_layer(spec, (0,), {"type": "InputFeatures", "features": list(features)})
    return set_arg(spec, (0,), "features", list(features))


def reorder_layers(spec: Spec, order: list[int]) -> Spec:
    """The top-level layers in a new order (a permutation of their indexes), e.g. from dragging the cards."""
    if sorted(order) != list(range(len(spec.layers))):
        raise ValueError(f"not a reordering of {len(spec.layers)} layers: {order}")
    return _edited(spec, lambda doc: doc.update(layers=[doc["layers"][i] for i in order]))
