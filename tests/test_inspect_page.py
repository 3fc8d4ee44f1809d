"""The Inspect page through AppTest (a real app run, no browser): every family, every tab, every layer's panel,
in English and in Chinese; the per-session cache; bad typed input."""
import time

import pytest
from streamlit.testing.v1 import AppTest

from apptest import app, no_exception, shown
from conftest import load_example
from playground.i18n import t, using
from playground.inspection import formulas
from playground.layers import LAYERS

VIEWS = ("inside", "dynamics", "evaluation")
SINE_MLP = {"dataset": {"name": "sine", "n_samples": 300},
            "layers": [{"type": "Linear", "out_features": 8}, {"type": "Tanh"}, {"type": "Linear", "out_features": 1}]}
IRIS_MLP = {"dataset": {"name": "iris"},
            "layers": [{"type": "Linear", "out_features": 8}, {"type": "ReLU"}, {"type": "Linear", "out_features": 3}]}
RNN_SINE = {"dataset": {"name": "sine_forecast", "n_samples": 300, "seq_len": 12},
            "layers": [{"type": "RNN", "hidden_size": 16}, {"type": "SequencePool", "mode": "last"},
                       {"type": "Linear", "out_features": 1}]}
FAMILIES = {"mlp_spiral": load_example("mlp_spiral"), "cnn_digits": load_example("cnn_digits"), "rnn_sine": RNN_SINE,
            "lstm_majority": load_example("lstm_majority"), "gru_sine": load_example("gru_sine"),
            "transformer_reverse": load_example("transformer_reverse"), "sine_regression": SINE_MLP, "iris": IRIS_MLP}


def inspect_page(spec: dict, lang: str = "en") -> AppTest:
    at = app(spec, lang=lang)
    at.switch_page("pages/inspect.py").run()
    return at


def open_tab(at: AppTest, view: str, lang: str) -> None:
    """What a click on a tab does: its label becomes the tabs' state and the page reruns."""
    with using(lang):
        at.session_state["insp-tab"] = t(f"inspect.tab.{view}")
    at.session_state["insp-view"] = view
    at.run()


