"""Lesson 7 on the page: a trained four-head Transformer on a sequence the learner types — the heads side by side,
Concat and W_O, the post-norm block's residual paths and LayerNorms, the feed-forward layer, and a causal-mask toggle."""
from __future__ import annotations

import json

import numpy as np
import streamlit as st

from playground.i18n import t
from playground.lessons import attention as steps6
from playground.lessons import transformer as lesson
from playground.plots.lessons import attention as figs6
from playground.plots.lessons import transformer as figs
from playground.ui.learn.attention import read_sequence
from playground.ui.learn.frame import lesson_header, next_lesson, try_it
from playground.ui.widgets import chart

SLUG = "transformer"
IDS = "l7-ids"  # the last sequence that parsed: a bad one is refused and this one stays on the page


@st.cache_resource(show_spinner=False, max_entries=1)
def _trained(spec: str) -> lesson.Demo:
    """The demo model, trained once per process: every session reads the same fixed lesson model."""
    return lesson.train_demo()


def page() -> None:
    lesson_header(SLUG)
    with st.spinner(t("learn_transformer.training")):
        demo = _trained(json.dumps(lesson.DEMO, sort_keys=True))
    ids = _input(demo)
    x = steps6.attention_input(demo, ids)
    steps = lesson.block_steps(demo.block, x)
    rows = figs6.token_labels([str(i) for i in ids])
    _heads(steps, rows)
    _concat(steps, rows, demo)
    _residual(steps, rows)
    _feedforward(steps, rows, demo)
    _causal(demo, ids, rows)
    try_it(lesson.TRY_IT)
    next_lesson(SLUG)


