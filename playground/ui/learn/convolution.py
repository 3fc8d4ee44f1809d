"""Lesson 4 on the page: one output pixel worked out, the output-size formula on the picture, pooling, receptive
fields of a stack the learner builds, and the curriculum's CNN adapted to the bundled images."""
from __future__ import annotations

import numpy as np
import streamlit as st

from playground.i18n import t
from playground.layers import format_shape
from playground.lessons import convolution as lesson
from playground.lessons.convolution import Convolution, Stage
from playground.plots.lessons import convolution as figs
from playground.ui.learn.frame import lesson_header, next_lesson, try_it
from playground.ui.widgets import chart

SLUG = "convolution"
_C = {name: color for name, color in zip("npks", (figs.IMAGE, figs.PADDING, figs.WINDOW, figs.STRIDE))}


def page() -> None:
    """Each interactive section is a fragment: its sliders redraw that section only. The image and the kernel are
    chosen outside them, since the convolution and the pooling sections both read the image."""
    lesson_header(SLUG)
    image, kernel = _choices()
    _convolution(image, kernel)
    _pooling(image)
    _receptive_field()
    _curriculum()
    try_it(lesson.TRY_IT)
    next_lesson(SLUG)


def _num(v: float, digits: int = 3) -> str:
    """A number as the lesson writes it: integers plainly, others to `digits` significant figures."""
    return str(int(round(v))) if abs(v - round(v)) < 1e-9 else f"{v:.{digits}g}"


