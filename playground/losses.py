"""The loss registry, and how each loss meets each task: the output it needs and the targets it gets."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from playground.datasets import CLASSIFICATION_TASKS
from playground.params import Param, ParamSet


@dataclass(frozen=True)
class LossDef:
    type: str
    summary: str
    formula: str
    params: ParamSet = field(default_factory=ParamSet)
    target: str = "index"  # "index" (class ids), "binary" (one 0/1 output), "value" (regression or one-hot)
    classification_only: bool = False


LOSSES: dict[str, LossDef] = {d.type: d for d in (
    LossDef("CrossEntropyLoss", "Softmax over the outputs, then the negative log-probability of the true class.",
            r"L = -\log \frac{e^{z_y}}{\sum_j e^{z_j}}",
            ParamSet((Param("label_smoothing", "float", 0.0, "Spread this much probability over the other classes.", 0.0, 0.5, step=0.05),)),
            "index", True),
    LossDef("BCEWithLogitsLoss", "Binary cross-entropy on one output passed through a sigmoid.",
            r"L = -\left[y \log \sigma(z) + (1-y) \log(1-\sigma(z))\right]", target="binary", classification_only=True),
    LossDef("NLLLoss", "Negative log-likelihood of the true class; expects log-probabilities, so end the model with LogSoftmax.",
            r"L = -z_y \quad (z = \log \mathrm{softmax})", target="index", classification_only=True),
    LossDef("MultiMarginLoss", "Multi-class hinge loss (as in SVMs): the true class must beat every other by a margin.",
            r"L = \frac{1}{C}\sum_{j \ne y} \max(0,\, m - z_y + z_j)",
            ParamSet((Param("margin", "float", 1.0, "The required margin m.", 0.01, 10.0),)), "index", True),
    LossDef("MSELoss", "Mean squared error. On classification it compares the outputs with one-hot targets.",
            r"L = \frac{1}{n}\sum_i (\hat y_i - y_i)^2", target="value"),
    LossDef("L1Loss", "Mean absolute error: less sensitive to outliers than MSE.", r"L = \frac{1}{n}\sum_i |\hat y_i - y_i|", target="value"),
    LossDef("HuberLoss", "Squared error for small errors, absolute error beyond delta: robust and smooth.",
            r"L = \begin{cases} \tfrac12 (\hat y - y)^2 & |\hat y - y| \le \delta \\ \delta(|\hat y - y| - \tfrac12\delta) & \text{otherwise} \end{cases}",
            ParamSet((Param("delta", "float", 1.0, "Where the loss switches from squared to absolute.", 0.01, 10.0),)), "value"),
    LossDef("SmoothL1Loss", "Huber loss divided by beta: absolute error with a smooth bottom.",
            r"L = \begin{cases} \tfrac{0.5 (\hat y - y)^2}{\beta} & |\hat y - y| < \beta \\ |\hat y - y| - \tfrac12\beta & \text{otherwise} \end{cases}",
            ParamSet((Param("beta", "float", 1.0, "Width of the smooth (squared) region.", 0.01, 10.0),)), "value"),
)}


def required_outputs(loss_type: str, task: str, num_classes: int | None, target_dim: int) -> tuple[int, ...]:
    """Output sizes per sample (per token for token tasks) that this loss accepts on this task."""
    if task not in CLASSIFICATION_TASKS:
        return (target_dim,)
    if LOSSES[loss_type].target == "binary":
        return (1,)
    if task == "binary" and LOSSES[loss_type].target == "value":
        return (1, 2)
    return (num_classes,)


def task_problem(loss_type: str, task: str) -> str | None:
    """A sentence when this loss cannot be used for this task at all."""
    d = LOSSES[loss_type]
    if d.classification_only and task not in CLASSIFICATION_TASKS:
        return f"{loss_type} is for classification, but this dataset is regression — use MSELoss, L1Loss or HuberLoss"
    if d.target == "binary" and task != "binary":
        return f"{loss_type} is for two classes, but this dataset has more — use CrossEntropyLoss"
    return None


def make_loss(loss_type: str, args: dict, task: str) -> nn.Module:
    """The torch loss module for a registry entry and its resolved arguments."""
    return getattr(nn, loss_type)(**args)


def compute_loss(criterion: nn.Module, loss_type: str, task: str, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Apply the loss, adapting targets to what it expects (float for BCE, one-hot for MSE on classes)."""
    target_kind = LOSSES[loss_type].target
    if task in ("token_classification", "next_token"):
        outputs = outputs.reshape(-1, outputs.shape[-1])
        targets = targets.reshape(-1)
    if task not in CLASSIFICATION_TASKS:
        return criterion(outputs, targets)
    if target_kind == "binary" or (target_kind == "value" and outputs.shape[-1] == 1):
        return criterion(outputs.squeeze(-1), targets.to(outputs.dtype))
    if target_kind == "value":
        return criterion(outputs, F.one_hot(targets, outputs.shape[-1]).to(outputs.dtype))
    return criterion(outputs, targets)


def predict_classes(outputs: torch.Tensor, loss_type: str) -> torch.Tensor:
    """Class ids from model outputs: one output is a logit (or score) thresholded at its midpoint."""
    if outputs.shape[-1] == 1:
        return (outputs.squeeze(-1) > binary_threshold(loss_type)).long()
    return outputs.argmax(dim=-1)


def binary_threshold(loss_type: str) -> float:
    """Where one output splits the classes: logit 0 for BCE, value 0.5 for regression-style losses."""
    return 0.0 if LOSSES[loss_type].target == "binary" else 0.5
