"""Figures for the Inspect page, built only from `playground.inspection` traces: arrays in, Plotly figures out.

Small multiples are laid out by hand (one axis pair per panel) rather than with make_subplots, which is
several times slower; a whole CNN trace must draw well within a second.
"""
from __future__ import annotations

import math
import re
from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go

from playground.inspection import (ActivationStats, AttentionTrace, ConvStep, Curve, Evaluation, Grid, KernelSet,
                                   LayerTrace, RecurrentTrace, WeightStats)
from playground.layers import LAYERS
from playground.plots.style import (ATTENTION, DIVERGING, FAMILY_COLORS, FONT_SIZE, SEQUENTIAL, TEST_COLOR,
                                    TRAIN_COLOR, base_layout, class_color)

SMALL = FONT_SIZE - 2  # panel titles and dense tick labels
GREYS = [[0.0, "#ffffff"], [1.0, "#111827"]]  # ink on paper: the images' 0 is white, 1 is black
WINDOW_COLOR = TEST_COLOR
_UNIT = re.compile(r"\s*\([^)]*\)$")  # "sepal length (cm)" -> "sepal length"


# ---------------------------------------------------------------- layout helpers
def _grid(titles: Sequence[str], cols: int, panel: int, *, top: int = 56, bottom: int = 40, title_h: int = 26,
          gap: int = 18, square: bool = True, reverse_y: bool = True, ticks: bool = False,
          axis_titles: tuple[str, str] | None = None):
    """Axis pairs for panels in rows of `cols`, each `panel` px tall with its title above; returns
    (layout dict, title annotations, [(xref, yref)], figure height). `axis_titles` go on the bottom-left panel."""
    rows = math.ceil(len(titles) / cols)
    height = top + bottom + rows * (title_h + panel + gap)
    plot_h = height - top - bottom
    layout: dict[str, Any] = {}
    notes, refs = [], []
    for k, title in enumerate(titles):
        r, c = divmod(k, cols)
        s = "" if k == 0 else str(k + 1)
        # panels with tick labels need room on their left for them (and the axis title of the first column)
        x0, x1 = c / cols + (0.06 if ticks else 0.012), (c + 1) / cols - 0.012
        y1 = 1 - (r * (title_h + panel + gap) + title_h) / plot_h
        y0 = max(0.0, y1 - panel / plot_h)
        common = {"showticklabels": ticks, "showgrid": False, "zeroline": False, "ticks": "", "constrain": "domain"}
        layout["xaxis" + s] = {"domain": [x0, x1], "anchor": "y" + s, "constraintoward": "center", **common}
        layout["yaxis" + s] = {"domain": [y0, y1], "anchor": "x" + s, "constraintoward": "top",
                               "autorange": "reversed" if reverse_y else True, **common,
                               **({"scaleanchor": "x" + s, "scaleratio": 1} if square else {})}
        notes.append({"text": title, "x": (x0 + x1) / 2, "y": y1, "xref": "paper", "yref": "paper", "xanchor": "center",
                      "yanchor": "bottom", "showarrow": False, "font": {"size": SMALL}})
        refs.append(("x" + s, "y" + s))
    if axis_titles:
        corner = "" if rows == 1 else str((rows - 1) * cols + 1)
        layout["xaxis" + corner]["title"] = {"text": axis_titles[0], "font": {"size": SMALL}, "standoff": 4}
        layout["yaxis" + corner]["title"] = {"text": axis_titles[1], "font": {"size": SMALL}, "standoff": 4}
    return layout, notes, refs, height


def _shape(n: int, most: int = 8) -> int:
    """Columns for n panels: at most `most` per row, rows as even as possible."""
    rows = math.ceil(n / most)
    return math.ceil(n / rows)


def _compose(traces: list, layout: dict, notes: list, title: str, height: int, top: int = 56, bottom: int = 40,
             left: int = 30, right: int = 20) -> go.Figure:
    """A many-panel figure: the layout goes in first and the traces last, because updating the layout of a
    figure that already has many axes and traces is ten times slower in Plotly."""
    fig = go.Figure(layout={**layout, "annotations": notes})
    base_layout(fig, title, height=height)
    fig.update_layout(margin={"l": left, "r": right, "t": top, "b": bottom})
    fig.add_traces(traces)
    return fig


def _scale(values: np.ndarray) -> dict[str, Any]:
    """A colour axis for values: diverging around 0 when they take both signs, sequential otherwise."""
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if lo < 0 < hi:
        m = max(-lo, hi)
        return {"colorscale": DIVERGING, "cmin": -m, "cmax": m}
    if hi == lo:
        hi = lo + 1.0
    return {"colorscale": SEQUENTIAL, "cmin": lo, "cmax": hi}


def _token_axis(tokens: Sequence[str] | None, n: int, title: str) -> dict[str, Any]:
    """A positional axis labelled by tokens: positions, not categories, so repeated tokens stay apart."""
    ticktext = list(tokens) if tokens is not None else [str(t) for t in range(n)]
    return {"title": {"text": title}, "tickmode": "array", "tickvals": list(range(n)), "ticktext": ticktext,
            "tickfont": {"size": SMALL if n <= 16 else 10}, "showgrid": False, "zeroline": False}


def _family_color(layer_type: str) -> str:
    d = LAYERS.get(layer_type)
    return FAMILY_COLORS[d.family] if d else FAMILY_COLORS["utility"]


def _pct(p: float) -> str:
    return f"{100 * p:.0f} %"


def _num(v: float) -> str:
    """A number for a formula: two decimals and a real minus sign (no "−0.00")."""
    text = f"{v:.2f}"
    return "0.00" if text == "-0.00" else text.replace("-", "−")


def _message(title: str, text: str, height: int = 200) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=text, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font={"size": FONT_SIZE})
    base_layout(fig, title, height=height)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


# ---------------------------------------------------------------- one sample: input, layers, kernels
def input_image(x: np.ndarray, title: str = "Input") -> go.Figure:
    """The input image (first channel), ink dark on white, upright."""
    img = np.asarray(x)
    img = img[0] if img.ndim == 3 else img
    fig = go.Figure(go.Heatmap(z=img, colorscale=GREYS, zmin=min(0.0, float(img.min())), zmax=max(1.0, float(img.max())),
                               colorbar={"title": {"text": "intensity"}, "thickness": 14},
                               hovertemplate="row %{y}, column %{x}<br>value %{z:.2f}<extra></extra>"))
    base_layout(fig, title, height=340)
    fig.update_xaxes(title_text="column (pixel)", showgrid=False, zeroline=False, constrain="domain")
    fig.update_yaxes(title_text="row (pixel)", autorange="reversed", scaleanchor="x", showgrid=False, zeroline=False,
                     constrain="domain")
    return fig


