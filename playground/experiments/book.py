"""A session's run records, newest last, with a memory budget for their weights.

Curves are small and always kept (up to `max_runs` runs); weights are kept for the newest runs whose
weights fit in `budget` bytes together, so older runs keep their curves only. The book lives in the
session's state, never in a module global.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace

from playground.experiments.records import MAX_NAME, RunRecord

WEIGHTS_BUDGET = 20_000_000  # bytes of weights kept per session
MAX_RUNS = 30


@dataclass
class RunBook:
    budget: int = WEIGHTS_BUDGET
    max_runs: int = MAX_RUNS
    records: list[RunRecord] = field(default_factory=list)
    seen_jobs: set[str] = field(default_factory=set)  # training runs already recorded (by their job id)
    count: int = 0  # runs ever added: numbers default names

    def new_id(self) -> str:
        return secrets.token_hex(6)

    def add(self, record: RunRecord, job_id: str | None = None) -> RunRecord:
        """Keep `record` (the newest); older runs lose their weights past the budget, the oldest go past `max_runs`."""
        if job_id is not None:
            self.seen_jobs.add(job_id)
        self.count += 1
        record = replace(record, name=self._unique(record.name))
        self.records.append(record)
        del self.records[:-self.max_runs]
        self._fit_budget()
        return self.get(record.id) or record

    def _fit_budget(self) -> None:
        used = 0
        for i in range(len(self.records) - 1, -1, -1):
            r = self.records[i]
            if r.weights is not None:
                if used + len(r.weights) > self.budget:
                    self.records[i] = r.without_weights()
                else:
                    used += len(r.weights)

    def _unique(self, name: str, record_id: str | None = None) -> str:
        """`name`, or 'name (2)', 'name (3)', ... when another run has it: widgets tell runs apart by their names."""
        taken = {r.name for r in self.records if r.id != record_id}
        candidate, n = name, 1
        while candidate in taken:
            n += 1
            candidate = f"{name[:MAX_NAME - 6]} ({n})"
        return candidate

    def get(self, record_id: str) -> RunRecord | None:
        return next((r for r in self.records if r.id == record_id), None)

    def rename(self, record_id: str, name: str) -> bool:
        """A new name (trimmed, at most MAX_NAME characters); False for an empty one."""
        name = " ".join(name.split())[:MAX_NAME]
        for i, r in enumerate(self.records):
            if r.id == record_id and name:
                self.records[i] = replace(r, name=self._unique(name, record_id))
                return True
        return False

    def delete(self, record_id: str) -> None:
        self.records = [r for r in self.records if r.id != record_id]

    def weights_bytes(self) -> int:
        return sum(len(r.weights) for r in self.records if r.weights is not None)
