"""Lesson 1, neurons and activations: every activation's curve and derivative (from PyTorch's own autograd),
one neuron's output over a 2-D input, and the models the lesson links to."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from playground.analysis import NAMESPACE
from playground.i18n import t
from playground.layers import ACTIVATIONS, LAYERS
from playground.lessons import TryIt
from playground.spec import Spec, from_data

# Softmax and LogSoftmax act on a whole vector, not element by element: the Losses lesson shows them.
ELEMENTWISE = [a for a in ACTIVATIONS if a not in ("Softmax", "LogSoftmax")]
SATURATED = 0.005  # |f′(x)| below this: the gradient through the unit has all but vanished (a leaky slope of 0.01 has not)

# The derivatives a student meets in the curriculum, as formulas (each is checked against autograd in the tests).
DERIVATIVES = {
    "Sigmoid": r"\sigma'(x) = \sigma(x)\,(1 - \sigma(x)) \le \tfrac14",
    "Tanh": r"\tanh'(x) = 1 - \tanh^2(x)",
    "ReLU": r"\mathrm{ReLU}'(x) = \begin{cases} 1 & x > 0 \\ 0 & x < 0 \end{cases}",
    "LeakyReLU": r"f'(x) = \begin{cases} 1 & x > 0 \\ a & x < 0 \end{cases}",
    "ELU": r"f'(x) = \begin{cases} 1 & x > 0 \\ \alpha e^{x} & x \le 0 \end{cases}",
    "Softplus": r"f'(x) = \sigma(\beta x)",
    "Identity": r"f'(x) = 1",
}


def activation(name: str, **args) -> nn.Module:
    """The activation module exactly as a spec builds it (registry defaults, overridden by `args`)."""
    d = LAYERS[name]
    values = {**d.params.defaults(), **args}
    return d.make((1,), values, None).build(NAMESPACE)


@dataclass(frozen=True)
class Curve:
    name: str
    x: np.ndarray
    y: np.ndarray
    dy: np.ndarray  # the derivative, from autograd

    def saturated(self) -> list[tuple[float, float]]:
        """Intervals of x where |f′(x)| < SATURATED: a gradient passing through there nearly vanishes."""
        flat = np.abs(self.dy) < SATURATED
        out, start = [], None
        for xi, f in zip(self.x, flat):
            if f and start is None:
                start = xi
            elif not f and start is not None:
                out.append((float(start), float(xi)))
                start = None
        if start is not None:
            out.append((float(start), float(self.x[-1])))
        return out


def curve(name: str, lo: float = -8.0, hi: float = 8.0, points: int = 801) -> Curve:
    """f(x) and f′(x) of one registry activation on [lo, hi]."""
    x = torch.linspace(lo, hi, points, requires_grad=True)
    y = activation(name)(x)
    (dy,) = torch.autograd.grad(y.sum(), x)
    return Curve(name, x.detach().numpy(), y.detach().numpy(), dy.numpy())


@dataclass(frozen=True)
class Surface:
    x1: np.ndarray
    x2: np.ndarray
    z: np.ndarray  # (len(x2), len(x1)): the neuron's output y = f(w1 x1 + w2 x2 + b)
    level: float  # where the output is "half way": 0 for odd functions, 0.5 for the sigmoid, the decision line


@torch.no_grad()
def neuron_surface(w1: float, w2: float, b: float, name: str, extent: float = 3.0, resolution: int = 81) -> Surface:
    """One neuron — nn.Linear(2, 1) with these weights, then the activation — over a square of inputs."""
    linear = nn.Linear(2, 1)
    linear.weight.copy_(torch.tensor([[w1, w2]]))
    linear.bias.fill_(b)
    axis = torch.linspace(-extent, extent, resolution)
    g2, g1 = torch.meshgrid(axis, axis, indexing="ij")
    z = activation(name)(linear(torch.stack([g1.flatten(), g2.flatten()], dim=1))).reshape(resolution, resolution)
    level = float(activation(name)(torch.zeros(1)))
    return Surface(axis.numpy(), axis.numpy(), z.numpy(), level)


def _mlp(dataset: str, hidden: list[str | None], optimizer: dict, epochs: int, name: str) -> Spec:
    layers: list[dict] = []
    for act in hidden:
        layers.append({"type": "Linear", "out_features": 16})
        if act:
            layers.append({"type": act})
    layers.append({"type": "Linear", "out_features": 2})
    return from_data({"name": name, "dataset": {"name": dataset}, "layers": layers, "optimizer": optimizer,
                      "training": {"epochs": epochs, "batch_size": 16, "seed": 0}})


def linear_only() -> Spec:
    """Three Linear layers and no activation: one linear map, so one straight boundary — the circle stays unsolved."""
    return _mlp("circle", [None, None], {"type": "Adam", "lr": 0.01}, 40, t("learn_neurons.spec.linear"))


def with_tanh() -> Spec:
    return _mlp("circle", ["Tanh", "Tanh"], {"type": "Adam", "lr": 0.01}, 40, t("learn_neurons.spec.tanh"))


def dead_relu() -> Spec:
    """A ReLU network whose learning rate is too large: most units of its last hidden layer stop ever firing."""
    return _mlp("spiral", ["ReLU", "ReLU", "ReLU"], {"type": "Adam", "lr": 0.1}, 30, t("learn_neurons.spec.dead"))


def healthy_relu() -> Spec:
    return _mlp("spiral", ["ReLU", "ReLU", "ReLU"], {"type": "Adam", "lr": 0.01}, 30, t("learn_neurons.spec.healthy"))


TRY_IT = [TryIt("learn_neurons.try.linear", linear_only), TryIt("learn_neurons.try.tanh", with_tanh),
          TryIt("learn_neurons.try.dead", dead_relu), TryIt("learn_neurons.try.healthy", healthy_relu)]
