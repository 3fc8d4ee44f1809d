"""Lesson 7, multi-head attention and the Transformer block: every intermediate is PyTorch's (nn.MultiheadAttention,
nn.TransformerEncoderLayer and the playground's TransformerBlock with the same weights, F.layer_norm), the causal mask
is PyTorch's, the controls work, and the try-it models learn what the lesson says (counted in epochs)."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from apptest import app, no_exception, shown
from playground import i18n
from playground.analysis import analyze
from playground.lessons import attention as steps6
from playground.lessons import transformer as lesson
from playground.modules import TransformerBlock
from playground.training import Trainer, train

PAGE = "pages/learn_transformer.py"


@pytest.fixture(scope="module")
def demo() -> lesson.Demo:
    return lesson.train_demo()


def _forward(block: TransformerBlock, x: torch.Tensor, causal: bool) -> np.ndarray:
    """The playground's own forward pass, on a copy whose mask is set as asked."""
    twin = copy.deepcopy(block).eval()
    twin.attention.causal = causal
    with torch.no_grad():
        return twin(x[None])[0].numpy()


def _check_block(block: TransformerBlock, x: torch.Tensor, causal: bool) -> None:
    steps = lesson.block_steps(block, x, causal)
    att, T = steps.attention, len(x)
    mask = torch.ones(T, T, dtype=torch.bool).triu(1) if causal else None
    layer = lesson.encoder_layer(block)
    out, weights = layer.self_attn(x[None], x[None], x[None], attn_mask=mask, need_weights=True, average_attn_weights=False)
    assert np.allclose(att.weights, weights[0].detach().numpy(), atol=1e-6), "each head's weights: nn.MultiheadAttention"
    assert np.allclose(att.output, out[0].detach().numpy(), atol=1e-5), "MultiHead(X): nn.MultiheadAttention"
    b_o = block.attention.out_proj.bias.detach().numpy()
    assert np.allclose(steps.contributions.sum(0) + b_o, att.output, atol=1e-5), "the heads' contributions sum to MultiHead(X)"
    assert np.allclose(steps.sum1, att.x + att.output)
    with torch.no_grad():
        assert np.allclose(steps.norm1.output, block.norm1(torch.from_numpy(steps.sum1)).numpy(), atol=1e-5)
        assert np.allclose(steps.norm1.output, F.layer_norm(torch.from_numpy(steps.sum1), (x.shape[1],),
                                                            block.norm1.weight, block.norm1.bias).numpy(), atol=1e-5)
        assert np.allclose(steps.feedforward, block.feedforward(torch.from_numpy(steps.norm1.output)).numpy(), atol=1e-5)
        assert np.allclose(steps.output, layer(x[None], src_mask=mask, is_causal=causal)[0].numpy(), atol=1e-5), \
            "the block's output: nn.TransformerEncoderLayer (post-norm)"
    assert np.allclose(steps.output, _forward(block, x, causal), atol=1e-5), "the block's output: its own forward pass"
    assert np.allclose(steps.sum2, steps.norm1.output + steps.feedforward)
    assert (steps.hidden >= 0).all(), "ReLU"
    for norm in (steps.norm1, steps.norm2):
        assert np.allclose(norm.standardized.mean(-1), 0, atol=1e-5) and np.allclose(norm.standardized.std(-1), 1, atol=1e-3)


@pytest.mark.parametrize("embed, heads, hidden", [(16, 4, 32), (12, 3, 20), (8, 1, 16), (16, 2, 8)])
@pytest.mark.parametrize("causal", [False, True])
def test_every_step_of_the_block_matches_pytorch_on_random_weights(embed, heads, hidden, causal):
    torch.manual_seed(embed + heads + hidden)
    block = TransformerBlock(embed, heads, hidden).eval()
    with torch.no_grad():  # LayerNorm starts at γ = 1, β = 0: move them so the test sees them used
        for norm in (block.norm1, block.norm2):
            norm.weight.normal_(1, 0.3)
            norm.bias.normal_(0, 0.3)
    _check_block(block, torch.randn(5, embed) * 2 + 0.5, causal)


