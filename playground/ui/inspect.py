"""The Inspect page's frame: which weights, which view, which input, and the model's prediction for it.

Work is cached in the session, never in module globals: a snapshot of the weights holds every result
computed from it (traces by input, the decision grid, the evaluation, the stats), so a widget change
redraws without recomputing, and only the open tab runs at all.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
import torch

from playground import i18n, inspection
from playground.analysis import Analysis
from playground.datasets import PER_TOKEN_TASKS
from playground.i18n import Msg, msg, t
from playground.inspection import formulas
from playground.model import build_model
from playground.plots import conv as conv_figs
from playground.plots import outputs as output_figs
from playground.ui import state, weights_panel
from playground.ui import widgets
from playground.ui.widgets import plain, say

SNAPSHOT, FRESH, TAB, VIEW = "insp-snapshot", "insp-fresh", "insp-tab", "insp-view"
VIEWS = ("inside", "dynamics", "evaluation")
MAX_TRACES = 16  # traces kept per snapshot (one per input looked at)


@dataclass
class Snapshot:
    """Frozen weights and everything computed from them, keyed by what it was computed for."""

    job: Any  # the TrainingJob the weights come from (None: untrained weights)
    spec_key: str
    step: int
    model: torch.nn.Module
    note: Msg
    epochs: list
    results: dict[tuple, Any] = field(default_factory=dict)
    traces: OrderedDict = field(default_factory=OrderedDict)  # input digest -> Trace
    figures: dict[tuple, go.Figure] = field(default_factory=dict)  # (input digest or "model", language, *key)

    def memo(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """`compute()` once per snapshot."""
        if key not in self.results:
            self.results[key] = compute()
        return self.results[key]

    def trace(self, a: Analysis, x: torch.Tensor) -> inspection.Trace:
        """The trace of one input, computed once (the oldest of MAX_TRACES is dropped, with its figures)."""
        key = hashlib.sha1(x.numpy().tobytes()).hexdigest()
        if key not in self.traces:
            self.traces[key] = inspection.trace(self.model, a, x)
            while len(self.traces) > MAX_TRACES:
                old, _ = self.traces.popitem(last=False)
                self.figures = {k: v for k, v in self.figures.items() if k[0] != old}
        return self.traces[key]

    def figure(self, tr: inspection.Trace | None, key: tuple, build: Callable[[], go.Figure]) -> go.Figure:
        """A figure built once per snapshot, input (`tr`; None for the whole model) and language: building a
        Plotly figure costs tens of milliseconds, and a widget change redraws the same ones."""
        scope = "model" if tr is None else next(k for k, v in self.traces.items() if v is tr)
        full = (scope, i18n.current(), *key)
        if full not in self.figures:
            self.figures[full] = build()
        return self.figures[full]


def _take_fresh() -> None:
    st.session_state[FRESH] = True


def snapshot(a: Analysis) -> Snapshot:
    """The weights to inspect: the session's model (trained or training), else the untrained model of the spec.

    While training runs, the snapshot stays until "New snapshot" or until the page is opened again, so two
    inputs are compared on the same weights; when training has stopped, more training means a new snapshot.
    """
    slot, spec_key = state.job_slot(), state.spec_key(state.spec())
    cached: Snapshot | None = st.session_state.get(SNAPSHOT)
    fresh = st.session_state.pop(FRESH, False) or TAB not in st.session_state  # the tab's state goes when the page does
    job = slot.job if slot.job is not None and slot.spec_key == spec_key else None
    snap = job.snapshot() if job is not None else None
    if snap is None or (snap.step == 0 and not job.from_weights):
        if cached and cached.job is None and cached.spec_key == spec_key:
            return cached
        new = Snapshot(None, spec_key, 0, build_model(a).eval(), msg("inspect.snapshot.untrained"), [])
    else:
        if cached and cached.job is job and (cached.step == snap.step or (snap.running and not fresh)):
            return cached
        acc = snap.epochs[-1].test_accuracy if snap.epochs else None
        extra = msg("inspect.snapshot.accuracy", acc=f"{acc:.1%}") if acc is not None else ""
        note = msg("inspect.snapshot.trained", steps=f"{snap.step:,}", epochs=snap.epoch, total=snap.total_epochs, extra=extra,
                   when=msg(f"inspect.snapshot.when.{snap.status}"))
        if snap.step == 0:  # not trained yet: weights loaded from a file
            note = weights_panel.inspect_note(job) or note
        new = Snapshot(job, spec_key, snap.step, job.model_copy(), note, list(snap.epochs))
    st.session_state[SNAPSHOT] = new
    return new


def snapshot_bar(snap: Snapshot) -> None:
    c1, c2 = st.columns([3, 1], vertical_alignment="center")
    c1.info(str(snap.note))
    c2.button(t("inspect.snapshot.new"), icon=":material/refresh:", help=t("inspect.snapshot.new_help"),
              on_click=_take_fresh, width="stretch")


# ---------------------------------------------------------------- the view switch
def _on_tab(views: list[str], labels: list[str]) -> None:
    st.session_state[VIEW] = views[labels.index(st.session_state[TAB])]


def tabs() -> dict[str, Any]:
    """The views a teacher has not hidden, as tabs; only the open one's body runs (Streamlit's lazy tabs)."""
    views = [v for v in VIEWS if state.view().shows(f"inspect.{v}")]
    if not views:
        say("info", t("inspect.page.all_hidden"))
        return {}
    labels = [t(f"inspect.tab.{v}") for v in views]
    chosen = st.session_state.get(VIEW, views[0])
    chosen = chosen if chosen in views else views[0]
    # the chosen view is kept by id, so switching the language (which renames the tabs) keeps it open
    containers = st.tabs(labels, key=TAB, on_change=_on_tab, args=(views, labels), default=labels[views.index(chosen)])
    return dict(zip(views, containers))


def chart(snap: Snapshot, tr: inspection.Trace | None, key: str, build: Callable[[], go.Figure], *args: Any) -> None:
    """A figure drawn from the snapshot's cache: `key` names the chart, `args` are whatever else changes it."""
    widgets.chart(snap.figure(tr, (key, *args), build), key=key)


