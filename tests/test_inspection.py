"""Inspection: every trace and every formula a panel shows, checked against what PyTorch itself computes."""
import math
import re
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from playground import inspection as I
from playground.datasets import Dataset, load_dataset
from playground.i18n import using
from playground.inspection import formulas, recurrent
from playground.model import build_model
from playground.modules import SelfAttention
from playground.training import Trainer
from conftest import analyze_doc as analyze

# A 5×5 image and a vertical-edge (Prewitt) kernel: the expected maps come from F.conv2d and F.max_pool2d.
IMAGE = torch.tensor([[1, 2, 0, 1, 3],
                      [0, 1, 2, 3, 1],
                      [1, 0, 1, 2, 2],
                      [2, 1, 0, 1, 0],
                      [0, 3, 1, 0, 1]], dtype=torch.float32)
EDGE = torch.tensor([[1, 0, -1]] * 3, dtype=torch.float32)


def _image_dataset() -> Dataset:
    x = IMAGE[None, None].repeat(4, 1, 1, 1)
    y = torch.tensor([0, 1, 0, 1])
    return Dataset("tiny", "multiclass", x, y, x, y, (1, 5, 5), "float", 2, ("0", "1"))


def _edge_model(pool: dict):
    spec = {"dataset": {"name": "upload"}, "layers": [{"type": "Conv2d", "out_channels": 1, "kernel_size": 3}, pool,
                                                    {"type": "Flatten"}, {"type": "Linear", "out_features": 2}]}
    ds = _image_dataset()
    analysis = analyze(spec, ds).raise_if_invalid()
    model = build_model(analysis)
    with torch.no_grad():
        model[0].weight.copy_(EDGE[None, None])
        model[0].bias.zero_()
    return analysis, model, ds


def _example(example, name: str, **dataset):
    spec = example(name)
    spec["dataset"].update(dataset)
    analysis = analyze(spec).raise_if_invalid()
    return analysis, build_model(analysis).eval()


def _trained(analysis, epochs: int) -> Trainer:
    trainer = Trainer(analysis)
    trainer.epochs = epochs
    while not trainer.done:
        trainer.train_step()
    return trainer


# ---------------------------------------------------------------- convolution and pooling
@pytest.mark.parametrize("pool, torch_pool", [
    ({"type": "MaxPool2d", "kernel_size": 2, "stride": 1}, lambda y: F.max_pool2d(y, 2, stride=1)),
    ({"type": "AvgPool2d", "kernel_size": 2, "stride": 1}, lambda y: F.avg_pool2d(y, 2, stride=1)),
])
def test_edge_kernel_and_pooling_maps_are_pytorchs(pool, torch_pool):
    analysis, model, ds = _edge_model(pool)
    x, info = I.prepare_input(ds, 0)
    tr = I.trace(model, analysis, x)
    edges = F.conv2d(IMAGE[None, None], EDGE[None, None])
    assert [layer.type for layer in tr.layers] == ["Conv2d", pool["type"], "Flatten", "Linear"]
    assert tr.layers[0].out_shape == tuple(edges.shape[1:])
    np.testing.assert_allclose(tr.layers[0].output, edges[0].numpy(), atol=1e-6)
    np.testing.assert_allclose(tr.layers[1].output, torch_pool(edges)[0].numpy(), atol=1e-6)
    np.testing.assert_allclose(tr.probabilities.sum(), 1.0, atol=1e-6)
    assert tr.prediction == tr.probabilities.argmax()


def test_conv_step_shows_pytorchs_patch_products_and_sum():
    analysis, model, ds = _edge_model({"type": "MaxPool2d", "kernel_size": 2, "stride": 1})
    [kset] = I.kernels(model, analysis)
    assert kset.weights.shape == (1, 1, 3, 3) and kset.stride == 1 and kset.padding == 0
    step = I.conv_step(IMAGE.numpy()[None], kset.weights[0], float(kset.bias[0]), 1, 0, 1, 1)
    # PyTorch's own im2col: column 4 of unfold is the 3×3 patch under output pixel (1, 1)
    patch = F.unfold(IMAGE[None, None], 3)[0, :, 4].reshape(3, 3)
    np.testing.assert_array_equal(step.patch[0], patch.numpy())
    np.testing.assert_array_equal(step.products[0], (EDGE * patch).numpy())
    expected = float(F.conv2d(IMAGE[None, None], EDGE[None, None])[0, 0, 1, 1])
    assert step.total == step.result == expected
    from playground.plots import conv
    fig, text = conv.conv_step(step)
    symbolic, numbers = text.splitlines()
    assert symbolic == "y(1,1) = Σₘ Σₙ w(m,n)·x(1+m, 1+n) + b"
    terms = numbers.split(" + ")
    assert len(terms) == 10 and terms[0] == "= 1.00·1.00" and terms[2] == "(−1.00)·3.00"  # w(0,2)·x(1,3)
    assert numbers.endswith(f"= {expected:.2f}".replace("-", "−"))


