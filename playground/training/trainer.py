"""The synchronous Trainer (one batch per `train_step`) and headless `train()`, which the CLI drives.

A Trainer owns everything random about its run: the shuffling generator and the state of the generator
dropout draws from, swapped in for each step. So a seed gives the same curve whether one run trains or
ten interleave in one process.
"""
from __future__ import annotations

import math
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Iterator

import torch

from playground.datasets import CLASSIFICATION_TASKS, Dataset
from playground.i18n import Msg, msg
from playground.losses import compute_loss, make_loss, predict_classes
from playground.model import build_model
from playground.optimizers import lr_factor, make_optimizer
from playground.analysis import Analysis

EXPLODED = 1e6  # a finite loss this far above where it started is divergence too


@dataclass(frozen=True)
class EpochRecord:
    epoch: int  # 1-based count of completed epochs
    seconds: float  # since training began, pauses excluded
    train_loss: float
    test_loss: float
    train_accuracy: float | None
    test_accuracy: float | None
    lr: float
    grad_norms: dict[str, float]  # per top-level layer with parameters, at the epoch's last step
    samples_per_second: float

    def as_json(self) -> dict[str, Any]:
        out = {"epoch": self.epoch, "seconds": round(self.seconds, 3), "train_loss": self.train_loss, "test_loss": self.test_loss}
        if self.test_accuracy is not None:
            out["train_accuracy"] = self.train_accuracy
            out["test_accuracy"] = self.test_accuracy
        out["lr"] = self.lr
        return out


class Diverged(RuntimeError):
    """The loss became NaN/inf or exploded; `message` names the cause and the fix in the reader's language."""

    def __init__(self, message: Msg):
        super().__init__(message.key)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def steps_per_epoch(n_train: int, batch_size: int) -> int:
    """Batches in one epoch; a last batch of one sample joins the one before (BatchNorm needs two)."""
    batch = min(batch_size, n_train)
    steps = max(1, math.ceil(n_train / batch))
    return steps - 1 if n_train % batch == 1 and n_train > 1 else steps


