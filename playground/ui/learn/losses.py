"""Lesson 2 on the page: regression losses, softmax with cross-entropy, binary cross-entropy, and why CE beats MSE."""
from __future__ import annotations

import streamlit as st

from playground.i18n import t
from playground.losses import LOSSES
from playground.lessons import losses as lesson
from playground.lessons.tex import factor, number, row
from playground.plots.lessons import losses as figs
from playground.ui.learn.frame import lesson_header, next_lesson, try_it
from playground.ui.widgets import chart

SLUG = "losses"
CONFIDENT_WRONG = -6.0  # the logit of the "why" example: σ(−6) ≈ 0.0025 for the true class


def page() -> None:
    """Each interactive section is a fragment: moving its controls redraws that section only."""
    lesson_header(SLUG)
    _regression()
    _softmax()
    _binary()
    _why_cross_entropy()
    try_it(lesson.TRY_IT)
    next_lesson(SLUG)


@st.fragment
def _regression() -> None:
    st.subheader(t("learn_losses.regression.title"))
    st.markdown(t("learn_losses.regression.text"))
    for name in lesson.REGRESSION:
        st.markdown(f"**{name}** — {LOSSES[name].summary}")
        loss, grad = st.columns(2)
        loss.latex(lesson.REGRESSION_FORMULAS[name][0])
        grad.latex(lesson.REGRESSION_FORMULAS[name][1])
    controls = st.columns(3)
    target = controls[0].slider(t("learn_losses.regression.target"), -2.0, 2.0, 0.0, 0.1, key="l2-target")
    prediction = controls[1].slider(t("learn_losses.regression.prediction"), -4.0, 4.0, 2.5, 0.1, key="l2-prediction")
    delta = controls[2].slider(t("learn_losses.regression.delta"), 0.1, 3.0, 1.0, 0.1, key="l2-delta")
    points = [lesson.regression_point(name, prediction, target, delta) for name in lesson.REGRESSION]
    curves = [lesson.regression_curve(name, target, delta) for name in lesson.REGRESSION]
    chart(figs.regression_losses(curves, target, prediction, points), key="l2-regression-fig")
    table, note = st.columns([1, 1.4], gap="large")
    header = "| | $L$ | $\\partial L/\\partial \\hat y$ |\n|---|---:|---:|\n"
    table.markdown(header + "".join(f"| `{name}` | {loss:.4g} | {grad:.4g} |\n" for name, (loss, grad) in zip(lesson.REGRESSION, points)))
    note.caption(t("learn_losses.regression.caption", prediction=f"{prediction:g}", target=f"{target:g}"))
    st.markdown(t("learn_losses.regression.after"))


@st.fragment
def _softmax() -> None:
    st.subheader(t("learn_losses.softmax.title"))
    st.markdown(t("learn_losses.softmax.text"))
    left, right = st.columns(2)
    left.latex(lesson.SOFTMAX)
    right.latex(lesson.CROSS_ENTROPY)
    controls = st.columns(4)
    logits = [col.slider(f"z{sub}", -6.0, 6.0, value, 0.5, key=f"l2-z{i}")
              for i, (col, sub, value) in enumerate(zip(controls, "₁₂₃", lesson.DEFAULT_LOGITS))]
    true = controls[3].selectbox(t("learn_losses.softmax.true"), [0, 1, 2], index=2, key="l2-true",
                                 format_func=lambda i: t("learn_losses.fig.class_n", n=i + 1))
    case = lesson.softmax_case(logits, true)
    chart(figs.softmax_bars(case), key="l2-softmax-fig")
    st.caption(t("learn_losses.softmax.caption"))
    st.latex(rf"\mathbf p = \mathrm{{softmax}}(\mathbf z) = {row(case.p)}")
    st.latex(rf"L = -\log p_{{{true + 1}}} = -\log {number(case.p[true])} = {number(case.ce)}")
    st.latex(rf"\begin{{aligned}} \frac{{\partial L}}{{\partial \mathbf z}} &= \mathbf p - \mathbf y = {row(case.p - case.y)} \\"
             rf" \text{{{t('learn_losses.softmax.autograd')}}} &: {row(case.ce_grad)} \end{{aligned}}")
    st.markdown(t("learn_losses.softmax.mse"))
    st.latex(lesson.MSE_SOFTMAX_GRAD)
    st.latex(rf"\frac{{\partial L_{{\mathrm{{MSE}}}}}}{{\partial \mathbf z}} = {row(case.mse_grad)}")
    st.markdown(t("learn_losses.softmax.after"))


@st.fragment
def _binary() -> None:
    st.subheader(t("learn_losses.binary.title"))
    st.markdown(t("learn_losses.binary.text"))
    st.latex(lesson.SIGMOID)
    st.latex(lesson.BINARY_LOSSES)
    st.latex(lesson.BINARY_GRADS)
    controls = st.columns([1, 2])
    y = controls[0].radio(t("learn_losses.binary.target"), [1, 0], horizontal=True, key="l2-y")
    z = controls[1].slider(t("learn_losses.binary.logit"), -8.0, 8.0, -4.0, 0.5, key="l2-logit")
    bce, mse = lesson.binary_curves(float(y))
    chart(figs.binary_losses(bce, mse, z), key="l2-binary-fig")
    st.caption(t("learn_losses.binary.caption"))
    _binary_numbers(lesson.binary_point(z, float(y)))


def _binary_numbers(b: lesson.BinaryPoint) -> None:
    """The gradients at the chosen logit, each formula with its numbers."""
    p, y = number(b.p), f"{b.y:g}"
    st.latex(rf"p = \sigma({b.z:g}) = {p}")
    st.latex(rf"\frac{{\partial L_{{\mathrm{{BCE}}}}}}{{\partial z}} = p - y = {p} - {y} = {number(b.bce_grad)}")
    st.latex(rf"\begin{{aligned}} \frac{{\partial L_{{\mathrm{{MSE}}}}}}{{\partial z}} &= 2(p - y)\,p\,(1-p) \\"
             rf" &= 2\,{factor(b.p - b.y)}\,({p})\,({number(1 - b.p)}) = {number(b.mse_grad)} \end{{aligned}}")
    if b.mse_grad != 0:
        st.latex(rf"\frac{{\partial L_{{\mathrm{{BCE}}}} / \partial z}}{{\partial L_{{\mathrm{{MSE}}}} / \partial z}} = \frac{{1}}{{2p(1-p)}}"
                 rf" = {number(b.bce_grad / b.mse_grad, 3)}")


def _why_cross_entropy() -> None:
    st.subheader(t("learn_losses.why.title"))
    b = lesson.binary_point(CONFIDENT_WRONG, 1.0)
    soft = lesson.softmax_case(list(lesson.DEFAULT_LOGITS), 2)
    st.markdown(t("learn_losses.why.text", z=f"{CONFIDENT_WRONG:g}", p=f"{b.p:.4f}", bce=f"{b.bce_grad:.4f}",
                  mse=f"{b.mse_grad:.4f}", ratio=f"{b.bce_grad / b.mse_grad:.0f}",
                  logits=", ".join(f"{v:g}" for v in lesson.DEFAULT_LOGITS), soft_ce=f"{soft.ce_grad[2]:.3f}", soft_mse=f"{soft.mse_grad[2]:.4f}"))
    st.markdown(t("learn_losses.why.measured"))
