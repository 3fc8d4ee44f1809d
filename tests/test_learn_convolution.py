"""Lesson 4, convolution: the output-size formula and every worked-out pixel agree with F.conv2d, pooling with PyTorch's
pooling layers, the receptive-field recurrence with the gradient of a real stack, the curriculum's CNN with the
playground's own analysis; every control works; the linked CNNs reach 95 % on the digits (counted in epochs)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from apptest import app, no_exception
from playground import i18n
from playground.analysis import analyze
from playground.datasets import load_dataset
from playground.lessons import convolution as lesson
from playground.lessons.convolution import Stage
from playground.model import build_model, count_params
from playground.training import train

PAGE = "pages/learn_convolution.py"


# ---------------------------------------------------------------- the output size and one pixel, against F.conv2d
def test_the_output_size_formula_is_conv2d_s_for_every_setting():
    x = torch.zeros(1, 1, 12, 12)
    checked = refused = 0
    for n, k, s, p, d in itertools.product(range(3, 13), range(1, 6), range(1, 4), range(0, 4), range(1, 4)):
        w = torch.zeros(1, 1, k, k)
        size = lesson.output_size(n, k, s, p, d)
        if lesson.size_problem(n, k, p, d) is None:
            assert F.conv2d(x[..., :n, :n], w, stride=s, padding=p, dilation=d).shape[-2:] == (size, size)
            checked += 1
        else:
            assert size <= 0
            with pytest.raises(RuntimeError):
                F.conv2d(x[..., :n, :n], w, stride=s, padding=p, dilation=d)
            refused += 1
    assert checked > 1500 and refused > 100


def _cross_correlation(x: np.ndarray, w: np.ndarray, s: int, p: int, d: int) -> np.ndarray:
    """The curriculum's corrected formula, written out: y(i,j) = Σ_m Σ_n w(m,n)·x(i·s − p + d·m, j·s − p + d·n)."""
    padded = np.pad(x, p)
    k, size = w.shape[0], lesson.output_size(x.shape[0], w.shape[0], s, p, d)
    return np.array([[sum(w[m, n] * padded[i * s + d * m, j * s + d * n] for m in range(k) for n in range(k))
                      for j in range(size)] for i in range(size)])


@pytest.mark.parametrize("kernel", lesson.KERNELS)
@pytest.mark.parametrize("choice, k, s, p, d", [("3", 3, 1, 1, 1), ("7", 2, 2, 0, 1), (lesson.PATTERN, 3, 2, 1, 2),
                                                 ("0", 5, 1, 2, 1), ("9", 4, 3, 3, 1), (lesson.PATTERN, 2, 1, 0, 3)])
def test_every_worked_out_pixel_is_f_conv2d_and_the_formula(kernel, choice, k, s, p, d):
    x, w = lesson.image(choice), lesson.kernel(kernel, k)
    expected = _cross_correlation(x, w, s, p, d)
    size = expected.shape[0]
    for i, j in itertools.product(range(size), range(size)):
        cv = lesson.convolve(x, w, s, p, d, i, j)
        assert cv.output.shape == (size, size)
        assert cv.step.result == pytest.approx(float(cv.output[i, j]), abs=1e-9)
        assert cv.step.result == pytest.approx(expected[i, j], abs=1e-9)


def test_libraries_do_not_flip_the_kernel():
    x, w = lesson.image("3"), lesson.kernel("vertical", 3)
    out = lesson.convolve(x, w, 1, 1, 1, 0, 0).output
    assert np.allclose(out, _cross_correlation(x, w, 1, 1, 1))
    assert not np.allclose(out, _cross_correlation(x, w[::-1, ::-1], 1, 1, 1)), "a flipped kernel gives another map"


def test_a_convolution_is_a_weighted_sum_not_an_average():
    assert lesson.kernel("box", 3).sum() == pytest.approx(1.0)  # the one kernel that averages
    assert lesson.kernel("vertical", 3).sum() == 0 and lesson.kernel("vertical", 3).min() == -1
    x = lesson.image(lesson.PATTERN)
    step = lesson.convolve(x, lesson.kernel("horizontal", 3), 1, 1, 1, 3, 2).step
    assert step.result == pytest.approx(float((step.weight * step.patch).sum()))
    assert step.result != pytest.approx(float(step.patch.mean()))


