"""The optimizer registry, the training settings, and the learning-rate schedule."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from playground.params import Param, ParamSet

_LR = Param("lr", "float", 0.01, "Learning rate η: the step size of w ← w − η·∂L/∂w.", 1e-6, 10.0, log=True)
_WD = Param("weight_decay", "float", 0.0, "Shrinks every weight a little each step (an L2 penalty built into the optimizer).", 0.0, 1.0)


@dataclass(frozen=True)
class OptimizerDef:
    type: str
    summary: str
    formula: str
    params: ParamSet


OPTIMIZERS: dict[str, OptimizerDef] = {d.type: d for d in (
    OptimizerDef("SGD", "Stochastic gradient descent: step against the gradient of each mini-batch; momentum keeps a running direction.",
                 r"v \leftarrow \mu v + \nabla L,\quad w \leftarrow w - \eta v",
                 ParamSet((_LR, Param("momentum", "float", 0.0, "Fraction μ of the previous step kept.", 0.0, 0.99, step=0.01),
                           Param("nesterov", "bool", False, "Look ahead along the momentum before taking the gradient."), _WD))),
    OptimizerDef("Adam", "Adaptive moments: per-weight step sizes from running averages of the gradient and its square.",
                 r"w \leftarrow w - \eta \frac{\hat m}{\sqrt{\hat v} + \epsilon}",
                 ParamSet((Param("lr", "float", 0.001, _LR.help, 1e-6, 10.0, log=True), _WD))),
    OptimizerDef("AdamW", "Adam with decoupled weight decay: the decay is applied to the weights directly, not through the gradient.",
                 r"w \leftarrow w - \eta \left(\frac{\hat m}{\sqrt{\hat v} + \epsilon} + \lambda w\right)",
                 ParamSet((Param("lr", "float", 0.001, _LR.help, 1e-6, 10.0, log=True),
                           Param("weight_decay", "float", 0.01, "Decoupled decay λ.", 0.0, 1.0)))),
    OptimizerDef("RMSprop", "Divides each step by a running root-mean-square of recent gradients.",
                 r"v \leftarrow \alpha v + (1-\alpha) g^2,\quad w \leftarrow w - \eta \frac{g}{\sqrt{v} + \epsilon}",
                 ParamSet((_LR, Param("alpha", "float", 0.99, "Smoothing α of the squared-gradient average.", 0.5, 0.9999),
                           Param("momentum", "float", 0.0, "Momentum μ.", 0.0, 0.99, step=0.01), _WD))),
    OptimizerDef("Adagrad", "Step sizes shrink for weights that have already received large gradients.",
                 r"G \leftarrow G + g^2,\quad w \leftarrow w - \eta \frac{g}{\sqrt{G} + \epsilon}",
                 ParamSet((_LR, _WD))),
)}


def optimizer_problem(opt_type: str, args: dict) -> str | None:
    """Combinations PyTorch rejects, as a sentence."""
    if opt_type == "SGD" and args.get("nesterov") and not args.get("momentum"):
        return "nesterov needs momentum above 0 — set momentum (e.g. 0.9) or turn nesterov off"
    return None


def make_optimizer(opt_type: str, args: dict, parameters) -> torch.optim.Optimizer:
    return getattr(torch.optim, opt_type)(parameters, **args)


TRAINING_PARAMS = ParamSet((
    Param("epochs", "int", 20, "Passes over the training data.", 1, 1000),
    Param("batch_size", "int", 32, "Samples per gradient step (a mini-batch).", 1, 4096),
    Param("seed", "int", 0, "Random seed for weights and shuffling: same seed, same curve.", 0, 2**31 - 1),
    Param("lr_schedule", "choice", "constant", "How the learning rate changes over epochs.", choices=("constant", "step", "cosine")),
    Param("warmup_epochs", "int", 0, "Epochs over which the learning rate ramps up linearly from near 0.", 0, 100),
    Param("step_size", "int", 10, "Step schedule: multiply the rate by gamma every step_size epochs.", 1, 1000),
    Param("gamma", "float", 0.5, "Step schedule: the factor applied every step_size epochs.", 0.01, 1.0),
    Param("grad_clip", "float", None, "Clip the total gradient norm to this value (empty = off).", 0.001, 100.0, optional=True),
    Param("l1", "float", 0.0, "L1 penalty λ₁·Σ|w| added to the loss (pushes weights to exactly 0).", 0.0, 1.0),
    Param("l2", "float", 0.0, "L2 penalty λ₂·Σw² added to the loss (keeps weights small).", 0.0, 1.0),
    Param("max_seconds", "float", 300.0, "Wall-time budget: training stops itself after this long.", 1.0, 3600.0),
))


def lr_factor(schedule: dict, epoch_progress: float) -> float:
    """Multiplier on the base learning rate at a (fractional) epoch, counting from 0."""
    warm = schedule["warmup_epochs"]
    if warm and epoch_progress < warm:
        return max(epoch_progress / warm, 0.01)
    kind = schedule["lr_schedule"]
    if kind == "step":
        return schedule["gamma"] ** int(epoch_progress // schedule["step_size"])
    if kind == "cosine":
        span = max(1e-9, schedule["epochs"] - warm)
        t = min(1.0, max(0.0, (epoch_progress - warm) / span))
        return 0.5 * (1 + math.cos(math.pi * t))
    return 1.0
