"""The page side of a training run: the commands a page sends, and the snapshot it reads.

A TrainingJob lives in the server process; its batches run in a worker process (pool.py, worker.py),
which reports after each time slice. Reports are folded in under one lock, so a snapshot is never torn,
and what a page draws stays bounded: batch losses are thinned as they arrive (LossSeries).
"""
from __future__ import annotations

import itertools
import secrets
import threading
from dataclasses import dataclass, field
from typing import Callable

import torch

from playground.datasets import UPLOAD, Dataset
from playground.i18n import Msg
from playground.model import build_model
from playground.analysis import Analysis
from playground.training import protocol as p
from playground.training.pool import Pool, default_pool
from playground.training.trainer import EpochRecord, steps_per_epoch

ENDED = ("finished", "stopped", "diverged", "failed")
ACTIVE = ("queued", "running", "paused")
WAIT_SECONDS = 3.0  # the longest a page waits for its worker to confirm a pause or stop, or send weights


class LossSeries:
    """Batch losses, thinned as they arrive: every `stride`-th batch is kept, the stride doubling at `limit`."""

    def __init__(self, limit: int = 800):
        self.limit = limit
        self.stride = 1
        self.steps: list[int] = []
        self.values: list[float] = []

    def extend(self, first_step: int, losses: list[float]) -> None:
        for step, value in enumerate(losses, first_step):
            if (step - 1) % self.stride == 0:
                self.steps.append(step)
                self.values.append(value)
        while len(self.steps) > self.limit:
            self.stride *= 2
            kept = [i for i, s in enumerate(self.steps) if (s - 1) % self.stride == 0]
            self.steps = [self.steps[i] for i in kept]
            self.values = [self.values[i] for i in kept]


@dataclass(frozen=True)
class Snapshot:
    """What a page needs to draw, copied under the job's lock: safe to read while training goes on."""

    run_id: str
    status: str  # idle | queued | running | paused | finished | stopped | diverged | failed
    message: Msg | None
    warning: Msg | None  # a finished run that did not learn says why
    place: int | None  # in the waiting line, when queued
    epoch: int
    total_epochs: int
    step: int
    steps_per_epoch: int
    batch_size: int
    elapsed: float
    loss_stride: int
    loss_steps: tuple[int, ...]
    loss_values: tuple[float, ...]
    epochs: tuple[EpochRecord, ...]
    lr: float  # now, as the schedule sets it
    base_lr: float  # as the spec set it
    lr_changes: tuple[tuple[int, float], ...]  # (step, new base lr) set by the user while training
    version: int  # increases with every change; lets a page skip redrawing

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def samples_per_second(self) -> float:
        return self.step * self.batch_size / self.elapsed if self.elapsed > 0 else 0.0

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


@dataclass
class _Record:
    """What a page reads about a run: set by its commands and folded in from the worker's reports."""

    lr: float
    status: str = "idle"
    message: Msg | None = None
    warning: Msg | None = None
    step: int = 0
    epoch: int = 0
    elapsed: float = 0.0
    worker_status: str = "idle"  # as the worker last reported it: a pause is confirmed when it says "paused"
    losses: LossSeries = field(default_factory=LossSeries)
    epochs: list[EpochRecord] = field(default_factory=list)
    lr_changes: list[tuple[int, float]] = field(default_factory=list)  # at the page's step, until the worker says where
    lr_placed: int = 0  # how many of them the worker has placed
    version: int = 0  # increases with every change

    def fold(self, report: p.Progress) -> None:
        losses = report.get("losses", [])
        self.losses.extend(report.get("step", self.step) - len(losses) + 1, losses)
        self.epochs.extend(p.record_from_payload(r) for r in report.get("records", []))
        self.step = report.get("step", self.step)
        self.epoch = report.get("epoch", self.epoch)
        self.elapsed = report.get("elapsed", self.elapsed)
        self.lr = report.get("lr", self.lr)
        self.worker_status = report.get("status", self.worker_status)
        for step in report.get("lr_steps", []):
            if self.lr_placed < len(self.lr_changes):
                self.lr_changes[self.lr_placed] = (step, self.lr_changes[self.lr_placed][1])
                self.lr_placed += 1