def text_of(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    return " ".join(parts + [h.value for h in at.subheader] + [h.value for h in at.title])


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", list(FAMILIES))
def test_every_family_and_tab_renders_with_formulas_in_both_languages(name, lang):
    at = inspect_page(FAMILIES[name], lang)
    no_exception(at)
    with using(lang):
        assert [tab.label for tab in at.tabs] == [t(f"inspect.tab.{v}") for v in VIEWS]
        assert at.title[0].value == t("inspect.page.title")
        assert t("inspect.snapshot.untrained") in [i.value for i in at.info]
    for view in VIEWS:
        if view != "inside":
            open_tab(at, view, lang)
        no_exception(at)
        assert at.get("plotly_chart"), f"{view}: no figure"
        assert at.latex, f"{view}: no formula"
        if lang == "zh":  # the captions under the formulas are Chinese, not English left over
            captions = [c.value for c in at.main.caption]  # the sidebar belongs to the shared frame
            assert captions and all(any("\u4e00" <= ch <= "\u9fff" for ch in c) for c in captions), captions


KITCHEN_SINKS = {  # with the examples, every layer type that is not an activation (those share one panel)
    "sequence": {"dataset": {"name": "reverse", "n_samples": 200}, "layers": [
        {"type": "Embedding", "embedding_dim": 16}, {"type": "PositionalEncoding", "kind": "learned"},
        {"type": "Residual", "layers": [{"type": "MultiheadAttention", "num_heads": 2, "causal": True}]},
        {"type": "LayerNorm"}, {"type": "Dropout"}, {"type": "TransformerBlock", "num_heads": 2, "dim_feedforward": 32},
        {"type": "Linear", "out_features": 16}, {"type": "GELU"}, {"type": "Linear", "out_features": 10},
        {"type": "LogSoftmax"}], "loss": {"type": "NLLLoss"}},
    "image": {"dataset": {"name": "digits"}, "layers": [
        {"type": "Conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1, "dilation": 1}, {"type": "BatchNorm2d"},
        {"type": "LeakyReLU"}, {"type": "AvgPool2d", "kernel_size": 2}, {"type": "AdaptiveAvgPool2d", "output_size": 2},
        {"type": "Flatten"}, {"type": "Reshape", "shape": [4, 4]}, {"type": "Conv1d", "out_channels": 3, "kernel_size": 2},
        {"type": "MaxPool1d", "kernel_size": 2}, {"type": "AvgPool1d", "kernel_size": 1}, {"type": "Flatten"},
        {"type": "BatchNorm1d"}, {"type": "Linear", "out_features": 10}, {"type": "Softmax"}], "loss": {"type": "MSELoss"}},
    "series": {"dataset": {"name": "sine_forecast", "n_samples": 200, "seq_len": 8}, "layers": [
        {"type": "RNN", "hidden_size": 8, "nonlinearity": "relu"}, {"type": "LSTM", "hidden_size": 8, "num_layers": 2},
        {"type": "SequencePool", "mode": "max"}, {"type": "Linear", "out_features": 1}]},
    "features": {"dataset": {"name": "circle"}, "layers": [
        {"type": "InputFeatures", "features": ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"]},
        {"type": "Linear", "out_features": 8}, {"type": "Tanh"}, {"type": "Linear", "out_features": 2}]},
}
PANELS = {**{k: FAMILIES[k] for k in ("cnn_digits", "transformer_reverse", "lstm_majority", "gru_sine", "mlp_spiral")},
          **KITCHEN_SINKS}


@pytest.mark.parametrize("name", list(PANELS))
def test_every_layer_has_a_panel_with_its_figure(name):
    at = inspect_page(PANELS[name])
    picker = at.button_group(key="insp-layer")
    for option in picker.options:
        at.button_group(key="insp-layer").set_value(_option_value(at, option)).run()
        no_exception(at)
        assert at.get("plotly_chart"), option
    kinds = " ".join(text_of(at).split())
    assert "→" in kinds  # a layer heading: "11 Linear → (10,)"


def test_the_panels_cover_every_layer_type_and_every_activation_has_its_formula():
    def types(layers):
        for layer in layers:
            yield layer["type"]
            yield from types(layer.get("layers", []))

    used = {name for spec in PANELS.values() for name in types(spec["layers"])}
    assert {name for name, d in LAYERS.items() if d.family != "activation"} <= used
    assert all(formulas.layer(name, {}) for name, d in LAYERS.items() if d.family == "activation")


def _option_value(at: AppTest, label: str):
    """The pill's value (a layer index, or 'plane') from its label ('3 ReLU', 'Whole network over the plane')."""
    head = label.split(" ")[0]
    return int(head) if head.isdigit() else "plane"


def test_conv_panel_steps_through_one_output_value():
    at = inspect_page(FAMILIES["cnn_digits"])
    assert at.button_group(key="insp-layer").value == 0  # the first convolution is shown first
    codes = [c.value for c in at.code]
    assert any(c.startswith("y(3,3) = Σₘ Σₙ w(m,n)·x(2+m, 2+n) + b") for c in codes), codes
    at.number_input(key="cs-i-0").set_value(0).run()
    at.number_input(key="cs-j-0").set_value(0).run()
    no_exception(at)
    assert any(c.startswith("y(0,0) = Σₘ Σₙ w(m,n)·x(−1+m, −1+n) + b") for c in (c.value for c in at.code))
    assert "PyTorch's own output at (0, 0)" in " ".join(c.value for c in at.caption)
    at.button_group(key="insp-layer").set_value(4).run()  # the max pooling layer
    no_exception(at)
    assert any(c.value.startswith("y(3,3) = maxₘ,ₙ x(6+m, 6+n)") for c in at.code)


def test_a_trace_is_computed_once_per_input_and_kept_across_tabs():
    at = inspect_page(FAMILIES["cnn_digits"])
    snap = at.session_state["insp-snapshot"]
    assert len(snap.traces) == 1
    maps = [k for k in snap.figures if k[2] == "fm-0"]
    assert len(maps) == 1
    before = snap.figures[maps[0]]
    at.number_input(key="cs-i-0").set_value(1).run()  # a widget change redraws from the cached trace and figures
    assert at.session_state["insp-snapshot"] is snap and len(snap.traces) == 1
    assert snap.figures[maps[0]] is before and sum(k[2] == "cs-fig" for k in snap.figures) == 2
    at.number_input(key="insp-index").set_value(5).run()
    assert len(snap.traces) == 2
    open_tab(at, "evaluation", "en")
    open_tab(at, "inside", "en")
    assert at.session_state["insp-snapshot"] is snap and {"evaluation"} <= {k[0] for k in snap.results}
    at.number_input(key="insp-index").set_value(0).run()
    assert len(snap.traces) == 2  # sample 0 again: its trace was kept


def test_switching_language_keeps_the_open_tab():
    at = inspect_page(FAMILIES["mlp_spiral"])
    open_tab(at, "evaluation", "en")
    at.query_params["lang"] = "zh"
    at.session_state["lang"] = "zh"
    at.run()
    no_exception(at)
    assert at.session_state["insp-tab"] == "评估" and at.get("plotly_chart")


@pytest.mark.parametrize("lang, wrong, says", [
    ("en", "1 2 x", "'x' is not a token of reverse"),
    ("zh", "1 2 x", "“x” 不是 reverse 的词元"),
    ("zh", "１ ２ ３ ４ ５ ６ ７ ８", None),  # full-width digits from a Chinese input method are read as digits
])
def test_typed_sequences_and_one_clear_sentence_for_bad_ones(lang, wrong, says):
    at = inspect_page(FAMILIES["transformer_reverse"], lang)
    with using(lang):  # AppTest formats the choice with the page's format_func, which reads the language
        at.segmented_control(key="insp-mode").set_value("type").run()
    at.text_input(key="insp-text").set_value(wrong).run()
    no_exception(at)
    errors = shown(at.error)
    if says is None:
        assert not errors and at.get("plotly_chart")
        with using(lang):
            table = at.table[0].value
            assert table.loc[t("inspect.prediction.expected")].iloc[0] == "8 7 6 5 4 3 2 1"  # the task's rule
    else:
        assert len(errors) == 1 and errors[0].startswith(says) and "\n" not in errors[0]


def test_inspect_shows_the_trained_model():
    spec = load_example("transformer_reverse")
    spec["training"]["epochs"] = 2
    at = app(spec)
    at.switch_page("pages/train.py").run()
    at.button(key="btn-start").click().run()
    for _ in range(200):  # poll as the page's timer would, until the two epochs are done
        if any("Finished" in s.value for s in at.success):
            break
        time.sleep(0.2)
        at.run()
    at.switch_page("pages/inspect.py").run()
    no_exception(at)
    assert any("Weights after" in i.value and "2 of 2 epochs" in i.value and "when training finished" in i.value
               for i in at.info)
    open_tab(at, "dynamics", "en")
    no_exception(at)
    assert not at.info or all("Train the model" not in i.value for i in at.info)  # gradient norms were recorded
