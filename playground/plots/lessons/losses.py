"""Lesson 2's figures: each loss beside its gradient, and softmax probabilities beside the gradients they send back."""
from __future__ import annotations

import plotly.graph_objects as go

from playground.i18n import t
from playground.lessons.losses import LossCurve, SoftmaxCase
from playground.plots.style import class_color, layout

_GAP = 0.16  # between the two panels, as a share of the width


def two_panels(title: str, titles: tuple[str, str], x_title: str, y_titles: tuple[str, str], height: int, **extra) -> dict:
    """A layout with two side-by-side panels, each titled, with its own axes."""
    half = (1 - _GAP) / 2
    notes = [{"text": f"<b>{text}</b>", "xref": "paper", "yref": "paper", "x": x, "y": 1.0, "yanchor": "bottom",
              "xanchor": "left", "showarrow": False} for text, x in zip(titles, (0, half + _GAP))]
    return layout(title, height, annotations=notes + extra.pop("annotations", []),
                  xaxis={"domain": [0, half], "title": {"text": x_title}, "zeroline": True, **extra.pop("xaxis", {})},
                  xaxis2={"domain": [half + _GAP, 1], "anchor": "y2", "title": {"text": x_title}, "zeroline": True,
                          **extra.pop("xaxis2", {})},
                  yaxis={"title": {"text": y_titles[0]}, "zeroline": True, **extra.pop("yaxis", {})},
                  yaxis2={"anchor": "x2", "title": {"text": y_titles[1]}, "zeroline": True, **extra.pop("yaxis2", {})},
                  margin={"l": 60, "r": 20, "t": 90, "b": 120},
                  legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.25, "yanchor": "top"}, **extra)


def _curve_pair(c: LossCurve, color: str, label: str, x_name: str) -> list[go.Scatter]:
    """The loss (left panel) and its gradient (right panel) of one loss, in one colour, under one legend entry."""
    hover = f"{label}<br>{x_name} = %{{x:.2f}}<br>%{{y:.4f}}<extra></extra>"
    return [go.Scatter(x=c.x, y=c.loss, mode="lines", name=label, legendgroup=label, line={"color": color, "width": 3},
                       hovertemplate=hover),
            go.Scatter(x=c.x, y=c.grad, mode="lines", name=label, legendgroup=label, showlegend=False, xaxis="x2", yaxis="y2",
                       line={"color": color, "width": 3}, hovertemplate=hover)]


def _markers(xs: list[float], losses: list[float], grads: list[float], colors: list[str]) -> list[go.Scatter]:
    """The chosen point on every curve of both panels."""
    style = {"mode": "markers", "showlegend": False, "hoverinfo": "skip",
             "marker": {"size": 11, "color": colors, "line": {"color": "#0f172a", "width": 1.5}}}
    return [go.Scatter(x=xs, y=losses, **style), go.Scatter(x=xs, y=grads, xaxis="x2", yaxis="y2", **style)]


def _vline(x: float) -> list[dict]:
    """A dotted vertical line at x across both panels (where the target is)."""
    return [{"type": "line", "xref": ref, "yref": f"{yref} domain", "x0": x, "x1": x, "y0": 0, "y1": 1,
             "line": {"color": "#64748b", "width": 1.5, "dash": "dot"}} for ref, yref in (("x", "y"), ("x2", "y2"))]


def regression_losses(curves: list[LossCurve], target: float, prediction: float, points: list[tuple[float, float]],
                      height: int = 440) -> go.Figure:
    """L(ŷ) left and ∂L/∂ŷ right for each regression loss; the target dotted, the chosen prediction marked."""
    x_name = t("learn_losses.fig.prediction")
    traces = [tr for i, c in enumerate(curves) for tr in _curve_pair(c, class_color(i), c.name, "ŷ")]
    colors = [class_color(i) for i in range(len(curves))]
    traces += _markers([prediction] * len(points), [p[0] for p in points], [p[1] for p in points], colors)
    lay = two_panels(t("learn_losses.fig.regression_title", target=f"{target:g}"), (t("learn_losses.fig.loss_panel"), t("learn_losses.fig.grad_panel")),
                     x_name, (t("learn_losses.fig.loss_axis"), t("learn_losses.fig.grad_axis")), height,
                     yaxis={"range": [-0.3, 6.3]}, yaxis2={"range": [-6.5, 6.5]}, shapes=_vline(target))
    return go.Figure(traces, lay)


def binary_losses(bce: LossCurve, mse: LossCurve, z: float, height: int = 440) -> go.Figure:
    """BCEWithLogitsLoss and MSE on σ(z): each loss (left) and its gradient with respect to the logit (right)."""
    labels = (t("learn_losses.fig.bce"), t("learn_losses.fig.mse_sigmoid"))
    traces = [tr for i, (c, label) in enumerate(zip((bce, mse), labels)) for tr in _curve_pair(c, class_color(i), label, "z")]
    at = [int(abs(c.x - z).argmin()) for c in (bce, mse)]
    traces += _markers([z, z], [bce.loss[at[0]], mse.loss[at[1]]], [bce.grad[at[0]], mse.grad[at[1]]], [class_color(0), class_color(1)])
    lay = two_panels(t("learn_losses.fig.binary_title"), (t("learn_losses.fig.loss_panel"), t("learn_losses.fig.logit_grad_panel")),
                     t("learn_losses.fig.logit"), (t("learn_losses.fig.loss_axis"), t("learn_losses.fig.logit_grad_axis")), height,
                     yaxis={"range": [-0.3, 8.3]}, yaxis2={"range": [-1.1, 1.1]})
    return go.Figure(traces, lay)


def softmax_bars(case: SoftmaxCase, height: int = 440) -> go.Figure:
    """Left: softmax probabilities and the one-hot target per class. Right: the gradient each loss sends to each logit."""
    classes = [t("learn_losses.fig.class_n", n=i + 1) for i in range(len(case.z))]
    bar = {"texttemplate": "%{y:.3f}", "textposition": "outside", "cliponaxis": False}
    traces = [
        go.Bar(x=classes, y=case.p, name=t("learn_losses.fig.probability"), marker_color=class_color(0), **bar,
               hovertemplate="%{x}<br>p = %{y:.4f}<extra></extra>"),
        go.Bar(x=classes, y=case.y, name=t("learn_losses.fig.target"), marker_color="#94a3b8",
               hovertemplate="%{x}<br>y = %{y:.0f}<extra></extra>"),
        go.Bar(x=classes, y=case.ce_grad, name=t("learn_losses.fig.ce_grad"), marker_color=class_color(2), xaxis="x2", yaxis="y2", **bar,
               hovertemplate="%{x}<br>∂L/∂z = %{y:.4f}<extra></extra>"),
        go.Bar(x=classes, y=case.mse_grad, name=t("learn_losses.fig.mse_grad"), marker_color=class_color(1), xaxis="x2", yaxis="y2", **bar,
               hovertemplate="%{x}<br>∂L/∂z = %{y:.5f}<extra></extra>"),
    ]
    lay = two_panels(t("learn_losses.fig.softmax_title"), (t("learn_losses.fig.softmax_panel"), t("learn_losses.fig.softmax_grad_panel")),
                     t("learn_losses.fig.class_axis"), (t("learn_losses.fig.probability_axis"), t("learn_losses.fig.logit_grad_axis")), height,
                     yaxis={"range": [0, 1.18]}, yaxis2={"range": [-1.25, 1.25]}, barmode="group")
    return go.Figure(traces, lay)
