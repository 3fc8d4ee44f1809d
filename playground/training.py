"""Training: a synchronous `Trainer` (one batch at a time) and a `TrainingJob` that runs it in a thread.

The CLI drives a Trainer directly; each browser session owns one TrainingJob. The worker thread never
touches Streamlit: pages read `job.snapshot()`, a copy taken under the lock.
"""
from __future__ import annotations

import collections
import copy
import math
import os
import threading
import time
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterator

import torch

from playground.datasets import CLASSIFICATION_TASKS, Dataset
from playground.losses import compute_loss, make_loss, predict_classes
from playground.model import build_model
from playground.optimizers import lr_factor, make_optimizer
from playground.analysis import Analysis

MAX_CONCURRENT_JOBS = int(os.environ.get("PLAYGROUND_MAX_JOBS", "8"))
_SLOTS = threading.BoundedSemaphore(MAX_CONCURRENT_JOBS)


def active_jobs() -> int:
    """How many training threads the process runs now (all sessions together; a count, no user data)."""
    return MAX_CONCURRENT_JOBS - _SLOTS._value


class _FairGate:
    """At most `n` holders at once, served in arrival order.

    Training threads take it for each batch. With more jobs than cores, the rest wait asleep instead of
    fighting over the GIL, so every job advances in turn and the pages' redraws still get the CPU.
    """

    def __init__(self, n: int):
        self._cond = threading.Condition()
        self._free = n
        self._queue: collections.deque = collections.deque()

    def __enter__(self):
        me = object()
        with self._cond:
            self._queue.append(me)
            while self._queue[0] is not me or self._free == 0:
                self._cond.wait()
            self._queue.popleft()
            self._free -= 1
            self._cond.notify_all()
        return self

    def __exit__(self, *exc):
        with self._cond:
            self._free += 1
            self._cond.notify_all()


_CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
# One core stays free for serving pages: with several jobs at once, training shares the others.
_COMPUTE = _FairGate(max(1, _CORES - 1))
TRAINING_NICENESS = 5  # below the threads that serve pages, so redraws stay prompt while models train
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
    """The loss became NaN/inf or exploded; the message names the cause and the fix."""


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
        self.generator = torch.Generator().manual_seed(t["seed"])
        self.classification = self.data.task in CLASSIFICATION_TASKS
        n = self.data.n_train
        self.steps_per_epoch = max(1, math.ceil(n / self.batch_size))
        # A last batch of one sample breaks BatchNorm (no variance); fold it away
        if n % self.batch_size == 1 and n > 1:
            self.steps_per_epoch -= 1
        self.step = 0  # batches done in total
        self.epoch = 0  # epochs completed
        self.first_loss: float | None = None
        self._order = None
        self._epoch_loss = 0.0
        self._epoch_preds: list[torch.Tensor] = []  # this epoch's predicted classes, batch by batch
        self._epoch_count = 0
        # Labelled with the spec's layer types ("3 MultiheadAttention"), as the Inspect page names layers
        self._layer_params = [(f"{i} {info.type}", list(m.parameters()))
                              for i, (m, info) in enumerate(zip(self.model, analysis.layers)) if any(True for _ in m.parameters())]
        self.last_grad_norms: dict[str, float] = {}
        self.model.train()

    @property
    def done(self) -> bool:
        return self.epoch >= self.epochs

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

    def train_step(self) -> tuple[float, EpochRecord | None]:
        """One batch. Returns the batch loss and, when the batch completed an epoch, the epoch's record."""
        within = self.step % self.steps_per_epoch
        if within == 0:
            self._order = torch.randperm(self.data.n_train, generator=self.generator)
            self._epoch_loss, self._epoch_preds, self._epoch_count = 0.0, [], 0
        self._apply_schedule()
        idx = self._order[within * self.batch_size:(within + 1) * self.batch_size]
        if within == self.steps_per_epoch - 1:
            idx = self._order[within * self.batch_size:]  # the remainder joins the last batch
        x, y = self.data.x_train[idx], self.data.y_train[idx]
        out = self.model(x)
        loss = compute_loss(self.criterion, self.loss_type, self.data.task, out, y)
        penalty = self._penalty()
        total = loss + penalty if penalty is not None else loss
        value = loss.item()
        self._check_finite(value)
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        last_of_epoch = within == self.steps_per_epoch - 1
        if last_of_epoch:
            self.last_grad_norms = self._grad_norms()
        if self.settings["grad_clip"] is not None:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.settings["grad_clip"])
        self.optimizer.step()
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

    def _penalty(self):
        l1, l2 = self.settings["l1"], self.settings["l2"]
        if not l1 and not l2:
            return None
        weights = [p for name, p in self.model.named_parameters() if p.dim() > 1]
        total = 0.0
        if l1:
            total = total + l1 * sum(w.abs().sum() for w in weights)
        if l2:
            total = total + l2 * sum((w * w).sum() for w in weights)
        return total

    def _check_finite(self, value: float) -> None:
        if self.first_loss is None:
            self.first_loss = value
        where = f"step {self.step + 1} (epoch {self.epoch + 1})"
        lr = self.current_lr()
        if not math.isfinite(value):
            raise Diverged(f"The loss became {value} at {where}: the learning rate {lr:g} is probably too high — lower it (try {lr / 10:g}) or turn on gradient clipping.")
        if self.first_loss is not None and value > EXPLODED * max(1.0, abs(self.first_loss)):
            raise Diverged(f"The loss exploded to {value:.3g} at {where}: the learning rate {lr:g} is too high — lower it (try {lr / 10:g}) or turn on gradient clipping.")

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
        train_loss = self._epoch_loss / max(1, self._epoch_count)
        train_acc = None
        if self.classification and self._epoch_preds:
            preds = torch.cat(self._epoch_preds)  # the batches covered the epoch's order from its start
            train_acc = int((preds == self.data.y_train[self._order[:len(preds)]]).sum()) / preds.numel()
        return EpochRecord(self.epoch, 0.0, train_loss, test_loss, train_acc, test_acc, self.current_lr(), dict(self.last_grad_norms), 0.0)


def train(analysis: Analysis, epochs: int | None = None, max_seconds: float | None = None,
          dataset: Dataset | None = None) -> Iterator[EpochRecord]:
    """Headless training: yields one record per epoch; stops at the epoch or time budget. Raises Diverged."""
    trainer = Trainer(analysis, dataset)
    if epochs is not None:
        trainer.epochs = trainer.settings["epochs"] = epochs  # the cosine schedule spans the epochs actually run
    torch.manual_seed(analysis.training.seed)  # dropout draws from the global generator (as in TrainingJob)
    budget = max_seconds if max_seconds is not None else analysis.training.max_seconds
    start = time.perf_counter()
    samples = 0
    while not trainer.done:
        _, record = trainer.train_step()
        if record is None:
            continue
        elapsed = time.perf_counter() - start
        samples = trainer.epoch * trainer.data.n_train
        yield replace(record, seconds=elapsed, samples_per_second=samples / max(elapsed, 1e-9))
        if elapsed >= budget:
            return


# ---------------------------------------------------------------- the live job
@dataclass
class Snapshot:
    """What a page needs to draw: a copy, safe to read while the worker goes on."""

    status: str  # idle | running | paused | finished | stopped | diverged | failed
    message: str
    epoch: int
    total_epochs: int
    step: int
    steps_per_epoch: int
    elapsed: float
    samples_per_second: float
    step_losses: list[float]
    epochs: list[EpochRecord]
    lr: float
    lr_changes: list[tuple[int, float]]  # (step, new base lr) set by the user while training
    version: int  # increases with every change; lets a page skip redrawing

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def active(self) -> bool:
        return self.status in ("running", "paused")

    @property
    def progress(self) -> float:
        total = self.total_epochs * self.steps_per_epoch
        return min(1.0, self.step / total) if total else 0.0

    @property
    def seconds_left(self) -> float | None:
        if not self.step or not self.elapsed:
            return None
        total = self.total_epochs * self.steps_per_epoch
        return max(0.0, (total - self.step) * self.elapsed / self.step)


