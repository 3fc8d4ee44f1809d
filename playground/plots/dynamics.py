"""Training-health figures: gradient norms per layer over the epochs, weight and activation histograms, dead ReLUs."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from playground.i18n import t
from playground.inspection.dynamics import ActivationStats, WeightStats
from playground.plots.panels import SMALL, axis_key, compose, family_color, grid, histogram_bar, message, pct
from playground.plots.style import FAMILY_COLORS, base_layout, class_color


def grad_norms(history: dict[str, np.ndarray], epochs: Sequence[int] | None = None) -> go.Figure:
    """Gradient norm per layer and epoch, log scale: vanishing gradients sink, exploding ones climb."""
    fig = go.Figure()
    for k, (label, values) in enumerate(history.items()):
        v = np.asarray(values, dtype=float)
        v = np.where(v > 0, v, np.nan)  # a zero norm has no logarithm
        x = list(epochs) if epochs is not None else list(range(1, len(v) + 1))
        fig.add_trace(go.Scatter(x=x, y=v, mode="lines+markers" if len(v) < 40 else "lines", name=label,
                                 line={"color": class_color(k), "width": 2.5},
                                 hovertemplate=f"{label}<br>" + t("plots.dynamics.grad_hover") + "<extra></extra>"))
    # legend under the plot: beside the title it collides with it in a narrow column
    base_layout(fig, t("plots.dynamics.grad_title"), height=420,
                legend={"orientation": "h", "yanchor": "top", "y": -0.25, "xanchor": "left", "x": 0.0},
                margin={"l": 60, "r": 20, "t": 50, "b": 110})
    longest = max((len(v) for v in history.values()), default=1)
    fig.update_xaxes(title_text=t("plots.dynamics.epoch"), dtick=max(1, math.ceil(longest / 10)))
    fig.update_yaxes(title_text=t("plots.dynamics.grad_axis"), type="log", exponentformat="power")
    return fig


def _histograms(stats: Sequence[ActivationStats | WeightStats], value: str, title: str, empty: str) -> go.Figure:
    if not stats:
        return message(title, empty)
    cols = min(len(stats), 3)  # three panels a row keep their titles apart on a 1024-px projector
    titles = []
    for s in stats:
        dead = getattr(s, "dead_fraction", None)
        name = t("plots.dynamics.dead_share", label=s.label, share=pct(dead)) if dead is not None else s.label
        titles.append(f"{name}<br>μ {s.mean:.2f} · σ {s.std:.2f}")  # μ and σ as in the formula above the figure
    layout, notes, refs, height = grid(titles, cols, 150, square=False, reverse_y=False, ticks=True, gap=62, bottom=62,
                                       title_h=44)
    traces = []
    for k, (s, (xr, yr)) in enumerate(zip(stats, refs)):
        hover = f"{s.label}<br>{value} %{{x:.3f}}: %{{y}}<extra></extra>"
        traces.append(histogram_bar(s.values, family_color(s.type), hover, xaxis=xr, yaxis=yr))
        layout[axis_key(xr)]["title"] = {"text": value, "font": {"size": SMALL}}
        if k % cols == 0:
            layout[axis_key(yr)]["title"] = {"text": t("plots.dynamics.count"), "font": {"size": SMALL}}
    layout["bargap"] = 0
    return compose(traces, layout, notes, title, height, bottom=62, left=60)


def weight_histograms(stats: Sequence[WeightStats]) -> go.Figure:
    """How each layer's weights are spread (biases and norm gains left out)."""
    return _histograms(stats, t("plots.dynamics.weight_value"), t("plots.dynamics.weights_title"),
                       t("plots.dynamics.no_weights"))


def activation_histograms(stats: Sequence[ActivationStats]) -> go.Figure:
    """How each layer's outputs are spread over a batch of samples."""
    return _histograms(stats, t("plots.dynamics.output_value"), t("plots.dynamics.activations_title"),
                       t("plots.dynamics.no_outputs"))


def dead_relu(stats: Sequence[ActivationStats]) -> go.Figure:
    """Per ReLU layer, the share of units that output 0 for every sample in the batch."""
    relus = [s for s in stats if s.units is not None]
    if not relus:
        return message(t("plots.dynamics.dead_title"), t("plots.dynamics.no_relu"))
    fig = go.Figure(go.Bar(x=[s.label for s in relus], y=[100 * s.dead_fraction for s in relus],
                           text=[t("plots.dynamics.n_of", n=len(s.dead_units), total=s.units) for s in relus],
                           textposition="outside", cliponaxis=False, marker_color=FAMILY_COLORS["activation"],
                           hovertemplate=t("plots.dynamics.dead_hover") + "<extra></extra>"))
    base_layout(fig, t("plots.dynamics.dead_title"), height=320)
    fig.update_xaxes(title_text=t("plots.dynamics.layer"), type="category")
    fig.update_yaxes(title_text=t("plots.dynamics.dead_axis"), range=[0, 110])
    return fig