def formula(latex: str, caption: str) -> None:
    """A panel's formula and the sentence that names its symbols."""
    st.latex(latex)
    st.caption(caption)


# ---------------------------------------------------------------- choosing one input
INPUT_MODES = ("sample", "class", "draw", "type")


def _modes(a: Analysis) -> list[str]:
    ds = a.dataset
    keep = {"sample": True, "class": ds.is_classification and ds.task not in PER_TOKEN_TASKS,
            "draw": ds.input_kind == "float" and len(ds.input_shape) == 3, "type": ds.input_kind == "tokens"}
    return [m for m in INPUT_MODES if keep[m]]


def pick_input(a: Analysis) -> tuple[torch.Tensor, dict] | None:
    """Sample by index or class, a drawing, or typed tokens; returns (x, info) or None after saying why."""
    modes = _modes(a)
    mode = st.segmented_control(t("inspect.input.label"), modes, format_func=lambda m: t(f"inspect.input.mode.{m}"),
                                default=modes[0], required=True, wrap=True, key="insp-mode") or modes[0]
    try:
        if mode == "sample":
            n = a.dataset.n_test
            idx = st.number_input(t("inspect.input.sample", last=n - 1), 0, n - 1, 0, key="insp-index")
            return inspection.prepare_input(a.dataset, int(idx), "test")
        if mode == "class":
            return _by_class(a.dataset)
        if mode == "draw":
            return _drawing(a.dataset)
        return _typed(a.dataset)
    except inspection.InputError as e:  # the sentence may quote what was typed: shown literally
        say("error", str(e), icon=":material/error:")
        return None


def _by_class(ds) -> tuple[torch.Tensor, dict] | None:
    names = inspection.class_labels(ds)
    k = st.selectbox(t("inspect.input.class"), range(len(names)), format_func=names.__getitem__, key="insp-class")
    matches = torch.nonzero(ds.y_test == k).flatten().tolist()
    if not matches:
        st.warning(t("inspect.input.no_class_sample", name=names[k]))
        return None
    which = st.number_input(t("inspect.input.which", count=len(matches)), 1, len(matches), 1, key="insp-which")
    return inspection.prepare_input(ds, matches[int(which) - 1], "test")


def _drawing(ds) -> tuple[torch.Tensor, dict] | None:
    from streamlit_drawable_canvas import st_canvas  # imported on use: it loads a component

    st.caption(t("inspect.input.draw_help"))
    # the canvas shows its toolbar above its top edge on hover: keep that strip clear of the caption
    st.space("medium")
    result = st_canvas(stroke_width=18 if ds.name == "digits" else 14, stroke_color="#ffffff", background_color="#000000",
                       height=224, width=224, drawing_mode="freedraw", key="insp-canvas", return_image_data=True)
    if result is None or result.image_data is None or not np.asarray(result.image_data)[..., :3].any():
        st.info(t("inspect.input.draw_first"))
        return None
    return inspection.prepare_input(ds, raw=np.asarray(result.image_data))


