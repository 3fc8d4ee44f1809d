"""Lesson 8's figures: the positional-encoding table as a heatmap and as waves, the dot products between positions,
and the live ablation's accuracy and loss curves."""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from playground.i18n import t
from playground.plots.style import CLASS_COLORS, DIVERGING, SEQUENTIAL, layout

VARIANT_COLORS = {"sinusoidal": "#2563eb", "learned": "#16a34a", "none": "#ea580c"}
_BELOW = {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.22, "yanchor": "top"}  # a legend under the axis title


def table(pe: np.ndarray, title: str, height: int = 420) -> go.Figure:
    """The (positions × d) table: one row per position, one column per dimension, −1 blue … +1 orange."""
    n, d = pe.shape
    m = max(1.0, float(np.abs(pe).max()))
    heat = go.Heatmap(z=pe, x=list(range(d)), y=list(range(n)), colorscale=DIVERGING, zmin=-m, zmax=m,
                      colorbar={"thickness": 12, "len": 0.9, "title": {"text": "PE"}},
                      hovertemplate=t("learn_positions.fig.table_hover") + "<extra></extra>")
    return go.Figure([heat], layout(title, height, margin={"l": 70, "r": 10, "t": 50, "b": 60},
                                    xaxis={"title": {"text": t("learn_positions.fig.dimension")}, "showgrid": False, "zeroline": False},
                                    yaxis={"title": {"text": t("learn_positions.fig.position")}, "autorange": "reversed",
                                           "showgrid": False, "zeroline": False}))


def waves(pe: np.ndarray, dims: Sequence[int], wavelengths: Sequence[float], height: int = 400) -> go.Figure:
    """Chosen columns of the table against the position: sines on even dimensions, cosines on odd ones."""
    positions = np.arange(pe.shape[0])
    traces = []
    for k, (dim, wavelength) in enumerate(zip(dims, wavelengths)):
        kind = "sin" if dim % 2 == 0 else "cos"
        name = t("learn_positions.fig.wave_name", dim=dim, kind=kind, wavelength=f"{wavelength:,.1f}")
        traces.append(go.Scatter(x=positions, y=pe[:, dim], mode="lines+markers", name=name, marker={"size": 4},
                                 line={"color": CLASS_COLORS[k % len(CLASS_COLORS)], "width": 2.5, "dash": "solid" if kind == "sin" else "dot"},
                                 hovertemplate=t("learn_positions.fig.wave_hover", dim=dim) + "<extra></extra>"))
    return go.Figure(traces, layout(t("learn_positions.fig.waves_title"), height, legend=_BELOW,
                                    margin={"l": 70, "r": 20, "t": 50, "b": 140},
                                    xaxis={"title": {"text": t("learn_positions.fig.position")}},
                                    yaxis={"title": {"text": t("learn_positions.fig.value")}, "range": [-1.1, 1.1]}))


def similarity(sim: np.ndarray, title: str, height: int = 460) -> go.Figure:
    """PE(p) · PE(q) for every pair of positions."""
    n = sim.shape[0]
    heat = go.Heatmap(z=sim, x=list(range(n)), y=list(range(n)), colorscale=SEQUENTIAL,
                      colorbar={"thickness": 12, "len": 0.9}, hovertemplate=t("learn_positions.fig.sim_hover") + "<extra></extra>")
    return go.Figure([heat], layout(title, height, margin={"l": 70, "r": 10, "t": 50, "b": 60},
                                    xaxis={"title": {"text": t("learn_positions.fig.position_q")}, "showgrid": False, "zeroline": False},
                                    yaxis={"title": {"text": t("learn_positions.fig.position_p")}, "autorange": "reversed",
                                           "showgrid": False, "zeroline": False}))


def offsets(k: np.ndarray, curve: np.ndarray, rows: Mapping[int, tuple[np.ndarray, np.ndarray]], height: int = 460) -> go.Figure:
    """Σ_i cos(k ω_i) against the offset k, and rows p of the dot-product table plotted at k = q − p: one curve."""
    traces = [go.Scatter(x=k, y=curve, mode="lines", name=t("learn_positions.fig.offset_formula"),
                         line={"color": "#0f172a", "width": 2}, hovertemplate="k = %{x}: %{y:.3f}<extra></extra>")]
    for j, (p, (ks, values)) in enumerate(rows.items()):
        traces.append(go.Scatter(x=ks, y=values, mode="markers", name=t("learn_positions.fig.offset_row", p=p),
                                 marker={"size": 7, "color": CLASS_COLORS[(j + 1) % len(CLASS_COLORS)], "opacity": 0.75},
                                 hovertemplate="k = %{x}: %{y:.3f}<extra></extra>"))
    return go.Figure(traces, layout(t("learn_positions.fig.offset_title"), height, legend=_BELOW,
                                    margin={"l": 70, "r": 20, "t": 50, "b": 140},
                                    xaxis={"title": {"text": t("learn_positions.fig.offset")}},
                                    yaxis={"title": {"text": t("learn_positions.fig.dot")}}))


def accuracy(curves: Mapping[str, Sequence[float]], epochs: int, chance: float, ceiling: float, height: int = 420) -> go.Figure:
    """Per-token test accuracy after each epoch, one line per arm; dashed: uniform guessing and the position-blind best."""
    traces = [
        go.Scatter(x=[1, epochs], y=[chance, chance], mode="lines", name=t("learn_positions.fig.chance", value=chance),
                   line={"color": "#94a3b8", "dash": "dot", "width": 2}, hoverinfo="skip"),
        go.Scatter(x=[1, epochs], y=[ceiling, ceiling], mode="lines", name=t("learn_positions.fig.ceiling", value=ceiling),
                   line={"color": VARIANT_COLORS["none"], "dash": "dash", "width": 2}, hoverinfo="skip"),
    ]
    for kind, values in curves.items():
        traces.append(go.Scatter(x=list(range(1, len(values) + 1)), y=list(values), mode="lines+markers",
                                 name=t(f"learn_positions.fig.arm_{kind}"), line={"color": VARIANT_COLORS[kind], "width": 3},
                                 marker={"size": 7}, hovertemplate=t("learn_positions.fig.acc_hover") + "<extra></extra>"))
    return go.Figure(traces, layout(t("learn_positions.fig.acc_title"), height, legend=_BELOW,
                                    margin={"l": 70, "r": 20, "t": 50, "b": 150},
                                    xaxis={"title": {"text": t("learn_positions.fig.epoch")}, "range": [0.5, epochs + 0.5], "dtick": 2},
                                    yaxis={"title": {"text": t("learn_positions.fig.accuracy")}, "range": [0, 1.04], "tickformat": ".0%"}))


def losses(curves: Mapping[str, tuple[Sequence[int], Sequence[float]]], total_steps: int, height: int = 420) -> go.Figure:
    """The training loss of every batch, one line per arm."""
    traces = [go.Scatter(x=list(steps), y=list(values), mode="lines", name=t(f"learn_positions.fig.arm_{kind}"),
                         line={"color": VARIANT_COLORS[kind], "width": 2}, hovertemplate=t("learn_positions.fig.loss_hover") + "<extra></extra>")
              for kind, (steps, values) in curves.items()]
    return go.Figure(traces, layout(t("learn_positions.fig.loss_title"), height, legend=_BELOW,
                                    margin={"l": 70, "r": 20, "t": 50, "b": 150},
                                    xaxis={"title": {"text": t("learn_positions.fig.batch")}, "range": [0, total_steps]},
                                    yaxis={"title": {"text": t("learn_positions.fig.loss")}, "rangemode": "tozero"}))