def _input(demo: lesson.Demo) -> list[int]:
    st.subheader(t("learn_transformer.input.title"))
    st.markdown(t("learn_transformer.input.text", length=lesson.SEQ_LEN, heads=lesson.HEADS, d=lesson.WIDTH,
                  d_k=lesson.WIDTH // lesson.HEADS, hidden=lesson.HIDDEN, accuracy=demo.test_accuracy))
    text = st.text_input(t("learn_attention.input.label", length=lesson.SEQ_LEN), steps6.EXAMPLE, max_chars=60, key="l7-text")
    ids = read_sequence(text, IDS)
    out = " ".join(map(str, lesson.predict(demo, ids)))
    st.markdown(t("learn_attention.input.prediction", tokens=" ".join(map(str, ids)), output=out))
    return ids


def _section(key: str, formula: str, **values: object) -> None:
    st.subheader(t(f"learn_transformer.{key}.title"))
    st.latex(formula)
    st.markdown(t(f"learn_transformer.{key}.text", **values))


def _heads(steps: lesson.BlockSteps, rows: list[str]) -> None:
    att = steps.attention
    _section("heads", r"\begin{gathered} \text{head}_i = \operatorname{softmax}\!\left(\frac{(XW_Q^{i})(XW_K^{i})^{\top}}{\sqrt{d_k}}\right)"
                      r" XW_V^{i} \\ W_Q^{i}, W_K^{i}, W_V^{i} \in \mathbb{R}^{d \times d_k}, \quad d_k = d/h = %d \end{gathered}" % att.d_k,
             heads=lesson.HEADS, d_k=att.d_k)
    chart(figs.heads(att.weights, rows, t("learn_transformer.fig.heads")), key="l7-heads")
    mirror, share = steps6.mirror_head(att)
    st.markdown(t("learn_transformer.heads.mirror", head=mirror + 1, share=share, last=len(rows) - 1))
    counts = lesson.attention_parameters(lesson.WIDTH, [1, lesson.HEADS, lesson.WIDTH])
    st.markdown(t("learn_transformer.heads.cost", d=lesson.WIDTH, heads=lesson.HEADS, one=counts[0], many=counts[1], most=counts[2]))


def _concat(steps: lesson.BlockSteps, rows: list[str], demo: lesson.Demo) -> None:
    att = steps.attention
    heads = att.heads_out.shape[0]
    _section("concat", r"\begin{aligned} \operatorname{MultiHead}(X) &= \operatorname{Concat}(\text{head}_1, \dots, \text{head}_h)\, W_O + b_O"
                       r" \\ &= \sum_{i=1}^{h} \text{head}_i\, W_O^{(i)} + b_O \end{aligned}")
    chart(figs6.matrix(att.concat, rows, t("learn_attention.fig.concat"), heads=heads), key="l7-concat")
    w_o = demo.block.attention.out_proj.weight.detach().T.numpy()
    chart(figs.out_weight(w_o, heads, t("learn_transformer.fig.w_o")), key="l7-w-o")
    titles = [t("learn_transformer.fig.contribution", head=h + 1) for h in range(heads)]
    chart(figs.flow(list(steps.contributions), titles, rows), key="l7-contributions")
    chart(figs6.matrix(att.output, rows, t("learn_transformer.fig.mha")), key="l7-mha")


def _residual(steps: lesson.BlockSteps, rows: list[str]) -> None:
    _section("residual", r"X' = \operatorname{LayerNorm}_1\big(X + \operatorname{MultiHead}(X)\big)")
    titles = [t("learn_transformer.fig.x"), t("learn_transformer.fig.mha_short"), t("learn_transformer.fig.sum1")]
    chart(figs.flow([steps.attention.x, steps.attention.output, steps.sum1], titles, rows), key="l7-sum1")
    st.markdown(f"#### {t('learn_transformer.norm.title')}")
    st.latex(r"\operatorname{LayerNorm}(z) = \gamma \odot \frac{z - \mu}{\sqrt{\sigma^2 + \varepsilon}} + \beta, \qquad"
             r"\mu = \frac{1}{d}\sum_{c=1}^{d} z_c, \quad \sigma^2 = \frac{1}{d}\sum_{c=1}^{d} (z_c - \mu)^2, \quad \varepsilon = 10^{-5}")
    st.markdown(t("learn_transformer.norm.text"))
    norm = steps.norm1
    titles = [t("learn_transformer.fig.sum1"), t("learn_transformer.fig.standardized"), t("learn_transformer.fig.norm1")]
    chart(figs.flow([steps.sum1, norm.standardized, norm.output], titles, rows), key="l7-norm1")
    left, _ = st.columns([3, 1])
    with left:
        chart(figs.row_stats(norm.mean, norm.std, norm.standardized, rows, t("learn_transformer.fig.stats")), key="l7-stats")


def _feedforward(steps: lesson.BlockSteps, rows: list[str], demo: lesson.Demo) -> None:
    hidden = steps.hidden.shape[1]
    _section("ffn", r"\begin{gathered} \operatorname{FFN}(X') = \operatorname{ReLU}(X'W_1 + b_1)\, W_2 + b_2 \\"
                    r" W_1 \in \mathbb{R}^{d \times %d},\; W_2 \in \mathbb{R}^{%d \times d} \\"
                    r"Y = \operatorname{LayerNorm}_2\big(X' + \operatorname{FFN}(X')\big) \end{gathered}" % (hidden, hidden),
             hidden=hidden)
    chart(figs6.matrix(steps.hidden, rows, t("learn_transformer.fig.hidden", hidden=hidden), text=False), key="l7-hidden")
    titles = [t(f"learn_transformer.fig.{name}") for name in ("x1", "ffn", "sum2", "y")]
    chart(figs.flow([steps.norm1.output, steps.feedforward, steps.sum2, steps.output], titles, rows), key="l7-block-out")
    weights, output = lesson.pytorch_differences(demo.block, steps)
    st.success(t("learn_transformer.ffn.checked", weights=weights, output=output))
    st.markdown(f"#### {t('learn_transformer.really.title')}")
    st.code("x = norm1(x + dropout1(attention(x)))\n"
            "return norm2(x + dropout2(feedforward(x)))\n# feedforward: Linear → ReLU → Dropout → Linear", language="python")
    st.markdown(t("learn_transformer.really.text"))


@st.fragment
def _causal(demo: lesson.Demo, ids: list[int], rows: list[str]) -> None:
    """A fragment: the mask toggle redraws this section only."""
    _section("causal", r"A = \operatorname{softmax}\!\left(\frac{QK^{\top}}{\sqrt{d_k}} + M\right), \qquad"
                       r" M_{ij} = \begin{cases} 0 & j \le i \\ -\infty & j > i \end{cases}")
    causal = st.toggle(t("learn_transformer.causal.toggle"), value=True, key="l7-causal")
    steps = lesson.block_steps(demo.block, steps6.attention_input(demo, ids), causal)
    mask = lesson.causal_mask(len(ids), causal)
    left, right = st.columns([2, 3], vertical_alignment="center")
    with left:
        chart(figs.mask(mask, rows, t("learn_transformer.fig.mask")), key="l7-mask")
    with right:
        out = " ".join(map(str, lesson.predict(demo, ids, causal)))
        st.markdown(t("learn_transformer.causal.prediction" if causal else "learn_transformer.causal.unmasked",
                      tokens=" ".join(map(str, ids)), output=out))
        weights, output = lesson.pytorch_differences(demo.block, steps, causal)
        st.success(t("learn_transformer.causal.checked", weights=weights, output=output))
    title = t("learn_transformer.fig.heads_masked" if causal else "learn_transformer.fig.heads")
    chart(figs.heads(steps.attention.weights, rows, title, hidden=np.isinf(mask)), key="l7-heads-masked")
    chart(figs.by_position(demo.by_position, 1 / lesson.VOCAB, t("learn_transformer.fig.by_position")), key="l7-by-position")
    st.markdown(t("learn_transformer.causal.after", half=lesson.SEQ_LEN // 2, last=lesson.SEQ_LEN - 1))
