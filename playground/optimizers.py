"""The optimizer registry, the training settings, and the learning-rate schedule."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from playground.i18n import Msg, msg, t
from playground.params import Param, ParamSet

_LR = Param("lr", "float", 0.01, "optimizers.param.lr", 1e-6, 10.0, log=True)
_ADAM_LR = Param("lr", "float", 0.001, "optimizers.param.lr", 1e-6, 10.0, log=True)
_WD = Param("weight_decay", "float", 0.0, "optimizers.param.weight_decay", 0.0, 1.0)


@dataclass(frozen=True)
class OptimizerDef:
    type: str
    formula: str
    params: ParamSet

    @property
    def summary(self) -> str:
        return t(f"optimizers.{self.type}.summary")


OPTIMIZERS: dict[str, OptimizerDef] = {d.type: d for d in (
    OptimizerDef("SGD", r"v \leftarrow \mu v + \nabla L,\quad w \leftarrow w - \eta v",
                 ParamSet((_LR, Param("momentum", "float", 0.0, "optimizers.param.momentum", 0.0, 0.99, step=0.01),
                           Param("nesterov", "bool", False, "optimizers.param.nesterov"), _WD))),
    OptimizerDef("Adam", r"w \leftarrow w - \eta \frac{\hat m}{\sqrt{\hat v} + \epsilon}", ParamSet((_ADAM_LR, _WD))),
    OptimizerDef("AdamW", r"w \leftarrow w - \eta \left(\frac{\hat m}{\sqrt{\hat v} + \epsilon} + \lambda w\right)",
                 ParamSet((_ADAM_LR, Param("weight_decay", "float", 0.01, "optimizers.param.decoupled_decay", 0.0, 1.0)))),
    OptimizerDef("RMSprop", r"v \leftarrow \alpha v + (1-\alpha) g^2,\quad w \leftarrow w - \eta \frac{g}{\sqrt{v} + \epsilon}",
                 ParamSet((_LR, Param("alpha", "float", 0.99, "optimizers.param.alpha", 0.5, 0.9999),
                           Param("momentum", "float", 0.0, "optimizers.param.momentum", 0.0, 0.99, step=0.01), _WD))),
    OptimizerDef("Adagrad", r"G \leftarrow G + g^2,\quad w \leftarrow w - \eta \frac{g}{\sqrt{G} + \epsilon}",
                 ParamSet((_LR, _WD))),
)}


def optimizer_problem(opt_type: str, args: dict) -> Msg | None:
    """Combinations PyTorch rejects, as a sentence."""
    if opt_type == "SGD" and args.get("nesterov") and not args.get("momentum"):
        return msg("optimizers.problem.nesterov")
    return None


def make_optimizer(opt_type: str, args: dict, parameters) -> torch.optim.Optimizer:
    return getattr(torch.optim, opt_type)(parameters, **args)


TRAINING_PARAMS = ParamSet((
    Param("epochs", "int", 20, "optimizers.training.epochs", 1, 1000),
    Param("batch_size", "int", 32, "optimizers.training.batch_size", 1, 4096),
    Param("seed", "int", 0, "optimizers.training.seed", 0, 2**31 - 1),
    Param("lr_schedule", "choice", "constant", "optimizers.training.lr_schedule", choices=("constant", "step", "cosine")),
    Param("warmup_epochs", "int", 0, "optimizers.training.warmup_epochs", 0, 100),
    Param("step_size", "int", 10, "optimizers.training.step_size", 1, 1000),
    Param("gamma", "float", 0.5, "optimizers.training.gamma", 0.01, 1.0),
    Param("grad_clip", "float", None, "optimizers.training.grad_clip", 0.001, 100.0, optional=True),
    Param("l1", "float", 0.0, "optimizers.training.l1", 0.0, 1.0),
    Param("l2", "float", 0.0, "optimizers.training.l2", 0.0, 1.0),
    Param("patience", "int", 0, "optimizers.training.patience", 0, 1000),
    Param("max_seconds", "float", 300.0, "optimizers.training.max_seconds", 1.0, 3600.0),
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
