"""Lesson 9 on the page: train and test curves as capacity grows, an overfitted and a regularised boundary side by
side, L2 and weight decay, dropout, and early stopping — each from real runs, trained once per setting and cached."""
from __future__ import annotations

import streamlit as st

from playground.i18n import t
from playground.lessons import overfitting as lesson
from playground.plots.lessons import overfitting as figs
from playground.ui.learn.frame import lesson_header, next_lesson, try_it
from playground.ui.widgets import chart

SLUG = "overfitting"


@st.cache_data(show_spinner=False, max_entries=64)
def _trained(width: int, depth: int, l2: float, dropout: float, patience: int) -> lesson.Run:
    """One of the lesson's fixed settings, trained once per process (no user data: the settings are the lesson's)."""
    return lesson.train_run(lesson.Setting(width, depth, l2, dropout, patience))


def _runs(*settings: tuple) -> list[lesson.Run]:
    """The runs of these settings (width, depth[, l2, dropout, patience]), under one spinner while any trains."""
    with st.spinner(t("learn_overfitting.training")):
        return [_trained(*s, *(0.0, 0.0, 0)[len(s) - 2:]) for s in settings]  # every argument given: one cache key per run


def page() -> None:
    lesson_header(SLUG)
    st.latex(rf"\underbrace{{L_{{\text{{test}}}} - L_{{\text{{train}}}}}}_{{\text{{{t('learn_overfitting.tex.gap')}}}}}, \qquad "
             r"L = -\frac{1}{N}\sum_{n=1}^{N} \log p_\theta(y_n \mid x_n)")
    _capacity()
    _boundaries()
    _weight_decay()
    _dropout()
    _early_stopping()
    try_it(lesson.TRY_IT)
    next_lesson(SLUG)


def _numbers(run: lesson.Run) -> str:
    return t("learn_overfitting.numbers", params=run.params, epochs=run.epochs, train=run.train_loss[-1], test=run.test_loss[-1],
             train_acc=run.train_accuracy[-1], test_acc=run.test_accuracy[-1], best=run.test_loss.min(), best_epoch=run.best_epoch)


@st.fragment
def _capacity() -> None:
    """A fragment: the capacity controls redraw this section only."""
    st.subheader(t("learn_overfitting.capacity.title"))
    st.markdown(t("learn_overfitting.capacity.text", epochs=lesson.EPOCHS))
    left, right = st.columns([1, 2.4], gap="large")
    with left:
        width = st.select_slider(t("learn_overfitting.capacity.width"), lesson.WIDTHS, value=32, key="l9-width")
        depth = st.radio(t("learn_overfitting.capacity.depth"), lesson.DEPTHS, index=1, horizontal=True, key="l9-depth")
    runs = _runs(*[(w, depth) for w in lesson.WIDTHS])
    run = next(r for r in runs if r.setting.width == width)
    with left:
        st.markdown(_numbers(run))
    with right:
        chart(figs.capacity(lesson.capacity_sweep(depth, runs), width), key="l9-capacity")
    chart(figs.loss_curves(run.train_loss, run.test_loss, run.best_epoch,
                           t("learn_overfitting.fig.curves_title", width=width, depth=depth)), key="l9-curves")
    st.markdown(t("learn_overfitting.capacity.after"))


@st.fragment
def _boundaries() -> None:
    """A fragment: the regularisation controls redraw this section only."""
    st.subheader(t("learn_overfitting.boundary.title"))
    st.markdown(t("learn_overfitting.boundary.text", width=lesson.BIG[0], depth=lesson.BIG[1], epochs=lesson.EPOCHS))
    first, second = st.columns(2)
    l2 = first.select_slider(t("learn_overfitting.boundary.l2"), lesson.L2_VALUES, value=0.01, key="l9-l2")
    p = second.select_slider(t("learn_overfitting.boundary.dropout"), lesson.DROPOUT_VALUES, value=0.0, key="l9-dropout")
    plain, regular = _runs(lesson.BIG, (*lesson.BIG, l2, p))
    with first:
        chart(figs.decision_boundary(plain.grid, t("learn_overfitting.fig.plain_title")), key="l9-plain")
        st.markdown(_numbers(plain))
    with second:
        chart(figs.decision_boundary(regular.grid, t("learn_overfitting.fig.regular_title", l2=l2, p=p)), key="l9-regular")
        st.markdown(_numbers(regular))
    st.markdown(t("learn_overfitting.boundary.after"))


def _weight_decay() -> None:
    st.subheader(t("learn_overfitting.decay.title"))
    st.latex(r"\tilde L(\theta) = L(\theta) + \lambda \sum_{W} \lVert W \rVert^2 \quad\Longrightarrow\quad"
             r"\nabla_W \tilde L = \nabla_W L + 2\lambda W")
    st.markdown(t("learn_overfitting.decay.l2"))
    st.latex(r"\begin{aligned} \text{SGD, Adam:}&\quad g_t = \nabla L(w_{t-1}) + \delta\, w_{t-1} \\"
             r"\text{AdamW:}&\quad w_t = w_{t-1} - \eta\,\delta\, w_{t-1} - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon} \end{aligned}")
    st.markdown(t("learn_overfitting.decay.optimizers"))


def _dropout() -> None:
    st.subheader(t("learn_overfitting.dropout.title"))
    st.latex(rf"\begin{{aligned}} \text{{{t('learn_overfitting.tex.train')}}}&\quad \tilde h_i = \frac{{m_i\, h_i}}{{1 - p}},\quad"
             rf"m_i \sim \operatorname{{Bernoulli}}(1 - p) \\ \text{{{t('learn_overfitting.tex.eval')}}}&\quad \tilde h_i = h_i \end{{aligned}}")
    st.markdown(t("learn_overfitting.dropout.text"))


@st.fragment
def _early_stopping() -> None:
    """A fragment: the patience slider redraws this section only."""
    st.subheader(t("learn_overfitting.early.title"))
    st.latex(r"e_{\text{stop}} = \min\Big\{\, e \;:\; e - \operatorname*{arg\,min}_{e' \le e} L_{\text{test}}(e') \ge P \,\Big\}")
    st.markdown(t("learn_overfitting.early.text"))
    patience = st.select_slider(t("learn_overfitting.early.patience"), lesson.PATIENCE_VALUES, value=20, key="l9-patience")
    full, stopped = _runs(lesson.BIG, (*lesson.BIG, 0.0, 0.0, patience))
    chart(figs.loss_curves(full.train_loss, full.test_loss, full.best_epoch, t("learn_overfitting.fig.early_title", patience=patience),
                           stop_epoch=stopped.epochs if stopped.stopped_early else None), key="l9-early")
    if stopped.stopped_early:
        st.markdown(t("learn_overfitting.early.numbers", patience=patience, stop=stopped.epochs, best_epoch=stopped.best_epoch,
                      stop_loss=stopped.test_loss[-1], best=stopped.test_loss.min(), stop_acc=stopped.test_accuracy[-1],
                      epochs=full.epochs, full_loss=full.test_loss[-1], full_acc=full.test_accuracy[-1]))
    else:
        st.markdown(t("learn_overfitting.early.never", patience=patience, epochs=full.epochs))
    st.markdown(t("learn_overfitting.early.after"))
