"""Inspection: traces against numbers worked out by hand and against PyTorch itself, and every figure builder."""
import math
import time

import numpy as np
import plotly.graph_objects as go
import pytest
import torch
import torch.nn.functional as F

from playground import inspection as I
from playground.datasets import Dataset, load_dataset
from playground.model import build_model
from playground.modules import SelfAttention
from playground.plots import inspect as P
from conftest import analyze_doc as analyze
from playground.training import EpochRecord, Trainer, TrainingJob

# A 5×5 image and a vertical-edge (Prewitt) kernel; y(i,j) = Σ_m Σ_n w(m,n)·x(i+m, j+n) worked out by hand:
# each row contributes x(r, j) − x(r, j+2), summed over the three rows under the kernel.
IMAGE = [[1, 2, 0, 1, 3],
         [0, 1, 2, 3, 1],
         [1, 0, 1, 2, 2],
         [2, 1, 0, 1, 0],
         [0, 3, 1, 0, 1]]
EDGE = [[1, 0, -1],
        [1, 0, -1],
        [1, 0, -1]]
EDGE_OUT = [[-1, -3, -3],
            [0, -4, 0],
            [1, 1, -1]]
MAX_2x2_STRIDE_1 = [[0, 0],  # max of each 2×2 window of EDGE_OUT
                    [1, 1]]
AVG_2x2_STRIDE_1 = [[-2.0, -2.5],  # mean of each 2×2 window of EDGE_OUT
                    [-0.5, -1.0]]


def _image_dataset() -> Dataset:
    x = torch.tensor(IMAGE, dtype=torch.float32)[None, None].repeat(4, 1, 1, 1)
    y = torch.tensor([0, 1, 0, 1])
    return Dataset("tiny", "multiclass", x, y, x, y, (1, 5, 5), "float", 2, ("0", "1"))


def _edge_model(pool: dict):
    spec = {"dataset": {"name": "upload"}, "layers": [{"type": "Conv2d", "out_channels": 1, "kernel_size": 3}, pool,
                                                    {"type": "Flatten"}, {"type": "Linear", "out_features": 2}]}
    ds = _image_dataset()
    analysis = analyze(spec, ds).raise_if_invalid()
    model = build_model(analysis)
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor(EDGE, dtype=torch.float32)[None, None])
        model[0].bias.zero_()
    return analysis, model, ds


def _example(example, name: str, **dataset):
    spec = example(name)
    spec["dataset"].update(dataset)
    analysis = analyze(spec).raise_if_invalid()
    return analysis, build_model(analysis).eval()


# ---------------------------------------------------------------- convolution and pooling
@pytest.mark.parametrize("pool, expected", [
    ({"type": "MaxPool2d", "kernel_size": 2, "stride": 1}, MAX_2x2_STRIDE_1),
    ({"type": "AvgPool2d", "kernel_size": 2, "stride": 1}, AVG_2x2_STRIDE_1),
])
def test_edge_kernel_and_pooling_match_hand_computed_maps(pool, expected):
    analysis, model, ds = _edge_model(pool)
    x, info = I.prepare_input(ds, 0)
    tr = I.trace(model, analysis, x)
    assert [layer.type for layer in tr.layers] == ["Conv2d", pool["type"], "Flatten", "Linear"]
    assert tr.layers[0].out_shape == (1, 3, 3)
    np.testing.assert_allclose(tr.layers[0].output[0], EDGE_OUT, atol=1e-6)
    np.testing.assert_allclose(tr.layers[1].output[0], expected, atol=1e-6)
    np.testing.assert_allclose(tr.probabilities.sum(), 1.0, atol=1e-6)
    assert tr.prediction == tr.probabilities.argmax()


