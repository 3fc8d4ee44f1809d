"""The Train page's live panel as data: the status line, the last epoch's numbers and the charts of one run.

A `Panel` is made by each run of the Train page, with what that run decided (the language, log scale, test
points on the map, presentation scale) and the run's status as the page showed it. The page sends its data
whole; the feed (ui/live_feed.py) then answers the browser with what is new, from the same code, while the run
trains. Nothing here calls Streamlit: it runs in page runs and in the feed's requests alike.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from playground import i18n, inspection
from playground.analysis import Analysis
from playground.i18n import t
from playground.plots import dense as figs
from playground.plots import training as charts
from playground.training import Snapshot, TrainingJob, default_pool
from playground.ui.components.live_chart import Chart, rows_data

POLL_SECONDS = 0.5
SECONDS_PER_RUN = 0.02  # the poll stretches with the runs training on the server: 0.6 s for a class of 30
BUSY_POLL_SECONDS = 2.0  # the slowest poll, on an overloaded server
MAP_SECONDS = 1.0  # the decision map needs the weights from the worker and a pass over a grid: at most once a second
MAP_WAIT_SECONDS = 0.3  # for those weights; else the map shows the last ones it had
LOSS_HEIGHT, SIDE_HEIGHT, BELOW_HEIGHT = 400, 400, 300
LIVE = ("queued", "running")  # the statuses whose panel keeps asking for news


def poll_seconds() -> float:
    """Twice a second; a little less often when a whole class trains, so that every page's answer comes in time."""
    training, _, _ = default_pool().counts()
    return round(min(BUSY_POLL_SECONDS, max(POLL_SECONDS, training * SECONDS_PER_RUN)), 1)


@dataclass(frozen=True)
class Options:
    """What the page run decided for its panel."""

    lang: str
    log_y: bool = False
    show_test: bool = False
    scale: float = 1.0


def has_map(a: Analysis) -> bool:
    """1-D and 2-D inputs get a live decision map (or prediction curve) beside the loss, as on Inspect."""
    return a.dataset is not None and inspection.map_kind(a.dataset) is not None


