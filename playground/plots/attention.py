"""Attention figures: one heatmap per head and their mean, query rows against key columns."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from playground.i18n import t
from playground.inspection.attention import AttentionTrace
from playground.plots.panels import SMALL, axis_key, colorbar, compose, grid
from playground.plots.style import ATTENTION

LONG = 12  # tokens: a longer sequence is drawn one head at a time, so its labels stay readable


def _layout_for(t_len: int, panels: int) -> tuple[int, int, int]:
    """(columns, panel px tall, tick font px). Panels are not square: they fill their share of the width, so
    even a 1024-px projector (about 600 px of figure) leaves some 20 px per token and labels never overlap."""
    cols = min(panels, 3 if t_len <= 8 else 2 if t_len <= LONG else 1)
    return cols, max(200, min(460, 22 * t_len)), SMALL if t_len <= LONG else 10


def panel_names(heads: int) -> list[str]:
    """'head 1' … 'head h', then 'mean over heads': the panels `attention_heatmaps` can draw, in order."""
    return [t("plots.attention.head", h=h + 1) for h in range(heads)] + [t("plots.attention.mean")]


def attention_heatmaps(att: AttentionTrace, tokens: Sequence[str] | None = None,
                       shown: Sequence[int] | None = None) -> go.Figure:
    """One heatmap per head and their mean (or only the panels `shown`, numbered as in panel_names):
    row = query, column = key, each row sums to 1."""
    w = np.asarray(att.weights, dtype=float)
    heads, n = w.shape[0], w.shape[1]
    keep = list(range(heads + 1)) if shown is None else list(shown)
    panels = [[*w, w.mean(axis=0)][k] for k in keep]
    titles = [panel_names(heads)[k] for k in keep]
    labels = list(tokens) if tokens is not None else [str(k) for k in range(n)]
    future = np.triu(np.ones((n, n), dtype=bool), 1)
    cols, panel, font = _layout_for(n, len(panels))
    layout, notes, refs, fig_h = grid(titles, cols, panel, ticks=True, square=False, title_h=30, gap=58, bottom=64,
                                      top=48)
    custom = np.empty((n, n, 2), dtype=object)
    for q in range(n):
        for k in range(n):
            custom[q, k] = (f"{q} '{labels[q]}'", f"{k} '{labels[k]}'")
    hover = t("plots.attention.hover")
    traces = []
    for p, (z, (xr, yr)) in enumerate(zip(panels, refs)):
        if att.causal:  # masked keys are blank, not a weight of 0
            z = np.where(future, np.nan, z)
        traces.append(go.Heatmap(z=z, xaxis=xr, yaxis=yr, coloraxis="coloraxis", customdata=custom, hoverongaps=False,
                                 hovertemplate=hover + f"<extra>{titles[p]}</extra>"))
        ticks = {"tickmode": "array", "tickvals": list(range(n)), "ticktext": labels, "tickfont": {"size": font},
                 "tickangle": 0}
        layout[axis_key(xr)].update(ticks, title={"text": t("plots.attention.key"), "font": {"size": SMALL}},
                                    range=[-0.5, n - 0.5])
        layout[axis_key(yr)].update(ticks, title={"text": t("plots.attention.query") if p % cols == 0 else "",
                                                  "font": {"size": SMALL}},
                                    autorange=False, range=[n - 0.5, -0.5])  # first query at the top
        if att.causal:
            traces.append(_hatch_future(n, xr, yr))
    layout["coloraxis"] = {"colorscale": ATTENTION, "cmin": 0, "cmax": 1, "colorbar": colorbar(t("plots.attention.weight"))}
    title = t("plots.attention.title_causal" if att.causal else "plots.attention.title", label=att.label)
    return compose(traces, layout, notes, title, fig_h, top=48, bottom=64, left=60)


def _hatch_future(n: int, xref: str, yref: str) -> go.Scatter:
    """Hatching over the cells above the diagonal (key after query), so masked reads differently from a weight of 0."""
    xs, ys = [0.5], [-0.5]
    for q in range(n - 1):  # a staircase along the diagonal's upper edge
        xs += [q + 0.5, q + 1.5]
        ys += [q + 0.5, q + 0.5]
    xs += [n - 0.5, 0.5]
    ys += [-0.5, -0.5]
    return go.Scatter(x=xs, y=ys, xaxis=xref, yaxis=yref, mode="lines", fill="toself", line={"width": 0},
                      fillpattern={"shape": "/", "fgcolor": "#94a3b8", "bgcolor": "#ffffff", "size": 6},
                      hoverinfo="skip", showlegend=False)
