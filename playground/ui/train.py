"""The Train page's parts: the control buttons, the live panel (a polling fragment) and the final numbers.

Buttons act through on_click callbacks on the session's TrainingJob; the job's thread trains; the
fragment reads a snapshot about twice a second and redraws.
"""
from __future__ import annotations

import streamlit as st
import torch

from playground import inspection
from playground.plots import dense as figs
from playground.plots import training as charts
from playground.analysis import Analysis
from playground.training import JobLimitReached, Snapshot, TrainingJob, active_jobs
from playground.ui import state

POLL_SECONDS = 0.5
CHART_SECONDS = 1.0
BUSY_CHART_SECONDS = 3.0  # with many sessions training, charts refresh less often; the numbers stay at 2 Hz
BUSY_JOBS = 3
ENDED = ("finished", "stopped", "diverged", "failed")


def _new_job(a: Analysis) -> TrainingJob:
    slot = state.job_slot()
    slot.stop()
    job = TrainingJob(a)
    slot.job = job
    slot.spec_key = state.spec_key(state.spec())
    slot.error = ""
    return job


def _start() -> None:
    slot = state.job_slot()
    a = state.analysis()
    try:
        job = slot.job
        if job is None or job.snapshot().status in ENDED or slot.spec_key != state.spec_key(state.spec()):
            job = _new_job(a)
        job.start()
        job.wait_for_step(job.snapshot().step + 1, timeout=0.3)  # so the first redraw already has a loss point
    except JobLimitReached as e:
        slot.error = str(e)


def _pause() -> None:
    if (job := state.job_slot().job) is not None:
        job.pause()


def _resume() -> None:
    if (job := state.job_slot().job) is not None:
        job.resume()


def _step() -> None:
    slot = state.job_slot()
    try:
        job = slot.job
        if job is None or job.snapshot().status in ENDED or slot.spec_key != state.spec_key(state.spec()):
            job = _new_job(state.analysis())
        before = job.snapshot().step
        job.step_once()
        job.wait_for_step(before + 1, timeout=1.0)  # so the redraw right after shows the step
    except JobLimitReached as e:
        slot.error = str(e)


def _stop() -> None:
    state.job_slot().stop()


def _reset() -> None:
    _new_job(state.analysis())
    state.notify("Reset: fresh weights from the same seed. Press Start to train.", "info")


def _set_lr(key: str) -> None:
    value = st.session_state.get(key)
    job = state.job_slot().job
    if job is not None and value:
        job.set_lr(float(value))


def controls(a: Analysis) -> None:
    slot = state.job_slot()
    job = slot.job
    snap = job.snapshot() if job is not None else None
    status = snap.status if snap else "idle"
    cols = st.columns([1, 1, 1, 1, 1, 1, 2.2], vertical_alignment="bottom")
    start_label = "Restart" if status in ENDED else "Start"
    cols[0].button(start_label, key="btn-start", type="primary", icon=":material/play_arrow:", on_click=_start, width="stretch",
                   disabled=status in ("running", "paused"), help="Train from the first epoch with fresh weights.")
    cols[1].button("Pause", key="btn-pause", icon=":material/pause:", on_click=_pause, width="stretch", disabled=status != "running")
    cols[2].button("Resume", key="btn-resume", icon=":material/resume:", on_click=_resume, width="stretch", disabled=status != "paused")
    cols[3].button("Step", key="btn-step", icon=":material/skip_next:", on_click=_step, width="stretch",
                   disabled=status == "running", help="Train exactly one mini-batch, then stay paused.")
    cols[4].button("Stop", key="btn-stop", icon=":material/stop:", on_click=_stop, width="stretch", disabled=status not in ("running", "paused"))
    cols[5].button("Reset", key="btn-reset", icon=":material/restart_alt:", on_click=_reset, width="stretch",
                   help="Discard the trained weights; new weights from the same seed.")
    base_lr = a.optimizer.lr
    current = snap.lr_changes[-1][1] if snap and snap.lr_changes else base_lr
    lr_key = f"live-lr:{id(job)}"
    cols[6].number_input("Learning rate (changes take effect live)", min_value=1e-6, max_value=10.0, value=float(current), format="%g",
                         step=None, key=lr_key, on_change=_set_lr, args=(lr_key,), disabled=job is None or status in ENDED,
                         help="Change η while training runs; the change is marked on the loss chart.")
    if slot.error:
        st.error(slot.error)


def _banner(snap: Snapshot) -> None:
    if snap.status == "diverged":
        st.error(snap.message, icon=":material/warning:")
    elif snap.status == "failed":
        st.error(snap.message)
    elif snap.status == "finished":
        st.success(snap.message, icon=":material/check_circle:")
    elif snap.status == "stopped":
        st.info(snap.message)


def _progress(snap: Snapshot) -> None:
    left = snap.seconds_left
    eta = f" · about {left:.0f} s left" if left is not None and snap.status == "running" else ""
    rate = f" · {snap.samples_per_second:,.0f} samples/s" if snap.samples_per_second else ""
    within = snap.step - snap.epoch * snap.steps_per_epoch
    st.progress(snap.progress, text=f"{snap.status.capitalize()} · epoch {snap.epoch}/{snap.total_epochs} "
                                    f"(batch {max(0, within)}/{snap.steps_per_epoch}){rate}{eta}")