@pytest.mark.parametrize("text", [steps6.EXAMPLE, "000111", "9 8 7 6 5 4"])
@pytest.mark.parametrize("causal", [False, True])
def test_every_step_matches_pytorch_in_the_trained_model(demo, text, causal):
    x = steps6.attention_input(demo, steps6.parse_tokens(text))
    _check_block(demo.block, x, causal)
    weights, output = lesson.pytorch_differences(demo.block, lesson.block_steps(demo.block, x, causal), causal)
    assert weights < 1e-5 and output < 1e-4, "the page's own check agrees"


def test_the_block_is_the_model_s_block_and_feeds_its_last_layer(demo):
    ids = steps6.parse_tokens("2 7 1 8 2 8")
    steps = lesson.block_steps(demo.block, steps6.attention_input(demo, ids))
    with torch.no_grad():
        logits = demo.model[-1](torch.from_numpy(steps.output))
    assert logits.argmax(-1).tolist() == lesson.predict(demo, ids) == ids[::-1]


def test_the_causal_mask_is_pytorch_s_and_zeroes_the_future(demo):
    m = lesson.causal_mask(6)
    assert np.array_equal(np.isinf(m), torch.ones(6, 6, dtype=torch.bool).triu(1).numpy())
    assert np.array_equal(m, nn.Transformer.generate_square_subsequent_mask(6).numpy())
    assert not np.isinf(lesson.causal_mask(6, causal=False)).any()
    x = steps6.attention_input(demo, steps6.parse_tokens(steps6.EXAMPLE))
    att = lesson.block_steps(demo.block, x, causal=True).attention
    assert (np.triu(att.weights, 1) == 0).all() and np.allclose(att.weights.sum(-1), 1)
    assert np.allclose(att.weights[:, 0, 0], 1), "the first position can only look at itself"
    q, k, v = (torch.from_numpy(a) for a in (att.q, att.k, att.v))
    assert np.allclose(att.heads_out, F.scaled_dot_product_attention(q, k, v, is_causal=True).numpy(), atol=1e-5)


def test_more_heads_cost_no_more_parameters():
    counts = lesson.attention_parameters(16, [1, 2, 4, 8, 16])
    assert len(set(counts)) == 1 and counts[0] == 4 * 16 * 16 + 4 * 16


def test_the_trained_model_reverses_with_heads_that_differ_and_the_mask_breaks_the_first_half(demo):
    assert demo.test_accuracy == 1.0
    ids = steps6.parse_tokens(steps6.EXAMPLE)
    weights = lesson.block_steps(demo.block, steps6.attention_input(demo, ids)).attention.weights
    _, share = steps6.mirror_head(lesson.block_steps(demo.block, steps6.attention_input(demo, ids)).attention)
    assert share > 0.5, "one head looks at the mirror position"
    assert min(np.abs(weights[a] - weights[b]).max() for a in range(4) for b in range(a)) > 0.1, "no two heads alike"
    plain, masked = demo.by_position
    half = lesson.SEQ_LEN // 2
    assert (plain == 1).all()
    assert (masked[:half] < 0.2).all(), "the first half loses its mirror position: chance is 0.1"
    assert (masked[half:] > 0.95).all(), "the second half still sees it"
    masked_out = lesson.predict(demo, ids, causal=True)
    assert masked_out[half:] == ids[::-1][half:] and masked_out[:half] != ids[::-1][:half]


