"""The exported PyTorch file: the same function as the built model, the same training, and no code from a spec."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from playground.analysis import analyze
from playground.export import export_code, steps_per_epoch
from playground.model import build_model
from playground.optimizers import lr_factor
from playground.spec import from_data
from playground.training import Trainer

from conftest import load_example

# Every module class the export must carry: Residual, Reshape, learned and sinusoidal positional encodings,
# Conv1d, recurrent wrappers, attention and the Transformer block.
SPECS = {
    "cnn_digits": load_example("cnn_digits"),
    "transformer_reverse": load_example("transformer_reverse"),
    "gru_sine": load_example("gru_sine"),
    "residual_reshape_conv1d": {
        "dataset": {"name": "iris"},
        "layers": [{"type": "Linear", "out_features": 16}, {"type": "Residual", "layers": [{"type": "Linear", "out_features": 16}, {"type": "ReLU"}]},
                   {"type": "Reshape", "shape": [2, 8]}, {"type": "Conv1d", "out_channels": 4, "kernel_size": 3}, {"type": "Flatten"},
                   {"type": "Linear", "out_features": 3}],
        "training": {"lr_schedule": "cosine", "warmup_epochs": 2, "grad_clip": 1.0, "l1": 0.001, "l2": 0.01, "epochs": 6},
    },
    "learned_positions": {
        "dataset": {"name": "sort", "n_samples": 400},
        "layers": [{"type": "Embedding", "embedding_dim": 16}, {"type": "PositionalEncoding", "kind": "learned"},
                   {"type": "MultiheadAttention", "num_heads": 2}, {"type": "Linear", "out_features": 10}],
        "optimizer": {"type": "SGD", "lr": 0.05, "momentum": 0.9}, "training": {"lr_schedule": "step", "step_size": 1, "gamma": 0.5},
    },
    "bce_binary": {"dataset": {"name": "moons"}, "layers": [{"type": "Linear", "out_features": 8}, {"type": "Tanh"}, {"type": "Linear", "out_features": 1}],
                   "loss": {"type": "BCEWithLogitsLoss"}},
    "input_features": {"dataset": {"name": "circle"}, "layers": [{"type": "InputFeatures", "features": ["x1^2", "x2^2", "x1*x2", "sin(x1)"]},
                                                                  {"type": "Linear", "out_features": 2}]},
    "mse_classes": {"dataset": {"name": "iris"}, "layers": [{"type": "Linear", "out_features": 3}], "loss": {"type": "MSELoss"}},
}


def _load(code: str) -> dict:
    namespace: dict = {"__name__": "exported"}
    exec(compile(code, "exported.py", "exec"), namespace)  # our own generated file, in a test: this is what the user runs
    return namespace


@pytest.mark.parametrize("name", list(SPECS))
def test_the_exported_model_computes_what_the_playground_built(name):
    a = analyze(from_data(SPECS[name]))
    ns = _load(export_code(a))
    torch.manual_seed(ns["SEED"])
    exported = ns["build_model"]().eval()
    ours = build_model(a).eval()
    x = a.dataset.x_test[:16]
    with torch.no_grad():
        assert torch.equal(exported(x), ours(x))
    assert exported.state_dict().keys() == ours.state_dict().keys()


@pytest.mark.parametrize("name", list(SPECS))
def test_the_exported_training_is_the_playgrounds(name):
    """Three steps of the exported `train_step` give the weights the playground's Trainer gives (no dropout here)."""
    a = analyze(from_data(SPECS[name]))
    ns = _load(export_code(a))
    trainer = Trainer(a)
    torch.manual_seed(ns["SEED"])
    model = ns["build_model"]()
    loss_fn, optimizer, scheduler = ns["make_training"](model)
    assert ns["STEPS_PER_EPOCH"] == trainer.steps_per_epoch == steps_per_epoch(a.dataset.n_train, a.training.batch_size)
    order = torch.randperm(a.dataset.n_train, generator=torch.Generator().manual_seed(a.training.seed))
    for step in range(3):
        expected = a.optimizer.lr * lr_factor(a.training.args(), step / trainer.steps_per_epoch)
        assert optimizer.param_groups[0]["lr"] == pytest.approx(expected)
        idx = order[step * trainer.batch_size:(step + 1) * trainer.batch_size]
        exported_loss = ns["train_step"](model, a.dataset.x_train[idx], a.dataset.y_train[idx], loss_fn, optimizer, scheduler)
        ours, _ = trainer.train_step()
        assert exported_loss == pytest.approx(ours, rel=1e-5)
    for p, q in zip(model.parameters(), trainer.model.parameters()):
        assert torch.allclose(p, q, atol=1e-6)