def _index_slider(label: str, top: int, key: str) -> int:
    """An index slider 0..top. A new range makes Streamlit a new widget; it starts at the index chosen before (or the
    last one now possible), so changing the stride or the padding keeps the output pixel the learner picked."""
    chosen = st.session_state.get(f"{key}-chosen", top // 2)
    if top == 0:
        return 0
    value = st.slider(label, 0, top, min(chosen, top), key=key)
    st.session_state[f"{key}-chosen"] = value
    return value


def _choices() -> tuple[np.ndarray, str]:
    st.subheader(t("learn_convolution.conv.title"))
    st.markdown(t("learn_convolution.conv.text"))
    st.latex(r"y(i,j) = b + \sum_{m=0}^{k-1}\sum_{n=0}^{k-1} w(m,n)\; x(i\,s - p + d\,m,\;\; j\,s - p + d\,n)")
    st.markdown(t("learn_convolution.conv.symbols"))
    c1, c2 = st.columns(2)
    choice = c1.selectbox(t("learn_convolution.conv.image"), lesson.IMAGES, index=3, key="l4-image", format_func=_image_name)
    kernel = c2.selectbox(t("learn_convolution.conv.kernel"), lesson.KERNELS, key="l4-kernel",
                          format_func=lambda name: t(f"learn_convolution.kernels.{name}"))
    return lesson.image(choice), kernel


@st.fragment
def _convolution(image: np.ndarray, kernel: str) -> None:
    c1, c2, c3, c4 = st.columns(4)
    k = c1.slider(t("learn_convolution.conv.k"), 2, 5, 3, key="l4-k")
    s = c2.slider(t("learn_convolution.conv.s"), 1, 3, 1, key="l4-s")
    p = c3.slider(t("learn_convolution.conv.p"), 0, 3, 1, key="l4-p")
    d = c4.slider(t("learn_convolution.conv.d"), 1, 3, 1, key="l4-d")
    n = image.shape[0]
    if (problem := lesson.size_problem(n, k, p, d)) is not None:
        st.error(str(problem))
        return
    size = lesson.output_size(n, k, s, p, d)
    c1, c2 = st.columns(2)
    with c1:
        i = _index_slider(t("learn_convolution.conv.row"), size - 1, "l4-i")
    with c2:
        j = _index_slider(t("learn_convolution.conv.col"), size - 1, "l4-j")
    cv = lesson.convolve(image, lesson.kernel(kernel, k), s, p, d, i, j)
    chart(figs.conv_figure(cv), key="l4-conv")
    _output_size(cv)
    _weighted_sum(cv)


def _image_name(choice: str) -> str:
    return t("learn_convolution.conv.pattern") if choice == lesson.PATTERN else t("learn_convolution.conv.digit", digit=choice)


def _colored(name: str, value: object) -> str:
    return rf"{{\color{{{_C[name]}}}{value}}}"


def _output_size(cv: Convolution) -> None:
    st.markdown(f"**{t('learn_convolution.conv.size_title')}**")
    st.markdown(t("learn_convolution.conv.size_text"))
    n, k, s, p, d = cv.image.shape[0], cv.weight.shape[0], cv.stride, cv.padding, cv.dilation
    c = _colored
    symbolic = (rf"n_\text{{out}} &= \left\lfloor \frac{{{c('n', 'n')} + 2{c('p', 'p')} - {c('k', 'd(k-1)')} - 1}}{{{c('s', 's')}}}"
                r"\right\rfloor + 1")
    top = n + 2 * p - d * (k - 1) - 1
    span = rf"{d}\cdot({k}-1)"
    numbers = (rf"&= \left\lfloor \frac{{{c('n', n)} + 2\cdot{c('p', p)} - {c('k', span)} - 1}}{{{c('s', s)}}}\right\rfloor + 1"
               rf"= \left\lfloor \frac{{{top}}}{{{s}}} \right\rfloor + 1 = {cv.output.shape[0]}")
    st.latex(rf"\begin{{aligned}} {symbolic} \\ {numbers} \end{{aligned}}")
    st.caption(t("learn_convolution.conv.size_note"))


def _weighted_sum(cv: Convolution) -> None:
    step = cv.step
    st.markdown(f"**{t('learn_convolution.conv.sum_title', i=step.i, j=step.j)}**")
    st.markdown(t("learn_convolution.conv.sum_text"))
    chart(figs.weighted_sum(step), key="l4-sum")
    w, x = step.weight[0], step.patch[0]
    y = f"y({step.i},{step.j})"
    if w.shape[0] <= 3:  # written out, one kernel row a line; a larger kernel's products are in the right panel
        rows = [" + ".join(f"({_num(w[m, q])})({_num(x[m, q])})" for q in range(w.shape[1])) for m in range(w.shape[0])]
        terms = r"\\ &\quad + ".join(rows)
    else:
        terms = rf"\sum_{{m,n}} w(m,n)\,x(\dots) = {_num(step.total, 4)}"
    st.latex(rf"\begin{{aligned}} {y} &= {terms} \\ &\quad + \underbrace{{0}}_{{b}} = {_num(step.result, 4)} \end{{aligned}}")
    st.success(t("learn_convolution.conv.checked", i=step.i, j=step.j, value=_num(float(cv.output[step.i, step.j]), 4)))
    st.markdown(t("learn_convolution.conv.channels"))


@st.fragment
def _pooling(image: np.ndarray) -> None:
    st.subheader(t("learn_convolution.pool.title"))
    st.markdown(t("learn_convolution.pool.text"))
    window = r"x(i\,s + m,\; j\,s + n)"
    st.latex(rf"\begin{{gathered}} \text{{{t('learn_convolution.pool.max')}}}: \; y(i,j) = \max_{{0 \le m,n < k}} {window} \\"
             rf"\text{{{t('learn_convolution.pool.avg')}}}: \; y(i,j) = \frac{{1}}{{k^2}} \sum_{{m=0}}^{{k-1}}\sum_{{n=0}}^{{k-1}} {window}"
             r"\end{gathered}")
    c1, c2, c3 = st.columns([1.4, 1, 1])
    kind = c1.radio(t("learn_convolution.pool.kind"), list(lesson.POOLS), horizontal=True, key="l4-pool",
                    format_func=lambda name: t(f"learn_convolution.pool.{'max' if name == 'MaxPool2d' else 'avg'}"))
    k = c2.slider(t("learn_convolution.pool.k"), 2, 3, 2, key="l4-pool-k")
    s = c3.slider(t("learn_convolution.pool.s"), 1, 3, 2, key="l4-pool-s")
    pooled = lesson.pool(image, kind, k, s)
    chart(figs.pooling(pooled), key="l4-pool-fig")
    st.markdown(t("learn_convolution.pool.params", kind=pooled.kind, k=k, s=s, params=pooled.params))
    rows, with_pool, without = lesson.pooling_effect()
    st.markdown(f"**{t('learn_convolution.pool.effect_title')}**")
    st.markdown(t("learn_convolution.pool.effect_text", ratio=without / with_pool))
    table = [{t("learn_convolution.pool.layer"): f"{n} {r.type}",
              t("learn_convolution.pool.shape_with"): format_shape(r.with_pool[0]),
              t("learn_convolution.pool.params_with"): f"{r.with_pool[1]:,}",
              t("learn_convolution.pool.shape_without"): "—" if r.without_pool is None else format_shape(r.without_pool[0]),
              t("learn_convolution.pool.params_without"): "—" if r.without_pool is None else f"{r.without_pool[1]:,}"}
             for n, r in enumerate(rows) if r.type != "ReLU"]  # a ReLU changes neither the shape nor the count
    table.append({t("learn_convolution.pool.layer"): t("learn_convolution.pool.total"), t("learn_convolution.pool.shape_with"): "",
                  t("learn_convolution.pool.params_with"): f"{with_pool:,}", t("learn_convolution.pool.shape_without"): "",
                  t("learn_convolution.pool.params_without"): f"{without:,}"})
    st.dataframe(table, hide_index=True, height="content", key="l4-pool-table")


def _stage(number: int, default: Stage) -> Stage:
    c0, c1, c2, c3, c4 = st.columns([1.6, 1, 1, 1, 1])
    kind = c0.selectbox(t("learn_convolution.rf.type", number=number), ["Conv2d", *lesson.POOLS], key=f"l4-rf-type-{number}",
                        index=["Conv2d", *lesson.POOLS].index(default.type))
    k = c1.selectbox(t("learn_convolution.rf.k"), list(range(1, 8)), index=default.kernel - 1, key=f"l4-rf-k-{number}")
    s = c2.selectbox(t("learn_convolution.rf.s"), [1, 2, 3], index=default.stride - 1, key=f"l4-rf-s-{number}")
    p = c3.selectbox(t("learn_convolution.rf.p"), [0, 1, 2, 3], index=default.padding, key=f"l4-rf-p-{number}")
    d = c4.selectbox(t("learn_convolution.rf.d"), [1, 2, 3], index=default.dilation - 1, key=f"l4-rf-d-{number}",
                     disabled=kind != "Conv2d")
    return Stage(kind, k, s, p, d if kind == "Conv2d" else 1)


@st.fragment
def _receptive_field() -> None:
    st.subheader(t("learn_convolution.rf.title"))
    st.markdown(t("learn_convolution.rf.text"))
    st.latex(r"r_l = r_{l-1} + d_l\,(k_l - 1)\,j_{l-1}, \qquad j_l = j_{l-1}\,s_l")
    st.markdown(t("learn_convolution.rf.after"))
    c1, c2 = st.columns(2)
    n = c1.selectbox(t("learn_convolution.rf.input"), [8, 28], index=1, key="l4-rf-n")
    count = c2.number_input(t("learn_convolution.rf.layers"), 1, 6, len(lesson.CURRICULUM_STACK), key="l4-rf-count")
    defaults = [*lesson.CURRICULUM_STACK, Stage("Conv2d", 3)]
    stages = [_stage(number, defaults[min(number - 1, len(defaults) - 1)]) for number in range(1, int(count) + 1)]
    fields, problem = lesson.receptive_fields(stages, n)
    if problem is not None:
        st.error(str(problem))
    if not fields:
        return
    st.dataframe([{t("learn_convolution.rf.col_layer"): f"{number} {s.type}", t("learn_convolution.rf.col_size"): f.size,
                   t("learn_convolution.rf.col_jump"): f.jump, t("learn_convolution.rf.col_rf"): f.rf}
                  for number, (s, f) in enumerate(zip(stages, fields), 1)], hide_index=True, height="content", key="l4-rf-table")
    last = fields[-1]
    st.markdown(t("learn_convolution.rf.summary", count=len(fields), rf=last.rf, n=n))
    if last.rf >= n:
        st.markdown(t("learn_convolution.rf.whole"))
    chart(figs.receptive_field(fields, n), key="l4-rf-fig")


def _shape_table(analysis) -> list[dict]:
    return [{t("learn_convolution.cnn.col_layer"): info.label, t("learn_convolution.cnn.col_shape"): format_shape(info.out_shape),
             t("learn_convolution.cnn.col_params"): f"{info.params:,}"} for info in analysis.layers]


def _chain(analysis) -> str:
    return " → ".join(str(v) for v in lesson.spatial_sizes(analysis))


def _curriculum() -> None:
    st.subheader(t("learn_convolution.cnn.title"))
    digits, shapes, adapted = lesson.curriculum_on("digits"), lesson.curriculum_on("shapes"), lesson.curriculum_on("digits", padding=1)
    size = {a.spec.dataset.name: "×".join(str(v) for v in a.dataset.input_shape) for a in (digits, shapes)}
    st.markdown(t("learn_convolution.cnn.text", digits=size["digits"], shapes=size["shapes"], chain_shapes=_chain(shapes),
                  chain_digits=_chain(digits)))
    st.warning(str(digits.problems[0]))
    st.markdown(t("learn_convolution.cnn.fix", chain_adapted=_chain(adapted)))
    left, right = st.columns(2, gap="medium")
    left.caption(t("learn_convolution.cnn.on_shapes", size=size["shapes"]))
    left.dataframe(_shape_table(shapes), hide_index=True, height="content", key="l4-cnn-shapes")
    right.caption(t("learn_convolution.cnn.on_digits", size=size["digits"]))
    right.dataframe(_shape_table(adapted), hide_index=True, height="content", key="l4-cnn-digits")
    st.markdown(t("learn_convolution.cnn.shipped"))
    st.dataframe([{t("learn_convolution.cnn.col_file"): s.file, t("learn_convolution.cnn.col_name"): s.name,
                   t("learn_convolution.cnn.col_dataset"): s.dataset,
                   t("learn_convolution.cnn.col_input"): "×".join(map(str, s.input_shape)),
                   t("learn_convolution.cnn.col_params"): f"{s.params:,}"} for s in lesson.shipped()],
                 hide_index=True, height="content", key="l4-shipped")
    st.markdown(t("learn_convolution.cnn.sgd"))
