"""The Build page's setup row: the loss, the optimizer and the training settings."""
from __future__ import annotations

import streamlit as st

from playground import edit
from playground.analysis import Analysis
from playground.losses import LOSSES
from playground.optimizers import OPTIMIZERS, TRAINING_PARAMS
from playground.ui import state
from playground.ui.widgets import commit_field, field_error, param_input, say, wkey
from playground.i18n import t


def _on_type(section: str, key: str) -> None:
    state.apply(edit.set_section, section, {"type": st.session_state[key]})


def _set_option(section: str, name: str):
    return lambda spec, value: edit.set_option(spec, section, name, value)


def _typed_section(a: Analysis, section: str, registry: dict, entry) -> None:
    title = t(f"build.setup.{section}")
    st.markdown(f"**{title}**")
    names = list(registry)
    k = wkey(section, "type")
    st.selectbox(title, names, index=names.index(entry.type), key=k, on_change=_on_type, args=(section, k),
                 label_visibility="collapsed")
    d = registry[entry.type]
    st.caption(d.summary)
    st.latex(d.formula)
    values = entry.args()
    for p in d.params:
        kk = wkey(section, p.name)
        param_input(p, values.get(p.name), kk, commit_field, (p, kk, _set_option(section, p.name)))
        field_error(kk)
    for p in a.problems:
        if p.where == section:
            say("error", p.message)


def setup_panel(a: Analysis) -> None:
    """The loss, optimizer and training columns a teacher has not hidden."""
    parts = {"loss": lambda: _typed_section(a, "loss", LOSSES, a.loss),
             "optimizer": lambda: _typed_section(a, "optimizer", OPTIMIZERS, a.optimizer),
             "training": lambda: _training(a)}
    shown = [draw for part, draw in parts.items() if state.view().shows(part)]
    for col, draw in zip(st.columns(3) if shown else [], shown):
        with col:
            draw()


def _training(a: Analysis) -> None:
    st.markdown(f"**{t('build.setup.training')}**")
    values = a.training.args()
    cols = st.columns(2)
    shown = [p for p in TRAINING_PARAMS if p.name not in ("step_size", "gamma") or values["lr_schedule"] == "step"]
    for j, p in enumerate(shown):
        with cols[j % 2]:
            kk = wkey("training", p.name)
            param_input(p, values.get(p.name), kk, commit_field, (p, kk, _set_option("training", p.name)))
            field_error(kk)
    for p in a.problems + a.warnings:
        if p.where == "training":
            say("error" if p in a.problems else "warning", p.message)
