"""Lesson 3 on the page: a 2-2-1 tanh network stepped through by hand and checked against autograd, gradient-descent
steps, optimizer paths on a loss surface, and epochs, mini-batches and the learning rate."""
from __future__ import annotations

import streamlit as st

from playground.i18n import t
from playground.lessons import backprop as lesson
from playground.lessons.tex import array, factor, matrix, number, row, vector
from playground.plots.lessons import backprop as figs
from playground.ui.learn.frame import lesson_header, next_lesson, try_it
from playground.ui.widgets import chart

SLUG = "backprop"
RUN, RUN_KEY = "l3-run", "l3-run-key"  # the passes taken so far, and the (seed, x, y) they belong to


def page() -> None:
    lesson_header(SLUG)
    _one_sample()
    _optimizers()
    _epochs()
    try_it(lesson.TRY_IT)
    next_lesson(SLUG)


@st.fragment
def _one_sample() -> None:
    """The network, its passes and its steps: a step redraws only this part of the page, not the optimizer charts."""
    p = _network()
    _forward(p)
    _backward(p)
    _check(p)
    _update(p)


def _run(seed: int, x: tuple[float, float], y: float) -> list[lesson.Pass]:
    """The passes of this session's descent; a new sample or new initial weights start it again."""
    key = (seed, x, y)
    if st.session_state.get(RUN_KEY) != key:
        st.session_state[RUN_KEY] = key
        st.session_state[RUN] = [lesson.step_through(lesson.initial_weights(seed), x, y)]
    return st.session_state[RUN]


def _take_steps(n: int) -> None:
    run = st.session_state.get(RUN)
    if not run:
        return
    for _ in range(min(n, lesson.MAX_STEPS + 1 - len(run))):
        if run[-1].diverged:
            break
        run.append(lesson.next_pass(run[-1], st.session_state["l3-lr"]))


def _start_again() -> None:
    st.session_state.pop(RUN_KEY, None)


def _network() -> lesson.Pass:
    st.subheader(t("learn_backprop.network.title"))
    st.markdown(t("learn_backprop.network.text"))
    st.latex(r"\mathbf z^{(1)} = W^{(1)}\mathbf x + \mathbf b^{(1)},\quad \mathbf a^{(1)} = \tanh \mathbf z^{(1)},\quad"
             r"\hat y = W^{(2)}\mathbf a^{(1)} + b^{(2)},\quad L = (\hat y - y)^2")
    cols = st.columns(4)
    x1 = cols[0].slider("x₁", -2.0, 2.0, 1.0, 0.1, key="l3-x1")
    x2 = cols[1].slider("x₂", -2.0, 2.0, -0.5, 0.1, key="l3-x2")
    y = cols[2].slider(t("learn_backprop.network.target"), -2.0, 2.0, 0.8, 0.1, key="l3-y")
    seed = cols[3].number_input(t("learn_backprop.network.seed"), 0, 999, 0, 1, key="l3-seed",
                                help=t("learn_backprop.network.seed_help"))
    run = _run(int(seed), (x1, x2), y)
    p = run[-1]
    chart(figs.network_diagram(p), key="l3-diagram")
    st.caption(t("learn_backprop.network.caption", step=len(run) - 1))
    return p


def _equations(*lines: str) -> None:
    """Several equations in one aligned block (one KaTeX element: a step redraws faster than with one per line);
    a long one continues on the next line with '&='."""
    body = lines[0] + "".join((r" \\ " if line.startswith("&") else r" \\[12pt] ") + line for line in lines[1:])
    st.latex(r"\begin{aligned} " + body + r" \end{aligned}")


def _forward(p: lesson.Pass) -> None:
    st.markdown(f"**{t('learn_backprop.forward.title')}**")
    w = p.w
    _equations(r"\mathbf z^{(1)} &= W^{(1)}\mathbf x + \mathbf b^{(1)}",
               rf"&= {matrix(w.W1)}{vector(p.x)} + {vector(w.b1)} = {vector(p.z1)}",
               rf"\mathbf a^{{(1)}} &= \tanh \mathbf z^{{(1)}} = \tanh {vector(p.z1)} = {vector(p.a1)}",
               r"\hat y &= W^{(2)}\mathbf a^{(1)} + b^{(2)}",
               rf"&= {matrix(w.W2)}{vector(p.a1)} + {factor(w.b2[0])} = {number(p.y_hat)}",
               rf"L &= (\hat y - y)^2 = ({number(p.y_hat)} - {factor(p.y)})^2 = {number(p.loss)}")


