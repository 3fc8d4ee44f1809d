"""Lesson 3, gradient descent and back-propagation: the hand-written chain rule equals autograd, the update subtracts
the gradient, the optimizer paths are torch.optim's and diverge exactly where the theory says, the controls work,
and the "try it" models show the learning-rate point (counted in epochs and steps)."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from torch import nn

from apptest import app, no_exception
from playground import i18n
from playground.analysis import analyze
from playground.lessons import backprop
from playground.training import Trainer, train
from playground.ui.learn.backprop import RUN

PAGE = "pages/learn_backprop.py"
SAMPLES = [(0, (1.0, -0.5), 0.8), (3, (-1.7, 0.4), -1.2), (42, (0.0, 2.0), 0.0), (7, (1.9, 1.9), 2.0)]


@pytest.mark.parametrize("seed, x, y", SAMPLES)
def test_the_forward_pass_is_the_formula(seed, x, y):
    p = backprop.step_through(backprop.initial_weights(seed), x, y)
    w = p.w
    z1 = w.W1 @ np.array(x) + w.b1
    assert np.allclose(p.z1, z1, atol=1e-6) and np.allclose(p.a1, np.tanh(z1), atol=1e-6)
    y_hat = (w.W2 @ np.tanh(z1) + w.b2).item()
    assert p.y_hat == pytest.approx(y_hat, abs=1e-6) and p.loss == pytest.approx((y_hat - y) ** 2, abs=1e-5)


@pytest.mark.parametrize("seed, x, y", SAMPLES)
def test_the_chain_rule_gives_autograds_gradients(seed, x, y):
    """Against a separate float64 autograd run on a fresh network with the same weights, and the page's own autograd."""
    p = backprop.step_through(backprop.initial_weights(seed), x, y)
    net = backprop.network(p.w).double()
    nn.MSELoss()(net(torch.tensor(x, dtype=torch.float64)), torch.tensor([y], dtype=torch.float64)).backward()
    for (name, mine), (_, auto), param in zip(p.grads.items(), p.autograd.items(), net.parameters()):
        assert mine.shape == tuple(param.shape), name
        assert np.allclose(mine, param.grad.numpy(), atol=1e-5), name
        assert np.allclose(mine, auto, atol=1e-6), name
    table = backprop.gradient_table(p)
    assert [row[0] for row in table] == ["W⁽¹⁾₁₁", "W⁽¹⁾₁₂", "W⁽¹⁾₂₁", "W⁽¹⁾₂₂", "b⁽¹⁾₁", "b⁽¹⁾₂", "W⁽²⁾₁₁", "W⁽²⁾₁₂", "b⁽²⁾"]
    assert all(abs(mine - auto) < 1e-6 for _, mine, auto in table)


def test_the_initial_weights_are_pytorchs_and_leave_the_global_generator_alone():
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    w = backprop.initial_weights(5)
    assert torch.rand(1) == expected_next
    torch.manual_seed(5)
    net = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))
    assert all(np.array_equal(value, p.detach().numpy()) for (_, value), p in zip(w.items(), net.parameters()))


def test_a_step_subtracts_the_gradient_as_torch_optim_sgd_does():
    p = backprop.step_through(backprop.initial_weights(0), (1.0, -0.5), 0.8)
    net = backprop.network(p.w)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    nn.MSELoss()(net(torch.tensor([1.0, -0.5])), torch.tensor([0.8])).backward()
    opt.step()
    mine = backprop.update(p.w, p.grads, 0.1)
    assert all(np.allclose(value, q.detach().numpy(), atol=1e-7) for (_, value), q in zip(mine.items(), net.parameters()))
    x, y = (1.0, -0.5), 0.8
    assert backprop.loss_at(mine, x, y) < p.loss < backprop.loss_at(backprop.update(p.w, p.grads, -0.1), x, y)


