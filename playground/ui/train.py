"""The Train page's parts: the control buttons, the live panel and its charts.

Buttons act through on_click callbacks on the session's TrainingJob, whose batches train in a worker
process. One polling fragment reads a snapshot twice a second (a little less often when a whole class
trains at once) and redraws; the charts grow in place, by their new points only.
"""
from __future__ import annotations

import time
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from playground import i18n, inspection
from playground.i18n import msg, t
from playground.plots import dense as figs
from playground.plots import training as charts
from playground.analysis import Analysis
from playground.training import Snapshot, TrainingJob, default_pool
from playground.ui import sampling as sampling_ui
from playground.ui import run_records, state
from playground.ui.components.browser_key import browser_key
from playground.ui.components.live_chart import Chart, forget_sent, live_charts
from playground.ui.widgets import PRESENT_SCALE

POLL_SECONDS = 0.5
SECONDS_PER_RUN = 0.02  # the poll stretches with the runs training on the server: 0.6 s for a class of 30
BUSY_POLL_SECONDS = 2.0  # the slowest poll, on an overloaded server
RUN_SHARE = 0.25  # one poll may take this share of the interval (wall time); past it, Streamlit cuts polls short
REPOLL_SECONDS = 5.0  # a page changes its poll interval at most this often (it costs a whole-page run)
_poll_wall = [0.02]  # how long one poll of a page takes on this server now (a moving average; no user data)
MAP_SECONDS = 1.0  # the decision map needs the weights from the worker and a pass over a grid: at most once a second
MAP_WAIT_SECONDS = 0.3  # for those weights; else the map shows the last ones it had
STEP_WAIT = 1.0  # Step waits for its batch, so the redraw right after shows it
LOSS_HEIGHT, SIDE_HEIGHT, BELOW_HEIGHT = 400, 400, 300


# ---------------------------------------------------------------- buttons
def _job_for(a: Analysis) -> TrainingJob:
    """The session's job when it can go on (same spec, not ended), else a fresh one: the rule for Start and Step."""
    slot = state.job_slot()
    if slot.job is None or slot.job.ended or slot.spec_key != state.spec_key(state.spec()):
        state.set_job(TrainingJob(a))
    return state.job_slot().job


def _start() -> None:
    _job_for(state.analysis()).start()


def _step() -> None:
    job = _job_for(state.analysis())
    before = job.snapshot().step
    job.step_once()
    job.wait_for_step(before + 1, STEP_WAIT)


def _pause() -> None:
    if (job := state.job_slot().job) is not None:
        job.pause()


def _resume() -> None:
    if (job := state.job_slot().job) is not None:
        job.resume()


def _stop() -> None:
    state.job_slot().stop()


def _reset() -> None:
    state.set_job(TrainingJob(state.analysis()))
    state.notify(msg("train.notice.reset"), "info")


def _set_lr(key: str) -> None:
    value = st.session_state.get(key)
    if (job := state.job_slot().job) is not None and value:
        job.set_lr(float(value))


def controls(a: Analysis) -> None:
    default_pool().warm()  # a worker boots while the learner looks at the page, not after Start
    job = state.job_slot().job
    run_records.keep(job)  # an ended run is kept for Compare (once)
    snap = job.snapshot() if job is not None else None
    status = snap.status if snap else "idle"
    ended = bool(snap and snap.status in ("finished", "stopped", "diverged", "failed"))
    active = status in ("queued", "running", "paused")
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    with left.container(horizontal=True, vertical_alignment="bottom"):  # the buttons wrap on a narrow screen
        st.button(t("train.buttons.restart" if ended else "train.buttons.start"), key="btn-start", type="primary",
                  icon=":material/play_arrow:", on_click=_start, disabled=active, help=t("train.buttons.start_help"))
        st.button(t("train.buttons.pause"), key="btn-pause", icon=":material/pause:", on_click=_pause, disabled=status != "running")
        st.button(t("train.buttons.resume"), key="btn-resume", icon=":material/resume:", on_click=_resume,
                  disabled=status != "paused")
        st.button(t("train.buttons.step"), key="btn-step", icon=":material/skip_next:", on_click=_step,
                  disabled=status in ("running", "queued"), help=t("train.buttons.step_help"))
        st.button(t("train.buttons.stop"), key="btn-stop", icon=":material/stop:", on_click=_stop, disabled=not active)
        st.button(t("train.buttons.reset"), key="btn-reset", icon=":material/restart_alt:", on_click=_reset,
                  help=t("train.buttons.reset_help"))
    if state.view().shows("lr"):
        current = snap.lr_changes[-1][1] if snap and snap.lr_changes else a.optimizer.lr
        lr_key = f"live-lr:{job.id if job else ''}"
        right.number_input(t("train.lr.label"), min_value=1e-6, max_value=10.0, value=float(current), format="%g", step=None,
                           key=lr_key, on_change=_set_lr, args=(lr_key,), disabled=job is None or ended, help=t("train.lr.help"))


