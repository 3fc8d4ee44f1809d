"""Training: the synchronous Trainer, headless `train()`, per-run random generators, and whether a run learned."""
from __future__ import annotations

import dataclasses
import json
import math

import pytest
import torch

from conftest import EXAMPLES
from conftest import analyze_doc as analyze
from playground.i18n import using
from playground.optimizers import lr_factor
from playground.training import Diverged, EpochRecord, Trainer, chance_loss, train, verdict

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


# ---------------------------------------------------------------- reproducibility
def test_same_spec_and_seed_give_the_same_curve():
    a = iris([{"type": "Linear", "out_features": 16}, {"type": "ReLU"}, {"type": "Dropout", "p": 0.5},
              {"type": "Linear", "out_features": 3}], seed=7)
    first, second = curve(train(a)), curve(train(a))
    assert len(first) == 3
    assert first == second


def test_a_different_seed_gives_a_different_curve():
    assert curve(train(iris(seed=1))) != curve(train(iris(seed=2)))


def test_interleaved_runs_keep_their_own_dropout_draws():
    """Two runs stepping in turn in one process (as on a worker) give the curves each gives alone."""
    a, b = (iris([{"type": "Linear", "out_features": 16}, {"type": "ReLU"}, {"type": "Dropout", "p": 0.5},
                  {"type": "Linear", "out_features": 3}], seed=seed) for seed in (3, 4))
    ta, tb = Trainer(a), Trainer(b)
    records = {id(ta): [], id(tb): []}
    while not (ta.done and tb.done):
        for t in (ta, tb):
            if not t.done and (record := t.train_step()[1]) is not None:
                records[id(t)].append(record)
        torch.manual_seed(99)  # anything else drawing from the global generator in between changes nothing
    assert curve(records[id(ta)]) == curve(train(a))
    assert curve(records[id(tb)]) == curve(train(b))


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


def test_the_divergence_message_is_in_the_readers_language():
    with pytest.raises(Diverged) as err:
        list(train(_exploding()))
    with using("zh"):
        assert "学习率 10 太大了" in str(err.value)
    assert "the learning rate 10 is too high" in str(err.value)


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


# ---------------------------------------------------------------- did the run learn?
def _spiral(optimizer, epochs=20, n_samples=400):
    doc = json.loads((EXAMPLES / "mlp_spiral.json").read_text())
    doc["dataset"]["n_samples"] = n_samples
    doc["optimizer"], doc["training"]["epochs"] = optimizer, epochs
    return analyze(doc)


def _finish(a):
    t = Trainer(a)
    records = [r for _ in range(t.epochs * t.steps_per_epoch) if (r := t.train_step()[1]) is not None]
    return t, records


def test_chance_is_the_loss_of_answering_with_the_class_frequencies():
    t = Trainer(iris())
    counts = torch.bincount(t.data.y_train, minlength=3).float()
    p = counts / counts.sum()
    expected = float(torch.nn.functional.cross_entropy(p.log().expand(len(t.data.y_test), 3), t.data.y_test))
    assert chance_loss(t) == pytest.approx(expected)


def test_chance_for_regression_is_the_loss_of_answering_with_the_mean():
    a = analyze({"dataset": {"name": "sine", "n_samples": 100}, "layers": [{"type": "Linear", "out_features": 1}], "training": {"epochs": 1}})
    t = Trainer(a)
    expected = float(((t.data.y_test - t.data.y_train.mean()) ** 2).mean())
    assert chance_loss(t) == pytest.approx(expected)


@pytest.mark.parametrize("optimizer", [{"type": "SGD", "lr": 10}, {"type": "Adam", "lr": 10}])
def test_a_run_that_ends_above_chance_with_a_huge_rate_says_the_rate_is_too_high(optimizer):
    t, records = _finish(_spiral(optimizer))
    assert records[-1].test_loss > chance_loss(t)  # it "finishes", but worse than knowing nothing
    warning = verdict(t, records)
    assert warning is not None and warning.key == "train.verdict.too_high"
    assert "learning rate 10 is probably too high" in str(warning) and "(try 1)" in str(warning)
    with using("zh"):
        assert "学习率 10 可能太大了" in str(warning)


def test_a_run_that_barely_moves_says_the_rate_may_be_too_low():
    t, records = _finish(_spiral({"type": "SGD", "lr": 1e-5}, epochs=2, n_samples=1000))
    warning = verdict(t, records)
    assert warning is not None and warning.key == "train.verdict.too_low"
    assert "learning rate 1e-05 may be too low" in str(warning)


def test_a_run_that_learns_gets_no_warning():
    t, records = _finish(iris(epochs=30))
    assert records[-1].test_accuracy >= 0.85
    assert verdict(t, records) is None


def test_a_loss_that_rises_epoch_after_epoch_is_reported_even_below_chance():
    t = Trainer(iris())
    records = [EpochRecord(epoch, 0.0, loss, 0.1, None, None, 0.01, {}, 0.0) for epoch, loss in enumerate([0.5, 0.2, 0.25, 0.3, 0.35], 1)]
    warning = verdict(t, records)
    assert warning is not None and warning.key == "train.verdict.rising"
