"""The Train page's live charts as they travel: figures once, then new points; markers while the epochs are few.

Real runs of a tiny iris classifier (4 batches an epoch) in the worker processes; counted in epochs.
"""
from __future__ import annotations

import dataclasses
import json

import pytest

from conftest import analyze_doc
from playground.plots import training as charts
from playground.training import TrainingJob
from playground.ui.components.live_chart import Chart, update


def _finished(epochs: int):
    a = analyze_doc({"dataset": {"name": "iris"}, "layers": [{"type": "Linear", "out_features": 8}, {"type": "ReLU"},
                     {"type": "Linear", "out_features": 3}], "training": {"epochs": epochs}})
    job = TrainingJob(a)
    job.start()
    assert job.wait_for_step(epochs * 4, 120) and job.snapshot().epoch == epochs
    return job.snapshot()


@pytest.fixture(scope="module")
def forty():
    return _finished(charts.MARKED_EPOCHS)


def test_epoch_curves_mark_each_epoch_while_few(forty):
    loss = charts.loss_figure(forty)
    assert [tr["mode"] for tr in loss["data"]] == ["lines", "lines+markers", "lines+markers"]  # batch losses never
    assert all(tr["mode"] == "lines+markers" for tr in charts.accuracy_figure(forty)["data"])


def test_past_forty_epochs_the_curves_are_lines():
    snap = _finished(charts.MARKED_EPOCHS + 1)
    assert [tr["mode"] for tr in charts.loss_figure(snap)["data"]] == ["lines"] * 3
    assert all(tr["mode"] == "lines" for tr in charts.accuracy_figure(snap)["data"] + charts.lr_figure(snap)["data"])


def test_tick_labels_are_not_hidden_at_the_edges(forty):
    layout = charts.loss_figure(forty)["layout"]
    assert layout["xaxis"]["ticklabeloverflow"] == layout["yaxis"]["ticklabeloverflow"] == "allow"


def _accuracy(snap, signature=("run", True)) -> Chart:
    return Chart("accuracy", lambda: charts.accuracy_figure(snap), charts.accuracy_traces(snap), signature, 300)


def test_a_chart_goes_whole_then_only_the_points_the_browser_lacks(forty):
    """What the browser receives, given what it says it has: the figure, then the points past those it has,
    then nothing when none are new; a figure of another signature (or more points than there are) goes whole."""
    earlier = dataclasses.replace(forty, epochs=forty.epochs[:20])
    first = update(_accuracy(earlier), None)
    assert [len(tr["x"]) for tr in json.loads(first["figure"])["data"]] == [20, 20] and "extend" not in first
    have = {"sig": first["sig"], "n": [20, 20]}
    grown = update(_accuracy(forty), have)
    x, y = charts.accuracy_traces(forty)[0]
    assert "figure" not in grown and grown["extend"]["0"] == {"from": 20, "x": x[20:], "y": y[20:]}
    assert update(_accuracy(forty), {"sig": first["sig"], "n": [len(x), len(x)]})["extend"] == {}
    # a new signature (here: the markers going) sends the whole figure again, and so does a count that cannot be
    assert "figure" in update(_accuracy(forty, ("run", False)), have)
    assert "figure" in update(_accuracy(earlier), {"sig": first["sig"], "n": [21, 20]})
    assert "figure" in update(_accuracy(forty), {"sig": first["sig"], "n": [20]})
