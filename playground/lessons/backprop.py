"""Lesson 3, gradient descent and back-propagation: one forward and one backward pass through a 2-2-1 tanh network
with every number, each gradient by the chain rule beside autograd's, gradient-descent steps, and the paths of
torch.optim's SGD, momentum and Adam on a 2-D loss surface."""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn

from playground.analysis import analyze
from playground.i18n import t
from playground.lessons import TryIt
from playground.spec import Spec, from_data
from playground.training import Trainer

PARAMETERS = ("W1", "b1", "W2", "b2")
DIVERGED = 1e6  # a loss this large (or not finite) has left for good: the steps stop there
TEX_NAMES = {"W1": "W^{(1)}", "b1": r"\mathbf b^{(1)}", "W2": "W^{(2)}", "b2": "b^{(2)}"}
TEXT_NAMES = {"W1": "W⁽¹⁾", "b1": "b⁽¹⁾", "W2": "W⁽²⁾", "b2": "b⁽²⁾"}  # the same, as plain text for a table
_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
MAX_STEPS = 500  # gradient-descent steps the page takes on the tiny network, at most


@dataclass(frozen=True)
class Weights:
    """The four parameter tensors of the 2-2-1 network: W1 (2×2), b1 (2), W2 (1×2), b2 (1)."""

    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray

    def items(self) -> list[tuple[str, np.ndarray]]:
        return [(name, getattr(self, name)) for name in PARAMETERS]


def network(w: Weights) -> nn.Sequential:
    """The network as PyTorch builds it — Linear(2, 2), Tanh, Linear(2, 1) — holding these weights."""
    net = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))
    with torch.no_grad():
        for p, (_, value) in zip(net.parameters(), w.items()):
            p.copy_(torch.as_tensor(value))
    return net


def initial_weights(seed: int) -> Weights:
    """PyTorch's own initialisation of the network, drawn from `seed` (the global generator is left untouched)."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        net = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))
    return Weights(*(p.detach().numpy().copy() for p in net.parameters()))


@dataclass(frozen=True)
class Pass:
    """One forward and one backward pass on one sample: every intermediate and every gradient."""

    x: np.ndarray
    y: float
    w: Weights
    z1: np.ndarray  # W1 x + b1
    a1: np.ndarray  # tanh(z1)
    y_hat: float  # W2 a1 + b2
    loss: float  # (ŷ − y)²
    d_y_hat: float  # ∂L/∂ŷ = 2(ŷ − y)
    d_a1: np.ndarray  # W2ᵀ ∂L/∂ŷ
    d_z1: np.ndarray  # (1 − a1²) ⊙ ∂L/∂a1
    grads: Weights  # by the chain rule
    autograd: Weights  # by loss.backward() on the real modules

    @property
    def diverged(self) -> bool:
        """The loss has blown up (too large a learning rate): no further step makes sense."""
        return not math.isfinite(self.loss) or self.loss > DIVERGED


def step_through(w: Weights, x: tuple[float, float], y: float) -> Pass:
    """Forward through the real modules, backward twice: by hand (the chain rule) and by autograd."""
    net = network(w)
    xt, yt = torch.tensor(x, dtype=torch.float32), torch.tensor([y], dtype=torch.float32)
    z1 = net[0](xt)
    a1 = net[1](z1)
    y_hat = net[2](a1)
    loss = nn.MSELoss()(y_hat, yt)
    loss.backward()
    with torch.no_grad():
        d_y_hat = 2 * (y_hat - yt)  # (1,)
        d_a1 = net[2].weight.T @ d_y_hat  # (2,)
        d_z1 = (1 - a1 ** 2) * d_a1  # tanh′(z) = 1 − tanh²(z)
        grads = Weights(torch.outer(d_z1, xt).numpy(), d_z1.numpy(), torch.outer(d_y_hat, a1).numpy(), d_y_hat.numpy())
    auto = Weights(*(p.grad.numpy() for p in net.parameters()))
    return Pass(np.array(x), y, w, z1.detach().numpy(), a1.detach().numpy(), float(y_hat.detach()), float(loss.detach()),
                float(d_y_hat), d_a1.numpy(), d_z1.numpy(), grads, auto)


def gradient_table(p: Pass) -> list[tuple[str, float, float]]:
    """Per scalar parameter: its name (W⁽¹⁾₂₁ joins input 1 to hidden unit 2), the chain rule's gradient, autograd's."""
    out = []
    for (name, mine), (_, auto) in zip(p.grads.items(), p.autograd.items()):
        for index in np.ndindex(mine.shape):
            sub = "".join(str(i + 1) for i in index) if mine.size > 1 else ""
            out.append((TEXT_NAMES[name] + sub.translate(_SUBSCRIPT), float(mine[index]), float(auto[index])))
    return out


def update(w: Weights, grads: Weights, lr: float) -> Weights:
    """One step of gradient descent: w ← w − η·∂L/∂w for every parameter (minus: down the slope)."""
    return Weights(*(value - lr * g for (_, value), (_, g) in zip(w.items(), grads.items())))


def next_pass(p: Pass, lr: float) -> Pass:
    """Take one step of gradient descent from this pass's weights, and pass the sample through the new network."""
    return step_through(update(p.w, p.grads, lr), (float(p.x[0]), float(p.x[1])), p.y)