def test_conv_step_shows_the_hand_computed_sum():
    analysis, model, ds = _edge_model({"type": "MaxPool2d", "kernel_size": 2, "stride": 1})
    [kset] = I.kernels(model, analysis)
    assert kset.weights.shape == (1, 1, 3, 3) and kset.stride == 1 and kset.padding == 0
    step = I.conv_step(np.array(IMAGE, float)[None], kset.weights[0], float(kset.bias[0]), 1, 0, 1, 1)
    # y(1,1): the patch is rows 1..3, columns 1..3 of the image
    np.testing.assert_array_equal(step.patch[0], [[1, 2, 3], [0, 1, 2], [1, 0, 1]])
    np.testing.assert_array_equal(step.products[0], [[1, 0, -3], [0, 0, -2], [1, 0, -1]])
    assert step.total == -4 and step.result == -4
    fig, formula = P.conv_step(step)
    assert isinstance(fig, go.Figure)
    assert formula.splitlines()[0].startswith("y(1,1) = Σₘ Σₙ w(m,n)·x(1+m, 1+n) + b")
    assert formula.splitlines()[1] == ("= 1.00·1.00 + 0.00·2.00 + (−1.00)·3.00 + 1.00·0.00 + 0.00·1.00 + (−1.00)·2.00"
                                       " + 1.00·1.00 + 0.00·0.00 + (−1.00)·1.00 + 0.00 = −4.00")


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
    _check(P.layer_output(tr.layers[1]))
    _check(P.kernels(kset))


# ---------------------------------------------------------------- attention
def test_attention_rows_are_distributions_and_capture_is_restored(example):
    analysis, model = _example(example, "transformer_reverse", n_samples=200)
    model.train()  # trace must not leave eval mode behind, nor dropout on
    x, info = I.prepare_input(analysis.dataset, 3)
    tr = I.trace(model, analysis, x)
    assert model.training
    assert [a.index for a in tr.attention] == [2, 3]
    for att in tr.attention:
        assert att.weights.shape == (4, 8, 8) and not att.causal
        np.testing.assert_allclose(att.weights.sum(axis=-1), 1.0, atol=1e-5)
    attention_modules = [m for m in model.modules() if isinstance(m, SelfAttention)]
    assert all(not m.capture and m.last_weights is None for m in attention_modules)
    assert tr.probabilities.shape == (8, 10) and tr.prediction.shape == (8,)
    assert info["target_tokens"] == info["tokens"][::-1]


def test_causal_mask_gives_exact_zeros_and_blank_cells():
    spec = {"dataset": {"name": "reverse", "n_samples": 200},
            "layers": [{"type": "Embedding", "embedding_dim": 16}, {"type": "PositionalEncoding"},
                       {"type": "MultiheadAttention", "num_heads": 2, "causal": True}, {"type": "Linear", "out_features": 10}]}
    analysis = analyze(spec).raise_if_invalid()
    model = build_model(analysis)
    tr = I.trace(model, analysis, I.prepare_input(analysis.dataset, 0)[0])
    [att] = tr.attention
    assert att.causal and att.weights.shape == (2, 8, 8)
    future = np.triu(np.ones((8, 8), dtype=bool), 1)
    assert (att.weights[:, future] == 0).all()
    assert (att.weights[:, ~future] > 0).all()
    np.testing.assert_allclose(att.weights.sum(axis=-1), 1.0, atol=1e-6)
    fig = P.attention_heatmaps(att, tr.tokens)
    heatmaps = [trace for trace in fig.data if isinstance(trace, go.Heatmap)]
    assert len(heatmaps) == 3  # two heads and their mean
    for heatmap in heatmaps:  # masked cells are left blank and hatched, not drawn as a weight of 0
        z = np.array(heatmap.z, dtype=float)
        assert np.isnan(z[future]).all() and not np.isnan(z[~future]).any()
    assert sum(isinstance(trace, go.Scatter) and trace.fill == "toself" for trace in fig.data) == 3


# ---------------------------------------------------------------- recurrent states
def test_one_unit_rnn_hidden_states_match_the_formula():
    spec = {"dataset": {"name": "sine_forecast", "seq_len": 4, "n_samples": 200},
            "layers": [{"type": "RNN", "hidden_size": 1}, {"type": "SequencePool", "mode": "last"},
                       {"type": "Linear", "out_features": 1}]}
    analysis = analyze(spec).raise_if_invalid()
    model = build_model(analysis)
    w_ih, w_hh, b_ih, b_hh = 0.5, -0.8, 0.1, 0.2
    rnn = model[0].cell
    with torch.no_grad():
        rnn.weight_ih_l0.fill_(w_ih), rnn.weight_hh_l0.fill_(w_hh), rnn.bias_ih_l0.fill_(b_ih), rnn.bias_hh_l0.fill_(b_hh)
    xs = [1.0, -0.5, 0.25, 0.0]
    x, _ = I.prepare_input(analysis.dataset, raw=np.array(xs))
    tr = I.trace(model, analysis, x)
    h, expected = 0.0, []
    for x_t in xs:
        h = math.tanh(w_ih * x_t + b_ih + w_hh * h + b_hh)
        expected.append(h)
    [rec] = tr.recurrent
    assert rec.type == "RNN" and rec.hidden.shape == (4, 1) and rec.gates is None
    np.testing.assert_allclose(rec.hidden[:, 0], expected, atol=1e-6)


