"""Did the run learn? A finished run whose test loss ends above chance, or whose loss rose steadily, gets a
warning that names the likely cause instead of a plain success."""
from __future__ import annotations

import torch

from playground.i18n import Msg, msg
from playground.losses import LOSSES, compute_loss
from playground.training.trainer import EpochRecord, Trainer

RISING_EPOCHS = 3  # the train loss rose in this many epochs in a row, ending above its best by RISE
RISE = 1.05
OVERSHOOT = 1.5  # a train loss this far above chance and above where it began: the steps overshoot
OVERFIT = 0.5  # a train loss this far below chance while the test loss is above it: memorised
STILL = 0.9  # a train loss still this close to the first batch's: it barely moved


@torch.no_grad()
def chance_loss(trainer: Trainer) -> float:
    """The test loss of always answering with the training set's class frequencies (its mean, for regression)."""
    data = trainer.data
    was = trainer.model.training
    trainer.model.eval()
    shape = trainer.model(data.x_test[:1]).shape[1:]
    trainer.model.train(was)
    constant = _constant_answer(trainer, shape[-1])
    outputs = constant.expand(len(data.x_test), *shape)
    return float(compute_loss(trainer.criterion, trainer.loss_type, data.task, outputs, data.y_test))


def _constant_answer(trainer: Trainer, width: int) -> torch.Tensor:
    """One output vector that states the class frequencies in the form this loss reads."""
    y = trainer.data.y_train
    if not trainer.classification:
        return y.float().reshape(len(y), -1).mean(0)
    target = LOSSES[trainer.loss_type].target
    p = torch.bincount(y.reshape(-1), minlength=max(width, 2)).float()
    p = (p / p.sum()).clamp_min(1e-6)
    if width == 1:  # one output for two classes: a logit for BCE, else the probability of class 1
        return torch.log(p[1:2] / p[0:1]) if target == "binary" else p[1:2]
    return p.log() if target == "index" and trainer.loss_type != "MultiMarginLoss" else p


def _rising(records: list[EpochRecord]) -> bool:
    losses = [r.train_loss for r in records]
    tail = losses[-(RISING_EPOCHS + 1):]
    return (len(tail) == RISING_EPOCHS + 1 and all(b > a for a, b in zip(tail, tail[1:]))
            and losses[-1] > RISE * min(losses))


def verdict(trainer: Trainer, records: list[EpochRecord]) -> Msg | None:
    """A warning when the finished run did not learn, naming the likely cause; None when it did."""
    if not records:
        return None
    last, lr = records[-1], trainer.base_lr
    chance = chance_loss(trainer)
    baseline = msg("train.verdict.chance_classes" if trainer.classification else "train.verdict.chance_mean")
    numbers = {"loss": f"{last.test_loss:.4f}", "chance": f"{chance:.4f}", "lr": f"{lr:g}", "baseline": baseline}
    if _rising(records):
        return msg("train.verdict.rising", epochs=RISING_EPOCHS, lower=f"{lr / 10:g}", **numbers)
    if not last.test_loss > chance:
        return None
    if last.train_loss > OVERSHOOT * max(chance, trainer.first_loss or 0.0):
        return msg("train.verdict.too_high", lower=f"{lr / 10:g}", **numbers)
    if last.train_loss < OVERFIT * chance:
        return msg("train.verdict.overfit", train=f"{last.train_loss:.4f}", **numbers)
    moved = "train.verdict.too_low" if last.train_loss >= STILL * (trainer.first_loss or 0.0) else "train.verdict.slow"
    return msg(moved, first=f"{trainer.first_loss:.4f}", train=f"{last.train_loss:.4f}", higher=f"{lr * 10:g}", **numbers)
