"""RNN, LSTM and GRU opened up: their equations, written once as data, both drawn as LaTeX and computed.

The equations follow PyTorch's documentation term by term (its weight names W_ii, W_hf, …, its gate
order i, f, g, o and r, z, n, the reset gate inside the GRU candidate). Because the same objects compute
the gates shown on the page, a test that reproduces `nn.LSTM`/`nn.GRU`/`nn.RNN` from them checks the
formula itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

import numpy as np
import torch
from torch import nn

from playground.analysis import LayerInfo
from playground.inspection.core import AtLayer


# ---------------------------------------------------------------- the equations as data
@dataclass(frozen=True)
class Affine:
    """W v + b for one gate's block of PyTorch's stacked weights: from the input x_t or from h_{t−1}."""

    source: str  # "x" or "h"
    gate: str  # the gate's letter in PyTorch's weight names (W_ii: input → gate i; W_hn: hidden → gate n)


@dataclass(frozen=True)
class Apply:
    fn: str  # "sigmoid", "tanh" or "relu"
    arg: "Node"


@dataclass(frozen=True)
class Sum:
    terms: tuple["Node", ...]


@dataclass(frozen=True)
class Prod:
    """Element-wise product a ⊙ b."""

    a: "Node"
    b: "Node"


@dataclass(frozen=True)
class OneMinus:
    arg: "Node"


@dataclass(frozen=True)
class State:
    """A named vector: this step's (i_t, c_t) or the previous step's (c_{t−1}, h_{t−1})."""

    name: str
    previous: bool = False


Node = Union[Affine, Apply, Sum, Prod, OneMinus, State]


@dataclass(frozen=True)
class Equation:
    name: str  # the symbol it defines
    expr: Node


def _gate(name: str, fn: str) -> Equation:
    return Equation(name, Apply(fn, Sum((Affine("x", name), Affine("h", name)))))


STACK_ORDER = {"LSTM": "ifgo", "GRU": "rzn", "RNN": "h"}  # how PyTorch stacks the gates' rows in weight_ih/weight_hh
GATED = {"LSTM": ("i", "f", "g", "o"), "GRU": ("r", "z", "n")}  # the per-step vectors drawn as heatmaps
SQUASHED = {"i", "f", "o", "r", "z"}  # sigmoid outputs, between 0 and 1


def equations(kind: str, nonlinearity: str = "tanh") -> tuple[Equation, ...]:
    """The update of one step, in order; the last equation defines h_t."""
    if kind == "LSTM":
        return (_gate("i", "sigmoid"), _gate("f", "sigmoid"), _gate("g", "tanh"), _gate("o", "sigmoid"),
                Equation("c", Sum((Prod(State("f"), State("c", True)), Prod(State("i"), State("g"))))),
                Equation("h", Prod(State("o"), Apply("tanh", State("c")))))
    if kind == "GRU":
        candidate = Apply("tanh", Sum((Affine("x", "n"), Prod(State("r"), Affine("h", "n")))))
        return (_gate("r", "sigmoid"), _gate("z", "sigmoid"), Equation("n", candidate),
                Equation("h", Sum((Prod(OneMinus(State("z")), State("n")), Prod(State("z"), State("h", True))))))
    return (_gate("h", nonlinearity),)


# ---------------------------------------------------------------- drawn as LaTeX
_FN = {"sigmoid": r"\sigma", "tanh": r"\tanh", "relu": r"\mathrm{ReLU}"}


def latex(eq: Equation) -> str:
    """One equation as LaTeX, e.g. i_t = \\sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi})."""
    return f"{eq.name}_t = {_tex(eq.expr)}"


def _tex(node: Node) -> str:
    if isinstance(node, Affine):
        if node.source == "x":
            return f"W_{{i{node.gate}}} x_t + b_{{i{node.gate}}}"
        return f"W_{{h{node.gate}}} h_{{t-1}} + b_{{h{node.gate}}}"
    if isinstance(node, Apply):
        return rf"{_FN[node.fn]}\left({_tex(node.arg)}\right)"
    if isinstance(node, Sum):
        return " + ".join(_tex(term) for term in node.terms)
    if isinstance(node, Prod):
        return rf"{_factor(node.a)} \odot {_factor(node.b)}"
    if isinstance(node, OneMinus):
        return f"1 - {_tex(node.arg)}"
    return f"{node.name}_{{t-1}}" if node.previous else f"{node.name}_t"


def _factor(node: Node) -> str:
    """A factor of ⊙, in brackets when it is itself a sum."""
    text = _tex(node)
    return rf"\left({text}\right)" if isinstance(node, (Affine, Sum, OneMinus)) else text


# ---------------------------------------------------------------- computed
class Cell:
    """One layer-0, forward-direction cell of an nn.RNN/LSTM/GRU, stepped through the equations above."""

    def __init__(self, module: nn.RNNBase):
        self.kind = type(module).__name__
        self.size = module.hidden_size
        self.equations = equations(self.kind, getattr(module, "nonlinearity", "tanh"))
        order = STACK_ORDER[self.kind]
        self.blocks = {}
        for source, suffix in (("x", "ih"), ("h", "hh")):
            weight = getattr(module, f"weight_{suffix}_l0").detach()
            bias = getattr(module, f"bias_{suffix}_l0", None)
            for k, gate in enumerate(order):
                rows = slice(k * self.size, (k + 1) * self.size)
                self.blocks[source, gate] = (weight[rows], None if bias is None else bias.detach()[rows])

    def run(self, x: torch.Tensor) -> dict[str, np.ndarray]:
        """Every equation's vector at every step for a sequence x (T, input_size): symbol -> (T, hidden)."""
        prev = {"h": torch.zeros(self.size), "c": torch.zeros(self.size)}
        out: dict[str, list[torch.Tensor]] = {eq.name: [] for eq in self.equations}
        with torch.no_grad():
            for x_t in x:
                now: dict[str, torch.Tensor] = {}
                for eq in self.equations:
                    now[eq.name] = self._eval(eq.expr, x_t, now, prev)
                    out[eq.name].append(now[eq.name])
                prev = {"h": now["h"], "c": now.get("c", prev["c"])}
        return {name: torch.stack(values).numpy() for name, values in out.items()}

    def _eval(self, node: Node, x_t: torch.Tensor, now: dict, prev: dict) -> torch.Tensor:
        if isinstance(node, Affine):
            weight, bias = self.blocks[node.source, node.gate]
            value = weight @ (x_t if node.source == "x" else prev["h"])
            return value if bias is None else value + bias
        if isinstance(node, Apply):
            return {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[node.fn](
                self._eval(node.arg, x_t, now, prev))
        if isinstance(node, Sum):
            return sum((self._eval(term, x_t, now, prev) for term in node.terms), torch.zeros(self.size))
        if isinstance(node, Prod):
            return self._eval(node.a, x_t, now, prev) * self._eval(node.b, x_t, now, prev)
        if isinstance(node, OneMinus):
            return 1.0 - self._eval(node.arg, x_t, now, prev)
        return prev[node.name] if node.previous else now[node.name]


# ---------------------------------------------------------------- the trace of one layer
@dataclass
class RecurrentTrace(AtLayer):
    """The states over time of an RNN, LSTM or GRU layer."""

    hidden: np.ndarray  # (T, H·directions): the layer's output sequence h_1..h_T
    gates: dict[str, np.ndarray] | None = None  # one-layer, one-direction LSTM/GRU: gate symbol -> (T, H)
    cell: np.ndarray | None = None  # LSTM cell state c_t, (T, H)
    nonlinearity: str = "tanh"  # an RNN's f in h_t = f(…)

    @property
    def equations(self) -> tuple[Equation, ...]:
        return equations(self.type, self.nonlinearity)


def recurrent_trace(index: int, info: LayerInfo, module: nn.RNNBase, x: torch.Tensor, h: torch.Tensor) -> RecurrentTrace:
    """Hidden states (the layer's output for one sequence), and for a one-layer, one-direction LSTM/GRU the
    gates and cell state, computed by the equations from the layer's weights."""
    kind = type(module).__name__
    result = RecurrentTrace(index, info.type, info.label, h.numpy(), nonlinearity=getattr(module, "nonlinearity", "tanh"))
    if kind in GATED and module.num_layers == 1 and not module.bidirectional:
        states = Cell(module).run(x)
        result.gates = {name: states[name] for name in GATED[kind]}
        result.cell = states.get("c")
    return result
