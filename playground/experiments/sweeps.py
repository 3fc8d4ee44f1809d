"""A sweep: a small grid over one or two values of a spec — learning rate, hidden width, depth, activation,
optimizer — each point a spec of its own, passed through the typed door like any other.

Hidden layers are read the way a learner builds an MLP: every top-level Linear but the last is hidden, and
a hidden block runs from a hidden Linear up to the next Linear (its activation, a Dropout, ...).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from playground.i18n import Msg, msg
from playground.layers import ACTIVATIONS
from playground.optimizers import OPTIMIZERS
from playground.params import show
from playground.spec import Spec, SpecError, from_data

MAX_RUNS = 9
AXES = ("lr", "width", "depth", "activation", "optimizer")
HIDDEN_ACTIVATIONS = tuple(a for a in ACTIVATIONS if a not in ("Identity", "Softmax", "LogSoftmax"))
LIMITS = {"lr": (1e-6, 10.0), "width": (1, 1024), "depth": (0, 8)}
NEW_BLOCK = [{"type": "Linear", "out_features": 16}, {"type": "ReLU"}]  # depth from 0 to 1: TensorFlow Playground's default


class SweepError(ValueError):
    def __init__(self, message: Msg):
        super().__init__(message.key)
        self.msg = message


@dataclass(frozen=True)
class Point:
    """One run of a sweep: its values ((axis, value), ...) and its spec."""

    values: tuple[tuple[str, Any], ...]
    spec: Spec

    @property
    def label(self) -> str:
        return " · ".join(f"{axis} {show(value)}" for axis, value in self.values)


def _linears(layers: list[dict]) -> list[int]:
    return [i for i, layer in enumerate(layers) if layer["type"] == "Linear"]


def axes_for(spec: Spec) -> list[str]:
    """The axes this model can be swept along (width and depth need a Linear output layer, activation one to swap)."""
    types = [layer.type for layer in spec.layers]
    out = ["lr", "optimizer"]
    if types.count("Linear") >= 2:
        out.insert(1, "width")
    if "Linear" in types:
        out.insert(-1, "depth")
    if any(t in HIDDEN_ACTIVATIONS for t in types):
        out.insert(-1, "activation")
    return out


def parse_values(axis: str, text: str) -> tuple[Any, ...]:
    """'0.001, 0.01, 0.1' → (0.001, 0.01, 0.1) for a numeric axis; one sentence saying what is wrong otherwise."""
    kind = float if axis == "lr" else int
    low, high = LIMITS[axis]
    values = []
    for part in text.replace("，", ",").replace(";", ",").split(","):
        if not part.strip():
            continue
        try:
            value = kind(part.strip())
        except ValueError:
            raise SweepError(msg("compare.sweep.not_a_number", axis=axis, got=part.strip()[:20])) from None
        if not low <= value <= high:
            raise SweepError(msg("compare.sweep.out_of_range", axis=axis, got=show(value), low=show(low), high=show(high)))
        values.append(value)
    return tuple(dict.fromkeys(values))


def _set(doc: dict, axis: str, value: Any) -> None:
    """Write one value into a spec document (a plain dict copied from a typed spec)."""
    layers = doc["layers"]
    if axis == "lr":
        doc["optimizer"] = {**(doc.get("optimizer") or {"type": "Adam"}), "lr": value}
    elif axis == "optimizer":
        lr = (doc.get("optimizer") or {}).get("lr")
        doc["optimizer"] = {"type": value, **({"lr": lr} if lr is not None else {})}
    elif axis == "width":
        for i in _linears(layers)[:-1]:
            layers[i] = {**layers[i], "out_features": value}
    elif axis == "activation":
        doc["layers"] = [{"type": value} if layer["type"] in HIDDEN_ACTIVATIONS else layer for layer in layers]
    elif axis == "depth":
        doc["layers"] = _with_depth(layers, value)


def _with_depth(layers: list[dict], depth: int) -> list[dict]:
    """The stack with `depth` hidden blocks: the last block repeated, or blocks dropped from the end."""
    linear = _linears(layers)
    first, out = linear[0], linear[-1]
    blocks = [layers[a:b] for a, b in zip(linear[:-1], linear[1:])]
    template = blocks[-1] if blocks else NEW_BLOCK
    blocks = (blocks + [template] * depth)[:depth]
    return layers[:first] + [layer for block in blocks for layer in block] + layers[out:]


def grid(spec: Spec, axes: dict[str, tuple[Any, ...]]) -> list[Point]:
    """Every combination of the chosen values, at most MAX_RUNS; each spec checked by the typed door."""
    chosen = {axis: values for axis, values in axes.items() if values}
    if not chosen:
        raise SweepError(msg("compare.sweep.no_values"))
    size = 1
    for values in chosen.values():
        size *= len(values)
    if size > MAX_RUNS:
        raise SweepError(msg("compare.sweep.too_many", count=size, limit=MAX_RUNS))
    points = []
    for combo in itertools.product(*chosen.values()):
        doc = spec.to_dict()
        values = tuple(zip(chosen, combo))
        for axis, value in values:
            _set(doc, axis, value)
        try:
            points.append(Point(values, from_data(doc)))
        except SpecError as e:
            raise SweepError(e.problems[0].msg) from None
    return points


def fair_share(cores: int, training_elsewhere: int) -> int:
    """Runs of one sweep that may train at once: the cores no other run is using, and always one."""
    return max(1, cores - training_elsewhere)


OPTIMIZER_CHOICES = tuple(OPTIMIZERS)
