"""Live training charts from a Snapshot, as plain Plotly figure dicts: loss, accuracy, learning rate.

Each chart comes as a figure (`*_figure`) and as the points of its traces (`*_traces`, in the same order),
so a live chart can be sent whole once and then grow by its new points only (ui/components/live_chart.py).
"""
from __future__ import annotations

from typing import Any

from playground.i18n import t
from playground.plots.style import TEST_COLOR, TRAIN_COLOR, layout

LR_COLOR = "#7c3aed"
MARKED_EPOCHS = 40  # an epoch curve shows a marker per epoch up to this many epochs; past it, the markers would
# run together into a thick line (and each one costs the browser time at every redraw of a live chart)
Traces = list[tuple[list, list]]


def marked(snap) -> bool:
    """Whether the per-epoch curves show a marker at each epoch."""
    return len(snap.epochs) <= MARKED_EPOCHS


def _line(name: str, points: tuple[list, list], color: str, width: float, hover: str, markers: bool = True) -> dict[str, Any]:
    return {"type": "scatter", "x": points[0], "y": points[1], "mode": "lines+markers" if markers else "lines", "name": name,
            "line": {"color": color, "width": width}, "hovertemplate": hover + "<extra></extra>"}


def _figure(traces: list[dict], title: str, height: int, xaxis: dict, yaxis: dict, **extra) -> dict[str, Any]:
    # tick labels are laid out once, not measured one against another at every redraw (Plotly's default hides
    # any that would overflow the figure; these never do, inside its margins)
    grid = {"gridcolor": "#e2e8f0", "zerolinecolor": "#cbd5e1", "ticklabeloverflow": "allow"}
    return {"data": traces, "layout": layout(title, height, xaxis={**grid, **xaxis}, yaxis={**grid, **yaxis},
                                             plot_bgcolor="#ffffff", paper_bgcolor="#ffffff", **extra)}


def _short(values) -> list[float]:
    """Five significant digits: what a chart can show, in half the bytes of a full float."""
    return [float(f"{v:.5g}") for v in values]


def loss_traces(snap) -> Traces:
    """Batch losses (x in epochs, thinned as they came), then per-epoch train and test loss."""
    per = max(1, snap.steps_per_epoch)
    epochs = [r.epoch for r in snap.epochs]
    return [(_short(s / per for s in snap.loss_steps), _short(snap.loss_values)),
            (epochs, _short(r.train_loss for r in snap.epochs)), (list(epochs), _short(r.test_loss for r in snap.epochs))]


def loss_figure(snap, log_y: bool = False, height: int = 360) -> dict[str, Any]:
    """Per-batch loss (thin), per-epoch train and test loss (with markers while few) on an epoch axis; learning-rate changes marked."""
    batch, train, test = loss_traces(snap)
    epoch = t("train.charts.epoch")
    names = (t("train.charts.batch_loss"), t("train.charts.train_loss"), t("train.charts.test_loss"))
    traces = [_line(names[0], batch, "#94a3b8", 1, f"{epoch} %{{x:.2f}}<br>{names[0]} %{{y:.4f}}", markers=False)]
    traces += [_line(name, points, color, 2.5, f"{epoch} %{{x}}<br>{name} %{{y:.4f}}", marked(snap))
               for name, points, color in ((names[1], train, TRAIN_COLOR), (names[2], test, TEST_COLOR))]
    shapes, notes = [], []
    for step, lr in snap.lr_changes:
        at = step / max(1, snap.steps_per_epoch)
        shapes.append({"type": "line", "x0": at, "x1": at, "y0": 0, "y1": 1, "yref": "paper", "line": {"color": LR_COLOR, "dash": "dot", "width": 2}})
        notes.append({"x": at, "y": 1, "yref": "paper", "text": f"lr → {lr:g}", "showarrow": False, "xanchor": "left",
                      "yanchor": "top", "font": {"color": LR_COLOR, "size": 13}, "bgcolor": "rgba(255,255,255,0.8)"})
    if not snap.loss_steps:  # nothing trained yet: the axes
        return empty_loss_figure(log_y, height, traces)
    return _figure(traces, t("train.charts.loss_title"), height, {"title": {"text": epoch}, "rangemode": "tozero"}, _loss_axis(log_y),
                   shapes=shapes, annotations=notes)


def _loss_axis(log_y: bool) -> dict[str, Any]:
    return {"title": {"text": t("train.charts.loss_log" if log_y else "train.charts.loss_axis")}, "type": "log" if log_y else "linear"}


def empty_loss_figure(log_y: bool = False, height: int = 360, traces: list[dict] | None = None) -> dict[str, Any]:
    """The loss chart's axes before training has started."""
    return _figure(traces or [], t("train.charts.loss_title"), height, {"title": {"text": t("train.charts.epoch")}, "range": [0, 1]},
                   {**_loss_axis(log_y), "range": [0, 1] if not log_y else [-1, 0]})


def accuracy_traces(snap) -> Traces:
    epochs = [r.epoch for r in snap.epochs]
    return [(epochs, _short(100 * (r.train_accuracy or 0) for r in snap.epochs)), (list(epochs), _short(100 * (r.test_accuracy or 0) for r in snap.epochs))]


def accuracy_figure(snap, height: int = 300) -> dict[str, Any]:
    epoch = t("train.charts.epoch")
    names = (t("train.charts.train"), t("train.charts.test"))
    traces = [_line(name, points, color, 2.5, f"{epoch} %{{x}}<br>{name} %{{y:.1f}} %", marked(snap))
              for name, points, color in zip(names, accuracy_traces(snap), (TRAIN_COLOR, TEST_COLOR))]
    return _figure(traces, t("train.charts.accuracy_title"), height, {"title": {"text": epoch}, "rangemode": "tozero"},
                   {"title": {"text": t("train.charts.accuracy_axis")}, "range": [0, 101]})


def lr_traces(snap) -> Traces:
    return [([r.epoch for r in snap.epochs], [r.lr for r in snap.epochs])]


def lr_figure(snap, height: int = 300) -> dict[str, Any]:
    epoch, name = t("train.charts.epoch"), t("train.charts.lr_axis")
    [points] = lr_traces(snap)
    # The schedule never goes above the base rate, so the axis holds every point to come. A fixed range also
    # because Plotly pads a constant series by ±1, which would show a constant η of 0.01 as "0".
    top = max([snap.base_lr, *(lr for _, lr in snap.lr_changes)])
    return _figure([_line(name, points, LR_COLOR, 2.5, f"{epoch} %{{x}}<br>lr %{{y:.3g}}", marked(snap))], t("train.charts.lr_title"), height,
                   {"title": {"text": epoch}, "rangemode": "tozero"},
                   {"title": {"text": name}, "exponentformat": "e", "range": [0, top * 1.15 if top > 0 else 1]}, showlegend=False)
