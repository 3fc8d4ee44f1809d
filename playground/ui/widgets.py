"""Widgets generated from registry parameters, and the page frame every page shares."""
from __future__ import annotations

from typing import Any, Callable

import streamlit as st
import torch

from playground import i18n
from playground.edit import model_family
from playground.params import Param
from playground.ui import state
from playground.ui.nav import ensure_navigation

CSS = """
<style>
  .block-container {padding-top: 2.2rem; padding-bottom: 3rem; max-width: 1500px;}
  div[data-testid="stVerticalBlockBorderWrapper"] {border-radius: 10px;}
  .pg-card-title {font-size: 1.05rem; font-weight: 650; margin: 0;}
  .pg-card-shape {margin: -0.6rem 0 0 0;}
  .pg-shape {font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.95rem; color: #334155;}
  .pg-muted {color: #64748b; font-size: 0.9rem;}
  .pg-family {display:inline-block; width: 0.8rem; height: 0.8rem; border-radius: 3px; margin-right: 0.4rem; vertical-align: -1px;}
  .pg-summary {font-size: 0.95rem; line-height: 1.4;}
  section[data-testid="stSidebar"] .pg-summary {font-weight: 600;}
  [data-testid="stMetricValue"] {font-size: 1.75rem;}
  /* The bar's slide animation outlasts the 0.5 s between updates, so while training it would repaint the
     page 60 times a second; it steps instead */
  [data-testid="stProgress"] div {transition: none !important;}
</style>
"""


def page_frame(title: str, subtitle: str = "") -> None:
    """Shared top of every page: state, styles, sidebar summary, one-time notices."""
    ensure_navigation()
    torch.set_num_threads(1)  # per thread under OpenMP, and every run is a new thread
    state.ensure()
    st.markdown(CSS, unsafe_allow_html=True)
    sidebar_summary()
    st.title(title)
    if subtitle:
        st.caption(subtitle)
    if msg := state.pop_link_error():
        st.error(msg, icon=":material/link_off:")
    if notice := state.pop_notice():
        kind, text = notice
        getattr(st, kind if kind in ("success", "info", "warning", "error") else "info")(text)


def model_line() -> str:
    """"CNN · digits · 3,240 params · CrossEntropyLoss · Adam 0.01" — the model in one line."""
    spec = state.spec()
    a = state.analysis()
    ds = (spec.get("dataset") or {}).get("name", "?")
    params = f"{a.total_params:,} params" if a.ok else "invalid model"
    loss = (a.loss or {}).get("type") or "?"
    opt = a.optimizer or {}
    lr = f" {opt['lr']:g}" if isinstance(opt.get("lr"), (int, float)) else ""
    return f"{model_family(spec)} · {ds} · {params} · {loss} · {opt.get('type', '?')}{lr}"


def status_line() -> str:
    job = state.job_slot().job
    if job is None:
        return "Not trained yet"
    s = job.snapshot()
    acc = s.epochs[-1].test_accuracy if s.epochs else None
    extra = f" · test acc {acc:.1%}" if acc is not None else (f" · test loss {s.epochs[-1].test_loss:.4f}" if s.epochs else "")
    return f"{s.status.capitalize()} · epoch {s.epoch}/{s.total_epochs}{extra}"


def sidebar_summary() -> None:
    job = state.job_slot().job
    running = job is not None and job.running

    @st.fragment(run_every=1.0 if running else None)
    def status() -> None:
        st.caption(f"Training: {status_line()}")

    with st.sidebar:
        language_switch()
        st.markdown(f"<div class='pg-summary'>{model_line()}</div>", unsafe_allow_html=True)
        status()


def _on_language() -> None:
    choice = st.session_state.get("lang-switch")
    if choice:
        state.set_language(choice)
    else:  # clicking the selected option again clears it; keep the language
        st.session_state["lang-switch"] = state.language()


def language_switch() -> None:
    """English / 中文, written into the link as ?lang= so a teacher can share a Chinese link."""
    if st.session_state.get("lang-switch") != state.language():
        st.session_state["lang-switch"] = state.language()
    st.segmented_control(i18n.t("common.language.label"), i18n.LANGS, format_func=i18n.NAMES.get, key="lang-switch",
                         on_change=_on_language, label_visibility="collapsed")


def param_input(p: Param, value: Any, key: str, on_change: Callable, args: tuple, label: str | None = None, disabled: bool = False) -> None:
    """One widget for one registry parameter; `on_change(*args)` writes the new value into the spec."""
    label = label or p.name
    common = {"key": key, "help": p.help or None, "on_change": on_change, "args": args, "disabled": disabled}
    if p.kind == "bool":
        st.checkbox(label, value=bool(value), **common)
    elif p.kind == "choice":
        options = list(p.choices)
        st.selectbox(label, options, index=options.index(value) if value in options else 0, **common)
    elif p.kind == "int":
        lo = int(p.min) if p.min is not None else None
        hi = int(p.max) if p.max is not None else None
        if lo is not None and hi is not None and lo == hi:
            st.number_input(label, value=int(value), disabled=True, key=key, help=p.help or None)
            return
        st.number_input(label, min_value=lo, max_value=hi, value=None if value is None else int(value), step=1,
                        placeholder="auto" if p.optional else None, **common)
    elif p.kind == "float":
        step = p.step if p.step is not None else (None if p.log else 0.1)
        fmt = "%g" if p.log or (p.max is not None and p.max <= 1) else "%.3g"
        st.number_input(label, min_value=float(p.min) if p.min is not None else None, max_value=float(p.max) if p.max is not None else None,
                        value=None if value is None else float(value), step=step, format=fmt,
                        placeholder="off" if p.optional else None, **common)
    elif p.kind == "int_list":
        st.text_input(label, value=", ".join(str(v) for v in (value or [])), **common)


def read_param(p: Param, key: str) -> tuple[Any, str | None]:
    """The widget's value converted for the spec, or an error sentence (text lists are parsed here)."""
    raw = st.session_state.get(key)
    if p.kind == "int_list":
        try:
            value = [int(v) for v in str(raw).replace("[", "").replace("]", "").split(",") if v.strip()]
        except ValueError:
            return None, f"{p.name} must be whole numbers separated by commas, e.g. 1, 8, 8"
    elif p.kind == "int" and raw is not None:
        value = int(raw)
    else:
        value = raw
    if value is None and not p.optional:
        return None, f"{p.name} needs a value"
    err = p.check(value)
    return (None, err) if err else (value, None)


def _stop_job() -> None:
    state.job_slot().stop()
    state.notify("Training stopped.", "info")


def stale_job_banner() -> None:
    """When the model was changed while its job trains, ask whether to stop the job."""
    if state.job_is_stale():
        c1, c2 = st.columns([4, 1], vertical_alignment="center")
        c1.warning("Training is still running on the previous version of the model. Your changes apply when you start training again.")
        c2.button("Stop training", key="stale-stop", on_click=_stop_job, type="primary", width="stretch")
