"""A training run, once ended, as a run record: its spec, curves, numbers and final weights."""
from __future__ import annotations

from playground.experiments.records import RunRecord, points
from playground.training import TrainingJob
from playground.training.protocol import encode_weights

KEPT = ("finished", "stopped", "diverged")


def record_from_job(job: TrainingJob, record_id: str, name: str) -> RunRecord | None:
    """The record of an ended run that trained at least one batch; None for a run still going, failed or never started."""
    snap = job.snapshot()
    if snap.status not in KEPT or snap.step == 0:
        return None
    weights = encode_weights(job.model_copy()) if snap.status != "diverged" else None  # diverged weights are NaN
    return RunRecord(record_id, name, job.analysis.spec, snap.status, points(snap.epochs), snap.total_epochs, snap.elapsed,
                     job.analysis.total_params, weights)