def test_lstm_gates_reproduce_the_lstm_output(example):
    analysis, model = _example(example, "lstm_majority", n_samples=200)
    tr = I.trace(model, analysis, I.prepare_input(analysis.dataset, 5)[0])
    [rec] = tr.recurrent
    assert rec.type == "LSTM" and rec.hidden.shape == (9, 32) and rec.cell.shape == (9, 32)
    g = rec.gates
    assert list(g) == ["input gate", "forget gate", "cell candidate", "output gate"]
    for name in ("input gate", "forget gate", "output gate"):
        assert ((g[name] > 0) & (g[name] < 1)).all()
    c_prev = np.vstack([np.zeros((1, 32)), rec.cell[:-1]])
    np.testing.assert_allclose(rec.cell, g["forget gate"] * c_prev + g["input gate"] * g["cell candidate"], atol=1e-6)
    np.testing.assert_allclose(g["output gate"] * np.tanh(rec.cell), rec.hidden, atol=1e-5)  # h_t = o_t ⊙ tanh(c_t)


def test_gru_gates_reproduce_the_gru_output(example):
    analysis, model = _example(example, "gru_sine", n_samples=200)
    tr = I.trace(model, analysis, I.prepare_input(analysis.dataset, 0)[0])
    [rec] = tr.recurrent
    z, n = rec.gates["update gate"], rec.gates["candidate"]
    h_prev = np.vstack([np.zeros((1, 32)), rec.hidden[:-1]])
    np.testing.assert_allclose((1 - z) * n + z * h_prev, rec.hidden, atol=1e-5)  # h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}


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
    assert [(n.index, n.type, n.values.shape) for n in grid.neurons] == [
        (0, "Linear", (8, 30, 30)), (1, "Tanh", (8, 30, 30)), (2, "Linear", (8, 30, 30)), (3, "ReLU", (8, 30, 30))]
    for row, col in [(0, 0), (7, 22), (29, 3), (15, 15)]:
        point = torch.tensor([[grid.xs[col], grid.ys[row]]])
        with torch.no_grad():
            assert grid.output[row, col] == pytest.approx(float(to_p(model(point))[0]), abs=1e-5)
            hidden = torch.tanh(model[0](point))[0]
        np.testing.assert_allclose(grid.neurons[1].values[:, row, col], hidden.numpy(), atol=1e-5)


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


# ---------------------------------------------------------------- a whole split
def _trained(analysis, epochs: int) -> Trainer:
    trainer = Trainer(analysis)
    trainer.epochs = epochs
    while not trainer.done:
        trainer.train_step()
    return trainer


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


def test_per_token_and_regression_evaluation(example):
    analysis, model = _example(example, "transformer_reverse", n_samples=300)
    ds = analysis.dataset
    ev = I.evaluate(model, analysis, ds)
    assert ev.confusion.shape == (10, 10) and ev.confusion.sum() == ds.n_test * 8
    with torch.no_grad():
        pred = model(ds.x_test).argmax(-1)
    assert ev.accuracy == pytest.approx(float((pred == ds.y_test).float().mean()))
    assert ev.sequence_accuracy == pytest.approx(float((pred == ds.y_test).all(dim=1).float().mean()))
    rows = P.wrong_examples(ev)
    assert isinstance(rows, list) and rows and set(rows[0]) >= {"sample", "input", "true", "predicted", "wrong tokens"}
    analysis = analyze(example("gru_sine")).raise_if_invalid()
    trainer = _trained(analysis, 1)
    ev = I.evaluate(trainer.model, analysis, analysis.dataset)
    mse, _ = trainer.evaluate(analysis.dataset.x_test, analysis.dataset.y_test)
    np.testing.assert_allclose(ev.residuals, ev.y_true - ev.y_pred)
    assert ev.mse == pytest.approx(mse, rel=1e-4) and ev.confusion is None and ev.r2 is not None