class JobLimitReached(RuntimeError):
    pass


class TrainingJob:
    """One session's training run in a daemon thread, with start, pause, resume, step, stop and live lr changes."""

    def __init__(self, analysis: Analysis, dataset: Dataset | None = None):
        self.analysis = analysis
        self.trainer = Trainer(analysis, dataset)
        self.max_seconds = analysis.training.max_seconds
        # _cond guards control flags and metrics and is held only for moments; _model_lock is held by the
        # worker for a whole step. Readers of the model raise _model_wanted so the worker lets them in
        # between two steps (a plain lock would let the worker win it back every time).
        self._cond = threading.Condition()
        self._model_lock = threading.Lock()
        self._model_wanted = 0
        self._pending_lr: float | None = None
        self._in_step = False
        self._thread: threading.Thread | None = None
        self._paused = False
        self._stop = False
        self._step_requests = 0
        self._status = "idle"
        self._message = ""
        self._elapsed = 0.0
        self._step_losses: list[float] = []
        self._epochs: list[EpochRecord] = []
        self._lr_changes: list[tuple[int, float]] = []
        self._version = 0
        self._callbacks: dict[str, list[Callable]] = {"on_epoch_end": [], "on_end": []}
        self._has_slot = False

    # -- control (called from the page, any thread)
    def add_callback(self, event: str, fn: Callable) -> None:
        self._callbacks[event].append(fn)

    def start(self) -> None:
        with self._cond:
            if self._thread is not None:
                self._paused = False
                if self._status == "paused":  # e.g. Start after Step: the worker runs on, so say so
                    self._status = "running"
                    self._version += 1
                self._cond.notify_all()
                return
            self._launch()

    def _launch(self) -> None:
        if not _SLOTS.acquire(blocking=False):
            raise JobLimitReached(f"The server is already training {MAX_CONCURRENT_JOBS} models, its limit — wait for one to finish, then press Start again.")
        self._has_slot = True
        self._status = "running" if not self._paused else "paused"
        self._thread = threading.Thread(target=self._run, name="playground-training", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        """Pause after the batch in progress; returns once that batch is recorded, so the numbers stand still."""
        with self._cond:
            if self._status == "running":
                self._paused = True
                self._status = "paused"
                self._version += 1
                self._cond.notify_all()
                deadline = time.monotonic() + 2.0
                while self._in_step and time.monotonic() < deadline:
                    self._cond.wait(0.05)

    def resume(self) -> None:
        with self._cond:
            if self._status == "paused":
                self._paused = False
                self._status = "running"
                self._version += 1
                self._cond.notify_all()

    def step_once(self) -> None:
        """Train exactly one batch, then stay paused (starts the job paused if needed)."""
        with self._cond:
            if self._status not in ("idle", "paused"):
                return
            self._paused = True
            self._step_requests += 1
            if self._thread is None:
                self._launch()
            self._cond.notify_all()

    def wait_for_step(self, step: int, timeout: float) -> bool:
        """Block until `step` batches are done (or the job ended, or `timeout` seconds passed)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.trainer.step < step and self._status in ("running", "paused") and time.monotonic() < deadline:
                self._cond.wait(timeout=0.02)
            return self.trainer.step >= step

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)
        with self._cond:
            if self._status in ("idle", "running", "paused"):
                self._status = "stopped"
                self._message = self._message or f"Stopped by you after {self.trainer.epoch} epoch(s)."
                self._version += 1

    def set_lr(self, lr: float) -> None:
        """Change the base learning rate; it applies from the next batch."""
        with self._cond:
            if self._thread is None or not self._thread.is_alive():
                self.trainer.set_base_lr(lr)
            else:
                self._pending_lr = lr
            self._lr_changes.append((self.trainer.step, lr))
            self._version += 1

    # -- reading
    def snapshot(self) -> Snapshot:
        with self._cond:
            t = self.trainer
            done_samples = t.step * t.batch_size
            return Snapshot(
                self._status, self._message, t.epoch, t.epochs, t.step, t.steps_per_epoch, self._elapsed,
                done_samples / self._elapsed if self._elapsed > 0 else 0.0,
                list(self._step_losses), list(self._epochs), t.current_lr() if t.step else t.base_lr,
                list(self._lr_changes), self._version,
            )

    @property
    def running(self) -> bool:
        return self._status == "running"

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """The current model's outputs for `x` (eval mode), from a copy taken between two steps."""
        return self.model_copy()(x)

    def model_copy(self) -> torch.nn.Module:
        """A frozen copy of the current model (eval mode), taken between two training steps."""
        with self._cond:
            self._model_wanted += 1
        try:
            with self._model_lock:
                model = copy.deepcopy(self.trainer.model)
        finally:
            with self._cond:
                self._model_wanted -= 1
                self._cond.notify_all()
        model.eval()
        return model

    # -- the worker
    def _run(self) -> None:
        torch.set_num_threads(1)
        try:  # Linux gives each thread its own niceness; elsewhere this is a no-op
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), TRAINING_NICENESS)
        except (AttributeError, OSError):
            pass
        seed = self.analysis.training.seed
        torch.manual_seed(seed)  # dropout draws from the global generator
        t = self.trainer
        mark = time.perf_counter()  # wall time counts from here, except while paused
        try:
            while True:
                with self._cond:
                    if self._paused and not self._stop and self._step_requests == 0:
                        while self._paused and not self._stop and self._step_requests == 0:
                            self._cond.wait()
                        mark = time.perf_counter()
                    while self._model_wanted and not self._stop:
                        self._cond.wait(0.05)
                    if self._stop:
                        return
                    if self._step_requests:
                        self._step_requests -= 1
                    lr, self._pending_lr = self._pending_lr, None
                    self._in_step = True
                with _COMPUTE, self._model_lock:
                    if lr is not None:
                        t.set_base_lr(lr)
                    try:
                        loss, record = t.train_step()
                    except Diverged as e:
                        with self._cond:
                            self._in_step = False
                            self._finish("diverged", str(e))
                        return
                with self._cond:
                    self._in_step = False
                    now = time.perf_counter()
                    self._elapsed += now - mark
                    mark = now
                    self._step_losses.append(loss)
                    if record is not None:
                        record = replace(record, seconds=self._elapsed, samples_per_second=t.epoch * t.data.n_train / max(self._elapsed, 1e-9))
                        self._epochs.append(record)
                    self._version += 1
                    self._cond.notify_all()
                    if t.done:
                        acc = f", test accuracy {record.test_accuracy:.1%}" if record and record.test_accuracy is not None else ""
                        self._finish("finished", f"Finished {t.epoch} epochs in {self._elapsed:.1f} s: test loss {record.test_loss:.4f}{acc}.")
                    elif self._elapsed >= self.max_seconds:
                        self._finish("finished", f"Stopped at the time budget of {self.max_seconds:g} s after {t.epoch} epochs — raise max_seconds in Training settings to train longer.")
                if record is not None:
                    for fn in self._callbacks["on_epoch_end"]:
                        fn(self, record)
                if self._status not in ("running", "paused"):
                    return
        except Exception as e:  # a failure inside PyTorch must reach the page as a sentence
            with self._cond:
                self._in_step = False
                self._finish("failed", f"Training failed: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
        finally:
            if self._has_slot:
                self._has_slot = False
                _SLOTS.release()
            for fn in self._callbacks["on_end"]:
                fn(self)

    def _finish(self, status: str, message: str) -> None:
        self._status = status
        self._message = message
        self._version += 1
