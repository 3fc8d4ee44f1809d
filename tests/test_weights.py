"""Trained weights in and out: the safetensors file with its spec, the typed door for uploads, a mismatch in
one sentence, starting a run from loaded weights, the `.pt2` program and the CLI."""
from __future__ import annotations

import io
import json
import pickle
import struct
import subprocess
import sys

import pytest
import torch
from safetensors.torch import save as st_save

from conftest import ROOT, load_example
from conftest import analyze_doc as analyze
from playground import i18n, weights
from playground.model import build_model
from playground.training import Trainer, TrainingJob
from test_jobs import wait_until

IRIS = {"name": "iris on an MLP", "dataset": {"name": "iris"},
        "layers": [{"type": "Linear", "out_features": 16}, {"type": "ReLU"}, {"type": "Linear", "out_features": 3}],
        "optimizer": {"type": "Adam", "lr": 0.02}, "training": {"epochs": 6}}


def trained(doc=IRIS, epochs: int = 6) -> tuple:
    """A really trained model: its analysis, trainer, and last epoch record."""
    a = analyze(doc)
    trainer = Trainer(a)
    record = None
    while trainer.epoch < epochs:
        _, record = trainer.train_step()
    return a, trainer, record


def reason(data: bytes, doc=IRIS) -> str:
    with pytest.raises(weights.WeightsError) as e:
        weights.load(data, analyze(doc))
    en = e.value.msg.render("en")
    assert e.value.msg.render("zh") != en  # both catalogs word it
    return en


# ---------------------------------------------------------------- the round trip
def test_weights_travel_with_their_spec_and_give_the_same_test_accuracy():
    a, trainer, record = trained()
    data = weights.to_bytes(trainer.model, a.spec)
    file = weights.parse(data)
    assert file.spec == a.spec
    state = weights.state_for(file, analyze(json.loads(a.spec.to_json())))  # onto the same spec, read back from its JSON
    assert state.keys() == trainer.model.state_dict().keys()
    assert all(torch.equal(state[k], v) for k, v in trainer.model.state_dict().items())
    loss, accuracy = weights.evaluate(a, state)
    assert (loss, accuracy) == pytest.approx((record.test_loss, record.test_accuracy), abs=1e-6)
    assert accuracy > 0.8  # a trained model, not the seed's


def test_training_settings_may_differ_the_model_may_not():
    a, trainer, _ = trained()
    data = weights.to_bytes(trainer.model, a.spec)
    other_settings = {**IRIS, "name": "renamed", "optimizer": {"type": "SGD", "lr": 0.1}, "training": {"epochs": 50}}
    assert weights.load(data, analyze(other_settings)).keys() == trainer.model.state_dict().keys()


# ---------------------------------------------------------------- a mismatch in one sentence
def test_a_different_model_is_named_with_the_layer_that_differs():
    a, trainer, _ = trained()
    wider = {**IRIS, "layers": [{"type": "Linear", "out_features": 32}, *IRIS["layers"][1:]]}
    text = reason(weights.to_bytes(trainer.model, a.spec), wider)
    assert text == ("they were trained for a different model, “iris on an MLP” (its layer 0 is Linear(out_features=16, bias=True), "
                    "yours is Linear(out_features=32, bias=True))")


def test_a_different_dataset_is_named():
    a, trainer, _ = trained()
    text = reason(weights.to_bytes(trainer.model, a.spec), {**IRIS, "dataset": {"name": "iris", "seed": 3}})
    assert "trained on iris(test_fraction=0.2, seed=0), yours uses iris(test_fraction=0.2, seed=3)" in text


def test_a_file_from_elsewhere_is_checked_tensor_by_tensor():
    state = build_model(analyze(IRIS)).state_dict()
    assert reason(st_save({**state, "2.weight": torch.zeros(4, 16)})) == "layer 2 (Linear): 2.weight should have shape (3, 16), the file has (4, 16)"
    missing = {k: v for k, v in state.items() if k != "2.bias"}
    assert reason(st_save(missing)) == "the file lacks 1 tensor(s) your model needs, starting with 2.bias of layer 2 (Linear)"
    assert reason(st_save({**state, "9.weight": torch.zeros(2)})) == "the file has 1 tensor(s) your model does not have: 9.weight"
    ints = {**state, "0.bias": torch.zeros(16, dtype=torch.int64)}
    assert reason(st_save(ints)) == "layer 0 (Linear): 0.bias should be float32, the file has int64"
    # a file without the spec that fits: accepted
    assert weights.load(st_save(dict(state)), analyze(IRIS)).keys() == state.keys()


# ---------------------------------------------------------------- untrusted bytes
def _with_header(header: dict, body: bytes = b"") -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


