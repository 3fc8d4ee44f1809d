"""The Learn lessons: their figures are computed by the real library, their formulas are right, every control works,
and every "try it" model opens and trains to the point its lesson makes (counted in epochs)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from apptest import app, no_exception
from playground import i18n
from playground.analysis import analyze
from playground.lessons import LESSONS, neurons
from playground.spec import decode_link
from playground.training import Trainer, train

LESSON_PAGES = [lesson.page for lesson in LESSONS]


# ---------------------------------------------------------------- every lesson page
def test_every_lesson_of_the_curriculum_has_its_page():
    root = Path(__file__).resolve().parents[1]
    assert [lesson.slug for lesson in LESSONS] == ["neurons", "losses", "backprop", "convolution", "recurrent", "attention",
                                                  "transformer", "positions", "overfitting"]
    assert all((root / lesson.page).is_file() for lesson in LESSONS)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", LESSON_PAGES)
def test_every_lesson_renders_with_formulas_figures_and_working_links(page, lang):
    at = app(lang=lang)
    at.switch_page(page).run()
    no_exception(at)
    assert at.latex, "a lesson shows its formulas"
    assert at.get("plotly_chart"), "a lesson shows live figures"
    links = [pl.proto for pl in at.get("page_link")]
    tried = [link for link in links if "spec=" in link.query_string]
    assert tried, "a lesson links to a model that shows its point"
    for link in tried:
        query = dict(part.split("=", 1) for part in link.query_string.split("&"))
        assert query["lang"] == lang
        assert analyze(decode_link(query["spec"])).ok


def test_a_try_it_link_opens_its_model_in_the_same_session():
    at = app()
    at.switch_page("pages/learn_neurons.py").run()
    link = next(pl.proto for pl in at.get("page_link") if "spec=" in pl.proto.query_string)
    query = dict(part.split("=", 1) for part in link.query_string.split("&"))
    at.query_params["spec"] = query["spec"]
    at.switch_page("pages/train.py").run()
    no_exception(at)
    assert at.session_state["spec"] == decode_link(query["spec"])


# ---------------------------------------------------------------- lesson 1: neurons and activations
DERIVATIVE_OF = {  # the formulas DERIVATIVES shows, written as code; autograd is the oracle
    "Sigmoid": lambda x: torch.sigmoid(x) * (1 - torch.sigmoid(x)),
    "Tanh": lambda x: 1 - torch.tanh(x) ** 2,
    "ReLU": lambda x: (x > 0).float(),
    "LeakyReLU": lambda x: torch.where(x > 0, 1.0, 0.01),
    "ELU": lambda x: torch.where(x > 0, 1.0, torch.exp(x)),
    "Softplus": lambda x: torch.sigmoid(x),
    "Identity": lambda x: torch.ones_like(x),
}


@pytest.mark.parametrize("name", list(neurons.DERIVATIVES))
def test_the_derivative_formulas_match_autograd(name):
    c = neurons.curve(name)
    x = torch.from_numpy(c.x)
    away_from_kinks = x.abs() > 1e-3
    assert torch.allclose(torch.from_numpy(c.dy)[away_from_kinks], DERIVATIVE_OF[name](x)[away_from_kinks], atol=1e-5)


@pytest.mark.parametrize("name", neurons.ELEMENTWISE)
def test_every_activation_curve_is_the_registry_module(name):
    c = neurons.curve(name)
    assert np.allclose(c.y, neurons.activation(name)(torch.from_numpy(c.x)).detach().numpy())


def test_saturation_is_where_the_gradient_vanishes():
    sig = neurons.curve("Sigmoid").saturated()  # σ′(x) < 0.005 beyond |x| ≈ 5.3
    assert len(sig) == 2 and sig[0][0] == -8 and -5.5 < sig[0][1] < -5.1 and 5.1 < sig[1][0] < 5.5 and sig[1][1] == 8
    tanh = neurons.curve("Tanh").saturated()  # tanh saturates sooner: 1 − tanh²(x) < 0.005 beyond |x| ≈ 3.3
    assert -3.5 < tanh[0][1] < -3.1
    assert neurons.curve("ReLU").saturated() == [(-8.0, pytest.approx(0.0, abs=0.03))]
    assert neurons.curve("LeakyReLU").saturated() == []  # its small slope never vanishes: that is its point
    assert neurons.curve("Identity").saturated() == []


def test_the_neuron_surface_is_the_formula():
    s = neurons.neuron_surface(1.5, -0.5, 0.25, "Tanh", extent=2.0, resolution=21)
    x1, x2 = np.meshgrid(s.x1, s.x2)
    assert np.allclose(s.z, np.tanh(1.5 * x1 - 0.5 * x2 + 0.25), atol=1e-6)
    assert s.level == 0.0 and neurons.neuron_surface(1, 1, 0, "Sigmoid").level == 0.5


def test_the_neuron_sliders_redraw_the_surface():
    at = app()
    at.switch_page("pages/learn_neurons.py").run()
    before = at.get("plotly_chart")[0].proto.spec
    at.slider(key="l1-w1").set_value(-2.0).run()
    at.selectbox(key="l1-act").set_value("ReLU").run()
    no_exception(at)
    assert at.get("plotly_chart")[0].proto.spec != before
    at.multiselect(key="l1-curves").set_value([]).run()
    no_exception(at)
    assert at.info


@pytest.mark.slow
def test_linear_layers_alone_cannot_solve_the_circle_and_tanh_can():
    linear = list(train(analyze(neurons.linear_only())))[-1]
    tanh = list(train(analyze(neurons.with_tanh())))[-1]
    assert linear.test_accuracy < 0.7 <= 0.95 <= tanh.test_accuracy


@pytest.mark.slow
def test_a_large_learning_rate_kills_relu_units_and_a_small_one_does_not():
    from playground.inspection import activation_stats

    def dead_in_last_hidden(spec) -> tuple[float, float]:
        a = analyze(spec)
        trainer = Trainer(a)
        while not trainer.done:
            trainer.train_step()
        stats = [s for s in activation_stats(trainer.model.eval(), a, a.dataset.x_test[:512]) if s.dead_fraction is not None]
        return stats[-1].dead_fraction, trainer.evaluate(a.dataset.x_test, a.dataset.y_test)[1]

    dead, dead_acc = dead_in_last_hidden(neurons.dead_relu())
    alive, alive_acc = dead_in_last_hidden(neurons.healthy_relu())
    assert dead >= 0.8 and dead_acc < 0.6
    assert alive <= 0.3 and alive_acc >= 0.9


def test_lesson_specs_are_named_in_the_session_language():
    with i18n.using("zh"):
        assert neurons.linear_only().name == "只有线性层，圆形数据集"
