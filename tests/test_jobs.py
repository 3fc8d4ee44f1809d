"""Live runs: what a page commands and reads, with the batches trained in worker processes shared by every session.

Counted in steps and epochs; the waits only bound how long a broken run may hang the suite.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import torch

from conftest import EXAMPLES, ROOT
from conftest import analyze_doc as analyze
from playground.datasets import UPLOAD, dataset_from_dataframe
from playground.training import Pool, Runs, Trainer, TrainingJob, default_pool, train
from playground.training.jobs import LossSeries

IRIS_MLP = [{"type": "Linear", "out_features": 16}, {"type": "ReLU"}, {"type": "Linear", "out_features": 3}]
DROPOUT_MLP = [{"type": "Linear", "out_features": 16}, {"type": "ReLU"}, {"type": "Dropout", "p": 0.5}, {"type": "Linear", "out_features": 3}]
LONG = 1000  # epochs: a run that is stopped by hand long before it ends


def iris(layers=IRIS_MLP, optimizer=None, **training):
    """A tiny classifier on iris: 120 training samples, 4 steps per epoch at batch size 32."""
    a = analyze({"dataset": {"name": "iris"}, "layers": layers, "optimizer": optimizer or {"type": "Adam", "lr": 0.01},
                 "training": {"epochs": 3, **training}})
    assert a.ok, [p.message for p in a.problems]
    return a


def curve(records):
    return [(r.epoch, r.train_loss, r.test_loss, r.train_accuracy, r.test_accuracy, r.lr, r.grad_norms) for r in records]


def wait_until(condition, timeout=60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not open(f"/proc/{pid}/stat").read().split(")")[1].split()[0] == "Z"


@pytest.fixture
def jobs():
    """Makes jobs (on the default pool unless given one) and stops every one at the end."""
    made: list[TrainingJob] = []

    def make(analysis, pool=None, dataset=None):
        made.append(TrainingJob(analysis, dataset, pool=pool))
        return made[-1]

    yield make
    for job in made:
        job.stop()
        assert job.ended


@pytest.fixture(scope="module")
def one_worker():
    """A pool of one worker process that trains at most two runs at once: runs interleave, and a third waits."""
    pool = Pool(workers=1, max_jobs=2)
    yield pool
    pool.shutdown()


def finished(job):
    assert wait_until(lambda: job.ended), job.snapshot()
    return job.snapshot()


# ---------------------------------------------------------------- the same seed, the same curve
def test_two_concurrent_dropout_jobs_give_the_curves_of_one_alone(jobs, one_worker):
    a, b = iris(DROPOUT_MLP, seed=3, epochs=4), iris(DROPOUT_MLP, seed=4, epochs=4)
    first, second, again = jobs(a, one_worker), jobs(b, one_worker), jobs(a)
    for job in (first, second):  # on one worker process: their batches interleave
        job.start()
    snaps = [finished(job) for job in (first, second)]
    again.start()  # and alone, on the default pool
    alone = finished(again)
    assert [s.status for s in snaps] == ["finished", "finished"]
    assert curve(snaps[0].epochs) == curve(alone.epochs) == curve(train(a))
    assert curve(snaps[1].epochs) == curve(train(b))


def test_an_uploaded_table_trains_in_the_worker_as_headless(jobs):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3))
    df = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "label": np.where(x[:, 0] + x[:, 1] > 0, "yes", "no")})
    ds = dataset_from_dataframe(df, "label", name=UPLOAD)
    a = analyze({"dataset": {"name": UPLOAD}, "layers": [{"type": "Linear", "out_features": 2}], "training": {"epochs": 3}}, ds)
    job = jobs(a, dataset=ds)
    job.start()
    assert curve(finished(job).epochs) == curve(train(a, dataset=ds))


# ---------------------------------------------------------------- the page's commands
def test_start_pause_resume_stop(jobs):
    job = jobs(iris(epochs=LONG))
    assert job.snapshot().status == "idle" and job.snapshot().step == 0
    job.start()
    assert job.snapshot().status in ("queued", "running")
    assert wait_until(lambda: job.snapshot().step > 5)
    job.pause()
    paused = job.snapshot()
    assert paused.status == "paused" and not paused.running and paused.active
    job.step_once()  # a single step while paused: exactly one more
    assert job.wait_for_step(paused.step + 1, 30)
    time.sleep(0.3)
    assert job.snapshot().step == paused.step + 1, "a paused job does not advance by itself"
    job.resume()
    assert job.snapshot().status == "running"
    assert wait_until(lambda: job.snapshot().step > paused.step + 5)
    job.stop()
    s = job.snapshot()
    assert s.status == "stopped" and not s.active
    assert re.fullmatch(r"Stopped by you after \d+ epoch\(s\)\.", str(s.message))
    time.sleep(0.3)
    assert job.snapshot().step == s.step, "a stopped job's numbers stay as they were"


def test_step_from_idle_trains_one_batch_then_start_runs_on(jobs):
    job = jobs(iris(epochs=LONG))
    job.step_once()
    assert job.wait_for_step(1, 30)
    for expected in (2, 3):
        job.step_once()
        assert job.wait_for_step(expected, 30)
    time.sleep(0.3)
    s = job.snapshot()
    assert (s.status, s.step, s.loss_steps) == ("paused", 3, (1, 2, 3))
    job.start()  # Start after stepping: the run goes on, and says so
    assert job.snapshot().status == "running"
    assert wait_until(lambda: job.snapshot().step > 10)


def test_step_is_ignored_while_running(jobs):
    job = jobs(iris(epochs=LONG))
    job.start()
    job.step_once()
    assert job.snapshot().status in ("queued", "running")


def test_a_live_learning_rate_change_is_marked_and_applied(jobs):
    job = jobs(iris(epochs=LONG, optimizer={"type": "SGD", "lr": 0.01}))
    job.start()
    assert wait_until(lambda: job.snapshot().step > 3)
    seen = job.snapshot().step
    job.set_lr(0.2)
    assert job.snapshot().lr_changes == ((seen, 0.2),), "marked at once"
    assert wait_until(lambda: job.snapshot().lr == pytest.approx(0.2)), "the worker trains with the new rate and says so"
    [(step, lr)] = job.snapshot().lr_changes
    assert lr == 0.2 and step >= seen, "the mark moves to the batch where the new rate took effect"


def test_the_epoch_budget_finishes_with_a_message(jobs):
    job = jobs(iris(epochs=3))
    job.start()
    s = finished(job)
    assert s.status == "finished" and s.epoch == 3 and len(s.epochs) == 3 and s.progress == 1.0
    assert re.fullmatch(r"Finished 3 epochs in \d+\.\d s: test loss \d\.\d{4}, test accuracy \d+\.\d%\.", str(s.message)), s.message


def test_the_time_budget_stops_the_run(jobs):
    job = jobs(iris(epochs=LONG, batch_size=4, max_seconds=1))
    job.start()
    s = finished(job)
    assert s.status == "finished" and s.epoch < LONG
    assert str(s.message) == (f"Stopped at the time budget of 1 s of training after {s.epoch} epochs — "
                              "raise max_seconds in Training settings to train longer.")


def test_stop_before_start():
    job = TrainingJob(iris())
    job.stop()
    assert job.snapshot().status == "stopped"


def test_a_diverging_run_stops_with_the_message(jobs):
    job = jobs(analyze({"dataset": {"name": "plane"}, "layers": [{"type": "Linear", "out_features": 1}],
                        "optimizer": {"type": "SGD", "lr": 10}, "training": {"epochs": 5}}))
    job.start()
    s = finished(job)
    assert s.status == "diverged" and "the learning rate 10 is too high" in str(s.message)


def test_a_run_that_does_not_learn_finishes_with_a_warning(jobs):
    doc = json.loads((EXAMPLES / "mlp_spiral.json").read_text())
    doc["optimizer"], doc["training"]["epochs"] = {"type": "SGD", "lr": 10}, 10
    job = jobs(analyze(doc))
    job.start()
    s = finished(job)
    assert s.status == "finished" and s.warning is not None and s.warning.key == "train.verdict.too_high"


# ---------------------------------------------------------------- what the page reads
def test_the_model_copy_holds_the_workers_weights(jobs):
    a = iris(epochs=LONG)
    job = jobs(a)
    job.start()
    assert wait_until(lambda: job.snapshot().step > 10)
    job.pause()
    steps = job.snapshot().step
    reference = Trainer(a)  # the same seed, the same batches: the same weights after as many steps
    for _ in range(steps):
        reference.train_step()
    copy = job.model_copy()
    assert not copy.training
    for name, value in reference.model.state_dict().items():
        assert torch.equal(copy.state_dict()[name], value), name


def test_snapshots_are_never_torn(jobs):
    job = jobs(iris(epochs=200))
    job.start()
    seen = 0
    while not job.ended:
        s = job.snapshot()
        assert s.epoch == len(s.epochs)
        assert s.epoch * s.steps_per_epoch <= s.step < (s.epoch + 1) * s.steps_per_epoch or s.epoch == s.total_epochs
        assert not s.loss_steps or s.loss_steps[-1] <= s.step
        seen += 1
    assert seen > 10


def test_batch_losses_stay_bounded_however_long_the_run():
    series = LossSeries(limit=100)
    series.extend(1, [float(i) for i in range(10_000)])
    assert len(series.steps) <= 100 and series.steps[0] == 1
    assert all((s - 1) % series.stride == 0 for s in series.steps)
    assert series.values == [float(s - 1) for s in series.steps]


# ---------------------------------------------------------------- sharing: a line, and no refusal
def test_runs_beyond_the_limit_wait_in_line_and_start_by_themselves(jobs, one_worker):
    first, second, third, fourth = (jobs(iris(epochs=LONG), one_worker) for _ in range(4))
    for job in (first, second, third, fourth):
        job.start()
    assert [j.snapshot().status for j in (third, fourth)] == ["queued", "queued"]
    assert [j.snapshot().place for j in (third, fourth)] == [1, 2]
    fourth.stop()  # leaves the line without training
    assert fourth.snapshot().status == "stopped" and fourth.snapshot().step == 0
    first.stop()
    assert wait_until(lambda: third.snapshot().step > 0), "the next in line starts when a run ends"
    assert third.snapshot().status == "running"


# ---------------------------------------------------------------- reattaching, the grace period, the end of workers
def test_a_run_is_found_again_only_by_the_browser_that_started_it():
    runs = Runs(grace_seconds=0.3)
    job = TrainingJob(iris(epochs=LONG))
    runs.add(job, "a" * 32)
    assert runs.claim(job.id, "b" * 32) is None, "another browser, with the copied link"
    other = ("y" if job.id[0] == "x" else "x") + job.id[1:]  # a run id one character off (ids are random: never the same one)
    assert runs.claim(other, "a" * 32) is None
    assert runs.claim(job.id, "a" * 32) is job, "the same browser, after a reload"
    job.start()
    runs.release(job)  # one of the two pages went: the run goes on
    time.sleep(0.6)
    assert not job.ended
    runs.release(job)  # the last page went: the grace period starts
    assert wait_until(lambda: job.ended, 10)
    assert job.snapshot().status == "stopped" and len(runs) == 0


def test_idle_workers_end():
    pool = Pool(workers=1, idle_seconds=0.5)
    job = TrainingJob(iris(epochs=2), pool=pool)
    job.start()
    [pid] = pool.worker_pids()
    assert finished(job).status == "finished"
    assert wait_until(lambda: not alive(pid), 30) and pool.counts() == (0, 0, 0)


SERVER_DIES = """
import sys, time
from playground.analysis import analyze
from playground.spec import from_data
from playground.training import TrainingJob, default_pool
a = analyze(from_data({"dataset": {"name": "iris"}, "layers": [{"type": "Linear", "out_features": 3}], "training": {"epochs": 1000}}))
job = TrainingJob(a)
job.start()
job.wait_for_step(1, 120)
print(*default_pool().worker_pids(), flush=True)
time.sleep(600)
"""


def test_workers_end_when_the_server_is_killed():
    server = subprocess.Popen([sys.executable, "-c", SERVER_DIES], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in server.stdout.readline().split()]
        assert pids and all(alive(p) for p in pids)
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    assert wait_until(lambda: not any(alive(p) for p in pids), 30), "a worker outlived its server"


def test_the_default_pool_is_shared():
    assert default_pool() is default_pool()
