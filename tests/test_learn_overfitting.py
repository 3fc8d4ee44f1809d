"""Lesson 9, overfitting: its curves are the Trainer's own, early stopping (the training setting `patience`) stops
where the rule says in headless training, the live worker and the export, the weight-decay and dropout statements
hold in PyTorch, every control works, and each try-it model trains to its point (counted in epochs)."""
from __future__ import annotations

import re
import time

import numpy as np
import pytest
import torch
from torch import nn

from apptest import app, by_key, no_exception
from conftest import analyze_doc
from playground.analysis import analyze
from playground.export import export_code
from playground.lessons import overfitting as lesson
from playground.training import Pool, Trainer, TrainingJob, train

PAGE = "pages/learn_overfitting.py"


def _stop_epoch(test_losses: list[float], patience: int) -> int:
    """The rule the page states, written out: stop after epoch e once e − argmin_{e' ≤ e} L_test(e') ≥ P."""
    for e in range(1, len(test_losses) + 1):
        if e - (int(np.argmin(test_losses[:e])) + 1) >= patience:
            return e
    return len(test_losses)


# ---------------------------------------------------------------- early stopping
@pytest.fixture(scope="module")
def full_run() -> lesson.Run:
    return lesson.train_run(lesson.Setting())


@pytest.mark.parametrize("patience", [5, 20])
def test_early_stopping_ends_where_the_rule_says_and_keeps_the_last_weights(full_run, patience):
    a = analyze(lesson.spec(lesson.Setting(patience=patience)))
    records = list(train(a))
    losses = [r.test_loss for r in records]
    assert len(records) == _stop_epoch(list(full_run.test_loss), patience) < lesson.EPOCHS
    assert losses == pytest.approx(list(full_run.test_loss[:len(records)]), rel=1e-6), "the same run, cut short"
    trainer = Trainer(a)
    while not trainer.done:
        trainer.train_step()
    assert trainer.stopped_early and trainer.epoch == len(records)
    assert trainer.best_epoch == int(np.argmin(losses)) + 1 == trainer.epoch - patience
    assert trainer.evaluate(a.dataset.x_test, a.dataset.y_test)[0] == pytest.approx(losses[-1]), "the stopping epoch's weights, not the best"


def test_patience_zero_is_off():
    a = analyze_doc({"dataset": {"name": "iris"}, "layers": [{"type": "Linear", "out_features": 3}],
                     "training": {"epochs": 6, "patience": 0}})
    assert len(list(train(a))) == 6


def test_the_live_worker_stops_early_too():
    a = analyze(lesson.early_stopping_spec())
    headless = list(train(a))
    pool = Pool(workers=1, max_jobs=1)
    try:
        job = TrainingJob(a, pool=pool)
        job.start()
        end = time.monotonic() + 300  # bounds a broken run only; the test counts epochs
        while not job.ended and time.monotonic() < end:
            time.sleep(0.05)
        s = job.snapshot()
    finally:
        pool.shutdown()
    assert s.status == "finished" and s.epoch == len(headless) < lesson.TRY_EPOCHS
    assert [r.test_loss for r in s.epochs] == pytest.approx([r.test_loss for r in headless], rel=1e-6)
    best = int(np.argmin([r.test_loss for r in headless])) + 1
    assert re.fullmatch(rf"Stopped early after {len(headless)} epochs in \d+\.\d s: the test loss has not improved for 20 epochs "
                        rf"\(best \d\.\d{{4}} at epoch {best}; now \d\.\d{{4}}\)\. The model keeps the weights of epoch {len(headless)}\.",
                        str(s.message)), s.message


def test_the_export_stops_where_the_playground_stops(full_run):
    a = analyze(lesson.spec(lesson.Setting(patience=10)))
    namespace: dict = {"__name__": "exported"}
    exec(compile(export_code(a), "exported.py", "exec"), namespace)  # our own generated file, as the user runs it
    assert namespace["PATIENCE"] == 10
    stop = len(list(train(a)))
    losses = list(full_run.test_loss)
    assert [namespace["stop_early"](losses[:e]) for e in range(1, stop + 1)] == [False] * (stop - 1) + [True]
    namespace["PATIENCE"] = 0
    assert not any(namespace["stop_early"](losses[:e]) for e in range(1, len(losses) + 1))