# ---------------------------------------------------------------- status and numbers
def _ordinal(n: int) -> str:
    kind = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return t(f"train.queue.ordinal_{kind}", n=n)


def _banner(snap: Snapshot) -> None:
    message = str(snap.message) if snap.message is not None else ""
    if snap.status in ("diverged", "failed"):
        st.error(message, icon=":material/warning:")
    elif snap.status == "finished" and snap.warning is not None:
        st.warning(f"{message}\n\n{snap.warning}", icon=":material/trending_up:")
    elif snap.status == "finished":
        st.success(message, icon=":material/check_circle:")
    elif snap.status == "stopped":
        st.info(message)
    elif snap.status == "queued":
        st.info(t("train.queue.waiting", place=_ordinal(snap.place or 1)), icon=":material/hourglass_top:")


def _progress(snap: Snapshot) -> dict[str, Any]:
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


def _metrics(snap: Snapshot) -> list[dict[str, Any]]:
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


# ---------------------------------------------------------------- the live panel
def _poll_seconds() -> float:
    """Twice a second; a little less often when a whole class trains, and much less on an overloaded server.

    A poll that takes longer than its share of the interval is cut short by the next one (Streamlit interrupts a
    fragment run for the next request): polled faster than it can answer, a server delivers nothing at all.
    """
    training, _, _ = default_pool().counts()
    return round(min(BUSY_POLL_SECONDS, max(POLL_SECONDS, training * SECONDS_PER_RUN, _poll_wall[0] / RUN_SHARE)), 1)


def _timed_poll(every: float | None, began: float) -> None:
    """Fold this poll's wall time in; when the server's pace has moved far from `every`, rerun the page to re-time it."""
    _poll_wall[0] = 0.9 * _poll_wall[0] + 0.1 * (time.perf_counter() - began)
    last = st.session_state.get("_poll_set", 0.0)
    if every and abs(_poll_seconds() - every) > 0.3 * every and time.monotonic() - last > REPOLL_SECONDS:
        st.session_state["_poll_set"] = time.monotonic()
        st.rerun(scope="app")


def live_panel(a: Analysis) -> None:
    """One polling fragment: status, numbers and charts, while a run waits or trains.

    One, because Streamlit interrupts a fragment run when another fragment's timer fires: on a busy server
    two timers per page keep cutting each other short. And one element in it while a run trains: the status
    line, the numbers and the charts (which send their new points only) travel together. Each element a
    refresh sends costs the server a wake-up of its event loop, and the browser a render of the whole page:
    a progress bar and a markdown block cost a training page's browser 0.09 of a core. A change of status
    reruns the page once, so the buttons and the polling follow it.
    """
    forget_sent()
    job = state.job_slot().job
    shown = job.snapshot().status if job is not None else "idle"
    every = _poll_seconds() if shown in ("queued", "running") else None
    charted = job.analysis if job is not None else a  # a run of an earlier version of the model: its own model and data
    log_y, show_test = st.session_state.get("loss-log", False), _has_map(charted) and st.session_state.get("show-test", False)

    @st.fragment(run_every=every)
    def live() -> None:
        began = time.perf_counter()
        job = state.job_slot().job
        sampling_ui.live_output(charted, job)  # text models: the sample under the charts, at most every few seconds
        if job is None:
            st.info(t("train.panel.reattaching" if state.job_slot().pending_run else "train.panel.press_start"))
            live_charts("charts", _chart_rows(charted, None, None, log_y, show_test))
            return
        snap = job.snapshot()
        if snap.status != shown:
            st.rerun(scope="app")
        _banner(snap)
        live_charts("charts", _chart_rows(charted, job, snap, log_y, show_test), {"progress": _progress(snap), "metrics": _metrics(snap)})
        _timed_poll(every, began)

    live()
    _chart_options(charted, shown == "running")
    browser_key()


def _chart_options(a: Analysis, running: bool) -> None:
    """Under the charts and outside the polling fragment (a change redraws the page): log scale, the map's test points."""
    with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
        st.toggle(t("train.charts.log_toggle"), key="loss-log", help=t("train.charts.log_help"))
        if _has_map(a):
            st.toggle(t("train.charts.show_test"), key="show-test", value=False)
        if running:
            st.caption(t("train.charts.live_caption"))


