"""Sampling figures: the next character's probabilities at a temperature, and one output token's attention rows."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from playground.i18n import t
from playground.plots.panels import SMALL, colorbar, token_axis
from playground.plots.style import ATTENTION, TRAIN_COLOR, base_layout
from playground.sampling import TOP_K, AttentionRows, Generation, top_k


def _pct(p: float) -> str:
    """A probability in per cent, with a decimal below 10 % so small bars still read differently."""
    return f"{100 * p:.1f} %" if p < 0.1 else f"{100 * p:.0f} %"


def next_token_bars(gen: Generation, vocab: Sequence[str], k: int = TOP_K, height: int = 340) -> go.Figure:
    """The k most likely next characters after the prompt, at the chosen temperature, beside the model's own
    distribution (T = 1), so the effect of T reads at a glance. Tokens are shown symbols (space as ␣)."""
    base = np.exp(gen.logits - gen.logits.max())
    base /= base.sum()
    order = top_k(base, k)
    names = [vocab[i] for i in order]
    chosen = t("sampling.plots.greedy") if gen.greedy else t("sampling.plots.at_t", temperature=f"{gen.temperature:g}")
    traces = []
    if gen.temperature != 1:
        traces.append(go.Bar(x=names, y=base[order], name=t("sampling.plots.at_one"), marker_color="#cbd5e1",
                             hovertemplate=t("sampling.plots.hover") + "<extra></extra>"))
    p = gen.probs[order]
    traces.append(go.Bar(x=names, y=p, name=chosen, marker_color=TRAIN_COLOR, text=[_pct(v) for v in p],
                         textposition="outside", cliponaxis=False, constraintext="none", textfont={"size": SMALL - 1},
                         hovertemplate=t("sampling.plots.hover") + "<extra></extra>"))
    fig = go.Figure(traces)
    base_layout(fig, t("sampling.plots.next_title", k=len(order)), height=height, barmode="group", bargap=0.25,
                margin={"l": 70, "r": 20, "t": 80, "b": 60})
    fig.update_xaxes(title_text=t("sampling.plots.next_char"), type="category", tickfont={"size": SMALL + 3})
    top = float(max(p.max(), base[order].max()))
    fig.update_yaxes(title_text=t("sampling.plots.probability"), range=[0, min(1.18, 1.2 * top + 0.04)], tickformat=".0%",
                     rangemode="tozero")
    return fig


def attention_rows(rows: AttentionRows, tokens: Sequence[str], output: str, height: int | None = None) -> go.Figure:
    """One output token's attention over the input: a row per (layer, head), a column per input position, each
    cell its weight in per cent (a row sums to 100 %)."""
    w = np.asarray(rows.weights, dtype=float)
    n_rows, n = w.shape
    names = [t("sampling.plots.row", layer=layer, head=head) for layer, head in zip(rows.layers, rows.heads)]
    text = [[f"{100 * v:.0f}" if np.isfinite(v) else "" for v in row] for row in w]
    fig = go.Figure(go.Heatmap(z=w, x=list(range(n)), y=list(range(n_rows)), zmin=0, zmax=1, colorscale=ATTENTION,
                               text=text, texttemplate="%{text}", textfont={"size": SMALL - 1},
                               customdata=np.array([[f"{k} '{tokens[k]}'" for k in range(n)]] * n_rows, dtype=object),
                               colorbar=colorbar(t("sampling.plots.weight"), tickformat=".0%"),
                               hovertemplate=t("sampling.plots.att_hover") + "<extra></extra>"))
    fig.add_vrect(x0=rows.position - 0.5, x1=rows.position + 0.5, line={"color": "#ea580c", "width": 2, "dash": "dot"})
    base_layout(fig, t("sampling.plots.att_title", position=rows.position, token=output),
                height=height or max(240, 90 + 34 * n_rows), margin={"l": 20, "r": 20, "t": 60, "b": 60})
    fig.update_xaxes(**token_axis([f"{k}·{s}" for k, s in enumerate(tokens)], n, t("sampling.plots.input_axis")))
    fig.update_yaxes(title_text="", tickmode="array", tickvals=list(range(n_rows)), ticktext=names, autorange="reversed",
                     showgrid=False, zeroline=False, automargin=True)
    return fig
