"""Lesson 4's figures: the padded input with one window, the feature map, pooling, and receptive fields."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from playground.i18n import t
from playground.inspection import ConvStep
from playground.lessons.convolution import Convolution, Field, Pooling
from playground.plots.style import DIVERGING, class_color, layout

# One colour per value of the output-size formula; the lesson's LaTeX uses the same ones.
IMAGE, PADDING, WINDOW, STRIDE = "#2563eb", "#ea580c", "#db2777", "#16a34a"
GREYS = [[0.0, "#ffffff"], [1.0, "#0f172a"]]
_LEGEND = {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.16, "yanchor": "top"}


def _rect(x0: float, y0: float, x1: float, y1: float, color: str, width: float = 2, dash: str = "solid",
          fill: str | None = None, axes: str = "") -> dict:
    return {"type": "rect", "xref": "x" + axes, "yref": "y" + axes, "x0": x0 - 0.5, "x1": x1 + 0.5, "y0": y0 - 0.5,
            "y1": y1 + 0.5, "line": {"color": color, "width": width, "dash": dash}, "fillcolor": fill or "rgba(0,0,0,0)",
            "layer": "above"}


def _key(name: str, color: str, symbol: str = "square", filled: bool = False) -> go.Scatter:
    """A legend entry for a shape drawn with layout shapes (shapes have no legend of their own)."""
    marker = {"symbol": symbol if filled else f"{symbol}-open", "size": 13, "color": color, "line": {"width": 2, "color": color}}
    return go.Scatter(x=[None], y=[None], mode="markers", marker=marker, name=name, hoverinfo="skip")


def _square_axes(first: int, last: int, title_x: str, title_y: str, small: bool, suffix: str = "",
                 domain: tuple[float, float] = (0.0, 1.0)) -> dict:
    """A square panel (x to the right, rows downward) over input indices first..last, laid at `domain` of the width."""
    tick = {"dtick": 1} if small else {}
    common = {"showgrid": False, "zeroline": False, "constrain": "domain", "range": [first - 0.5, last + 0.5], **tick}
    return {f"xaxis{suffix}": {**common, "title": {"text": title_x}, "domain": list(domain), "anchor": f"y{suffix}"},
            f"yaxis{suffix}": {**common, "title": {"text": title_y}, "range": [last + 0.5, first - 0.5], "anchor": f"x{suffix}",
                               "scaleanchor": f"x{suffix}"}}


def _panel_titles(*titles: tuple[str, float], anchor: str = "left") -> list[dict]:
    return [{"text": text, "x": x, "y": 1.0, "xref": "paper", "yref": "paper", "xanchor": anchor, "yanchor": "bottom",
             "showarrow": False, "font": {"size": 15, "color": "#0f172a"}} for text, x in titles]


def _input_panel(cv: Convolution) -> tuple[list, list[dict]]:
    """The padded input, the window of the chosen pixel, and where the windows of its row and column start."""
    n, p, s, d, k = cv.image.shape[0], cv.padding, cv.stride, cv.dilation, cv.weight.shape[0]
    axis = np.arange(-p, n + p)
    heat = go.Heatmap(z=np.pad(cv.image, p), x=axis, y=axis, colorscale=GREYS, zmin=0, zmax=1, showscale=False,
                      hovertemplate="x(%{y}, %{x}) = %{z:.3f}<extra></extra>")
    r0, c0 = cv.step.origin
    origins = np.arange(cv.output.shape[0]) * s - p
    starts = go.Scatter(x=np.concatenate([origins, np.full_like(origins, c0)]), y=np.concatenate([np.full_like(origins, r0), origins]),
                        mode="markers", marker={"color": STRIDE, "size": 9, "symbol": "circle", "line": {"color": "#ffffff", "width": 1}},
                        name=t("learn_convolution.fig.origins", s=s), hoverinfo="skip")
    shapes = []
    if p:
        for x0, y0, x1, y1 in ((-p, -p, n + p - 1, -1), (-p, n, n + p - 1, n + p - 1), (-p, 0, -1, n - 1), (n, 0, n + p - 1, n - 1)):
            shapes.append(_rect(x0, y0, x1, y1, "rgba(0,0,0,0)", 0, fill="rgba(234,88,12,0.22)"))
    shapes.append(_rect(0, 0, n - 1, n - 1, IMAGE, 2.5, "dash"))
    shapes.append(_rect(c0, r0, c0 + cv.span - 1, r0 + cv.span - 1, WINDOW, 1.5, "dot"))
    shapes += [_rect(c0 + d * b, r0 + d * a, c0 + d * b, r0 + d * a, WINDOW, 3.5) for a in range(k) for b in range(k)]
    keys = [_key(t("learn_convolution.fig.image", n=n), IMAGE), _key(t("learn_convolution.fig.padding", p=p), PADDING, filled=True),
            _key(t("learn_convolution.fig.window", k=k, span=cv.span), WINDOW)]
    return [heat, starts, *keys], shapes


def conv_figure(cv: Convolution, height: int = 560) -> go.Figure:
    """Left, the padded input with the window the chosen output pixel reads; right, F.conv2d's whole output map."""
    n, p, size = cv.image.shape[0], cv.padding, cv.output.shape[0]
    traces, shapes = _input_panel(cv)
    m = float(np.abs(cv.output).max()) or 1.0
    traces.append(go.Heatmap(z=cv.output, x=np.arange(size), y=np.arange(size), xaxis="x2", yaxis="y2", colorscale=DIVERGING,
                             zmin=-m, zmax=m, texttemplate="%{z:.1f}" if size <= 8 else None, textfont={"size": 10},
                             colorbar={"title": {"text": t("learn_convolution.fig.output"), "side": "right"}, "len": 0.7,
                                       "thickness": 12, "x": 1.0, "y": 0.55},
                             hovertemplate="y(%{y}, %{x}) = %{z:.4f}<extra></extra>"))
    shapes.append(_rect(cv.step.j, cv.step.i, cv.step.j, cv.step.i, WINDOW, 4, axes="2"))
    axes = {**_square_axes(-p, n + p - 1, t("learn_convolution.fig.column"), t("learn_convolution.fig.row"), n + 2 * p <= 16,
                           domain=(0.0, 0.46)),
            **_square_axes(0, size - 1, t("learn_convolution.fig.out_column"), t("learn_convolution.fig.out_row"), size <= 16, "2",
                           (0.58, 0.93))}
    notes = _panel_titles((t("learn_convolution.fig.input_panel", size=n + 2 * p), 0.0),
                          (t("learn_convolution.fig.output_panel", size=size), 0.58))
    return go.Figure(traces, layout(t("learn_convolution.fig.conv_title", i=cv.step.i, j=cv.step.j), height, shapes=shapes,
                                    annotations=notes, legend={**_LEGEND, "y": -0.14, "traceorder": "normal"},
                                    margin={"l": 60, "r": 20, "t": 80, "b": 150}, **axes))


