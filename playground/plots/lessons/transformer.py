"""Lesson 7's figures: the heads' attention weights side by side, the causal mask, W_O split by head, what LayerNorm
does to each row, and the mask's effect on each output position. T × d intermediates reuse lesson 6's heatmaps."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from playground.i18n import t
from playground.plots.lessons.attention import panels
from playground.plots.style import ATTENTION, DIVERGING, TEST_COLOR, TRAIN_COLOR, layout

_MASKED = "#cbd5e1"  # a future key the mask hides: no weight can reach it


def heads(weights: np.ndarray, rows: Sequence[str], title: str, hidden: np.ndarray | None = None, height: int = 330) -> go.Figure:
    """Attention weights (heads, T, T) as one square heatmap per head, side by side on one 0…1 scale; the keys a
    mask `hidden` (T, T) hides are greyed out, as in the mask's own figure."""
    n_heads, n = weights.shape[0], weights.shape[1]
    gap = 0.035
    width = (1 - gap * (n_heads - 1)) / n_heads
    ticks = list(range(n))
    traces, axes, notes = [], {}, []
    for h in range(n_heads):
        suffix = "" if h == 0 else str(h + 1)
        x0 = h * (width + gap)
        traces.append(go.Heatmap(z=weights[h], x=ticks, y=ticks, xaxis=f"x{suffix}", yaxis=f"y{suffix}", coloraxis="coloraxis",
                                 xgap=1, ygap=1,
                                 customdata=np.array([[f"{q} → {k}" for k in rows] for q in rows], dtype=object),
                                 hovertemplate="%{customdata}: %{z:.4f}<extra></extra>"))
        if hidden is not None and hidden.any():
            traces.append(go.Heatmap(z=np.where(hidden, 1.0, np.nan), x=ticks, y=ticks, xaxis=f"x{suffix}", yaxis=f"y{suffix}",
                                     colorscale=[[0, _MASKED], [1, _MASKED]], showscale=False, xgap=1, ygap=1, hoverinfo="skip"))
        axes[f"xaxis{suffix}"] = {"domain": [x0, x0 + width], "anchor": f"y{suffix}", "title": {"text": t("learn_transformer.fig.keys")},
                                  "showgrid": False, "zeroline": False, "tickmode": "array", "tickvals": ticks, "ticktext": list(rows),
                                  "tickfont": {"size": 11}}
        axes[f"yaxis{suffix}"] = {"anchor": f"x{suffix}", "autorange": "reversed", "showgrid": False, "zeroline": False,
                                  "tickmode": "array", "tickvals": ticks, "ticktext": list(rows) if h == 0 else [""] * n,
                                  "title": {"text": t("learn_transformer.fig.queries") if h == 0 else ""}, "tickfont": {"size": 11}}
        notes.append({"text": t("learn_transformer.fig.head", head=h + 1), "x": x0, "y": 1.0, "xref": "paper", "yref": "paper",
                      "xanchor": "left", "yanchor": "bottom", "showarrow": False, "font": {"size": 15, "color": "#0f172a"}})
    return go.Figure(traces, layout(title, height, annotations=notes,
                                    coloraxis={"colorscale": ATTENTION, "cmin": 0, "cmax": 1, "colorbar": {"thickness": 12, "len": 0.9}},
                                    margin={"l": 90, "r": 10, "t": 75, "b": 60}, **axes))


def flow(mats: Sequence[np.ndarray], titles: Sequence[str], rows: Sequence[str]) -> go.Figure:
    """T × d matrices side by side on one colour scale (lesson 6's panels), with a tick every four dimensions so that
    four panels still read on a 1024-pixel screen."""
    fig = panels(mats, titles, rows)
    return fig.update_xaxes(tickvals=list(range(0, mats[0].shape[1], 4)))


def mask(m: np.ndarray, rows: Sequence[str], title: str, height: int = 380) -> go.Figure:
    """The additive mask M (T, T): 0 where a query may look, −∞ (grey) where the key is in its future."""
    hidden = np.isinf(m)
    ticks = list(range(m.shape[0]))
    heat = go.Heatmap(z=hidden.astype(float), x=ticks, y=ticks, zmin=0, zmax=1, showscale=False, xgap=1, ygap=1,
                      colorscale=[[0, "#f8fafc"], [1, _MASKED]], text=np.where(hidden, "−∞", "0"), texttemplate="%{text}",
                      textfont={"size": 13}, hoverinfo="skip")
    axis = {"showgrid": False, "zeroline": False, "tickmode": "array", "tickvals": ticks, "ticktext": list(rows)}
    return go.Figure([heat], layout(title, height, margin={"l": 90, "r": 10, "t": 50, "b": 60},
                                    xaxis={**axis, "title": {"text": t("learn_transformer.fig.keys")}},
                                    yaxis={**axis, "title": {"text": t("learn_transformer.fig.queries")}, "autorange": "reversed"}))


