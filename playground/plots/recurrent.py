"""Recurrent figures: the hidden state over time, and below it an LSTM's cell state and gates or a GRU's gates."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from playground.i18n import t
from playground.inspection.recurrent import SQUASHED, RecurrentTrace
from playground.plots.panels import SMALL, compose, token_axis
from playground.plots.style import ATTENTION, DIVERGING


def panels(rec: RecurrentTrace) -> list[tuple[str, np.ndarray]]:
    """(symbol, (T, units)) in the order drawn: h, then c and the gates in PyTorch's order."""
    out = [("h", rec.hidden)]
    if rec.cell is not None:
        out.append(("c", rec.cell))
    return out + list((rec.gates or {}).items())


def hidden_states(rec: RecurrentTrace, tokens: Sequence[str] | None = None, max_units: int = 64) -> go.Figure:
    """Time runs left to right; each row is one hidden unit. Below h_t: the cell state and gates when computed."""
    shown = panels(rec)
    n_steps = rec.hidden.shape[0]
    units = min(rec.hidden.shape[1], max_units)
    row_h = max(90, min(260, 4 * units))
    gap, title_h, top, bottom = 26, 24, 56, 60
    height = top + bottom + len(shown) * (row_h + gap + title_h)
    plot_h = height - top - bottom
    layout, notes, traces = {}, [], []
    # tanh keeps h (and the candidates) within ±1; an RNN with ReLU does not, and neither does the cell state
    ranges = {name: max(1.0, float(np.abs(values).max())) for name, values in shown}
    for k, (name, values) in enumerate(shown):
        s = "" if k == 0 else str(k + 1)
        y1 = 1 - (k * (row_h + gap + title_h) + title_h) / plot_h
        y0 = max(0.0, y1 - row_h / plot_h)
        gate = name in SQUASHED
        x_title = ""
        if k == len(shown) - 1:
            x_title = t("plots.recurrent.time_token") if tokens is not None else t("plots.recurrent.time")
        layout["xaxis" + s] = {**token_axis(tokens, n_steps, x_title), "anchor": "y" + s, **({"matches": "x"} if k else {})}
        layout["yaxis" + s] = {"domain": [y0, y1], "anchor": "x" + s, "autorange": "reversed", "showgrid": False,
                               "zeroline": False, "title": {"text": t("plots.recurrent.unit"), "font": {"size": SMALL}}}
        span = "sigmoid" if gate else "tanh" if ranges[name] == 1.0 else "unbounded"
        label = t(f"plots.recurrent.state.{name}")
        notes.append({"text": f"{label} ({t(f'plots.recurrent.range.{span}')})", "x": 0, "y": y1, "xref": "paper",
                      "yref": "paper", "xanchor": "left", "yanchor": "bottom", "showarrow": False, "font": {"size": SMALL}})
        colors = ({"colorscale": ATTENTION, "zmin": 0, "zmax": 1} if gate else
                  {"colorscale": DIVERGING, "zmin": -ranges[name], "zmax": ranges[name]})
        traces.append(go.Heatmap(z=values[:, :units].T, xaxis="x" + s, yaxis="y" + s,
                                 colorbar={"thickness": 12, "len": row_h / plot_h, "y": y1, "yanchor": "top"},
                                 hovertemplate=f"{label}<br>" + t("plots.recurrent.hover") + "<extra></extra>", **colors))
    title = t("plots.recurrent.title", label=rec.label)
    if units < rec.hidden.shape[1]:
        title += t("plots.recurrent.first_units", n=units, total=rec.hidden.shape[1])
    return compose(traces, layout, notes, title, height, top=top, bottom=bottom, left=60)