def weighted_sum(step: ConvStep, height: int = 330) -> go.Figure:
    """The kernel w, the window of x it lies on, and their products w·x, cell by cell (their sum is y(i, j) − b)."""
    k = step.weight.shape[-1]
    w, x, products = step.weight[0], step.patch[0], step.products[0]
    panels = ((w, DIVERGING, float(np.abs(w).max()) or 1.0, "w"), (x, GREYS, None, "x"), (products, DIVERGING,
              float(np.abs(products).max()) or 1.0, "p"))
    traces, axes, notes = [], {}, []
    for number, (z, scale, m, name) in enumerate(panels):
        suffix = "" if number == 0 else str(number + 1)
        x0 = number * 0.36
        limits = {"zmin": -m, "zmax": m} if m is not None else {"zmin": 0, "zmax": 1}
        traces.append(go.Heatmap(z=z, x=np.arange(k), y=np.arange(k), xaxis=f"x{suffix}", yaxis=f"y{suffix}", colorscale=scale,
                                 showscale=False, texttemplate="%{z:.2f}", textfont={"size": 12 if k <= 3 else 10}, **limits,
                                 hovertemplate=f"{name}(%{{y}}, %{{x}}) = %{{z:.4f}}<extra></extra>"))
        axes.update(_square_axes(0, k - 1, "n", "m" if number == 0 else "", True, suffix, (x0, x0 + 0.28)))
        axes[f"yaxis{suffix}"]["showticklabels"] = number == 0  # the three panels share the rows m
        notes.append((t(f"learn_convolution.fig.sum_{name}"), x0 + 0.14))
    return go.Figure(traces, layout(None, height, annotations=_panel_titles(*notes, anchor="center"),
                                    margin={"l": 40, "r": 10, "t": 40, "b": 50}, **axes))


