"""Lesson 5 on the page: the recurrent step, unrolled; back-propagation through time; the long gap; LSTM and GRU gates."""
from __future__ import annotations

import streamlit as st

from playground.i18n import t
from playground.layers import LAYERS
from playground.lessons import recurrent as lesson
from playground.model import build_model
from playground.plots.lessons import recurrent as figs
from playground.ui import state
from playground.ui.learn.frame import PAGES, lesson_header, next_lesson, try_it
from playground.ui.widgets import chart, plain

SLUG = "recurrent"


def page() -> None:
    lesson_header(SLUG)
    _step()
    _unrolled()
    _bptt()
    _long_gap()
    _gates()
    _stacked()
    try_it(lesson.TRY_IT)
    next_lesson(SLUG)


@st.cache_resource(show_spinner=False)
def _demo(kind: str):
    """The trained demo model of one kind, shared by every session (fixed spec, no user data)."""
    return lesson.trained_demo(kind)


def _trained_demo(kind: str):
    with st.spinner(t("learn_recurrent.demo_spinner", kind=kind)):
        return _demo(kind)


@st.cache_data(show_spinner=False)
def _checks() -> tuple[float, float, dict[str, tuple[int, ...]]]:
    return lesson.checks()


@st.cache_data(show_spinner=False, max_entries=64)
def _gradients(gap: int, forget_bias: float) -> list[lesson.StepGradients]:
    return [lesson.step_gradients(kind, gap, forget_bias) for kind in lesson.KINDS]


def _step() -> None:
    st.subheader(t("learn_recurrent.step.title"))
    st.latex(r"h_t = \tanh(W_{hh}\,h_{t-1} + W_{xh}\,x_t + b_h), \qquad o_t = \mathrm{softmax}(W_{ho}\,h_t + b_o)")
    st.markdown(t("learn_recurrent.step.pytorch"))
    st.latex(LAYERS["RNN"].formula)
    forward, _, shapes = _checks()
    st.markdown(t("learn_recurrent.step.table", **{k: " × ".join(map(str, v)) for k, v in shapes.items()}))
    st.markdown(t("learn_recurrent.step.check", diff=f"{forward:.1e}"))


def _session_model(a):
    """The session's model on Build: its trained weights when Train has them for this spec, else its initial ones."""
    job = state.job_slot().job
    if job is not None and state.job_slot().spec_key == state.spec_key(state.spec()) and job.snapshot().step > 0:
        return job.model_copy().eval(), True
    return build_model(a).eval(), False


def _unrolled() -> None:
    st.subheader(t("learn_recurrent.unroll.title"))
    st.markdown(t("learn_recurrent.unroll.text"))
    a = state.analysis()
    if lesson.has_recurrent_layer(a):
        model, trained = _session_model(a)
        name = plain(a.spec.name) if a.spec.name else t("learn_recurrent.unroll.unnamed")  # the user's text, literally
        note = t("learn_recurrent.unroll.yours_trained" if trained else "learn_recurrent.unroll.yours_untrained", name=name)
    else:
        model, a = _trained_demo("RNN")
        note = t("learn_recurrent.unroll.demo", steps=lesson.DEMO_GAP + 1, epochs=lesson.DEMO_EPOCHS)
    unrolled = lesson.unroll(model, a, lesson.demo_input(a))
    st.graphviz_chart(figs.unrolled(unrolled), width="stretch")
    carried = t("learn_recurrent.diagram.carried_lstm" if unrolled.kind == "LSTM" else "learn_recurrent.diagram.carried")
    note = t("learn_recurrent.diagram.shared", kind=unrolled.kind, carried=carried) + " " + note
    if unrolled.num_layers > 1:
        note += " " + t("learn_recurrent.unroll.stacked", layers=unrolled.num_layers)
    if unrolled.bidirectional:
        note += " " + t("learn_recurrent.unroll.bidirectional")
    st.caption(note)


