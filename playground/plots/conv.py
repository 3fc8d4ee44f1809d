"""Convolution and pooling figures: the input image, feature maps, kernels, and one output value step by step."""
from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from playground.i18n import t
from playground.inspection.conv import ConvStep, KernelSet, PoolStep
from playground.inspection.trace import LayerTrace
from playground.plots.panels import GREYS, SMALL, colorbar, columns, compose, mosaic, num, scale, term
from playground.plots.style import DIVERGING, TEST_COLOR, base_layout

WINDOW_COLOR = TEST_COLOR


def input_image(x: np.ndarray, title: str | None = None) -> go.Figure:
    """The input image (first channel), ink dark on white, upright."""
    img = np.asarray(x)
    img = img[0] if img.ndim == 3 else img
    fig = go.Figure(go.Heatmap(z=img, colorscale=GREYS, zmin=min(0.0, float(img.min())), zmax=max(1.0, float(img.max())),
                               colorbar=colorbar(t("plots.conv.intensity")),
                               hovertemplate=t("plots.conv.pixel_hover") + "<extra></extra>"))
    base_layout(fig, title or t("plots.conv.input"), height=340)
    fig.update_xaxes(title_text=t("plots.conv.column_px"), showgrid=False, zeroline=False, constrain="domain")
    fig.update_yaxes(title_text=t("plots.conv.row_px"), autorange="reversed", scaleanchor="x", showgrid=False,
                     zeroline=False, constrain="domain")
    return fig


def feature_maps(layer: LayerTrace, max_channels: int = 16) -> go.Figure:
    """One map per channel of a (C, H, W) output, on one colour scale for the whole layer."""
    maps = np.asarray(layer.output)
    shown = maps[:max_channels]
    n, (height, width) = len(shown), maps.shape[1:]
    cols = columns(n)
    colors = scale(shown)
    colors = {"colorscale": colors["colorscale"], "zmin": colors["cmin"], "zmax": colors["cmax"],
              "colorbar": colorbar(t("plots.common.value"))}
    title = t("plots.conv.maps_title", label=layer.label, count=len(maps), h=height, w=width)
    if n < len(maps):
        title += t("plots.conv.first_of", n=n, total=len(maps))
    return mosaic(shown, [t("plots.conv.channel", k=k) for k in range(n)], cols, colors, t("plots.conv.map_hover"),
                  title, 110 if cols > 4 else 150, axis_titles=(t("plots.conv.column"), t("plots.conv.row")))


def kernels(kset: KernelSet, in_channel: int = 0, max_kernels: int = 16) -> go.Figure:
    """The learned kernels of a convolution layer, for one input channel: blue negative, orange positive."""
    w = np.asarray(kset.weights)
    c_in = w.shape[1]
    in_channel = min(max(in_channel, 0), c_in - 1)
    of = t("plots.conv.for_input_channel", c=in_channel, total=c_in) if c_in > 1 else ""
    if w.ndim == 3:  # Conv1d: (out, in, k)
        return _kernels_1d(kset, w[:, in_channel, :], of)
    shown = w[:max_kernels, in_channel]
    n, k = len(shown), shown.shape[-1]
    m = float(np.abs(shown).max()) or 1.0
    colors = {"colorscale": DIVERGING, "zmin": -m, "zmax": m, "colorbar": colorbar(t("plots.conv.weight"))}
    more = t("plots.conv.first_of", n=n, total=len(w)) if n < len(w) else ""
    return mosaic(shown, [t("plots.conv.kernel", c=c) for c in range(n)], columns(n), colors,
                  t("plots.conv.kernel_hover"), t("plots.conv.kernels_title", label=kset.label, k=k, of=of) + more,
                  100 if columns(n) > 4 else 140, text="%{z:.1f}" if k <= 3 else None,
                  axis_titles=(t("plots.conv.column_n"), t("plots.conv.row_m")))