@pytest.mark.parametrize("stride, padding, dilation", [(1, 0, 1), (2, 1, 1), (1, 2, 1), (3, 1, 1), (1, 1, 2)])
def test_conv_step_equals_pytorch_conv2d_everywhere(stride, padding, dilation):
    gen = torch.Generator().manual_seed(stride * 10 + padding)
    x = torch.randn(3, 7, 7, generator=gen)
    w = torch.randn(4, 3, 3, 3, generator=gen)
    b = torch.randn(4, generator=gen)
    y = F.conv2d(x[None], w, b, stride=stride, padding=padding, dilation=dilation)[0]
    for c in (0, 3):
        for i in range(y.shape[1]):
            for j in range(y.shape[2]):
                step = I.conv_step(x.numpy(), w[c].numpy(), float(b[c]), stride, padding, i, j, dilation=dilation)
                assert step.result == pytest.approx(float(y[c, i, j]), abs=1e-4)
    with pytest.raises(ValueError, match="outside the"):
        I.conv_step(x.numpy(), w[0].numpy(), 0.0, stride, padding, y.shape[1], 0, dilation=dilation)


@pytest.mark.parametrize("kind, kernel, stride, padding", [
    ("max", 2, None, 0), ("max", 3, 2, 1), ("max", 2, 1, 1), ("avg", 2, None, 0), ("avg", 3, 2, 1), ("avg", 3, 1, 1)])
def test_pool_step_equals_pytorch_pooling_everywhere(kind, kernel, stride, padding):
    """The pooling formula: max over the window (−∞ in the padding), or the mean counting padded zeros."""
    x = torch.randn(1, 7, 7, generator=torch.Generator().manual_seed(kernel * 7 + padding))
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    y = pool(x[None], kernel, stride=stride, padding=padding)[0, 0]
    for i in range(y.shape[0]):
        for j in range(y.shape[1]):
            step = I.pool_step(x[0].numpy(), kind, kernel, stride, padding, i, j)
            assert step.result == pytest.approx(float(y[i, j]), abs=1e-5)


@pytest.mark.parametrize("layer", [
    {"type": "Conv2d", "out_channels": 3, "kernel_size": 3, "stride": 2, "padding": 1, "dilation": 1},
    {"type": "Conv2d", "out_channels": 3, "kernel_size": 3, "stride": 1, "padding": 0, "dilation": 2},
    {"type": "Conv2d", "out_channels": 3, "kernel_size": 2, "stride": 3, "padding": 2},
])
def test_the_output_size_formula_gives_pytorchs_shape(layer):
    spec = {"dataset": {"name": "digits"}, "layers": [layer, {"type": "Flatten"}, {"type": "Linear", "out_features": 10}]}
    analysis = analyze(spec).raise_if_invalid()
    model = build_model(analysis)
    [kset] = I.kernels(model, analysis)
    tr = I.trace(model, analysis, I.prepare_input(analysis.dataset, 0)[0])
    latex = formulas.convolution(kset, tr.layer_input(0).shape)
    assert latex.rstrip(r"\end{gathered}").endswith(f"= {tr.layers[0].out_shape[-1]}")
    assert f"s = {kset.stride}" in latex and f"p = {kset.padding}" in latex and f"d = {kset.dilation}" in latex
    assert I.output_size(8, kset.weights.shape[-1], kset.stride, kset.padding, kset.dilation) == tr.layers[0].out_shape[-1]


def test_pooling_formula_gives_pytorchs_shape_and_has_no_dilation():
    spec = {"dataset": {"name": "digits"}, "layers": [{"type": "MaxPool2d", "kernel_size": 3, "stride": 2, "padding": 1},
                                                      {"type": "Flatten"}, {"type": "Linear", "out_features": 10}]}
    analysis = analyze(spec).raise_if_invalid()
    info = analysis.layers[0]
    latex = formulas.pooling("MaxPool2d", info.args, info.in_shape, info.out_shape)
    assert latex.rstrip(r"\end{gathered}").endswith(f"= {info.out_shape[-1]}") and "d(k-1)" not in latex
    assert info.out_shape[-1] == F.max_pool2d(torch.zeros(1, 1, 8, 8), 3, 2, 1).shape[-1]


def test_conv1d_outputs_are_read_as_channels():
    spec = {"dataset": {"name": "digits"},
            "layers": [{"type": "Reshape", "shape": [8, 8]}, {"type": "Conv1d", "out_channels": 4, "kernel_size": 3},
                       {"type": "ReLU"}, {"type": "Flatten"}, {"type": "Linear", "out_features": 10}]}
    analysis = analyze(spec).raise_if_invalid()
    model = build_model(analysis)
    tr = I.trace(model, analysis, I.prepare_input(analysis.dataset, 0)[0])
    assert [layer.kind for layer in tr.layers] == ["sequence", "channels", "channels", "vector", "vector"]
    [kset] = I.kernels(model, analysis)
    assert kset.weights.shape == (4, 8, 3)
    relu = next(s for s in I.activation_stats(model, analysis, analysis.dataset.x_test[:32]) if s.type == "ReLU")
    assert relu.units == 4  # a channel is one unit: its kernel is shared along the length
    assert formulas.convolution(kset, (8, 8)).rstrip(r"\end{gathered}").endswith(f"= {tr.layers[1].out_shape[-1]}")


