"""Lesson 2, losses: every curve and gradient is the torch.nn loss module differentiated by autograd, the formulas shown
are those gradients, the controls redraw the page, and the "try it" models train as the lesson says (counted in epochs)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from apptest import app, no_exception
from playground import i18n
from playground.analysis import analyze
from playground.lessons import losses
from playground.spec import from_data
from playground.training import train

PAGE = "pages/learn_losses.py"

# The formulas REGRESSION_FORMULAS shows (loss, gradient), written as code: PyTorch's modules and autograd are the oracle.
REGRESSION_AS_CODE = {
    "MSELoss": (lambda e, d: e ** 2, lambda e, d: 2 * e),
    "L1Loss": (lambda e, d: e.abs(), lambda e, d: torch.sign(e)),
    "HuberLoss": (lambda e, d: torch.where(e.abs() <= d, 0.5 * e ** 2, d * (e.abs() - 0.5 * d)),
                  lambda e, d: torch.where(e.abs() <= d, e, d * torch.sign(e))),
}


@pytest.mark.parametrize("name", losses.REGRESSION)
@pytest.mark.parametrize("target, delta", [(0.0, 1.0), (1.3, 0.5), (-2.0, 2.5)])
def test_regression_curves_are_the_modules_and_the_formulas(name, target, delta):
    c = losses.regression_curve(name, target, delta)
    x = torch.from_numpy(c.x)
    error = x - target
    away_from_kinks = (error.abs() > 1e-3) & ((error.abs() - delta).abs() > 1e-3)
    loss, grad = REGRESSION_AS_CODE[name]
    assert torch.allclose(torch.from_numpy(c.loss), loss(error, delta), atol=1e-5)
    assert torch.allclose(torch.from_numpy(c.grad)[away_from_kinks], grad(error, delta)[away_from_kinks], atol=1e-5)


def test_a_point_is_what_training_computes():
    """One prediction through the module as the Trainer calls it (reduction 'mean')."""
    assert losses.regression_point("MSELoss", 2.5, 0.0) == (pytest.approx(6.25), pytest.approx(5.0))
    assert losses.regression_point("L1Loss", -1.0, 0.5) == (pytest.approx(1.5), pytest.approx(-1.0))
    assert losses.regression_point("HuberLoss", 2.5, 0.0, 1.0) == (pytest.approx(2.0), pytest.approx(1.0))
    assert losses.regression_point("HuberLoss", 0.4, 0.0, 1.0) == (pytest.approx(0.08), pytest.approx(0.4))


@pytest.mark.parametrize("y", [0.0, 1.0])
def test_binary_cross_entropy_and_mse_on_the_sigmoid(y):
    bce, mse = losses.binary_curves(y)
    z = torch.from_numpy(bce.x)
    p = torch.sigmoid(z)
    assert torch.allclose(torch.from_numpy(bce.loss), F.binary_cross_entropy(p, torch.full_like(p, y), reduction="none"), atol=1e-4)
    assert torch.allclose(torch.from_numpy(bce.grad), p - y, atol=1e-6)  # BINARY_GRADS: p − y
    assert torch.allclose(torch.from_numpy(mse.loss), (p - y) ** 2, atol=1e-6)
    assert torch.allclose(torch.from_numpy(mse.grad), 2 * (p - y) * p * (1 - p), atol=1e-6)  # BINARY_GRADS


@pytest.mark.parametrize("logits, true", [(losses.DEFAULT_LOGITS, 2), ((4.0, 0.0, -2.0), 0), ((0.5, -1.0, 3.0), 1), ((0.0, 0.0, 0.0), 0)])
def test_softmax_cross_entropy_gradient_is_p_minus_y(logits, true):
    case = losses.softmax_case(list(logits), true)
    z = torch.tensor(logits)
    p = torch.softmax(z, -1)
    y = F.one_hot(torch.tensor(true), 3).float()
    assert np.allclose(case.p, p) and case.p.sum() == pytest.approx(1.0)
    assert case.ce == pytest.approx(float(-torch.log(p[true])), abs=1e-5)
    assert np.allclose(case.ce_grad, p - y, atol=1e-6)
    jacobian = torch.diag(p) - torch.outer(p, p)  # ∂p_k/∂z_i = p_k(δ_ki − p_i): MSE_SOFTMAX_GRAD
    assert np.allclose(case.mse_grad, (2 / 3) * jacobian @ (p - y), atol=1e-6)
    assert case.mse == pytest.approx(float(((p - y) ** 2).mean()), abs=1e-6)


def test_at_a_confident_wrong_answer_mse_barely_pushes_and_cross_entropy_does():
    b = losses.binary_point(-6.0, 1.0)
    assert b.p == pytest.approx(0.00247, abs=1e-5)
    assert b.bce_grad == pytest.approx(-0.9975, abs=1e-4)
    assert b.mse_grad == pytest.approx(-0.00492, abs=1e-5)
    ratio = b.bce_grad / b.mse_grad
    assert ratio == pytest.approx(1 / (2 * b.p * (1 - b.p)), rel=1e-3) and ratio > 200
    soft = losses.softmax_case(list(losses.DEFAULT_LOGITS), 2)
    assert soft.ce_grad[2] == pytest.approx(-0.998, abs=1e-3) and abs(soft.mse_grad[2]) < 0.005


# ---------------------------------------------------------------- the page
def test_the_controls_redraw_the_figures():
    at = app()
    at.switch_page(PAGE).run()
    no_exception(at)
    charts = lambda: [c.proto.spec for c in at.get("plotly_chart")]  # noqa: E731
    before = charts()
    assert len(before) == 3
    at.slider(key="l2-target").set_value(1.0).run()
    at.slider(key="l2-prediction").set_value(-3.0).run()
    at.slider(key="l2-delta").set_value(0.5).run()
    no_exception(at)
    after = charts()
    assert after[0] != before[0] and after[1:] == before[1:]
    at.slider(key="l2-z0").set_value(-1.0).run()
    at.selectbox(key="l2-true").set_value(0).run()
    no_exception(at)
    assert charts()[1] != after[1]
    at.radio(key="l2-y").set_value(0).run()
    at.slider(key="l2-logit").set_value(6.0).run()
    no_exception(at)
    assert charts()[2] != after[2]
    # the numbers next to the formulas follow the controls: σ(6) for y = 0
    assert any(r"p = \sigma(6) = 0.9975" in tex.value for tex in at.latex)


def test_the_why_section_shows_the_computed_numbers_in_both_languages():
    for lang in ("en", "zh"):
        at = app(lang=lang)
        at.switch_page(PAGE).run()
        no_exception(at)
        text = " ".join(m.value for m in at.markdown)
        assert "-0.9975" in text and "-0.0049" in text and "203" in text and "-0.998" in text


def test_lesson_specs_are_named_in_the_session_language():
    with i18n.using("zh"):
        assert losses.with_cross_entropy().name == "手写数字：交叉熵（SGD）"


# ---------------------------------------------------------------- the models the lesson links to
def _epochs_to(spec, target: float = 0.9) -> tuple[int | None, float]:
    accuracies = [r.test_accuracy for r in train(analyze(spec))]
    return next((i + 1 for i, a in enumerate(accuracies) if a >= target), None), accuracies[-1]


@pytest.mark.slow
def test_with_sgd_cross_entropy_learns_fastest_and_softmax_mse_stalls():
    """The measured numbers the 'why' section states: 90 % in epoch 5 (CE), 14 (MSE), never within 30 (softmax + MSE, 55 %)."""
    ce, _ = _epochs_to(losses.with_cross_entropy())
    mse, _ = _epochs_to(losses.with_mse())
    stalled, final = _epochs_to(losses.with_softmax_mse())
    assert ce is not None and 4 <= ce <= 6
    assert mse is not None and 12 <= mse <= 16
    assert stalled is None and final == pytest.approx(0.55, abs=0.03)


@pytest.mark.slow
@pytest.mark.parametrize("make", [losses.with_cross_entropy, losses.with_mse, losses.with_softmax_mse])
def test_with_adam_all_three_losses_learn_within_two_epochs(make):
    """Adam normalises the step by the gradient's size, which hides MSE's small gradients (as the lesson says)."""
    data = make().to_dict()
    data["optimizer"] = {"type": "Adam", "lr": 0.01}
    data["training"]["epochs"] = 2
    hit, _ = _epochs_to(from_data(data))
    assert hit is not None and hit <= 2
