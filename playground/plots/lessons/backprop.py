"""Lesson 3's figures: the 2-2-1 network with its numbers, the loss over gradient-descent steps, and optimizer paths
on a 2-D loss surface."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from playground.i18n import t
from playground.lessons.backprop import Landscape, OptimizerPath, Pass, Surface
from playground.plots.style import FONT_SIZE, class_color, layout

_LAYERS_X = (0.0, 1.0, 2.0)
_NODE_Y = {0: (0.8, 0.2), 1: (0.8, 0.2), 2: (0.5,)}
_INK, _MUTED, _GRAD = "#0f172a", "#475569", "#b91c1c"
OPTIMIZER_COLORS = {"SGD": class_color(0), "momentum": class_color(1), "Adam": class_color(2)}


def _value_and_grad(name: str, value: float, grad: float) -> str:
    return f"{name} = {value:.3f}<br><span style='color:{_GRAD}'>∂L/∂{name} = {grad:.3f}</span>"


def _note(x: float, y: float, text: str, **style) -> dict:
    return {"x": x, "y": y, "xref": "x", "yref": "y", "text": text, "showarrow": False, "font": {"color": _INK},
            **style}


def _edges(p: Pass) -> tuple[list[go.Scatter], list[dict]]:
    """Every connection as a line, its weight and gradient written on it: straight ones half-way, crossing ones near
    their start (the crossing edges meet in the middle)."""
    lines, notes = [], []
    for layer, (weights, grads) in enumerate(((p.w.W1, p.grads.W1), (p.w.W2, p.grads.W2))):
        x0, x1 = _LAYERS_X[layer], _LAYERS_X[layer + 1]
        for j, y1 in enumerate(_NODE_Y[layer + 1]):
            for i, y0 in enumerate(_NODE_Y[layer]):
                lines.append(go.Scatter(x=[x0, x1], y=[y0, y1], mode="lines", line={"color": "#94a3b8", "width": 2},
                                        hoverinfo="skip", showlegend=False))
                share = 0.5 if y0 == y1 or layer == 1 else 0.27
                notes.append(_note(x0 + share * (x1 - x0), y0 + share * (y1 - y0), _value_and_grad("w", weights[j, i], grads[j, i]),
                                   bgcolor="rgba(255,255,255,0.92)", borderpad=2))
    return lines, notes


def network_diagram(p: Pass, height: int = 440) -> go.Figure:
    """x → (z, a = tanh z) → ŷ, each node with its values, each weight and bias with its gradient (red)."""
    lines, notes = _edges(p)
    xs = [_LAYERS_X[layer] for layer in (0, 1, 2) for _ in _NODE_Y[layer]]
    ys = [y for layer in (0, 1, 2) for y in _NODE_Y[layer]]
    nodes = go.Scatter(x=xs, y=ys, mode="markers", hoverinfo="skip", showlegend=False,
                       marker={"size": 26, "color": ["#dbeafe"] * 2 + ["#dcfce7"] * 2 + ["#ffedd5"],
                               "line": {"color": _INK, "width": 1.5}})
    for i, y in enumerate(_NODE_Y[0]):
        notes.append(_note(-0.07, y, f"x{'₁₂'[i]} = {p.x[i]:.3f}", xanchor="right"))
    for j, y in enumerate(_NODE_Y[1]):
        text = f"z{'₁₂'[j]} = {p.z1[j]:.3f}<br>a{'₁₂'[j]} = {p.a1[j]:.3f}<br>" + _value_and_grad("b", p.w.b1[j], p.grads.b1[j])
        notes.append(_note(1.0, y, text, yanchor="bottom" if j == 0 else "top", yshift=16 if j == 0 else -16))
    out = f"ŷ = {p.y_hat:.3f}<br>y = {p.y:g}<br>L = {p.loss:.4f}<br>" + _value_and_grad("b", p.w.b2[0], p.grads.b2[0])
    notes.append(_note(2.07, 0.5, out, xanchor="left", align="left"))
    heads = [{"x": x, "y": 1.0, "xref": "x", "yref": "paper", "yanchor": "bottom", "showarrow": False,
              "text": f"<b>{t(f'learn_backprop.fig.{key}')}</b>", "font": {"color": _MUTED}}
             for x, key in zip(_LAYERS_X, ("input", "hidden", "output"))]
    axis = {"visible": False, "fixedrange": True}
    fig = go.Figure(lines + [nodes], layout(None, height, annotations=notes + heads, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                                            xaxis={**axis, "range": [-0.6, 2.6]}, yaxis={**axis, "range": [-0.22, 1.22]}))
    # Every label takes the figure's font size, so presentation mode (which scales that size) enlarges them all
    return fig.update_layout(font={"size": FONT_SIZE - 2})


def loss_history(losses: list[float], height: int = 340) -> go.Figure:
    """The sample's loss after each gradient-descent step (step 0: the initial weights), on a log scale: a loss falling
    towards 0 and one blowing up both stay in view."""
    steps = list(range(len(losses)))
    line = go.Scatter(x=steps, y=losses, mode="lines+markers", line={"color": class_color(0), "width": 3}, marker={"size": 7},
                      showlegend=False, hovertemplate=t("learn_backprop.fig.step_hover") + "<extra></extra>")
    return go.Figure([line], layout(t("learn_backprop.fig.history_title"), height,
                                    xaxis={"title": {"text": t("learn_backprop.fig.step")}, "range": [-0.3, max(10, len(losses) - 1) + 0.3]},
                                    yaxis={"title": {"text": t("learn_backprop.fig.loss_log")}, "type": "log", "exponentformat": "power"}))


def _path_trace(path: OptimizerPath, label: str) -> go.Scatter:
    return go.Scatter(x=path.w[:, 0], y=path.w[:, 1], mode="lines+markers", name=label, legendgroup=path.name,
                      line={"color": OPTIMIZER_COLORS[path.name], "width": 2.5}, marker={"size": 5},
                      hovertemplate=f"{label}<br>w₁ = %{{x:.3f}}<br>w₂ = %{{y:.3f}}<extra></extra>")


def optimizer_paths(surface: Surface, land: Landscape, paths: list[OptimizerPath], labels: list[str], height: int = 480) -> go.Figure:
    """The loss surface as contours (log scale), each optimizer's path over it, the start and the minimum marked."""
    levels = go.Contour(x=land.w1, y=land.w2, z=np.log10(land.loss + 1e-3), colorscale="Greys", reversescale=True, opacity=0.55,
                        contours={"coloring": "fill", "showlines": True}, line={"width": 0.5, "color": "#cbd5e1"},
                        colorbar={"title": {"text": t("learn_backprop.fig.log_loss"), "side": "top"}, "thickness": 12, "len": 0.8},
                        hovertemplate="w₁ = %{x:.2f}<br>w₂ = %{y:.2f}<br>log₁₀ L = %{z:.2f}<extra></extra>")
    marks = go.Scatter(x=[surface.start[0], surface.minimum[0]], y=[surface.start[1], surface.minimum[1]], mode="markers+text",
                       text=[t("learn_backprop.fig.start"), t("learn_backprop.fig.minimum")], textposition=["top center", "bottom center"],
                       marker={"symbol": ["star", "x"], "size": 15, "color": _INK}, showlegend=False, hoverinfo="skip",
                       textfont={"size": FONT_SIZE - 1, "color": _INK})
    (lo1, hi1), (lo2, hi2) = surface.box
    return go.Figure([levels] + [_path_trace(p, label) for p, label in zip(paths, labels)] + [marks],
                     layout(t("learn_backprop.fig.paths_title"), height, margin={"l": 60, "r": 20, "t": 50, "b": 120},
                            xaxis={"title": {"text": "w₁"}, "range": [lo1, hi1]}, yaxis={"title": {"text": "w₂"}, "range": [lo2, hi2]},
                            legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.18, "yanchor": "top"}))


def optimizer_losses(paths: list[OptimizerPath], labels: list[str], height: int = 380) -> go.Figure:
    """The loss at each step of each optimizer, on a log scale; a diverged run ends where it left the bowl."""
    traces = [go.Scatter(x=np.arange(len(p.loss)), y=p.loss, mode="lines", name=label, legendgroup=p.name,
                         line={"color": OPTIMIZER_COLORS[p.name], "width": 2.5},
                         hovertemplate=f"{label}<br>{t('learn_backprop.fig.step')} %{{x}}<br>L = %{{y:.3g}}<extra></extra>")
              for p, label in zip(paths, labels)]
    return go.Figure(traces, layout(t("learn_backprop.fig.losses_title"), height, margin={"l": 70, "r": 20, "t": 50, "b": 100},
                                    xaxis={"title": {"text": t("learn_backprop.fig.step")}},
                                    yaxis={"title": {"text": t("learn_backprop.fig.loss_log")}, "type": "log", "exponentformat": "power", "dtick": 1},
                                    legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.18, "yanchor": "top"}))