def _bptt() -> None:
    st.subheader(t("learn_recurrent.bptt.title"))
    st.markdown(t("learn_recurrent.bptt.setup"))
    st.latex(r"\delta^o_t = \frac{\partial L}{\partial o_t} = p_t - y_t")
    st.markdown(t("learn_recurrent.bptt.recursion"))
    st.latex(r"\begin{gathered}\delta_t = \frac{\partial L}{\partial a_t} = \tanh'(a_t) \odot "
             r"\left(W_{ho}^\top \delta^o_t + W_{hh}^\top \delta_{t+1}\right) \\"
             r"\tanh'(a_t) = 1 - h_t^2, \qquad \delta_{T+1} = 0\end{gathered}")
    st.markdown(t("learn_recurrent.bptt.shared"))
    st.latex(r"\frac{\partial L}{\partial W_{hh}} = \sum_{t=1}^{T} \delta_t\, h_{t-1}^\top, \qquad "
             r"\frac{\partial L}{\partial W_{ih}} = \sum_{t=1}^{T} \delta_t\, x_t^\top, \qquad "
             r"\frac{\partial L}{\partial x_t} = W_{ih}^\top \delta_t")
    st.markdown(t("learn_recurrent.bptt.vanish"))
    st.latex(r"\frac{\partial L}{\partial h_t} = \Big(\prod_{k=t+1}^{T} W_{hh}^\top\, \mathrm{diag}(1 - h_k^2)\Big)\,"
             r"\frac{\partial L}{\partial h_T}")
    _, backward, _ = _checks()
    st.markdown(t("learn_recurrent.bptt.check", diff=f"{backward:.1e}"))


def _long_gap() -> None:
    st.subheader(t("learn_recurrent.gap.title"))
    st.markdown(t("learn_recurrent.gap.task"))
    controls, figure = st.columns([1, 2.6], gap="large")
    with controls:
        gap = st.slider(t("learn_recurrent.gap.n"), 5, 100, 30, 5, key="l5-gap")
        bias = st.slider(t("learn_recurrent.gap.forget_bias"), 0.0, 3.0, 0.0, 0.5, key="l5-bias")
        st.caption(t("learn_recurrent.gap.bias_caption"))
    with figure:
        profiles = _gradients(gap, bias)
        chart(figs.step_gradients(profiles), key="l5-gradients")
    st.caption(t("learn_recurrent.gap.caption", batch=lesson.GRADIENT_BATCH, hidden=lesson.HIDDEN))
    st.markdown(t("learn_recurrent.gap.reading"))
    st.markdown(t("learn_recurrent.gap.measured"))
    st.markdown(t("learn_recurrent.gap.links", gap=gap))
    for kind in lesson.KINDS:
        st.page_link(PAGES["train"], label=t("learn_recurrent.gap.link", kind=kind, gap=gap), icon=":material/play_circle:",
                     query_params=state.link_params(lesson.recall_spec(kind, gap)))


def _gates() -> None:
    st.subheader(t("learn_recurrent.gates.title"))
    st.markdown(t("learn_recurrent.gates.text"))
    kind = st.segmented_control(t("learn_recurrent.gates.pick"), ["LSTM", "GRU"], default="LSTM", key="l5-kind") or "LSTM"
    model, a = _trained_demo(kind)
    x = lesson.demo_input(a)
    st.latex(LAYERS[kind].formula)
    reading, figure = st.columns([1, 1.3], gap="large")
    reading.markdown(t(f"learn_recurrent.gates.{kind.lower()}_reading"))
    with figure:
        tokens = lesson.unroll(model, a, x).inputs
        chart(figs.gate_heatmaps(lesson.gate_states(model, a, x), tokens), key="l5-gates")
        st.caption(t("learn_recurrent.gates.caption", steps=lesson.DEMO_GAP + 1, epochs=lesson.DEMO_EPOCHS))
    st.markdown(t("learn_recurrent.gates.mitigate"))


def _stacked() -> None:
    st.subheader(t("learn_recurrent.stacked.title"))
    st.latex(r"e_t = E[x_t], \qquad h^{(1)}_t = \mathrm{LSTM}_1\big(e_t,\; h^{(1)}_{t-1}\big), \qquad "
             r"h^{(2)}_t = \mathrm{LSTM}_2\big(h^{(1)}_t,\; h^{(2)}_{t-1}\big)")
    st.markdown(t("learn_recurrent.stacked.text"))