def feature_maps(layer: LayerTrace, max_channels: int = 16) -> go.Figure:
    """One heatmap per channel of a (C, H, W) output, on one colour scale for the whole layer."""
    maps = np.asarray(layer.output)
    shown = maps[:max_channels]
    n, (height, width) = len(shown), maps.shape[1:]
    cols = _shape(n)
    layout, notes, refs, fig_h = _grid([f"channel {k}" for k in range(n)], cols, 110 if cols > 4 else 150,
                                       axis_titles=("column", "row"))
    traces = [go.Heatmap(z=shown[k], xaxis=xr, yaxis=yr, coloraxis="coloraxis",
                         hovertemplate=f"channel {k}<br>row %{{y}}, column %{{x}}<br>value %{{z:.3f}}<extra></extra>")
              for k, (xr, yr) in enumerate(refs)]
    more = f", first {n} of {len(maps)}" if n < len(maps) else ""
    layout["coloraxis"] = {**_scale(shown), "colorbar": {"title": {"text": "value"}, "thickness": 14}}
    return _compose(traces, layout, notes, f"{layer.label}: {len(maps)} feature maps of {height}×{width}{more}", fig_h)


def layer_output(layer: LayerTrace, tokens: Sequence[str] | None = None, max_channels: int = 16) -> go.Figure:
    """Any layer's output, drawn by its shape: feature maps, a sequence heatmap or a bar per unit."""
    out = np.asarray(layer.output)
    if out.ndim == 3:
        return feature_maps(layer, max_channels)
    if out.ndim == 2:
        channels_first = layer.kind == "channels"
        z = out if channels_first else out.T  # rows: channels (Conv1d) or features (sequences)
        labels = tokens if not channels_first else None
        fig = go.Figure(go.Heatmap(z=z, coloraxis="coloraxis",
                                   hovertemplate="position %{x}<br>" + ("channel" if channels_first else "feature")
                                   + " %{y}<br>value %{z:.3f}<extra></extra>"))
        fig.update_layout(coloraxis={**_scale(z), "colorbar": {"title": {"text": "value"}, "thickness": 14}})
        base_layout(fig, f"{layer.label}: output {_dims(out.shape)}", height=max(260, min(560, 60 + 9 * z.shape[0])))
        fig.update_xaxes(**_token_axis(labels, z.shape[1], "position" + (" (input token)" if labels is not None else "")))
        fig.update_yaxes(title_text="channel" if channels_first else "feature", autorange="reversed", showgrid=False,
                         zeroline=False)
        return fig
    values = out.reshape(-1)
    fig = go.Figure(go.Bar(x=np.arange(len(values)), y=values, marker_color=_family_color(layer.type),
                           hovertemplate="unit %{x}<br>value %{y:.3f}<extra></extra>"))
    base_layout(fig, f"{layer.label}: output of {len(values)} units", height=300)
    fig.update_xaxes(title_text="unit")
    fig.update_yaxes(title_text="output value")
    return fig


def _dims(shape: Sequence[int]) -> str:
    return "×".join(str(d) for d in shape)


def kernels(kset: KernelSet, in_channel: int = 0, max_kernels: int = 16) -> go.Figure:
    """The learned kernels of a convolution layer, for one input channel: blue negative, orange positive."""
    w = np.asarray(kset.weights)
    c_in = w.shape[1]
    in_channel = min(max(in_channel, 0), c_in - 1)
    of = f" for input channel {in_channel} of {c_in}" if c_in > 1 else ""
    if w.ndim == 3:  # Conv1d: (out, in, k)
        z = w[:, in_channel, :]
        m = float(np.abs(z).max()) or 1.0
        fig = go.Figure(go.Heatmap(z=z, colorscale=DIVERGING, zmin=-m, zmax=m, colorbar={"title": {"text": "weight"}},
                                   texttemplate="%{z:.2f}" if z.size <= 60 else None,
                                   hovertemplate="kernel %{y}, tap %{x}<br>weight %{z:.3f}<extra></extra>"))
        base_layout(fig, f"{kset.label}: kernels{of}", height=max(240, 60 + 28 * len(z)))
        fig.update_xaxes(title_text="tap m", dtick=1, showgrid=False)
        fig.update_yaxes(title_text="kernel (output channel)", autorange="reversed", dtick=1, showgrid=False)
        return fig
    shown = w[:max_kernels, in_channel]
    n, k = len(shown), shown.shape[-1]
    cols = _shape(n)
    layout, notes, refs, fig_h = _grid([f"kernel {c}" for c in range(n)], cols, 100 if cols > 4 else 140,
                                       axis_titles=("column n", "row m"))
    m = float(np.abs(shown).max()) or 1.0
    text = "%{z:.1f}" if k <= 3 else None
    traces = [go.Heatmap(z=shown[c], xaxis=xr, yaxis=yr, coloraxis="coloraxis", texttemplate=text, textfont={"size": 11},
                         hovertemplate=f"kernel {c}<br>w(m=%{{y}}, n=%{{x}}) = %{{z:.3f}}<extra></extra>")
              for c, (xr, yr) in enumerate(refs)]
    layout["coloraxis"] = {"colorscale": DIVERGING, "cmin": -m, "cmax": m,
                           "colorbar": {"title": {"text": "weight"}, "thickness": 14}}
    more = f" (first {n} of {len(w)})" if n < len(w) else ""
    return _compose(traces, layout, notes, f"{kset.label}: {k}×{k} kernels{of}{more}", fig_h)


