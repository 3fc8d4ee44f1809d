"""Lesson 9's figures: train and test loss over epochs, final losses as capacity grows, and a model's decision
boundary over its training and test points."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from playground.i18n import t
from playground.lessons.overfitting import Boundary
from playground.plots.style import DIVERGING, TEST_COLOR, TRAIN_COLOR, class_color, layout

_BELOW = {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.2, "yanchor": "top"}
_MARGIN = {"l": 70, "r": 20, "t": 50, "b": 110}


def _loss_axis() -> dict:
    return {"title": {"text": t("learn_overfitting.fig.loss")}, "type": "log", "exponentformat": "power"}


def _marker_line(epoch: int, text: str, color: str = "#475569", dash: str = "dot") -> tuple[dict, dict]:
    shape = {"type": "line", "xref": "x", "yref": "paper", "x0": epoch, "x1": epoch, "y0": 0, "y1": 1, "line": {"color": color, "dash": dash, "width": 2}}
    note = {"text": text, "x": epoch, "xref": "x", "y": 1, "yref": "paper", "yanchor": "bottom", "showarrow": False,
            "font": {"size": 13, "color": color}}
    return shape, note


def loss_curves(train_loss: np.ndarray, test_loss: np.ndarray, best_epoch: int, title: str, height: int = 400,
                stop_epoch: int | None = None) -> go.Figure:
    """Train (blue) and test (orange) cross-entropy per epoch on a log axis; a dotted line at the lowest test loss,
    and, for early stopping, a dashed line where training stops and the epochs it never trains shaded."""
    epochs = np.arange(1, len(train_loss) + 1)
    hover = "%{fullData.name}<br>" + t("learn_overfitting.fig.epoch") + " %{x}<br>%{y:.4f}<extra></extra>"
    traces = [go.Scatter(x=epochs, y=train_loss, name=t("learn_overfitting.fig.train_loss"), line={"color": TRAIN_COLOR, "width": 3}, hovertemplate=hover),
              go.Scatter(x=epochs, y=test_loss, name=t("learn_overfitting.fig.test_loss"), line={"color": TEST_COLOR, "width": 3}, hovertemplate=hover)]
    shape, note = _marker_line(best_epoch, t("learn_overfitting.fig.best", epoch=best_epoch))
    note["xanchor"] = "left"
    shapes, notes = [shape], [note]
    if stop_epoch is not None:  # its label inside the plot, at the foot of the epochs never trained
        shape, note = _marker_line(stop_epoch, t("learn_overfitting.fig.stop", epoch=stop_epoch), "#b91c1c", "dash")
        note.update(xanchor="left", y=0.02, yanchor="bottom", xshift=4)
        shapes += [shape, {"type": "rect", "xref": "x", "yref": "paper", "x0": stop_epoch, "x1": len(train_loss), "y0": 0, "y1": 1,
                           "fillcolor": "rgba(148,163,184,0.18)", "line": {"width": 0}, "layer": "below"}]
        notes.append(note)
    return go.Figure(traces, layout(title, height, xaxis={"title": {"text": t("learn_overfitting.fig.epoch")}, "range": [1, len(train_loss)]},
                                    yaxis=_loss_axis(), shapes=shapes, annotations=notes, margin={**_MARGIN, "t": 80}, legend=_BELOW))


def capacity(sweep: dict[str, np.ndarray], chosen: int, height: int = 400) -> go.Figure:
    """Final train and test loss per hidden width (log axis), the best test loss reached during training, and the
    chosen width ringed."""
    x = sweep["width"]
    custom = np.stack([sweep["params"], sweep["train_accuracy"] * 100, sweep["test_accuracy"] * 100], axis=1)
    hover = ("%{fullData.name}<br>" + t("learn_overfitting.fig.width") + " %{x} (%{customdata[0]:,} "
             + t("learn_overfitting.fig.params") + ")<br>%{y:.4f}<extra></extra>")
    series = [("train_loss", TRAIN_COLOR, "solid"), ("test_loss", TEST_COLOR, "solid"), ("best_test_loss", TEST_COLOR, "dot")]
    traces = [go.Scatter(x=x, y=sweep[k], name=t(f"learn_overfitting.fig.final_{k}"), mode="lines+markers", customdata=custom,
                         line={"color": c, "width": 3, "dash": dash}, marker={"size": 9}, hovertemplate=hover) for k, c, dash in series]
    i = int(np.flatnonzero(x == chosen)[0]) if chosen in x else None
    if i is not None:
        traces.append(go.Scatter(x=[chosen, chosen], y=[sweep["train_loss"][i], sweep["test_loss"][i]], mode="markers", showlegend=False,
                                 marker={"size": 20, "color": "rgba(0,0,0,0)", "line": {"color": "#0f172a", "width": 2}}, hoverinfo="skip"))
    return go.Figure(traces, layout(t("learn_overfitting.fig.capacity_title"), height,
                                    xaxis={"title": {"text": t("learn_overfitting.fig.width_axis")}, "type": "log", "tickvals": x, "ticktext": [str(w) for w in x]},
                                    yaxis=_loss_axis(), margin=_MARGIN, legend=_BELOW))


def decision_boundary(b: Boundary, title: str, height: int = 430) -> go.Figure:
    """P(class 1) over the plane with the 0.5 line; training points filled, test points hollow, coloured by class."""
    # pale, so the points (filled with their class colour) stand out on their own side of the boundary
    heat = go.Heatmap(x=b.x1, y=b.x2, z=b.p, colorscale=DIVERGING, zmin=0, zmax=1, showscale=False, opacity=0.45,
                      hovertemplate="x₁ = %{x:.2f}<br>x₂ = %{y:.2f}<br>P(1) = %{z:.3f}<extra></extra>")
    line = go.Contour(x=b.x1, y=b.x2, z=b.p, contours={"start": 0.5, "end": 0.5, "size": 1, "coloring": "none"},
                      line={"color": "#0f172a", "width": 2}, showscale=False, hoverinfo="skip", showlegend=False)
    traces = [heat, line]
    for split, x, y, symbol in (("train", b.x_train, b.y_train, "circle"), ("test", b.x_test, b.y_test, "circle-open")):
        for c in (0, 1):
            pts = x[y == c]
            outline = {"color": "#ffffff", "width": 1.5} if split == "train" else {"color": class_color(c), "width": 2.5}
            traces.append(go.Scatter(x=pts[:, 0], y=pts[:, 1], mode="markers", name=t(f"learn_overfitting.fig.{split}_points", label=c),
                                     marker={"symbol": symbol, "size": 10, "color": class_color(c), "line": outline},
                                     hovertemplate=f"{t(f'learn_overfitting.fig.{split}_points', label=c)}<br>x₁ = %{{x:.2f}}<br>x₂ = %{{y:.2f}}<extra></extra>"))
    lo, hi = float(b.x1[0]), float(b.x1[-1])
    return go.Figure(traces, layout(title, height, xaxis={"title": {"text": "x₁"}, "range": [lo, hi], "constrain": "domain"},
                                    yaxis={"title": {"text": "x₂"}, "range": [lo, hi], "scaleanchor": "x", "constrain": "domain"},
                                    margin={"l": 60, "r": 20, "t": 50, "b": 135}, legend={**_BELOW, "y": -0.24}))
