"""Training: the synchronous Trainer, headless `train()`, and the threaded TrainingJob a page controls."""
from __future__ import annotations

import dataclasses
import math
import re
import threading
import time

import pytest
import torch

from playground import training
from playground.optimizers import lr_factor
from conftest import analyze_doc as analyze
from playground.training import Diverged, JobLimitReached, Trainer, TrainingJob, train

IRIS_MLP = [{"type": "Linear", "out_features": 16}, {"type": "ReLU"}, {"type": "Linear", "out_features": 3}]


def iris(layers=None, optimizer=None, **training_settings):
    """A tiny classifier on iris: 120 training samples, 4 steps per epoch at batch size 32."""
    doc = {"dataset": {"name": "iris"}, "layers": layers or IRIS_MLP,
           "optimizer": optimizer or {"type": "Adam", "lr": 0.01}, "training": {"epochs": 3, **training_settings}}
    a = analyze(doc)
    assert a.ok, [p.message for p in a.problems]
    return a


def curve(records):
    """What a learner sees of a run, without the wall-clock columns."""
    return [(r.epoch, r.train_loss, r.test_loss, r.train_accuracy, r.test_accuracy, r.lr, r.grad_norms) for r in records]


def weights(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def wait_until(condition, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.005)
    return condition()


@pytest.fixture
def jobs():
    """Creates jobs and stops every one at the end, so no thread (or job slot) outlives its test."""
    made: list[TrainingJob] = []

    def make(analysis):
        job = TrainingJob(analysis)
        made.append(job)
        return job

    yield make
    for job in made:
        job.stop()
        assert job._thread is None or not job._thread.is_alive()


# ---------------------------------------------------------------- reproducibility
def test_same_spec_and_seed_give_the_same_curve():
    a = iris([{"type": "Linear", "out_features": 16}, {"type": "ReLU"}, {"type": "Dropout", "p": 0.5},
              {"type": "Linear", "out_features": 3}], seed=7)
    first, second = curve(train(a)), curve(train(a))
    assert len(first) == 3
    assert first == second


def test_a_different_seed_gives_a_different_curve():
    assert curve(train(iris(seed=1))) != curve(train(iris(seed=2)))


def test_the_live_job_and_headless_training_give_the_same_curve(jobs):
    a = iris([{"type": "Linear", "out_features": 16}, {"type": "ReLU"}, {"type": "Dropout", "p": 0.3},
              {"type": "Linear", "out_features": 3}], seed=3)
    job = jobs(a)
    job.start()
    assert wait_until(lambda: job.snapshot().status == "finished")
    assert curve(job.snapshot().epochs) == curve(train(a))


# ---------------------------------------------------------------- the Trainer
def test_one_step_changes_the_weights_and_counts_the_step():
    t = Trainer(iris())
    before = weights(t.model)
    loss, record = t.train_step()
    after = weights(t.model)
    assert math.isfinite(loss) and record is None
    assert t.step == 1 and t.epoch == 0
    assert all(not torch.equal(before[k], after[k]) for k in before)


def test_an_epoch_ends_with_a_record_after_all_its_batches():
    t = Trainer(iris())
    assert t.steps_per_epoch == 4
    records = [t.train_step()[1] for _ in range(4)]
    assert records[:3] == [None, None, None]
    r = records[3]
    assert r.epoch == 1 and t.epoch == 1
    assert 0 <= r.test_accuracy <= 1 and 0 <= r.train_accuracy <= 1
    assert set(r.grad_norms) == {"0 Linear", "2 Linear"} and all(v > 0 for v in r.grad_norms.values())
    assert r.as_json().keys() == {"epoch", "seconds", "train_loss", "test_loss", "train_accuracy", "test_accuracy", "lr"}


def test_training_actually_learns():
    records = list(train(iris(epochs=30)))
    assert records[-1].test_loss < records[0].test_loss
    assert records[-1].test_accuracy >= 0.85


# ---------------------------------------------------------------- divergence
def _exploding():
    return analyze({"dataset": {"name": "plane"}, "layers": [{"type": "Linear", "out_features": 1}],
                    "optimizer": {"type": "SGD", "lr": 10}, "training": {"epochs": 5}})


def test_divergence_stops_at_the_first_bad_step_and_names_the_learning_rate():
    t = Trainer(_exploding())
    losses = []
    with pytest.raises(Diverged) as err:
        for _ in range(100):
            losses.append(t.train_step()[0])
    bad_step = len(losses) + 1
    assert bad_step <= 5  # lr 10 blows up within a few steps
    assert t.step == len(losses)  # the bad batch was not applied
    assert all(torch.isfinite(p).all() for p in t.model.parameters())
    assert str(err.value).startswith("The loss exploded to ")
    assert f"at step {bad_step} (epoch 1): the learning rate 10 is too high — lower it (try 1) or turn on gradient clipping." in str(err.value)


def test_an_infinite_loss_is_caught_too():
    a = _exploding()
    huge = dataclasses.replace(a.dataset, y_train=a.dataset.y_train * 1e17, y_test=a.dataset.y_test * 1e17)
    t = Trainer(a, huge)
    t.train_step()  # 1e33: large, but where it started
    with pytest.raises(Diverged) as err:
        t.train_step()
    assert str(err.value) == ("The loss became inf at step 2 (epoch 1): the learning rate 10 is probably too high — "
                              "lower it (try 1) or turn on gradient clipping.")


def test_headless_training_raises_diverged():
    with pytest.raises(Diverged, match="learning rate 10"):
        list(train(_exploding()))


def test_a_diverging_job_stops_with_the_message(jobs):
    job = jobs(_exploding())
    job.start()
    assert wait_until(lambda: job.snapshot().status == "diverged")
    s = job.snapshot()
    assert "the learning rate 10 is too high" in s.message
    assert wait_until(lambda: not job._thread.is_alive())


def test_grad_clip_bounds_the_update():
    sgd = {"type": "SGD", "lr": 1.0}
    clipped, free = Trainer(iris(optimizer=sgd, grad_clip=0.001)), Trainer(iris(optimizer=sgd))

    def step_size(t):
        before = weights(t.model)
        t.train_step()
        return math.sqrt(sum(float((after - before[k]).pow(2).sum()) for k, after in weights(t.model).items()))

    assert step_size(clipped) <= 0.001 * 1.0001
    assert step_size(free) > 0.01


@pytest.mark.parametrize("penalty", ["l1", "l2"])
def test_l1_and_l2_penalties_shrink_the_weights(penalty):
    def weight_sum(**settings):
        t = Trainer(iris(optimizer={"type": "SGD", "lr": 0.05}, epochs=5, **settings))
        while not t.done:
            t.train_step()
        return sum(float(p.detach().abs().sum()) for p in t.model.parameters() if p.dim() > 1)

    assert weight_sum(**{penalty: 0.2}) < 0.8 * weight_sum()


# ---------------------------------------------------------------- learning-rate schedules
def test_step_schedule_multiplies_by_gamma_every_step_size_epochs():
    a = iris(optimizer={"type": "SGD", "lr": 0.1}, epochs=6, lr_schedule="step", step_size=2, gamma=0.5)
    assert [r.lr for r in train(a)] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025, 0.025])