def test_gradient_descent_drives_the_loss_down_and_a_huge_step_does_not():
    passes = backprop.descend(0, (1.0, -0.5), 0.8, 0.1, 20)
    losses = [q.loss for q in passes]
    assert len(passes) == 21 and all(b < a for a, b in zip(losses, losses[1:8])) and losses[-1] < 1e-3 * losses[0]
    assert backprop.descend(0, (1.0, -0.5), 0.8, 1.0, 1)[-1].loss > losses[0]  # η = 1 overshoots on this sample
    blown = backprop.descend(0, (1.0, -0.5), 0.8, 1.0, 100)  # ... and keeps overshooting until the loss blows up
    assert blown[-1].diverged and not any(q.diverged for q in blown[:-1]) and len(blown) == 8
    assert len(backprop.descend(0, (1.0, -0.5), 0.8, 0.1, 10_000)) == backprop.MAX_STEPS + 1


# ---------------------------------------------------------------- optimizers on a surface
@pytest.mark.parametrize("key", list(backprop.SURFACES))
def test_each_surfaces_gradient_is_autograds(key):
    surface = backprop.SURFACES[key]
    for point in [surface.start, surface.minimum, (0.3, -0.7), (1.7, 2.4)]:
        w = torch.tensor(point, requires_grad=True)
        (auto,) = torch.autograd.grad(surface.loss(w), w)
        assert torch.allclose(surface.grad(torch.tensor(point)), auto, atol=1e-5), point


def test_the_paths_are_torch_optims_steps():
    bowl = backprop.SURFACES["bowl"]
    sgd = backprop.optimizer_path(bowl, "SGD", 0.05, 3)
    w0 = np.array(bowl.start)
    grad = np.array([w0[0], 20 * w0[1]])  # ∇ of ½(w₁² + 20 w₂²)
    assert np.allclose(sgd.w[0], w0) and np.allclose(sgd.w[1], w0 - 0.05 * grad, atol=1e-6)
    assert sgd.loss[0] == pytest.approx(0.5 * (w0[0] ** 2 + 20 * w0[1] ** 2))
    adam = backprop.optimizer_path(bowl, "Adam", 0.05, 1)
    assert np.allclose(np.abs(adam.w[1] - adam.w[0]), 0.05, atol=1e-4)  # Adam's first step is η in every coordinate
    # the same run written plainly: loss.backward() and torch.optim.Adam
    valley = backprop.SURFACES["rosenbrock"]
    w = nn.Parameter(torch.tensor(valley.start))
    opt = torch.optim.Adam([w], lr=0.02)
    for _ in range(50):
        opt.zero_grad()
        valley.loss(w).backward()
        opt.step()
    assert np.allclose(backprop.optimizer_path(valley, "Adam", 0.02, 50).w[-1], w.detach().numpy(), atol=1e-5)


@pytest.mark.parametrize("lr", [0.05, 0.15, 0.3])
def test_a_shorter_run_is_a_prefix_of_a_longer_one(lr):
    """The page runs each optimizer once for the most steps and shows a prefix: it must equal the shorter run."""
    bowl = backprop.SURFACES["bowl"]
    for name in backprop.OPTIMIZERS:
        full = backprop.optimizer_path(bowl, name, lr, backprop.MAX_PATH_STEPS)
        for steps in (10, 100):
            short, prefix = backprop.optimizer_path(bowl, name, lr, steps), full.first(steps)
            assert np.array_equal(short.w, prefix.w) and np.array_equal(short.loss, prefix.loss)
            assert short.diverged_at == prefix.diverged_at


def test_the_curvature_and_the_stability_limits():
    assert backprop.curvature(backprop.SURFACES["bowl"]) == pytest.approx(20.0)
    # the Rosenbrock-like valley at its start (−1.5, 2): Hessian [[2 − 40y + 120x², −40x], [−40x, 20]]
    x, y = backprop.SURFACES["rosenbrock"].start
    h = np.array([[2 - 40 * y + 120 * x * x, -40 * x], [-40 * x, 20]])
    assert backprop.curvature(backprop.SURFACES["rosenbrock"]) == pytest.approx(np.linalg.eigvalsh(h).max(), rel=1e-5)
    assert backprop.stability_limits(20.0) == (pytest.approx(0.1), pytest.approx(0.19))