def test_build_shows_patience_in_the_training_settings_and_writes_it_into_the_spec():
    at = app(lesson.overfit_spec())
    at.switch_page("pages/build.py").run()
    field = by_key(at.number_input, "training:patience")
    assert field.value == 0 and "Early stopping" in field.help
    field.set_value(15).run()
    no_exception(at)
    assert at.session_state["spec"].training.patience == 15


# ---------------------------------------------------------------- the lesson's numbers
def test_the_lessons_curves_are_the_trainers_and_show_the_capacity_story(full_run):
    records = list(train(analyze(lesson.spec(lesson.Setting()))))
    assert list(full_run.test_loss) == pytest.approx([r.test_loss for r in records], rel=1e-6)
    assert list(full_run.train_accuracy) == pytest.approx([r.train_accuracy for r in records])
    runs = [lesson.train_run(lesson.Setting(width=w, depth=2)) for w in (2, 4, 128)]
    sweep = lesson.capacity_sweep(2, runs)
    assert list(sweep["width"]) == [2, 4, 128]
    assert sweep["params"][-1] == sum(p.numel() for p in Trainer(analyze(lesson.spec(lesson.Setting()))).model.parameters())
    narrow, good, wide = runs
    assert narrow.train_loss[-1] > 0.3 and narrow.test_loss[-1] > 0.3, "width 2 underfits"
    assert wide.train_loss[-1] < 0.05 < good.train_loss[-1], "width 128 memorises the training set"
    assert wide.test_loss[-1] > 2 * good.test_loss[-1], "and its test loss is far worse"
    assert wide.test_loss.min() < 0.3 and wide.best_epoch < 30, "it passed a good test loss early"


def test_the_boundary_is_the_models_probability_in_eval_mode():
    a = analyze(lesson.spec(lesson.Setting(width=8, depth=1, dropout=0.5, epochs=3)))
    trainer = Trainer(a)
    while not trainer.done:
        trainer.train_step()
    b = lesson.boundary(trainer, resolution=5)
    grid = torch.tensor([[x1, x2] for x2 in b.x2 for x1 in b.x1])
    with torch.no_grad():
        expected = torch.softmax(trainer.model.eval()(grid), -1)[:, 1].reshape(5, 5).numpy()
    np.testing.assert_allclose(b.p, expected, rtol=1e-6)
    assert (b.p == lesson.boundary(trainer, resolution=5).p).all(), "dropout is off: the same every time"


def test_regularisation_shrinks_the_gap():
    plain = lesson.train_run(lesson.Setting())
    for setting in (lesson.Setting(l2=0.01), lesson.Setting(dropout=0.5)):
        run = lesson.train_run(setting)
        assert run.gap < plain.gap / 2 and run.test_loss[-1] < plain.test_loss[-1] / 2


# ---------------------------------------------------------------- weight decay and dropout, against PyTorch
def _steps(l2: float, optimizer: dict, steps: int = 20) -> list[torch.Tensor]:
    """Weights after `steps` batches of a bias-free MLP (so weight_decay and l2 see the same parameters)."""
    a = analyze_doc({"dataset": {"name": "moons", "n_samples": 100}, "optimizer": optimizer,
                     "layers": [{"type": "Linear", "out_features": 8, "bias": False}, {"type": "Tanh"},
                                {"type": "Linear", "out_features": 2, "bias": False}],
                     "training": {"batch_size": 16, "l2": l2}})
    trainer = Trainer(a)
    for _ in range(steps):
        trainer.train_step()
    return [p.detach().clone() for p in trainer.model.parameters()]


@pytest.mark.parametrize("opt", ["SGD", "Adam"])
def test_weight_decay_is_the_l2_penalty_with_lambda_half_delta_for_sgd_and_adam(opt):
    lr = 0.1 if opt == "SGD" else 0.01
    penalty = _steps(0.005, {"type": opt, "lr": lr})
    decay = _steps(0.0, {"type": opt, "lr": lr, "weight_decay": 0.01})
    for p, q in zip(penalty, decay):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-6)


