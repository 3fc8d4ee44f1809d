"""Dense networks over their input space (TensorFlow Playground's view): the decision map behind the data,
the prediction curve, and every hidden neuron over the same inputs."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import hex_to_rgb

from playground.i18n import t
from playground.inspection.maps import Curve, Grid, NeuronLayer
from playground.layers import LAYERS
from playground.plots.panels import SMALL, axis_key, colorbar, compose, family_color, grid, message
from playground.plots.style import DIVERGING, SEQUENTIAL, TEST_COLOR, TRAIN_COLOR, base_layout, class_color


def _hidden_layers(neurons: list[NeuronLayer], include_linear: bool) -> list[NeuronLayer]:
    chosen = [nl for nl in neurons if include_linear or LAYERS[nl.type].family == "activation"]
    return chosen or list(neurons)


def neuron_thumbnails(grid_: Grid, include_linear: bool = False, size: int = 40) -> go.Figure:
    """Every hidden neuron's output over the input plane: a row per layer (input at the top), a thumbnail per
    neuron, as TensorFlow Playground draws its network."""
    layers = _hidden_layers(grid_.neurons, include_linear)
    if not layers:
        return message(t("plots.dense.neurons"), t("plots.dense.no_hidden"))
    step = max(1, math.ceil(len(grid_.xs) / size))
    thumbs = [nl.values[:, ::step, ::step][:, ::-1] for nl in layers]  # flipped: larger x2 at the top
    r, c = thumbs[0].shape[1:]
    cols, gap = max(len(th) for th in thumbs), max(2, r // 5)
    mosaic = np.full((len(thumbs) * (r + 2 * gap) - 2 * gap, cols * (c + gap) - gap), np.nan, dtype=np.float32)
    for k, th in enumerate(thumbs):
        peak = float(np.abs(th).max()) or 1.0  # each layer on its own ±max scale, so the shapes show
        for u, img in enumerate(th):
            top, left = k * (r + 2 * gap), u * (c + gap)
            mosaic[top:top + r, left:left + c] = img / peak
    fig = go.Figure(go.Heatmap(z=mosaic, colorscale=DIVERGING, zmin=-1, zmax=1, hoverinfo="skip", hoverongaps=False,
                               colorbar={"title": {"text": t("plots.dense.scaled_output"), "side": "top"},
                                         "orientation": "h", "y": -0.12, "yanchor": "top", "len": 0.5,
                                         "thickness": 12}))
    aspect = mosaic.shape[0] / mosaic.shape[1]
    base_layout(fig, t("plots.dense.thumbnails_title"), height=int(min(720, max(260, 220 + 640 * aspect))),
                plot_bgcolor="#ffffff", margin={"l": 90, "r": 20, "t": 50, "b": 110})  # white: the gaps
    fig.update_xaxes(title_text=t("plots.dense.neuron"), tickmode="array", showgrid=False, zeroline=False, side="top",
                     tickvals=[u * (c + gap) + (c - 1) / 2 for u in range(cols)], ticktext=[str(u) for u in range(cols)],
                     constrain="domain")
    fig.update_yaxes(title_text=t("plots.dense.layer_axis"), tickmode="array", autorange="reversed", showgrid=False,
                     zeroline=False, tickvals=[k * (r + 2 * gap) + (r - 1) / 2 for k in range(len(thumbs))],
                     ticktext=[nl.label.replace(" ", "<br>") for nl in layers], scaleanchor="x", constrain="domain")
    return fig


def decision_boundary(grid_: Grid, x_train, y_train, x_test=None, y_test=None, task: str | None = None,
                      class_names: Sequence[str] | None = None, show_test: bool = True,
                      title: str | None = None) -> go.Figure:
    """The model's answer over the plane behind the data points: train filled with a white rim, test with a dark rim."""
    task = task or grid_.task
    names = list(class_names or grid_.class_names or [str(k) for k in range(int(np.nanmax(grid_.output)) + 2)])
    fx, fy = grid_.feature_names
    hover = f"{fx} %{{x:.2f}}, {fy} %{{y:.2f}}<br>"
    traces = [_background(grid_, task, names, hover)]
    sets = [(t("plots.common.train"), x_train, y_train, "#ffffff")]
    if show_test and x_test is not None:
        sets.append((t("plots.common.test"), x_test, y_test, "#111827"))
    for split, x, y, rim in sets:
        traces += _points(split, np.asarray(x, dtype=float), np.asarray(y), rim, task, names, hover)
    fig = go.Figure(traces)
    if task == "regression":
        both = np.concatenate([grid_.output.ravel(), np.asarray(y_train, dtype=float).ravel()])
        fig.update_layout(coloraxis={"colorscale": SEQUENTIAL, "cmin": float(both.min()), "cmax": float(both.max()),
                                     "colorbar": colorbar(t("plots.common.value"))})
    # legend under the plot: beside the title it collides with it in a narrow column
    base_layout(fig, title or t("plots.dense.boundary"), height=480,
                legend={"orientation": "h", "yanchor": "top", "y": -0.2, "xanchor": "left", "x": 0.0},
                margin={"l": 60, "r": 20, "t": 50, "b": 95})
    dx, dy = grid_.xs[1] - grid_.xs[0], grid_.ys[1] - grid_.ys[0]
    fig.update_xaxes(title_text=fx, range=[grid_.xs[0] - dx / 2, grid_.xs[-1] + dx / 2], showgrid=False, zeroline=False,
                     constrain="domain")
    fig.update_yaxes(title_text=fy, range=[grid_.ys[0] - dy / 2, grid_.ys[-1] + dy / 2], autorange=False, showgrid=False,
                     zeroline=False, scaleanchor="x", constrain="domain")
    return fig