class Panel:
    """One page run's live panel: `analysis` is the model charted (the job's own, for a run of an earlier version)."""

    def __init__(self, analysis: Analysis, job: TrainingJob | None, options: Options):
        self.analysis, self.job, self.options = analysis, job, options
        snap = job.snapshot() if job is not None else None
        self.shown = _status(snap)  # as the page showed it: a change reruns the page
        self._map = ("", -1, 0.0)  # the run, the step the decision map shows, and when it moved on
        self._lock = threading.Lock()

    def data(self, have: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
        """{"head", "rows", "status", "changed", "every"}: the charts as updates of what the browser has (`have`)."""
        with i18n.using(self.options.lang):
            snap = self.job.snapshot() if self.job is not None else None
            status = _status(snap)
            head = {"progress": progress(snap), "metrics": metrics(snap)} if snap is not None else None
            return {"head": head, "rows": rows_data(self.rows(snap), have), "status": status[0], "changed": status != self.shown,
                    "every": poll_seconds() if status[0] in LIVE else None}

    answer = data  # what the feed serves

    # ------------------------------------------------------------ the charts
    def rows(self, snap: Snapshot | None) -> list[list[Chart]]:
        """The loss chart; beside it the decision map (2-D and 1-D inputs) or accuracy; below, what is left to show."""
        a, o = self.analysis, self.options
        loss = _loss_chart(snap, o)
        if snap is None:
            return [[loss]]
        top, below = [loss], []
        if has_map(a):  # the main view for 2-D data (as in TensorFlow Playground): half the width
            top.append(self._map_chart(snap))
            if a.dataset.is_classification:
                below.append(_accuracy_chart(snap, BELOW_HEIGHT, o.scale))
        elif a.dataset.is_classification:
            loss.width = 3
            top.append(_accuracy_chart(snap, SIDE_HEIGHT, o.scale, width=2))
        # The learning-rate chart earns its place only when η changes (schedule, warm-up or a live change)
        if (a.training.lr_schedule != "constant" or a.training.warmup_epochs > 0 or snap.lr_changes) and snap.epochs:
            below.append(_lr_chart(snap, BELOW_HEIGHT, o.scale))
        return [top, below] if below else [top]

    def _map_chart(self, snap: Snapshot) -> Chart:
        o = self.options
        height = round(SIDE_HEIGHT * o.scale)
        return Chart("map", lambda: self._decision_map(height).to_json(), [],
                     (snap.run_id, self._map_step(snap), o.show_test, o.lang, o.scale), height, ui=f"{snap.run_id}:{o.show_test}")

    def _map_step(self, snap: Snapshot) -> int:
        """The step the decision map shows: the latest, moving on at most once a second (less often on a busy server)."""
        with self._lock:
            run, step, when = self._map
            every = max(MAP_SECONDS, default_pool().counts()[0] * SECONDS_PER_RUN * 4)
            if run != snap.run_id or (step != snap.step and time.monotonic() - when >= every):
                self._map = run, step, when = snap.run_id, snap.step, time.monotonic()
            return step

    def _decision_map(self, height: int) -> go.Figure:
        """The live decision map (2 inputs) or prediction curve (1 input), drawn as the Inspect page draws it."""
        a, o = self.analysis, self.options
        ds, model = a.dataset, self.job.model_copy(wait=MAP_WAIT_SECONDS)
        test = (ds.x_test, ds.y_test) if o.show_test else (None, None)
        if inspection.map_kind(ds) == "grid":
            fig = figs.decision_boundary(inspection.decision_grid(model, a, ds, resolution=60), ds.x_train, ds.y_train, *test)
        else:
            fig = figs.regression_curve(inspection.decision_curve(model, a, ds), ds.x_train, ds.y_train, *test)
        margin = fig.layout.margin
        plot_height = max(height - (margin.t or 0) - (margin.b or 0), 1)
        # the legend a fixed distance under the axis title, whatever the chart's height (its y is a fraction of the plot)
        fig.update_layout(template=None, height=height, font={"size": round((fig.layout.font.size or 15) * o.scale)},
                          legend={"y": -62 * o.scale / plot_height})
        return fig  # no template: Plotly's default theme, its 7 kB would travel with every update


def _status(snap: Snapshot | None) -> tuple[str, int | None]:
    """What a change of reruns the page: the status, and the place in the waiting line."""
    return (snap.status, snap.place) if snap is not None else ("idle", None)


# ---------------------------------------------------------------- status and numbers
def progress(snap: Snapshot) -> dict[str, Any]:
    """The status line over the bar: 'Running · epoch 3/20 (batch 5/8) · 9,000 samples/s · about 4 s left'."""
    within = max(0, snap.step - snap.epoch * snap.steps_per_epoch)
    text = t("train.progress.line_done" if snap.status == "finished" else "train.progress.line", status=t(f"train.state.{snap.status}"),
             epoch=snap.epoch, total=snap.total_epochs, batch=within, batches=snap.steps_per_epoch)
    if snap.samples_per_second:
        text += t("train.progress.rate", rate=f"{snap.samples_per_second:,.0f}")
    if snap.seconds_left is not None and snap.status == "running":
        text += t("train.progress.left", seconds=f"{snap.seconds_left:.0f}")
    return {"text": text, "value": snap.progress}


def _metric(label: str, value: str, delta: str | None = None, good: bool = True) -> dict[str, Any]:
    if delta:
        delta = f"{'↓' if delta.startswith('-') else '↑'} {delta}"
    return {"label": label, "value": value, "delta": delta, "good": good}


def metrics(snap: Snapshot) -> list[dict[str, Any]]:
    """The last epoch's numbers: epoch, losses, accuracy, time, each with its change since the epoch before."""
    if not snap.epochs:
        return []
    last = snap.epochs[-1]
    prev = snap.epochs[-2] if len(snap.epochs) > 1 else None
    cells = [_metric(t("train.metrics.epoch"), f"{last.epoch}/{snap.total_epochs}")]
    for key, now, before in (("train_loss", last.train_loss, prev and prev.train_loss), ("test_loss", last.test_loss, prev and prev.test_loss)):
        delta = f"{now - before:+.4f}" if prev else None
        cells.append(_metric(t(f"train.metrics.{key}"), f"{now:.4f}", delta, good=prev is None or now <= before))
    if last.test_accuracy is not None:
        change = 100 * (last.test_accuracy - prev.test_accuracy) if prev else 0.0
        delta = t("train.metrics.points", delta=f"{change:+.1f}") if prev else None
        cells.append(_metric(t("train.metrics.test_accuracy"), f"{last.test_accuracy:.1%}", delta, good=change >= 0))
    cells.append(_metric(t("train.metrics.time"), t("train.metrics.seconds", seconds=f"{last.seconds:.1f}")))
    return cells


# ---------------------------------------------------------------- the charts
def _scaled(fig: dict[str, Any], scale: float) -> dict[str, Any]:
    """Larger type in presentation mode, read from a projector's distance."""
    font = fig["layout"].setdefault("font", {})
    font["size"] = round(font.get("size", 15) * scale)
    return fig


def _loss_chart(snap: Snapshot | None, o: Options) -> Chart:
    height, log_y, scale = round(LOSS_HEIGHT * o.scale), o.log_y, o.scale
    if snap is None:  # drawn empty now, so the browser has loaded Plotly before the first loss arrives
        return Chart("loss", lambda: _scaled(charts.empty_loss_figure(log_y, height), scale), [], ("empty", log_y, o.lang, scale), height)
    signature = (snap.run_id, snap.loss_stride, log_y, o.lang, len(snap.lr_changes), bool(snap.loss_steps), scale, charts.marked(snap))
    return Chart("loss", lambda: _scaled(charts.loss_figure(snap, log_y, height), scale), charts.loss_traces(snap), signature, height,
                 ui=f"{snap.run_id}:{log_y}")


def _accuracy_chart(snap: Snapshot, height: int, scale: float, width: float = 1.0) -> Chart:
    h = round(height * scale)
    return Chart("accuracy", lambda: _scaled(charts.accuracy_figure(snap, h), scale), charts.accuracy_traces(snap),
                 (snap.run_id, i18n.current(), h, charts.marked(snap)), h, width, ui=snap.run_id)


def _lr_chart(snap: Snapshot, height: int, scale: float) -> Chart:
    h = round(height * scale)
    return Chart("lr", lambda: _scaled(charts.lr_figure(snap, h), scale), charts.lr_traces(snap),
                 (snap.run_id, i18n.current(), len(snap.lr_changes), h, charts.marked(snap)), h, ui=snap.run_id)
