"""Lesson 6, self-attention step by step: every intermediate is PyTorch's (nn.MultiheadAttention with the same weights,
scaled_dot_product_attention, the model's own layers), the √d_k argument holds numerically, typed input is read or
refused with a sentence, the controls work, and the lesson's Transformer learns to reverse (counted in epochs)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from apptest import app, no_exception, shown
from playground import i18n
from playground.analysis import analyze
from playground.lessons import attention as lesson
from playground.modules import SelfAttention, sinusoidal_table
from playground.training import train

PAGE = "pages/learn_attention.py"


@pytest.fixture(scope="module")
def demo() -> lesson.Demo:
    return lesson.train_demo()


def _multihead(module: SelfAttention) -> nn.MultiheadAttention:
    """PyTorch's own multi-head attention carrying the playground module's in_proj and out_proj."""
    mha = nn.MultiheadAttention(module.embed_dim, module.num_heads, batch_first=True)
    with torch.no_grad():
        mha.in_proj_weight.copy_(module.in_proj.weight)
        mha.in_proj_bias.copy_(module.in_proj.bias)
        mha.out_proj.weight.copy_(module.out_proj.weight)
        mha.out_proj.bias.copy_(module.out_proj.bias)
    return mha.eval()


def _check_against_pytorch(module: SelfAttention, x: torch.Tensor) -> None:
    steps = lesson.attention_steps(module, x)
    out, weights = _multihead(module)(x[None], x[None], x[None], need_weights=True, average_attn_weights=False)
    assert np.allclose(steps.weights, weights[0].detach().numpy(), atol=1e-6)
    assert np.allclose(steps.output, out[0].detach().numpy(), atol=1e-5)
    module.capture = True
    with torch.no_grad():
        assert np.allclose(steps.output, module(x[None])[0].numpy(), atol=1e-5), "the playground's own forward pass"
    assert np.allclose(steps.weights, module.last_weights[0].numpy(), atol=1e-6)
    module.capture = False
    # Each intermediate against the library's own pieces
    q, k, v = F.linear(x, module.in_proj.weight, module.in_proj.bias).chunk(3, dim=-1)
    heads = module.num_heads
    split = [a.view(len(x), heads, -1).transpose(0, 1) for a in (q, k, v)]
    for mine, theirs in zip((steps.q, steps.k, steps.v), split):
        assert np.allclose(mine, theirs.detach().numpy(), atol=1e-5)
    assert np.allclose(steps.scores, (split[0] @ split[1].transpose(-2, -1)).detach().numpy(), atol=1e-4)
    assert np.allclose(steps.scaled, steps.scores / math.sqrt(steps.d_k))
    assert np.allclose(steps.weights.sum(-1), 1, atol=1e-6)
    sdpa = F.scaled_dot_product_attention(*split)
    assert np.allclose(steps.heads_out, sdpa.detach().numpy(), atol=1e-5)
    assert np.allclose(steps.concat, np.concatenate(list(steps.heads_out), axis=-1)), "Concat(head_1, …, head_h)"


@pytest.mark.parametrize("embed, heads", [(16, 2), (12, 3), (8, 1), (32, 4)])
def test_every_step_matches_multihead_attention_on_random_weights(embed, heads):
    torch.manual_seed(embed + heads)
    module = SelfAttention(embed, heads)
    _check_against_pytorch(module, torch.randn(5, embed))


@pytest.mark.parametrize("text", [lesson.EXAMPLE, "000111", "9 8 7 6 5 4"])
def test_every_step_matches_multihead_attention_in_the_trained_model(demo, text):
    ids = lesson.parse_tokens(text)
    _check_against_pytorch(demo.attention, lesson.attention_input(demo, ids))
    weights, output = lesson.multihead_difference(demo.attention, lesson.attention_steps(demo.attention, lesson.attention_input(demo, ids)))
    assert weights < 1e-5 and output < 1e-4, "the page's own check agrees"


def test_x_is_the_embedding_plus_the_sinusoidal_encoding(demo):
    ids = lesson.parse_tokens(lesson.EXAMPLE)
    x = lesson.attention_input(demo, ids)
    embedding = demo.model[0].weight.detach()
    assert torch.allclose(x, embedding[ids] + sinusoidal_table(len(ids), embedding.shape[1]), atol=1e-6)


def test_the_trained_model_reverses_and_one_head_looks_at_the_mirror(demo):
    assert demo.test_accuracy == 1.0
    for text in (lesson.EXAMPLE, "271828", "000111"):
        ids = lesson.parse_tokens(text)
        assert lesson.predict(demo, ids) == ids[::-1]
        _, share = lesson.mirror_head(lesson.attention_steps(demo.attention, lesson.attention_input(demo, ids)))
        assert share > 0.5


def test_mirror_head_reads_the_anti_diagonal():
    weights = np.full((2, 4, 4), 0.25)
    weights[1] = np.eye(4)[::-1] * 0.7 + 0.075
    steps = lesson.Steps(*(np.zeros((1, 1)),) * 6, weights, *(np.zeros((1, 1)),) * 3)
    assert lesson.mirror_head(steps) == (1, pytest.approx(0.775))


# ---------------------------------------------------------------- why √d_k
def test_the_variance_of_a_dot_product_grows_with_d_k_and_the_scaling_undoes_it():
    dims = [1, 4, 16, 64, 256]
    raw, scaled = lesson.dot_variance(dims)
    assert np.allclose(raw, dims, rtol=0.06)
    assert np.allclose(scaled, 1, rtol=0.06)


def test_an_unscaled_softmax_saturates_and_its_gradient_vanishes():
    small, big = lesson.saturation(8), lesson.saturation(512)
    assert big.plain.max() > 0.999 and big.plain_grad < 1e-6
    assert big.scaled.max() < 0.9 and big.scaled_grad > 0.1
    assert small.plain.max() < big.plain.max()
    a = torch.from_numpy(big.scaled)
    jacobian = torch.diag(a) - a[:, None] * a[None, :]  # ∂a_i/∂s_j = a_i(δ_ij − a_j)
    assert big.scaled_grad == pytest.approx(float(jacobian.abs().max()), rel=1e-5)
    assert np.allclose(big.scaled, torch.from_numpy(big.scores / math.sqrt(512)).softmax(-1).numpy())


# ---------------------------------------------------------------- typed input
@pytest.mark.parametrize("text", ["3 1 4 1 5 9", "314159", "3,1,4,1,5,9", "３１４１５９", "3，1，4，1，5，9", " 3 1 4 1 5 9 "])
def test_a_sequence_is_read_in_every_usual_form(text):
    assert lesson.parse_tokens(text) == [3, 1, 4, 1, 5, 9]


@pytest.mark.parametrize("text, words", [("", "for example"), ("31415", "you typed 5"), ("3 1 4 1 5 9 2", "you typed 7"),
                                         ("3 1 a 1 5 9", "“a”"), ("12 1 4 1 5 9", "“12”"), ("x y", "“x” and “y”")])
def test_bad_input_gets_one_sentence(text, words):
    with pytest.raises(lesson.TokenError) as e:
        lesson.parse_tokens(text)
    assert words in str(e.value) and str(e.value).endswith(".")
    with i18n.using("zh"):
        assert str(e.value) != e.value.msg.render("en")


# ---------------------------------------------------------------- the page
def test_the_page_reads_a_typed_sequence_switches_heads_and_keeps_the_last_good_one():
    at = app()
    at.switch_page(PAGE).run()
    no_exception(at)
    charts = {c.proto.id: c.proto.spec for c in at.get("plotly_chart")}
    at.text_input(key="l6-text").input("2 7 1 8 2 8").run()
    no_exception(at)
    assert any("**2 7 1 8 2 8** and outputs **8 2 8 1 7 2**" in m.value for m in at.markdown)
    assert at.get("plotly_chart")[0].proto.spec != next(iter(charts.values()))
    head_one = [c.proto.spec for c in at.get("plotly_chart")]
    at.radio(key="l6-head").set_value(1).run()
    no_exception(at)
    head_two = [c.proto.spec for c in at.get("plotly_chart")]
    assert head_one[0] == head_two[0], "X does not depend on the head"
    assert head_one[1] != head_two[1], "Q does"
    at.text_input(key="l6-text").input("2 7 1 8").run()
    no_exception(at)
    assert shown(at.error) == [str(lesson.TokenError(i18n.msg("learn_attention.input.length", length=6, count=4)))]
    assert any("**2 7 1 8 2 8**" in m.value for m in at.markdown), "the last sequence that worked stays"
    before = at.get("plotly_chart")[-1].proto.spec
    at.select_slider(key="l6-dk").set_value(4).run()
    no_exception(at)
    assert any(c.proto.spec != before for c in at.get("plotly_chart"))


def test_the_try_it_model_is_the_lesson_s_model():
    spec = lesson.TRY_IT[0].spec()
    assert spec.to_dict() == {**lesson.DEMO, "name": spec.name} and lesson.TRY_IT[0].page == "train"


@pytest.mark.slow
def test_the_try_it_transformer_learns_to_reverse_within_its_epochs():
    records = list(train(analyze(lesson.demo_spec())))
    assert len(records) == lesson.DEMO["training"]["epochs"]
    assert records[-1].test_accuracy == 1.0
    assert records[1].test_accuracy < 0.6, "it has to learn it: two epochs are not enough"


@pytest.mark.browser
def test_the_lesson_draws_its_steps_in_chromium_and_refuses_bad_input_next_to_the_box(page, app_url):
    from playwright.sync_api import expect

    from conftest import wait_idle

    page.set_viewport_size({"width": 1280, "height": 9000})
    page.goto(f"{app_url}/learn_attention")
    wait_idle(page, 180_000)  # the first visit on a server trains the lesson's model
    expect(page.locator(".katex").first).to_be_visible()
    charts = page.locator("[data-testid='stPlotlyChart']")
    expect(charts).to_have_count(10, timeout=30_000)
    for i in range(10):
        expect(charts.nth(i).locator(".main-svg").first).to_be_attached(timeout=30_000)
    box = page.locator(".st-key-l6-text input")
    box.fill("1 2")
    box.press("Enter")
    expect(page.get_by_text("exactly 6 digits; you typed 2")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("outputs 9 5 1 4 1 3")).to_be_visible()
    box.fill("2 7 1 8 2 8")
    box.press("Enter")
    expect(page.get_by_text("outputs 8 2 8 1 7 2")).to_be_visible(timeout=30_000)
    assert page.locator("[data-testid='stException']").count() == 0
