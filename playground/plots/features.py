"""The input features' thumbnails: one small map per feature over the input plane, side by side."""
from __future__ import annotations

import plotly.graph_objects as go

from playground.features import FeatureMaps
from playground.plots.style import DIVERGING, layout

NAMES = {"x1": "x₁", "x2": "x₂", "x1^2": "x₁²", "x2^2": "x₂²", "x1*x2": "x₁x₂", "sin(x1)": "sin x₁", "sin(x2)": "sin x₂"}


def feature_thumbnails(fm: FeatureMaps, chosen: list[str], height: int = 120) -> go.Figure:
    """Each feature's value (blue negative, orange positive); a chosen feature is framed, the others faded."""
    names = list(fm.maps)
    gap = 0.02
    width = (1 - gap * (len(names) - 1)) / len(names)
    traces, axes, shapes, notes = [], {}, [], []
    for i, name in enumerate(names):
        x0 = i * (width + gap)
        ref = "" if i == 0 else str(i + 1)
        z = fm.maps[name]
        scale = float(abs(z).max()) or 1.0
        traces.append(go.Heatmap(x=fm.axis1, y=fm.axis2, z=z, colorscale=DIVERGING, zmin=-scale, zmax=scale, showscale=False,
                                 xaxis=f"x{ref}", yaxis=f"y{ref}", opacity=1.0 if name in chosen else 0.35,
                                 hovertemplate=f"{NAMES[name]} = %{{z:.2f}}<br>x₁ = %{{x:.1f}}, x₂ = %{{y:.1f}}<extra></extra>"))
        axes[f"xaxis{ref}"] = {"domain": [x0, x0 + width], "visible": False}
        axes[f"yaxis{ref}"] = {"domain": [0, 0.8], "visible": False}
        notes.append({"text": NAMES[name], "x": x0 + width / 2, "y": 1.0, "xref": "paper", "yref": "paper", "showarrow": False,
                      "font": {"size": 15, "color": "#0f172a" if name in chosen else "#94a3b8"}, "yanchor": "top"})
        if name in chosen:
            shapes.append({"type": "rect", "xref": "paper", "yref": "paper", "x0": x0, "x1": x0 + width, "y0": 0, "y1": 0.8,
                           "line": {"color": "#2563eb", "width": 3}})
    return go.Figure(traces, layout(None, height, margin={"l": 0, "r": 0, "t": 0, "b": 0}, annotations=notes, shapes=shapes, **axes))
