"""Widgets generated from registry parameters, and the page frame every page shares."""
from __future__ import annotations

import html
import json
from typing import Any, Callable

import plotly.graph_objects as go
import streamlit as st
import torch

from playground import i18n
from playground.i18n import Msg, msg, t
from playground.edit import model_family
from playground.params import Param
from playground.spec import Spec
from playground.view import View
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
  /* A link in the page (a lesson's "try it", the next lesson) wraps rather than ending in "…" on a projector */
  [data-testid="stPageLink-NavLink"] * {white-space: normal !important; overflow: visible !important; text-overflow: clip !important;}
  [data-testid="stPageLink-NavLink"] {height: auto !important;}
</style>
"""
# Presentation mode, for a projector: no sidebar, larger type, the whole width for the figures.
PRESENT_CSS = """
<style>
  section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"] {display: none;}
  html {font-size: 20px;}
  .block-container {max-width: 100%; padding-top: 0.6rem; padding-left: 2.5rem; padding-right: 2.5rem;}
  [data-testid="stMetricValue"] {font-size: 2.4rem;}
</style>
"""
PRESENT_SCALE = 1.3  # figures' type and height in presentation mode


_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|~<>$:"})


def plain(text: str) -> str:
    """Text shown through Streamlit's markdown exactly as it is: no link, image, formula or colour from user data."""
    return str(text).translate(_MARKDOWN)


def say(kind: str, text: str, **kwargs: Any) -> None:
    """st.error/warning/info/success with text that may quote a user's spec or file, shown literally."""
    getattr(st, kind if kind in ("success", "info", "warning", "error") else "info")(plain(text), **kwargs)


def page_frame(title: str, subtitle: str = "", sidebar_status: bool = True) -> None:
    """Shared top of every page: state, styles, sidebar summary, one-time notices.

    `sidebar_status=False` leaves the run's status out of the sidebar while it trains: a page that shows the
    run itself (Train) polls it once, as a second timer on the same page would delay the first.
    """
    ensure_navigation()
    torch.set_num_threads(1)  # per thread under OpenMP, and every run is a new thread
    state.ensure()
    st.markdown(CSS + _uploader_css(), unsafe_allow_html=True)
    if state.view().present:
        st.markdown(PRESENT_CSS, unsafe_allow_html=True)
        with st.container(horizontal=True, horizontal_alignment="right"):
            st.button(t("app.present.exit"), key="present-exit", icon=":material/close_fullscreen:", on_click=_exit_presentation,
                      type="tertiary")
    sidebar_summary(sidebar_status)
    st.title(title)
    if subtitle:
        st.caption(subtitle)
    if (problem := state.pop_link_error()) is not None:
        say("error", t("app.link_error", problem=problem), icon=":material/link_off:")
    if (notice := state.pop_notice()) is not None:
        kind, message = notice
        say(kind, str(message))


def _uploader_css() -> str:
    """Streamlit's file uploader speaks English only: its button takes our word for "Upload", and its line of
    limits goes (each uploader's label states its own limit, in the page's language)."""
    word = json.dumps(t("app.upload"), ensure_ascii=False)  # a catalog string, quoted as a CSS string
    return f"""<style>
  [data-testid="stFileUploaderDropzoneInstructions"] {{display: none;}}
  [data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {{font-size: 0;}}
  [data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {{content: {word}; font-size: 1rem;}}
</style>"""


def _exit_presentation() -> None:
    state.set_view(View(False, state.view().hidden))


def chart(fig, key: str, **kwargs: Any) -> None:
    """st.plotly_chart, with larger type and figures in presentation mode (read from a projector's distance)."""
    if state.view().present:
        fig = go.Figure(fig)  # a copy: the figure may be cached, and is scaled once per drawing
        base = fig.layout.font.size or 15
        fig.update_layout(font={"size": round(base * PRESENT_SCALE)}, height=round((fig.layout.height or 360) * PRESENT_SCALE))
    st.plotly_chart(fig, key=key, **kwargs)


def model_line() -> str:
    """"CNN · digits · 3,240 params · CrossEntropyLoss · Adam 0.01" — the model in one line."""
    spec, a = state.spec(), state.analysis()
    params = t("app.sidebar.params", count=a.total_params) if a.ok else t("app.sidebar.invalid")
    dataset = t(f"datasets.{spec.dataset.name}.title")
    return f"{model_family(spec)} · {dataset} · {params} · {a.loss.type} · {a.optimizer.type} {a.optimizer.lr:g}"


def status_line() -> str:
    job = state.job_slot().job
    if job is None:
        return t("app.sidebar.not_trained")
    s = job.snapshot()
    acc = s.epochs[-1].test_accuracy if s.epochs else None
    if acc is not None:
        extra = t("app.sidebar.test_accuracy", value=f"{acc:.1%}")
    elif s.epochs:
        extra = t("app.sidebar.test_loss", value=f"{s.epochs[-1].test_loss:.4f}")
    else:
        extra = ""
    return t("app.sidebar.status", status=t(f"app.status.{s.status}"), epoch=s.epoch, total=s.total_epochs) + extra


