"""Lesson 1's figures: activation curves with their derivatives, and one neuron's output over the input plane."""
from __future__ import annotations

import plotly.graph_objects as go

from playground.i18n import t
from playground.lessons.neurons import SATURATED, Curve, Surface
from playground.plots.style import DIVERGING, class_color, layout


def _rgba(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def activation_curves(curves: list[Curve], height: int = 500) -> go.Figure:
    """Each activation f(x) (solid) and its derivative f′(x) (dashed, same colour); where |f′| is nearly 0, shaded."""
    traces, shapes = [], []
    for i, c in enumerate(curves):
        color = class_color(i)
        traces.append(go.Scatter(x=c.x, y=c.y, mode="lines", name=c.name, line={"color": color, "width": 3},
                                 hovertemplate=f"{c.name}<br>x = %{{x:.2f}}<br>f(x) = %{{y:.3f}}<extra></extra>"))
        traces.append(go.Scatter(x=c.x, y=c.dy, mode="lines", name=f"{c.name}′", line={"color": color, "width": 2, "dash": "dash"},
                                 hovertemplate=f"{c.name}′<br>x = %{{x:.2f}}<br>f′(x) = %{{y:.3f}}<extra></extra>"))
        shapes += [{"type": "rect", "xref": "x", "yref": "paper", "x0": lo, "x1": hi, "y0": 0, "y1": 1, "line": {"width": 0},
                    "fillcolor": _rgba(color, 0.08), "layer": "below"} for lo, hi in c.saturated()]
    note = {"text": t("learn_neurons.fig.shaded", threshold=SATURATED), "xref": "paper", "yref": "paper", "x": 0, "y": -0.36,
            "showarrow": False, "xanchor": "left", "font": {"size": 13, "color": "#475569"}}
    return go.Figure(traces, layout(t("learn_neurons.fig.activations_title"), height,
                                    xaxis={"title": {"text": "x"}, "zeroline": True},
                                    yaxis={"title": {"text": t("learn_neurons.fig.activations_y")}, "range": [-1.6, 3.1], "zeroline": True},
                                    shapes=shapes, annotations=[note], margin={"l": 60, "r": 20, "t": 50, "b": 130},
                                    legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.17, "yanchor": "top"}))


def neuron_surface(s: Surface, height: int = 420) -> go.Figure:
    """y = f(w·x + b) over the plane, with the line where the neuron is half way (its decision boundary)."""
    heat = go.Heatmap(x=s.x1, y=s.x2, z=s.z, colorscale=DIVERGING, zmid=s.level,
                      colorbar={"title": {"text": t("learn_neurons.fig.output"), "side": "right"}},
                      hovertemplate="x₁ = %{x:.2f}<br>x₂ = %{y:.2f}<br>y = %{z:.3f}<extra></extra>")
    line = go.Contour(x=s.x1, y=s.x2, z=s.z, contours={"start": s.level, "end": s.level, "size": 1, "coloring": "none"},
                      line={"color": "#0f172a", "width": 2, "dash": "dot"}, showscale=False, hoverinfo="skip",
                      name=t("learn_neurons.fig.boundary"), showlegend=True)
    return go.Figure([heat, line], layout(t("learn_neurons.fig.neuron_title"), height, xaxis={"title": {"text": "x₁"}, "constrain": "domain"},
                                          yaxis={"title": {"text": "x₂"}, "scaleanchor": "x"}, margin={"l": 60, "r": 20, "t": 50, "b": 90},
                                          legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.18, "yanchor": "top"}))
