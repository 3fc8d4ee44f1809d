"""Run records and their files, the spec diff in words, sweeps and their queue (no Streamlit)."""
import base64
import copy
import json

import pytest
import torch

from conftest import analyze_doc, load_example
from playground.experiments import records
from playground.experiments.book import RunBook
from playground.experiments.capture import record_from_job
from playground.experiments.diff import spec_diff
from playground.experiments.queue import SweepQueue, plan
from playground.experiments.records import EpochPoint, RunFileError, RunRecord, parse_run, to_json, trained_model
from playground.experiments.sweeps import SweepError, axes_for, fair_share, grid, parse_values
from playground.i18n import using
from playground.model import build_model
from playground.spec import from_data
from playground.training import Pool, TrainingJob
from playground.training.protocol import decode_weights, encode_weights

SPIRAL = load_example("mlp_spiral")


def _spec(change=None):
    doc = copy.deepcopy(SPIRAL)
    if change:
        change(doc)
    return from_data(doc)


def _words(change, lang: str = "en") -> list[str]:
    with using(lang):
        return [str(m) for m in spec_diff(_spec(), _spec(change))]


# ---------------------------------------------------------------- the diff in words
def test_a_learning_rate_change_reads_as_pytorch_names_it():
    assert _words(lambda d: d["optimizer"].update(lr=0.1)) == ["lr 0.01 → 0.1"]
    assert _words(lambda d: d["optimizer"].update(lr=0.1), "zh") == ["lr 0.01 → 0.1"]


def test_an_inserted_layer_reads_as_one_insertion_after_its_card():
    assert _words(lambda d: d["layers"].insert(4, {"type": "Dropout", "p": 0.2})) == ["+ Dropout(0.2) after layer 3"]
    assert _words(lambda d: d["layers"].insert(0, {"type": "BatchNorm1d"})) == ["+ BatchNorm1d at the start"]
    assert _words(lambda d: d["layers"].insert(4, {"type": "Dropout", "p": 0.2}), "zh") == ["+ Dropout(0.2)，在第 3 层之后"]


def test_a_removed_layer_names_its_number_and_type():
    assert _words(lambda d: d["layers"].pop(1)) == ["− layer 1 (Tanh)"]
    assert _words(lambda d: d["layers"].pop(1), "zh") == ["− 第 1 层（Tanh）"]


def test_a_width_change_on_every_hidden_linear_is_one_line():
    def wider(d):
        for layer in d["layers"][:-1]:
            if layer["type"] == "Linear":
                layer["out_features"] = 32
    assert _words(wider) == ["hidden Linear out_features 16 → 32"]
    assert _words(lambda d: d["layers"][2].update(out_features=32)) == ["layer 2 (Linear) out_features 16 → 32"]


def test_swapped_activations_are_grouped():
    def relu(d):
        for i in (1, 3, 5):
            d["layers"][i] = {"type": "ReLU"}
    assert _words(relu) == ["Tanh → ReLU at layers 1, 3 and 5"]
    assert _words(relu, "zh") == ["第 1、3、5 层 Tanh → ReLU"]


def test_dataset_loss_optimizer_and_training_changes():
    assert _words(lambda d: d["dataset"].update(noise=0.2)) == ["dataset noise 0 → 0.2"]
    assert _words(lambda d: d["dataset"].update(name="circle")) in (["dataset spiral → circle"],)
    assert _words(lambda d: d.update(optimizer={"type": "SGD", "lr": 0.1})) == ["optimizer Adam → SGD", "lr 0.01 → 0.1"]
    assert _words(lambda d: d["loss"].update(label_smoothing=0.1)) == ["loss label_smoothing 0 → 0.1"]
    assert _words(lambda d: d["training"].update(epochs=20, batch_size=64)) == ["epochs 150 → 20", "batch_size 32 → 64"]


def test_writing_a_default_out_is_no_change():
    assert _words(lambda d: d["optimizer"].update(weight_decay=0.0)) == []
    assert _words(lambda d: d["layers"][0].update(bias=True)) == []