def _chart_rows(a: Analysis, job: TrainingJob | None, snap: Snapshot | None, log_y: bool, show_test: bool) -> list[list[Chart]]:
    """The loss chart; beside it the decision map (2-D and 1-D inputs) or accuracy; below, what is left to show."""
    scale = PRESENT_SCALE if state.view().present else 1.0
    loss = _loss_chart(snap, log_y, scale)
    if snap is None:
        return [[loss]]
    top, below = [loss], []
    if _has_map(a):  # the main view for 2-D data (as in TensorFlow Playground): half the width
        top.append(_map_chart(a, job, snap, show_test, scale))
        if a.dataset.is_classification:
            below.append(_accuracy_chart(snap, BELOW_HEIGHT, scale))
    elif a.dataset.is_classification:
        loss.width = 3
        top.append(_accuracy_chart(snap, SIDE_HEIGHT, scale, width=2))
    # The learning-rate chart earns its place only when η changes (schedule, warm-up or a live change)
    if (a.training.lr_schedule != "constant" or a.training.warmup_epochs > 0 or snap.lr_changes) and snap.epochs:
        below.append(_lr_chart(snap, BELOW_HEIGHT, scale))
    return [top, below] if below else [top]


def _scaled(fig: dict[str, Any], scale: float) -> dict[str, Any]:
    """Larger type in presentation mode, read from a projector's distance."""
    font = fig["layout"].setdefault("font", {})
    font["size"] = round(font.get("size", 15) * scale)
    return fig


def _loss_chart(snap: Snapshot | None, log_y: bool, scale: float) -> Chart:
    height = round(LOSS_HEIGHT * scale)
    if snap is None:  # drawn empty now, so the browser has loaded Plotly before the first loss arrives
        return Chart("loss", lambda: _scaled(charts.empty_loss_figure(log_y, height), scale), [], ("empty", log_y, i18n.current(), scale), height)
    signature = (snap.run_id, snap.loss_stride, log_y, i18n.current(), len(snap.lr_changes), bool(snap.loss_steps), scale, charts.marked(snap))
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


def _has_map(a: Analysis) -> bool:
    """1-D and 2-D inputs get a live decision map (or prediction curve) beside the loss."""
    ds = a.dataset
    return ds is not None and ds.input_kind == "float" and ds.input_shape in ((2,), (1,))


def _map_chart(a: Analysis, job: TrainingJob, snap: Snapshot, show_test: bool, scale: float) -> Chart:
    height = round(SIDE_HEIGHT * scale)
    return Chart("map", lambda: _decision_map(a, job, show_test, height, scale).to_json(), [],
                 (snap.run_id, _map_step(snap), show_test, i18n.current(), scale), height, ui=f"{snap.run_id}:{show_test}")


def _map_step(snap: Snapshot) -> int:
    """The step the decision map shows: the latest, moving on at most once a second (less often on a busy server)."""
    run, step, when = st.session_state.get("_map_step", ("", -1, 0.0))
    every = max(MAP_SECONDS, default_pool().counts()[0] * SECONDS_PER_RUN * 4)
    if run != snap.run_id or (step != snap.step and time.monotonic() - when >= every):
        run, step, when = snap.run_id, snap.step, time.monotonic()
        st.session_state["_map_step"] = (run, step, when)
    return step


def _decision_map(a: Analysis, job: TrainingJob, show_test: bool, height: int, scale: float) -> go.Figure:
    """The live decision map (2 inputs) or prediction curve (1 input), drawn as the Inspect page draws it."""
    ds, model = a.dataset, job.model_copy(wait=MAP_WAIT_SECONDS)
    test = (ds.x_test, ds.y_test) if show_test else (None, None)
    if ds.input_shape == (2,):
        fig = figs.decision_boundary(inspection.decision_grid(model, a, ds, resolution=60), ds.x_train, ds.y_train, *test)
    else:
        fig = figs.regression_curve(inspection.decision_curve(model, a, ds), ds.x_train, ds.y_train, *test)
    margin = fig.layout.margin
    plot_height = max(height - (margin.t or 0) - (margin.b or 0), 1)
    # the legend a fixed distance under the axis title, whatever the chart's height (its y is a fraction of the plot)
    fig.update_layout(template=None, height=height, font={"size": round((fig.layout.font.size or 15) * scale)},
                      legend={"y": -62 * scale / plot_height})
    return fig  # no template: Plotly's default theme, its 7 kB would travel with every update
