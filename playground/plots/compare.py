"""Compare runs: their loss and accuracy curves overlaid, one colour per run, by epoch or by wall time."""
from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go

from playground.experiments.records import EpochPoint
from playground.i18n import t
from playground.plots.style import base_layout

RUN_COLORS = ["#2563eb", "#ea580c", "#16a34a", "#db2777", "#7c3aed", "#0d9488", "#ca8a04", "#475569", "#dc2626", "#0891b2"]


@dataclass(frozen=True)
class Curve:
    """One run on a comparison chart: its name (as the legend shows it), colour and epochs."""

    name: str
    color: str
    epochs: tuple[EpochPoint, ...]


def run_color(i: int) -> str:
    return RUN_COLORS[i % len(RUN_COLORS)]


def _x(points: tuple[EpochPoint, ...], by_time: bool) -> list[float]:
    return [round(p.seconds, 3) if by_time else p.epoch for p in points]


def curves_figure(curves: list[Curve], metric: str, by_time: bool = False, height: int = 400) -> go.Figure:
    """Test (solid) and train (dotted) curves of every run; `metric` is "loss" or "accuracy" (in %)."""
    x_title = t("compare.charts.seconds") if by_time else t("compare.charts.epoch")
    fig = go.Figure()
    for c in curves:
        pts = c.epochs if metric == "loss" else tuple(p for p in c.epochs if p.test_accuracy is not None)
        for split, dash, width in (("test", "solid", 2.6), ("train", "dot", 1.6)):
            y = [getattr(p, f"{split}_loss") if metric == "loss" else 100 * getattr(p, f"{split}_accuracy") for p in pts]
            name = t(f"compare.charts.{split}_trace", run=c.name)
            # one legend entry per run (its test line); a click on it hides the run's train line too
            fig.add_scatter(x=_x(pts, by_time), y=y, mode="lines", name=c.name if split == "test" else name, legendgroup=c.name,
                            showlegend=split == "test", line={"color": c.color, "dash": dash, "width": width},
                            hovertemplate=f"{name}<br>{x_title} %{{x}}<br>{t(f'compare.charts.{metric}_axis')} %{{y:.4g}}<extra></extra>")
    y_title = t(f"compare.charts.{metric}_axis")
    base_layout(fig, t(f"compare.charts.{metric}_title"), height, margin={"l": 60, "r": 20, "t": 50, "b": 70},
                legend={"orientation": "h", "yanchor": "top", "y": -0.24, "xanchor": "left", "x": 0.0},
                plot_bgcolor="#ffffff", paper_bgcolor="#ffffff")
    grid = {"gridcolor": "#e2e8f0", "zerolinecolor": "#cbd5e1"}
    fig.update_xaxes(title_text=x_title, rangemode="tozero", **grid)
    fig.update_yaxes(title_text=y_title, **({"range": [0, 101]} if metric == "accuracy" else {"rangemode": "tozero"}), **grid)
    return fig