def sidebar_summary(sidebar_status: bool = True) -> None:
    """The language switch, the model in one line and the run's status: polled each second while it trains,
    or left out then when `sidebar_status` is False."""
    job = state.job_slot().job
    running = job is not None and job.running

    @st.fragment(run_every=1.0 if running else None)
    def status() -> None:
        st.caption(t("app.sidebar.training", status=status_line()))

    with st.sidebar:
        if state.view().shows("language"):
            language_switch()
        st.markdown(f"<div class='pg-summary'>{html.escape(model_line())}</div>", unsafe_allow_html=True)
        if sidebar_status or not running:
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
    st.segmented_control(t("common.language.label"), i18n.LANGS, format_func=i18n.NAMES.get, key="lang-switch",
                         on_change=_on_language, label_visibility="collapsed")


def param_input(p: Param, value: Any, key: str, on_change: Callable, args: tuple, label: str | None = None, disabled: bool = False,
                width: int | str = "stretch") -> None:
    """One widget for one registry parameter; `on_change(*args)` checks the new value and writes it into the spec.

    Number fields carry no min/max of their own: the registry's check refuses a value out of range with a sentence
    (the browser would clamp it silently), and an integer field takes what is typed, so 3.7 is refused, not rounded.
    """
    label = label or p.name
    common = {"key": key, "help": p.help_text or None, "on_change": on_change, "args": args, "disabled": disabled, "width": width}
    if p.kind == "bool":
        st.checkbox(label, value=bool(value), **common)
    elif p.kind == "choice":
        options = list(p.choices)
        st.selectbox(label, options, index=options.index(value) if value in options else 0, **common)
    elif p.kind in ("int", "float"):
        if p.min is not None and p.min == p.max:
            st.number_input(label, value=int(value), disabled=True, key=key, help=p.help_text or None, width=width)
            return
        step = float(p.step) if p.step is not None else (1.0 if p.kind == "int" else (None if p.log else 0.1))
        st.number_input(label, value=None if value is None else float(value), step=step, format="%.10g",
                        placeholder=t("app.field.auto" if p.kind == "int" else "app.field.off") if p.optional else None, **common)
    elif p.kind == "int_list":
        st.text_input(label, value=", ".join(str(v) for v in (value or [])), **common)


def read_param(p: Param, key: str) -> tuple[Any, Msg | None]:
    """The widget's value converted for the spec, or the sentence saying why it is refused (nothing is rounded)."""
    raw = st.session_state.get(key)
    if p.kind == "int_list":
        try:
            text = str(raw).replace("，", ",").replace("[", "").replace("]", "")  # a Chinese input method types "，"
            raw = [int(v) for v in text.split(",") if v.strip()]
        except ValueError:
            return None, msg("app.field.int_list", name=p.name)
    if (err := p.check(raw)) is not None:
        return None, err
    return (None if raw is None else p.coerce(raw)), None


def field_error(key: str) -> None:
    """The refusal of the last value typed into the field `key`, shown right under it."""
    if (err := st.session_state.get(f"err:{key}")) is not None:
        say("error", str(err))


def _stop_job() -> None:
    state.job_slot().stop()
    state.notify(msg("app.training_stopped"), "info")


def stale_job_banner() -> None:
    """When the model was changed while its job trains, ask whether to stop the job."""
    if state.job_is_stale():
        c1, c2 = st.columns([4, 1], vertical_alignment="center")
        c1.warning(t("app.stale.message"))
        c2.button(t("app.stale.stop"), key="stale-stop", on_click=_stop_job, type="primary", width="stretch")


def wkey(*parts: Any) -> str:
    """A widget key that changes with every edit made outside widgets, so widgets are rebuilt from the spec."""
    return f"w{state.rev()}:" + ":".join(str(p) for p in parts)


def commit_field(p: Param, key: str, edit: Callable[[Spec, Any], Spec]) -> None:
    """on_change of a parameter field: check the typed value and write it into the spec, or keep the spec and say why."""
    value, err = read_param(p, key)
    if err is None:
        err = state.apply(edit, value, rebuild_widgets=False)
    if err is None:
        st.session_state.pop(f"err:{key}", None)
    else:
        st.session_state[f"err:{key}"] = err


def slug(name: str | None, fallback: str = "model") -> str:
    """A file name from a spec's name: letters, digits and underscores only."""
    text = "".join(c if c.isascii() and c.isalnum() else "_" for c in (name or "").lower()).strip("_")
    return "_".join(filter(None, text.split("_")))[:60] or fallback