DEFAULT_DIGITS = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8]  # π: a sequence with repeats, so reversing and sorting show


def _typed(ds) -> tuple[torch.Tensor, dict]:
    seq_len = ds.input_shape[0]
    if ds.task == "next_token":  # a line of the corpus itself to start from (a text input holds no line breaks)
        hint = t("inspect.input.type_chars", count=seq_len)
        default = "".join((ds.vocab or ())[i] for i in ds.x_test[0].tolist()).replace("\n", " ")
    else:
        vocab = ds.vocab or ()
        ids = [DEFAULT_DIGITS[k % len(DEFAULT_DIGITS)] % len(vocab) for k in range(seq_len)]
        hint, default = t("inspect.input.type_tokens", count=seq_len), " ".join(vocab[i] for i in ids)
    text = st.text_input(t("inspect.input.typed", hint=hint), value=default, key="insp-text")
    return inspection.prepare_input(ds, raw=text)


# ---------------------------------------------------------------- the model's answer
def input_view(snap: Snapshot, tr: inspection.Trace) -> None:
    """The sample as the model sees it (images only: resized and scaled like the dataset)."""
    if len(tr.input.shape) == 3:
        chart(snap, tr, "insp-input", lambda: conv_figs.input_image(tr.input))


def prediction(a: Analysis, snap: Snapshot, tr: inspection.Trace, info: dict) -> None:
    ds = a.dataset
    if ds.task in PER_TOKEN_TASKS:
        _sequence_prediction(a, tr, info)
    elif tr.probabilities is not None:
        names = inspection.class_labels(ds) if ds.class_names else [str(k) for k in range(len(tr.probabilities))]
        true = info.get("label")
        chart(snap, tr, "insp-probs", lambda: output_figs.class_probabilities(tr.probabilities, names, true), true)
        _probability_formula(a, tr.output.shape[-1])
        if true is not None:
            right = int(tr.prediction) == true
            text = t("inspect.prediction.right" if right else "inspect.prediction.wrong", name=info.get("label_name"),
                     predicted=(tr.prediction_labels or ["?"])[0])
            (st.success if right else st.error)(text)
    else:
        target = info.get("target")
        value = float(np.atleast_1d(tr.prediction)[0])
        true = float(np.atleast_1d(target)[0]) if target is not None else None
        shown = t("inspect.prediction.true_value", value=f"{true:.4f}") if true is not None else ""
        st.markdown(t("inspect.prediction.value", value=f"{value:.4f}") + shown)
        if tr.input.ndim == 2:  # a series: the value the model predicts comes one step after it
            chart(snap, tr, "insp-forecast", lambda: output_figs.forecast(tr.input, value, true), true)


def _probability_formula(a: Analysis, outputs: int) -> None:
    rule = inspection.probability_rule(a, outputs)
    formula(formulas.probability(rule), t(f"inspect.formula.probability.{rule}"))


def _sequence_prediction(a: Analysis, tr: inspection.Trace, info: dict) -> None:
    ds = a.dataset
    joiner = "" if ds.task == "next_token" else " "
    rows = {t("inspect.prediction.input"): joiner.join(tr.tokens or []),
            t("inspect.prediction.output"): joiner.join(tr.prediction_labels or [])}
    if "target_tokens" in info:
        rows[t("inspect.prediction.expected")] = joiner.join(info["target_tokens"])
        target = np.asarray(info["target"])
        right = int((np.atleast_1d(tr.prediction) == target).sum())
        rows[t("inspect.prediction.correct")] = t("inspect.prediction.n_of", n=right, total=len(target))
    # a static table (st.table renders Markdown, so the tokens are shown literally): lighter than a data grid
    st.table(pd.DataFrame({t("inspect.prediction.sequence"): [plain(v) for v in rows.values()]}, index=list(rows)))
    if ds.task == "next_token":
        st.caption(t("inspect.prediction.next_char"))


def token_view(a: Analysis, snap: Snapshot, tr: inspection.Trace, info: dict) -> None:
    """Per-token tasks: every position's output probabilities, at full width (one column per token)."""
    if a.dataset.task in PER_TOKEN_TASKS and tr.probabilities is not None:
        target = info.get("target")
        chart(snap, tr, "insp-token-probs", lambda: output_figs.token_probabilities(
            tr.probabilities, tr.tokens, inspection.class_labels(a.dataset), target), None if target is None else tuple(target))
        _probability_formula(a, tr.output.shape[-1])
