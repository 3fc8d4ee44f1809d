"""Session state: the typed spec (the one source of truth), its analysis, the language, the link, and the
session's training job.

Everything here lives in st.session_state or a session-scoped resource: two students on one server
never share a model or a job (a reloaded page finds its run again through playground.training.runs, by an
unguessable id and this browser's key). Only a spec that passed `playground.spec`'s typed door is ever stored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from playground import i18n
from playground.analysis import Analysis, analyze
from playground.datasets import UPLOAD, Dataset
from playground.i18n import Msg
from playground.spec import Spec, SpecError, decode_link, encode_link
from playground.templates import default_spec
from playground.view import View, parse_view
from playground.training import TrainingJob, default_runs
from playground.ui import run_records
from playground.ui.live_feed import default_feeds

SPEC, REV, LINK_ERROR, UPLOADED, NOTICE, LANG, VIEW = "spec", "rev", "link_error", "uploaded_dataset", "notice", "lang", "view"
VIEW_PARAMS = ("present", "hide")


def _session_language() -> str | None:
    """The language of the session whose script is running on this thread (None on other threads)."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    return st.session_state.get(LANG) or _choose_language()  # before ensure() has stored it: the same choice


i18n.set_resolver(_session_language)


def _choose_language() -> str:
    """?lang= in the link, else the browser's language, else English."""
    return i18n.normalize(st.query_params.get("lang")) or i18n.normalize(st.context.locale) or i18n.DEFAULT


def language() -> str:
    return st.session_state.get(LANG, i18n.DEFAULT)


def set_language(lang: str) -> None:
    st.session_state[LANG] = i18n.normalize(lang) or i18n.DEFAULT
    write_link()


def ensure() -> None:
    """Every run: the language, then on a session's first run the spec from the link (else the default model)."""
    if LANG not in st.session_state:
        st.session_state[LANG] = _choose_language()
    _ensure_view()
    raw = st.query_params.get("spec")
    if SPEC not in st.session_state:
        st.session_state[REV] = 0
        st.session_state[SPEC] = _spec_from_link(raw) or default_spec()
    elif raw and raw != encode_link(spec()):  # a link followed inside the app (a lesson's "try it", the back button)
        if (linked := _spec_from_link(raw)) is not None:
            set_spec(linked)
    write_link()  # navigating between pages drops the query string; every page writes it back


def _ensure_view() -> None:
    """Presentation mode and hidden parts: from the link on a first visit or when a link asks for another view."""
    asked = [st.query_params.get(k) for k in VIEW_PARAMS]
    if VIEW in st.session_state and not any(asked):
        return
    new, problems = parse_view(*asked)
    if VIEW not in st.session_state or new != st.session_state[VIEW]:
        st.session_state[VIEW] = new
        if problems:
            notify(problems[0], "warning")


def view() -> View:
    """The session's view; before the page has stored it (the navigation is built first), the one the link asks for."""
    if VIEW in st.session_state:
        return st.session_state[VIEW]
    return parse_view(*(st.query_params.get(k) for k in VIEW_PARAMS))[0]


def set_view(new: View) -> None:
    st.session_state[VIEW] = new
    write_link()


def _spec_from_link(raw: str | None) -> Spec | None:
    if raw:
        try:
            return decode_link(raw)
        except SpecError as e:
            st.session_state[LINK_ERROR] = e.problems[0].msg
    return None


def link_params(spec: Spec | None = None) -> dict[str, str]:
    """The query string of a link inside the app: a model (this session's unless given), the language and the view."""
    return {"spec": encode_link(spec if spec is not None else st.session_state[SPEC]), "lang": language(), **view().params()}


def spec() -> Spec:
    return st.session_state[SPEC]


def rev() -> int:
    """Bumped on every edit made outside a widget, so widgets are rebuilt from the spec."""
    return st.session_state.get(REV, 0)


def set_spec(new: Spec, rebuild_widgets: bool = True) -> None:
    st.session_state[SPEC] = new
    if rebuild_widgets:
        st.session_state[REV] = rev() + 1
    write_link()


def apply(edit: Callable[..., Spec], *args: Any, rebuild_widgets: bool = True) -> Msg | None:
    """Run an edit on the session's spec; an edit the spec refuses changes nothing and returns why."""
    try:
        new = edit(spec(), *args)
    except SpecError as e:
        return e.problems[0].msg
    set_spec(new, rebuild_widgets)
    return None


def write_link() -> None:
    """Put the page's state in its address: the spec, the language, the view and the run survive a reload."""
    wanted = {**link_params(), "run": run_param()}
    for k, v in wanted.items():
        if v is None:
            st.query_params.pop(k, None)
        elif st.query_params.get(k) != v:
            st.query_params[k] = v
    for k in VIEW_PARAMS:
        if k not in wanted and k in st.query_params:
            del st.query_params[k]