def _kernels_1d(kset: KernelSet, z: np.ndarray, of: str) -> go.Figure:
    m = float(np.abs(z).max()) or 1.0
    fig = go.Figure(go.Heatmap(z=z, colorscale=DIVERGING, zmin=-m, zmax=m, colorbar=colorbar(t("plots.conv.weight")),
                               texttemplate="%{z:.2f}" if z.size <= 60 else None,
                               hovertemplate=t("plots.conv.tap_hover") + "<extra></extra>"))
    base_layout(fig, t("plots.conv.kernels_1d_title", label=kset.label, of=of), height=max(240, 60 + 28 * len(z)))
    fig.update_xaxes(title_text=t("plots.conv.tap_m"), dtick=1, showgrid=False)
    fig.update_yaxes(title_text=t("plots.conv.kernel_axis"), autorange="reversed", dtick=1, showgrid=False)
    return fig


# ---------------------------------------------------------------- one output value
def _small_axes(layout: dict, n: int, x0: float, title: str, notes: list) -> None:
    s = str(n + 2)
    layout["xaxis" + s] = {"domain": [x0, x0 + 0.155], "anchor": "y" + s, "title": {"text": "n", "font": {"size": SMALL}},
                           "dtick": 1, "showgrid": False, "zeroline": False, "constrain": "domain"}
    layout["yaxis" + s] = {"domain": [0.25, 0.8], "anchor": "x" + s, "dtick": 1, "autorange": "reversed",
                           "scaleanchor": "x" + s, "showgrid": False, "zeroline": False, "constrain": "domain",
                           "showticklabels": n == 0, "title": {"text": "m" if n == 0 else "", "font": {"size": SMALL}}}
    notes.append({"text": title, "x": x0 + 0.0775, "y": 0.82, "xref": "paper", "yref": "paper", "xanchor": "center",
                  "yanchor": "bottom", "showarrow": False, "font": {"size": SMALL}})


def conv_step(step: ConvStep, channel: int = 0) -> tuple[go.Figure, str]:
    """The input with the kernel's window, the patch, the kernel and their products; and the sum as text."""
    c = min(max(channel, 0), step.input.shape[0] - 1)
    p, k, d = step.padding, step.weight.shape[-1], step.dilation
    image = np.pad(step.input[c], p)
    r0, c0 = step.origin
    span = d * (k - 1) + 1
    height, width = step.input.shape[1:]
    layout: dict[str, Any] = {
        "xaxis": {"domain": [0.0, 0.4], "anchor": "y", "title": {"text": t("plots.conv.column")}, "showgrid": False,
                  "zeroline": False, "constrain": "domain"},
        "yaxis": {"domain": [0.0, 1.0], "anchor": "x", "title": {"text": t("plots.conv.row")}, "autorange": "reversed",
                  "scaleanchor": "x", "showgrid": False, "zeroline": False, "constrain": "domain"},
    }
    notes: list = []
    for n, key in enumerate(("patch", "kernel_w", "products")):
        _small_axes(layout, n, 0.47 + n * 0.18, t(f"plots.conv.{key}"), notes)
    in_scale = scale(np.concatenate([image.ravel(), step.patch[c].ravel()]))
    if in_scale["cmin"] >= 0:  # images and ReLU maps: ink dark on white, so the orange window stands out
        in_scale["colorscale"] = GREYS
    zs = {"colorscale": in_scale["colorscale"], "zmin": in_scale["cmin"], "zmax": in_scale["cmax"]}
    m = float(np.abs(step.weight[c]).max()) or 1.0
    q = float(np.abs(step.products[c]).max()) or 1.0
    text = "%{z:.2f}" if k <= 5 else None
    axis = np.arange(-p, max(height, width) + p)
    traces = [
        go.Heatmap(z=image, x=axis[:image.shape[1]], y=axis[:image.shape[0]], showscale=False, **zs,
                   hovertemplate=t("plots.conv.input_hover") + "<extra></extra>"),
        go.Heatmap(z=step.patch[c], xaxis="x2", yaxis="y2", showscale=False, texttemplate=text, **zs,
                   hovertemplate="x = %{z:.3f}<extra></extra>"),
        go.Heatmap(z=step.weight[c], xaxis="x3", yaxis="y3", showscale=False, texttemplate=text, colorscale=DIVERGING,
                   zmin=-m, zmax=m, hovertemplate="w(%{y}, %{x}) = %{z:.3f}<extra></extra>"),
        go.Heatmap(z=step.products[c], xaxis="x4", yaxis="y4", showscale=False, texttemplate=text, colorscale=DIVERGING,
                   zmin=-q, zmax=q, hovertemplate="w·x = %{z:.3f}<extra></extra>"),
    ]
    layout["shapes"] = [_rect(c0, r0, span, WINDOW_COLOR, 4)]
    if p:  # the real image's border, inside the zero padding
        layout["shapes"].append({"type": "rect", "x0": -0.5, "x1": width - 0.5, "y0": -0.5, "y1": height - 0.5, "xref": "x",
                                 "yref": "y", "line": {"color": "#64748b", "width": 1.5, "dash": "dash"}})
    where = t("plots.conv.of_channel", c=c, total=step.input.shape[0]) if step.input.shape[0] > 1 else ""
    fig = compose(traces, layout, notes, f"y({step.i},{step.j}) = {num(step.result)}{where}", 420, bottom=50, left=60)
    return fig, conv_sum(step)


