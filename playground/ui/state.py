"""Session state: the spec (the one source of truth), its analysis, the link, and the session's training job.

Everything here lives in st.session_state or a session-scoped resource: two students on one server
never share a model or a job.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from playground.datasets import Dataset
from playground.spec import UPLOAD, Analysis, SpecError, analyze, decode_link, encode_link
from playground.templates import default_spec
from playground.training import TrainingJob

SPEC, REV, LINK_ERROR, UPLOADED, NOTICE = "spec", "rev", "link_error", "uploaded_dataset", "notice"


def ensure() -> None:
    """First run of a session: take the spec from the link when it holds one, else the default model."""
    if SPEC in st.session_state:
        return
    st.session_state[REV] = 0
    raw = st.query_params.get("spec")
    spec = None
    if raw:
        try:
            spec = decode_link(raw)
        except SpecError as e:
            st.session_state[LINK_ERROR] = f"{e} The default model is shown instead."
    st.session_state[SPEC] = spec if spec is not None else default_spec()
    _write_link()


def spec() -> dict[str, Any]:
    return st.session_state[SPEC]


def rev() -> int:
    """Bumped on every edit made outside a widget, so widgets are rebuilt from the spec."""
    return st.session_state.get(REV, 0)


def set_spec(new: dict[str, Any], rebuild_widgets: bool = True) -> None:
    st.session_state[SPEC] = new
    if rebuild_widgets:
        st.session_state[REV] = rev() + 1
    _write_link()


def _write_link() -> None:
    try:
        st.query_params["spec"] = encode_link(st.session_state[SPEC])
    except Exception:  # a spec that cannot be serialised stays out of the link, and stays in the session
        pass


def uploaded_dataset() -> Dataset | None:
    return st.session_state.get(UPLOADED)


def set_uploaded_dataset(ds: Dataset | None) -> None:
    st.session_state[UPLOADED] = ds


def analysis() -> Analysis:
    """The checked spec, recomputed only when the spec changed."""
    current = spec()
    key = json.dumps(current, sort_keys=True, default=str)
    cached = st.session_state.get("_analysis")
    ds = uploaded_dataset() if current.get("dataset", {}).get("name") == UPLOAD else None
    if cached and cached[0] == key and cached[2] is ds:
        return cached[1]
    result = analyze(current, ds)
    st.session_state["_analysis"] = (key, result, ds)
    return result


def notify(message: str, kind: str = "success") -> None:
    """A message shown once at the top of the next run (after a callback)."""
    st.session_state[NOTICE] = (kind, message)


def pop_notice() -> tuple[str, str] | None:
    return st.session_state.pop(NOTICE, None)


def pop_link_error() -> str | None:
    return st.session_state.pop(LINK_ERROR, None)


# ---------------------------------------------------------------- the session's training job
@dataclass
class JobSlot:
    """Holds this session's current TrainingJob and the spec it was started from."""

    job: TrainingJob | None = None
    spec_key: str = ""
    error: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def stop(self) -> None:
        if self.job is not None:
            self.job.stop()


@st.cache_resource(scope="session", on_release=lambda slot: slot.stop(), show_spinner=False)
def job_slot() -> JobSlot:
    return JobSlot()


def spec_key(s: dict[str, Any]) -> str:
    return json.dumps(s, sort_keys=True, default=str)


def job_is_stale() -> bool:
    """True when the job still running was started from a different spec than the one shown."""
    slot = job_slot()
    return bool(slot.job and slot.job.snapshot().active and slot.spec_key != spec_key(spec()))
