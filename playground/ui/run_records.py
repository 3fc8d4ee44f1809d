"""The session's kept runs (a RunBook in st.session_state) and the hook that records a run when it ends."""
from __future__ import annotations

import streamlit as st

from playground.experiments.book import RunBook
from playground.experiments.capture import record_from_job
from playground.i18n import t
from playground.training import TrainingJob

BOOK = "run_book"


def book() -> RunBook:
    if BOOK not in st.session_state:
        st.session_state[BOOK] = RunBook()
    return st.session_state[BOOK]


def keep(job: TrainingJob | None, name: str | None = None) -> None:
    """Record `job` once, if it ended (finished, stopped or diverged) after training at least one batch."""
    b = book()
    if job is None or job.id in b.seen_jobs or not job.ended:
        return
    record = record_from_job(job, b.new_id(), (name or t("compare.runs.default_name", n=b.count + 1))[:80])
    b.seen_jobs.add(job.id)
    if record is not None:
        b.add(record, job.id)