# ---------------------------------------------------------------- records and their file
def _record(weights: bytes | None = None, **kw) -> RunRecord:
    spec = _spec(lambda d: d["training"].update(epochs=3))
    pts = tuple(EpochPoint(epoch=i, seconds=0.1 * i, train_loss=1 / i, test_loss=1.1 / i, train_accuracy=0.5, test_accuracy=0.5 + i / 10,
                           lr=0.01) for i in (1, 2, 3))
    fields = dict(id="r1", name="Run 1", spec=spec, status="finished", epochs=pts, total_epochs=3, wall_seconds=0.3, params=626,
                  weights=weights)
    return RunRecord(**{**fields, **kw})


def _weights() -> bytes:
    torch.manual_seed(0)
    return encode_weights(build_model(analyze_doc(SPIRAL)))


def test_a_run_file_round_trips_with_its_weights():
    r = _record(_weights())
    back = parse_run(to_json(r).encode(), "new")
    assert (back.name, back.spec, back.epochs, back.params, back.weights) == (r.name, r.spec, r.epochs, r.params, r.weights)
    model = trained_model(back, analyze_doc(back.spec))
    assert model is not None and not model.training
    assert all(torch.equal(v, decode_weights(r.weights)[k]) for k, v in model.state_dict().items())


@pytest.mark.parametrize("mangle, key", [
    (lambda d: "not json at all {", "compare.file.not_json"),
    (lambda d: json.dumps({**d, "format": "something"}), "compare.file.not_a_run"),
    (lambda d: json.dumps({**d, "spec": {**d["spec"], "layers": [{"type": "Lineer"}]}}), "compare.file.bad_spec"),
    (lambda d: json.dumps({**d, "epochs": [{**d["epochs"][0], "test_accuracy": 7}]}), "compare.file.bad_field"),
    (lambda d: json.dumps({**d, "extra": 1}), "compare.file.bad_field"),
    (lambda d: json.dumps({**d, "weights": "@@@"}), "compare.file.bad_weights"),
    (lambda d: json.dumps({**d, "weights": base64.b64encode(b"\x00" * 64).decode()}), "compare.file.bad_weights"),
    (lambda d: json.dumps(d).replace('"train_loss": 1.0', '"train_loss": NaN'), "compare.file.not_json"),
])
def test_a_bad_run_file_gets_one_sentence(mangle, key):
    doc = json.loads(to_json(_record()))
    with pytest.raises(RunFileError) as e:
        parse_run(mangle(doc).encode(), "x")
    assert e.value.msg.key == key
    assert str(e.value.msg).endswith(".") or ")" in str(e.value.msg)


def test_a_file_over_the_limit_is_refused_before_parsing():
    with pytest.raises(RunFileError) as e:
        parse_run(b" " * (records.MAX_RUN_BYTES + 1), "x")
    assert e.value.msg.key == "compare.file.too_big"


def test_weights_of_another_model_do_not_fit():
    other = copy.deepcopy(SPIRAL)
    other["layers"][0]["out_features"] = 8
    r = _record(encode_weights(build_model(analyze_doc(other))))
    assert trained_model(r, analyze_doc(r.spec)) is None


def test_the_book_keeps_weights_for_the_newest_runs_within_its_budget():
    w = _weights()
    book = RunBook(budget=2 * len(w) + 10)
    for i in range(3):
        book.add(_record(w, id=f"r{i}", name=f"Run {i}"))
    assert [r.weights is not None for r in book.records] == [False, True, True]
    assert book.weights_bytes() <= book.budget
    assert book.rename("r0", "  baseline  run ") and book.get("r0").name == "baseline run"
    assert not book.rename("r0", "   ")
    assert book.rename("r1", "baseline run") and book.get("r1").name == "baseline run (2)"  # widgets tell runs apart by name
    book.delete("r1")
    assert [r.id for r in book.records] == ["r0", "r2"]
    book.add(_record(id="r9", name="Run 2"))
    assert book.get("r9").name == "Run 2 (2)"


def test_the_book_forgets_the_oldest_runs_past_its_count():
    book = RunBook(max_runs=2)
    for i in range(3):
        book.add(_record(id=f"r{i}"))
    assert [r.id for r in book.records] == ["r1", "r2"]


