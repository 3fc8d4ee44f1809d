"""Sweeps on the Compare page: a grid over one or two values of the session's model, trained as a queue of runs
that land among the compared runs; progress shown while it runs, and a Stop button."""
from __future__ import annotations

import streamlit as st

from playground.experiments.queue import SweepQueue, plan
from playground.experiments.sweeps import HIDDEN_ACTIVATIONS, MAX_RUNS, OPTIMIZER_CHOICES, SweepError, axes_for, grid, parse_values
from playground.i18n import t
from playground.training import default_pool
from playground.ui import state
from playground.ui.run_records import book, keep
from playground.ui.widgets import say

ERROR = "sweep-error"
NONE = "none"
DEFAULTS = {"lr": "0.001, 0.01, 0.1", "width": "4, 8, 16", "depth": "1, 2, 3"}
CHOICES = {"activation": HIDDEN_ACTIVATIONS, "optimizer": OPTIMIZER_CHOICES}
POLL_SECONDS = 1.0


class SweepSlot:
    """The session's sweep (at most one at a time); it stops with the session."""

    def __init__(self) -> None:
        self.queue: SweepQueue | None = None
        self.number = 0

    def stop(self) -> None:
        if self.queue is not None:
            self.queue.stop()


@st.cache_resource(scope="session", on_release=lambda slot: slot.stop(), show_spinner=False)
def _slot() -> SweepSlot:
    return SweepSlot()


def _values(axis: str) -> tuple:
    raw = st.session_state.get(f"sweep-values:{axis}")
    if axis in CHOICES:
        return tuple(raw or ())
    return parse_values(axis, str(raw if raw is not None else DEFAULTS[axis]))


def _start() -> None:
    """Build the grid from the fields; start it, or keep everything as it was and say what is wrong."""
    axes = [a for a in (st.session_state.get("sweep-axis-1"), st.session_state.get("sweep-axis-2")) if a and a != NONE]
    try:
        points = grid(state.spec(), {axis: _values(axis) for axis in dict.fromkeys(axes)})
        analyses = plan(points, state.uploaded_dataset())
    except SweepError as e:
        st.session_state[ERROR] = e.msg
        return
    st.session_state.pop(ERROR, None)
    slot = _slot()
    slot.stop()
    slot.number += 1
    slot.queue = SweepQueue(points, analyses)
    slot.queue.start()


def _stop() -> None:
    _slot().stop()


def _value_field(axis: str) -> None:
    key = f"sweep-values:{axis}"
    if axis in CHOICES:
        st.multiselect(t("compare.sweep.values", axis=axis), CHOICES[axis], key=key, placeholder=t("compare.sweep.pick"))
    else:
        st.text_input(t("compare.sweep.values", axis=axis), value=DEFAULTS[axis], key=key, help=t(f"compare.sweep.help_{axis}"))


def setup() -> None:
    """Choose one or two axes and their values; Start."""
    axes = axes_for(state.spec())
    cols = st.columns(2)
    with cols[0]:
        first = st.selectbox(t("compare.sweep.axis_1"), axes, key="sweep-axis-1", format_func=lambda a: t(f"compare.sweep.axis.{a}"))
        _value_field(first)
    with cols[1]:
        options = [NONE] + [a for a in axes if a != first]
        second = st.selectbox(t("compare.sweep.axis_2"), options, key="sweep-axis-2", format_func=lambda a: t(f"compare.sweep.axis.{a}"))
        if second != NONE:
            _value_field(second)
    st.caption(t("compare.sweep.limits", limit=MAX_RUNS, cores=default_pool().max_workers))
    running = _slot().queue is not None and not _slot().queue.progress().finished
    st.button(t("compare.sweep.start"), key="sweep-start", type="primary", icon=":material/play_arrow:", on_click=_start, disabled=running)
    if (err := st.session_state.get(ERROR)) is not None:
        say("error", str(err))


def progress() -> None:
    """While a sweep runs: its progress and a Stop button, polled; ended runs become records as they end."""
    slot = _slot()
    if slot.queue is None:
        return
    shown = slot.queue.progress()

    @st.fragment(run_every=POLL_SECONDS if not shown.finished else None)
    def poll() -> None:
        p = _collect(slot)
        if p.stopped:
            st.info(t("compare.sweep.stopped", n=slot.number, done=p.done, total=p.total), icon=":material/stop:")
        elif p.finished:
            st.success(t("compare.sweep.finished", n=slot.number, total=p.total), icon=":material/check_circle:")
        else:
            st.progress(p.done / p.total, text=t("compare.sweep.progress", n=slot.number, done=p.done, total=p.total, training=p.training))
            st.button(t("compare.sweep.stop"), key="sweep-stop", icon=":material/stop:", on_click=_stop)
        if p.done != shown.done or p.finished != shown.finished:
            st.rerun(scope="app")  # the new runs join the charts and the table

    poll()


def _collect(slot: SweepSlot):
    """Keep every run of the sweep that ended, named by its values."""
    for point, job in slot.queue.take_ended():
        keep(job, t("compare.sweep.run_name", n=slot.number, label=point.label))
    return slot.queue.progress()


def sweep_section() -> None:
    with st.expander(t("compare.sweep.title"), expanded=not book().records, icon=":material/grid_view:"):
        st.markdown(t("compare.sweep.intro"))
        setup()
    progress()