def test_adamw_decays_outside_the_adaptive_step():
    coupled = _steps(0.0, {"type": "Adam", "lr": 0.01, "weight_decay": 0.1})
    decoupled = _steps(0.0, {"type": "AdamW", "lr": 0.01, "weight_decay": 0.1})
    assert max(float((p - q).abs().max()) for p, q in zip(coupled, decoupled)) > 1e-3, "AdamW is not Adam's weight_decay"
    # One AdamW step as the page writes it: w ← w − ηδw − η m̂/(√v̂ + ε)
    w = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
    g = torch.tensor([0.3, 0.1, -0.2])
    opt = torch.optim.AdamW([w], lr=0.01, weight_decay=0.1)
    w.grad = g.clone()
    before = w.detach().clone()
    opt.step()
    m_hat, v_hat = g, g * g  # after one step the bias corrections make m̂ = g and v̂ = g²
    torch.testing.assert_close(w.detach(), before - 0.01 * 0.1 * before - 0.01 * m_hat / (v_hat.sqrt() + 1e-8))


def test_dropout_is_inverted_in_training_and_off_in_eval():
    p, h = 0.3, torch.rand(10_000) + 0.5
    drop = nn.Dropout(p)
    out = drop.train()(h)
    kept = out != 0
    torch.testing.assert_close(out[kept], h[kept] / (1 - p))
    assert abs(float(kept.float().mean()) - (1 - p)) < 0.02
    assert torch.equal(drop.eval()(h), h)


# ---------------------------------------------------------------- the page
def test_the_controls_retrain_and_redraw_their_own_section():
    at = app()
    at.switch_page(PAGE).run()
    no_exception(at)
    assert len(at.get("plotly_chart")) == 5 and at.latex

    def text() -> str:
        return " ".join(m.value for m in at.markdown)

    by_key(at.select_slider, "l9-width").set_value(4).run()
    no_exception(at)
    assert "**42 parameters.**" in text(), "width 4 at depth 2: 2·4+4 + 4·4+4 + 4·2+2 = 42"
    by_key(at.radio, "l9-depth").set_value(3).run()
    assert "**62 parameters.**" in text()
    by_key(at.select_slider, "l9-dropout").set_value(0.5).run()
    no_exception(at)
    run = lesson.train_run(lesson.Setting(l2=0.01, dropout=0.5))
    assert f"test loss {run.test_loss[-1]:.3f}" in text()
    by_key(at.select_slider, "l9-patience").set_value(5).run()
    no_exception(at)
    stop = _stop_epoch(list(lesson.train_run(lesson.Setting()).test_loss), 5)
    assert f"training stops after epoch **{stop}**" in text()


def test_the_chinese_page_speaks_chinese():
    at = app(lang="zh")
    at.switch_page(PAGE).run()
    no_exception(at)
    assert at.subheader[0].value.startswith("容量")
    assert any("耐心值为 20 时" in m.value for m in at.markdown)


# ---------------------------------------------------------------- try it
def test_each_try_it_model_trains_to_the_lessons_point():
    overfit = list(train(analyze(lesson.overfit_spec())))
    assert len(overfit) == lesson.TRY_EPOCHS
    best = min(r.test_loss for r in overfit)
    assert overfit[-1].train_loss < 0.01 and overfit[-1].test_loss > 3 * best, "it memorises, and the test loss rises"
    regular = list(train(analyze(lesson.regularised_spec())))
    assert regular[-1].test_loss < overfit[-1].test_loss / 3 and regular[-1].test_accuracy > overfit[-1].test_accuracy
    early = list(train(analyze(lesson.early_stopping_spec())))
    assert len(early) < 60 and early[-1].test_loss < overfit[-1].test_loss / 3


@pytest.mark.browser
def test_the_lesson_draws_its_curves_and_boundaries_in_chromium(page, app_url):
    from playwright.sync_api import expect

    from conftest import wait_idle

    page.set_viewport_size({"width": 1280, "height": 5200})
    page.goto(f"{app_url}/learn_overfitting")
    wait_idle(page, 240_000)  # the first visit on a server trains the lesson's models
    expect(page.locator(".katex").first).to_be_visible()
    charts = page.locator("[data-testid='stPlotlyChart']")
    expect(charts).to_have_count(5, timeout=30_000)
    for i in range(5):
        expect(charts.nth(i).locator(".main-svg").first).to_be_attached(timeout=30_000)
    expect(page.get_by_text("Final losses as capacity grows")).to_be_visible()
    expect(page.get_by_text("stopped: epoch", exact=False)).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
