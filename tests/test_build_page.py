"""The Build page through AppTest: editing, fixing, files, links — and every hostile input kept out."""
from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apptest import app, by_key, link_of, no_exception, shown, spec_of, types
from conftest import analyze_doc, load_example
from playground.spec import decode_link, from_data
from test_spec import HOSTILE_SPECS, HOSTILE_TEXT


def params_metric(at) -> str:
    return next(m.value for m in at.metric if m.label == "Params")


def test_build_page_renders_the_default_model_with_shapes():
    at = app()
    no_exception(at)
    assert types(at)[:2] == ["Linear", "Tanh"]
    text = " ".join(m.value for m in at.markdown)
    first = analyze_doc(spec_of(at)).layers[0]
    assert "(16,)" in text and f"{first.params} params" in text
    assert params_metric(at) == f"{analyze_doc(spec_of(at)).total_params:,}"
    sidebar = " ".join(m.value for m in at.sidebar.markdown)
    assert f"MLP · Spiral (2 classes) · {analyze_doc(spec_of(at)).total_params} params · CrossEntropyLoss · Adam 0.01" in sidebar


def test_adding_editing_reordering_and_deleting_layers():
    at = app(load_example("mlp_spiral"))
    n = len(types(at))
    at.button(key="add:Dropout").click().run()
    no_exception(at)
    assert types(at)[-1] == "Dropout" and len(types(at)) == n + 1
    by_key(at.number_input, "p:(0,):out_features").set_value(24).run()
    assert spec_of(at).layers[0].out_features == 24
    assert "(24,)" in " ".join(m.value for m in at.markdown)
    last = len(types(at)) - 1
    by_key(at.button, f"up:({last},)").click().run()
    assert types(at)[-2] == "Dropout" and types(at)[-1] == "Linear"
    by_key(at.button, "dup:(0,)").click().run()
    assert types(at)[:2] == ["Linear", "Linear"]
    by_key(at.button, "del:(0,)").click().run()
    assert types(at)[:2] == ["Linear", "Tanh"]
    no_exception(at)


@pytest.mark.parametrize("typed, sentence", [
    (3.7, "out_features must be a whole number (got 3.7)"),
    (1e30, "out_features must be at most 4096 (got 1e+30)"),
    (0, "out_features must be at least 1 (got 0)"),
])
def test_a_number_out_of_place_is_refused_and_the_spec_keeps_its_value(typed, sentence):
    at = app(load_example("mlp_spiral"))
    before = spec_of(at)
    by_key(at.number_input, "p:(0,):out_features").set_value(typed).run()
    no_exception(at)
    assert spec_of(at) == before and decode_link(link_of(at)) == before
    assert sentence in shown(at.error)


def test_epochs_must_be_whole():
    at = app(load_example("mlp_spiral"))
    by_key(at.number_input, "training:epochs").set_value(1.5).run()
    assert "epochs must be a whole number (got 1.5)" in shown(at.error)
    assert spec_of(at).training.epochs == from_data(load_example("mlp_spiral")).training.epochs


def test_activation_dropdown_writes_a_separate_layer():
    at = app(load_example("mlp_spiral"))
    by_key(at.selectbox, "act:(0,)").set_value("ReLU").run()
    assert types(at)[:3] == ["Linear", "ReLU", "Linear"]
    by_key(at.selectbox, "act:(0,)").set_value("none").run()
    assert types(at)[:2] == ["Linear", "Linear"]


def test_error_appears_on_the_card_and_its_fix_works():
    doc = load_example("cnn_digits")
    doc["layers"] = [layer for layer in doc["layers"] if layer["type"] != "Flatten"]
    at = app(doc)
    no_exception(at)
    assert "layer 10 (Linear): receives a 3-D input (10, 2, 2); add Flatten before it" in shown(at.error)
    by_key(at.button, "fix:(10,):layers.fix.insert").click().run()
    no_exception(at)
    assert types(at)[10] == "Flatten"
    assert not [e for e in shown(at.error) if "Flatten" in e]
    assert params_metric(at) == f"{analyze_doc(load_example('cnn_digits')).total_params:,}"


