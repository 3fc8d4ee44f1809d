"""`python -m playground summary | train | export`, run as a user runs it: a subprocess from the repository root.

Starting Python and importing torch takes seconds of CPU, so only what needs a real process runs as one
(exit status and stderr, a closed pipe, the main JSON outputs, a fresh `python FILE` for exports); those
commands start together, two at a time, when the first test needs them, and each test reads its own
result. The rest calls the same `main(argv)` in-process.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from playground.cli import main
from playground.model import build_model, count_params
from playground.analysis import analyze
from playground.spec import parse_spec

from conftest import EXAMPLES, ROOT

SHAPES = EXAMPLES / "cnn_shapes.json"
SPIRAL = EXAMPLES / "mlp_spiral.json"
EXPORTED = ["mlp_spiral", "cnn_digits", "lstm_majority", "transformer_reverse"]
TINY_REGRESSION = {"dataset": {"name": "sine", "n_samples": 100}, "layers": [{"type": "Linear", "out_features": 8}, {"type": "Tanh"},
                                                                             {"type": "Linear", "out_features": 1}]}


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=180)


def cli(*args) -> subprocess.CompletedProcess:
    return run("-m", "playground", *map(str, args))


def first_line_then_close(*args) -> tuple[str, int, str]:
    """Like `python -m playground ... | head -1`: read one line, then close the pipe."""
    p = subprocess.Popen([sys.executable, "-m", "playground", *map(str, args)], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    p.stdout.close()
    stderr = p.stderr.read()
    return line, p.wait(timeout=180), stderr


def run_file(path: Path) -> subprocess.CompletedProcess:
    """`python FILE` with a fresh, isolated Python, in a folder that holds nothing but the file."""
    return run("-I", path.name, cwd=path.parent)


def export_and_run(spec: Path, target: Path) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    return cli("export", spec, "-o", target), run_file(target)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    bad_layer = tmp / "bad_layer.json"
    bad_layer.write_text(json.dumps({"dataset": {"name": "iris"}, "layers": [{"type": "Linaer", "out_features": 3}]}))
    exported = {}
    for name in EXPORTED:
        exported[name] = tmp / name / f"{name}.py"
        exported[name].parent.mkdir()
    # The MLP goes through the export command as a subprocess; the others are exported in-process (same code)
    # to save three interpreter starts, and every file then runs with a fresh `python FILE`.
    for name in EXPORTED[1:]:
        assert main(["export", str(EXAMPLES / f"{name}.json"), "-o", str(exported[name])]) == 0
    jobs = {
        "summary_json": (cli, "summary", SHAPES, "--json"),
        "invalid_spec": (cli, "train", bad_layer, "--json"),
        "train": (cli, "train", SPIRAL, "--epochs", "3", "--json"),
        "head": (first_line_then_close, "train", SPIRAL, "--epochs", "1000"),
        f"export_{EXPORTED[0]}": (export_and_run, EXAMPLES / f"{EXPORTED[0]}.json", exported[EXPORTED[0]]),
        **{f"run_{name}": (run_file, exported[name]) for name in EXPORTED[1:]},
    }
    # two at a time: this machine has two cores, and each start is mostly importing torch
    with ThreadPoolExecutor(2) as pool:
        futures: dict[str, Future] = {key: pool.submit(fn, *args) for key, (fn, *args) in jobs.items()}
        futures["exported"] = exported
        yield futures


def result(results, key):
    return results[key].result()


def json_lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def assert_one_clean_error_line(p: subprocess.CompletedProcess) -> str:
    assert p.returncode == 2, p.stderr
    assert p.stdout == ""
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert "Traceback" not in p.stderr
    return lines[0]


# ---------------------------------------------------------------- summary
def test_summary_lists_every_layer_with_shape_and_params(capsys):
    assert main(["summary", str(SHAPES)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "CNN on shapes · dataset shapes (multiclass) · input (1, 28, 28)"
    rows = {tuple(line.split()[:2]): line for line in lines[2:12]}
    assert re.fullmatch(r"0\s+Conv2d\s+\(8, 28, 28\)\s+80", rows[("0", "Conv2d")])
    assert re.fullmatch(r"6\s+Flatten\s+\(784,\)\s+0", rows[("6", "Flatten")])
    a = analyze(parse_spec(SHAPES.read_bytes()))
    assert re.fullmatch(rf"7\s+Linear\s+\(32,\)\s+{a.layers[7].params:,}", rows[("7", "Linear")])
    assert a.layers[7].params == 784 * 32 + 32  # 784 inputs × 32 outputs + 32 biases
    assert lines[12] == f"total params: {a.total_params:,}   multiply-adds per sample: {a.total_macs:,}"
    assert lines[13] == "loss: CrossEntropyLoss   optimizer: Adam lr 0.003"


def test_summary_json_counts_parameters_like_pytorch(results):
    p = result(results, "summary_json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    model = build_model(analyze(parse_spec(SHAPES.read_bytes())))
    assert doc["total_params"] == count_params(model) == 26_533
    assert [layer["params"] for layer in doc["layers"]] == [sum(p.numel() for p in m.parameters()) for m in model]
    assert doc["layers"][6] == {"index": "layers[6]", "type": "Flatten", "output_shape": [784], "params": 0, "macs": 0}
    assert (doc["dataset"], doc["task"], doc["input_shape"], doc["loss"], doc["optimizer"]) == ("shapes", "multiclass", [1, 28, 28],
                                                                                                 "CrossEntropyLoss", "Adam")


@pytest.mark.parametrize("name", EXPORTED)
def test_summary_json_in_process_matches_the_built_model(name, capsys):
    assert main(["summary", str(EXAMPLES / f"{name}.json"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["total_params"] == count_params(build_model(analyze(parse_spec((EXAMPLES / f"{name}.json").read_bytes()))))


# ---------------------------------------------------------------- errors: exit status 2, one line, no traceback
def test_an_invalid_spec_exits_2_with_one_line(results):
    line = assert_one_clean_error_line(result(results, "invalid_spec"))
    assert line == "error: layer 0: unknown layer type 'Linaer' — did you mean 'Linear'?"


def test_invalid_json_exits_2_with_one_line_in_process(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"dataset": {"name": "iris"},\n "layers": [}')
    assert main(["summary", str(bad)]) == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err == "error: spec: not valid JSON — Expecting value at line 2, column 13\n"


def test_a_missing_file_exits_2_with_one_line(tmp_path, capsys):
    assert main(["summary", str(tmp_path / "no_such_spec.json")]) == 2
    out = capsys.readouterr()
    assert out.out == "" and re.fullmatch(r"error: cannot read .*no_such_spec\.json: No such file or directory\n", out.err)


def test_bad_options_exit_2_in_process(capsys):
    with pytest.raises(SystemExit) as err:
        main(["train", str(SPIRAL), "--epochs", "0"])
    assert err.value.code == 2
    assert capsys.readouterr().err == "error: --epochs must be at least 1 (see --help)\n"


# ---------------------------------------------------------------- train
def test_train_json_prints_one_object_per_epoch_and_a_final_one(results):
    p = result(results, "train")
    assert p.returncode == 0, p.stderr
    lines = json_lines(p.stdout)
    assert len(lines) == 4  # --epochs 3 overrides the spec's 150
    for i, record in enumerate(lines[:3], start=1):
        assert record["epoch"] == i
        assert {"epoch", "seconds", "train_loss", "test_loss", "test_accuracy"} <= record.keys()
        assert 0 <= record["test_accuracy"] <= 1 and record["train_loss"] > 0
    assert [r["seconds"] for r in lines[:3]] == sorted(r["seconds"] for r in lines[:3])
    final = lines[-1]
    assert final["final"] is True and final["status"] == "finished"
    assert {k: final[k] for k in lines[2]} == lines[2]


def test_train_json_for_regression_has_no_accuracy_in_process(tmp_path, capsys):
    spec = tmp_path / "regression.json"
    spec.write_text(json.dumps(TINY_REGRESSION))
    assert main(["train", str(spec), "--epochs", "2", "--json"]) == 0
    lines = json_lines(capsys.readouterr().out)
    assert [line.get("epoch") for line in lines] == [1, 2, 2]
    assert all("test_accuracy" not in line and "test_loss" in line for line in lines)


def test_train_honours_max_seconds(capsys):
    assert main(["train", str(SPIRAL), "--epochs", "1000", "--max-seconds", "1", "--json"]) == 0
    lines = json_lines(capsys.readouterr().out)
    epochs, final = lines[:-1], lines[-1]
    assert final["final"] is True
    assert 1 <= len(epochs) < 1000
    assert epochs[-1]["seconds"] >= 1.0  # it stops at the first epoch end past the budget...
    assert len(epochs) == 1 or epochs[-2]["seconds"] <= 1.0  # ...and not before (seconds are rounded to ms)


def test_a_closed_pipe_ends_training_quietly(results):
    line, returncode, stderr = result(results, "head")
    assert line.startswith("epoch    1 ")
    assert stderr == ""  # no traceback, no "Exception ignored"
    assert returncode == 141


# ---------------------------------------------------------------- export
def test_the_export_command_writes_the_file(results):
    exported, _ = result(results, f"export_{EXPORTED[0]}")
    assert exported.returncode == 0 and exported.stdout == "" and exported.stderr == ""
    assert "\nTITLE = 'MLP on spiral'\n" in results["exported"][EXPORTED[0]].read_text()


@pytest.mark.parametrize("name", EXPORTED)
def test_the_exported_file_runs_with_only_torch(results, name):
    ran = result(results, f"export_{name}")[1] if name == EXPORTED[0] else result(results, f"run_{name}")
    code = results["exported"][name].read_text()
    assert not re.search(r"^\s*(import|from) playground", code, re.M)
    assert ran.returncode == 0, ran.stderr
    a = analyze(parse_spec((EXAMPLES / f"{name}.json").read_bytes()))
    assert ran.stdout.splitlines() == [f"output shape: {(4, *a.output_shape)}", f"parameters: {a.total_params}"]
    # the count the summary reports
    assert a.total_params == count_params(build_model(a))


def test_export_to_stdout_is_the_same_code(tmp_path, capsys):
    assert main(["export", str(SPIRAL)]) == 0
    code = capsys.readouterr().out
    assert main(["export", str(SPIRAL), "-o", str(tmp_path / "m.py")]) == 0
    assert (tmp_path / "m.py").read_text() == code
    compile(code, "m.py", "exec")


# ---------------------------------------------------------------- hostile specs through the command line
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from test_spec import HOSTILE_SPECS  # noqa: E402


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(HOSTILE_SPECS, st.binary(max_size=200)))
def test_any_file_gives_a_summary_or_one_clean_error_line(tmp_path_factory, doc):
    path = tmp_path_factory.mktemp("fuzz") / "spec.json"
    path.write_bytes(doc if isinstance(doc, bytes) else json.dumps(doc).encode())
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["summary", str(path)])
    assert code in (0, 2)
    if code == 2:
        lines = err.getvalue().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and out.getvalue() == ""
    else:
        assert err.getvalue() == "" and "total params" in out.getvalue()


def test_errors_follow_the_language(tmp_path, capsys, monkeypatch):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"dataset": {"name": "iris"}, "layers": [{"type": "Linaer"}]}))
    assert main(["--lang", "zh", "summary", str(bad)]) == 2
    assert capsys.readouterr().err.startswith("错误：第 0 层：未知的层类型 'Linaer'")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert main(["summary", str(bad)]) == 2
    assert capsys.readouterr().err.startswith("错误：")
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert main(["summary", str(bad)]) == 2
    assert capsys.readouterr().err.startswith("error: layer 0: unknown layer type 'Linaer'")