def descend(seed: int, x: tuple[float, float], y: float, lr: float, steps: int) -> list[Pass]:
    """The passes of `steps` gradient-descent steps from the initial weights (fewer if the loss blows up)."""
    passes = [step_through(initial_weights(seed), x, y)]
    while len(passes) <= min(steps, MAX_STEPS) and not passes[-1].diverged:
        passes.append(next_pass(passes[-1], lr))
    return passes


def loss_at(w: Weights, x: tuple[float, float], y: float) -> float:
    """The loss of the network with these weights on the sample (no gradient)."""
    with torch.no_grad():
        return float(nn.MSELoss()(network(w)(torch.tensor(x)), torch.tensor([y])))


# ---------------------------------------------------------------- optimizers on a 2-D loss surface
@dataclass(frozen=True)
class Surface:
    key: str
    formula: str
    loss: Callable[[torch.Tensor], torch.Tensor]  # (..., 2) → (...)
    grad: Callable[[torch.Tensor], torch.Tensor]  # (2,) → (2,): ∇L written out (autograd per step costs 4× more; tested equal)
    start: tuple[float, float]
    minimum: tuple[float, float]
    box: tuple[tuple[float, float], tuple[float, float]]  # the w1 and w2 ranges drawn
    lr: float  # the learning rate the page opens this surface at (the one its text discusses)
    quadratic: bool  # its curvature is the same everywhere, so the stability limits below are exact


SURFACES = {s.key: s for s in (
    Surface("bowl", r"L(w_1, w_2) = \tfrac12\left(w_1^2 + 20\,w_2^2\right)", lambda w: 0.5 * (w[..., 0] ** 2 + 20 * w[..., 1] ** 2),
            lambda w: torch.stack([w[0], 20 * w[1]]), (-4.5, 1.5), (0.0, 0.0), ((-5.0, 5.0), (-2.5, 2.5)), 0.05, True),
    Surface("rosenbrock", r"L(w_1, w_2) = (1 - w_1)^2 + 10\,(w_2 - w_1^2)^2",
            lambda w: (1 - w[..., 0]) ** 2 + 10 * (w[..., 1] - w[..., 0] ** 2) ** 2,
            lambda w: torch.stack([-2 * (1 - w[0]) - 40 * w[0] * (w[1] - w[0] ** 2), 20 * (w[1] - w[0] ** 2)]), (-1.5, 2.0), (1.0, 1.0), ((-2.0, 2.0), (-1.0, 3.0)), 0.01, False),
)}
MOMENTUM = 0.9
OPTIMIZERS = {"SGD": ("SGD", {}), "momentum": ("SGD", {"momentum": MOMENTUM}), "Adam": ("Adam", {})}
LEARNING_RATES = (0.0003, 0.001, 0.003, 0.01, 0.02, 0.05, 0.09, 0.11, 0.15, 0.2, 0.3, 0.5, 1.0)
MAX_PATH_STEPS = 300
UPDATE_RULES = {  # as torch.optim computes them (g = ∇L; PyTorch's momentum form; Adam with β₁ = 0.9, β₂ = 0.999)
    "SGD": r"\mathbf w \leftarrow \mathbf w - \eta\,\mathbf g",
    "momentum": r"\mathbf v \leftarrow \mu\,\mathbf v + \mathbf g,\qquad \mathbf w \leftarrow \mathbf w - \eta\,\mathbf v",
    "Adam": r"\begin{aligned} \mathbf m &\leftarrow \beta_1 \mathbf m + (1-\beta_1)\,\mathbf g \\ \mathbf v &\leftarrow \beta_2 \mathbf v + (1-\beta_2)\,\mathbf g^2 \\"
            r" \hat{\mathbf m} &= \mathbf m / (1-\beta_1^t),\quad \hat{\mathbf v} = \mathbf v / (1-\beta_2^t) \\"
            r" \mathbf w &\leftarrow \mathbf w - \eta\,\hat{\mathbf m} / \big(\sqrt{\hat{\mathbf v}} + \epsilon\big) \end{aligned}",
}