def test_cosine_schedule_decays_from_the_base_rate_towards_zero():
    t = Trainer(iris(optimizer={"type": "SGD", "lr": 0.1}, epochs=4, lr_schedule="cosine"))
    lrs = []
    while not t.done:
        t.train_step()
        lrs.append(t.current_lr())
    assert lrs[0] == pytest.approx(0.1)
    for step, lr in enumerate(lrs):
        assert lr == pytest.approx(0.1 * 0.5 * (1 + math.cos(math.pi * step / 16)))
    assert all(b < a for a, b in zip(lrs, lrs[1:]))
    assert lrs[-1] < 0.002


def test_cosine_spans_the_epochs_actually_run():
    a = iris(optimizer={"type": "SGD", "lr": 0.1}, epochs=100, lr_schedule="cosine")
    records = list(train(a, epochs=4))
    assert records[-1].lr < 0.002  # not 0.1 * 0.99..., as if 100 epochs were coming


def test_warmup_ramps_the_rate_up_linearly_then_holds():
    t = Trainer(iris(optimizer={"type": "SGD", "lr": 0.1}, epochs=4, warmup_epochs=2))
    lrs = []
    while not t.done:
        t.train_step()
        lrs.append(t.current_lr())
    assert lrs[0] == pytest.approx(0.001)  # near 0, never exactly 0
    assert lrs[1:8] == pytest.approx([0.1 * s / 8 for s in range(1, 8)])
    assert lrs[8:] == pytest.approx([0.1] * 8)


