"""Lesson 2, losses: each loss and its gradient as a function of the prediction, computed by the real torch.nn
loss modules and autograd; softmax with cross-entropy; and why cross-entropy beats MSE for classification."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from playground.i18n import t
from playground.lessons import TryIt
from playground.losses import make_loss
from playground.spec import Spec, from_data

REGRESSION = ("MSELoss", "L1Loss", "HuberLoss")
DEFAULT_LOGITS = (4.0, 0.0, -2.0)  # with class 3 true: a confident wrong answer, p₃ ≈ 0.0024

# Per prediction ŷ, with the error e = ŷ − y (the modules average these over all outputs: reduction="mean").
REGRESSION_FORMULAS = {
    "MSELoss": (r"L = e^2", r"\frac{\partial L}{\partial \hat y} = 2e"),
    "L1Loss": (r"L = |e|", r"\frac{\partial L}{\partial \hat y} = \operatorname{sign}(e)"),
    "HuberLoss": (r"L = \begin{cases} \tfrac12 e^2 & |e| < \delta \\ \delta\,(|e| - \tfrac12\delta) & |e| \ge \delta \end{cases}",
                  r"\frac{\partial L}{\partial \hat y} = \begin{cases} e & |e| < \delta \\ \delta\,\operatorname{sign}(e) & |e| \ge \delta \end{cases}"),
}
SOFTMAX = r"p_i = \mathrm{softmax}(\mathbf z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}"
CROSS_ENTROPY = r"L = -\sum_i y_i \log p_i = -\log p_c"
MSE_SOFTMAX_GRAD = r"\frac{\partial L_{\mathrm{MSE}}}{\partial z_i} = \frac{2}{C}\sum_k (p_k - y_k)\, p_k\,(\delta_{ki} - p_i)"
SIGMOID = r"p = \sigma(z) = \frac{1}{1 + e^{-z}}"
# Binary cross-entropy beside MSE on the sigmoid's output: the losses, then their gradients with respect to the logit.
BINARY_LOSSES = (r"\begin{aligned} L_{\mathrm{BCE}} &= -\left[\,y \log p + (1-y)\log(1-p)\,\right] \\"
                 r" L_{\mathrm{MSE}} &= (p - y)^2 \end{aligned}")
BINARY_GRADS = (r"\begin{aligned} \frac{\partial L_{\mathrm{BCE}}}{\partial z} &= p - y \\"
                r" \frac{\partial L_{\mathrm{MSE}}}{\partial z} &= 2(p - y)\cdot p\,(1 - p) \end{aligned}")


@dataclass(frozen=True)
class LossCurve:
    name: str
    x: np.ndarray  # the prediction ŷ (regression) or the logit z (classification)
    loss: np.ndarray
    grad: np.ndarray  # ∂L/∂x, from autograd


def _curve(name: str, x: torch.Tensor, per_point) -> LossCurve:
    """Loss and autograd gradient at each point of `x`; `per_point` maps x to one loss per point."""
    x = x.detach().clone().requires_grad_(True)
    loss = per_point(x)
    (grad,) = torch.autograd.grad(loss.sum(), x)
    return LossCurve(name, x.detach().numpy(), loss.detach().numpy(), grad.numpy())


def regression_loss(name: str, delta: float = 1.0, reduction: str = "mean") -> nn.Module:
    """The registry's loss module (nn.MSELoss, nn.L1Loss, nn.HuberLoss) with this reduction."""
    return make_loss(name, {"delta": delta, "reduction": reduction} if name == "HuberLoss" else {"reduction": reduction})


def regression_curve(name: str, target: float, delta: float = 1.0, lo: float = -4.0, hi: float = 4.0,
                     points: int = 801) -> LossCurve:
    """L(ŷ) and ∂L/∂ŷ of one regression loss for a fixed target, over a range of predictions."""
    module = regression_loss(name, delta, "none")
    return _curve(name, torch.linspace(lo, hi, points), lambda x: module(x, torch.full_like(x, target)))


def regression_point(name: str, prediction: float, target: float, delta: float = 1.0) -> tuple[float, float]:
    """(L, ∂L/∂ŷ) at one prediction, from the module as training calls it (reduction 'mean')."""
    module = regression_loss(name, delta)
    c = _curve(name, torch.tensor([prediction]), lambda x: module(x, torch.tensor([target])).reshape(1))
    return float(c.loss[0]), float(c.grad[0])


