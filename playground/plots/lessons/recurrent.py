"""Lesson 5's figures: the unrolled network as a Graphviz graph, the gradient reaching each time step, and the
gates of an LSTM or GRU over time."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from playground.i18n import t
from playground.lessons.recurrent import StepGradients, Unrolled
from playground.plots.style import ATTENTION, DIVERGING, FAMILY_COLORS, class_color, layout

MAX_STEPS = 8  # cells drawn before the middle of a longer sequence is elided
SHOWN_UNITS = 3  # hidden values written in each h_t box
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _sub(n: int) -> str:
    return str(n).translate(_SUB)


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _shown_steps(total: int) -> list[int | None]:
    """Step indices to draw (0-based); None stands for the elided middle of a long sequence."""
    if total <= MAX_STEPS:
        return list(range(total))
    head = MAX_STEPS // 2
    return [*range(head), None, *range(total - (MAX_STEPS - head - 1), total)]


def _state_label(symbol: str, step: int, values: np.ndarray) -> str:
    shown = "\\n".join(f"{v:+.2f}".replace("-", "−") for v in values[:SHOWN_UNITS])
    return f"{symbol}{_sub(step)}\\n{shown}" + ("\\n⋮" if len(values) > SHOWN_UNITS else "")


_HEAD = ['  rankdir=BT; nodesep=0.1; ranksep=0.3; bgcolor="transparent";',
         '  node [fontname="Helvetica", fontsize=17, margin="0.06,0.03", width=0.8, height=0.3];',  # one width: columns align
         '  edge [fontname="Helvetica", fontsize=15, color="#64748b", fontcolor="#334155", arrowsize=0.7];']
_DOTS = 'label="⋯", shape=plaintext'


def unrolled(u: Unrolled) -> str:
    """DOT source: inputs at the bottom, one cell per time step in the middle, hidden states on top; the cells are
    one layer with one set of weights, so they sit in one dashed box (the page's caption says so)."""
    steps = _shown_steps(len(u.inputs))
    color = FAMILY_COLORS["recurrent"]
    cells = ["h0"] + ["cdots" if k is None else f"c{k}" for k in steps]
    lines = ["digraph unrolled {", *_HEAD, "  { rank=same;", *_inputs(u, steps), "  }", "  { rank=same;",
             *_states(u, steps, color), "  }", *_cells(u, cells, color)]
    lines += [f'  {a} -> {b} [color="{color}", penwidth=2];' for a, b in zip(cells, cells[1:])]
    lines += [edge for k in steps if k is not None for edge in (f"  x{k} -> c{k};", f"  c{k} -> h{k + 1};")]
    if u.prediction is not None:
        answer = _quote(f"{t('learn_recurrent.diagram.prediction')} {u.prediction}")
        lines.append(f'  out [label="Linear →\\n{answer}", shape=note, style=filled, fillcolor="#e2e8f0", color="#e2e8f0"];')
        lines.append(f"  h{len(u.inputs)} -> out;")
    return "\n".join([*lines, "}"])


def _inputs(u: Unrolled, steps: list[int | None]) -> list[str]:
    return [f"  xdots [{_DOTS}];" if k is None else
            f'  x{k} [label="x{_sub(k + 1)}\\n{_quote(u.inputs[k])}", shape=box, style="rounded", color="#94a3b8"];'
            for k in steps]


def _states(u: Unrolled, steps: list[int | None], color: str) -> list[str]:
    return [f"  hdots [{_DOTS}];" if k is None else
            f'  h{k + 1} [label="{_state_label("h", k + 1, u.hidden[k])}", shape=box, style="rounded,filled", '
            f'fillcolor="#ede9fe", color="{color}"];' for k in steps]


def _cells(u: Unrolled, cells: list[str], color: str) -> list[str]:
    """The starting state and one cell per step, in one rank inside the dashed box of shared weights."""
    start = "h₀, c₀" if u.kind == "LSTM" else "h₀"
    label = u.kind + (f"\\n×{u.num_layers}" if u.num_layers > 1 else "")
    cell = f'label="{label}", shape=box, style="rounded,filled", fillcolor="{color}", fontcolor="white"'
    return [f'  subgraph cluster_cells {{ label=""; style="rounded,dashed"; color="{color}"; penwidth=1.5;',
            f'  {{ rank=same; h0 [label="{start} = 0", shape=plaintext, fontcolor="#475569"];',
            *(f"  {name} [{_DOTS if name == 'cdots' else cell}];" for name in cells[1:]), "  }", "  }"]


def step_gradients(profiles: list[StepGradients], height: int = 460) -> go.Figure:
    """‖∂L/∂x_t‖ against the time step t on a log scale, one line per cell type; t = 1 is the token to recall."""
    traces = []
    for i, p in enumerate(profiles):
        steps = np.arange(1, len(p.norms) + 1)
        name = t("learn_recurrent.fig.ratio_legend", kind=p.kind, ratio=_sci(p.ratio))
        traces.append(go.Scatter(x=steps, y=p.norms, mode="lines+markers", name=name, marker={"size": 5},
                                 line={"color": class_color(i), "width": 3},
                                 hovertemplate=f"{p.kind}<br>t = %{{x}}<br>‖∂L/∂x_t‖ = %{{y:.2e}}<extra></extra>"))
    return go.Figure(traces, layout(t("learn_recurrent.fig.gradients_title"), height,
                                    xaxis={"title": {"text": t("learn_recurrent.fig.step_axis")}},
                                    yaxis={"title": {"text": t("learn_recurrent.fig.gradient_axis")}, "type": "log",
                                           "exponentformat": "power"},
                                    margin={"l": 80, "r": 20, "t": 50, "b": 120},
                                    legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.2, "yanchor": "top"}))