# ---------------------------------------------------------------- training health
def test_gradient_history_activation_and_weight_stats(example):
    rec = dict(seconds=0.0, train_loss=1.0, test_loss=1.0, train_accuracy=None, test_accuracy=None, lr=0.1,
               samples_per_second=0.0)
    epochs = [EpochRecord(1, grad_norms={"0 Linear": 1.0, "2 Linear": 0.5}, **rec),
              EpochRecord(2, grad_norms={"0 Linear": 0.25}, **rec)]
    history = I.gradient_history(epochs)
    assert list(history) == ["0 Linear", "2 Linear"]
    np.testing.assert_array_equal(history["0 Linear"], [1.0, 0.25])
    assert history["2 Linear"][0] == 0.5 and np.isnan(history["2 Linear"][1])

    analysis, model = _example(example, "cnn_digits")
    with torch.no_grad():
        model[0].bias[2] = -100.0  # channel 2 of the first ReLU can never fire
    stats = I.activation_stats(model, analysis, analysis.dataset.x_test[:64])
    first_relu = next(s for s in stats if s.index == 1)
    assert first_relu.units == 10 and 2 in first_relu.dead_units
    assert first_relu.dead_fraction == len(first_relu.dead_units) / 10
    assert all(s.dead_fraction is None for s in stats if s.type != "ReLU")
    assert "Flatten" not in [s.type for s in stats]
    weights = I.weight_stats(model, analysis)
    assert [(w.label, w.count) for w in weights] == [("0 Conv2d", 90), ("2 Conv2d", 900), ("5 Conv2d", 900),
                                                    ("7 Conv2d", 900), ("11 Linear", 400)]
    text, text_model = _example(example, "transformer_text", n_samples=200)
    big = I.weight_stats(text_model, text)[1]
    assert big.count == 21504 and len(big.values) == I.MAX_HIST_VALUES


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


def test_typed_tokens_and_their_mistakes():
    reverse = load_dataset("reverse", n_samples=200)
    x, info = I.prepare_input(reverse, raw="3 1 4 1 5 9 2 6")
    assert x.tolist() == [[3, 1, 4, 1, 5, 9, 2, 6]] and x.dtype == torch.long
    assert info["tokens"] == list("31415926") and info["target_tokens"] == list("62951413")
    with pytest.raises(ValueError, match="needs exactly 8 tokens.*you typed 3"):
        I.prepare_input(reverse, raw="3 1 4")
    with pytest.raises(ValueError, match="'a' and 'x' are not tokens of reverse"):
        I.prepare_input(reverse, raw="3 a 4 x 5 9 2 6")
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


# ---------------------------------------------------------------- every figure, for every model family
def _titled(fig: go.Figure) -> bool:
    """Some x axis and some y axis carry a title (small multiples label their corner panel)."""
    layout = fig.to_plotly_json()["layout"]
    xs = [layout[k].get("title", {}).get("text") for k in layout if k.startswith("xaxis")]
    ys = [layout[k].get("title", {}).get("text") for k in layout if k.startswith("yaxis")]
    return any(xs) and any(ys)


def _check(figure) -> None:
    fig = figure[0] if isinstance(figure, tuple) else figure
    assert isinstance(fig, go.Figure)
    assert fig.data, "a figure without data"
    assert _titled(fig), f"axis titles missing in '{fig.layout.title.text}'"
    fig.to_json()


FAMILIES = [("mlp_spiral", {}), ("cnn_digits", {}), ("lstm_majority", {"n_samples": 300}),
            ("transformer_reverse", {"n_samples": 300}), ("gru_sine", {"n_samples": 300}), ("iris", {})]