# ---------------------------------------------------------------- attention
def test_attention_rows_are_distributions_and_capture_is_restored(example):
    analysis, model = _example(example, "transformer_reverse", n_samples=200)
    model.train()  # trace must not leave eval mode behind, nor dropout on
    x, info = I.prepare_input(analysis.dataset, 3)
    tr = I.trace(model, analysis, x)
    assert model.training
    assert [a.index for a in tr.attention] == [2, 3]
    for att in tr.attention:
        assert att.weights.shape == (4, 8, 8) and not att.causal and att.d_k == 8
        np.testing.assert_allclose(att.weights.sum(axis=-1), 1.0, atol=1e-5)
    attention_modules = [m for m in model.modules() if isinstance(m, SelfAttention)]
    assert all(not m.capture and m.last_weights is None for m in attention_modules)
    assert tr.probabilities.shape == (8, 10) and tr.prediction.shape == (8,)
    assert info["target_tokens"] == info["tokens"][::-1]


@pytest.mark.parametrize("causal", [False, True])
def test_attention_steps_are_the_formula_and_match_pytorch(causal):
    """softmax(QKᵀ/√d_k + M)·V then W^O: the intermediates the lesson and the panel show, against nn.MultiheadAttention."""
    torch.manual_seed(0)
    ours = SelfAttention(16, 4, causal=causal).eval()
    ref = nn.MultiheadAttention(16, 4, batch_first=True).eval()
    with torch.no_grad():
        ref.in_proj_weight.copy_(ours.in_proj.weight)
        ref.in_proj_bias.copy_(ours.in_proj.bias)
        ref.out_proj.weight.copy_(ours.out_proj.weight)
        ref.out_proj.bias.copy_(ours.out_proj.bias)
    x = torch.randn(6, 16)
    mask = torch.ones(6, 6, dtype=torch.bool).triu(1) if causal else None
    out, weights = ref(x[None], x[None], x[None], attn_mask=mask, average_attn_weights=False)
    steps = I.attention_steps(ours, x)
    np.testing.assert_allclose(steps.weights, weights[0].detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(steps.output, out[0].detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(steps.scaled[np.isfinite(steps.scaled)],
                               (steps.scores / math.sqrt(4))[np.isfinite(steps.scaled)], atol=1e-6)
    assert np.isneginf(steps.scaled[:, np.triu_indices(6, 1)[0], np.triu_indices(6, 1)[1]]).all() == causal
    latex = formulas.attention("MultiheadAttention", 16, 4, causal)
    assert r"\sqrt{d_k}" in latex and "d_k = d / h = 16 / 4 = 4" in latex and ("+ M" in latex) == causal


def test_causal_mask_gives_exact_zeros_and_blank_cells():
    from playground.plots import attention
    spec = {"dataset": {"name": "reverse", "n_samples": 200},
            "layers": [{"type": "Embedding", "embedding_dim": 16}, {"type": "PositionalEncoding"},
                       {"type": "MultiheadAttention", "num_heads": 2, "causal": True}, {"type": "Linear", "out_features": 10}]}
    analysis = analyze(spec).raise_if_invalid()
    model = build_model(analysis)
    x = I.prepare_input(analysis.dataset, 0)[0]
    tr = I.trace(model, analysis, x)
    [att] = tr.attention
    assert att.causal and att.weights.shape == (2, 8, 8)
    future = np.triu(np.ones((8, 8), dtype=bool), 1)
    assert (att.weights[:, future] == 0).all()
    assert (att.weights[:, ~future] > 0).all()
    np.testing.assert_allclose(att.weights.sum(axis=-1), 1.0, atol=1e-6)
    with torch.no_grad():  # the captured weights are the formula's, on the layer's own input
        steps = I.attention_steps(model[2], torch.from_numpy(tr.layer_input(2)))
    np.testing.assert_allclose(att.weights, steps.weights, atol=1e-6)
    fig = attention.attention_heatmaps(att, tr.tokens)
    heatmaps = [trace for trace in fig.data if trace.type == "heatmap"]
    assert len(heatmaps) == 3  # two heads and their mean
    for heatmap in heatmaps:  # masked cells are left blank and hatched, not drawn as a weight of 0
        z = np.array(heatmap.z, dtype=float)
        assert np.isnan(z[future]).all() and not np.isnan(z[~future]).any()
    assert sum(trace.type == "scatter" and trace.fill == "toself" for trace in fig.data) == 3
    assert len(attention.attention_heatmaps(att, tr.tokens, shown=[2]).data) == 2  # the mean alone, hatched


# ---------------------------------------------------------------- recurrent states: the equations are PyTorch's
@pytest.mark.parametrize("module", [
    nn.RNN(3, 5, batch_first=True), nn.RNN(3, 5, nonlinearity="relu", batch_first=True),
    nn.LSTM(3, 5, batch_first=True), nn.GRU(3, 5, batch_first=True), nn.LSTM(3, 5, bias=False, batch_first=True)],
    ids=["rnn-tanh", "rnn-relu", "lstm", "gru", "lstm-no-bias"])
def test_the_shown_equations_reproduce_pytorchs_recurrent_layers(module):
    """The same Equation objects are drawn as LaTeX and computed: stepping them gives nn.RNN/LSTM/GRU's output."""
    torch.manual_seed(1)
    for p in module.parameters():
        nn.init.normal_(p, std=0.6)
    x = torch.randn(7, 3)
    with torch.no_grad():
        out, state = module(x[None])
    states = recurrent.Cell(module).run(x)
    np.testing.assert_allclose(states["h"], out[0].numpy(), atol=1e-5)
    if isinstance(module, nn.LSTM):
        np.testing.assert_allclose(states["c"][-1], state[1][0, 0].numpy(), atol=1e-5)


def test_the_equations_read_as_pytorchs_documentation():
    lstm, gru = formulas.recurrence("LSTM"), formulas.recurrence("GRU")
    for gate, fn in (("i", r"\sigma"), ("f", r"\sigma"), ("g", r"\tanh"), ("o", r"\sigma")):
        assert rf"{gate}_t = {fn}\left(W_{{i{gate}}} x_t + b_{{i{gate}}} + W_{{h{gate}}} h_{{t-1}} + b_{{h{gate}}}\right)" in lstm
    assert r"c_t = f_t \odot c_{t-1} + i_t \odot g_t" in lstm and r"h_t = o_t \odot \tanh\left(c_t\right)" in lstm
    assert r"n_t = \tanh\left(W_{in} x_t + b_{in} + r_t \odot \left(W_{hn} h_{t-1} + b_{hn}\right)\right)" in gru
    assert r"h_t = \left(1 - z_t\right) \odot n_t + z_t \odot h_{t-1}" in gru
    assert [eq.name for eq in recurrent.equations("LSTM")][:4] == list(recurrent.STACK_ORDER["LSTM"])
    assert r"\mathrm{ReLU}" in formulas.recurrence("RNN", "relu")


def test_lstm_and_gru_traces_carry_the_gates_pytorch_computed(example):
    for name, size in (("lstm_majority", 32), ("gru_sine", 32)):
        analysis, model = _example(example, name, n_samples=200)
        tr = I.trace(model, analysis, I.prepare_input(analysis.dataset, 5)[0])
        [rec] = tr.recurrent
        assert list(rec.gates) == list(recurrent.GATED[rec.type]) and rec.hidden.shape[1] == size
        for gate in set(rec.gates) & recurrent.SQUASHED:
            assert ((rec.gates[gate] > 0) & (rec.gates[gate] < 1)).all()
        x = torch.from_numpy(tr.layer_input(rec.index))
        np.testing.assert_allclose(recurrent.Cell(model[rec.index].cell).run(x)["h"], rec.hidden, atol=1e-5)
        if rec.type == "LSTM":
            c_prev = np.vstack([np.zeros((1, size)), rec.cell[:-1]])
            g = rec.gates
            np.testing.assert_allclose(rec.cell, g["f"] * c_prev + g["i"] * g["g"], atol=1e-6)


# ---------------------------------------------------------------- decision maps
@pytest.mark.parametrize("loss, outputs, to_p", [
    ("CrossEntropyLoss", 2, lambda out: out.softmax(-1)[:, 1]),
    ("BCEWithLogitsLoss", 1, lambda out: torch.sigmoid(out[:, 0])),
    ("MSELoss", 1, lambda out: out[:, 0].clamp(0, 1)),
])
def test_binary_grid_is_the_models_own_probability(loss, outputs, to_p):
    spec = {"dataset": {"name": "circle", "n_samples": 200},
            "layers": [{"type": "Linear", "out_features": 8}, {"type": "Tanh"}, {"type": "Linear", "out_features": 8},
                       {"type": "ReLU"}, {"type": "Linear", "out_features": outputs}], "loss": {"type": loss}}
    analysis = analyze(spec).raise_if_invalid()
    model, ds = build_model(analysis), analysis.dataset
    grid = I.decision_grid(model, analysis, ds, resolution=30, neurons=True)
    assert grid.task == "binary" and grid.output.shape == (30, 30) and grid.xs.shape == grid.ys.shape == (30,)
    both = torch.cat([ds.x_train, ds.x_test])
    assert grid.xs[0] < both[:, 0].min() and grid.xs[-1] > both[:, 0].max()
    assert grid.ys[0] < both[:, 1].min() and grid.ys[-1] > both[:, 1].max()
    assert [(n.label, n.values.shape) for n in grid.neurons] == [
        ("0 Linear", (8, 30, 30)), ("1 Tanh", (8, 30, 30)), ("2 Linear", (8, 30, 30)), ("3 ReLU", (8, 30, 30))]
    for row, col in [(0, 0), (7, 22), (29, 3), (15, 15)]:
        point = torch.tensor([[grid.xs[col], grid.ys[row]]])
        with torch.no_grad():
            assert grid.output[row, col] == pytest.approx(float(to_p(model(point))[0]), abs=1e-5)
            hidden = torch.tanh(model[0](point))[0]
        np.testing.assert_allclose(grid.neurons[1].values[:, row, col], hidden.numpy(), atol=1e-5)
    rule = I.probability_rule(analysis, outputs)
    assert formulas.decision("binary", rule).startswith(r"\begin{gathered}" + formulas.probability(rule))


def test_regression_grid_curve_and_inputs_that_cannot_be_mapped(example):
    spec = {"dataset": {"name": "sine", "n_samples": 200},
            "layers": [{"type": "Linear", "out_features": 8}, {"type": "Tanh"}, {"type": "Linear", "out_features": 1}]}
    analysis = analyze(spec).raise_if_invalid()
    model = build_model(analysis)
    curve = I.decision_curve(model, analysis, analysis.dataset, resolution=50, neurons=True)
    assert curve.xs.shape == curve.prediction.shape == (50,)
    with torch.no_grad():
        np.testing.assert_allclose(curve.prediction, model(torch.from_numpy(curve.xs[:, None]))[:, 0].numpy(), atol=1e-6)
    assert [(n.type, n.values.shape) for n in curve.neurons] == [("Linear", (8, 50)), ("Tanh", (8, 50))]
    plane = analyze({"dataset": {"name": "plane", "n_samples": 200},
                     "layers": [{"type": "Linear", "out_features": 4}, {"type": "Linear", "out_features": 1}]})
    grid = I.decision_grid(build_model(plane), plane, plane.dataset, resolution=20)
    assert grid.task == "regression" and grid.output.shape == (20, 20) and grid.confidence is None
    digits, _ = _example(example, "cnn_digits")
    assert I.map_kind(digits.dataset) is None
    with pytest.raises(ValueError, match="needs 2 input features"):
        I.decision_grid(build_model(digits), digits, digits.dataset)


@pytest.mark.parametrize("last, loss, rule, expected", [
    ([], "CrossEntropyLoss", "softmax", lambda z: z.softmax(-1)),
    ([{"type": "Softmax"}], "MSELoss", "given", lambda z: z),
    ([{"type": "LogSoftmax"}], "NLLLoss", "exp", lambda z: z.exp()),
])
def test_probabilities_follow_the_formula_shown(last, loss, rule, expected):
    spec = {"dataset": {"name": "iris"}, "layers": [{"type": "Linear", "out_features": 3}, *last], "loss": {"type": loss}}
    analysis = analyze(spec).raise_if_invalid()
    assert I.probability_rule(analysis, 3) == rule
    z = torch.randn(5, 3).softmax(-1) if rule == "given" else torch.randn(5, 3).log_softmax(-1) if rule == "exp" \
        else torch.randn(5, 3)
    torch.testing.assert_close(I.probabilities(z, analysis), expected(z))


# ---------------------------------------------------------------- a whole split
def test_confusion_matrix_counts_the_test_split_and_matches_accuracy(example):
    analysis = analyze(example("cnn_digits")).raise_if_invalid()
    trainer = _trained(analysis, 1)
    ds = analysis.dataset
    ev = I.evaluate(trainer.model, analysis, ds)
    assert ev.confusion.shape == (10, 10) and ev.confusion.sum() == ds.n_test == ev.n
    np.testing.assert_array_equal(ev.confusion.sum(axis=1), np.bincount(ds.y_test.numpy(), minlength=10))
    _, accuracy = trainer.evaluate(ds.x_test, ds.y_test)
    assert ev.accuracy == pytest.approx(np.trace(ev.confusion) / ds.n_test) == pytest.approx(accuracy, abs=1e-6)
    np.testing.assert_allclose(ev.per_class_accuracy, np.diag(ev.confusion) / ev.confusion.sum(axis=1))
    assert 0 < len(ev.wrong) <= 8
    confidences = [w.confidence for w in ev.wrong]
    assert confidences == sorted(confidences, reverse=True)
    for w in ev.wrong:
        assert w.true == int(ds.y_test[w.index]) != w.predicted
        np.testing.assert_array_equal(w.input, ds.x_test[w.index].numpy())
        assert not np.shares_memory(w.input, ds.x_test.numpy())  # the dataset is shared by every session


def test_per_token_and_regression_evaluation(example):
    from playground.plots import evaluation
    analysis, model = _example(example, "transformer_reverse", n_samples=300)
    ds = analysis.dataset
    ev = I.evaluate(model, analysis, ds)
    assert ev.confusion.shape == (10, 10) and ev.confusion.sum() == ds.n_test * 8
    with torch.no_grad():
        pred = model(ds.x_test).argmax(-1)
    assert ev.accuracy == pytest.approx(float((pred == ds.y_test).float().mean()))
    assert ev.sequence_accuracy == pytest.approx(float((pred == ds.y_test).all(dim=1).float().mean()))
    table = evaluation.wrong_examples(ev)
    assert table.data[0].type == "table"
    header = [h.strip("<b/>") for h in table.data[0].header.values]
    assert header == ["sample", "input", "true", "predicted", "confidence", "wrong tokens"]
    analysis = analyze(example("gru_sine")).raise_if_invalid()
    trainer = _trained(analysis, 1)
    ev = I.evaluate(trainer.model, analysis, analysis.dataset)
    mse, _ = trainer.evaluate(analysis.dataset.x_test, analysis.dataset.y_test)
    np.testing.assert_allclose(ev.residuals, ev.y_true - ev.y_pred)
    assert ev.mse == pytest.approx(mse, rel=1e-4) and ev.confusion is None
    from sklearn.metrics import mean_absolute_error, r2_score
    assert ev.r2 == pytest.approx(r2_score(ev.y_true, ev.y_pred), rel=1e-6)
    assert ev.mae == pytest.approx(mean_absolute_error(ev.y_true, ev.y_pred), rel=1e-6)


# ---------------------------------------------------------------- training health
def test_gradient_history_reads_any_record_with_grad_norms(example):
    records = [SimpleNamespace(grad_norms={"0 Linear": 1.0, "2 Linear": 0.5}), SimpleNamespace(grad_norms={"0 Linear": 0.25})]
    history = I.gradient_history(records)
    assert list(history) == ["0 Linear", "2 Linear"]
    np.testing.assert_array_equal(history["0 Linear"], [1.0, 0.25])
    assert history["2 Linear"][0] == 0.5 and np.isnan(history["2 Linear"][1])
    analysis = analyze(example("mlp_spiral")).raise_if_invalid()
    trainer = Trainer(analysis)
    trainer.epochs = 2
    epochs = []
    while not trainer.done:
        _, record = trainer.train_step()
        if record is not None:
            epochs.append(record)
    labels = [info_label for info_label in I.gradient_history(epochs)]
    assert labels == [info.label for info in analysis.layers if info.params]


def test_activation_and_weight_stats(example):
    analysis, model = _example(example, "cnn_digits")
    with torch.no_grad():
        model[0].bias[2] = -100.0  # channel 2 of the first ReLU can never fire
    stats = I.activation_stats(model, analysis, analysis.dataset.x_test[:64])
    first_relu = next(s for s in stats if s.index == 1)
    assert first_relu.units == model[0].out_channels and 2 in first_relu.dead_units
    assert first_relu.dead_fraction == len(first_relu.dead_units) / first_relu.units
    assert all(s.dead_fraction is None for s in stats if s.type != "ReLU")
    assert "Flatten" not in [s.type for s in stats]
    weights = I.weight_stats(model, analysis)
    expected = [(info.label, sum(p.numel() for p in layer.parameters() if p.dim() >= 2))
                for layer, info in zip(model, analysis.layers)
                if any(p.dim() >= 2 for p in layer.parameters())]
    assert [(w.label, w.count) for w in weights] == expected
    text, text_model = _example(example, "transformer_text", n_samples=200)
    big = I.weight_stats(text_model, text)[1]
    assert big.count == sum(p.numel() for p in text_model[2].parameters() if p.dim() >= 2) > I.dynamics.MAX_HIST_VALUES
    assert len(big.values) == I.dynamics.MAX_HIST_VALUES


# ---------------------------------------------------------------- inputs: samples, drawings, typed tokens
def _stroke_canvas(size: int = 280) -> np.ndarray:
    canvas = np.zeros((size, size))
    canvas[40:240, 120:160] = 255  # a thick vertical bar: a "1", white on black, 0..255
    return canvas


def test_drawings_are_normalised_like_the_dataset():
    digits = load_dataset("digits")
    x, info = I.prepare_input(digits, raw=_stroke_canvas())
    assert info["source"] == "drawing" and x.shape == (1, 1, 8, 8) and x.dtype == torch.float32
    assert float(x.min()) == 0.0 and float(x.max()) == pytest.approx(1.0)
    inverted, _ = I.prepare_input(digits, raw=1.0 - _stroke_canvas() / 255)  # black on white, 0..1
    torch.testing.assert_close(inverted, x)
    # a dataset digit, drawn 8 times larger, comes back as itself (the area average undoes the enlargement)
    images = digits.x_test[:, 0].numpy()
    full = [k for k, im in enumerate(images) if im.max() == 1 and im[0].any() and im[-1].any() and im[:, 0].any()
            and im[:, -1].any()]
    original = images[full[0]]
    back, _ = I.prepare_input(digits, raw=np.kron(original, np.ones((8, 8))))
    np.testing.assert_allclose(back[0, 0].numpy(), original, atol=1e-6)
    shapes = load_dataset("shapes", n_samples=100)
    assert I.prepare_input(shapes, raw=_stroke_canvas())[0].shape == (1, 1, 28, 28)
    with pytest.raises(ValueError, match="empty"):
        I.prepare_input(digits, raw=np.zeros((100, 100)))


def test_a_picked_sample_is_a_copy_of_the_shared_dataset():
    digits = load_dataset("digits")
    x, _ = I.prepare_input(digits, 0)
    x += 1.0  # a page that changed its input in place must not change every session's dataset
    assert float(digits.x_test[0].max()) <= 1.0


def test_typed_tokens_and_their_mistakes():
    reverse = load_dataset("reverse", n_samples=200)
    x, info = I.prepare_input(reverse, raw="3 1 4 1 5 9 2 6")
    assert x.tolist() == [[3, 1, 4, 1, 5, 9, 2, 6]] and x.dtype == torch.long
    assert info["tokens"] == list("31415926") and info["target_tokens"] == list("62951413")
    with pytest.raises(ValueError, match="needs exactly 8 tokens.*you typed 3"):
        I.prepare_input(reverse, raw="3 1 4")
    with pytest.raises(ValueError, match="'a' and 'x' are not tokens of reverse"):
        I.prepare_input(reverse, raw="3 a 4 x 5 9 2 6")
    assert I.prepare_input(reverse, raw="３，１，４，１，５，９，２，６")[0].tolist() == x.tolist()  # a Chinese input method
    parity = load_dataset("parity", n_samples=200)
    assert I.prepare_input(parity, raw="10110001")[1]["label_name"] == "even"
    text = load_dataset("text", n_samples=200)
    x, info = I.prepare_input(text, raw="Alice was")
    assert x.shape == (1, 9) and info["tokens"] == list("alice") + ["␣"] + list("was")
    with pytest.raises(ValueError, match="'#' and '1' are not in the text's alphabet"):
        I.prepare_input(text, raw="alice #1")
    with pytest.raises(ValueError, match="between 1 and 32 characters"):
        I.prepare_input(text, raw="x" * 33)
    with pytest.raises(ValueError, match="the test split has 40 samples"):
        I.prepare_input(reverse, 40)


def test_typed_tokens_read_a_chinese_vocabulary_and_speak_chinese():
    vocab = ("零", "一", "二", "三", "四")
    x = torch.tensor([[1, 2, 3, 4]] * 4)
    ds = Dataset("reverse", "token_classification", x, x, x, x, (4,), "tokens", 5, vocab, vocab)
    ids, info = I.prepare_input(ds, raw="一二三四")
    assert ids.tolist() == [[1, 2, 3, 4]] and info["target_tokens"] == ["四", "三", "二", "一"]
    assert I.prepare_input(ds, raw="一 二 三 四")[0].tolist() == ids.tolist()
    with pytest.raises(I.InputError) as err:
        I.prepare_input(ds, raw="一二三五")
    assert "'五' is not a token of reverse" in str(err.value)
    with using("zh"):
        assert str(err.value).startswith("“五” 不是 reverse 的词元")


def test_input_errors_are_one_sentence_in_either_language():
    digits = load_dataset("digits")
    with pytest.raises(I.InputError) as err:
        I.prepare_input(digits, 999)
    english = str(err.value)
    with using("zh"):
        chinese = str(err.value)
    assert re.fullmatch(r"There is no sample 999: the test split has \d+ samples, numbered 0 to \d+\.", english)
    assert "999" in chinese and "测试集" in chinese and "\n" not in chinese


# ---------------------------------------------------------------- every figure, for every model family, labelled
def _titled(fig) -> bool:
    """Some x axis and some y axis carry a title (small multiples label their corner panel)."""
    layout = fig.to_plotly_json()["layout"]
    xs = [layout[k].get("title", {}).get("text") for k in layout if k.startswith("xaxis")]
    ys = [layout[k].get("title", {}).get("text") for k in layout if k.startswith("yaxis")]
    return any(xs) and any(ys)


def _check(fig, axes: bool = True) -> None:
    assert fig.data, "a figure without data"
    assert fig.layout.title.text, "a figure without a title"
    assert not axes or _titled(fig), f"axis titles missing in '{fig.layout.title.text}'"
    fig.to_json()


FAMILIES = [("mlp_spiral", {}), ("cnn_digits", {}), ("lstm_majority", {"n_samples": 300}),
            ("transformer_reverse", {"n_samples": 300}), ("gru_sine", {"n_samples": 300}), ("cnn_shapes", {"n_samples": 200})]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name, options", FAMILIES, ids=[f for f, _ in FAMILIES])
def test_every_figure_is_built_and_labelled_for_each_family(example, name, options, lang):
    from playground.plots import attention, conv, dense, dynamics, evaluation, outputs
    from playground.plots import recurrent as rec_figs
    analysis, model = _example(example, name, **options)
    ds = analysis.dataset
    x, info = I.prepare_input(ds, 1)
    tr = I.trace(model, analysis, x)
    with using(lang):
        for layer in tr.layers:
            _check(outputs.layer_output(layer, tr.tokens))
        for kset in I.kernels(model, analysis):
            _check(conv.kernels(kset))
            step = I.conv_step(tr.layer_input(kset.index), kset.weights[1], float(kset.bias[1]), kset.stride,
                               kset.padding, 2, 3)
            _check(conv.conv_step(step)[0])
        for att in tr.attention:
            _check(attention.attention_heatmaps(att, tr.tokens))
        for rec in tr.recurrent:
            _check(rec_figs.hidden_states(rec, tr.tokens))
        if len(ds.input_shape) == 3:
            _check(conv.input_image(tr.input))
        if tr.probabilities is not None and tr.probabilities.ndim == 2:
            _check(outputs.token_probabilities(tr.probabilities, tr.tokens, I.class_labels(ds), info["target"]))
        elif tr.probabilities is not None:
            _check(outputs.class_probabilities(tr.probabilities, I.class_labels(ds), info["label"]))
        if I.map_kind(ds) == "grid":
            grid = I.decision_grid(model, analysis, ds, resolution=40, neurons=True)
            _check(dense.decision_boundary(grid, ds.x_train, ds.y_train, ds.x_test, ds.y_test))
            _check(dense.neuron_thumbnails(grid))
        ev = I.evaluate(model, analysis, ds)
        if ev.confusion is not None:
            _check(evaluation.confusion_matrix(ev))
            _check(evaluation.per_class_accuracy(ev))
            wrong = evaluation.wrong_examples(ev, ds.x_test, ds.y_test, ds.feature_names)
            _check(wrong, axes=wrong.data[0].type != "table")
        else:
            _check(evaluation.pred_vs_true(ev))
            _check(evaluation.residuals(ev))
            if tr.input.ndim == 2:
                _check(outputs.forecast(tr.input, float(tr.prediction[0]), float(info["target"][0])))
        stats = I.activation_stats(model, analysis, ds.x_test[:64])
        _check(dynamics.activation_histograms(stats))
        _check(dynamics.weight_histograms(I.weight_stats(model, analysis)))
        if any(s.units is not None for s in stats):
            _check(dynamics.dead_relu(stats))
        _check(dynamics.grad_norms({"0 Linear": np.array([1.0, 0.5, 0.0]), "2 Linear": np.array([0.1, 0.05, 0.01])}))
        if lang == "zh":  # Chinese titles, not English left over
            fig = outputs.layer_output(tr.layers[0], tr.tokens)
            assert any("\u4e00" <= ch <= "\u9fff" for ch in fig.layout.title.text + str(fig.layout.xaxis.title.text))


def test_regression_curve_and_multiclass_map_figures():
    from playground.plots import dense
    sine = analyze({"dataset": {"name": "sine", "n_samples": 200},
                    "layers": [{"type": "Linear", "out_features": 8}, {"type": "Tanh"}, {"type": "Linear", "out_features": 1}]})
    curve = I.decision_curve(build_model(sine), sine, sine.dataset, neurons=True)
    ds = sine.dataset
    _check(dense.regression_curve(curve, ds.x_train, ds.y_train, ds.x_test, ds.y_test))
    _check(dense.neuron_curves(curve))
    grid = I.Grid(np.linspace(-1, 1, 5, dtype=np.float32), np.linspace(-1, 1, 5, dtype=np.float32), "multiclass",
                  np.arange(25).reshape(5, 5) % 3, np.full((5, 5), 0.9), class_names=("a", "b", "c"))
    points = np.array([[0.0, 0.0], [0.5, -0.5], [-0.5, 0.5]])
    fig = dense.decision_boundary(grid, points, np.array([0, 1, 2]))
    _check(fig)
    assert fig.data[0].type == "image" and fig.layout.yaxis.range[0] < fig.layout.yaxis.range[1]


# ---------------------------------------------------------------- the slow one: what training teaches attention
@pytest.mark.slow
def test_trained_transformer_attends_to_the_mirror_position(example):
    """Six epochs (counted, never timed) of the reverse task: a head of the last block looks at key T−1−t."""
    analysis = analyze(example("transformer_reverse")).raise_if_invalid()
    model, ds = _trained(analysis, 6).model.eval(), analysis.dataset
    seq_len = ds.input_shape[0]
    mirror = np.zeros((4, seq_len))  # per head of the last block: weight on key T−1−t, per query t
    samples = 100
    for k in range(samples):
        tr = I.trace(model, analysis, ds.x_test[k:k + 1])
        weights = tr.attention[-1].weights
        mirror += weights[:, np.arange(seq_len), seq_len - 1 - np.arange(seq_len)]
    mass = mirror.mean(axis=1) / samples
    assert mass.max() >= 0.5, f"anti-diagonal attention per head of the last block: {np.round(mass, 2)}"
