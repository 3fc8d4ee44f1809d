"""The Compare page through AppTest: kept runs, their numbers, the diff in words, maps, managing runs, sweeps."""
import copy
import time

import torch

from apptest import app, no_exception, shown
from conftest import analyze_doc, load_example
from playground.experiments.book import RunBook
from playground.experiments.records import EpochPoint, RunRecord
from playground.model import build_model
from playground.spec import from_data
from playground.training.protocol import encode_weights
from test_app import run_until_finished

SPIRAL = load_example("mlp_spiral")


def _record(i: int, lr: float, weights: bool = True) -> RunRecord:
    doc = copy.deepcopy(SPIRAL)
    doc["optimizer"]["lr"] = lr
    torch.manual_seed(i)
    w = encode_weights(build_model(analyze_doc(doc))) if weights else None
    pts = tuple(EpochPoint(epoch=e, seconds=0.2 * e, train_loss=0.7 / e, test_loss=0.75 / e, train_accuracy=0.5 + e / 20,
                           test_accuracy=0.5 + e / 25, lr=lr) for e in (1, 2, 3))
    return RunRecord(f"id{i}", f"Run {i}", from_data(doc), "finished", pts, 3, 0.6, 626, w)


def _with_runs(*records: RunRecord, lang: str | None = None):
    at = app(SPIRAL, lang=lang)
    book = RunBook()
    for r in records:
        book.add(r)
    at.session_state["run_book"] = book
    at.switch_page("pages/compare.py").run()
    no_exception(at)
    return at


def test_an_empty_compare_page_says_where_runs_come_from():
    at = app(SPIRAL)
    at.switch_page("pages/compare.py").run()
    no_exception(at)
    assert any("No runs yet" in i.value for i in at.info)
    assert any("20 MB" in c.value for c in at.caption)


def test_two_runs_side_by_side_with_the_diff_in_words():
    at = _with_runs(_record(1, 0.01), _record(2, 0.1))
    table = at.dataframe[0].value
    assert list(table["Run"]) == ["Run 1", "Run 2"] and list(table["Test accuracy"]) == ["62.0%", "62.0%"]
    assert list(table["Parameters"]) == ["626", "626"]
    assert any("Run 2" in m.value and "lr 0.01 → 0.1" in shown([m])[0] for m in at.markdown)
    charts = at.get("plotly_chart")
    assert len(charts) == 4  # loss, accuracy, and two decision maps


def test_a_run_without_weights_says_so_instead_of_a_map():
    at = _with_runs(_record(1, 0.01), _record(2, 0.1, weights=False))
    assert len(at.get("plotly_chart")) == 3
    assert any("Weights not kept" in i.value for i in at.info)


def test_rename_and_delete_a_run():
    at = _with_runs(_record(1, 0.01), _record(2, 0.1))
    at.text_input(key="cmp-name:id2").input("fast lr").run()
    no_exception(at)
    assert list(at.dataframe[0].value["Run"]) == ["Run 1", "fast lr"]
    at.button(key="cmp-del:id2").click().run()
    no_exception(at)
    assert list(at.dataframe[0].value["Run"]) == ["Run 1"]


def test_compare_in_chinese():
    at = _with_runs(_record(1, 0.01), _record(2, 0.1), lang="zh")
    assert at.title[0].value == "比较"
    assert "测试准确率" in at.dataframe[0].value.columns
    assert any("与 Run 1 的不同之处" in shown([m])[0] for m in at.markdown)


def test_a_trained_run_and_a_sweep_land_on_compare():
    doc = copy.deepcopy(SPIRAL)
    doc["training"]["epochs"] = 3
    at = app(doc)
    at.switch_page("pages/train.py").run()
    at.button(key="btn-start").click().run()
    run_until_finished(at)
    at.switch_page("pages/compare.py").run()
    no_exception(at)
    assert list(at.dataframe[0].value["Run"]) == ["Run 1"]
    at.selectbox(key="sweep-axis-1").select("width").run()
    at.text_input(key="sweep-values:width").input("4, 8").run()
    at.button(key="sweep-start").click().run()
    no_exception(at)
    for _ in range(600):
        if len(at.dataframe) and len(at.dataframe[0].value) == 3:
            break
        time.sleep(0.2)
        at.run()
    assert list(at.dataframe[0].value["Run"]) == ["Run 1", "Sweep 1 · width 4", "Sweep 1 · width 8"]
    assert any("hidden Linear out_features 16 → 4" in shown([m])[0] for m in at.markdown)


def test_a_sweep_too_large_is_refused_with_a_sentence():
    at = app(SPIRAL)
    at.switch_page("pages/compare.py").run()
    at.text_input(key="sweep-values:lr").input("0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1").run()
    at.button(key="sweep-start").click().run()
    no_exception(at)
    assert any("10 runs" in e for e in shown(at.error))