def class_probabilities(probs: np.ndarray, class_names: Sequence[str], true: int | None = None) -> go.Figure:
    """A bar per class; the predicted class is coloured, the true class (if known) is marked."""
    p = np.asarray(probs, dtype=float)
    names = list(class_names)
    pred = int(p.argmax())
    colors = [TRAIN_COLOR if k == pred else "#cbd5e1" for k in range(len(p))]
    fig = go.Figure(go.Bar(x=names, y=p, marker_color=colors, text=[_pct(v) for v in p], textposition="outside",
                           cliponaxis=False, hovertemplate="class %{x}<br>probability %{y:.1%}<extra></extra>"))
    if true is not None:
        fig.add_annotation(x=names[true], y=p[true], text="true", yshift=28, showarrow=False,
                           font={"color": TEST_COLOR, "size": SMALL})
    title = f"Prediction: {names[pred]} ({_pct(p[pred])})"
    base_layout(fig, title, height=320)
    fig.update_xaxes(title_text="class", type="category")
    fig.update_yaxes(title_text="probability", range=[0, 1.15], tickformat=".0%")
    return fig


def token_probabilities(probs: np.ndarray, tokens: Sequence[str], class_names: Sequence[str],
                        targets: Sequence[int] | None = None) -> go.Figure:
    """Per position, the probability of every output token (rows); circles mark the targets when known."""
    p = np.asarray(probs, dtype=float).T  # (classes, T)
    names = [{" ": "␣", "\n": "↵"}.get(c, c) for c in class_names]
    fig = go.Figure(go.Heatmap(z=p, colorscale=ATTENTION, zmin=0, zmax=1, colorbar={"title": {"text": "probability"}},
                               customdata=np.array(names, dtype=object)[:, None].repeat(p.shape[1], 1),
                               hovertemplate="position %{x}<br>output '%{customdata}'<br>probability %{z:.1%}<extra></extra>"))
    if targets is not None:
        fig.add_trace(go.Scatter(x=list(range(len(targets))), y=list(targets), mode="markers", name="target",
                                 marker={"symbol": "circle-open", "size": 14, "color": TEST_COLOR, "line": {"width": 2.5}},
                                 hovertemplate="position %{x}: target %{y}<extra></extra>"))
    base_layout(fig, "Output probabilities per position", height=max(280, min(640, 80 + 16 * len(names))))
    fig.update_xaxes(**_token_axis(tokens, p.shape[1], "position (input token)"))
    fig.update_yaxes(title_text="output token", tickmode="array", tickvals=list(range(len(names))), ticktext=names,
                     autorange="reversed", showgrid=False, zeroline=False,
                     tickfont={"size": SMALL if len(names) <= 16 else 10})
    return fig


# ---------------------------------------------------------------- the convolution sum, one output pixel
def conv_step(step: ConvStep, channel: int = 0) -> tuple[go.Figure, str]:
    """The input with the kernel's window, the patch, the kernel and their products; and the sum as text."""
    c = min(max(channel, 0), step.input.shape[0] - 1)
    p, k, d = step.padding, step.weight.shape[-1], step.dilation
    image = np.pad(step.input[c], p)
    r0, c0 = step.origin
    span = d * (k - 1) + 1
    height, width = step.input.shape[1:]
    big = 330  # px: the figure is this tall plus its title and axis labels
    layout: dict[str, Any] = {
        "xaxis": {"domain": [0.0, 0.4], "anchor": "y", "title": {"text": "column"}, "showgrid": False, "zeroline": False,
                  "constrain": "domain"},
        "yaxis": {"domain": [0.0, 1.0], "anchor": "x", "title": {"text": "row"}, "autorange": "reversed",
                  "scaleanchor": "x", "showgrid": False, "zeroline": False, "constrain": "domain"},
    }
    titles = ["input patch x", "kernel w", "products w·x"]
    notes = []
    for n, title in enumerate(titles):
        s = str(n + 2)
        x0 = 0.47 + n * 0.18
        layout["xaxis" + s] = {"domain": [x0, x0 + 0.155], "anchor": "y" + s, "title": {"text": "n", "font": {"size": SMALL}},
                               "dtick": 1, "showgrid": False, "zeroline": False, "constrain": "domain"}
        layout["yaxis" + s] = {"domain": [0.25, 0.8], "anchor": "x" + s, "dtick": 1, "autorange": "reversed",
                               "scaleanchor": "x" + s, "showgrid": False, "zeroline": False, "constrain": "domain",
                               "showticklabels": n == 0, "title": {"text": "m" if n == 0 else "", "font": {"size": SMALL}}}
        notes.append({"text": title, "x": x0 + 0.0775, "y": 0.82, "xref": "paper", "yref": "paper", "xanchor": "center",
                      "yanchor": "bottom", "showarrow": False, "font": {"size": SMALL}})
    scale = _scale(np.concatenate([image.ravel(), step.patch[c].ravel()]))
    if scale["cmin"] >= 0:  # images and ReLU maps: ink dark on white, so the orange window stands out
        scale["colorscale"] = GREYS
    in_scale = {"colorscale": scale["colorscale"], "zmin": scale["cmin"], "zmax": scale["cmax"]}
    m = float(np.abs(step.weight[c]).max()) or 1.0
    q = float(np.abs(step.products[c]).max()) or 1.0
    text = "%{z:.2f}" if k <= 5 else None
    axis = np.arange(-p, max(height, width) + p)
    traces = [
        go.Heatmap(z=image, x=axis[:image.shape[1]], y=axis[:image.shape[0]], showscale=False, **in_scale,
                   hovertemplate="x(row %{y}, column %{x}) = %{z:.2f}<extra></extra>"),
        go.Heatmap(z=step.patch[c], xaxis="x2", yaxis="y2", showscale=False, texttemplate=text, **in_scale,
                   hovertemplate="x = %{z:.3f}<extra></extra>"),
        go.Heatmap(z=step.weight[c], xaxis="x3", yaxis="y3", showscale=False, texttemplate=text, colorscale=DIVERGING,
                   zmin=-m, zmax=m, hovertemplate="w(%{y}, %{x}) = %{z:.3f}<extra></extra>"),
        go.Heatmap(z=step.products[c], xaxis="x4", yaxis="y4", showscale=False, texttemplate=text, colorscale=DIVERGING,
                   zmin=-q, zmax=q, hovertemplate="w·x = %{z:.3f}<extra></extra>"),
    ]
    layout["shapes"] = [{"type": "rect", "x0": c0 - 0.5, "x1": c0 + span - 0.5, "y0": r0 - 0.5, "y1": r0 + span - 0.5,
                         "xref": "x", "yref": "y", "line": {"color": WINDOW_COLOR, "width": 4}}]
    if p:  # the real image's border, inside the zero padding
        layout["shapes"].append({"type": "rect", "x0": -0.5, "x1": width - 0.5, "y0": -0.5, "y1": height - 0.5, "xref": "x",
                                 "yref": "y", "line": {"color": "#64748b", "width": 1.5, "dash": "dash"}})
    where = f" (input channel {c} of {step.input.shape[0]})" if step.input.shape[0] > 1 else ""
    fig = _compose(traces, layout, notes, f"y({step.i},{step.j}) = {_num(step.result)}{where}", big + 90, bottom=50, left=60)
    return fig, conv_formula(step)