def _backward(p: lesson.Pass) -> None:
    st.markdown(f"**{t('learn_backprop.backward.title')}**")
    st.markdown(t("learn_backprop.backward.text"))
    g = p.grads
    d_y_hat = r"\frac{\partial L}{\partial \hat y}"
    d_a1, d_z1 = r"\frac{\partial L}{\partial \mathbf a^{(1)}}", r"\frac{\partial L}{\partial \mathbf z^{(1)}}"
    _equations(rf"{d_y_hat} &= 2(\hat y - y) = 2\,({number(p.y_hat)} - {factor(p.y)}) = {number(p.d_y_hat)}",
               rf"\frac{{\partial L}}{{\partial W^{{(2)}}}} &= {d_y_hat}\,\mathbf a^{{(1)\top}} = {number(p.d_y_hat)}\,{row(p.a1)}",
               rf"&= {matrix(g.W2)}",
               rf"\frac{{\partial L}}{{\partial b^{{(2)}}}} &= {d_y_hat} = {number(g.b2[0])}",
               rf"{d_a1} &= W^{{(2)\top}} {d_y_hat} = {vector(p.w.W2[0])}\,{factor(p.d_y_hat)} = {vector(p.d_a1)}",
               rf"{d_z1} &= \left(1 - \tanh^2 \mathbf z^{{(1)}}\right) \odot {d_a1}",
               rf"&= {vector(1 - p.a1 ** 2)} \odot {vector(p.d_a1)} = {vector(p.d_z1)}",
               rf"\frac{{\partial L}}{{\partial W^{{(1)}}}} &= {d_z1}\,\mathbf x^\top = {vector(p.d_z1)}{row(p.x)}",
               rf"&= {matrix(g.W1)}",
               rf"\frac{{\partial L}}{{\partial \mathbf b^{{(1)}}}} &= {d_z1} = {vector(g.b1)}")


def _check(p: lesson.Pass) -> None:
    st.markdown(f"**{t('learn_backprop.check.title')}**")
    st.markdown(t("learn_backprop.check.text"))
    head = t("learn_backprop.check.header")
    lines = [head, "|---|---:|---:|---:|"]
    for name, mine, auto in lesson.gradient_table(p):
        diff = abs(mine - auto)
        lines.append(f"| ∂L/∂{name} | {mine:.6g} | {auto:.6g} | {f'{diff:.1e}' if diff else '0'} |")
    st.markdown("\n".join(lines))
    st.caption(t("learn_backprop.check.caption"))


def _update(p: lesson.Pass) -> None:
    st.subheader(t("learn_backprop.update.title"))
    st.latex(r"w \leftarrow w - \eta\,\frac{\partial L}{\partial w}")
    st.markdown(t("learn_backprop.update.text"))
    run = st.session_state[RUN]
    controls, figure = st.columns([1, 2], gap="large")
    with controls:
        lr = st.slider(t("learn_backprop.update.lr"), 0.01, 1.0, 0.1, 0.01, key="l3-lr")
        st.button(t("learn_backprop.update.step"), on_click=_take_steps, args=(1,), key="l3-step", type="primary", width="stretch",
                  disabled=p.diverged)
        st.button(t("learn_backprop.update.ten"), on_click=_take_steps, args=(10,), key="l3-ten", width="stretch", disabled=p.diverged)
        st.button(t("learn_backprop.update.reset"), on_click=_start_again, key="l3-reset", width="stretch")
    with figure:
        chart(figs.loss_history([q.loss for q in run]), key="l3-history")
    if p.diverged:
        st.warning(t("learn_backprop.update.diverged", step=len(run) - 1))
        return
    new = lesson.update(p.w, p.grads, lr)
    lines = []
    for name, value in p.w.items():
        grad, after = getattr(p.grads, name), getattr(new, name)
        lines += [rf"{lesson.TEX_NAMES[name]} &\leftarrow {array(value)} - {lr:g}\,{factor(grad) if grad.size == 1 else array(grad)}",
                  rf"&= {array(after)}"]
    _equations(*lines)
    x, y = (float(p.x[0]), float(p.x[1])), p.y
    wrong = lesson.update(p.w, p.grads, -lr)
    st.markdown(t("learn_backprop.update.result", before=f"{p.loss:.4g}", after=f"{lesson.loss_at(new, x, y):.4g}",
                  wrong=f"{lesson.loss_at(wrong, x, y):.4g}"))