# ---------------------------------------------------------------- sweeps
def test_a_grid_over_two_values_builds_each_spec_through_the_typed_door():
    points = grid(_spec(), {"lr": parse_values("lr", "0.01, 0.1"), "width": parse_values("width", "4，8")})
    assert [p.label for p in points] == ["lr 0.01 · width 4", "lr 0.01 · width 8", "lr 0.1 · width 4", "lr 0.1 · width 8"]
    assert [lay.out_features for lay in points[3].spec.layers if lay.type == "Linear"] == [8, 8, 8, 2]
    assert points[3].spec.optimizer.lr == 0.1


def test_depth_activation_and_optimizer_axes():
    [shallow, deep] = grid(_spec(), {"depth": (1, 4)})
    assert [lay.type for lay in shallow.spec.layers] == ["Linear", "Tanh", "Linear"]
    assert [lay.type for lay in deep.spec.layers].count("Linear") == 5
    [linear] = grid(_spec(), {"depth": (0,)})
    assert [lay.type for lay in linear.spec.layers] == ["Linear"]
    [relu] = grid(_spec(), {"activation": ("ReLU",)})
    assert [lay.type for lay in relu.spec.layers].count("ReLU") == 3
    [sgd] = grid(_spec(), {"optimizer": ("SGD",)})
    assert (sgd.spec.optimizer.type, sgd.spec.optimizer.lr) == ("SGD", 0.01)
    assert axes_for(_spec()) == ["lr", "width", "depth", "activation", "optimizer"]


def test_sweep_limits_say_what_is_wrong():
    for axis, text, key in (("lr", "0.1, fast", "compare.sweep.not_a_number"), ("lr", "20", "compare.sweep.out_of_range"),
                            ("width", "2.5", "compare.sweep.not_a_number")):
        with pytest.raises(SweepError) as e:
            parse_values(axis, text)
        assert e.value.msg.key == key
    with pytest.raises(SweepError) as e:
        grid(_spec(), {"lr": (0.1, 0.2, 0.3, 0.4), "width": (2, 4, 8)})
    assert e.value.msg.key == "compare.sweep.too_many"
    assert fair_share(2, 0) == 2 and fair_share(2, 5) == 1


@pytest.fixture
def one_worker():
    pool = Pool(workers=1)
    yield pool
    pool.shutdown()


def test_a_sweep_trains_its_runs_as_a_queue_and_they_become_records(one_worker):
    points = grid(_spec(lambda d: d["training"].update(epochs=2)), {"lr": (0.01, 0.1)})
    queue = SweepQueue(points, plan(points), pool=one_worker)
    queue.start()
    queue._thread.join(120)
    ended = queue.take_ended()
    assert queue.progress().done == 2 and len(ended) == 2 and queue.take_ended() == []
    recs = [record_from_job(job, f"r{i}", point.label) for i, (point, job) in enumerate(ended)]
    assert all(r.status == "finished" and len(r.epochs) == 2 and r.weights is not None for r in recs)
    for r in recs:  # the kept weights are the final ones: they score the run's last test accuracy
        a = analyze_doc(r.spec)
        with torch.no_grad():
            predicted = trained_model(r, a)(a.dataset.x_test).argmax(1)
        assert (predicted == a.dataset.y_test).float().mean().item() == pytest.approx(r.last.test_accuracy, abs=1e-6)
    assert sorted(str(m) for r in recs[1:] for m in spec_diff(recs[0].spec, r.spec)) in (["lr 0.01 → 0.1"], ["lr 0.1 → 0.01"])


def test_a_stopped_sweep_starts_no_more_runs(one_worker):
    points = grid(_spec(lambda d: d["training"].update(epochs=1000)), {"lr": (0.01, 0.02, 0.03)})
    queue = SweepQueue(points, plan(points), pool=one_worker)
    queue.start()
    while not queue._jobs:
        queue._stopped.wait(0.05)
    queue._jobs[0].wait_for_step(1, 60)
    queue.stop()
    queue._thread.join(10)
    assert len(queue._jobs) < 3 and all(j.ended for j in queue._jobs)
    assert queue.progress().stopped


def test_a_record_of_an_unstarted_run_is_none():
    job = TrainingJob(analyze_doc(SPIRAL))
    assert record_from_job(job, "x", "x") is None