def conv_formula(step: ConvStep, max_terms: int = 25) -> str:
    """The convolution sum for one output pixel, first with symbols, then with the numbers."""
    r0, c0 = step.origin
    d = step.dilation
    m_term = f"{'' if d == 1 else f'{d}·'}m"
    n_term = f"{'' if d == 1 else f'{d}·'}n"
    row = f"{r0}+{m_term}" if r0 >= 0 else f"−{-r0}+{m_term}"
    col = f"{c0}+{n_term}" if c0 >= 0 else f"−{-c0}+{n_term}"
    channels = step.input.shape[0]
    if channels == 1:
        symbolic = f"y({step.i},{step.j}) = Σₘ Σₙ w(m,n)·x({row}, {col}) + b"
        terms = [f"{_term(w)}·{_term(x)}" for w, x in zip(step.weight[0].ravel(), step.patch[0].ravel())]
    else:  # one partial sum per input channel; the page shows the selected channel's products
        symbolic = f"y({step.i},{step.j}) = Σ over input channels c of [Σₘ Σₙ w(c,m,n)·x(c, {row}, {col})] + b"
        terms = [f"[channel {c}: {_num(v)}]" for c, v in enumerate(step.products.sum(axis=(1, 2)))]
    if len(terms) > max_terms:
        terms = terms[:6] + ["…"] + terms[-2:]
    numbers = f"= {' + '.join(terms)} + {_term(step.bias)} = {_num(step.result)}"
    notes = []
    if step.padding:
        notes.append(f"padding {step.padding}: x = 0 outside the image")
    if step.stride > 1:
        notes.append(f"stride {step.stride}: the window moves {step.stride} pixels per output pixel")
    tail = f"   ({'; '.join(notes)})" if notes else ""
    return symbolic + tail + "\n" + numbers


def _term(v: float) -> str:
    """A factor or summand: negatives in brackets, so "0.40·(−0.11)" never reads as a subtraction."""
    text = _num(v)
    return f"({text})" if text.startswith("−") else text


# ---------------------------------------------------------------- attention and recurrent states
def attention_heatmaps(att: AttentionTrace, tokens: Sequence[str] | None = None) -> go.Figure:
    """One heatmap per head and their mean: row = query, column = key, each row sums to 1."""
    w = np.asarray(att.weights, dtype=float)
    heads, t = w.shape[0], w.shape[1]
    panels = [*w, w.mean(axis=0)]
    titles = [f"head {h + 1}" for h in range(heads)] + ["mean over heads"]
    labels = list(tokens) if tokens is not None else [str(i) for i in range(t)]
    future = np.triu(np.ones((t, t), dtype=bool), 1)
    cols = min(len(panels), 3)
    layout, notes, refs, fig_h = _grid(titles, cols, 230 if t <= 16 else 300, ticks=True, title_h=30, gap=58, bottom=64,
                                       top=60)
    custom = np.empty((t, t, 2), dtype=object)
    for q in range(t):
        for k in range(t):
            custom[q, k] = (f"{q} '{labels[q]}'", f"{k} '{labels[k]}'")
    traces = []
    for n, (z, (xr, yr)) in enumerate(zip(panels, refs)):
        if att.causal:  # masked keys are blank, not a weight of 0
            z = np.where(future, np.nan, z)
        traces.append(go.Heatmap(z=z, xaxis=xr, yaxis=yr, coloraxis="coloraxis", customdata=custom, hoverongaps=False,
                                 hovertemplate="query %{customdata[0]}<br>key %{customdata[1]}<br>weight %{z:.2f}"
                                               f"<extra>{titles[n]}</extra>"))
        ax = {"tickmode": "array", "tickvals": list(range(t)), "ticktext": labels, "tickfont": {"size": SMALL if t <= 16 else 9}}
        layout[xr.replace("x", "xaxis")].update(ax, title={"text": "key", "font": {"size": SMALL}}, range=[-0.5, t - 0.5])
        layout[yr.replace("y", "yaxis")].update(ax, title={"text": "query" if n % cols == 0 else "", "font": {"size": SMALL}},
                                                autorange=False, range=[t - 0.5, -0.5])  # first query at the top
        if att.causal:
            traces.append(_hatch_future(t, xr, yr))
    layout["coloraxis"] = {"colorscale": ATTENTION, "cmin": 0, "cmax": 1,
                           "colorbar": {"title": {"text": "weight"}, "thickness": 14}}
    masked = " (causal: hatched future keys are masked)" if att.causal else ""
    return _compose(traces, layout, notes, f"{att.label}: attention weights{masked}", fig_h, top=60, bottom=64, left=60)


def _hatch_future(t: int, xref: str, yref: str) -> go.Scatter:
    """Hatching over the cells above the diagonal (key after query), so masked reads differently from a weight of 0."""
    xs, ys = [0.5], [-0.5]
    for q in range(t - 1):  # a staircase along the diagonal's upper edge
        xs += [q + 0.5, q + 1.5]
        ys += [q + 0.5, q + 0.5]
    xs += [t - 0.5, 0.5]
    ys += [-0.5, -0.5]
    return go.Scatter(x=xs, y=ys, xaxis=xref, yaxis=yref, mode="lines", fill="toself", line={"width": 0},
                      fillpattern={"shape": "/", "fgcolor": "#94a3b8", "bgcolor": "#ffffff", "size": 6},
                      hoverinfo="skip", showlegend=False)


_SQUASHED = {"input gate", "forget gate", "output gate", "reset gate", "update gate"}  # σ outputs, 0..1