def _metrics(snap: Snapshot) -> None:
    if not snap.epochs:
        return
    last = snap.epochs[-1]
    prev = snap.epochs[-2] if len(snap.epochs) > 1 else None
    cols = iter(st.columns(5))  # filled left to right: a regression has no accuracy, and leaves no gap for it
    next(cols).metric("Epoch", f"{last.epoch}/{snap.total_epochs}")
    next(cols).metric("Train loss", f"{last.train_loss:.4f}", delta=f"{last.train_loss - prev.train_loss:+.4f}" if prev else None, delta_color="inverse")
    next(cols).metric("Test loss", f"{last.test_loss:.4f}", delta=f"{last.test_loss - prev.test_loss:+.4f}" if prev else None, delta_color="inverse")
    if last.test_accuracy is not None:
        next(cols).metric("Test accuracy", f"{last.test_accuracy:.1%}",
                          delta=f"{100 * (last.test_accuracy - prev.test_accuracy):+.1f} pts" if prev else None)
    next(cols).metric("Time", f"{last.seconds:.1f} s")


def live_panel(a: Analysis) -> None:
    """Two polling fragments: the status line and numbers twice a second, the charts once a second.

    Redrawing charts is the costly part in the browser; the numbers are what must feel live.
    """
    job = state.job_slot().job
    running = job is not None and job.running

    @st.fragment(run_every=POLL_SECONDS if running else None)
    def status() -> None:
        torch.set_num_threads(1)  # fragment reruns run on a fresh thread
        job = state.job_slot().job
        if job is None:
            st.info("Press **Start** to train, or **Step** to train one mini-batch at a time.")
            return
        snap = job.snapshot()
        if running and snap.status != "running":
            st.rerun(scope="app")  # buttons outside the fragments must see the new status
        _banner(snap)
        _progress(snap)
        _metrics(snap)

    busy = active_jobs() >= BUSY_JOBS
    chart_every = BUSY_CHART_SECONDS if busy else CHART_SECONDS

    @st.fragment(run_every=chart_every if running else None)
    def plots() -> None:
        torch.set_num_threads(1)
        job = state.job_slot().job
        if job is None:
            # Drawn empty now so the browser has loaded its charting code before the first loss arrives
            st.plotly_chart(charts.empty_loss_chart(), key="chart-loss")
            return
        snap = job.snapshot()
        has_acc = bool(snap.epochs) and snap.epochs[-1].test_accuracy is not None
        # beside the loss: the decision map, else accuracy; with neither, the loss chart takes the whole width
        if _has_map(a):  # the main view for 2-D data (as in TensorFlow Playground): half the width
            c1, c2 = st.columns([1, 1])
        elif a.dataset is not None and a.dataset.is_classification:  # accuracy beside the loss
            c1, c2 = st.columns([3, 2])
        else:
            c1, c2 = st.container(), None
        with c1:
            log_y = st.toggle("Log scale", key="loss-log", help="Show the loss on a logarithmic axis.")
            st.plotly_chart(charts.loss_chart(snap, log_y=log_y), key="chart-loss")
        side = ""
        if c2 is not None:
            with c2:
                side = _boundary_or_accuracy(a, job, snap)
        if running:
            # Streamlit draws each update as a new chart, so a zoom lasts only until the next redraw
            every = f"Many sessions are training on this server, so the charts redraw every {chart_every:.0f} s" if busy else \
                "The charts redraw every second"
            st.caption(f"{every} while training: pause to zoom in and explore them.")
        if busy and running:
            return
        # The learning-rate chart earns its place only when η changes (schedule, warm-up or a live change)
        lr_moves = a.training.lr_schedule != "constant" or a.training.warmup_epochs > 0 or bool(snap.lr_changes)
        below = [c for c, show in ((charts.accuracy_chart, has_acc and side != "accuracy"), (charts.lr_chart, lr_moves and bool(snap.epochs))) if show]
        for col, chart in zip(st.columns(len(below)) if below else [], below):
            col.plotly_chart(chart(snap), key=f"chart-{chart.__name__}")

    status()
    plots()


def _has_map(a: Analysis) -> bool:
    """1-D and 2-D inputs get a live decision map (or prediction curve) beside the loss."""
    ds = a.dataset
    return ds is not None and ds.input_kind == "float" and ds.input_shape in ((2,), (1,))


def _boundary_or_accuracy(a: Analysis, job: TrainingJob, snap: Snapshot) -> str:
    """The chart beside the loss: the decision map for 1-D/2-D inputs, else accuracy; returns which."""
    ds = a.dataset
    if _has_map(a) and state.job_slot().spec_key == state.spec_key(state.spec()):  # a job of another model has other inputs
        show_test = st.toggle("Show test points", key="show-test", value=False)
        model = job.model_copy()
        if ds.input_shape == (2,):
            grid = inspection.decision_grid(model, a, ds, resolution=60)
            st.plotly_chart(figs.decision_boundary(grid, ds.x_train, ds.y_train, ds.x_test if show_test else None,
                                                   ds.y_test if show_test else None), key="chart-boundary")
        else:
            curve = inspection.decision_curve(model, a, ds)
            st.plotly_chart(figs.regression_curve(curve, ds.x_train, ds.y_train, ds.x_test if show_test else None,
                                                  ds.y_test if show_test else None), key="chart-curve")
        return "map"
    if snap.epochs and snap.epochs[-1].test_accuracy is not None:
        st.plotly_chart(charts.accuracy_chart(snap, height=400), key="chart-acc")
        return "accuracy"
    return ""