def test_the_images_are_real_digits_and_the_random_kernel_is_conv2d_s_initialisation():
    digits = load_dataset("digits")
    for label in range(10):
        x = lesson.image(str(label))
        match = [i for i in range(digits.n_test) if np.array_equal(digits.x_test[i, 0].numpy(), x)]
        assert match and int(digits.y_test[match[0]]) == label
    torch.manual_seed(0)
    assert np.allclose(lesson.kernel("random", 3), torch.nn.Conv2d(1, 1, 3).weight.detach()[0, 0].numpy())


# ---------------------------------------------------------------- pooling
@pytest.mark.parametrize("kind, k, s", [("MaxPool2d", 2, 2), ("AvgPool2d", 2, 2), ("MaxPool2d", 3, 1), ("AvgPool2d", 3, 2)])
def test_pooling_is_pytorch_s_and_has_no_parameters(kind, k, s):
    x = lesson.image("5")
    pooled = lesson.pool(x, kind, k, s)
    reference = (F.max_pool2d if kind == "MaxPool2d" else F.avg_pool2d)(torch.from_numpy(x)[None, None], k, s)[0, 0].numpy()
    assert np.allclose(pooled.output, reference)
    reduce = np.max if kind == "MaxPool2d" else np.mean
    assert pooled.output[1, 1] == pytest.approx(reduce(x[s:s + k, s:s + k]))
    assert pooled.params == 0


def test_pooling_shrinks_the_maps_and_so_the_parameters_after_it():
    rows, with_pool, without = lesson.pooling_effect()
    assert with_pool == analyze(lesson.adapted_cnn()).total_params == count_params(build_model(analyze(lesson.adapted_cnn())))
    assert all(r.with_pool[1] == 0 for r in rows if r.type == "MaxPool2d")
    dense = next(r for r in rows if r.type == "Linear")
    assert dense.with_pool[1] == 64 * 2 * 2 * 64 + 64 and dense.without_pool[1] == 64 * 8 * 8 * 64 + 64
    convs = [r for r in rows if r.type == "Conv2d"]
    assert all(r.with_pool[1] == r.without_pool[1] for r in convs), "pooling changes no convolution's parameters"
    assert without - with_pool == dense.without_pool[1] - dense.with_pool[1]


# ---------------------------------------------------------------- receptive fields, against autograd
def _gradient_field(stages: list[Stage], n: int, unit: int) -> tuple[int, int]:
    """The input rows a unit of the real stack depends on: where the gradient of that unit is nonzero, over a batch
    of random inputs (max pooling passes the gradient to one input per window, so one input is not enough)."""
    torch.manual_seed(0)
    stack = lesson.stack_module(stages)
    for m in stack:
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.ones_(m.weight)
    x = torch.rand(256, 1, n, n, requires_grad=True)
    stack(x)[:, 0, unit, unit].sum().backward()
    rows = torch.nonzero(x.grad.abs().sum(dim=(0, 1, 3)) > 0).flatten()
    return int(rows.min()), int(rows.max())


STACKS = [
    lesson.CURRICULUM_STACK,
    [Stage("Conv2d", 3, 1, 1), Stage("Conv2d", 3, 1, 1), Stage("MaxPool2d", 2, 2)],
    [Stage("Conv2d", 5, 2, 2), Stage("AvgPool2d", 3, 2, 1), Stage("Conv2d", 3, 1, 0, 2)],
    [Stage("Conv2d", 3, 1, 0, 3), Stage("Conv2d", 2, 2), Stage("MaxPool2d", 3, 1, 1), Stage("Conv2d", 4, 3, 1)],
    [Stage("Conv2d", 7, 1, 3), Stage("Conv2d", 1)],
]


@pytest.mark.parametrize("stages", STACKS)
def test_the_receptive_field_recurrence_is_the_gradient_of_the_real_stack(stages):
    n = 64
    fields, problem = lesson.receptive_fields(stages, n)
    assert problem is None and len(fields) == len(stages)
    last = fields[-1]
    unit = last.size // 2
    first, end = last.span(unit)
    assert 0 <= first and end < n, "the test unit's field must lie inside the input"
    assert _gradient_field(stages, n, unit) == (first, end)
    assert end - first + 1 == last.rf


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["Conv2d", "MaxPool2d", "AvgPool2d"]), st.integers(1, 4), st.integers(1, 2),
                          st.integers(0, 1), st.integers(1, 2)), min_size=1, max_size=4))
