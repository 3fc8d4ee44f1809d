"""Lesson 6's figures: each intermediate of self-attention as a labelled heatmap, and the two pictures of why the
scores are divided by √d_k."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from playground.i18n import t
from playground.lessons.attention import Saturation
from playground.plots.style import ATTENTION, DIVERGING, TEST_COLOR, TRAIN_COLOR, layout

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def token_labels(tokens: Sequence[str]) -> list[str]:
    """'3₀', '1₁', …: the token with its position, so a repeated token still names one row."""
    return [f"{tok}{str(i).translate(_SUB)}" for i, tok in enumerate(tokens)]


def matrix(z: np.ndarray, rows: Sequence[str], title: str, columns: Sequence[str] | None = None, x_title: str | None = None,
           weights: bool = False, text: bool = True, heads: int = 1) -> go.Figure:
    """One intermediate: rows are the input's tokens; columns are keys (`columns` given: a square score or weight
    matrix) or dimensions. Weights in 0…1 are blue; other values diverge from white at 0. With `heads` > 1 the
    columns are split into that many equal blocks, one per head."""
    z = np.asarray(z, dtype=float)
    n_rows, n_cols = z.shape
    m = float(np.abs(z).max()) or 1.0
    scale = {"colorscale": ATTENTION, "zmin": 0, "zmax": 1} if weights else {"colorscale": DIVERGING, "zmin": -m, "zmax": m}
    cols = list(range(n_cols))
    heat = go.Heatmap(z=z, x=cols, y=list(range(n_rows)), **scale, xgap=1, ygap=1,
                      texttemplate="%{z:.2f}" if text else None, textfont={"size": 11},
                      colorbar={"thickness": 12, "len": 0.9},
                      customdata=np.array([[r] * n_cols for r in rows], dtype=object),
                      hovertemplate="%{customdata}, %{x}: %{z:.4f}<extra></extra>")
    xaxis = {"title": {"text": x_title or t("learn_attention.fig.dimension")}, "showgrid": False, "zeroline": False,
             "tickmode": "array", "tickvals": cols, "ticktext": list(columns) if columns is not None else [str(c) for c in cols]}
    if columns is None and n_cols > 8:
        xaxis.update(tickvals=cols[::2], ticktext=[str(c) for c in cols[::2]])
    y_title = t("learn_attention.fig.queries" if columns is not None else "learn_attention.fig.tokens")
    yaxis = {"title": {"text": y_title}, "autorange": "reversed", "showgrid": False, "zeroline": False,
             "tickmode": "array", "tickvals": list(range(n_rows)), "ticktext": list(rows)}
    width = n_cols // heads
    shapes = [{"type": "line", "xref": "x", "yref": "paper", "x0": h * width - 0.5, "x1": h * width - 0.5, "y0": 0, "y1": 1,
               "line": {"color": "#0f172a", "width": 3}} for h in range(1, heads)]
    return go.Figure([heat], layout(title, 90 + 40 * n_rows + 70, xaxis=xaxis, yaxis=yaxis, shapes=shapes,
                                    margin={"l": 70, "r": 10, "t": 50, "b": 60}))


def panels(mats: Sequence[np.ndarray], titles: Sequence[str], rows: Sequence[str], height: int | None = None) -> go.Figure:
    """Several T × d_k matrices side by side on one colour scale (Q, K and V of a head): rows are the tokens."""
    n_rows, gap = mats[0].shape[0], 0.05
    width = (1 - gap * (len(mats) - 1)) / len(mats)
    m = max(float(np.abs(z).max()) for z in mats) or 1.0
    traces, axes, notes = [], {}, []
    for i, (z, title) in enumerate(zip(mats, titles)):
        suffix = "" if i == 0 else str(i + 1)
        x0 = i * (width + gap)
        cols = list(range(z.shape[1]))
        traces.append(go.Heatmap(z=z, x=cols, y=list(range(n_rows)), xaxis=f"x{suffix}", yaxis=f"y{suffix}", coloraxis="coloraxis",
                                 xgap=1, ygap=1, customdata=np.array([[r] * len(cols) for r in rows], dtype=object),
                                 hovertemplate="%{customdata}, %{x}: %{z:.4f}<extra></extra>"))
        axes[f"xaxis{suffix}"] = {"domain": [x0, x0 + width], "anchor": f"y{suffix}", "title": {"text": t("learn_attention.fig.dimension")},
                                  "showgrid": False, "zeroline": False, "tickmode": "array", "tickvals": cols[::2]}
        axes[f"yaxis{suffix}"] = {"anchor": f"x{suffix}", "autorange": "reversed", "showgrid": False, "zeroline": False,
                                  "tickmode": "array", "tickvals": list(range(n_rows)), "ticktext": list(rows) if i == 0 else [""] * n_rows,
                                  "title": {"text": t("learn_attention.fig.tokens") if i == 0 else ""}}
        notes.append({"text": title, "x": x0, "y": 1.0, "xref": "paper", "yref": "paper", "xanchor": "left", "yanchor": "bottom",
                      "showarrow": False, "font": {"size": 15, "color": "#0f172a"}})
    return go.Figure(traces, layout(None, height or 90 + 40 * n_rows + 60, annotations=notes,
                                    coloraxis={"colorscale": DIVERGING, "cmin": -m, "cmax": m, "colorbar": {"thickness": 12, "len": 0.9}},
                                    margin={"l": 70, "r": 10, "t": 40, "b": 60}, **axes))


def variance(dims: Sequence[int], raw: np.ndarray, scaled: np.ndarray, height: int = 380) -> go.Figure:
    """The measured variance of q·k grows like d_k; divided by √d_k it stays at 1."""
    traces = [
        go.Scatter(x=list(dims), y=list(dims), mode="lines", name=t("learn_attention.fig.var_line"),
                   line={"color": "#94a3b8", "dash": "dash", "width": 2}, hoverinfo="skip"),
        go.Scatter(x=list(dims), y=raw, mode="markers+lines", name=t("learn_attention.fig.var_raw"),
                   marker={"size": 9, "color": TEST_COLOR}, line={"color": TEST_COLOR},
                   hovertemplate="d_k = %{x}<br>Var = %{y:.2f}<extra></extra>"),
        go.Scatter(x=list(dims), y=scaled, mode="markers+lines", name=t("learn_attention.fig.var_scaled"),
                   marker={"size": 9, "color": TRAIN_COLOR}, line={"color": TRAIN_COLOR},
                   hovertemplate="d_k = %{x}<br>Var = %{y:.2f}<extra></extra>"),
    ]
    return go.Figure(traces, layout(t("learn_attention.fig.var_title"), height,
                                    xaxis={"title": {"text": "d<sub>k</sub>"}, "type": "log", "dtick": np.log10(2) * 2},
                                    yaxis={"title": {"text": t("learn_attention.fig.var_y")}, "type": "log", "dtick": 1},
                                    legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.25, "yanchor": "top"},
                                    margin={"l": 70, "r": 20, "t": 50, "b": 120}))


def saturation(s: Saturation, height: int = 380) -> go.Figure:
    """One query's attention weights over the keys: softmax of the raw scores against softmax of the scaled ones."""
    keys = [str(j) for j in range(len(s.scores))]
    traces = [go.Bar(x=keys, y=s.plain, name=t("learn_attention.fig.sat_plain"), marker_color=TEST_COLOR,
                     hovertemplate="%{x}: %{y:.4f}<extra></extra>"),
              go.Bar(x=keys, y=s.scaled, name=t("learn_attention.fig.sat_scaled"), marker_color=TRAIN_COLOR,
                     hovertemplate="%{x}: %{y:.4f}<extra></extra>")]
    return go.Figure(traces, layout(t("learn_attention.fig.sat_title", d_k=s.d_k), height, barmode="group",
                                    xaxis={"title": {"text": t("learn_attention.fig.key")}, "type": "category"},
                                    yaxis={"title": {"text": t("learn_attention.fig.sat_y")}, "range": [0, 1.05]},
                                    legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.3, "yanchor": "top"},
                                    margin={"l": 70, "r": 20, "t": 50, "b": 130}))