def pooling(pl: Pooling, height: int = 420) -> go.Figure:
    """The map with its pooling windows, and the pooled map with its values."""
    n, size, k, s = pl.image.shape[0], pl.output.shape[0], pl.kernel, pl.stride
    heat_in = go.Heatmap(z=pl.image, colorscale=GREYS, zmin=0, zmax=1, showscale=False,
                         hovertemplate="x(%{y}, %{x}) = %{z:.3f}<extra></extra>")
    heat_out = go.Heatmap(z=pl.output, xaxis="x2", yaxis="y2", colorscale=GREYS, zmin=0, zmax=1, showscale=False,
                          texttemplate="%{z:.2f}", textfont={"size": 12}, hovertemplate="y(%{y}, %{x}) = %{z:.3f}<extra></extra>")
    shapes = [_rect(j * s, i * s, j * s + k - 1, i * s + k - 1, class_color((i + j) % 2 + 1), 2.5)
              for i in range(size) for j in range(size)]
    kind = t(f"learn_convolution.pool.{'max' if pl.kind == 'MaxPool2d' else 'avg'}")
    notes = _panel_titles((t("learn_convolution.fig.pool_in", k=k, s=s), 0.0),
                          (t("learn_convolution.fig.pool_out", kind=kind, size=size), 0.6))
    axes = {**_square_axes(0, n - 1, t("learn_convolution.fig.column"), t("learn_convolution.fig.row"), True, domain=(0.0, 0.45)),
            **_square_axes(0, size - 1, t("learn_convolution.fig.out_column"), t("learn_convolution.fig.out_row"), True, "2", (0.6, 1.0))}
    return go.Figure([heat_in, heat_out], layout(None, height, shapes=shapes, annotations=notes,
                                                 margin={"l": 60, "r": 20, "t": 40, "b": 60}, **axes))


def receptive_field(fields: list[Field], n: int, height: int = 460) -> go.Figure:
    """On the input grid, the field of the centre unit of each layer, drawn as nested squares."""
    spans = [f.span((f.size - 1) // 2) for f in fields]
    first = min([0, *(a for a, _ in spans)])
    last = max([n - 1, *(b for _, b in spans)])
    grid = go.Heatmap(z=np.zeros((n, n)), x=np.arange(n), y=np.arange(n), colorscale=[[0, "#f1f5f9"], [1, "#f1f5f9"]],
                      showscale=False, xgap=1, ygap=1, hoverinfo="skip")
    shapes = [_rect(0, 0, n - 1, n - 1, "#0f172a", 2)]
    keys = [_key(t("learn_convolution.fig.rf_image", n=n), "#0f172a")]
    for number, (f, (a, b)) in enumerate(zip(fields, spans), 1):
        color = class_color(number - 1)
        shapes.append(_rect(a, a, b, b, color, 3, fill=f"rgba({int(color[1:3], 16)},{int(color[3:5], 16)},{int(color[5:7], 16)},0.06)"))
        keys.append(_key(t("learn_convolution.fig.rf_layer", number=number, rf=f.rf), color))
    axes = _square_axes(first, last, t("learn_convolution.fig.column"), t("learn_convolution.fig.row"), last - first < 16)
    return go.Figure([grid, *keys], layout(t("learn_convolution.fig.rf_title"), height, shapes=shapes,
                                           legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top"},
                                           margin={"l": 60, "r": 20, "t": 50, "b": 55}, **axes))