@pytest.mark.parametrize("name, stable, unstable", [("SGD", 0.09, 0.11), ("momentum", 0.15, 0.2)])
def test_on_the_bowl_divergence_starts_at_the_stated_limit(name, stable, unstable):
    bowl = backprop.SURFACES["bowl"]
    assert backprop.optimizer_path(bowl, name, stable, 300).diverged_at is None
    assert backprop.optimizer_path(bowl, name, stable, 300).loss[-1] < 1e-3
    assert backprop.optimizer_path(bowl, name, unstable, 300).diverged_at is not None


def test_what_the_text_says_about_each_surface():
    bowl, valley = backprop.SURFACES["bowl"], backprop.SURFACES["rosenbrock"]
    for name in backprop.OPTIMIZERS:
        path = backprop.optimizer_path(bowl, name, bowl.lr, 100)
        assert path.diverged_at is None and path.loss[-1] < 1.0, name
    assert backprop.optimizer_path(bowl, "Adam", 1.0, 300).diverged_at is None
    zigzag = backprop.optimizer_path(bowl, "SGD", 0.09, 10).w[:, 1]  # above η = 1/λ = 0.05 the narrow coordinate flips sign
    assert all(a * b < 0 for a, b in zip(zigzag, zigzag[1:]))
    assert all(a * b > 0 for a, b in zip(*(2 * [backprop.optimizer_path(bowl, "SGD", 0.04, 10).w[:, 1]])))
    # the curved valley at η = 0.01, 100 steps: SGD creeps, momentum arrives, Adam is slow; at 0.05 SGD and momentum fly off
    at_001 = {name: backprop.optimizer_path(valley, name, 0.01, 100) for name in backprop.OPTIMIZERS}
    assert at_001["SGD"].loss[-1] > 1 and at_001["momentum"].loss[-1] < 0.01 and at_001["Adam"].loss[-1] > 1
    assert all(p.diverged_at is None for p in at_001.values())
    at_005 = {name: backprop.optimizer_path(valley, name, 0.05, 100) for name in backprop.OPTIMIZERS}
    assert at_005["SGD"].diverged_at <= 5 and at_005["momentum"].diverged_at <= 5 and at_005["Adam"].diverged_at is None
    assert valley.lr == 0.01 and bowl.lr == 0.05 and {valley.lr, bowl.lr} <= set(backprop.LEARNING_RATES)
    assert backprop.curvature(valley, valley.minimum) == pytest.approx((102 + math.sqrt(62 ** 2 + 4 * 1600)) / 2, rel=1e-5)


def test_the_landscape_is_the_surface():
    s = backprop.SURFACES["rosenbrock"]
    land = backprop.landscape(s, resolution=11)
    w1, w2 = np.meshgrid(land.w1, land.w2)
    assert np.allclose(land.loss, (1 - w1) ** 2 + 10 * (w2 - w1 ** 2) ** 2, rtol=1e-5)


def test_the_epoch_arithmetic_is_the_trainers():
    assert backprop.epoch_arithmetic() == (400, 32, 13)
    assert math.ceil(400 / 32) == 13


# ---------------------------------------------------------------- the page
def _run(at) -> list:
    """The passes the page has taken so far in this session."""
    return at.session_state[RUN]


