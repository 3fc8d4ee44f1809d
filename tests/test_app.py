"""The Train and Inspect pages, driven through streamlit.testing.v1.AppTest (a real app run, no browser)."""
import time

import pytest

from apptest import app, no_exception, shown
from conftest import load_example


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
    assert any("'x' is not a token of reverse" in e for e in shown(at.error))