def hidden_states(rec: RecurrentTrace, tokens: Sequence[str] | None = None, max_units: int = 64) -> go.Figure:
    """Time runs left to right; each row is one hidden unit. Below h_t: the cell state and gates when computed."""
    panels = [("hidden state h", rec.hidden)]
    if rec.cell is not None:
        panels.append(("cell state c", rec.cell))
    panels += list((rec.gates or {}).items())
    t = rec.hidden.shape[0]
    units = min(rec.hidden.shape[1], max_units)
    row_h = max(90, min(260, 4 * units))
    gap, title_h, top, bottom = 26, 24, 56, 60
    height = top + bottom + len(panels) * (row_h + gap + title_h)
    plot_h = height - top - bottom
    layout, notes, traces = {}, [], []
    # tanh keeps h (and the candidates) within ±1; an RNN with ReLU does not, and neither does the cell state
    ranges = {name: max(1.0, float(np.abs(values).max())) for name, values in panels}
    for n, (name, values) in enumerate(panels):
        s = "" if n == 0 else str(n + 1)
        y1 = 1 - (n * (row_h + gap + title_h) + title_h) / plot_h
        y0 = max(0.0, y1 - row_h / plot_h)
        gate = name in _SQUASHED
        x_title = "time step t" + (" (input token)" if tokens is not None else "") if n == len(panels) - 1 else ""
        layout["xaxis" + s] = {**_token_axis(tokens, t, x_title),
                               "anchor": "y" + s, **({"matches": "x"} if n else {})}
        layout["yaxis" + s] = {"domain": [y0, y1], "anchor": "x" + s, "title": {"text": "unit", "font": {"size": SMALL}},
                               "autorange": "reversed", "showgrid": False, "zeroline": False}
        span = "0 to 1" if gate else "−1 to 1" if ranges[name] == 1.0 else "unbounded"
        notes.append({"text": f"{name} ({span})", "x": 0, "y": y1, "xref": "paper", "yref": "paper", "xanchor": "left",
                      "yanchor": "bottom", "showarrow": False, "font": {"size": SMALL}})
        colors = ({"colorscale": ATTENTION, "zmin": 0, "zmax": 1} if gate else
                  {"colorscale": DIVERGING, "zmin": -ranges[name], "zmax": ranges[name]})
        traces.append(go.Heatmap(z=values[:, :units].T, xaxis="x" + s, yaxis="y" + s,
                                 colorbar={"thickness": 12, "len": row_h / plot_h, "y": y1, "yanchor": "top"},
                                 hovertemplate=f"{name}<br>t = %{{x}}, unit %{{y}}<br>value %{{z:.3f}}<extra></extra>",
                                 **colors))
    more = f" (first {units} of {rec.hidden.shape[1]} units)" if units < rec.hidden.shape[1] else ""
    return _compose(traces, layout, notes, f"{rec.label}: states over time{more}", height, top=top, bottom=bottom, left=60)


# ---------------------------------------------------------------- the input space: decision maps and neurons
def _hidden_layers(neurons: list, include_linear: bool) -> list:
    chosen = [nl for nl in neurons if include_linear or LAYERS[nl.type].family == "activation"]
    return chosen or list(neurons)


