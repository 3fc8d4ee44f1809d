"""The worker side: one process that trains the runs of many sessions, a short time slice each in turn.

The pool starts it with the spawn context. It trains on one torch thread, below the server in CPU
priority so pages stay prompt, and reads commands between two batches: Pause, Stop, a learning-rate
change or a request for the weights waits at most one batch. It ends when the server says so or is gone.
"""
from __future__ import annotations

import gc
import json
import os
import time
from collections import deque
from dataclasses import replace
from multiprocessing.connection import Connection

import torch

from playground.i18n import Msg, msg
from playground.analysis import analyze, warm_up
from playground.spec import from_data
from playground.training import protocol as p
from playground.training.trainer import Diverged, EpochRecord, Trainer
from playground.training.verdict import verdict

SLICE_SECONDS = 0.05  # the longest turn a run gets
ROUND_SECONDS = 0.4  # every runnable run has a turn, and reports, at least this often
NICENESS = 10  # far below the server: when a page needs the CPU, it gets about nine tenths of it
IDLE_POLL = 1.0


class Run:
    """One run on this worker: its Trainer, what the page asked for, and what it has not reported yet."""

    def __init__(self, trainer: Trainer, start: p.Start):
        self.trainer = trainer
        self.max_seconds = trainer.analysis.training.max_seconds
        self.paused = start["paused"]
        self.steps_wanted = start["steps"]
        self.pending_lr = start["lr"]
        self.records: list[EpochRecord] = []
        self.new_losses: list[float] = []
        self.new_records: list[EpochRecord] = []
        self.new_lr_steps: list[int] = []  # the steps at which the page's learning-rate changes took effect
        self.elapsed = 0.0  # wall time while not paused, up to `since`
        self.since = None if self.paused else time.perf_counter()
        self.train_seconds = 0.0  # time spent in this run's own steps: the budget counts this

    @property
    def runnable(self) -> bool:
        return not self.paused or self.steps_wanted > 0

    def wall(self) -> float:
        return self.elapsed + (time.perf_counter() - self.since if self.since is not None else 0.0)

    def set_paused(self, paused: bool) -> None:
        if paused and self.since is not None:
            self.elapsed, self.since = self.wall(), None
        elif not paused and self.since is None:
            self.since = time.perf_counter()
        self.paused = paused