class Trainer:
    """Owns the model, data, loss and optimizer of one run; `train_step` does exactly one batch."""

    def __init__(self, analysis: Analysis, dataset: Dataset | None = None):
        analysis.raise_if_invalid()
        self.analysis = analysis
        self.data = dataset or analysis.dataset
        t = analysis.training.args()
        self.settings = dict(t)  # a copy: train(epochs=...) overrides epochs here without touching the analysis
        self.epochs = t["epochs"]
        self.batch_size = min(t["batch_size"], self.data.n_train)
        self.model = build_model(analysis)
        self.loss_type = analysis.loss.type
        self.criterion = make_loss(self.loss_type, analysis.loss.args())
        opt_args = analysis.optimizer.args()
        self.base_lr = opt_args["lr"]
        self.optimizer = make_optimizer(analysis.optimizer.type, opt_args, self.model.parameters())
        self.generator = torch.Generator().manual_seed(t["seed"])  # shuffling
        self._rng_state = torch.Generator().manual_seed(t["seed"]).get_state()  # dropout, swapped in per step
        self.classification = self.data.task in CLASSIFICATION_TASKS
        self.steps_per_epoch = steps_per_epoch(self.data.n_train, self.batch_size)
        self.step = 0  # batches done in total
        self.epoch = 0  # epochs completed
        self.first_loss: float | None = None
        self._order = None
        self._epoch_loss = 0.0
        self._epoch_preds: list[torch.Tensor] = []  # this epoch's predicted classes, batch by batch
        self._epoch_count = 0
        # Labelled with the spec's layer types ("3 MultiheadAttention"), as the Inspect page names layers
        self._layer_params = [(info.label, list(m.parameters())) for m, info in zip(self.model, analysis.layers)
                              if any(True for _ in m.parameters())]
        self.last_grad_norms: dict[str, float] = {}
        self.best_test_loss = math.inf  # early stopping: the lowest test loss after any epoch so far, and when
        self.best_epoch = 0
        self.stopped_early = False
        self.model.train()

    @property
    def done(self) -> bool:
        return self.epoch >= self.epochs or self.stopped_early

    def _watch_test_loss(self, test_loss: float) -> None:
        """Early stopping: after `patience` epochs in a row without a lower test loss, the run is done.
        The model keeps its last weights (those of the stopping epoch); the best ones are not restored."""
        if test_loss < self.best_test_loss:
            self.best_test_loss, self.best_epoch = test_loss, self.epoch
        patience = self.settings["patience"]
        self.stopped_early = bool(patience) and self.epoch - self.best_epoch >= patience and self.epoch < self.epochs

    def current_lr(self) -> float:
        return self.optimizer.param_groups[0]["lr"]

    def set_base_lr(self, lr: float) -> None:
        self.base_lr = lr
        self._apply_schedule()

    def _apply_schedule(self) -> None:
        progress = self.epoch + (self.step % self.steps_per_epoch) / self.steps_per_epoch
        lr = self.base_lr * lr_factor(self.settings, progress)
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    @contextmanager
    def _own_rng(self) -> Iterator[None]:
        # Dropout draws from torch's one global generator: hold this run's state there for the step only
        outside = torch.get_rng_state()
        torch.set_rng_state(self._rng_state)
        try:
            yield
        finally:
            self._rng_state = torch.get_rng_state()
            torch.set_rng_state(outside)

    def train_step(self) -> tuple[float, EpochRecord | None]:
        """One batch. Returns the batch loss and, when the batch completed an epoch, the epoch's record."""
        within = self.step % self.steps_per_epoch
        if within == 0:
            self._order = torch.randperm(self.data.n_train, generator=self.generator)
            self._epoch_loss, self._epoch_preds, self._epoch_count = 0.0, [], 0
        self._apply_schedule()
        last_of_epoch = within == self.steps_per_epoch - 1
        # the remainder joins the last batch
        idx = self._order[within * self.batch_size:None if last_of_epoch else (within + 1) * self.batch_size]
        with self._own_rng():
            value, out = self._optimize(self.data.x_train[idx], self.data.y_train[idx], last_of_epoch)
        self.step += 1
        n = len(idx)
        self._epoch_loss += value * n
        self._epoch_count += n
        if self.classification:
            # Only the predictions here (argmax records no graph); they are compared with the targets once
            # per epoch: on tiny models every tensor op per step costs about as much as a layer's forward.
            self._epoch_preds.append(predict_classes(out, self.loss_type))
        if not last_of_epoch:
            return value, None
        self.epoch += 1
        return value, self._epoch_record()

    def _optimize(self, x: torch.Tensor, y: torch.Tensor, last_of_epoch: bool) -> tuple[float, torch.Tensor]:
        """Forward, check, backward and update on one batch; returns the batch loss and the outputs."""
        out = self.model(x)
        loss = compute_loss(self.criterion, self.loss_type, self.data.task, out, y)
        penalty = self._penalty()
        total = loss + penalty if penalty is not None else loss
        value = loss.item()
        self._check_finite(value)
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        if last_of_epoch:
            self.last_grad_norms = self._grad_norms()
        if self.settings["grad_clip"] is not None:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.settings["grad_clip"])
        self.optimizer.step()
        return value, out

    def _penalty(self):
        l1, l2 = self.settings["l1"], self.settings["l2"]
        if not l1 and not l2:
            return None
        weights = [p for p in self.model.parameters() if p.dim() > 1]
        total = 0.0
        if l1:
            total = total + l1 * sum(w.abs().sum() for w in weights)
        if l2:
            total = total + l2 * sum((w * w).sum() for w in weights)
        return total

    def _check_finite(self, value: float) -> None:
        if self.first_loss is None:
            self.first_loss = value
        where = {"step": self.step + 1, "epoch": self.epoch + 1, "lr": f"{self.current_lr():g}", "lower": f"{self.current_lr() / 10:g}"}
        if not math.isfinite(value):
            raise Diverged(msg("train.diverged.non_finite", value=str(value), **where))
        if value > EXPLODED * max(1.0, abs(self.first_loss)):
            raise Diverged(msg("train.diverged.exploded", value=f"{value:.3g}", **where))

    def _grad_norms(self) -> dict[str, float]:
        # One fused norm over every gradient and one conversion: on tiny models each tensor op costs
        # about as much as a layer's forward pass, so a loop of .pow().sum().item() showed in the profile.
        grads = [(i, p.grad) for i, (_, params) in enumerate(self._layer_params) for p in params if p.grad is not None]
        squares = [0.0] * len(self._layer_params)
        if grads:
            for (i, _), norm in zip(grads, torch.stack(torch._foreach_norm([g for _, g in grads])).tolist()):
                squares[i] += norm * norm
        return {name: math.sqrt(sq) for (name, _), sq in zip(self._layer_params, squares)}

    @torch.no_grad()
    def evaluate(self, x: torch.Tensor, y: torch.Tensor, batch: int = 2048) -> tuple[float, float | None]:
        """Mean loss and accuracy (per token for token tasks) on a dataset split, in eval mode."""
        was = self.model.training
        self.model.eval()
        sums = torch.zeros(2)  # summed loss, correct predictions: read back once, in one conversion
        targets = 0
        for start in range(0, len(x), batch):
            xb, yb = x[start:start + batch], y[start:start + batch]
            out = self.model(xb)
            sums[0] += compute_loss(self.criterion, self.loss_type, self.data.task, out, yb) * len(xb)
            if self.classification:
                sums[1] += (predict_classes(out, self.loss_type) == yb).sum()
                targets += yb.numel()
        self.model.train(was)
        total, correct = sums.tolist()
        return total / len(x), (correct / targets if self.classification else None)

    def _epoch_record(self) -> EpochRecord:
        test_loss, test_acc = self.evaluate(self.data.x_test, self.data.y_test)
        self._watch_test_loss(test_loss)
        train_loss = self._epoch_loss / max(1, self._epoch_count)
        train_acc = None
        if self.classification and self._epoch_preds:
            preds = torch.cat(self._epoch_preds)  # the batches covered the epoch's order from its start
            train_acc = int((preds == self.data.y_train[self._order[:len(preds)]]).sum()) / preds.numel()
        return EpochRecord(self.epoch, 0.0, train_loss, test_loss, train_acc, test_acc, self.current_lr(), dict(self.last_grad_norms), 0.0)


def train(analysis: Analysis, epochs: int | None = None, max_seconds: float | None = None,
          dataset: Dataset | None = None) -> Iterator[EpochRecord]:
    """Headless training: yields one record per epoch; stops at the epoch or time budget, or early (the training
    setting `patience`). Raises Diverged."""
    trainer = Trainer(analysis, dataset)
    if epochs is not None:
        trainer.epochs = trainer.settings["epochs"] = epochs  # the cosine schedule spans the epochs actually run
    budget = max_seconds if max_seconds is not None else analysis.training.max_seconds
    start = time.perf_counter()
    while not trainer.done:
        _, record = trainer.train_step()
        if record is None:
            continue
        elapsed = time.perf_counter() - start
        samples = trainer.epoch * trainer.data.n_train
        yield replace(record, seconds=elapsed, samples_per_second=samples / max(elapsed, 1e-9))
        if elapsed >= budget:
            return