def test_the_learning_rate_a_run_ended_with_is_exported():
    a = analyze(from_data(load_example("mlp_spiral")))
    ns = _load(export_code(a, lr=0.123))
    _, optimizer, _ = ns["make_training"](ns["build_model"]())
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.123 * lr_factor(a.training.args(), 0))


HOSTILE_NAMES = ['x"""\nimport os; print("INJECTED")\n"""', "x'''\nprint('INJECTED')\n'''", "x\\\nprint('INJECTED')",
                 "x\r\nprint('INJECTED')", "x\u2028print('INJECTED')", "{__import__('os')}", "</script><b>x"]


# Runs each exported file given on the command line as `python FILE` would (as __main__), in one process: a
# subprocess per file would start PyTorch seven times
RUN_EACH = """
import contextlib, io, json, runpy, sys
out = {}
for path in sys.argv[1:]:
    with contextlib.redirect_stdout(io.StringIO()) as buf:
        runpy.run_path(path, run_name="__main__")
    out[path] = buf.getvalue()
print(json.dumps(out))
"""


def test_a_hostile_name_cannot_run_code_in_the_exported_file(tmp_path):
    paths = []
    for i, name in enumerate(HOSTILE_NAMES):
        path = tmp_path / f"model_{i}.py"
        path.write_text(export_code(analyze(from_data({**load_example("mlp_spiral"), "name": name}))))
        paths.append(str(path))
    ran = subprocess.run([sys.executable, "-I", "-c", RUN_EACH, *paths], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert "INJECTED" not in ran.stdout + ran.stderr
    printed = json.loads(ran.stdout)
    for name, path in zip(HOSTILE_NAMES, paths):
        assert printed[path].splitlines() == ["output shape: (4, 2)", "parameters: 626"], name
        assert _load(Path(path).read_text())["TITLE"] == name


# A driver for the exported file, run as its own process: it imports the file, whose loader reads the weights
# saved beside it, and prints the accuracy and outputs on the test split (saved beside it as well).
DRIVER = """
import importlib.util, json, sys
import torch
spec = importlib.util.spec_from_file_location("model", "model.py")
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
test = m.read_safetensors("test.safetensors")
model = m.build_model()
m.load_weights(model, "model.safetensors")
with torch.no_grad():
    out = model.eval()(test["x"])
print(json.dumps({"accuracy": (out.argmax(-1) == test["y"]).float().mean().item(), "outputs": out[:5].tolist()}))
"""


def test_the_exported_file_runs_with_the_downloaded_weights_beside_it(tmp_path):
    from safetensors.torch import save_file

    from playground import weights

    doc = {**load_example("mlp_spiral"), "training": {"epochs": 40, "batch_size": 32, "seed": 0}}
    a = analyze(from_data(doc))
    trainer = Trainer(a)
    while not trainer.done:
        _, record = trainer.train_step()
    (tmp_path / "model.py").write_text(export_code(a))
    (tmp_path / "model.safetensors").write_bytes(weights.to_bytes(trainer.model, a.spec))  # what the download button gives
    save_file({"x": a.dataset.x_test, "y": a.dataset.y_test}, str(tmp_path / "test.safetensors"))
    ran = subprocess.run([sys.executable, "-I", "model.py"], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == ["weights: model.safetensors", "output shape: (4, 2)", "parameters: 626"]
    driven = subprocess.run([sys.executable, "-I", "-c", DRIVER], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert driven.returncode == 0, driven.stderr
    result = json.loads(driven.stdout)
    assert result["accuracy"] == pytest.approx(record.test_accuracy, abs=1e-6) and record.test_accuracy > 0.6
    with torch.no_grad():
        assert torch.allclose(torch.tensor(result["outputs"]), trainer.model.eval()(a.dataset.x_test[:5]), atol=1e-5)