def neuron_thumbnails(grid: Grid, include_linear: bool = False, size: int = 40) -> go.Figure:
    """Every hidden neuron's output over the input plane, a column per layer (TensorFlow Playground's view)."""
    layers = _hidden_layers(grid.neurons, include_linear)
    if not layers:
        return _message("Neurons", "This model has no hidden layers: the output layer sees the inputs directly.")
    step = max(1, math.ceil(len(grid.xs) / size))
    thumbs = [nl.values[:, ::step, ::step][:, ::-1] for nl in layers]  # flipped: larger x2 at the top
    r, c = thumbs[0].shape[1:]
    rows, gap = max(len(t) for t in thumbs), max(2, r // 5)
    mosaic = np.full((rows * (r + gap) - gap, len(thumbs) * (c + 2 * gap) - 2 * gap), np.nan, dtype=np.float32)
    for k, t in enumerate(thumbs):
        scale = float(np.abs(t).max()) or 1.0  # each layer on its own ±max scale, so the shapes show
        for u, img in enumerate(t):
            top, left = u * (r + gap), k * (c + 2 * gap)
            mosaic[top:top + r, left:left + c] = img / scale
    fig = go.Figure(go.Heatmap(z=mosaic, colorscale=DIVERGING, zmin=-1, zmax=1, hoverinfo="skip", hoverongaps=False,
                               colorbar={"title": {"text": "output ÷ layer max"}, "thickness": 14}))
    base_layout(fig, "Neurons: output over the input plane", height=min(900, 110 + rows * 64),
                plot_bgcolor="#ffffff")  # the gaps between thumbnails
    fig.update_xaxes(title_text="layer (input → output)", tickmode="array", showgrid=False, zeroline=False,
                     tickvals=[k * (c + 2 * gap) + (c - 1) / 2 for k in range(len(thumbs))],
                     ticktext=[f"{nl.index} {nl.type}" for nl in layers], constrain="domain")
    fig.update_yaxes(title_text="neuron", tickmode="array", autorange="reversed", showgrid=False, zeroline=False,
                     tickvals=[u * (r + gap) + (r - 1) / 2 for u in range(rows)], ticktext=[str(u) for u in range(rows)],
                     scaleanchor="x", constrain="domain")
    return fig


def _points(x, y) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(x, dtype=float), np.asarray(y)


def decision_boundary(grid: Grid, x_train, y_train, x_test=None, y_test=None, task: str | None = None,
                      class_names: Sequence[str] | None = None, show_test: bool = True,
                      title: str = "Decision boundary") -> go.Figure:
    """The model's answer over the plane behind the data points: train filled with a white rim, test with a dark rim."""
    task = task or grid.task
    names = list(class_names or grid.class_names or [str(k) for k in range(int(np.nanmax(grid.output)) + 2)])
    fx, fy = grid.feature_names
    hover = f"{fx} %{{x:.2f}}, {fy} %{{y:.2f}}<br>"
    traces: list = []
    if task == "binary":
        p1 = f"P(class {names[1]})" if names[1].isdigit() else f"P({names[1]})"
        traces.append(go.Heatmap(x=grid.xs, y=grid.ys, z=grid.output, colorscale=DIVERGING, zmin=0, zmax=1, opacity=0.5,
                                 colorbar={"title": {"text": p1}, "tickformat": ".0%", "thickness": 14},
                                 hovertemplate=hover + f"{p1} = %{{z:.0%}}<extra></extra>"))
    elif task == "multiclass":
        traces.append(_class_image(grid))
    else:
        traces.append(go.Heatmap(x=grid.xs, y=grid.ys, z=grid.output, coloraxis="coloraxis",
                                 hovertemplate=hover + "prediction %{z:.3f}<extra></extra>"))
    sets = [("train", x_train, y_train, "#ffffff")]
    if show_test and x_test is not None:
        sets.append(("test", x_test, y_test, "#111827"))
    for split, x, y, rim in sets:
        x, y = _points(x, y)
        if task == "regression":
            traces.append(go.Scatter(x=x[:, 0], y=x[:, 1], mode="markers", name=split,
                                     marker={"color": y.reshape(len(y), -1)[:, 0], "coloraxis": "coloraxis", "size": 7,
                                             "line": {"color": rim, "width": 1.2}},
                                     hovertemplate=hover + f"{split}: target %{{marker.color:.3f}}<extra></extra>"))
            continue
        for k, name in enumerate(names):
            mask = y == k
            if mask.any():
                traces.append(go.Scatter(x=x[mask, 0], y=x[mask, 1], mode="markers", name=f"{split}: {name}",
                                         marker={"color": class_color(k), "size": 8, "line": {"color": rim, "width": 0.8}},
                                         hovertemplate=hover + f"{split}, class {name}<extra></extra>"))
    fig = go.Figure(traces)
    if task == "regression":
        both = np.concatenate([grid.output.ravel(), _points(x_train, y_train)[1].ravel().astype(float)])
        fig.update_layout(coloraxis={"colorscale": SEQUENTIAL, "cmin": float(both.min()), "cmax": float(both.max()),
                                     "colorbar": {"title": {"text": "value"}, "thickness": 14}})
    # legend under the plot: beside the title it collides with it in a narrow column
    base_layout(fig, title, height=480, legend={"orientation": "h", "yanchor": "top", "y": -0.2, "xanchor": "left", "x": 0.0},
                margin={"l": 60, "r": 20, "t": 50, "b": 95})
    dx, dy = grid.xs[1] - grid.xs[0], grid.ys[1] - grid.ys[0]
    fig.update_xaxes(title_text=fx, range=[grid.xs[0] - dx / 2, grid.xs[-1] + dx / 2], showgrid=False, zeroline=False,
                     constrain="domain")
    fig.update_yaxes(title_text=fy, range=[grid.ys[0] - dy / 2, grid.ys[-1] + dy / 2], autorange=False, showgrid=False,
                     zeroline=False, scaleanchor="x", constrain="domain")
    return fig


def _class_image(grid: Grid) -> go.Image:
    """Each cell in its predicted class's colour, fading to white where the model is unsure."""
    classes = int(grid.output.max()) + 1
    palette = np.array([[int(class_color(k)[i:i + 2], 16) for i in (1, 3, 5)] for k in range(max(classes, 1))], float)
    chance = 1.0 / max(classes, 2)
    strength = np.clip((grid.confidence - chance) / (1 - chance), 0, 1)[..., None] * 0.75 + 0.1
    rgb = 255 * (1 - strength) + palette[grid.output.astype(int)] * strength
    return go.Image(z=rgb.astype(np.uint8), x0=float(grid.xs[0]), dx=float(grid.xs[1] - grid.xs[0]), y0=float(grid.ys[0]),
                    dy=float(grid.ys[1] - grid.ys[0]), hoverinfo="skip")


def regression_curve(curve: Curve, x_train, y_train, x_test=None, y_test=None, show_test: bool = True,
                     title: str = "Prediction") -> go.Figure:
    """For one input feature: the model's curve over the data points."""
    traces = []
    sets = [("train", x_train, y_train, TRAIN_COLOR)]
    if show_test and x_test is not None:
        sets.append(("test", x_test, y_test, TEST_COLOR))
    for split, x, y, color in sets:
        x, y = _points(x, y)
        traces.append(go.Scatter(x=x.reshape(len(x), -1)[:, 0], y=y.reshape(len(y), -1)[:, 0].astype(float), mode="markers",
                                 name=split, marker={"color": color, "size": 6, "opacity": 0.6}))
    pred = curve.prediction if curve.prediction.ndim == 1 else curve.prediction[:, 0]
    traces.append(go.Scatter(x=curve.xs, y=pred, mode="lines", name="model", line={"color": "#111827", "width": 3}))
    fig = go.Figure(traces)
    base_layout(fig, title, height=400)
    fig.update_xaxes(title_text=curve.feature_name)
    fig.update_yaxes(title_text="y (target)")
    return fig


def neuron_curves(curve: Curve, include_linear: bool = False) -> go.Figure:
    """For one input feature: each hidden neuron's output along x, one panel per layer."""
    layers = _hidden_layers(curve.neurons, include_linear)
    if not layers:
        return _message("Neurons", "This model has no hidden layers: the output layer sees the input directly.")
    cols = min(len(layers), 4)
    layout, notes, refs, height = _grid([f"{nl.index} {nl.type}" for nl in layers], cols, 170, square=False,
                                        reverse_y=False, ticks=True, gap=60, bottom=60)
    traces = []
    for nl, (xr, yr) in zip(layers, refs):
        color = _family_color(nl.type)
        for u, values in enumerate(nl.values):
            traces.append(go.Scatter(x=curve.xs, y=values, mode="lines", xaxis=xr, yaxis=yr, showlegend=False,
                                     line={"color": color, "width": 1.5}, opacity=0.7,
                                     hovertemplate=f"neuron {u}<br>{curve.feature_name} %{{x:.2f}} → %{{y:.3f}}<extra></extra>"))
        layout[xr.replace("x", "xaxis")]["title"] = {"text": curve.feature_name, "font": {"size": SMALL}}
        layout[yr.replace("y", "yaxis")]["title"] = {"text": "output", "font": {"size": SMALL}}
    return _compose(traces, layout, notes, "Neurons: output along the input", height, bottom=60, left=60)


# ---------------------------------------------------------------- training health
def grad_norms(history: dict[str, np.ndarray], epochs: Sequence[int] | None = None) -> go.Figure:
    """Gradient norm per layer and epoch, log scale: vanishing gradients sink, exploding ones climb."""
    fig = go.Figure()
    for k, (label, values) in enumerate(history.items()):
        v = np.asarray(values, dtype=float)
        v = np.where(v > 0, v, np.nan)  # a zero norm has no logarithm
        x = list(epochs) if epochs is not None else list(range(1, len(v) + 1))
        fig.add_trace(go.Scatter(x=x, y=v, mode="lines+markers" if len(v) < 40 else "lines", name=label,
                                 line={"color": class_color(k), "width": 2.5},
                                 hovertemplate=f"{label}<br>epoch %{{x}}: %{{y:.3g}}<extra></extra>"))
    base_layout(fig, "Gradient norm per layer", height=380)
    longest = max((len(v) for v in history.values()), default=1)
    fig.update_xaxes(title_text="epoch", dtick=max(1, math.ceil(longest / 10)))
    fig.update_yaxes(title_text="gradient norm (L2, log scale)", type="log", exponentformat="power")
    return fig


def _histograms(stats: Sequence[ActivationStats | WeightStats], value: str, title: str, empty: str) -> go.Figure:
    if not stats:
        return _message(title, empty)
    cols = min(len(stats), 2)  # the page shows weights and activations side by side: two panels a row keep titles apart
    titles = []
    for s in stats:
        dead = getattr(s, "dead_fraction", None)
        extra = f" · {_pct(dead)} dead" if dead is not None else ""
        titles.append(f"{s.label}<br>mean {s.mean:.2f} · std {s.std:.2f}{extra}")
    layout, notes, refs, height = _grid(titles, cols, 150, square=False, reverse_y=False, ticks=True, gap=62, bottom=62,
                                        title_h=44)
    traces = []
    for k, (s, (xr, yr)) in enumerate(zip(stats, refs)):
        values = np.asarray(s.values, dtype=float)
        lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
        counts, edges = np.histogram(values, bins=40, range=(lo, hi) if hi > lo else (lo - 0.5, hi + 0.5))
        traces.append(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, width=np.diff(edges), xaxis=xr, yaxis=yr,
                             marker={"color": _family_color(s.type), "line": {"width": 0}}, showlegend=False,
                             hovertemplate=f"{s.label}<br>{value} %{{x:.3f}}: %{{y}}<extra></extra>"))
        layout[xr.replace("x", "xaxis")]["title"] = {"text": value, "font": {"size": SMALL}}
        if k % cols == 0:
            layout[yr.replace("y", "yaxis")]["title"] = {"text": "count", "font": {"size": SMALL}}
    layout["bargap"] = 0
    return _compose(traces, layout, notes, title, height, bottom=62, left=60)


