"""Live training charts from a Snapshot: loss per step and per epoch, accuracy, learning rate."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from playground.plots.style import TEST_COLOR, TRAIN_COLOR, base_layout

MAX_POINTS = 400  # a live chart redrawn twice a second stays light in the browser (five of them on one laptop too)


def _thin(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(x) <= MAX_POINTS:
        return x, y
    idx = np.linspace(0, len(x) - 1, MAX_POINTS).astype(int)
    return x[idx], y[idx]


def loss_chart(snap, log_y: bool = False, height: int = 360) -> go.Figure:
    """Per-batch loss (thin), per-epoch train and test loss (markers) on an epoch axis; learning-rate changes marked."""
    fig = go.Figure()
    steps = np.arange(1, len(snap.step_losses) + 1) / max(1, snap.steps_per_epoch)
    losses = np.asarray(snap.step_losses, dtype=float)
    x, y = _thin(steps, losses)
    fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name="batch loss", line={"color": "#94a3b8", "width": 1},
                             hovertemplate="epoch %{x:.2f}<br>batch loss %{y:.4f}<extra></extra>"))
    if snap.epochs:
        ep = [r.epoch for r in snap.epochs]
        fig.add_trace(go.Scatter(x=ep, y=[r.train_loss for r in snap.epochs], mode="lines+markers", name="train loss",
                                 line={"color": TRAIN_COLOR, "width": 2.5}, hovertemplate="epoch %{x}<br>train loss %{y:.4f}<extra></extra>"))
        fig.add_trace(go.Scatter(x=ep, y=[r.test_loss for r in snap.epochs], mode="lines+markers", name="test loss",
                                 line={"color": TEST_COLOR, "width": 2.5}, hovertemplate="epoch %{x}<br>test loss %{y:.4f}<extra></extra>"))
    for step, lr in snap.lr_changes:
        at = step / max(1, snap.steps_per_epoch)
        fig.add_vline(x=at, line={"color": "#7c3aed", "dash": "dot", "width": 2})
        fig.add_annotation(x=at, y=1, yref="paper", text=f"lr → {lr:g}", showarrow=False, xanchor="left", yanchor="top",
                           font={"color": "#7c3aed", "size": 13}, bgcolor="rgba(255,255,255,0.8)")
    fig.update_xaxes(title_text="epoch", rangemode="tozero")
    fig.update_yaxes(title_text="loss (log scale)" if log_y else "loss", type="log" if log_y else "linear")
    return base_layout(fig, "Loss", height=height)


def empty_loss_chart(height: int = 360) -> go.Figure:
    """The loss axes before training has started."""
    fig = go.Figure(go.Scatter(x=[], y=[], mode="lines", name="batch loss", line={"color": "#94a3b8", "width": 1}))
    fig.update_xaxes(title_text="epoch", range=[0, 1])
    fig.update_yaxes(title_text="loss", range=[0, 1])
    return base_layout(fig, "Loss", height=height)


def accuracy_chart(snap, height: int = 300) -> go.Figure:
    fig = go.Figure()
    ep = [r.epoch for r in snap.epochs]
    fig.add_trace(go.Scatter(x=ep, y=[100 * (r.train_accuracy or 0) for r in snap.epochs], mode="lines+markers", name="train",
                             line={"color": TRAIN_COLOR, "width": 2.5}, hovertemplate="epoch %{x}<br>train %{y:.1f} %<extra></extra>"))
    fig.add_trace(go.Scatter(x=ep, y=[100 * (r.test_accuracy or 0) for r in snap.epochs], mode="lines+markers", name="test",
                             line={"color": TEST_COLOR, "width": 2.5}, hovertemplate="epoch %{x}<br>test %{y:.1f} %<extra></extra>"))
    fig.update_xaxes(title_text="epoch", rangemode="tozero")
    fig.update_yaxes(title_text="accuracy (%)", range=[0, 101])
    return base_layout(fig, "Accuracy", height=height)


def lr_chart(snap, height: int = 300) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[r.epoch for r in snap.epochs], y=[r.lr for r in snap.epochs], mode="lines+markers", name="learning rate",
                             line={"color": "#7c3aed", "width": 2.5}, hovertemplate="epoch %{x}<br>lr %{y:.3g}<extra></extra>"))
    fig.update_xaxes(title_text="epoch", rangemode="tozero")
    top = max((r.lr for r in snap.epochs), default=0.0)
    # Plotly pads a constant series by ±1, which would show a constant η of 0.01 as "0"
    fig.update_yaxes(title_text="learning rate η", exponentformat="e", range=[0, top * 1.15 if top > 0 else 1])
    return base_layout(fig, "Learning rate", height=height, showlegend=False)