def test_warmup_then_cosine():
    s = {"epochs": 10, "warmup_epochs": 2, "lr_schedule": "cosine", "step_size": 10, "gamma": 0.5}
    assert lr_factor(s, 1.0) == pytest.approx(0.5)
    assert lr_factor(s, 2.0) == pytest.approx(1.0)
    assert lr_factor(s, 6.0) == pytest.approx(0.5)
    assert lr_factor(s, 10.0) == pytest.approx(0.0)


# ---------------------------------------------------------------- per-token tasks
def test_token_tasks_report_per_token_accuracy():
    a = analyze({"dataset": {"name": "reverse", "n_samples": 400, "seq_len": 6, "vocab_size": 5},
                 "layers": [{"type": "Embedding", "embedding_dim": 8}, {"type": "LSTM", "hidden_size": 8}, {"type": "Linear", "out_features": 5}],
                 "optimizer": {"type": "Adam", "lr": 0.01}, "training": {"epochs": 2}})
    assert a.ok
    t = Trainer(a)
    while not t.done:
        _, record = t.train_step()
    x, y = a.dataset.x_test, a.dataset.y_test
    t.model.eval()
    with torch.no_grad():
        pred = t.model(x).argmax(-1)
    per_token = (pred == y).float().mean().item()
    per_sequence = (pred == y).all(dim=1).float().mean().item()
    assert record.test_accuracy == pytest.approx(per_token)
    assert per_token > per_sequence  # the measure really is per token, not per whole sequence
    assert "test_accuracy" in record.as_json()


def test_regression_has_no_accuracy():
    a = analyze({"dataset": {"name": "sine", "n_samples": 100}, "layers": [{"type": "Linear", "out_features": 8}, {"type": "Tanh"},
                                                                           {"type": "Linear", "out_features": 1}], "training": {"epochs": 1}})
    [record] = train(a)
    assert record.test_accuracy is None and record.train_accuracy is None
    assert "test_accuracy" not in record.as_json()


# ---------------------------------------------------------------- the live job
def test_start_pause_resume_stop(jobs):
    job = jobs(iris(epochs=1000))
    assert job.snapshot().status == "idle" and job.snapshot().step == 0
    job.start()
    assert job.snapshot().status == "running" and job.running
    assert wait_until(lambda: job.snapshot().step > 5)

    job.pause()
    paused = job.snapshot()
    assert paused.status == "paused" and not paused.running and paused.active
    time.sleep(0.3)
    assert job.snapshot().step == paused.step  # a paused job does not advance

    job.resume()
    assert job.snapshot().status == "running"
    assert wait_until(lambda: job.snapshot().step > paused.step + 5)

    job.stop()
    s = job.snapshot()
    assert s.status == "stopped" and not s.active
    assert re.fullmatch(r"Stopped by you after \d+ epoch\(s\)\.", s.message)
    assert not job._thread.is_alive()
    time.sleep(0.1)
    assert job.snapshot().step == s.step


def test_step_once_advances_exactly_one_step(jobs):
    job = jobs(iris(epochs=1000))
    job.step_once()  # from idle: starts the worker paused, trains one batch
    assert wait_until(lambda: job.snapshot().step == 1)
    time.sleep(0.2)
    s = job.snapshot()
    assert (s.status, s.step, len(s.step_losses)) == ("paused", 1, 1)
    for expected in (2, 3):
        job.step_once()
        assert wait_until(lambda: job.snapshot().step == expected)
    time.sleep(0.2)
    assert job.snapshot().step == 3
    # Start after stepping: the job runs on, and says so
    job.start()
    assert job.snapshot().status == "running"
    assert wait_until(lambda: job.snapshot().step > 10)
    job.pause()
    assert job.snapshot().status == "paused"