def _sci(value: float) -> str:
    """7.1·10⁻¹³ rather than 7.1e-13."""
    mantissa, exponent = f"{value:.1e}".split("e")
    power = str(int(exponent)).replace("-", "⁻").translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"{mantissa}·10{power}"


_SQUASHED = {"i", "f", "o", "r", "z"}  # sigmoid outputs, between 0 and 1


def gate_heatmaps(states: dict[str, np.ndarray], tokens: list[str], max_units: int = 16) -> go.Figure:
    """One heatmap per gate or state (rows = hidden units, columns = time steps): gates on 0…1, the rest on ±range."""
    names = list(states)
    units = min(max_units, next(iter(states.values())).shape[1])
    row_h, gap, top, bottom = 92, 40, 40, 70
    height = top + bottom + len(names) * (row_h + gap)
    plot_h = height - top - bottom
    steps = len(tokens)
    axis = {"tickmode": "array", "tickvals": list(range(steps)),
            "ticktext": [f"{k + 1}<br>{tok}" for k, tok in enumerate(tokens)] if steps <= 16 else None}
    lay = layout(None, height, margin={"l": 70, "r": 20, "t": top, "b": bottom})
    traces, notes = [], []
    for n, name in enumerate(names):
        s = "" if n == 0 else str(n + 1)
        y1 = 1 - n * (row_h + gap) / plot_h
        y0 = y1 - row_h / plot_h
        values = states[name][:, :units].T
        gate = name in _SQUASHED
        span = max(1.0, float(np.abs(values).max()))
        colors = {"colorscale": ATTENTION, "zmin": 0, "zmax": 1} if gate else {"colorscale": DIVERGING, "zmin": -span, "zmax": span}
        traces.append(go.Heatmap(z=values, xaxis="x" + s, yaxis="y" + s, **colors,
                                 colorbar={"thickness": 12, "len": row_h / plot_h, "y": y1, "yanchor": "top"},
                                 hovertemplate=f"{name}<br>t = %{{customdata}}<br>unit %{{y}}<br>%{{z:.3f}}<extra></extra>",
                                 customdata=np.tile(np.arange(1, steps + 1), (units, 1))))
        last = n == len(names) - 1
        lay["xaxis" + s] = {**axis, "anchor": "y" + s, "showticklabels": last,
                            "title": {"text": t("learn_recurrent.fig.step_axis") if last else ""},
                            **({"matches": "x"} if n else {})}
        lay["yaxis" + s] = {"domain": [max(0.0, y0), y1], "anchor": "x" + s, "autorange": "reversed", "showgrid": False,
                            "title": {"text": t("learn_recurrent.fig.unit_axis"), "font": {"size": 12}}}
        notes.append({"text": t(f"learn_recurrent.gates.{name}"), "x": 0, "y": y1, "xref": "paper", "yref": "paper",
                      "xanchor": "left", "yanchor": "bottom", "showarrow": False, "font": {"size": 13}})
    lay["annotations"] = notes
    return go.Figure(traces, lay)