def binary_curves(target: float, logits: torch.Tensor | None = None) -> tuple[LossCurve, LossCurve]:
    """Over the logit z: BCEWithLogitsLoss, and MSELoss on the sigmoid's output p = σ(z); both differentiated in z."""
    z = torch.linspace(-8.0, 8.0, 801) if logits is None else logits
    bce, mse, sigmoid = nn.BCEWithLogitsLoss(reduction="none"), nn.MSELoss(reduction="none"), nn.Sigmoid()
    return (_curve("BCEWithLogitsLoss", z, lambda x: bce(x, torch.full_like(x, target))),
            _curve("MSELoss", z, lambda x: mse(sigmoid(x), torch.full_like(x, target))))


@dataclass(frozen=True)
class BinaryPoint:
    z: float
    y: float
    p: float  # σ(z)
    bce: float
    bce_grad: float
    mse: float
    mse_grad: float


def binary_point(z: float, y: float) -> BinaryPoint:
    """Both losses and their gradients with respect to the logit, at one logit."""
    bce, mse = binary_curves(y, torch.tensor([float(z)]))
    return BinaryPoint(z, y, float(torch.sigmoid(torch.tensor(float(z)))), float(bce.loss[0]), float(bce.grad[0]),
                       float(mse.loss[0]), float(mse.grad[0]))


@dataclass(frozen=True)
class SoftmaxCase:
    z: np.ndarray  # logits
    p: np.ndarray  # softmax(z)
    y: np.ndarray  # one-hot target
    ce: float  # nn.CrossEntropyLoss(z, true class)
    ce_grad: np.ndarray  # ∂L/∂z by autograd: p − y
    mse: float  # nn.MSELoss(softmax(z), one-hot)
    mse_grad: np.ndarray  # ∂L_MSE/∂z by autograd


def softmax_case(logits: list[float], true: int) -> SoftmaxCase:
    """Softmax of the logits, then cross-entropy and (for comparison) MSE on the probabilities, each with ∂/∂z."""
    z = torch.tensor([logits], requires_grad=True)
    target = torch.tensor([true])
    ce = nn.CrossEntropyLoss()(z, target)
    (ce_grad,) = torch.autograd.grad(ce, z)
    p = nn.Softmax(dim=-1)(z)
    onehot = nn.functional.one_hot(target, len(logits)).to(p.dtype)
    mse = nn.MSELoss()(p, onehot)
    (mse_grad,) = torch.autograd.grad(mse, z)
    return SoftmaxCase(z.detach().numpy()[0], p.detach().numpy()[0], onehot.numpy()[0], float(ce.detach()), ce_grad.numpy()[0],
                       float(mse.detach()), mse_grad.numpy()[0])


# ---------------------------------------------------------------- try it: one classifier, three losses
def _digits(loss: str, softmax: bool, name: str) -> Spec:
    """A small MLP on the 8×8 digits with plain SGD (lr 0.1): the gradient's size is the step's size."""
    layers = [{"type": "Flatten"}, {"type": "Linear", "out_features": 32}, {"type": "Tanh"}, {"type": "Linear", "out_features": 10}]
    if softmax:
        layers.append({"type": "Softmax"})
    return from_data({"name": name, "dataset": {"name": "digits"}, "layers": layers, "loss": {"type": loss},
                      "optimizer": {"type": "SGD", "lr": 0.1}, "training": {"epochs": 30, "batch_size": 32, "seed": 0}})


def with_cross_entropy() -> Spec:
    return _digits("CrossEntropyLoss", False, t("learn_losses.spec.ce"))


def with_mse() -> Spec:
    """MSELoss on the raw outputs against one-hot targets (how the playground trains a classifier with MSE)."""
    return _digits("MSELoss", False, t("learn_losses.spec.mse"))


def with_softmax_mse() -> Spec:
    """MSELoss on softmax probabilities: the textbook case whose gradient vanishes at a confident wrong answer."""
    return _digits("MSELoss", True, t("learn_losses.spec.softmax_mse"))


TRY_IT = [TryIt("learn_losses.try.ce", with_cross_entropy), TryIt("learn_losses.try.mse", with_mse),
          TryIt("learn_losses.try.softmax_mse", with_softmax_mse)]