def _background(grid_: Grid, task: str, names: list[str], hover: str):
    """P(class 1) on a diverging scale, the predicted class's colour, or the predicted value."""
    if task == "binary":
        p1 = t("plots.dense.p_class", name=names[1])
        return go.Heatmap(x=grid_.xs, y=grid_.ys, z=grid_.output, colorscale=DIVERGING, zmin=0, zmax=1, opacity=0.5,
                          colorbar=colorbar(p1, tickformat=".0%"), hovertemplate=hover + f"{p1} = %{{z:.0%}}<extra></extra>")
    if task == "multiclass":
        return _class_image(grid_)
    return go.Heatmap(x=grid_.xs, y=grid_.ys, z=grid_.output, coloraxis="coloraxis",
                      hovertemplate=hover + t("plots.dense.prediction_hover") + "<extra></extra>")


def _points(split: str, x: np.ndarray, y: np.ndarray, rim: str, task: str, names: list[str], hover: str) -> list:
    if task == "regression":
        return [go.Scatter(x=x[:, 0], y=x[:, 1], mode="markers", name=split,
                           marker={"color": y.reshape(len(y), -1)[:, 0], "coloraxis": "coloraxis", "size": 7,
                                   "line": {"color": rim, "width": 1.2}},
                           hovertemplate=hover + t("plots.dense.target_hover", split=split) + "<extra></extra>")]
    traces = []
    for k, name in enumerate(names):
        mask = y == k
        if mask.any():
            label = t("plots.dense.point_name", split=split, name=name)
            traces.append(go.Scatter(x=x[mask, 0], y=x[mask, 1], mode="markers", name=label,
                                     marker={"color": class_color(k), "size": 8, "line": {"color": rim, "width": 0.8}},
                                     hovertemplate=hover + label + "<extra></extra>"))
    return traces


def _class_image(grid_: Grid) -> go.Image:
    """Each cell in its predicted class's colour, fading to white where the model is unsure."""
    classes = int(grid_.output.max()) + 1
    palette = np.array([hex_to_rgb(class_color(k)) for k in range(max(classes, 1))], float)
    chance = 1.0 / max(classes, 2)
    strength = np.clip((grid_.confidence - chance) / (1 - chance), 0, 1)[..., None] * 0.75 + 0.1
    rgb = 255 * (1 - strength) + palette[grid_.output.astype(int)] * strength
    return go.Image(z=rgb.astype(np.uint8), x0=float(grid_.xs[0]), dx=float(grid_.xs[1] - grid_.xs[0]),
                    y0=float(grid_.ys[0]), dy=float(grid_.ys[1] - grid_.ys[0]), hoverinfo="skip")


def regression_curve(curve: Curve, x_train, y_train, x_test=None, y_test=None, show_test: bool = True,
                     title: str | None = None) -> go.Figure:
    """For one input feature: the model's curve over the data points."""
    traces = []
    sets = [(t("plots.common.train"), x_train, y_train, TRAIN_COLOR)]
    if show_test and x_test is not None:
        sets.append((t("plots.common.test"), x_test, y_test, TEST_COLOR))
    for split, x, y, color in sets:
        x, y = np.asarray(x, dtype=float), np.asarray(y)
        traces.append(go.Scatter(x=x.reshape(len(x), -1)[:, 0], y=y.reshape(len(y), -1)[:, 0].astype(float),
                                 mode="markers", name=split, marker={"color": color, "size": 6, "opacity": 0.6}))
    pred = curve.prediction if curve.prediction.ndim == 1 else curve.prediction[:, 0]
    traces.append(go.Scatter(x=curve.xs, y=pred, mode="lines", name=t("plots.dense.model"),
                             line={"color": "#111827", "width": 3}))
    fig = go.Figure(traces)
    base_layout(fig, title or t("plots.dense.prediction"), height=400)
    fig.update_xaxes(title_text=curve.feature_name)
    fig.update_yaxes(title_text=t("plots.dense.target_axis"))
    return fig


def neuron_curves(curve: Curve, include_linear: bool = False) -> go.Figure:
    """For one input feature: each hidden neuron's output along x, one panel per layer."""
    layers = _hidden_layers(curve.neurons, include_linear)
    if not layers:
        return message(t("plots.dense.neurons"), t("plots.dense.no_hidden"))
    cols = min(len(layers), 4)
    layout, notes, refs, height = grid([nl.label for nl in layers], cols, 170, square=False, reverse_y=False,
                                       ticks=True, gap=60, bottom=60)
    hover = t("plots.dense.curve_hover", x=curve.feature_name)
    traces = []
    for nl, (xr, yr) in zip(layers, refs):
        color = family_color(nl.type)
        for u, values in enumerate(nl.values):
            traces.append(go.Scatter(x=curve.xs, y=values, mode="lines", xaxis=xr, yaxis=yr, showlegend=False,
                                     line={"color": color, "width": 1.5}, opacity=0.7,
                                     hovertemplate=t("plots.dense.neuron_n", u=u) + "<br>" + hover + "<extra></extra>"))
        layout[axis_key(xr)]["title"] = {"text": curve.feature_name, "font": {"size": SMALL}}
        layout[axis_key(yr)]["title"] = {"text": t("plots.dense.output"), "font": {"size": SMALL}}
    return compose(traces, layout, notes, t("plots.dense.curves_title"), height, bottom=60, left=60)