def test_a_bad_layer_inside_a_residual_marks_only_its_own_card():
    doc = {"dataset": {"name": "iris"}, "layers": [
        {"type": "Residual", "layers": [{"type": "Linear", "out_features": 4}, {"type": "Conv2d"}]}, {"type": "Linear", "out_features": 3}]}
    at = app(doc)
    no_exception(at)
    assert any(e.startswith("layer 0.1 (Conv2d): needs a 3-D input") for e in shown(at.error))
    text = " ".join(m.value for m in at.markdown)
    assert "(4,) · 20 params" in text  # the inner Linear before the guilty layer still shows its shape
    assert text.count("shape unknown") == 3  # the guilty Conv2d, the Residual around it and the layer after it


def test_invalid_model_cannot_be_trained_and_keeps_what_was_typed():
    doc = load_example("cnn_digits")
    doc["layers"][0]["kernel_size"] = 15
    at = app(doc)
    assert spec_of(at).layers[0].kernel_size == 15
    assert any("kernel_size 15 is larger than its 8×8 input" in e for e in shown(at.error))
    at.switch_page("pages/train.py").run()
    no_exception(at)
    assert not [b for b in at.button if b.key == "btn-start"]


def test_templates_load_a_working_model():
    at = app()
    by_key(at.selectbox, "template").set_value("transformer_reverse").run()
    no_exception(at)
    assert spec_of(at).dataset.name == "reverse" and "TransformerBlock" in types(at)
    assert params_metric(at) == f"{analyze_doc(load_example('transformer_reverse')).total_params:,}"


def test_dataset_change_keeps_layers_and_offers_a_starter():
    at = app(load_example("mlp_spiral"))
    before = types(at)
    by_key(at.selectbox, "dataset").set_value("digits").run()
    no_exception(at)
    assert types(at) == before and at.error
    by_key(at.button, "starter:digits").click().run()
    assert "Conv2d" in types(at) and not at.error


def test_a_dataset_option_out_of_range_is_refused_with_a_sentence():
    at = app(load_example("mlp_spiral"))
    by_key(at.number_input, "ds:noise").set_value(2.0).run()
    assert "noise must be at most 0.5 (got 2)" in shown(at.error)
    assert spec_of(at).dataset.args()["noise"] == from_data(load_example("mlp_spiral")).dataset.args()["noise"]


# ---------------------------------------------------------------- files
def test_spec_upload_good_and_bad():
    at = app(load_example("mlp_spiral"))
    good = json.dumps(load_example("lstm_majority")).encode()
    at.file_uploader(key="spec-file").set_value(("lstm.json", good, "application/json")).run()
    no_exception(at)
    assert spec_of(at).dataset.name == "majority"
    before = spec_of(at)
    for name, body, sentence in [
        ("bad.json", b'{"dataset": {"name": "spiral"}, "layers": [], "colour": 1}',
         "'bad.json' was not loaded: spec: unknown key 'colour' — remove it. Your model is unchanged."),
        ("x.json", b"{not json", "'x.json' was not loaded: spec: not valid JSON — Expecting property name enclosed in double quotes "
                                 "at line 1, column 2. Your model is unchanged."),
        ("crash.json", b'{"dataset": {"name": "spiral"}, "layers": [{"type": [1]}]}', None),
        ("five.json", b'{"dataset": {"name": "spiral"}, "layers": 5}', "'five.json' was not loaded: layers: must be a list of layers. "
                                                                          "Your model is unchanged."),
    ]:
        at.file_uploader(key="spec-file").set_value((name, body, "application/json")).run()
        no_exception(at)
        assert spec_of(at) == before  # a bad file changes nothing
        errors = shown(at.error)
        assert (sentence in errors) if sentence else any(e.startswith(f"'{name}' was not loaded: layer 0: unknown layer type") for e in errors)