def test_the_step_buttons_take_gradient_descent_steps_and_the_loss_falls():
    at = app()
    at.switch_page(PAGE).run()
    no_exception(at)
    assert len(_run(at)) == 1
    at.button(key="l3-step").click().run()
    at.button(key="l3-ten").click().run()
    no_exception(at)
    run = _run(at)
    assert len(run) == 12 and run[-1].loss < run[0].loss / 100
    assert np.allclose(run[1].w.W1, backprop.update(run[0].w, run[0].grads, 0.1).W1)
    history = at.get("plotly_chart")[1].proto.spec
    assert '"x":[0,1,2,3,4,5,6,7,8,9,10,11]' in history.replace(" ", "")
    at.slider(key="l3-lr").set_value(0.5).run()
    at.button(key="l3-step").click().run()
    assert len(_run(at)) == 13
    at.button(key="l3-reset").click().run()
    assert len(_run(at)) == 1
    at.button(key="l3-ten").click().run()
    at.slider(key="l3-x1").set_value(-1.0).run()  # a new sample starts again
    no_exception(at)
    assert len(_run(at)) == 1 and _run(at)[0].x[0] == -1.0
    before = _run(at)[0].w.W1
    at.number_input(key="l3-seed").set_value(9).run()
    assert not np.array_equal(_run(at)[0].w.W1, before)


def test_a_learning_rate_too_large_blows_the_loss_up_and_the_page_says_so():
    at = app()
    at.switch_page(PAGE).run()
    at.slider(key="l3-lr").set_value(1.0).run()
    at.button(key="l3-ten").click().run()
    no_exception(at)
    run = _run(at)
    assert len(run) == 8 and run[-1].diverged and at.warning
    assert at.button(key="l3-step").disabled and at.button(key="l3-ten").disabled
    at.button(key="l3-reset").click().run()
    assert len(_run(at)) == 1 and not at.warning and not at.button(key="l3-step").disabled


def test_the_optimizer_controls_redraw_and_show_divergence():
    at = app()
    at.switch_page(PAGE).run()
    paths = lambda: at.get("plotly_chart")[2].proto.spec  # noqa: E731
    before = paths()
    at.select_slider(key="l3-opt-lr").set_value(0.15).run()
    no_exception(at)
    assert paths() != before and "diverged at step" in paths()
    at.slider(key="l3-opt-steps").set_value(30).run()
    at.selectbox(key="l3-surface").set_value("rosenbrock").run()
    no_exception(at)
    assert at.select_slider(key="l3-opt-lr").value == backprop.SURFACES["rosenbrock"].lr  # a new surface, its own η
    assert "diverged" not in paths()
    assert any("10" in tex.value and "w_1^2" in tex.value for tex in at.latex)


def test_the_chinese_page_names_the_divergence_in_chinese():
    at = app(lang="zh")
    at.switch_page(PAGE).run()
    with i18n.using("zh"):  # AppTest formats the options (format_func) in the test's thread, not the session's
        at.select_slider(key="l3-opt-lr").set_value(0.3).run()
    no_exception(at)
    names = [trace.get("name", "") for trace in json.loads(at.get("plotly_chart")[2].proto.spec)["data"]]
    assert "SGD（第 4 步发散）" in names and "Adam" in names


def test_lesson_specs_are_named_in_the_session_language():
    with i18n.using("zh"):
        assert backprop.spiral_sgd("large").name == "螺旋数据集 + SGD，学习率 10（太大）"


# ---------------------------------------------------------------- the models the lesson links to
@pytest.mark.slow
def test_on_the_spiral_a_good_learning_rate_learns_and_a_small_one_crawls():
    good = [r.test_accuracy for r in train(analyze(backprop.spiral_sgd("good")))]
    small = list(train(analyze(backprop.spiral_sgd("small"))))
    assert next(i + 1 for i, a in enumerate(good) if a >= 0.9) in range(30, 35)
    assert small[0].train_loss == pytest.approx(0.69, abs=0.01) and small[-1].train_loss == pytest.approx(0.63, abs=0.01)
    assert small[-1].test_accuracy == pytest.approx(0.6, abs=0.03)


@pytest.mark.slow
def test_on_the_spiral_a_too_large_learning_rate_blows_the_loss_up():
    trainer = Trainer(analyze(backprop.spiral_sgd("large")))
    first = [trainer.train_step()[0] for _ in range(3)]
    assert first[0] == pytest.approx(0.71, abs=0.01) and first[2] > 300
    assert list(train(analyze(backprop.spiral_sgd("large"))))[-1].test_accuracy < 0.6
