"""The loss registry, and how each loss meets each task: the output it needs and the targets it gets."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from playground.datasets import CLASSIFICATION_TASKS, PER_TOKEN_TASKS
from playground.i18n import Msg, msg, t
from playground.params import Param, ParamSet


@dataclass(frozen=True)
class LossDef:
    type: str
    formula: str
    params: ParamSet = field(default_factory=ParamSet)
    target: str = "index"  # "index" (class ids), "binary" (one 0/1 output), "value" (regression or one-hot)
    classification_only: bool = False
    includes: str | None = None  # an activation the loss already applies: a model ending with it is warned
    needs_last: str | None = None  # the layer the model must end with (NLLLoss reads log-probabilities)

    @property
    def summary(self) -> str:
        return t(f"losses.{self.type}.summary")


LOSSES: dict[str, LossDef] = {d.type: d for d in (
    LossDef("CrossEntropyLoss", r"L = -\log \frac{e^{z_y}}{\sum_j e^{z_j}}",
            ParamSet((Param("label_smoothing", "float", 0.0, "losses.param.label_smoothing", 0.0, 0.5, step=0.05),)),
            "index", True, includes="Softmax"),
    LossDef("BCEWithLogitsLoss", r"L = -\left[y \log \sigma(z) + (1-y) \log(1-\sigma(z))\right]", target="binary",
            classification_only=True, includes="Sigmoid"),
    LossDef("NLLLoss", r"L = -z_y \quad (z = \log \mathrm{softmax})", target="index", classification_only=True, needs_last="LogSoftmax"),
    LossDef("MultiMarginLoss", r"L = \frac{1}{C}\sum_{j \ne y} \max(0,\, m - z_y + z_j)",
            ParamSet((Param("margin", "float", 1.0, "losses.param.margin", 0.01, 10.0),)), "index", True),
    LossDef("MSELoss", r"L = \frac{1}{n}\sum_i (\hat y_i - y_i)^2", target="value"),
    LossDef("L1Loss", r"L = \frac{1}{n}\sum_i |\hat y_i - y_i|", target="value"),
    LossDef("HuberLoss",
            r"L = \begin{cases} \tfrac12 (\hat y - y)^2 & |\hat y - y| \le \delta \\ \delta(|\hat y - y| - \tfrac12\delta) & |\hat y - y| > \delta \end{cases}",
            ParamSet((Param("delta", "float", 1.0, "losses.param.delta", 0.01, 10.0),)), "value"),
    LossDef("SmoothL1Loss",
            r"L = \begin{cases} \tfrac{0.5 (\hat y - y)^2}{\beta} & |\hat y - y| < \beta \\ |\hat y - y| - \tfrac12\beta & |\hat y - y| \ge \beta \end{cases}",
            ParamSet((Param("beta", "float", 1.0, "losses.param.beta", 0.01, 10.0),)), "value"),
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


def task_problem(loss_type: str, task: str) -> Msg | None:
    """A sentence when this loss cannot be used for this task at all."""
    d = LOSSES[loss_type]
    if d.classification_only and task not in CLASSIFICATION_TASKS:
        return msg("losses.problem.classification_only", loss=loss_type)
    if d.target == "binary" and task != "binary":
        return msg("losses.problem.binary_only", loss=loss_type)
    return None


def make_loss(loss_type: str, args: dict) -> nn.Module:
    """The torch loss module for a registry entry and its resolved arguments."""
    return getattr(nn, loss_type)(**args)


def compute_loss(criterion: nn.Module, loss_type: str, task: str, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Apply the loss, adapting targets to what it expects (float for BCE, one-hot for MSE on classes)."""
    target_kind = LOSSES[loss_type].target
    if task in PER_TOKEN_TASKS:
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
