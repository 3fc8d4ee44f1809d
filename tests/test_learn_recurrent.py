"""Lesson 5, recurrent networks: the hand-written RNN step and BPTT against PyTorch, the per-step gradients against
autograd, the recall dataset's rule and options, the unrolled diagram and gates against the real modules, the page's
controls, and the "try it" models trained to the point the lesson makes (counted in epochs)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from apptest import app, no_exception
from playground import i18n
from playground.analysis import analyze
from playground.datasets import DATASETS, DatasetError, load_dataset
from playground.lessons import recurrent as lesson
from playground.model import build_model
from playground.plots.lessons import recurrent as figs
from playground.spec import decode_link, from_data
from playground.training import train

PAGE = "pages/learn_recurrent.py"


# ---------------------------------------------------------------- the step and BPTT, against PyTorch
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_hand_written_rnn_step_reproduces_nn_rnn(seed):
    torch.manual_seed(seed)
    rnn = nn.RNN(5, 7, batch_first=True)
    x = torch.randn(12, 5) * 2
    assert torch.allclose(lesson.rnn_by_hand(rnn, x), rnn(x[None])[0][0], atol=1e-6)


def _rnn_and_head(seed: int) -> tuple[nn.RNN, nn.Linear, torch.Tensor]:
    torch.manual_seed(seed)
    rnn, head = nn.RNN(4, 6, batch_first=True), nn.Linear(6, 3)
    with torch.no_grad():
        rnn.weight_hh_l0.mul_(3)  # larger recurrent weights: some steps saturate, so tanh′ really matters
    return rnn, head, torch.randn(9, 4)


@pytest.mark.parametrize("targets", ["last step only", "every step"])
@pytest.mark.parametrize("seed", [0, 1])
def test_bptt_by_hand_equals_autograd_through_nn_rnn(targets, seed):
    rnn, head, x = _rnn_and_head(seed)
    y = [None] * 8 + [2] if targets == "last step only" else [int(k % 3) for k in range(9)]
    x.requires_grad_()
    outputs = head(rnn(x[None])[0][0])
    loss = sum(F.cross_entropy(outputs[k], torch.tensor(label)) for k, label in enumerate(y) if label is not None)
    loss.backward()
    hand = lesson.bptt_by_hand(rnn, head, x.detach(), y)
    assert np.allclose(hand.d_input, x.grad.numpy(), atol=1e-6)
    assert np.allclose(hand.d_w_hh, rnn.weight_hh_l0.grad.numpy(), atol=1e-5)
    assert np.allclose(hand.d_w_ih, rnn.weight_ih_l0.grad.numpy(), atol=1e-5)


def test_the_total_gradient_at_each_hidden_state_is_what_autograd_finds_stepping_the_real_module():
    rnn, head, x = _rnn_and_head(3)
    states, h = [], torch.zeros(1, 1, 6)
    for x_t in x:  # the real nn.RNN one step at a time, so each h_t is a tensor in the graph
        h = rnn(x_t[None, None], h)[1]
        h.retain_grad()
        states.append(h)
    F.cross_entropy(head(states[-1][0, 0]), torch.tensor(1)).backward()
    hand = lesson.bptt_by_hand(rnn, head, x, [None] * 8 + [1])
    assert np.allclose(hand.d_hidden, torch.stack([s.grad[0, 0] for s in states]).numpy(), atol=1e-6)


def test_the_lesson_reports_its_checks_on_the_demo_model():
    forward, backward, shapes = lesson.checks()
    assert forward < 1e-5 and backward < 1e-6
    assert shapes == {"w_ih": (32, 8), "w_hh": (32, 32), "b": (32,), "w_ho": (2, 32), "b_o": (2,)}


# ---------------------------------------------------------------- the gradient reaching each step
def test_rnn_step_gradients_are_the_hand_written_bptt_for_each_sequence():
    gap = 12
    profile = lesson.step_gradients("RNN", gap)
    model = build_model(analyze(lesson.recall_spec("RNN", gap)))
    data = load_dataset("recall", seq_len=gap + 1, vocab_size=lesson.VOCAB, n_samples=lesson.SAMPLES, seed=0)
    norms = []
    for seq, label in zip(data.x_test[:lesson.GRADIENT_BATCH], data.y_test[:lesson.GRADIENT_BATCH]):
        hand = lesson.bptt_by_hand(model[1].cell, model[3], model[0](seq).detach(), [None] * gap + [int(label)])
        norms.append(np.linalg.norm(hand.d_input, axis=1))
    assert profile.norms.shape == (gap + 1,)
    assert np.allclose(profile.norms, np.mean(norms, axis=0), rtol=1e-4)


def test_the_gradient_vanishes_over_fifty_steps_and_a_forget_bias_keeps_the_lstms_path_open():
    rnn, lstm, gru = (lesson.step_gradients(kind, 50) for kind in lesson.KINDS)
    assert rnn.ratio < 1e-10 and lstm.ratio < 1e-7 and gru.ratio < 1e-7  # what the lesson's reading says
    # "falls almost straight on the log scale": the same factor per step back
    assert np.corrcoef(np.arange(51), np.log(rnn.norms))[0, 1] > 0.98
    biased = [lesson.step_gradients("LSTM", 50, b).ratio for b in (1.0, 2.0, 3.0)]
    assert lstm.ratio < biased[0] < biased[1] < biased[2] and biased[1] > 1e-3


def test_the_forget_bias_moves_only_the_forget_gate():
    a = analyze(lesson.recall_spec("LSTM", 10))
    model, x = build_model(a), lesson.demo_input(a)
    before = lesson.gate_states(model, a, x)
    lesson.set_forget_bias(lesson.recurrent_layer(model), 3.0)
    after = lesson.gate_states(model, a, x)
    assert after["f"].min() > 0.85 and after["f"].mean() > 0.9 and 0.4 < before["f"].mean() < 0.6
    assert np.allclose(after["i"][0], before["i"][0]) and np.allclose(after["g"][0], before["g"][0])


# ---------------------------------------------------------------- the recall dataset
def test_recall_labels_are_the_first_token_and_follow_its_rule():
    ds = load_dataset("recall", seq_len=20, vocab_size=5, n_samples=500, seed=3)
    rule = DATASETS["recall"].rule
    for x, y in ((ds.x_train, ds.y_train), (ds.x_test, ds.y_test)):
        assert torch.equal(y, x[:, 0])
        assert all(rule(row.numpy()) == int(label) for row, label in zip(x[:50], y[:50]))
    assert ds.input_shape == (20,) and ds.num_classes == ds.vocab_size == 5 and ds.task == "multiclass"
    # the distractors after the first token are as random as it is: nothing but memory answers the question
    later = torch.cat([ds.x_train[:, 1:], ds.x_test[:, 1:]]).flatten().bincount(minlength=5).float()
    assert (later / later.sum() - 0.2).abs().max() < 0.02


@pytest.mark.parametrize("options, fragment", [
    ({"seq_len": 1}, "seq_len"), ({"seq_len": 129}, "seq_len"), ({"seq_len": 10.5}, "seq_len"),
    ({"vocab_size": 1}, "vocab_size"), ({"n_samples": 100}, "n_samples"), ({"gap": 5}, "gap"),
])
def test_recall_refuses_bad_options_with_a_sentence(options, fragment):
    with pytest.raises(DatasetError) as e:
        load_dataset("recall", **options)
    assert fragment in str(e.value)


def test_recall_is_offered_in_both_languages():
    for lang in ("en", "zh"):
        with i18n.using(lang):
            assert DATASETS["recall"].title and DATASETS["recall"].description
    with i18n.using("zh"):
        assert "第一个" in DATASETS["recall"].title


# ---------------------------------------------------------------- unrolled diagram and gates, from the real modules
def test_the_unrolled_diagram_shows_the_real_hidden_states():
    a = analyze(lesson.recall_spec("GRU", 5))
    model = build_model(a).eval()
    x = lesson.demo_input(a)
    u = lesson.unroll(model, a, x)
    with torch.no_grad():
        real = model[1](model[0](x))[0]
    assert np.allclose(u.hidden, real.numpy(), atol=1e-6)
    assert u.inputs == [str(int(v)) for v in x[0]] and u.kind == "GRU" and u.prediction in ("0", "1")
    dot = figs.unrolled(u)
    assert dot.count('[label="GRU"') == 6 and "⋯" not in dot.split("h0")[1].split("->")[0]
    assert f"{real[2, 0]:+.2f}".replace("-", "−") in dot  # h₃'s first value, as the box shows it


def test_a_long_sequence_is_drawn_with_its_middle_elided():
    a = analyze(lesson.recall_spec("RNN", 40))
    u = lesson.unroll(build_model(a).eval(), a, lesson.demo_input(a))
    dot = figs.unrolled(u)
    assert dot.count('[label="RNN"') == figs.MAX_STEPS - 1 and "cdots" in dot and "h41 [" in dot


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_gate_states_are_named_in_pytorchs_order(kind):
    """The gates come from the Inspect trace by position; rebuilding h_t from them by the equations proves the names."""
    a = analyze(lesson.recall_spec(kind, 6))
    model = build_model(a).eval()
    x = lesson.demo_input(a)
    s = lesson.gate_states(model, a, x)
    with torch.no_grad():
        real = model[1](model[0](x))[0].numpy()
    assert np.allclose(s["h"], real, atol=1e-6)
    prev = np.vstack([np.zeros((1, real.shape[1])), real[:-1]])
    if kind == "LSTM":
        assert list(s) == ["i", "f", "g", "o", "c", "h"]
        c_prev = np.vstack([np.zeros((1, real.shape[1])), s["c"][:-1]])
        assert np.allclose(s["c"], s["f"] * c_prev + s["i"] * s["g"], atol=1e-6)
        assert np.allclose(s["h"], s["o"] * np.tanh(s["c"]), atol=1e-6)
    else:
        assert list(s) == ["r", "z", "n", "h"]
        assert np.allclose(s["h"], (1 - s["z"]) * s["n"] + s["z"] * prev, atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("kind", lesson.KINDS)
def test_the_demo_models_the_page_shows_have_learned_to_recall(kind):
    model, a = lesson.trained_demo(kind)
    assert a.spec.training.epochs == lesson.DEMO_EPOCHS
    with torch.no_grad():
        assert (model(a.dataset.x_test).argmax(-1) == a.dataset.y_test).float().mean() == 1.0


def test_a_float_sequence_is_unrolled_with_its_values():
    spec = from_data({"dataset": {"name": "sine_forecast", "seq_len": 6, "n_samples": 200},
                      "layers": [{"type": "GRU", "hidden_size": 5, "bidirectional": True},
                                 {"type": "SequencePool", "mode": "last"}, {"type": "Linear", "out_features": 1}]})
    a = analyze(spec)
    x = lesson.demo_input(a)
    u = lesson.unroll(build_model(a).eval(), a, x)
    assert u.inputs == [f"{v:.2f}" for v in x[0, :, 0].tolist()] and u.prediction is None
    assert u.bidirectional and u.hidden.shape == (6, 10)
    assert "out [" not in figs.unrolled(u)


# ---------------------------------------------------------------- the page's controls
def test_the_gap_and_forget_bias_redraw_the_gradients_and_retarget_the_links():
    at = app()
    at.switch_page(PAGE).run()
    no_exception(at)
    before = at.get("plotly_chart")[0].proto.spec
    at.slider(key="l5-gap").set_value(20).run()
    no_exception(at)
    assert at.get("plotly_chart")[0].proto.spec != before
    links = [pl.proto for pl in at.get("page_link") if "spec=" in pl.proto.query_string]
    gap_links = [decode_link(dict(p.split("=", 1) for p in link.query_string.split("&"))["spec"]) for link in links[:3]]
    assert [s.dataset.seq_len for s in gap_links] == [21, 21, 21]
    assert [s.layers[1].type for s in gap_links] == ["RNN", "LSTM", "GRU"]
    shown = at.get("plotly_chart")[0].proto.spec
    at.slider(key="l5-bias").set_value(2.0).run()
    no_exception(at)
    assert at.get("plotly_chart")[0].proto.spec != shown


def test_the_gate_view_switches_between_lstm_and_gru():
    at = app(lang="zh")
    at.switch_page(PAGE).run()
    lstm = at.get("plotly_chart")[1].proto.spec
    at.segmented_control(key="l5-kind").set_value("GRU").run()
    no_exception(at)
    assert at.get("plotly_chart")[1].proto.spec != lstm
    assert any("z_t" in latex.value for latex in at.latex)


def test_the_diagram_unrolls_the_sessions_own_recurrent_model():
    spec = from_data({"name": "my [model](http://example.com)", "dataset": {"name": "majority", "seq_len": 5, "n_samples": 200},
                      "layers": [{"type": "Embedding", "embedding_dim": 4}, {"type": "LSTM", "hidden_size": 6},
                                 {"type": "SequencePool", "mode": "last"}, {"type": "Linear", "out_features": 2}]})
    at = app(spec=spec)
    at.switch_page(PAGE).run()
    no_exception(at)
    dot = at.get("graphviz_chart")[0].proto.spec
    assert dot.count('[label="LSTM"') == 5 and "h₀, c₀ = 0" in dot
    assert any(r"my \[model\]\(http" in c.value for c in at.caption)  # the user's name is shown, never as a link
    at = app()  # the default model (an MLP) has no recurrent layer: the demo RNN stands in
    at.switch_page(PAGE).run()
    assert at.get("graphviz_chart")[0].proto.spec.count('[label="RNN"') == lesson.DEMO_GAP + 1


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_in_chromium_the_lesson_draws_its_diagram_figures_and_formulas(page, app_url, lang):
    from playwright.sync_api import expect

    from conftest import wait_idle

    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{app_url}/learn_recurrent?lang={lang}")
    wait_idle(page, timeout=180_000)
    cells = page.locator("[data-testid='stGraphVizChart'] svg g.node", has_text="RNN")
    expect(cells).to_have_count(lesson.DEMO_GAP + 1, timeout=30_000)  # one cell per step of the demo sequence
    expect(page.locator(".js-plotly-plot")).to_have_count(2, timeout=30_000)
    assert page.locator(".katex").count() > 20 and page.get_by_test_id("stException").count() == 0
    page.get_by_role("slider").first.focus()
    page.keyboard.press("ArrowRight")  # the gap N: 30 → 35
    expect(page.get_by_text("N = 35").first).to_be_visible(timeout=60_000)


# ---------------------------------------------------------------- "try it" models train to the point made
def test_lesson_specs_are_named_in_the_session_language():
    with i18n.using("zh"):
        assert "LSTM" in lesson.recall_lstm().name and "第一个" in lesson.recall_lstm().name


def _accuracies(spec, epochs: int | None = None) -> list[float]:
    """Test accuracy after each epoch, trained headless as Train trains (counted in epochs, no time budget)."""
    return [r.test_accuracy for r in train(analyze(spec), epochs=epochs, max_seconds=3600)]


@pytest.mark.slow
def test_at_a_gap_of_30_the_rnn_learns_to_recall_by_epoch_3():
    assert _accuracies(lesson.recall_rnn(), epochs=3)[-1] >= 0.95


@pytest.mark.slow
def test_at_a_gap_of_30_the_gru_sits_at_chance_then_learns_at_epoch_12():
    accuracies = _accuracies(lesson.recall_gru(), epochs=12)
    assert max(accuracies[:11]) < 0.6 and accuracies[11] >= 0.95


@pytest.mark.slow
def test_at_a_gap_of_30_the_lstm_as_pytorch_initialises_it_stays_at_chance_for_30_epochs():
    assert lesson.recall_lstm().training.epochs == 30
    assert max(_accuracies(lesson.recall_lstm())) < 0.6


@pytest.mark.slow
def test_at_a_gap_of_50_the_rnn_with_a_smaller_learning_rate_escapes_the_plateau_by_epoch_19():
    accuracies = _accuracies(lesson.recall_rnn_far(), epochs=19)
    assert max(accuracies[:16]) < 0.6 and accuracies[18] >= 0.95


@pytest.mark.slow
def test_at_a_gap_of_10_the_lstm_with_learning_rate_0_001_learns_by_epoch_4():
    assert _accuracies(lesson.recall_lstm_near(), epochs=4)[-1] >= 0.95
    assert max(_accuracies(lesson.recall_spec("LSTM", 10), epochs=10)) < 0.6  # with 0.01 it does not


@pytest.mark.slow
def test_the_stacked_lstm_predicts_next_characters_far_better_than_always_guessing_a_space():
    spec = lesson.stacked_lstm()
    a = analyze(spec)
    assert [layer.type for layer in spec.layers] == ["Embedding", "LSTM", "Linear"] and spec.layers[1].num_layers == 2
    commonest = a.dataset.y_test.flatten().bincount().max().item() / a.dataset.y_test.numel()
    accuracies = _accuracies(spec, epochs=4)
    assert commonest < 0.2 and accuracies[0] > 0.3 and accuracies[-1] >= 0.45