def test_the_upload_states_its_limit_before_the_upload():
    at = app()
    assert "Spec file (.json, at most 1 MB)" in [u.label for u in at.get("file_uploader")]


def test_a_semicolon_csv_is_read_and_the_separator_named():
    at = app()
    rows = "a;b;label\n" + "\n".join(f"{i % 7};{(i * 3) % 5};{i % 2}" for i in range(60))
    at.file_uploader(key="csv-file").set_value(("data.csv", rows.encode(), "text/csv")).run()
    no_exception(at)
    assert "Read 60 rows and 3 columns, separated by semicolons." in [c.value for c in at.caption]
    at.button(key="csv-use").click().run()
    no_exception(at)
    assert spec_of(at).dataset.name == "upload"
    assert at.session_state["uploaded_dataset"].task == "binary"


# ---------------------------------------------------------------- links
def test_url_round_trip_restores_the_exact_spec():
    spec = from_data(load_example("transformer_text"))
    at = app(spec)
    assert spec_of(at) == spec
    by_key(at.number_input, "p:(2,):num_heads").set_value(2).run()
    restored = decode_link(link_of(at))
    assert restored.layers[2].num_heads == 2
    assert spec_of(app(link=link_of(at))) == restored


def test_tampered_link_shows_a_message_and_the_default_model():
    at = app(link="z.this-is-not-a-spec")
    no_exception(at)
    assert any("link: the spec in the link is damaged" in e and "default model" in e for e in shown(at.error))
    assert types(at)[0] == "Linear"


def _plain(doc) -> str:
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode()


@pytest.mark.parametrize("doc, sentence", [
    ({"dataset": "digits", "layers": []}, 'dataset: must be an object like {"name": "spiral"}'),
    ({"dataset": {"name": "spiral"}, "layers": 5}, "layers: must be a list of layers"),
    ({"dataset": {"name": "spiral"}, "layers": [{"type": [1]}], "loss": {"type": "CrossEntropyLoss"}}, "layer 0: unknown layer type '[1]'"),
    ({"dataset": {"name": "spiral"}, "layers": [{"type": "Linear", "out_features": 2}], "name": 5}, "name: must be text"),
])
def test_a_malformed_link_names_the_field_and_shows_the_default_model(doc, sentence):
    at = app(link=_plain(doc))
    no_exception(at)
    assert any(sentence in e for e in shown(at.error)), shown(at.error)
    assert types(at)[0] == "Linear"  # the default model
    for page in ("pages/train.py", "pages/inspect.py"):
        at.switch_page(page).run()
        no_exception(at)


def test_html_in_a_link_is_never_rendered():
    hostile = "<img src=x onerror=alert(1)><a href='http://evil'>prize</a>"
    doc = {**load_example("mlp_spiral"), "name": hostile, "description": hostile}
    at = app(doc)
    no_exception(at)
    html_blocks = [m.value for m in at.markdown if m.allow_html] + [m.value for m in at.sidebar.markdown if m.allow_html]
    assert not any("<img" in h or "<a " in h for h in html_blocks)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(HOSTILE_SPECS, st.builds(lambda name: {**load_example("mlp_spiral"), "name": name}, st.sampled_from(HOSTILE_TEXT))))
def test_hostile_links_never_show_an_exception(doc):
    at = app(link=_plain(doc))
    no_exception(at)
    assert spec_of(at) is not None and not any("Traceback" in e for e in shown(at.error))


# ---------------------------------------------------------------- language
def test_a_chinese_link_shows_the_build_page_in_chinese_with_its_shape_errors():
    doc = load_example("cnn_digits")
    doc["layers"] = [layer for layer in doc["layers"] if layer["type"] != "Flatten"]
    at = app(doc, lang="zh")
    no_exception(at)
    assert at.title[0].value == "搭建"
    errors = shown(at.error)
    assert any(e.startswith("第 10 层（Linear）") and "Flatten" in e for e in errors), errors
    assert any("插入 Flatten" in b.label for b in at.button)