def test_step_once_is_ignored_while_running(jobs):
    job = jobs(iris(epochs=1000))
    job.start()
    job.step_once()
    assert job.snapshot().status == "running"


def test_set_lr_while_running_is_recorded_and_applied(jobs):
    job = jobs(iris(epochs=1000, optimizer={"type": "SGD", "lr": 0.01}))
    job.start()
    assert wait_until(lambda: job.snapshot().step > 3)
    job.set_lr(0.2)
    s = job.snapshot()
    [(step, lr)] = s.lr_changes
    assert lr == 0.2 and isinstance(step, int) and step >= 3
    assert wait_until(lambda: job.snapshot().step > step + 3)
    assert job.trainer.optimizer.param_groups[0]["lr"] == pytest.approx(0.2)
    assert job.snapshot().lr == pytest.approx(0.2)


def test_epoch_budget_finishes_with_a_message(jobs):
    job = jobs(iris(epochs=3))
    ends = []
    job.add_callback("on_end", lambda j: ends.append(j.snapshot().status))
    job.start()
    assert wait_until(lambda: job.snapshot().status == "finished")
    s = job.snapshot()
    assert s.epoch == 3 and len(s.epochs) == 3 and s.progress == 1.0
    assert re.fullmatch(r"Finished 3 epochs in \d+\.\d s: test loss \d\.\d{4}, test accuracy \d+\.\d%\.", s.message), s.message
    assert wait_until(lambda: ends == ["finished"])


def test_wall_time_budget_stops_the_job():
    doc = {"dataset": {"name": "digits"}, "layers": [{"type": "Flatten"}, {"type": "Linear", "out_features": 64}, {"type": "ReLU"},
                                                     {"type": "Linear", "out_features": 10}],
           "training": {"epochs": 1000, "batch_size": 16, "max_seconds": 1}}
    job = TrainingJob(analyze(doc))
    started = time.monotonic()
    try:
        job.start()
        assert wait_until(lambda: job.snapshot().status == "finished", timeout=20)
    finally:
        job.stop()
    s = job.snapshot()
    assert time.monotonic() - started < 15
    assert 1.0 <= s.elapsed < 3.0
    assert s.epoch < 1000
    assert s.message == (f"Stopped at the time budget of 1 s after {s.epoch} epochs — "
                         "raise max_seconds in Training settings to train longer.")


def test_the_process_wide_job_cap(monkeypatch, jobs):  # jobs stop before the patch is undone
    monkeypatch.setattr(training, "MAX_CONCURRENT_JOBS", 2)
    monkeypatch.setattr(training, "_SLOTS", threading.BoundedSemaphore(2))
    a, b, c = jobs(iris(epochs=1000)), jobs(iris(epochs=1000)), jobs(iris(epochs=1000))
    a.start()
    b.step_once()  # a paused job holds its slot too
    with pytest.raises(JobLimitReached) as err:
        c.start()
    assert str(err.value) == "The server is already training 2 models, its limit — wait for one to finish, then press Start again."
    assert c.snapshot().status == "idle"
    a.stop()  # frees a slot
    c.start()
    assert c.snapshot().status == "running"
    b.stop()
    c.stop()


def test_on_epoch_end_fires_once_per_epoch(jobs):
    job = jobs(iris(epochs=4))
    seen = []
    job.add_callback("on_epoch_end", lambda j, record: seen.append((j is job, record.epoch)))
    job.start()
    assert wait_until(lambda: len(seen) == 4)
    assert seen == [(True, 1), (True, 2), (True, 3), (True, 4)]


def test_stop_before_start():
    job = TrainingJob(iris())
    job.stop()
    assert job.snapshot().status == "stopped" and job._thread is None


def test_predict_and_model_copy_between_steps(jobs):
    job = jobs(iris(epochs=1000))
    job.start()
    assert wait_until(lambda: job.snapshot().step > 2)
    x = torch.randn(5, 4)
    assert job.predict(x).shape == (5, 3)
    frozen = job.model_copy()
    assert not frozen.training
    before = frozen(x).detach()
    time.sleep(0.1)
    assert torch.equal(frozen(x), before)  # a copy: training goes on without changing it