def weight_histograms(stats: Sequence[WeightStats]) -> go.Figure:
    """How each layer's weights are spread (biases and norm gains left out)."""
    return _histograms(stats, "weight value", "Weights per layer", "This model has no weight matrices or kernels.")


def activation_histograms(stats: Sequence[ActivationStats]) -> go.Figure:
    """How each layer's outputs are spread over a batch of samples."""
    return _histograms(stats, "output value", "Activations per layer", "No layer outputs to show.")


def dead_relu(stats: Sequence[ActivationStats]) -> go.Figure:
    """Per ReLU layer, the share of units that output 0 for every sample in the batch."""
    relus = [s for s in stats if s.units is not None]
    if not relus:
        return _message("Dead ReLUs", "This model has no ReLU layers.")
    fig = go.Figure(go.Bar(x=[s.label for s in relus], y=[100 * s.dead_fraction for s in relus],
                           text=[f"{len(s.dead_units)} of {s.units}" for s in relus], textposition="outside",
                           cliponaxis=False, marker_color=FAMILY_COLORS["activation"],
                           hovertemplate="%{x}<br>%{y:.0f} % of units never fire<extra></extra>"))
    base_layout(fig, "Dead ReLU units", height=320)
    fig.update_xaxes(title_text="layer", type="category")
    fig.update_yaxes(title_text="dead units (%)", range=[0, 110])
    return fig


# ---------------------------------------------------------------- a whole split
def _names(ev: Evaluation, n: int) -> list[str]:
    names = list(ev.class_names) if ev.class_names else [str(k) for k in range(n)]
    return [{" ": "␣", "\n": "↵"}.get(c, c) for c in names]


def confusion_matrix(ev: Evaluation) -> go.Figure:
    """Counts of (true, predicted) pairs: the diagonal is right, everything else is a confusion."""
    cm = ev.confusion
    n = len(cm)
    names = _names(ev, n)
    custom = np.array([[(names[t], names[p]) for p in range(n)] for t in range(n)], dtype=object)
    fig = go.Figure(go.Heatmap(z=cm, colorscale=ATTENTION, customdata=custom, texttemplate="%{z}" if n <= 15 else None,
                               colorbar={"title": {"text": "samples"}, "thickness": 14},
                               hovertemplate="true %{customdata[0]}, predicted %{customdata[1]}<br>%{z} samples<extra></extra>"))
    unit = " tokens" if ev.task in ("token_classification", "next_token") else ""
    base_layout(fig, f"Confusion matrix ({ev.split}, accuracy {_pct(ev.accuracy)}{' per token' if unit else ''})",
                height=min(800, max(380, 140 + 36 * n)))
    ticks = {"tickmode": "array", "tickvals": list(range(n)), "ticktext": names, "showgrid": False, "zeroline": False,
             "tickfont": {"size": SMALL if n <= 20 else 9}}
    fig.update_xaxes(title_text="predicted" + unit, **ticks, constrain="domain")
    fig.update_yaxes(title_text="true" + unit, autorange="reversed", scaleanchor="x", constrain="domain", **ticks)
    return fig


def per_class_accuracy(ev: Evaluation) -> go.Figure:
    """Share of each true class predicted right (its recall); the dashed line is the overall accuracy."""
    acc = np.asarray(ev.per_class_accuracy, dtype=float)
    names = _names(ev, len(acc))
    present = ~np.isnan(acc)
    fig = go.Figure(go.Bar(x=[names[k] for k in np.flatnonzero(present)], y=100 * acc[present],
                           marker_color=[class_color(k) for k in np.flatnonzero(present)],
                           hovertemplate="class %{x}<br>%{y:.1f} % right<extra></extra>"))
    fig.add_hline(y=100 * ev.accuracy, line={"dash": "dash", "color": "#111827", "width": 1.5})
    base_layout(fig, f"Accuracy per class ({ev.split}; dashed: overall {_pct(ev.accuracy)})", height=340)
    fig.update_xaxes(title_text="true class", type="category")
    fig.update_yaxes(title_text="accuracy (%)", range=[0, 105])
    return fig