@pytest.mark.parametrize("data, words", [
    (b"", "too short to hold a header"),
    (b"\x00" * 7, "too short to hold a header"),
    (struct.pack("<Q", 10**12) + b"{}", "the header length in its first 8 bytes does not fit the file"),
    (struct.pack("<Q", 4) + b"nope", "its header is not a JSON object"),
    (struct.pack("<Q", 2) + b"[]", "its header is not a JSON object"),
    (_with_header({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "x": {"dtype": "F32", "shape": [1e3], "data_offsets": [0, 4]}},
                  b"\x00" * 8), "the entry for tensor 'x' is malformed"),
    (_with_header({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, b"\x00" * 8), "the entry for tensor 'w' is malformed"),
    (_with_header({"w": {"dtype": "OBJ", "shape": [1], "data_offsets": [0, 1]}}, b"\x00"), "the entry for tensor 'w' is malformed"),
    (_with_header({"__metadata__": {"a": 1}}), "its metadata is not text"),
    (_with_header({"__metadata__": {weights.SPEC_KEY: '{"layers": []}'}}), "the spec stored in it is not valid"),
    (pickle.dumps({"w": [1.0, 2.0]}), "not a safetensors weights file"),
])
def test_anything_but_a_safetensors_file_is_refused_in_one_sentence(data, words):
    text = reason(data)
    assert words in text and "\n" not in text


def test_a_pickled_torch_file_is_never_unpickled():
    buffer = io.BytesIO()
    torch.save(build_model(analyze(IRIS)).state_dict(), buffer)  # what torch.save writes: a zip of pickles
    assert reason(buffer.getvalue()).startswith("it is not a safetensors weights file")


def test_size_limits_come_before_parsing():
    assert reason(b"\x00" * (weights.MAX_WEIGHTS_BYTES + 1)).startswith("the file is ")
    nan = struct.pack("<Q", 13) + b'{"x": NaN}   '
    assert "not a JSON object" in reason(nan)


# ---------------------------------------------------------------- a run that starts from loaded weights
def test_a_job_starts_from_the_given_weights_and_trains_on_from_them():
    a, trainer, record = trained()
    data = weights.to_bytes(trainer.model, a.spec)
    job = TrainingJob(a, weights=data)
    try:
        assert job.from_weights
        copy = job.model_copy()
        assert all(torch.equal(copy.state_dict()[k], v) for k, v in trainer.model.state_dict().items())  # before any batch
        reference = Trainer(a)  # the same batches from the same seed, starting from the same weights
        reference.model.load_state_dict(weights.load(data, a))
        reference.train_step()
        job.step_once()
        assert job.wait_for_step(1, 60)
        after = job.model_copy()
        assert all(torch.equal(after.state_dict()[k], v) for k, v in reference.model.state_dict().items())
        job.start()
        assert wait_until(lambda: job.ended)
        first = job.snapshot().epochs[0]
        assert first.test_accuracy >= record.test_accuracy - 0.1  # from the trained weights, not from scratch
    finally:
        job.stop()


# ---------------------------------------------------------------- the .pt2 program
@pytest.mark.parametrize("name", ["mlp_spiral", "cnn_digits", "transformer_reverse"])
def test_the_pt2_program_loads_back_and_computes_what_the_model_does(name):
    a = analyze(load_example(name))
    model = build_model(a, seed=7).eval()
    program = torch.export.load(io.BytesIO(weights.export_pt2(a, model)))
    for n in (2, 5):  # the batch size is free
        x = a.dataset.x_test[:n]
        with torch.no_grad():
            assert torch.allclose(program.module()(x), model(x), atol=1e-5)


# ---------------------------------------------------------------- the command line
def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "playground", *args], capture_output=True, text=True, cwd=cwd,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "LANG": "en"})


def test_cli_exports_a_pt2_with_trained_weights_and_the_py_beside_them(tmp_path):
    a, trainer, _ = trained()
    (tmp_path / "spec.json").write_text(a.spec.to_json())
    (tmp_path / "trained.safetensors").write_bytes(weights.to_bytes(trainer.model, a.spec))
    done = cli("export", "spec.json", "-o", "model.pt2", "--weights", "trained.safetensors", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    program = torch.export.load(str(tmp_path / "model.pt2"))
    x = a.dataset.x_test
    with torch.no_grad():
        assert torch.allclose(program.module()(x), trainer.model.eval()(x), atol=1e-5)
    done = cli("export", "spec.json", "-o", "model.py", "--weights", "trained.safetensors", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "model.safetensors").read_bytes() == (tmp_path / "trained.safetensors").read_bytes()
    ran = subprocess.run([sys.executable, "model.py"], capture_output=True, text=True, cwd=tmp_path)
    assert ran.stdout.startswith("weights: model.safetensors\n"), ran.stderr


def test_cli_refuses_weights_of_another_model_in_one_line(tmp_path):
    a, trainer, _ = trained()
    (tmp_path / "other.json").write_text(json.dumps(load_example("mlp_spiral")))
    (tmp_path / "w.safetensors").write_bytes(weights.to_bytes(trainer.model, a.spec))
    done = cli("export", "other.json", "-o", "m.pt2", "--weights", "w.safetensors", cwd=tmp_path)
    assert done.returncode == 2 and not (tmp_path / "m.pt2").exists()
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: they were trained for a different model, “iris on an MLP”")
    done = cli("export", "other.json", "--format", "pt2", cwd=tmp_path)
    assert done.returncode == 2 and "-o FILE.pt2" in done.stderr and "Traceback" not in done.stderr


def test_the_catalogs_word_every_sentence_in_chinese():
    a, trainer, _ = trained()
    wider = analyze({**IRIS, "layers": [{"type": "Linear", "out_features": 32}, *IRIS["layers"][1:]]})
    with pytest.raises(weights.WeightsError) as e:
        weights.load(weights.to_bytes(trainer.model, a.spec), wider)
    with i18n.using("zh"):
        assert str(e.value) == "这些权重是为另一个模型“iris on an MLP”训练的（它的第 0 层是 Linear(out_features=16, bias=True)，你的是 Linear(out_features=32, bias=True)）"
