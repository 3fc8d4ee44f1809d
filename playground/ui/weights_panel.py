"""Trained weights on the pages: download them (with the spec) and the `.pt2` program, upload them back.

An uploaded file passes `playground.weights` (the typed door) and must fit the current spec; the session's
run then becomes a fresh TrainingJob that starts from those weights, so Inspect shows them and Start
continues training from them. What was loaded, and how well it does on the test split, is remembered in the
session under the run's id, for the Train and Inspect pages to say so.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import streamlit as st

from playground import weights
from playground.analysis import Analysis
from playground.i18n import Msg, msg, t
from playground.training import TrainingJob
from playground.ui import state
from playground.ui.widgets import plain, say, slug

UPLOAD_KEY, ERROR, LOADED, OFFER = "weights-file", "weights-upload-error", "weights-loaded", "weights-offer"


@dataclass(frozen=True)
class Loaded:
    """Where a run's starting weights came from, and what they scored on the test split."""

    job_id: str
    file: str
    result: Msg


# ---------------------------------------------------------------- reading
def loaded(job: TrainingJob | None) -> Loaded | None:
    """The file `job` started from, when it was loaded in this session."""
    info: Loaded | None = st.session_state.get(LOADED)
    return info if job is not None and info is not None and info.job_id == job.id else None


def inspect_note(job: TrainingJob) -> Msg | None:
    """Inspect's line for a run that has not trained yet but holds weights from a file."""
    info = loaded(job)
    return msg("weights.ui.inspect_note", file=info.file, result=info.result) if info else None


def _has_weights(job: TrainingJob | None) -> bool:
    if job is None:
        return False
    snap = job.snapshot()
    return snap.step > 0 or snap.active or job.from_weights


def _job_of(a: Analysis) -> TrainingJob | None:
    """The session's run when it trained (or holds weights for) exactly this spec."""
    slot = state.job_slot()
    return slot.job if slot.spec_key == state.spec_key(a.spec) and _has_weights(slot.job) else None


def _weights_data(job: TrainingJob) -> Callable[[], bytes]:
    """Made when the button is clicked: the weights as the worker has them at that moment."""
    return lambda: weights.to_bytes(job.model_copy(), job.analysis.spec)


def _pt2_data(a: Analysis, job: TrainingJob | None) -> Callable[[], bytes]:
    return lambda: weights.export_pt2(a, job.model_copy() if job is not None else None)


def _result(loss: float, accuracy: float | None) -> Msg:
    if accuracy is None:
        return msg("weights.ui.result_loss", loss=f"{loss:.4f}")
    return msg("weights.ui.result_accuracy", loss=f"{loss:.4f}", accuracy=f"{accuracy:.1%}")


# ---------------------------------------------------------------- upload
def _on_upload() -> None:
    """Weights replace the session's run only when they pass the door and fit the spec; otherwise nothing changes."""
    up = st.session_state.get(UPLOAD_KEY)
    if up is not None:
        _load(up.getvalue(), repr(up.name[:60]))


def _load(data: bytes, name: str) -> None:
    """Apply weights onto the current spec and make them the session's run, or keep everything and say why."""
    st.session_state.pop(OFFER, None)
    a = state.analysis()
    try:
        if not a.ok:
            raise weights.WeightsError(msg("weights.ui.invalid_model"))
        loaded_state = weights.load(data, a)
    except weights.WeightsError as e:
        st.session_state[ERROR] = msg("weights.ui.failed", file=name, problem=e.msg)
        if e.other is not None:  # the file names its own model: offered, never switched to unasked
            st.session_state[OFFER] = (e.other, data, name)
        return
    st.session_state.pop(ERROR, None)
    result = _result(*weights.evaluate(a, loaded_state))
    job = TrainingJob(a, weights=weights.to_bytes(weights.model_with(a, loaded_state), a.spec))
    state.set_job(job)
    st.session_state[LOADED] = Loaded(job.id, name, result)
    state.notify(msg("weights.ui.loaded", file=name, result=result))


def _open_their_model() -> None:
    """The offer's button: the file's own spec becomes the model, then its weights go onto it."""
    offer = st.session_state.pop(OFFER, None)
    if offer is not None:
        spec, data, name = offer
        state.set_spec(spec)
        _load(data, name)


# ---------------------------------------------------------------- the Build page's files row
def files_controls(row, a: Analysis) -> None:
    """On Build: download the trained weights and the .pt2 program, upload weights onto this spec."""
    job = _job_of(a) if a.ok else None
    name = slug(a.spec.name)
    row.download_button(t("weights.ui.download"), _weights_data(job) if job else b"", file_name=f"{name}.safetensors",
                        mime="application/octet-stream", key="dl-weights", width="content", on_click="ignore",
                        icon=":material/download:", disabled=job is None,
                        help=t("weights.ui.download_help", code=f"{name}.py", file=f"{name}.safetensors") if job else t("weights.ui.download_untrained"))
    with row.popover(t("weights.ui.upload"), icon=":material/upload:", width="content"):
        st.file_uploader(t("weights.ui.upload_file", limit=st.get_option("server.maxUploadSize")), type=["safetensors"],
                         key=UPLOAD_KEY, on_change=_on_upload, help=t("weights.ui.upload_help"))
    if a.ok:
        row.download_button(t("weights.ui.pt2"), _pt2_data(a, job), file_name=f"{name}.pt2", mime="application/octet-stream",
                            key="dl-pt2", width="content", on_click="ignore", icon=":material/account_tree:",
                            help=t("weights.ui.pt2_help", which=t("weights.ui.pt2_trained" if job else "weights.ui.pt2_fresh")))


def code_help(a: Analysis) -> str:
    """What the .py download's help adds: the name under which it finds trained weights."""
    return t("weights.ui.code_help", file=f"{slug(a.spec.name)}.safetensors")


def upload_error() -> None:
    """The last upload's problem, in one sentence next to the controls; for another model's weights, a way to open it."""
    if (err := st.session_state.get(ERROR)) is not None:
        say("error", str(err))
    if (offer := st.session_state.get(OFFER)) is not None:
        st.button(t("weights.ui.open_theirs", name=plain(offer[0].name or t("weights.ui.their_model"))), key="weights-open-theirs",
                  icon=":material/swap_horiz:", on_click=_open_their_model, help=t("weights.ui.open_theirs_help"))


# ---------------------------------------------------------------- the Train page
def train_row() -> None:
    """On Train: where the run's weights came from, and (once it has weights) their downloads."""
    job = state.job_slot().job
    if (info := loaded(job)) is not None:
        started = job.snapshot().step > 0
        say("info", t("weights.ui.note_trained" if started else "weights.ui.note", file=info.file, result=str(info.result)),
            icon=":material/upload_file:")
    if not _has_weights(job):
        return
    name = slug(job.analysis.spec.name)
    row = st.container(horizontal=True, wrap=True, gap="small", vertical_alignment="center")
    row.caption(t("weights.ui.downloads"), width="content")
    row.download_button(t("weights.ui.download"), _weights_data(job), file_name=f"{name}.safetensors", mime="application/octet-stream",
                        key="dl-weights-train", width="content", on_click="ignore", icon=":material/download:",
                        help=t("weights.ui.download_help", code=f"{name}.py", file=f"{name}.safetensors"))
    row.download_button(t("weights.ui.pt2"), _pt2_data(job.analysis, job), file_name=f"{name}.pt2", mime="application/octet-stream",
                        key="dl-pt2-train", width="content", on_click="ignore", icon=":material/account_tree:",
                        help=t("weights.ui.pt2_help", which=t("weights.ui.pt2_trained")))