@pytest.mark.parametrize("name, options", FAMILIES, ids=[f for f, _ in FAMILIES])
def test_every_figure_builder_for_each_model_family(example, name, options):
    if name == "iris":
        spec = {"dataset": {"name": "iris"}, "layers": [{"type": "Linear", "out_features": 8}, {"type": "ReLU"},
                                                         {"type": "Linear", "out_features": 3}]}
    else:
        spec = example(name)
        spec["dataset"].update(options)
    analysis = analyze(spec).raise_if_invalid()
    model, ds = build_model(analysis).eval(), analysis.dataset
    x, info = I.prepare_input(ds, 1)
    tr = I.trace(model, analysis, x)
    for layer in tr.layers:
        _check(P.layer_output(layer, tr.tokens))
    for kset in I.kernels(model, analysis):
        _check(P.kernels(kset))
        step = I.conv_step(tr.layer_input(kset.index), kset.weights[1], float(kset.bias[1]), kset.stride, kset.padding, 2, 3)
        fig, formula = P.conv_step(step)
        _check(fig)
        assert formula.splitlines()[1].endswith(f"= {step.result:.2f}".replace("-", "−"))
    for att in tr.attention:
        _check(P.attention_heatmaps(att, tr.tokens))
    for rec in tr.recurrent:
        _check(P.hidden_states(rec, tr.tokens))
    if len(ds.input_shape) == 3:
        _check(P.input_image(tr.input))
    if tr.probabilities is not None and tr.probabilities.ndim == 2:
        _check(P.token_probabilities(tr.probabilities, tr.tokens, ds.class_names, info["target"]))
    elif tr.probabilities is not None:
        _check(P.class_probabilities(tr.probabilities, ds.class_names, info["label"]))
    if I.map_kind(ds) == "grid":
        grid = I.decision_grid(model, analysis, ds, resolution=40, neurons=True)
        _check(P.decision_boundary(grid, ds.x_train, ds.y_train, ds.x_test, ds.y_test))
        _check(P.neuron_thumbnails(grid))
    ev = I.evaluate(model, analysis, ds)
    if ev.confusion is not None:
        _check(P.confusion_matrix(ev))
        _check(P.per_class_accuracy(ev))
        wrong = P.wrong_examples(ev, ds.x_test, ds.y_test, ds.feature_names)
        if isinstance(wrong, list):
            assert all(isinstance(row, dict) and "predicted" in row for row in wrong)
        else:
            _check(wrong)
    else:
        _check(P.pred_vs_true(ev))
        _check(P.residuals(ev))
    stats = I.activation_stats(model, analysis, ds.x_test[:64])
    _check(P.activation_histograms(stats))
    _check(P.weight_histograms(I.weight_stats(model, analysis)))
    assert isinstance(P.dead_relu(stats), go.Figure)
    history = {"0 Linear": np.array([1.0, 0.5, 0.0]), "2 Linear": np.array([0.1, 0.05, 0.01])}
    _check(P.grad_norms(history))


def test_regression_curve_and_multiclass_map_figures():
    sine = analyze({"dataset": {"name": "sine", "n_samples": 200},
                    "layers": [{"type": "Linear", "out_features": 8}, {"type": "Tanh"}, {"type": "Linear", "out_features": 1}]})
    curve = I.decision_curve(build_model(sine), sine, sine.dataset, neurons=True)
    ds = sine.dataset
    _check(P.regression_curve(curve, ds.x_train, ds.y_train, ds.x_test, ds.y_test))
    _check(P.neuron_curves(curve))
    grid = I.Grid(np.linspace(-1, 1, 5, dtype=np.float32), np.linspace(-1, 1, 5, dtype=np.float32), "multiclass",
                  np.arange(25).reshape(5, 5) % 3, np.full((5, 5), 0.9), class_names=("a", "b", "c"))
    points = np.array([[0.0, 0.0], [0.5, -0.5], [-0.5, 0.5]])
    fig = P.decision_boundary(grid, points, np.array([0, 1, 2]))
    _check(fig)
    assert isinstance(fig.data[0], go.Image) and fig.layout.yaxis.range[0] < fig.layout.yaxis.range[1]


# ---------------------------------------------------------------- what training teaches attention
@pytest.mark.slow
def test_trained_transformer_attends_to_the_mirror_position(example):
    spec = example("transformer_reverse")
    spec["training"].update(epochs=6, max_seconds=20)
    analysis = analyze(spec).raise_if_invalid()
    job = TrainingJob(analysis)
    job.start()
    deadline = time.time() + 40
    while job.snapshot().active and time.time() < deadline:
        time.sleep(0.1)
    job.stop()
    assert job.snapshot().status == "finished", job.snapshot().message
    model, ds = job.model_copy(), analysis.dataset
    seq_len = ds.input_shape[0]
    mirror = np.zeros((4, seq_len))  # per head of the last block: weight on key T−1−t, per query t
    samples = 100
    for k in range(samples):
        tr = I.trace(model, analysis, ds.x_test[k:k + 1])
        weights = tr.attention[-1].weights
        mirror += weights[:, np.arange(seq_len), seq_len - 1 - np.arange(seq_len)]
    mass = mirror.mean(axis=1) / samples
    assert mass.max() >= 0.5, f"anti-diagonal attention per head of the last block: {np.round(mass, 2)}"
