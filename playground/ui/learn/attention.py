"""Lesson 6 on the page: a trained Transformer's self-attention on a sequence the learner types, one labelled
heatmap per intermediate, a head selector, and why the scores are divided by √d_k."""
from __future__ import annotations

import json

import numpy as np
import streamlit as st

from playground.i18n import t
from playground.lessons import attention as lesson
from playground.plots.lessons import attention as figs
from playground.ui.learn.frame import lesson_header, next_lesson, try_it
from playground.ui.widgets import chart, say

SLUG = "attention"
IDS = "l6-ids"  # the last sequence that parsed: a bad one is refused and this one stays on the page
DIMS = [2 ** i for i in range(10)]


@st.cache_resource(show_spinner=False, max_entries=1)
def _trained(spec: str) -> lesson.Demo:
    """The demo model, trained once per process: every session reads the same fixed lesson model."""
    return lesson.train_demo()


@st.cache_data(show_spinner=False, max_entries=1)
def _variance(dims: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    return lesson.dot_variance(list(dims))


def page() -> None:
    lesson_header(SLUG)
    with st.spinner(t("learn_attention.training")):
        demo = _trained(json.dumps(lesson.DEMO, sort_keys=True))
    ids, head = _input(demo)
    steps = lesson.attention_steps(demo.attention, lesson.attention_input(demo, ids))
    rows = figs.token_labels([str(i) for i in ids])
    _x(steps, rows)
    _qkv(steps, head, rows)
    _scores(steps, head, rows)
    _why_scale()
    _softmax(steps, head, rows)
    _weighted_sum(steps, head, rows)
    _output(steps, rows, demo)
    try_it(lesson.TRY_IT)
    next_lesson(SLUG)


def _input(demo: lesson.Demo) -> tuple[list[int], int]:
    st.subheader(t("learn_attention.input.title"))
    st.markdown(t("learn_attention.input.text", length=lesson.SEQ_LEN, last=lesson.SEQ_LEN - 1, accuracy=demo.test_accuracy))
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    text = left.text_input(t("learn_attention.input.label", length=lesson.SEQ_LEN), lesson.EXAMPLE, max_chars=60, key="l6-text")
    heads = demo.attention.num_heads
    head = right.radio(t("learn_attention.input.head"), list(range(heads)), horizontal=True, key="l6-head",
                       format_func=lambda h: t("learn_attention.input.head_n", number=h + 1))
    ids = read_sequence(text, IDS)
    out = " ".join(map(str, lesson.predict(demo, ids)))
    st.markdown(t("learn_attention.input.prediction", tokens=" ".join(map(str, ids)), output=out))
    return ids, head


def read_sequence(text: str, kept: str) -> list[int]:
    """The typed sequence as token ids; a bad one gets one sentence and the last good one (under `kept`) stays."""
    try:
        st.session_state[kept] = lesson.parse_tokens(text)
    except lesson.TokenError as e:
        say("error", str(e))
        if kept in st.session_state:
            st.caption(t("learn_attention.input.kept", tokens=" ".join(map(str, st.session_state[kept]))))
    return st.session_state.get(kept) or lesson.parse_tokens(lesson.EXAMPLE)


def _step(key: str, formula: str) -> None:
    st.markdown(f"#### {t(f'learn_attention.{key}.title')}")
    st.latex(formula)
    st.markdown(t(f"learn_attention.{key}.text"))


def _x(steps: lesson.Steps, rows: list[str]) -> None:
    _step("x", r"X = E[x] + PE \;\in\; \mathbb{R}^{T \times d}, \qquad T = %d,\; d = %d" % steps.x.shape)
    chart(figs.matrix(steps.x, rows, t("learn_attention.fig.x")), key="l6-x")


def _qkv(steps: lesson.Steps, head: int, rows: list[str]) -> None:
    _step("qkv", r"\begin{gathered} Q = X W_Q + b_Q, \quad K = X W_K + b_K, \quad V = X W_V + b_V \\"
                 r"Q_h,\; K_h,\; V_h \in \mathbb{R}^{T \times d_k}, \qquad d_k = d/h = %d \end{gathered}" % steps.d_k)
    titles = [t(f"learn_attention.fig.{name}", head=head + 1) for name in ("q", "k", "v")]
    chart(figs.panels([steps.q[head], steps.k[head], steps.v[head]], titles, rows), key="l6-qkv")


def _scores(steps: lesson.Steps, head: int, rows: list[str]) -> None:
    _step("scores", r"S_h = Q_h K_h^{\top}, \qquad (S_h)_{ij} = q_i \cdot k_j = \sum_{c=1}^{d_k} q_{ic}\, k_{jc}")
    key = t("learn_attention.fig.keys")
    chart(figs.matrix(steps.scores[head], rows, t("learn_attention.fig.scores", head=head + 1), rows, key), key="l6-scores")
    chart(figs.matrix(steps.scaled[head], rows, t("learn_attention.fig.scaled", head=head + 1, root=f"{np.sqrt(steps.d_k):.3g}"),
                                rows, key), key="l6-scaled")


@st.fragment
def _why_scale() -> None:
    """A fragment: the d_k slider redraws this section only."""
    st.markdown(f"#### {t('learn_attention.why.title')}")
    st.latex(r"\operatorname{Var}(q \cdot k) = \sum_{c=1}^{d_k} \operatorname{Var}(q_c k_c) = d_k"
             r"\qquad\Longrightarrow\qquad \operatorname{Var}\!\left(\frac{q \cdot k}{\sqrt{d_k}}\right) = 1")
    st.markdown(t("learn_attention.why.text"))
    raw, scaled = _variance(tuple(DIMS))
    left, right = st.columns(2)
    with left:
        chart(figs.variance(DIMS, raw, scaled), key="l6-variance")
    with right:
        d_k = st.select_slider(t("learn_attention.why.d_k"), DIMS, value=256, key="l6-dk")
        sat = lesson.saturation(d_k)
        chart(figs.saturation(sat, height=330), key="l6-saturation")
    st.markdown(t("learn_attention.why.numbers", d_k=d_k, top_plain=sat.plain.max(), top_scaled=sat.scaled.max(),
                  grad_plain=sat.plain_grad, grad_scaled=sat.scaled_grad))


def _softmax(steps: lesson.Steps, head: int, rows: list[str]) -> None:
    _step("softmax", r"A_h = \operatorname{softmax}\!\left(\frac{Q_h K_h^{\top}}{\sqrt{d_k}}\right), \qquad"
                     r"(A_h)_{ij} = \frac{\exp\!\big((S_h)_{ij}/\sqrt{d_k}\big)}{\sum_{l} \exp\!\big((S_h)_{il}/\sqrt{d_k}\big)}")
    chart(figs.matrix(steps.weights[head], rows, t("learn_attention.fig.weights", head=head + 1), rows,
                                t("learn_attention.fig.keys"), weights=True), key="l6-weights")
    mirror, share = lesson.mirror_head(steps)
    st.markdown(t("learn_attention.softmax.mirror", head=mirror + 1, share=share, last=len(rows) - 1))


def _weighted_sum(steps: lesson.Steps, head: int, rows: list[str]) -> None:
    _step("sum", r"\text{head}_h = A_h V_h \in \mathbb{R}^{T \times d_k}, \qquad (\text{head}_h)_i = \sum_j (A_h)_{ij}\, v_j")
    chart(figs.matrix(steps.heads_out[head], rows, t("learn_attention.fig.head", head=head + 1)), key="l6-head-out")


def _output(steps: lesson.Steps, rows: list[str], demo: lesson.Demo) -> None:
    _step("output", r"\operatorname{MultiHead}(X) = \operatorname{Concat}(\text{head}_1, \dots, \text{head}_h)\, W_O + b_O")
    heads = steps.q.shape[0]
    chart(figs.matrix(steps.concat, rows, t("learn_attention.fig.concat"), heads=heads), key="l6-concat")
    chart(figs.matrix(steps.output, rows, t("learn_attention.fig.output")), key="l6-output")
    weights, output = lesson.multihead_difference(demo.attention, steps)
    st.success(t("learn_attention.output.checked", weights=weights, output=output))
    st.markdown(f"#### {t('learn_attention.residual.title')}")
    st.latex(r"X' = \operatorname{LayerNorm}\big(X + \operatorname{MultiHead}(X)\big)")
    st.markdown(t("learn_attention.residual.text"))
