"""Weights on the pages (AppTest): upload onto a fresh session, what Train and Inspect then say, a mismatch kept out."""
from __future__ import annotations

import pytest

from apptest import app, no_exception, shown, spec_of
from playground import weights
from test_app import run_until_finished
from test_weights import IRIS, trained


@pytest.fixture(scope="module")
def trained_file():
    """Weights of a really trained model, as the download button makes them, and its last epoch's record."""
    a, trainer, record = trained()
    return weights.to_bytes(trainer.model, a.spec), record


def upload(at, data: bytes, name: str = "iris_on_an_mlp.safetensors"):
    at.file_uploader(key="weights-file").upload(name, data).run()
    no_exception(at)
    return at


def test_uploaded_weights_become_the_sessions_model_with_their_test_accuracy(trained_file):
    data, record = trained_file
    at = app(IRIS)  # a fresh session on the same spec
    assert at.download_button(key="dl-weights").disabled  # nothing trained yet
    upload(at, data)
    accuracy = f"{record.test_accuracy:.1%}"
    assert any(s.startswith("Loaded the weights from 'iris_on_an_mlp.safetensors'") and f"test accuracy {accuracy}" in s
               for s in shown(at.success)), shown(at.success)
    assert not at.download_button(key="dl-weights").disabled  # the loaded weights can go out again
    at.switch_page("pages/train.py").run()
    no_exception(at)
    assert any(s.startswith("Weights loaded from 'iris_on_an_mlp.safetensors'") and accuracy in s for s in shown(at.info)), shown(at.info)
    assert at.download_button(key="dl-weights-train").label == "Weights (.safetensors)"
    at.switch_page("pages/inspect.py").run()
    no_exception(at)
    assert any(s.startswith("Weights loaded from 'iris_on_an_mlp.safetensors', not trained here") and accuracy in s
               for s in shown(at.info)), shown(at.info)


def test_start_continues_training_from_the_loaded_weights(trained_file):
    data, record = trained_file
    at = app({**IRIS, "training": {"epochs": 1}})
    upload(at, data)
    at.switch_page("pages/train.py").run()
    at.button(key="btn-start").click().run()
    run_until_finished(at)
    at.run()
    no_exception(at)
    assert any(s.startswith("This run started from the weights in 'iris_on_an_mlp.safetensors'") for s in shown(at.info)), shown(at.info)
    finished = [s for s in shown(at.success) + shown(at.warning) if s.startswith("Finished 1 epoch")]
    assert finished and float(finished[0].split("test accuracy ")[1].split("%")[0]) / 100 >= record.test_accuracy - 0.1


def test_weights_of_another_model_are_refused_in_one_sentence_and_the_model_is_kept(trained_file):
    data, _ = trained_file
    wider = {**IRIS, "layers": [{"type": "Linear", "out_features": 32}, *IRIS["layers"][1:]]}
    at = app(wider)
    before = spec_of(at)
    upload(at, data)
    errors = shown(at.error)
    assert errors == ["'iris_on_an_mlp.safetensors' was not loaded: they were trained for a different model, “iris on an MLP” "
                      "(its layer 0 is Linear(out_features=16, bias=True), yours is Linear(out_features=32, bias=True)). "
                      "Your model is unchanged."], errors
    assert spec_of(at) == before and at.download_button(key="dl-weights").disabled  # no run was made from them
    upload(at, b"not weights at all", "junk.safetensors")
    assert shown(at.error) == ["'junk.safetensors' was not loaded: it is not a safetensors weights file "
                               "(the header length in its first 8 bytes does not fit the file). "
                               "Your model is unchanged."]


def test_the_weights_controls_speak_chinese(trained_file):
    data, _ = trained_file
    at = app({**IRIS, "layers": IRIS["layers"][:1] + [{"type": "Tanh"}] + IRIS["layers"][2:]}, lang="zh")
    assert at.download_button(key="dl-weights").label == "权重 (.safetensors)"
    upload(at, data)
    assert shown(at.error) == ["'iris_on_an_mlp.safetensors' 未载入：这些权重是为另一个模型“iris on an MLP”训练的"
                               "（它的第 1 层是 ReLU()，你的是 Tanh()）。你的模型没有改变。"], shown(at.error)


def test_another_models_weights_can_open_that_model_on_request(trained_file):
    data, record = trained_file
    at = app({"dataset": {"name": "moons"}, "layers": [{"type": "Linear", "out_features": 2}]})  # e.g. a fresh session's model
    upload(at, data)
    assert shown(at.error)[0].startswith("'iris_on_an_mlp.safetensors' was not loaded: they were trained for a different model")
    assert spec_of(at).dataset.name == "moons"  # kept until the learner asks
    offer = at.button(key="weights-open-theirs")
    assert offer.label == "Open “iris on an MLP” with these weights"
    offer.click().run()
    no_exception(at)
    assert spec_of(at).name == "iris on an MLP" and not at.error
    assert any(s.startswith("Loaded the weights from 'iris_on_an_mlp.safetensors'") and f"test accuracy {record.test_accuracy:.1%}" in s
               for s in shown(at.success)), shown(at.success)