def uploaded_dataset() -> Dataset | None:
    return st.session_state.get(UPLOADED)


def set_uploaded_dataset(ds: Dataset | None) -> None:
    st.session_state[UPLOADED] = ds


def analysis() -> Analysis:
    """The checked spec, recomputed only when the spec (or the uploaded table it uses) changed."""
    current = spec()
    key = current.key()
    ds = uploaded_dataset() if current.dataset.name == UPLOAD else None
    cached = st.session_state.get("_analysis")
    if cached and cached[0] == key and cached[2] is ds:
        return cached[1]
    result = analyze(current, ds)
    st.session_state["_analysis"] = (key, result, ds)
    return result


def notify(message: Msg, kind: str = "success") -> None:
    """A message shown once at the top of the next run (after a callback); rendered in the page's language."""
    st.session_state[NOTICE] = (kind, message)


def pop_notice() -> tuple[str, Msg] | None:
    return st.session_state.pop(NOTICE, None)


def pop_link_error() -> Msg | None:
    return st.session_state.pop(LINK_ERROR, None)


# ---------------------------------------------------------------- the session's training job
BROWSER_KEY = "browser_key"  # this browser's random key, when its cookie was not there at the session's start
COOKIE = "pg_browser"  # set by ui/components/browser_key.js
_KEY_SHAPE = re.compile(r"[0-9a-f]{32}")


@dataclass
class JobSlot:
    """This session's TrainingJob, the spec it was started from, and a `?run=` still to reattach to."""

    job: TrainingJob | None = None
    spec_key: str = ""
    reattachable: bool = False  # the job is registered: a reload of this browser's page finds it again
    pending_run: str | None = None  # from the address, waiting for this browser's key
    tried: set[str] = field(default_factory=set)
    feed: str | None = None  # the token of the Train page's live panel feed (ui/live_feed.py)

    def stop(self) -> None:
        if self.job is not None:
            self.job.stop()

    def release(self) -> None:
        """The session ended: a run its browser may reattach to waits out the grace period; any other stops."""
        default_feeds().drop(self.feed)
        if self.job is not None and self.reattachable:
            default_runs().release(self.job)
        elif self.job is not None:
            self.job.stop()


@st.cache_resource(scope="session", on_release=lambda slot: slot.release(), show_spinner=False)
def _session_slot() -> JobSlot:
    return JobSlot()


def browser_key() -> str | None:
    """This browser's key: from its cookie when the session began, else as the Train page's component reported it."""
    key = st.context.cookies.get(COOKIE) or st.session_state.get(BROWSER_KEY)
    return key if isinstance(key, str) and _KEY_SHAPE.fullmatch(key) else None


def set_browser_key(key: str) -> None:
    """The key the Train page's component reported; a run started before it came is bound to it now."""
    st.session_state[BROWSER_KEY] = key
    slot = _session_slot()
    if slot.job is not None and not slot.reattachable and browser_key() is not None:
        default_runs().add(slot.job, key)
        slot.reattachable = True


def job_slot() -> JobSlot:
    """The session's slot; on a reloaded page, reattached to the run its address names (if this browser started it)."""
    slot = _session_slot()
    run = st.query_params.get("run")
    if slot.job is None and run and run not in slot.tried:
        key = browser_key()
        slot.pending_run = run if key is None else None
        if key is not None:
            slot.tried.add(run)
            if (job := default_runs().claim(run, key)) is not None:
                slot.job, slot.spec_key, slot.reattachable = job, spec_key(job.analysis.spec), True
    return slot


def set_job(job: TrainingJob) -> None:
    """Make `job` the session's run (stopping the one it replaces); a run this browser can reattach to after a reload."""
    slot = job_slot()
    if slot.job is not None:
        slot.job.stop()
        run_records.keep(slot.job)  # the run it replaces joins the runs on Compare
        default_runs().drop(slot.job)
    key = browser_key()
    slot.job, slot.spec_key, slot.pending_run, slot.reattachable = job, spec_key(job.analysis.spec), None, key is not None
    if key is not None:
        default_runs().add(job, key)


def run_param() -> str | None:
    """The `?run=` of this page: its run when a reload can reattach to it, or one still waiting to be claimed."""
    slot = job_slot()
    if slot.job is not None:
        return slot.job.id if slot.reattachable else None
    return slot.pending_run


def spec_key(s: Spec) -> str:
    return s.key()


def job_is_stale() -> bool:
    """True when the job still running was started from a different spec than the one shown."""
    slot = job_slot()
    return bool(slot.job and slot.job.snapshot().active and slot.spec_key != spec_key(spec()))