class TrainingJob:
    """One session's training run: start, pause, resume, step, stop, live learning-rate changes, snapshots."""

    _requests = itertools.count(1)

    def __init__(self, analysis: Analysis, dataset: Dataset | None = None, pool: Pool | None = None,
                 weights: bytes | None = None):
        """`weights`: safetensors bytes of a state dict that fits the model (checked by the caller) to start from."""
        analysis.raise_if_invalid()
        self.id = secrets.token_urlsafe(16)  # unguessable: it is the run's name in the page's address
        self.analysis = analysis
        data = dataset or analysis.dataset
        self._upload = data if data.name == UPLOAD else None  # built-in data is rebuilt from the spec
        self.batch_size = min(analysis.training.batch_size, data.n_train)
        self.total_epochs = analysis.training.epochs
        self.steps_per_epoch = steps_per_epoch(data.n_train, self.batch_size)
        self._pool = pool or default_pool()
        self._cond = threading.Condition()
        self._r = _Record(lr=analysis.optimizer.lr)
        self._wanted = p.Start(spec=analysis.spec.to_json(indent=None), dataset=None, paused=False, steps=0, lr=None, weights=weights)
        self._weights: tuple[int, bytes] | None = (0, weights) if weights else None  # (step, safetensors bytes): the final or latest copy
        self._answered = 0  # the last request for weights the worker answered

    # -- commands from the page
    def start(self) -> None:
        with self._cond:
            if self._r.status == "idle":
                self._launch(paused=False, steps=0)
            elif self._r.status == "paused":
                self._command("resume", status="running")

    def pause(self) -> None:
        """Pause after the batch in progress; returns once the worker confirms, so the numbers stand still."""
        with self._cond:
            if self._r.status == "running":
                self._command("pause", status="paused")
                self._cond.wait_for(lambda: self._r.worker_status == "paused" or self.ended, WAIT_SECONDS)

    def resume(self) -> None:
        with self._cond:
            if self._r.status == "paused":
                self._command("resume", status="running")

    def step_once(self) -> None:
        """Train exactly one batch, then stay paused (starting the run paused if needed)."""
        with self._cond:
            if self._r.status == "idle":
                self._launch(paused=True, steps=1)
            elif self._r.status == "paused":
                self._command("step")

    def stop(self) -> None:
        """End the run; returns once the worker confirms (or after a few seconds), with the numbers final."""
        with self._cond:
            if self.ended:
                return
            if self._r.status in ("running", "paused"):
                self._pool.send(self.id, "stop")
                self._cond.wait_for(lambda: self.ended, WAIT_SECONDS)
            else:
                self._pool.withdraw(self)
            if not self.ended:
                self._end("stopped", Msg("train.status.stopped", {"epochs": self._r.epoch}), None)

    def set_lr(self, lr: float) -> None:
        """Change the base learning rate from the next batch on; the change is marked on the loss chart."""
        with self._cond:
            if self.ended:
                return
            self._r.lr_changes.append((self._r.step, lr))
            self._r.lr = lr
            if self._r.status in ("running", "paused"):
                self._pool.send(self.id, "lr", lr)
            else:
                self._wanted["lr"] = lr
            self._changed()

    def wait_for_step(self, step: int, timeout: float) -> bool:
        """Block until `step` batches are done (or the run ended, or `timeout` seconds passed)."""
        with self._cond:
            self._cond.wait_for(lambda: self._r.step >= step or self.ended or self._r.status == "idle", timeout)
            return self._r.step >= step

    # -- reading
    def snapshot(self) -> Snapshot:
        with self._cond:
            r = self._r
            place = self._pool.place(self) if r.status == "queued" else None
            return Snapshot(self.id, r.status, r.message, r.warning, place, r.epoch, self.total_epochs, r.step, self.steps_per_epoch,
                            self.batch_size, r.elapsed, r.losses.stride, tuple(r.losses.steps), tuple(r.losses.values),
                            tuple(r.epochs), r.lr, self.analysis.optimizer.lr, tuple(r.lr_changes), r.version)

    @property
    def running(self) -> bool:
        return self._r.status == "running"

    @property
    def ended(self) -> bool:
        return self._r.status in ENDED

    @property
    def from_weights(self) -> bool:
        """True when the run starts from given weights rather than the seed's."""
        return self._wanted["weights"] is not None

    def model_copy(self, wait: float = WAIT_SECONDS) -> torch.nn.Module:
        """A frozen copy of the current model (eval mode): the weights as the worker has them now.

        Waits up to `wait` seconds for the worker's copy; past that, the latest copy at hand (a busy server
        must not hold a page up).
        """
        model = build_model(self.analysis)
        weights = self._current_weights(wait)
        if weights is not None:
            model.load_state_dict(p.decode_weights(weights))
        return model.eval()

    def _current_weights(self, wait: float) -> bytes | None:
        """The newest weights: none before the first batch (the seed's, as built here), else a copy from the worker."""
        with self._cond:
            if self._r.step == 0 or (self._weights and (self._weights[0] == self._r.step or self.ended)):
                return self._weights[1] if self._weights else None
            request = next(self._requests)
            self._pool.send(self.id, "weights", request)
            self._cond.wait_for(lambda: self._answered >= request or self.ended, wait)
            return self._weights[1] if self._weights else None

    # -- inside: under the lock
    def _launch(self, paused: bool, steps: int) -> None:
        self._wanted.update(paused=paused, steps=steps, dataset=p.dataset_payload(self._upload) if self._upload else None)
        self._r.status = self._r.worker_status = "queued"
        self._changed()
        self._pool.submit(self)

    def _admitted(self, send: Callable[[p.Start], None]) -> bool:
        """Called by the pool when a worker takes this run: sends the start; False if stopped meanwhile."""
        with self._cond:
            if self._r.status != "queued":
                return False
            send(self._wanted)
            self._r.status = "paused" if self._wanted["paused"] else "running"
            self._changed()
            return True

    def _command(self, command: str, status: str | None = None) -> None:
        self._pool.send(self.id, command)
        if status is not None:
            self._r.status, self._r.worker_status = status, "sent"
            self._changed()

    def _changed(self) -> None:
        self._r.version += 1
        self._cond.notify_all()

    def _end(self, status: str, message: Msg | None, warning: Msg | None) -> None:
        self._r.status, self._r.message, self._r.warning = status, message, warning
        self._changed()

    def _receive(self, kind: str, args: tuple) -> None:
        """A report from the worker (on the pool's reader thread)."""
        with self._cond:
            if kind == "weights":
                request, step, data = args
                if data is not None and (self._weights is None or step >= self._weights[0]):
                    self._weights = (step, data)
                self._answered = max(self._answered, request)
            elif kind == "progress" and not self.ended:
                self._r.fold(args[0])
            elif kind == "ended":
                final = args[0]
                if final.get("weights") is not None:
                    self._weights = (final.get("step", self._r.step), final["weights"])
                if not self.ended:  # a stop the page already reported keeps its words
                    self._r.fold(final)
                    self._end(final["status"], p.msg_from_payload(final.get("message")), p.msg_from_payload(final.get("warning")))
            self._changed()