def _set_surface_lr() -> None:
    """A new surface starts at a learning rate where all three optimizers converge on it."""
    st.session_state["l3-opt-lr"] = lesson.SURFACES[st.session_state["l3-surface"]].lr


@st.fragment
def _optimizers() -> None:
    st.subheader(t("learn_backprop.optimizers.title"))
    st.markdown(t("learn_backprop.optimizers.text"))
    for key, formula in lesson.UPDATE_RULES.items():
        name, rule = st.columns([1, 3], vertical_alignment="center")
        name.markdown(f"**{t(f'learn_backprop.optimizers.{key}')}**")
        rule.latex(formula)
    cols = st.columns([1.5, 2, 1.3])
    surface = lesson.SURFACES[cols[0].selectbox(t("learn_backprop.optimizers.surface"), list(lesson.SURFACES), key="l3-surface",
                                                format_func=lambda k: t(f"learn_backprop.surface.{k}"), on_change=_set_surface_lr)]
    lr = cols[1].select_slider(t("learn_backprop.optimizers.lr"), lesson.LEARNING_RATES, value=surface.lr, key="l3-opt-lr")
    steps = cols[2].slider(t("learn_backprop.optimizers.steps"), 10, lesson.MAX_PATH_STEPS, 100, 10, key="l3-opt-steps")
    st.latex(surface.formula)
    paths = [path.first(steps) for path in _paths(surface.key, lr)]
    labels = [_path_label(p) for p in paths]
    chart(figs.optimizer_paths(surface, lesson.landscape(surface), paths, labels), key="l3-paths")
    chart(figs.optimizer_losses(paths, labels), key="l3-opt-losses")
    lam = lesson.curvature(surface)
    sgd, momentum = lesson.stability_limits(lam)
    if surface.quadratic:
        st.markdown(t("learn_backprop.optimizers.quadratic", lam=f"{lam:.3g}", sgd=f"{sgd:.3g}", zigzag=f"{1 / lam:.3g}",
                      momentum=f"{momentum:.3g}", mu=lesson.MOMENTUM))
    else:
        lam_min = lesson.curvature(surface, surface.minimum)
        st.markdown(t("learn_backprop.optimizers.curved", lam=f"{lam:.3g}", sgd=f"{sgd:.2g}", lam_min=f"{lam_min:.3g}",
                      sgd_min=f"{2 / lam_min:.2g}"))


@st.cache_data(max_entries=64, show_spinner=False)
def _paths(surface: str, lr: float) -> list[lesson.OptimizerPath]:
    """Each optimizer's longest run on a surface at a learning rate (fixed lesson inputs; shorter runs are its prefixes)."""
    return [lesson.optimizer_path(lesson.SURFACES[surface], name, lr, lesson.MAX_PATH_STEPS) for name in lesson.OPTIMIZERS]


def _path_label(p: lesson.OptimizerPath) -> str:
    name = t(f"learn_backprop.optimizers.{p.name}")
    return name if p.diverged_at is None else t("learn_backprop.optimizers.diverged", name=name, step=p.diverged_at)


def _epochs() -> None:
    st.subheader(t("learn_backprop.epochs.title"))
    st.latex(r"\begin{gathered} \mathbf g = \frac{1}{B}\sum_{i \in \mathcal B} \nabla_{\mathbf w}\, \ell\big(f(\mathbf x_i; \mathbf w),\, y_i\big),"
             r"\qquad \mathbf w \leftarrow \mathbf w - \eta\, \mathbf g \\"
             rf" \text{{{t('learn_backprop.epochs.per_epoch')}}} = \left\lceil N / B \right\rceil \end{{gathered}}")
    n, batch, steps = lesson.epoch_arithmetic()
    st.markdown(t("learn_backprop.epochs.text", n=n, batch=batch, steps=steps))
    st.markdown(t("learn_backprop.epochs.measured"))
