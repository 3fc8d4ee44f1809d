"""The Streamlit pages, driven through streamlit.testing.v1.AppTest (a real app run, no browser)."""
import json
import time

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, load_example
from playground.spec import decode_link, encode_link

APP = str(ROOT / "app.py")
TIMEOUT = 30


def app(spec: dict | None = None, link: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if spec is not None:
        at.query_params["spec"] = encode_link(spec)
    if link is not None:
        at.query_params["spec"] = link
    return at.run()


def spec_of(at: AppTest) -> dict:
    return at.session_state["spec"]


def by_key(widgets, part: str):
    """The widget whose key contains `part` after its revision prefix (keys look like 'w3:up:(0,)')."""
    found = [w for w in widgets if w.key and w.key.split(":", 1)[-1] == part]
    assert found, f"no widget with key ending {part!r}; have {[w.key for w in widgets][:30]}"
    return found[0]


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def types(at: AppTest) -> list[str]:
    return [layer["type"] for layer in spec_of(at)["layers"]]


def test_build_page_renders_the_default_model_with_shapes():
    at = app()
    no_exception(at)
    assert types(at)[:2] == ["Linear", "Tanh"]
    text = " ".join(m.value for m in at.markdown)
    assert "(16,)" in text and "48 params" in text
    assert any(m.label == "Params" and m.value == "626" for m in at.metric)
    assert "MLP · spiral · 626 params · CrossEntropyLoss · Adam 0.01" in " ".join(m.value for m in at.sidebar.markdown)


def test_adding_editing_reordering_and_deleting_layers():
    at = app(load_example("mlp_spiral"))
    n = len(types(at))
    at.button(key="add:Dropout").click().run()
    no_exception(at)
    assert types(at)[-1] == "Dropout" and len(types(at)) == n + 1
    # edit: out_features of the first Linear
    by_key(at.number_input, "p:(0,):out_features").set_value(24).run()
    assert spec_of(at)["layers"][0]["out_features"] == 24
    assert "(24,)" in " ".join(m.value for m in at.markdown)
    # reorder: move the Dropout (last) up one place
    last = len(types(at)) - 1
    by_key(at.button, f"up:({last},)").click().run()
    assert types(at)[-2] == "Dropout" and types(at)[-1] == "Linear"
    # duplicate then delete
    by_key(at.button, "dup:(0,)").click().run()
    assert types(at)[:2] == ["Linear", "Linear"]
    by_key(at.button, "del:(0,)").click().run()
    assert types(at)[:2] == ["Linear", "Tanh"]
    no_exception(at)


def test_activation_dropdown_writes_a_separate_layer():
    at = app(load_example("mlp_spiral"))
    by_key(at.selectbox, "act:(0,)").set_value("ReLU").run()
    assert types(at)[:3] == ["Linear", "ReLU", "Linear"]
    by_key(at.selectbox, "act:(0,)").set_value("none").run()
    assert types(at)[:2] == ["Linear", "Linear"]


def test_error_appears_on_the_card_and_its_fix_works():
    spec = load_example("cnn_digits")
    spec["layers"] = [layer for layer in spec["layers"] if layer["type"] != "Flatten"]
    at = app(spec)
    no_exception(at)
    errors = [e.value for e in at.error]
    assert any(e.startswith("layers[10] (Linear): receives a 3-D input (10, 2, 2); add Flatten before it") for e in errors), errors
    fix = by_key(at.button, "fix:(10,):Insert Flatten")
    fix.click().run()
    no_exception(at)
    assert types(at)[10] == "Flatten"
    assert not [e for e in at.error if "Flatten" in e.value]
    assert any(m.label == "Params" and m.value == "3,240" for m in at.metric)


def test_invalid_model_cannot_be_trained_and_keeps_what_was_typed():
    spec = load_example("cnn_digits")
    spec["layers"][0]["kernel_size"] = 15
    at = app(spec)
    assert spec_of(at)["layers"][0]["kernel_size"] == 15  # nothing typed is lost
    assert any("kernel_size 15 is larger than its 8×8 input" in e.value for e in at.error)
    at.switch_page("pages/train.py").run()
    no_exception(at)
    assert any("cannot be trained" in e.value for e in at.error)
    assert not [b for b in at.button if b.key == "btn-start"]


def test_templates_load_a_working_model():
    at = app()
    by_key(at.selectbox, "template").set_value("transformer_reverse").run()
    no_exception(at)
    assert spec_of(at)["dataset"]["name"] == "reverse"
    assert "TransformerBlock" in types(at)
    assert any(m.label == "Params" and m.value == "17,738" for m in at.metric)


def test_dataset_change_keeps_layers_and_offers_a_starter():
    at = app(load_example("mlp_spiral"))
    before = types(at)
    by_key(at.selectbox, "dataset").set_value("digits").run()
    no_exception(at)
    assert types(at) == before  # the architecture is kept; its problems are shown
    assert at.error
    by_key(at.button, "starter:digits").click().run()
    assert "Conv2d" in types(at) and not at.error


def test_spec_upload_good_and_bad():
    at = app(load_example("mlp_spiral"))
    good = json.dumps(load_example("lstm_majority")).encode()
    at.file_uploader(key="spec-file").set_value(("lstm.json", good, "application/json")).run()
    no_exception(at)
    assert spec_of(at)["dataset"]["name"] == "majority"
    before = spec_of(at)
    at.file_uploader(key="spec-file").set_value(("bad.json", b'{"dataset": {"name": "spiral"}, "layers": [], "colour": 1}', "application/json")).run()
    no_exception(at)
    assert spec_of(at) == before  # a bad file changes nothing
    assert any("bad.json: spec: unknown key 'colour'" in e.value for e in at.error)
    at.file_uploader(key="spec-file").set_value(("x.json", b"{not json", "application/json")).run()
    assert spec_of(at) == before
    assert any("not valid JSON" in e.value for e in at.error)


def test_url_round_trip_restores_the_exact_spec():
    spec = load_example("transformer_text")
    at = app(spec)
    assert spec_of(at) == spec
    by_key(at.number_input, "p:(2,):num_heads").set_value(2).run()
    link = at.query_params["spec"][0] if isinstance(at.query_params["spec"], list) else at.query_params["spec"]
    restored = decode_link(link)
    assert restored["layers"][2]["num_heads"] == 2
    again = app(link=link)
    assert spec_of(again) == restored


def test_tampered_link_shows_a_message_and_the_default_model():
    at = app(link="z.this-is-not-a-spec")
    no_exception(at)
    assert any("link:" in e.value and "default model" in e.value for e in at.error)
    assert types(at)[0] == "Linear"


def test_every_layer_in_the_palette_can_be_added():
    at = app(load_example("transformer_reverse"))
    for key in [b.key for b in at.button if b.key and b.key.startswith("add:")]:
        at.button(key=key).click().run()
        no_exception(at)
    assert len(types(at)) > 40


@pytest.mark.slow
def test_train_page_trains_and_polls():
    at = app(load_example("mlp_spiral"))
    at.switch_page("pages/train.py").run()
    no_exception(at)
    at.button(key="btn-start").click().run()
    no_exception(at)
    deadline = time.time() + 20
    while time.time() < deadline:
        at.run()
        if any("Finished" in s.value for s in at.success):
            break
        time.sleep(0.3)
    no_exception(at)
    assert any("Finished 150 epochs" in s.value and "test accuracy" in s.value for s in at.success)
    assert any(m.label == "Test accuracy" for m in at.metric)


@pytest.mark.parametrize("name", ["mlp_spiral", "cnn_digits", "cnn_shapes", "lstm_majority", "gru_sine", "transformer_reverse", "transformer_text"])
def test_inspect_page_renders_every_family(name):
    at = app(load_example(name))
    at.switch_page("pages/inspect.py").run()
    no_exception(at)
    # untrained weights, or those a previous AppTest left (AppTest runs share one session-scoped resource)
    assert any("Untrained weights" in i.value or "Weights after" in i.value for i in at.info)
    assert at.get("plotly_chart"), "the trace should be drawn"
    # every tab's figures render: dynamics and evaluation too
    labels = [t.label for t in at.tabs]
    assert labels == ["Look inside", "Training dynamics", "Evaluation"]


def test_inspect_shows_the_trained_model_and_typed_sequences():
    spec = load_example("transformer_reverse")
    spec["training"]["epochs"] = 2
    at = app(spec)
    at.switch_page("pages/train.py").run()
    at.button(key="btn-start").click().run()
    deadline = time.time() + 30
    while time.time() < deadline and not any("Finished" in s.value for s in at.success):
        time.sleep(0.3)
        at.run()
    at.switch_page("pages/inspect.py").run()
    no_exception(at)
    assert any("Weights after" in i.value and "2 epochs" in i.value and "taken when training finished" in i.value for i in at.info)
    at.segmented_control(key="insp-mode").set_value("Type").run()
    at.text_input(key="insp-text").set_value("1 2 3 4 5 6 7 8").run()
    no_exception(at)
    at.text_input(key="insp-text").set_value("1 2 x").run()
    assert any("'x' is not a token of reverse" in e.value for e in at.error)
