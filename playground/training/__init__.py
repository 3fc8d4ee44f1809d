"""Training: the Trainer and headless `train()` (trainer.py); live runs whose batches train in worker
processes shared by every session (jobs.py is the page side, worker.py the worker side, pool.py the
processes, runs.py which page may show which run); and whether a run learned (verdict.py)."""
from playground.training.jobs import ENDED, Snapshot, TrainingJob
from playground.training.pool import Pool, default_pool
from playground.training.runs import Runs, default_runs
from playground.training.trainer import Diverged, EpochRecord, Trainer, steps_per_epoch, train
from playground.training.verdict import chance_loss, verdict

__all__ = ["ENDED", "Diverged", "EpochRecord", "Pool", "Runs", "Snapshot", "Trainer", "TrainingJob", "chance_loss",
           "default_pool", "default_runs", "steps_per_epoch", "train", "verdict"]
