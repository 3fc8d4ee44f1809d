"""A sweep's runs trained as a queue: as many at once as the server's fair share allows, the rest waiting.

A small thread per sweep starts the next run when one ends (the pool trains them; this thread only
watches). The session collects ended runs with `take_ended()` and keeps them as records; `stop()` ends
the sweep and every run it started. Nothing here is shared between sessions.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from playground.analysis import Analysis, analyze
from playground.datasets import Dataset
from playground.experiments.sweeps import Point, SweepError, fair_share
from playground.i18n import msg
from playground.training import Pool, TrainingJob, default_pool

WATCH_SECONDS = 0.2


@dataclass(frozen=True)
class Progress:
    done: int
    training: int
    total: int
    stopped: bool

    @property
    def finished(self) -> bool:
        return self.stopped or self.done == self.total


def plan(points: list[Point], dataset: Dataset | None = None) -> list[Analysis]:
    """Every point's analysis; SweepError naming the first point the model cannot train."""
    analyses = [analyze(p.spec, dataset) for p in points]
    for point, a in zip(points, analyses):
        if not a.ok:
            raise SweepError(msg("compare.sweep.point_invalid", point=point.label, problem=a.problems[0].msg))
    return analyses


class SweepQueue:
    """The runs of one sweep; see the module docstring."""

    def __init__(self, points: list[Point], analyses: list[Analysis], pool: Pool | None = None):
        self.points = points
        self._analyses = analyses
        self._pool = pool or default_pool()
        self._lock = threading.Lock()
        self._jobs: list[TrainingJob] = []
        self._taken = 0  # ended jobs handed out, in order of ending
        self._ended: list[int] = []  # indices of ended jobs, in the order they ended
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="playground-sweep", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """End the sweep: runs not started never start, runs training stop (with their numbers kept)."""
        self._stopped.set()
        with self._lock:
            jobs = list(self._jobs)
        for job in jobs:
            job.stop()

    def progress(self) -> Progress:
        with self._lock:
            training = sum(1 for j in self._jobs if not j.ended)
            return Progress(len(self._ended), training, len(self.points), self._stopped.is_set())

    def take_ended(self) -> list[tuple[Point, TrainingJob]]:
        """Runs that ended since the last call, in the order they ended."""
        with self._lock:
            self._note_ended()
            fresh = self._ended[self._taken:]
            self._taken = len(self._ended)
            return [(self.points[i], self._jobs[i]) for i in fresh]

    def _note_ended(self) -> None:
        self._ended += [i for i, j in enumerate(self._jobs) if j.ended and i not in self._ended]

    def _run(self) -> None:
        while not self._stopped.wait(WATCH_SECONDS):
            with self._lock:
                if self._stopped.is_set():  # stopped while this thread waited for the lock
                    return
                self._note_ended()
                active = sum(1 for j in self._jobs if not j.ended)
                if len(self._jobs) == len(self.points) and not active:
                    return
                elsewhere = max(0, self._pool.counts()[0] - active)
                room = fair_share(self._pool.max_workers, elsewhere) - active
                for _ in range(max(0, min(room, len(self.points) - len(self._jobs)))):
                    job = TrainingJob(self._analyses[len(self._jobs)], pool=self._pool)
                    self._jobs.append(job)
                    job.start()
