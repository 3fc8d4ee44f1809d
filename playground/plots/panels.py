"""Pieces every Inspect figure shares: small multiples laid out by hand, colour scales, number formats.

Small multiples use one axis pair per panel placed by domain rather than make_subplots, which is several
times slower; a whole CNN layer must draw well within a second.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go

from playground.layers import LAYERS
from playground.plots.style import DIVERGING, FAMILY_COLORS, FONT_SIZE, SEQUENTIAL, base_layout

SMALL = FONT_SIZE - 2  # panel titles and dense tick labels
GREYS = [[0.0, "#ffffff"], [1.0, "#111827"]]  # ink on paper: the images' 0 is white, 1 is black


def grid(titles: Sequence[str], cols: int, panel: int, *, top: int = 56, bottom: int = 40, title_h: int = 26,
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


def columns(n: int, most: int = 8) -> int:
    """Columns for n panels: at most `most` per row, rows as even as possible."""
    rows = math.ceil(n / most)
    return math.ceil(n / rows)


def axis_key(ref: str) -> str:
    """'x3' -> 'xaxis3': the layout key of a trace's axis reference."""
    return ref[0] + "axis" + ref[1:]


def compose(traces: list, layout: dict, notes: list, title: str, height: int, top: int = 56, bottom: int = 40,
            left: int = 30, right: int = 20) -> go.Figure:
    """A many-panel figure: the layout goes in first and the traces last, because updating the layout of a
    figure that already has many axes and traces is ten times slower in Plotly."""
    fig = go.Figure(layout={**layout, "annotations": notes})
    base_layout(fig, title, height=height)
    fig.update_layout(margin={"l": left, "r": right, "t": top, "b": bottom})
    fig.add_traces(traces)
    return fig


def scale(values: np.ndarray) -> dict[str, Any]:
    """A colour axis for values: diverging around 0 when they take both signs, sequential otherwise."""
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if lo < 0 < hi:
        m = max(-lo, hi)
        return {"colorscale": DIVERGING, "cmin": -m, "cmax": m}
    if hi == lo:
        hi = lo + 1.0
    return {"colorscale": SEQUENTIAL, "cmin": lo, "cmax": hi}


def colorbar(title: str, **extra: Any) -> dict[str, Any]:
    return {"title": {"text": title}, "thickness": 14, **extra}


def token_axis(tokens: Sequence[str] | None, n: int, title: str) -> dict[str, Any]:
    """A positional axis labelled by tokens: positions, not categories, so repeated tokens stay apart."""
    ticktext = list(tokens) if tokens is not None else [str(k) for k in range(n)]
    return {"title": {"text": title}, "tickmode": "array", "tickvals": list(range(n)), "ticktext": ticktext,
            "tickfont": {"size": SMALL if n <= 16 else 10}, "tickangle": 0, "showgrid": False, "zeroline": False}


def family_color(layer_type: str) -> str:
    d = LAYERS.get(layer_type)
    return FAMILY_COLORS[d.family] if d else FAMILY_COLORS["utility"]


def pct(p: float) -> str:
    return f"{100 * p:.0f} %"


def num(v: float) -> str:
    """A number for a formula: two decimals and a real minus sign (no "−0.00")."""
    text = f"{v:.2f}"
    return "0.00" if text == "-0.00" else text.replace("-", "−")


def term(v: float) -> str:
    """A factor or summand: negatives in brackets, so "0.40·(−0.11)" never reads as a subtraction."""
    text = num(v)
    return f"({text})" if text.startswith("−") else text


def dims(shape: Sequence[int]) -> str:
    return "×".join(str(d) for d in shape)


def message(title: str, text: str, height: int = 200) -> go.Figure:
    """A figure that only says something (an empty view), so a page never shows a blank chart."""
    fig = go.Figure()
    fig.add_annotation(text=text, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font={"size": FONT_SIZE})
    base_layout(fig, title, height=height)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def histogram_bar(values: np.ndarray, color: str, hover: str, bins: int = 40, **axes: str) -> go.Bar:
    """A histogram as bars: 40 bin counts travel to the browser instead of up to 20,000 values."""
    values = np.asarray(values, dtype=float).ravel()
    lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    counts, edges = np.histogram(values, bins=bins, range=(lo, hi) if hi > lo else (lo - 0.5, hi + 0.5))
    return go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, width=np.diff(edges), showlegend=False,
                  marker={"color": color, "line": {"width": 0}}, hovertemplate=hover, **axes)


def mosaic(images: np.ndarray, titles: Sequence[str], cols: int, colors: dict[str, Any], hover: str, title: str,
           panel: int, text: str | None = None, axis_titles: tuple[str, str] | None = None,
           gap: float = 0.25) -> go.Figure:
    """Small images of one size on a single heatmap, NaN between them and a title above each.

    One trace on one axis pair instead of an axis pair per image draws several times faster in the browser
    (TensorFlow Playground draws its neurons so too). `hover` may use %{customdata[0]} (the image),
    %{customdata[1]} and %{customdata[2]} (row and column inside it). `gap` is the space between images, as a
    share of their width (wider for titles longer than an image)."""
    n, h, w = images.shape
    rows = math.ceil(n / cols)
    gap_x, gap_y = max(1, math.ceil(gap * w)), max(2, math.ceil(0.45 * h))  # the vertical gap holds the titles
    z = np.full((rows * (h + gap_y), cols * (w + gap_x) - gap_x), np.nan)
    custom = np.full(z.shape + (3,), -1, dtype=np.int32)
    rr, cc = np.mgrid[0:h, 0:w]
    notes = []
    for k, img in enumerate(images):
        r, c = divmod(k, cols)
        top, left = r * (h + gap_y) + gap_y, c * (w + gap_x)
        z[top:top + h, left:left + w] = img
        custom[top:top + h, left:left + w] = np.stack([np.full((h, w), k), rr, cc], axis=-1)
        notes.append({"text": titles[k], "x": left + (w - 1) / 2, "y": top - 0.5, "xref": "x", "yref": "y",
                      "yanchor": "bottom", "showarrow": False, "font": {"size": SMALL}})
    heat = go.Heatmap(z=z, customdata=custom, hoverongaps=False, hovertemplate=hover + "<extra></extra>",
                      texttemplate=text, textfont={"size": 11}, **colors)
    fig = go.Figure(heat, layout={"annotations": notes})
    # tall enough for `panel` px a row, but no taller than the mosaic needs at ~620 px wide (a 1024-px projector)
    plot_h = min(rows * (panel + 30), int(620 * z.shape[0] / z.shape[1]) + 20)
    base_layout(fig, title, height=70 + plot_h + (24 if axis_titles else 0),
                margin={"l": 40, "r": 20, "t": 50, "b": 20 + (24 if axis_titles else 0)}, plot_bgcolor="#ffffff")
    axis = {"showticklabels": False, "showgrid": False, "zeroline": False, "ticks": "", "constrain": "domain"}
    fig.update_xaxes(**axis, title_text=axis_titles[0] if axis_titles else None)
    fig.update_yaxes(**axis, autorange="reversed", scaleanchor="x", title_text=axis_titles[1] if axis_titles else None)
    return fig
