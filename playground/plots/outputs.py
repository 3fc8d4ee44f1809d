"""What a layer or the whole model outputs for one sample: any layer's output by its shape, and the prediction."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from playground.i18n import t
from playground.inspection.trace import LayerTrace
from playground.plots.conv import feature_maps
from playground.plots.panels import SMALL, colorbar, dims, family_color, pct, scale, token_axis
from playground.plots.style import ATTENTION, TEST_COLOR, TRAIN_COLOR, base_layout


def layer_output(layer: LayerTrace, tokens: Sequence[str] | None = None, max_channels: int = 16) -> go.Figure:
    """Any layer's output, drawn by its shape: feature maps, a sequence heatmap or a bar per unit."""
    out = np.asarray(layer.output)
    if out.ndim == 3:
        return feature_maps(layer, max_channels)
    if out.ndim == 2:
        return _matrix(layer, out, tokens)
    values = out.reshape(-1)
    fig = go.Figure(go.Bar(x=np.arange(len(values)), y=values, marker_color=family_color(layer.type),
                           hovertemplate=t("plots.outputs.unit_hover") + "<extra></extra>"))
    base_layout(fig, t("plots.outputs.units_title", label=layer.label, count=len(values)), height=300)
    fig.update_xaxes(title_text=t("plots.outputs.unit"))
    fig.update_yaxes(title_text=t("plots.outputs.output_value"))
    return fig


def _matrix(layer: LayerTrace, out: np.ndarray, tokens: Sequence[str] | None) -> go.Figure:
    """(C, L) after Conv1d: a row per channel; (T, d) sequences: a column per position, a row per feature."""
    channels_first = layer.kind == "channels"
    z = out if channels_first else out.T
    labels = tokens if not channels_first else None
    row = t("plots.outputs.channel") if channels_first else t("plots.outputs.feature")
    fig = go.Figure(go.Heatmap(z=z, coloraxis="coloraxis",
                               hovertemplate=t("plots.outputs.cell_hover", row=row) + "<extra></extra>"))
    fig.update_layout(coloraxis={**scale(z), "colorbar": colorbar(t("plots.common.value"))})
    base_layout(fig, t("plots.outputs.output_title", label=layer.label, shape=dims(out.shape)),
                height=max(260, min(560, 60 + 9 * z.shape[0])))
    x_title = t("plots.outputs.position_token") if labels is not None else t("plots.outputs.position")
    fig.update_xaxes(**token_axis(labels, z.shape[1], x_title))
    fig.update_yaxes(title_text=row, autorange="reversed", showgrid=False, zeroline=False)
    return fig


def class_probabilities(probs: np.ndarray, class_names: Sequence[str], true: int | None = None) -> go.Figure:
    """A bar per class; the predicted class is coloured, the true class (if known) is marked."""
    p = np.asarray(probs, dtype=float)
    names = list(class_names)
    pred = int(p.argmax())
    colors = [TRAIN_COLOR if k == pred else "#cbd5e1" for k in range(len(p))]
    labels = [pct(v) if v >= 0.05 or k == pred else "" for k, v in enumerate(p)]  # ten "0 %" would only crowd
    fig = go.Figure(go.Bar(x=names, y=p, marker_color=colors, text=labels, textposition="outside",
                           cliponaxis=False, constraintext="none", textfont={"size": SMALL - 1 if len(p) > 6 else SMALL},
                           hovertemplate=t("plots.outputs.class_hover") + "<extra></extra>"))
    if true is not None:
        fig.add_annotation(x=names[true], y=p[true], text=t("plots.outputs.true"), yshift=40, showarrow=False,
                           font={"color": TEST_COLOR, "size": SMALL})
    base_layout(fig, t("plots.outputs.prediction_title", name=names[pred], p=pct(p[pred])), height=320)
    fig.update_xaxes(title_text=t("plots.outputs.class"), type="category")
    fig.update_yaxes(title_text=t("plots.outputs.probability"), range=[0, 1.25], tickvals=[0, 0.25, 0.5, 0.75, 1],
                     tickformat=".0%")
    return fig


def token_probabilities(probs: np.ndarray, tokens: Sequence[str], class_names: Sequence[str],
                        targets: Sequence[int] | None = None) -> go.Figure:
    """Per position, the probability of every output token (rows); circles mark the targets when known.
    `class_names` are display labels (see inspection.class_labels)."""
    p = np.asarray(probs, dtype=float).T  # (classes, T)
    names = list(class_names)
    fig = go.Figure(go.Heatmap(z=p, colorscale=ATTENTION, zmin=0, zmax=1, colorbar=colorbar(t("plots.outputs.probability")),
                               customdata=np.array(names, dtype=object)[:, None].repeat(p.shape[1], 1),
                               hovertemplate=t("plots.outputs.token_hover") + "<extra></extra>"))
    if targets is not None:
        fig.add_trace(go.Scatter(x=list(range(len(targets))), y=list(targets), mode="markers",
                                 name=t("plots.outputs.target"),
                                 marker={"symbol": "circle-open", "size": 14, "color": TEST_COLOR, "line": {"width": 2.5}},
                                 hovertemplate=t("plots.outputs.target_hover") + "<extra></extra>"))
    base_layout(fig, t("plots.outputs.per_position_title"), height=max(280, min(640, 80 + 16 * len(names))))
    fig.update_xaxes(**token_axis(tokens, p.shape[1], t("plots.outputs.position_token")))
    fig.update_yaxes(title_text=t("plots.outputs.output_token"), tickmode="array", tickvals=list(range(len(names))),
                     ticktext=names, autorange="reversed", showgrid=False, zeroline=False,
                     tickfont={"size": SMALL if len(names) <= 16 else 10})
    return fig


def forecast(x: np.ndarray, predicted: float, true: float | None = None) -> go.Figure:
    """A sequence of values (the first feature) and, one step after it, the model's next value and the true one."""
    values = np.asarray(x, dtype=float).reshape(len(x), -1)[:, 0]
    n = len(values)
    traces = [go.Scatter(x=list(range(n)), y=values, mode="lines+markers", name=t("plots.outputs.input_series"),
                         line={"color": "#64748b", "width": 2}, hovertemplate="t = %{x}: %{y:.3f}<extra></extra>"),
              go.Scatter(x=[n], y=[predicted], mode="markers", name=t("plots.outputs.predicted"),
                         marker={"color": TRAIN_COLOR, "size": 13}, hovertemplate="t = %{x}: %{y:.3f}<extra></extra>")]
    if true is not None:
        traces.append(go.Scatter(x=[n], y=[true], mode="markers", name=t("plots.outputs.true_value"),
                                 marker={"color": TEST_COLOR, "size": 13, "symbol": "circle-open", "line": {"width": 3}},
                                 hovertemplate="t = %{x}: %{y:.3f}<extra></extra>"))
    fig = go.Figure(traces)
    base_layout(fig, t("plots.outputs.forecast_title"), height=320,
                legend={"orientation": "h", "yanchor": "top", "y": -0.3, "xanchor": "left", "x": 0.0},
                margin={"l": 60, "r": 20, "t": 50, "b": 100})
    fig.update_xaxes(title_text=t("plots.recurrent.time"))
    fig.update_yaxes(title_text=t("plots.common.value"))
    return fig