def out_weight(w_o: np.ndarray, n_heads: int, title: str, height: int = 420) -> go.Figure:
    """W_O (d × d, as in Concat · W_O): its rows in one block per head, the block that multiplies that head's output."""
    d = w_o.shape[0]
    m = float(np.abs(w_o).max()) or 1.0
    block = d // n_heads
    heat = go.Heatmap(z=w_o, colorscale=DIVERGING, zmin=-m, zmax=m, xgap=1, ygap=1, colorbar={"thickness": 12, "len": 0.9},
                      hovertemplate="%{y}, %{x}: %{z:.4f}<extra></extra>")
    lines = [{"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": h * block - 0.5, "y1": h * block - 0.5,
              "line": {"color": "#0f172a", "width": 3}} for h in range(1, n_heads)]
    ticks = [h * block + (block - 1) / 2 for h in range(n_heads)]
    return go.Figure([heat], layout(title, height, shapes=lines, margin={"l": 90, "r": 10, "t": 50, "b": 60},
                                    xaxis={"title": {"text": t("learn_transformer.fig.out_dim")}, "showgrid": False, "zeroline": False},
                                    yaxis={"title": {"text": t("learn_transformer.fig.concat_dim")}, "autorange": "reversed",
                                           "showgrid": False, "zeroline": False, "tickmode": "array", "tickvals": ticks,
                                           "ticktext": [t("learn_transformer.fig.head", head=h + 1) for h in range(n_heads)]}))


def row_stats(before_mean: np.ndarray, before_std: np.ndarray, after: np.ndarray, rows: Sequence[str], title: str,
              height: int = 360) -> go.Figure:
    """Each row's mean and standard deviation before LayerNorm and after its standardisation (0 and 1, row by row)."""
    after_mean, after_std = after.mean(-1), after.std(-1)
    series = [(before_mean, "mean_before", TRAIN_COLOR, 0.45), (before_std, "std_before", TEST_COLOR, 0.45),
              (after_mean, "mean_after", TRAIN_COLOR, 1.0), (after_std, "std_after", TEST_COLOR, 1.0)]
    traces = [go.Bar(x=list(rows), y=values, name=t(f"learn_transformer.fig.{key}"), marker={"color": color, "opacity": alpha},
                     hovertemplate="%{x}: %{y:.4f}<extra></extra>") for values, key, color, alpha in series]
    return go.Figure(traces, layout(title, height, barmode="group",
                                    xaxis={"title": {"text": t("learn_transformer.fig.tokens")}, "type": "category"},
                                    yaxis={"title": {"text": t("learn_transformer.fig.stat_y")}},
                                    legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.3, "yanchor": "top"},
                                    margin={"l": 70, "r": 20, "t": 50, "b": 130}))


def by_position(accuracy: np.ndarray, chance: float, title: str, height: int = 360) -> go.Figure:
    """Held-out accuracy per output position (2, T): without and with the causal mask, against chance."""
    positions = [str(i) for i in range(accuracy.shape[1])]
    traces = [go.Bar(x=positions, y=accuracy[k], name=t(f"learn_transformer.fig.{key}"), marker_color=color,
                     hovertemplate="%{x}: %{y:.1%}<extra></extra>")
              for k, (key, color) in enumerate([("acc_plain", TRAIN_COLOR), ("acc_masked", TEST_COLOR)])]
    traces.append(go.Scatter(x=positions, y=[chance] * len(positions), mode="lines", name=t("learn_transformer.fig.chance"),
                             line={"color": "#64748b", "dash": "dash", "width": 2}, hoverinfo="skip"))
    return go.Figure(traces, layout(title, height, barmode="group",
                                    xaxis={"title": {"text": t("learn_transformer.fig.position")}, "type": "category"},
                                    yaxis={"title": {"text": t("learn_transformer.fig.accuracy")}, "range": [0, 1.05], "tickformat": ".0%"},
                                    legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.3, "yanchor": "top"},
                                    margin={"l": 70, "r": 20, "t": 50, "b": 130}))
