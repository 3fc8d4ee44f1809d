"""Which page may show which run: a reload reattaches to its run; a run no page shows ends after a grace period.

A run is found by its id (unguessable, kept in the page's address as `?run=`) and belongs to the browser
that started it: it is bound to a digest of that browser's random key (a cookie and local storage, see
ui/components). The id alone is not enough. A copied link opened in another browser — a student's — shows
the model from `?spec=` with a fresh run of its own, never the teacher's run; another tab of the same
browser shows the same run. Runs from a page with no key (AppTest, a protocol client) are never registered:
they end with their session.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from playground.once import per_process

if TYPE_CHECKING:
    from playground.training.jobs import TrainingJob


def _digest(browser_key: str) -> bytes:
    return hashlib.sha256(browser_key.encode()).digest()


@dataclass
class _Entry:
    job: "TrainingJob"
    owner: bytes
    pages: int = 1  # sessions showing the run now
    alone_since: float = 0.0  # when the last of them went


class Runs:
    """The server's registry of runs that a page may reattach to; see the module docstring."""

    def __init__(self, grace_seconds: float | None = None):
        self.grace_seconds = grace_seconds if grace_seconds is not None else float(os.environ.get("PLAYGROUND_RUN_GRACE_SECONDS", 600))
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._reaper: threading.Thread | None = None

    def add(self, job: "TrainingJob", browser_key: str) -> None:
        """Register a run started by the page of the browser holding `browser_key`."""
        with self._lock:
            self._entries[job.id] = _Entry(job, _digest(browser_key))

    def claim(self, run_id: str, browser_key: str) -> "TrainingJob | None":
        """The run for a reloaded page, if `run_id` names one and this browser started it; else None."""
        with self._lock:
            entry = self._entries.get(run_id)
            if entry is None or not hmac.compare_digest(entry.owner, _digest(browser_key)):
                return None
            entry.pages += 1
            return entry.job

    def release(self, job: "TrainingJob") -> None:
        """A page showing the run went away; when it was the last, the grace period starts."""
        with self._lock:
            entry = self._entries.get(job.id)
            if entry is None:
                return
            entry.pages -= 1
            if entry.pages <= 0:
                entry.alone_since = time.monotonic()
                if self._reaper is None:
                    self._reaper = threading.Thread(target=self._reap, name="playground-runs", daemon=True)
                    self._reaper.start()

    def drop(self, job: "TrainingJob") -> None:
        """Forget a run its page replaced (Restart, Reset, a new model)."""
        with self._lock:
            self._entries.pop(job.id, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _reap(self) -> None:
        """Stop and forget runs alone for longer than the grace period; end once no run is alone."""
        while True:
            time.sleep(min(1.0, self.grace_seconds / 4))
            now = time.monotonic()
            with self._lock:
                expired = [e for e in self._entries.values() if e.pages <= 0 and now - e.alone_since >= self.grace_seconds]
                for e in expired:
                    del self._entries[e.job.id]
                waiting = any(e.pages <= 0 for e in self._entries.values())
                if not waiting:
                    self._reaper = None
            for e in expired:
                e.job.stop()
            if not waiting:
                return


@per_process
def default_runs() -> Runs:
    """The server's one registry, made on first use."""
    return Runs()
