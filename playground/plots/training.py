"""Live training charts from a Snapshot: loss per step and per epoch, accuracy, learning rate."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from playground.plots.style import TEST_COLOR, TRAIN_COLOR, layout

MAX_POINTS = 400  # a live chart redrawn twice a second stays light in the browser (five of them on one laptop too)


def _thin(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(x) <= MAX_POINTS:
        return x, y
    idx = np.linspace(0, len(x) - 1, MAX_POINTS).astype(int)
    return x[idx], y[idx]


def _figure(traces: list[dict], title: str, height: int, xaxis: dict, yaxis: dict, **extra) -> go.Figure:
    # Built in one validated construction: Plotly's per-call updates (add_trace, update_xaxes, ...) cost
    # ~20 ms a chart, which matters at two redraws a second per session.
    return go.Figure(data=traces, layout=layout(title, height, xaxis=xaxis, yaxis=yaxis, **extra))


def loss_chart(snap, log_y: bool = False, height: int = 360) -> go.Figure:
    """Per-batch loss (thin), per-epoch train and test loss (markers) on an epoch axis; learning-rate changes marked."""
    steps = np.arange(1, len(snap.step_losses) + 1) / max(1, snap.steps_per_epoch)
    x, y = _thin(steps, np.asarray(snap.step_losses, dtype=float))
    traces = [{"type": "scatter", "x": x, "y": y, "mode": "lines", "name": "batch loss", "line": {"color": "#94a3b8", "width": 1},
               "hovertemplate": "epoch %{x:.2f}<br>batch loss %{y:.4f}<extra></extra>"}]
    if snap.epochs:
        ep = [r.epoch for r in snap.epochs]
        for name, values, color in (("train loss", [r.train_loss for r in snap.epochs], TRAIN_COLOR),
                                    ("test loss", [r.test_loss for r in snap.epochs], TEST_COLOR)):
            traces.append({"type": "scatter", "x": ep, "y": values, "mode": "lines+markers", "name": name,
                           "line": {"color": color, "width": 2.5}, "hovertemplate": f"epoch %{{x}}<br>{name} %{{y:.4f}}<extra></extra>"})
    shapes, notes = [], []
    for step, lr in snap.lr_changes:
        at = step / max(1, snap.steps_per_epoch)
        shapes.append({"type": "line", "x0": at, "x1": at, "y0": 0, "y1": 1, "yref": "paper",
                       "line": {"color": "#7c3aed", "dash": "dot", "width": 2}})
        notes.append({"x": at, "y": 1, "yref": "paper", "text": f"lr → {lr:g}", "showarrow": False, "xanchor": "left",
                      "yanchor": "top", "font": {"color": "#7c3aed", "size": 13}, "bgcolor": "rgba(255,255,255,0.8)"})
    return _figure(traces, "Loss", height, {"title": {"text": "epoch"}, "rangemode": "tozero"},
                   {"title": {"text": "loss (log scale)" if log_y else "loss"}, "type": "log" if log_y else "linear"},
                   shapes=shapes, annotations=notes)


def empty_loss_chart(height: int = 360) -> go.Figure:
    """The loss axes before training has started."""
    trace = {"type": "scatter", "x": [], "y": [], "mode": "lines", "name": "batch loss", "line": {"color": "#94a3b8", "width": 1}}
    return _figure([trace], "Loss", height, {"title": {"text": "epoch"}, "range": [0, 1]}, {"title": {"text": "loss"}, "range": [0, 1]})


def accuracy_chart(snap, height: int = 300) -> go.Figure:
    ep = [r.epoch for r in snap.epochs]
    traces = [{"type": "scatter", "x": ep, "y": [100 * (getattr(r, key) or 0) for r in snap.epochs], "mode": "lines+markers",
               "name": name, "line": {"color": color, "width": 2.5}, "hovertemplate": f"epoch %{{x}}<br>{name} %{{y:.1f}} %<extra></extra>"}
              for name, key, color in (("train", "train_accuracy", TRAIN_COLOR), ("test", "test_accuracy", TEST_COLOR))]
    return _figure(traces, "Accuracy", height, {"title": {"text": "epoch"}, "rangemode": "tozero"},
                   {"title": {"text": "accuracy (%)"}, "range": [0, 101]})


def lr_chart(snap, height: int = 300) -> go.Figure:
    trace = {"type": "scatter", "x": [r.epoch for r in snap.epochs], "y": [r.lr for r in snap.epochs], "mode": "lines+markers",
             "name": "learning rate", "line": {"color": "#7c3aed", "width": 2.5}, "hovertemplate": "epoch %{x}<br>lr %{y:.3g}<extra></extra>"}
    top = max((r.lr for r in snap.epochs), default=0.0)
    # Plotly pads a constant series by ±1, which would show a constant η of 0.01 as "0"
    return _figure([trace], "Learning rate", height, {"title": {"text": "epoch"}, "rangemode": "tozero"},
                   {"title": {"text": "learning rate η"}, "exponentformat": "e", "range": [0, top * 1.15 if top > 0 else 1]},
                   showlegend=False)
