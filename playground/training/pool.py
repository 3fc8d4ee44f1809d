"""The server side of the worker processes: how many, which run trains where, the waiting line, their end.

One pool per server process. It starts up to one worker per core (spawn context, see worker.py), gives
each new run to the worker with the fewest runs, and the runs on a worker take turns. Above `max_jobs`
runs at once (each holds a model and its data in memory) the next ones wait in line, see their place,
and start by themselves. A worker with no run for `idle_seconds` ends, and every worker ends with the
server: daemonic, told to exit at shutdown, and it exits by itself when the server's end of its pipe closes.

The pool knows the runs it trains by id only to hand each report to its job; pages reach a job through
their own session (or runs.py), never through the pool.
"""
from __future__ import annotations

import atexit
import math
import multiprocessing
import os
import queue
import threading
import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

from playground.i18n import msg
from playground.once import per_process
from playground.training import protocol, worker

if TYPE_CHECKING:
    from playground.training.jobs import TrainingJob


def available_cores() -> int:
    """Cores this process may use: its CPU affinity, capped by a container's CPU quota (cgroup v2)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            cores = min(cores, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError):
        pass
    return max(1, cores)


def _env_number(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


class _Worker:
    """One worker process, its pipe, a thread that sends and one that reads."""

    def __init__(self, pool: "Pool", index: int):
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=worker.main, args=(child,), name=f"playground-worker-{index}", daemon=True)
        self.process.start()
        child.close()  # only the worker holds that end: when the server goes, the worker reads end-of-file
        self.jobs: set[str] = set()
        self.idle_since = time.monotonic()
        self._outbox: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._send_loop, name=f"playground-send-{index}", daemon=True).start()
        threading.Thread(target=self._read_loop, args=(pool,), name=f"playground-read-{index}", daemon=True).start()

    def send(self, command: tuple) -> None:
        """Queue a command; never blocks the page (the pipe may be full while the worker starts)."""
        self._outbox.put(command)

    def _send_loop(self) -> None:
        while (command := self._outbox.get()) is not None:
            try:
                self.conn.send(command)
            except (OSError, ValueError):
                return

    def _read_loop(self, pool: "Pool") -> None:
        while True:
            try:
                message = self.conn.recv()
            except (EOFError, OSError):
                pool._lost(self)
                return
            pool._deliver(self, message)

    def close(self, wait: float = 2.0) -> None:
        self.send(("exit",))
        self._outbox.put(None)
        self.process.join(wait)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(wait)
        self.conn.close()


class Pool:
    """Worker processes shared fairly by every session's runs; see the module docstring."""

    def __init__(self, workers: int | None = None, max_jobs: int | None = None, idle_seconds: float | None = None):
        self.max_workers = workers or int(_env_number("PLAYGROUND_WORKERS", available_cores()))
        self.max_jobs = max_jobs or int(_env_number("PLAYGROUND_MAX_JOBS", 64))
        self.idle_seconds = idle_seconds if idle_seconds is not None else _env_number("PLAYGROUND_WORKER_IDLE_SECONDS", 60)
        self._lock = threading.Lock()
        self._workers: list[_Worker] = []
        self._training: dict[str, tuple["TrainingJob", _Worker]] = {}
        self._line: deque["TrainingJob"] = deque()
        self._spawned = 0
        self._housekeeper: threading.Thread | None = None

    # -- for jobs
    def warm(self, workers: int = 1) -> None:
        """Start up to `workers` workers ahead of the runs a page is about to start, so they do not wait for one to boot."""
        with self._lock:
            while len(self._workers) < min(workers, self.max_workers):
                self._spawn()

    def submit(self, job: "TrainingJob") -> None:
        """Train `job` now if there is room, else put it in line (its place shows on its page)."""
        with self._lock:
            if len(self._training) >= self.max_jobs:
                self._line.append(job)
                return
            w = self._assign(job)
        self._begin(job, w)

    def send(self, job_id: str, *command) -> None:
        with self._lock:
            entry = self._training.get(job_id)
        if entry is not None:
            entry[1].send((command[0], job_id, *command[1:]))

    def withdraw(self, job: "TrainingJob") -> None:
        """Take a job out of the line (stopped before its turn came)."""
        with self._lock:
            if job in self._line:
                self._line.remove(job)

    def place(self, job: "TrainingJob") -> int | None:
        """1 for the next job to start, 2 after it, ...; None when not waiting."""
        with self._lock:
            return self._line.index(job) + 1 if job in self._line else None

    def counts(self) -> tuple[int, int, int]:
        """(runs training, runs waiting, worker processes): numbers only, no user data."""
        with self._lock:
            return len(self._training), len(self._line), len(self._workers)

    def worker_pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in self._workers]

    def shutdown(self) -> None:
        with self._lock:
            workers, self._workers = self._workers, []
        for w in workers:
            w.close()

    # -- inside
    def _spawn(self) -> _Worker:
        w = _Worker(self, self._spawned)
        self._spawned += 1
        self._workers.append(w)
        if self._housekeeper is None:
            self._housekeeper = threading.Thread(target=self._housekeep, name="playground-pool", daemon=True)
            self._housekeeper.start()
        return w

    def _assign(self, job: "TrainingJob") -> _Worker:
        """The worker with the fewest runs; a new one while some core has none (called under the lock)."""
        idle = [w for w in self._workers if not w.jobs]
        w = idle[0] if idle else (self._spawn() if len(self._workers) < self.max_workers else min(self._workers, key=lambda w: len(w.jobs)))
        w.jobs.add(job.id)
        self._training[job.id] = (job, w)
        return w

    def _begin(self, job: "TrainingJob", w: _Worker) -> None:
        # The job sends its start under its own lock, so no command of its page can overtake it
        if not job._admitted(lambda start: w.send(("start", job.id, start))):
            with self._lock:  # stopped while it waited
                self._training.pop(job.id, None)
                w.jobs.discard(job.id)

    def _deliver(self, w: _Worker, message: tuple) -> None:
        kind, job_id = message[0], message[1]
        with self._lock:
            entry = self._training.get(job_id)
            if kind == "ended" and entry is not None:
                del self._training[job_id]
                w.jobs.discard(job_id)
                w.idle_since = time.monotonic()
        if entry is not None:
            entry[0]._receive(kind, message[2:])
        if kind == "ended":
            self._admit_waiting()

    def _admit_waiting(self) -> None:
        while True:
            with self._lock:
                if not self._line or len(self._training) >= self.max_jobs:
                    return
                job = self._line.popleft()
                w = self._assign(job)
            self._begin(job, w)

    def _lost(self, w: _Worker) -> None:
        """A worker died (killed, out of memory): its runs end with a sentence, not silence."""
        with self._lock:
            if w in self._workers:
                self._workers.remove(w)
            lost = [(job_id, self._training.pop(job_id)[0]) for job_id in list(w.jobs) if job_id in self._training]
            w.jobs.clear()
        for job_id, job in lost:
            job._receive("ended", (protocol.Progress(status="failed", message=protocol.msg_payload(msg("train.status.lost"))),))
        self._admit_waiting()

    def _housekeep(self) -> None:
        """End workers that have had no run for `idle_seconds`; stop watching once none is left."""
        while True:
            time.sleep(min(1.0, self.idle_seconds / 4))
            now = time.monotonic()
            with self._lock:
                idle = [w for w in self._workers if not w.jobs and now - w.idle_since >= self.idle_seconds]
                for w in idle:
                    self._workers.remove(w)
                if not self._workers:
                    self._housekeeper = None
            for w in idle:
                w.close()
            if self._housekeeper is not threading.current_thread():
                return


@per_process
def default_pool() -> Pool:
    """The server's one pool, made on first use and shut down at exit."""
    pool = Pool()
    atexit.register(pool.shutdown)
    return pool