def _rect(col: int, row: int, span: int, color: str, width: float) -> dict[str, Any]:
    return {"type": "rect", "x0": col - 0.5, "x1": col + span - 0.5, "y0": row - 0.5, "y1": row + span - 0.5,
            "xref": "x", "yref": "y", "line": {"color": color, "width": width}}


def conv_sum(step: ConvStep, max_terms: int = 25) -> str:
    """The convolution sum for one output pixel, first with symbols, then with the numbers."""
    r0, c0 = step.origin
    tap = f"{'' if step.dilation == 1 else f'{step.dilation}·'}"
    row, col = (f"{v}+{tap}{s}" if v >= 0 else f"−{-v}+{tap}{s}" for v, s in ((r0, "m"), (c0, "n")))
    if step.input.shape[0] == 1:
        symbolic = f"y({step.i},{step.j}) = Σₘ Σₙ w(m,n)·x({row}, {col}) + b"
        terms = [f"{term(w)}·{term(x)}" for w, x in zip(step.weight[0].ravel(), step.patch[0].ravel())]
    else:  # one partial sum per input channel; the page shows the selected channel's products
        symbolic = f"y({step.i},{step.j}) = Σ_c [Σₘ Σₙ w(c,m,n)·x(c, {row}, {col})] + b"
        terms = [f"[c={c}: {num(v)}]" for c, v in enumerate(step.products.sum(axis=(1, 2)))]
    if len(terms) > max_terms:
        terms = terms[:6] + ["…"] + terms[-2:]
    notes = []
    if step.padding:
        notes.append(t("plots.conv.padding_note", p=step.padding))
    if step.stride > 1:
        notes.append(t("plots.conv.stride_note", s=step.stride))
    tail = f"   ({t('plots.conv.note_sep').join(notes)})" if notes else ""
    return f"{symbolic}{tail}\n= {' + '.join(terms)} + {term(step.bias)} = {num(step.result)}"


def pool_sum(step: PoolStep) -> str:
    """One pooling window as text: the window's values and the maximum or mean taken over them."""
    values = list(step.window.ravel())
    shown = ", ".join("−∞" if np.isneginf(v) else num(v) for v in values)
    r0, c0 = step.i * step.stride - step.padding, step.j * step.stride - step.padding
    row, col = (f"{v}+{s}" if v >= 0 else f"−{-v}+{s}" for v, s in ((r0, "m"), (c0, "n")))
    if step.kind == "max":
        return f"y({step.i},{step.j}) = maxₘ,ₙ x({row}, {col})\n= max({shown}) = {num(step.result)}"
    k2 = step.window.size
    total = " + ".join(term(v) for v in values)
    return f"y({step.i},{step.j}) = (1/{k2}) Σₘ Σₙ x({row}, {col})\n= ({total}) / {k2} = {num(step.result)}"