# ---------------------------------------------------------------- the page
def test_the_page_reads_a_sequence_toggles_the_mask_and_keeps_the_last_good_one(demo):
    at = app()
    at.switch_page(PAGE).run()
    no_exception(at)
    assert len(at.get("plotly_chart")) == 13
    assert len(at.success) == 2
    before = {c.proto.id: c.proto.spec for c in at.get("plotly_chart")}
    at.text_input(key="l7-text").input("2 7 1 8 2 8").run()
    no_exception(at)
    assert any("**2 7 1 8 2 8** and outputs **8 2 8 1 7 2**" in m.value for m in at.markdown)
    masked = lesson.predict(demo, [2, 7, 1, 8, 2, 8], causal=True)
    assert masked[3:] == [1, 7, 2], "with the mask, the second half is still reversed"
    assert any(f"With the mask, the model reads **2 7 1 8 2 8** and outputs **{' '.join(map(str, masked))}**" in m.value
               for m in at.markdown)
    after = [c.proto.spec for c in at.get("plotly_chart")]
    assert after[0] != next(iter(before.values())), "the heads follow the sequence"
    masked_heads = after[-2]
    at.toggle(key="l7-causal").set_value(False).run()
    no_exception(at)
    assert at.get("plotly_chart")[-2].proto.spec != masked_heads
    assert any("Without the mask, the model reads **2 7 1 8 2 8** and outputs **8 2 8 1 7 2**" in m.value for m in at.markdown)
    at.text_input(key="l7-text").input("2 7 1 8").run()
    no_exception(at)
    assert shown(at.error) == [str(steps6.TokenError(i18n.msg("learn_attention.input.length", length=6, count=4)))]
    assert any("**2 7 1 8 2 8**" in m.value for m in at.markdown), "the last sequence that worked stays"


def test_the_try_it_models_are_the_lesson_s():
    one, four, text = (link.spec() for link in lesson.TRY_IT)
    assert four.to_dict() == {**lesson.DEMO, "name": four.name}
    assert [layer.get("num_heads") for layer in one.to_dict()["layers"]] == [None, None, 1, None]
    assert analyze(text).ok and all(link.page == "train" for link in lesson.TRY_IT)
    with i18n.using("zh"):
        assert lesson.text_spec().name == "文本上的因果 Transformer（1 个块，4 个头）"


@pytest.mark.slow
def test_one_head_and_four_heads_both_learn_to_reverse_with_the_same_parameters():
    one, four = analyze(lesson.one_head_spec()), analyze(lesson.demo_spec())
    assert one.total_params == four.total_params
    for a in (one, four):
        records = list(train(a))
        assert len(records) == lesson.DEMO["training"]["epochs"] and records[-1].test_accuracy == 1.0
        assert records[1].test_accuracy < 0.6, "it has to learn it: two epochs are not enough"


@pytest.mark.slow
def test_the_causal_text_model_learns_the_next_character_and_never_looks_ahead():
    a = analyze(lesson.text_spec())
    trainer = Trainer(a)
    while not trainer.done:
        trainer.train_step()
    accuracy = trainer.evaluate(a.dataset.x_test, a.dataset.y_test)[1]
    commonest = np.bincount(a.dataset.y_test.flatten().numpy()).max() / a.dataset.y_test.numel()
    assert trainer.epoch == lesson.TEXT["training"]["epochs"] and accuracy > 2 * commonest
    model = trainer.model.eval()
    x = a.dataset.x_test[:8].clone()
    changed = x.clone()
    changed[:, 20:] = (changed[:, 20:] + 1) % len(a.dataset.vocab)
    with torch.no_grad():
        assert torch.allclose(model(x)[:, :20], model(changed)[:, :20], atol=1e-5), "positions before 20 never see it"
        assert not torch.allclose(model(x)[:, 20:], model(changed)[:, 20:], atol=1e-3)


@pytest.mark.browser
def test_the_lesson_draws_its_figures_in_chromium_and_the_mask_toggles(page, app_url):
    from playwright.sync_api import expect

    from conftest import wait_idle

    page.set_viewport_size({"width": 1280, "height": 9000})
    page.goto(f"{app_url}/learn_transformer")
    wait_idle(page, 180_000)
    charts = page.locator("[data-testid='stPlotlyChart']")
    expect(charts).to_have_count(13, timeout=180_000)  # the first visit on a server trains the lesson's model
    expect(page.locator(".katex").first).to_be_visible()
    for i in range(13):
        expect(charts.nth(i).locator(".main-svg").first).to_be_attached(timeout=30_000)
    expect(page.get_by_text("With the mask, the model reads 3 1 4 1 5 9 and outputs 3 1 4 4 1 3")).to_be_visible()
    page.locator(".st-key-l7-causal label").click()
    expect(page.get_by_text("Without the mask, the model reads 3 1 4 1 5 9 and outputs 9 5 1 4 1 3")).to_be_visible(timeout=30_000)
    assert page.locator("[data-testid='stException']").count() == 0
