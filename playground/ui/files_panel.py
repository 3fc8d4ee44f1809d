"""The Build page's top row: start from a template, download or upload the spec, export PyTorch code."""
from __future__ import annotations

import streamlit as st

from playground.analysis import Analysis, analyze
from playground.export import export_code
from playground.i18n import msg, t
from playground.spec import MAX_SPEC_BYTES, SpecError, parse_spec
from playground.templates import examples
from playground.ui import state, weights_panel
from playground.ui.widgets import say, slug, wkey

UPLOAD_ERROR = "spec-upload-error"


def _load_example(key) -> None:
    name = st.session_state.get(key)
    if name:
        spec = examples()[name]
        state.set_spec(spec)
        state.notify(msg("build.files.template_loaded", name=spec.name or name))


def _on_spec_upload() -> None:
    """A spec file replaces the model only when it passes the typed door; otherwise nothing changes."""
    up = st.session_state.get("spec-file")
    if up is None:
        return
    try:
        spec = parse_spec(up.getvalue())
    except SpecError as e:
        st.session_state[UPLOAD_ERROR] = msg("build.files.upload_failed", file=repr(up.name[:60]), problem=e.problems[0].msg)
        return
    st.session_state.pop(UPLOAD_ERROR, None)
    state.set_spec(spec)
    problems = analyze(spec).problems
    if problems:
        state.notify(msg("build.files.loaded_with_problems", file=repr(up.name[:60]), count=len(problems)), "warning")
    else:
        state.notify(msg("build.files.loaded", file=repr(up.name[:60])))


def _final_lr() -> float | None:
    """The learning rate the session's run ended with, when it trained this very spec and it was changed live."""
    slot = state.job_slot()
    if slot.job is None or slot.spec_key != state.spec_key(state.spec()):
        return None
    changes = slot.job.snapshot().lr_changes
    return changes[-1][1] if changes else None


def templates_and_files(a: Analysis) -> None:
    ex = examples()
    k = wkey("template")
    row = st.container(horizontal=True, wrap=True, gap="small", vertical_alignment="bottom")
    labels = {"": t("build.files.choose_template"), **{n: spec.name or n for n, spec in ex.items()}}
    row.selectbox(t("build.files.template"), list(labels), key=k, on_change=_load_example, args=(k,), format_func=labels.get, width=320)
    spec = state.spec()
    name = slug(spec.name)
    row.download_button(t("build.files.download_spec"), spec.to_json(), file_name=f"{name}.json", mime="application/json",
                        key="dl-spec", width="content", on_click="ignore", icon=":material/download:", help=t("build.files.download_spec_help"))
    with row.popover(t("build.files.upload_spec"), icon=":material/upload:", width="content"):
        st.file_uploader(t("build.files.spec_file", limit=MAX_SPEC_BYTES // 1_000_000), type=["json"], key="spec-file",
                         on_change=_on_spec_upload)
    code = export_code(a, lr=_final_lr()) if a.ok else ""
    row.download_button(t("build.files.export"), code, file_name=f"{name}.py", mime="text/x-python", key="dl-code", width="content",
                        on_click="ignore", icon=":material/code:", disabled=not a.ok,
                        help=f'{t("build.files.export_help")} {weights_panel.code_help(a)}' if a.ok else t("build.files.export_disabled"))
    weights_panel.files_controls(row, a)
    if (err := st.session_state.get(UPLOAD_ERROR)) is not None:
        say("error", str(err))
    weights_panel.upload_error()