@dataclass(frozen=True)
class OptimizerPath:
    name: str  # a key of OPTIMIZERS
    w: np.ndarray  # (steps + 1, 2): where each step landed, the start first
    loss: np.ndarray  # (steps + 1,)
    diverged_at: int | None  # the step at which the loss passed DIVERGED, if it did

    def first(self, steps: int) -> OptimizerPath:
        """The same run stopped after `steps` steps (a run is deterministic, so this is what a shorter run gives)."""
        diverged = self.diverged_at if self.diverged_at is not None and self.diverged_at <= steps else None
        return OptimizerPath(self.name, self.w[:steps + 1], self.loss[:steps + 1], diverged)


def optimizer_path(surface: Surface, name: str, lr: float, steps: int) -> OptimizerPath:
    """Minimise the surface from its start with a real torch.optim optimizer, recording every step."""
    kind, extra = OPTIMIZERS[name]
    w = nn.Parameter(torch.tensor(surface.start))
    opt = getattr(torch.optim, kind)([w], lr=lr, **extra)
    points, losses = [], []
    for step in range(steps + 1):
        with torch.no_grad():
            points.append(w.detach().clone())
            losses.append(float(surface.loss(w)))
            if not np.isfinite(losses[-1]) or losses[-1] > DIVERGED:
                return OptimizerPath(name, torch.stack(points).numpy(), np.array(losses), step)
            if step == steps:
                break
            w.grad = surface.grad(w)
        opt.step()
    return OptimizerPath(name, torch.stack(points).numpy(), np.array(losses), None)


@dataclass(frozen=True)
class Landscape:
    w1: np.ndarray
    w2: np.ndarray
    loss: np.ndarray  # (len(w2), len(w1))


@torch.no_grad()
def landscape(surface: Surface, resolution: int = 121) -> Landscape:
    """The loss over the drawn box, for the contour plot."""
    (lo1, hi1), (lo2, hi2) = surface.box
    w1, w2 = torch.linspace(lo1, hi1, resolution), torch.linspace(lo2, hi2, resolution)
    g2, g1 = torch.meshgrid(w2, w1, indexing="ij")
    return Landscape(w1.numpy(), w2.numpy(), surface.loss(torch.stack([g1, g2], dim=-1)).numpy())


def curvature(surface: Surface, point: tuple[float, float] | None = None) -> float:
    """The largest eigenvalue of the Hessian at a point (the start by default): near there, plain gradient descent is
    stable only for η < 2/λ."""
    hessian = torch.autograd.functional.hessian(surface.loss, torch.tensor(point or surface.start))
    return float(torch.linalg.eigvalsh(hessian).max())


def stability_limits(lam: float) -> tuple[float, float]:
    """On a quadratic with largest curvature λ: SGD converges iff η < 2/λ; SGD with momentum μ iff η < 2(1 + μ)/λ."""
    return 2 / lam, 2 * (1 + MOMENTUM) / lam


# ---------------------------------------------------------------- try it: the learning rate on the spiral
TRY_LR = {"small": 0.03, "good": 0.3, "large": 10.0}


def spiral_sgd(which: str) -> Spec:
    """Three ReLU layers on the spiral with plain SGD at one of three learning rates."""
    layers = [layer for _ in range(3) for layer in ({"type": "Linear", "out_features": 32}, {"type": "ReLU"})]
    layers.append({"type": "Linear", "out_features": 2})
    lr = TRY_LR[which]
    return from_data({"name": t(f"learn_backprop.spec.{which}", lr=f"{lr:g}"), "dataset": {"name": "spiral"}, "layers": layers,
                      "optimizer": {"type": "SGD", "lr": lr}, "training": {"epochs": 60, "batch_size": 32, "seed": 0}})


@functools.cache
def epoch_arithmetic() -> tuple[int, int, int]:
    """(training samples N, batch size B, steps per epoch) of the try-it models, as the Trainer counts them."""
    trainer = Trainer(analyze(spiral_sgd("good")))
    return trainer.data.n_train, trainer.batch_size, trainer.steps_per_epoch


TRY_IT = [TryIt(f"learn_backprop.try.{which}", lambda which=which: spiral_sgd(which)) for which in TRY_LR]
