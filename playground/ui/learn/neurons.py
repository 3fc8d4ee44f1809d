"""Lesson 1 on the page: a neuron you can tune, every activation with its derivative, why depth needs them."""
from __future__ import annotations

import streamlit as st

from playground.i18n import t
from playground.layers import LAYERS
from playground.lessons import neurons as lesson
from playground.plots.lessons import neurons as figs
from playground.ui.learn.frame import lesson_header, next_lesson, try_it
from playground.ui.widgets import chart

SLUG = "neurons"


def page() -> None:
    lesson_header(SLUG)
    _neuron()
    _activations()
    _why_nonlinear()
    _dead_relu()
    try_it(lesson.TRY_IT)
    next_lesson(SLUG)


def _neuron() -> None:
    st.subheader(t("learn_neurons.neuron.title"))
    st.latex(r"y = f(\mathbf{w}\cdot\mathbf{x} + b) = f(w_1 x_1 + w_2 x_2 + b)")
    st.markdown(t("learn_neurons.neuron.text"))
    controls, figure = st.columns([1, 2.2], gap="large")
    with controls:
        w1 = st.slider("w₁", -3.0, 3.0, 1.0, 0.1, key="l1-w1")
        w2 = st.slider("w₂", -3.0, 3.0, -0.5, 0.1, key="l1-w2")
        b = st.slider("b", -3.0, 3.0, 0.0, 0.1, key="l1-b")
        name = st.selectbox(t("learn_neurons.neuron.activation"), lesson.ELEMENTWISE, index=lesson.ELEMENTWISE.index("Sigmoid"), key="l1-act")
        st.caption(t("learn_neurons.neuron.caption"))
    with figure:
        chart(figs.neuron_surface(lesson.neuron_surface(w1, w2, b, name)), key="l1-surface")


def _activations() -> None:
    st.subheader(t("learn_neurons.activations.title"))
    st.markdown(t("learn_neurons.activations.text"))
    chosen = st.multiselect(t("learn_neurons.activations.pick"), lesson.ELEMENTWISE, default=["Sigmoid", "Tanh", "ReLU", "LeakyReLU"],
                            key="l1-curves")
    if not chosen:
        st.info(t("learn_neurons.activations.none"))
        return
    chart(figs.activation_curves([lesson.curve(name) for name in chosen]), key="l1-curves-fig")
    for name in chosen:
        st.markdown(f"**{name}** — {LAYERS[name].summary}")
        formula, derivative = st.columns(2)
        formula.latex(LAYERS[name].formula)
        if name in lesson.DERIVATIVES:
            derivative.latex(lesson.DERIVATIVES[name])


def _why_nonlinear() -> None:
    st.subheader(t("learn_neurons.linear.title"))
    st.latex(r"W_2 (W_1 x + b_1) + b_2 = \underbrace{(W_2 W_1)}_{W} x + \underbrace{(W_2 b_1 + b_2)}_{b}")
    st.markdown(t("learn_neurons.linear.text"))


def _dead_relu() -> None:
    st.subheader(t("learn_neurons.dead.title"))
    st.markdown(t("learn_neurons.dead.text"))
