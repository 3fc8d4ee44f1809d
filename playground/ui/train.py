"""The Train page's parts: the control buttons, the live panel and its charts.

Buttons act through on_click callbacks on the session's TrainingJob, whose batches train in a worker
process. The live panel is one element in a fragment: the page run sends it whole, then, while the run trains,
its browser asks the panel's feed (ui/live_feed.py) for what is new, twice a second (a little less often when a
whole class trains at once), and the charts grow in place, by their new points only. A change of status reruns
the page once.
"""
from __future__ import annotations

import streamlit as st

from playground.analysis import Analysis
from playground.i18n import msg, t
from playground.training import Snapshot, TrainingJob, default_pool
from playground.ui import sampling as sampling_ui
from playground.ui import run_records, state
from playground.ui.components.browser_key import browser_key
from playground.ui.components.live_chart import panel_element
from playground.ui.live_feed import address, default_feeds, served
from playground.ui.live_panel import LIVE, Options, Panel, has_map, poll_seconds
from playground.ui.widgets import PRESENT_SCALE

STEP_WAIT = 1.0  # Step waits for its batch, so the redraw right after shows it
SAMPLE_POLL_SECONDS = 1.0  # text models: how often the page looks for a new sample (one is written every few seconds)


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


# ---------------------------------------------------------------- status and the live panel
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


def live_panel(a: Analysis) -> None:
    """The live panel: status, numbers and charts of the session's run, in one element inside a fragment.

    One element, because each element a Streamlit run sends costs the browser a render of the whole page. While
    the run waits or trains, the element's browser asks the panel's feed for news (no script run); a change of
    status makes it rerun the fragment, which reruns the page once, so the buttons and the banner follow.
    Where no feed is served (AppTest, a host that runs the pages without app.py's route), the fragment polls
    by its own timer instead, as DESIGN.md's live panel does.
    """
    job = state.job_slot().job
    shown = job.snapshot().status if job is not None else "idle"
    charted = job.analysis if job is not None else a  # a run of an earlier version of the model: its own model and data
    options = Options(lang=state.language(), log_y=st.session_state.get("loss-log", False),
                      show_test=has_map(charted) and st.session_state.get("show-test", False),
                      scale=PRESENT_SCALE if state.view().present else 1.0)

    @st.fragment(run_every=poll_seconds() if shown in LIVE and not served() else None)
    def live() -> None:
        slot = state.job_slot()
        job = slot.job
        snap = job.snapshot() if job is not None else None
        if snap is None:
            st.info(t("train.panel.reattaching" if slot.pending_run else "train.panel.press_start"))
        elif snap.status != shown:
            st.rerun(scope="app")
        else:
            _banner(snap)
        panel = Panel(charted, job, options)
        slot.feed = default_feeds().add(panel, replaces=slot.feed)  # the page's last panel; forgotten with the session
        data = panel.data()
        panel_element("charts", data["rows"], data["head"], feed=address(slot.feed), every=data["every"])

    live()
    if sampling_ui.is_text(charted):
        _live_sample(charted, shown)
    _chart_options(charted, shown == "running")
    browser_key()


def _live_sample(a: Analysis, shown: str) -> None:
    """Text models: the sample under the charts, written every few seconds while the run trains."""

    @st.fragment(run_every=SAMPLE_POLL_SECONDS if shown in LIVE else None)
    def sample() -> None:
        sampling_ui.live_output(a, state.job_slot().job)

    sample()


def _chart_options(a: Analysis, running: bool) -> None:
    """Under the charts and outside the polling fragment (a change redraws the page): log scale, the map's test points."""
    with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
        st.toggle(t("train.charts.log_toggle"), key="loss-log", help=t("train.charts.log_help"))
        if has_map(a):
            st.toggle(t("train.charts.show_test"), key="show-test", value=False)
        if running:
            st.caption(t("train.charts.live_caption"))