def wrong_examples(ev: Evaluation, x_all=None, y_all=None, feature_names: Sequence[str] | None = None
                   ) -> go.Figure | list[dict[str, Any]]:
    """The most confidently wrong examples: images as small heatmaps, 2-D points on a scatter, anything else as table rows."""
    names = _names(ev, len(ev.confusion) if ev.confusion is not None else 0)
    shape = tuple(ev.input_shape or ())
    if ev.input_kind == "float" and len(shape) == 3:
        return _wrong_images(ev, names) if ev.wrong else _message("Most confident mistakes", f"No mistakes on the {ev.split} split.")
    if ev.input_kind == "float" and shape == (2,):
        return _wrong_points(ev, names, x_all, y_all, feature_names or ("x1", "x2"))
    return [_wrong_row(w, names, feature_names) for w in ev.wrong]


def _wrong_images(ev: Evaluation, names: list[str]) -> go.Figure:
    titles = [f"true {names[w.true]} → predicted {names[w.predicted]} ({_pct(w.confidence)})<br>sample {w.index}"
              for w in ev.wrong]
    cols = min(len(titles), 4)
    layout, notes, refs, height = _grid(titles, cols, 130, title_h=44, gap=14, axis_titles=("column", "row"))
    traces = [go.Heatmap(z=w.input[0], xaxis=xr, yaxis=yr, coloraxis="coloraxis",
                         hovertemplate="row %{y}, column %{x}<br>value %{z:.2f}<extra></extra>")
              for w, (xr, yr) in zip(ev.wrong, refs)]
    layout["coloraxis"] = {"colorscale": GREYS, "cmin": 0, "cmax": 1, "showscale": False}
    return _compose(traces, layout, notes, f"Most confident mistakes ({ev.split})", height, left=40)


def _wrong_points(ev, names, x_all, y_all, feature_names) -> go.Figure:
    traces = []
    if x_all is not None:
        x, y = _points(x_all, y_all)
        traces.append(go.Scatter(x=x[:, 0], y=x[:, 1], mode="markers", name=f"{ev.split} samples",
                                 marker={"color": "#cbd5e1", "size": 6}, hoverinfo="skip"))
    pts = np.array([w.input for w in ev.wrong]).reshape(-1, 2)
    traces.append(go.Scatter(x=pts[:, 0], y=pts[:, 1], mode="markers", name="most confident mistakes",
                             marker={"color": [class_color(w.predicted) for w in ev.wrong], "size": 13, "symbol": "x",
                                     "line": {"color": "#111827", "width": 1}},
                             customdata=[[names[w.true], names[w.predicted], _pct(w.confidence)] for w in ev.wrong],
                             hovertemplate="true %{customdata[0]} → predicted %{customdata[1]} (%{customdata[2]})<extra></extra>"))
    fig = go.Figure(traces)
    none = "" if ev.wrong else ": none"
    base_layout(fig, f"Most confident mistakes ({ev.split}){none}", height=420)
    fig.update_xaxes(title_text=feature_names[0], constrain="domain")
    fig.update_yaxes(title_text=feature_names[1], scaleanchor="x", constrain="domain")
    return fig


def _wrong_row(w, names: list[str], feature_names) -> dict[str, Any]:
    def show(v):
        return " ".join(names[int(t)] for t in np.atleast_1d(v)) if names else str(v)

    row: dict[str, Any] = {"sample": w.index}
    if w.tokens is not None:
        row["input"] = " ".join(w.tokens)
    row.update({"true": show(w.true), "predicted": show(w.predicted), "confidence": _pct(w.confidence)})
    if np.ndim(w.true):
        row["wrong tokens"] = int((np.asarray(w.true) != np.asarray(w.predicted)).sum())
    if w.tokens is None:
        values = w.input.ravel()
        columns = list(feature_names) if feature_names is not None and len(feature_names) == values.size else \
            [f"feature {k}" for k in range(values.size)]
        # Tables are standardised with the training split's mean and std, so a value is in standard deviations
        row.update({f"{_UNIT.sub('', c)} (z-score)": round(float(v), 2) for c, v in zip(columns, values)})
    return row


def pred_vs_true(ev: Evaluation) -> go.Figure:
    """Regression: each sample's prediction against its true value; on the dashed line y = x they agree."""
    t, p = ev.y_true.ravel(), ev.y_pred.ravel()
    lo, hi = float(min(t.min(), p.min())), float(max(t.max(), p.max()))
    fig = go.Figure([
        go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="y = x (perfect)", line={"dash": "dash", "color": "#64748b"}),
        go.Scatter(x=t, y=p, mode="markers", name=f"{ev.split} samples", marker={"color": TEST_COLOR, "size": 6, "opacity": 0.6},
                   hovertemplate="true %{x:.3f}<br>predicted %{y:.3f}<extra></extra>"),
    ])
    r2 = f", R² = {ev.r2:.3f}" if ev.r2 is not None else ""
    base_layout(fig, f"Predicted vs true ({ev.split}{r2})", height=420)
    fig.update_xaxes(title_text="true value y", constrain="domain")
    fig.update_yaxes(title_text="predicted value ŷ", scaleanchor="x", constrain="domain")
    return fig


def residuals(ev: Evaluation) -> go.Figure:
    """Regression: how far off the predictions are; centred on 0 when the model is unbiased."""
    r = ev.residuals.ravel()
    lo, hi = float(r.min()), float(r.max())
    counts, edges = np.histogram(r, bins=40, range=(lo, hi) if hi > lo else (lo - 0.5, hi + 0.5))
    fig = go.Figure(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, width=np.diff(edges), marker_color=TEST_COLOR,
                           hovertemplate="residual %{x:.3f}: %{y} samples<extra></extra>"))
    fig.add_vline(x=0, line={"dash": "dash", "color": "#111827"})
    base_layout(fig, f"Residuals ({ev.split}, MSE {ev.mse:.4f}, MAE {ev.mae:.4f})", height=340)
    fig.update_layout(bargap=0)
    fig.update_xaxes(title_text="residual y − ŷ")
    fig.update_yaxes(title_text="samples")
    return fig