class Worker:
    def __init__(self, conn: Connection):
        self.conn = conn
        self.runs: dict[str, Run] = {}
        self.turns: deque[str] = deque()
        self.parent = os.getppid()

    def loop(self) -> None:
        while True:
            if not self._serve(block=not self._ready()):
                return
            ready = self._ready()
            if ready:  # round robin: the run whose turn it is goes to the back of the line
                self.turns.remove(ready[0])
                self.turns.append(ready[0])
                self._slice(ready[0], min(SLICE_SECONDS, ROUND_SECONDS / len(ready)))

    def _ready(self) -> list[str]:
        return [job_id for job_id in self.turns if self.runs[job_id].runnable]

    # -- commands
    def _serve(self, block: bool) -> bool:
        """Handle every waiting command (waiting for one if `block`); False when the worker should end."""
        while True:
            try:
                if not self.conn.poll(IDLE_POLL if block else 0):
                    if block and os.getppid() == self.parent:
                        continue
                    return not block
                command = self.conn.recv()
            except (EOFError, OSError):  # the server is gone
                return False
            if not self._handle(command):
                return False
            block = False

    def _handle(self, command: tuple) -> bool:
        kind, args = command[0], command[1:]
        if kind == "exit":
            return False
        if kind == "start":
            self._start(*args)
            return True
        job_id = args[0]
        run = self.runs.get(job_id)
        if kind == "weights":
            data = p.encode_weights(run.trainer.model) if run else None
            self.conn.send(("weights", job_id, args[1], run.trainer.step if run else -1, data))
        elif run is None:
            return True  # the run ended already
        elif kind in ("pause", "resume"):
            run.set_paused(kind == "pause")
            self._report(job_id)
        elif kind == "step":
            run.steps_wanted += 1
            self._slice(job_id, 0.0)  # one batch now: the page waits for it
        elif kind == "lr":
            run.pending_lr = args[1]
        elif kind == "stop":
            self._end(job_id, "stopped", msg("train.status.stopped", epochs=run.trainer.epoch))
        return True

    def _start(self, job_id: str, start: p.Start) -> None:
        dataset = p.dataset_from_payload(start["dataset"]) if start["dataset"] else None
        try:
            trainer = Trainer(analyze(from_data(json.loads(start["spec"])), dataset), dataset)
            if start["weights"] is not None:  # weights loaded from a file: the run starts from them
                trainer.model.load_state_dict(p.decode_weights(start["weights"]))
        except Exception as e:  # checked on the server already; anything left is reported, not raised
            self.conn.send(("ended", job_id, {"status": "failed", "message": p.msg_payload(_failure(e)), "losses": [], "records": []}))
            return
        self.runs[job_id] = Run(trainer, start)
        self.turns.append(job_id)
        if start["steps"]:
            self._slice(job_id, 0.0)

    # -- training
    def _slice(self, job_id: str, budget: float) -> None:
        """Steps of one run for up to `budget` seconds (at least one), then a report."""
        run = self.runs[job_id]
        began = time.perf_counter()
        while True:
            ended = self._step(job_id, run)
            if ended:
                return
            if not run.runnable or time.perf_counter() - began >= budget or self.conn.poll():
                break
        self._report(job_id)

    def _step(self, job_id: str, run: Run) -> bool:
        """One batch; True when it ended the run."""
        t = run.trainer
        if run.pending_lr is not None:
            t.set_base_lr(run.pending_lr)
            run.pending_lr = None
            run.new_lr_steps.append(t.step)
        began = time.perf_counter()
        try:
            loss, record = t.train_step()
        except Diverged as e:
            self._end(job_id, "diverged", e.message)
            return True
        except Exception as e:  # a failure inside PyTorch reaches the page as a sentence
            self._end(job_id, "failed", _failure(e))
            return True
        took = time.perf_counter() - began
        run.train_seconds += took
        if run.since is None:  # a single step while paused: its own time counts
            run.elapsed += took
        run.steps_wanted = max(0, run.steps_wanted - 1)
        run.new_losses.append(loss)
        if record is not None:
            wall = run.wall()
            record = replace(record, seconds=wall, samples_per_second=t.epoch * t.data.n_train / max(wall, 1e-9))
            run.records.append(record)
            run.new_records.append(record)
        if t.done:
            self._end(job_id, "finished", _finished(run), verdict(t, run.records))
        elif run.train_seconds >= run.max_seconds:
            self._end(job_id, "finished", msg("train.status.budget", seconds=f"{run.max_seconds:g}", epochs=t.epoch),
                      verdict(t, run.records))
        else:
            return False
        return True

    # -- reporting
    def _progress(self, run: Run, status: str) -> p.Progress:
        out = p.Progress(status=status, step=run.trainer.step, epoch=run.trainer.epoch, losses=run.new_losses,
                         records=[p.record_payload(r) for r in run.new_records], elapsed=run.wall(), lr=run.trainer.current_lr(),
                         lr_steps=run.new_lr_steps)
        run.new_losses, run.new_records, run.new_lr_steps = [], [], []
        return out

    def _report(self, job_id: str) -> None:
        run = self.runs[job_id]
        self.conn.send(("progress", job_id, self._progress(run, "paused" if run.paused else "running")))

    def _end(self, job_id: str, status: str, message: Msg, warning: Msg | None = None) -> None:
        run = self.runs.pop(job_id)
        self.turns.remove(job_id)
        run.set_paused(True)
        final = self._progress(run, status)
        final.update(message=p.msg_payload(message), warning=p.msg_payload(warning), weights=p.encode_weights(run.trainer.model))
        self.conn.send(("ended", job_id, final))


def _finished(run: Run) -> Msg:
    last = run.records[-1]
    numbers = {"epochs": run.trainer.epoch, "seconds": f"{run.wall():.1f}", "loss": f"{last.test_loss:.4f}"}
    if run.trainer.stopped_early:
        t = run.trainer
        return msg("optimizers.early_stopping.stopped", patience=t.settings["patience"], best=f"{t.best_test_loss:.4f}",
                   best_epoch=t.best_epoch, **numbers)
    if last.test_accuracy is None:
        return msg("train.status.finished", **numbers)
    return msg("train.status.finished_acc", accuracy=f"{last.test_accuracy:.1%}", **numbers)


def _failure(e: Exception) -> Msg:
    return msg("train.status.failed", error=str(e).splitlines()[0] if str(e) else type(e).__name__)


def main(conn: Connection) -> None:
    """The worker process's entry point."""
    torch.set_num_threads(1)
    warm_up()  # at full priority: the first Start should not wait for it
    gc.freeze()  # torch's objects, out of the collector's full passes (each took 0.2–0.4 s of training)
    try:
        os.nice(NICENESS)
    except (AttributeError, OSError):
        pass
    Worker(conn).loop()