def test_any_stack_s_receptive_field_is_its_gradient(raw):
    stages = [Stage(kind, k, s, min(p, k // 2) if kind != "Conv2d" else p, d if kind == "Conv2d" else 1) for kind, k, s, p, d in raw]
    fields, problem = lesson.receptive_fields(stages, 40)
    assert problem is None
    unit = fields[-1].size // 2
    first, end = fields[-1].span(unit)
    if 0 <= first and end < 40:
        assert _gradient_field(stages, 40, unit) == (first, end)


def test_a_stack_too_deep_for_its_input_is_refused_where_pytorch_refuses_it():
    fields, problem = lesson.receptive_fields(lesson.CURRICULUM_STACK, 8)
    assert [f.size for f in fields] == [6, 3, 1]
    assert problem is not None and "Layer 4 (MaxPool2d)" in str(problem)
    with pytest.raises(RuntimeError):
        lesson.stack_module(lesson.CURRICULUM_STACK[:4])(torch.zeros(1, 1, 8, 8))
    _, problem = lesson.receptive_fields([Stage("MaxPool2d", 2, 2, 2)], 8)
    assert problem is not None and "at most 1" in str(problem)
    with pytest.raises(RuntimeError):
        lesson.stack_module([Stage("MaxPool2d", 2, 2, 2)])(torch.zeros(1, 1, 8, 8))


# ---------------------------------------------------------------- the curriculum's CNN on the bundled images
def test_the_curriculum_cnn_fits_28x28_but_not_8x8_until_padded():
    shapes, digits, adapted = lesson.curriculum_on("shapes"), lesson.curriculum_on("digits"), lesson.curriculum_on("digits", 1)
    assert shapes.ok and lesson.spatial_sizes(shapes) == [28, 26, 13, 11, 5, 3]
    assert next(i for i in shapes.layers if i.type == "Flatten").out_shape == (576,)
    assert not digits.ok and lesson.spatial_sizes(digits) == [8, 6, 3, 1]
    assert digits.problems[0].path == (5,) and "MaxPool2d" in str(digits.problems[0])
    assert adapted.ok and lesson.spatial_sizes(adapted) == [8, 8, 4, 4, 2, 2]
    assert next(i for i in adapted.layers if i.type == "Flatten").out_shape == (256,)
    assert analyze(lesson.adapted_cnn()).spec.layers == adapted.spec.layers


def test_the_shipped_examples_say_their_input_sizes():
    found = {s.file: s.input_shape for s in lesson.shipped()}
    assert found == {"cnn_digits.json": (1, 8, 8), "cnn_digits_sgd.json": (1, 8, 8), "cnn_shapes.json": (1, 28, 28)}
    assert all(s.input_shape == load_dataset(s.dataset).input_shape for s in lesson.shipped())


def test_the_sgd_model_is_the_curriculum_s_second_cnn():
    spec = lesson.textbook_sgd()
    assert [layer.type for layer in spec.layers] == ["Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear", "ReLU", "Linear"]
    assert spec.optimizer.type == "SGD" and spec.optimizer.args()["lr"] == 0.01 and spec.optimizer.args()["momentum"] == 0.9
    assert spec.dataset.args()["test_fraction"] == 0.2
    with i18n.using("zh"):
        assert lesson.textbook_sgd().name != spec.name


@pytest.mark.slow
def test_the_adapted_curriculum_cnn_passes_95_percent_within_five_epochs():
    records = list(train(analyze(lesson.adapted_cnn())))
    assert max(r.test_accuracy for r in records[:5]) >= 0.95
    assert records[-1].test_accuracy >= 0.97


@pytest.mark.slow
def test_the_sgd_textbook_cnn_reaches_95_percent():
    records = list(train(analyze(lesson.textbook_sgd())))
    assert records[-1].test_accuracy >= 0.95
    assert next(r.epoch for r in records if r.test_accuracy >= 0.95) > 5, "SGD gets there, more slowly than Adam"


# ---------------------------------------------------------------- the page's controls
def _checked_value(at) -> float:
    return float(at.success[0].value.split("= ")[1].split(" ")[0])


def test_the_convolution_controls_redraw_and_the_sum_matches_conv2d():
    at = app()
    at.switch_page(PAGE).run()
    no_exception(at)
    before = at.get("plotly_chart")[0].proto.spec
    at.selectbox(key="l4-image").set_value(lesson.PATTERN).run()
    at.selectbox(key="l4-kernel").set_value("horizontal").run()
    at.slider(key="l4-s").set_value(2).run()
    at.slider(key="l4-d").set_value(2).run()
    at.slider(key="l4-i").set_value(1).run()
    at.slider(key="l4-j").set_value(2).run()
    no_exception(at)
    assert at.get("plotly_chart")[0].proto.spec != before
    cv = lesson.convolve(lesson.image(lesson.PATTERN), lesson.kernel("horizontal", 3), 2, 1, 2, 1, 2)
    assert _checked_value(at) == pytest.approx(float(cv.output[1, 2]), abs=1e-3)
    assert any(r"\left\lfloor \frac{4}{2} \right\rfloor + 1 = 3" in latex.value for latex in at.latex)  # (7 + 2 − 4 − 1)/2
    at.slider(key="l4-k").set_value(5).run()
    at.slider(key="l4-d").set_value(3).run()
    at.slider(key="l4-p").set_value(0).run()
    no_exception(at)
    assert at.error and "13" in at.error[0].value, "a kernel spanning 13 pixels does not fit a 7×7 image"
    at.slider(key="l4-d").set_value(1).run()  # a 5×5 kernel: its 25 products are summed, not written out term by term
    no_exception(at)
    cv = lesson.convolve(lesson.image(lesson.PATTERN), lesson.kernel("horizontal", 5), 2, 0, 1, at.slider(key="l4-i").value,
                         at.slider(key="l4-j").value)
    assert _checked_value(at) == pytest.approx(float(cv.output[cv.step.i, cv.step.j]), abs=1e-3)
    assert any(r"\sum_{m,n} w(m,n)" in latex.value for latex in at.latex)


def test_the_pooling_and_receptive_field_controls():
    at = app(lang="zh")
    with i18n.using("zh"):  # AppTest formats the options of a selectbox or radio in the test's thread, in this language
        at.switch_page(PAGE).run()
        at.radio(key="l4-pool").set_value("AvgPool2d").run()
        at.slider(key="l4-pool-k").set_value(3).run()
        no_exception(at)
        at.selectbox(key="l4-rf-n").set_value(8).run()
        no_exception(at)
        assert at.error, "the curriculum's stack runs out of an 8×8 input"
        at.number_input(key="l4-rf-count").set_value(3).run()
        at.selectbox(key="l4-rf-type-2").set_value("Conv2d").run()
        at.selectbox(key="l4-rf-d-3").set_value(2).run()
        at.selectbox(key="l4-rf-n").set_value(28).run()
    no_exception(at)
    assert not at.error
    fields, _ = lesson.receptive_fields([Stage("Conv2d", 3), Stage("Conv2d", 2, 2), Stage("Conv2d", 3, 1, 0, 2)], 28)
    assert f"**{fields[-1].rf}×{fields[-1].rf}**" in "".join(m.value for m in at.markdown)


# ---------------------------------------------------------------- in Chromium
def _click_slider(page, key: str, fraction: float) -> None:
    track = page.locator(f".st-key-{key} [data-orientation=horizontal]").nth(1)
    track.scroll_into_view_if_needed()
    box = track.bounding_box()
    page.mouse.click(box["x"] + box["width"] * fraction, box["y"] + box["height"] / 2)


@pytest.mark.browser
def test_the_lesson_draws_its_formulas_and_figures_in_chromium_and_answers_a_slider(page, app_url):
    from playwright.sync_api import expect

    from conftest import wait_idle

    page.set_viewport_size({"width": 1280, "height": 6000})  # every figure on screen, so every one is drawn
    page.goto(f"{app_url}/learn_convolution")
    wait_idle(page, 120_000)
    expect(page.locator(".katex").first).to_be_visible()
    charts = page.locator("[data-testid='stPlotlyChart']")
    expect(charts).to_have_count(4, timeout=30_000)  # the window and the map, the weighted sum, pooling, receptive fields
    for i in range(4):
        expect(charts.nth(i).locator(".main-svg").first).to_be_attached(timeout=30_000)
    assert page.locator("[data-testid='stException']").count() == 0
    _click_slider(page, "l4-s", 0.5)  # stride 2: the map shrinks to 4×4 and y(3, 3) reads another window
    value = lesson.convolve(lesson.image("3"), lesson.kernel("vertical", 3), 2, 1, 1, 3, 3).output[3, 3]
    expect(page.get_by_text(f"y(3, 3) = {float(value):.4g} for the whole map")).to_be_visible(timeout=30_000)
