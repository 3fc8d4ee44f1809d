"""Figures of a whole split: the confusion matrix, accuracy per class, the most confident mistakes, residuals."""
from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go

from playground.i18n import t
from playground.inspection.evaluation import Evaluation, WrongExample
from playground.inspection.tokens import visible
from playground.plots.panels import GREYS, SMALL, colorbar, histogram_bar, message, mosaic, pct
from playground.plots.style import ATTENTION, FONT_SIZE, TEST_COLOR, base_layout, class_color

_UNIT = re.compile(r"\s*\([^)]*\)$")  # "sepal length (cm)" -> "sepal length"


def _names(ev: Evaluation, n: int) -> list[str]:
    names = list(ev.class_names) if ev.class_names else [str(k) for k in range(n)]
    return [visible(c) for c in names]


def _split(ev: Evaluation) -> str:
    return t(f"inspect.split.{ev.split}")


def confusion_matrix(ev: Evaluation) -> go.Figure:
    """Counts of (true, predicted) pairs: the diagonal is right, everything else is a confusion."""
    cm = ev.confusion
    n = len(cm)
    names = _names(ev, n)
    custom = np.array([[(names[a], names[b]) for b in range(n)] for a in range(n)], dtype=object)
    unit = "tokens" if ev.per_token else "samples"
    fig = go.Figure(go.Heatmap(z=cm, colorscale=ATTENTION, customdata=custom, texttemplate="%{z}" if n <= 15 else None,
                               colorbar=colorbar(t(f"plots.evaluation.{unit}")),
                               hovertemplate=t(f"plots.evaluation.confusion_hover_{unit}") + "<extra></extra>"))
    key = "confusion_title_tokens" if ev.per_token else "confusion_title"
    base_layout(fig, t(f"plots.evaluation.{key}", split=_split(ev)),
                height=min(800, max(380, 140 + 36 * n)))
    ticks = {"tickmode": "array", "tickvals": list(range(n)), "ticktext": names, "showgrid": False, "zeroline": False,
             "tickfont": {"size": SMALL if n <= 20 else 9}}
    fig.update_xaxes(title_text=t(f"plots.evaluation.predicted_{unit}"), **ticks, constrain="domain")
    fig.update_yaxes(title_text=t(f"plots.evaluation.true_{unit}"), autorange="reversed", scaleanchor="x",
                     constrain="domain", **ticks)
    return fig


def per_class_accuracy(ev: Evaluation) -> go.Figure:
    """Share of each true class predicted right (its recall); the dashed line is the overall accuracy."""
    acc = np.asarray(ev.per_class_accuracy, dtype=float)
    names = _names(ev, len(acc))
    present = np.flatnonzero(~np.isnan(acc))
    fig = go.Figure(go.Bar(x=[names[k] for k in present], y=100 * acc[present],
                           marker_color=[class_color(k) for k in present],
                           hovertemplate=t("plots.evaluation.per_class_hover") + "<extra></extra>"))
    fig.add_hline(y=100 * ev.accuracy, line={"dash": "dash", "color": "#111827", "width": 1.5})
    base_layout(fig, t("plots.evaluation.per_class_title", split=_split(ev), acc=pct(ev.accuracy)), height=340)
    fig.update_xaxes(title_text=t("plots.evaluation.true_class"), type="category")
    fig.update_yaxes(title_text=t("plots.evaluation.accuracy_axis"), range=[0, 105])
    return fig


def wrong_examples(ev: Evaluation, x_all=None, y_all=None, feature_names: Sequence[str] | None = None) -> go.Figure:
    """The most confidently wrong examples: images as small heatmaps, 2-D points on a scatter, anything else a table."""
    names = _names(ev, len(ev.confusion) if ev.confusion is not None else 0)
    shape = tuple(ev.input_shape or ())
    if ev.input_kind == "float" and shape == (2,):
        return _wrong_points(ev, names, x_all, y_all, feature_names or ("x1", "x2"))
    if not ev.wrong:
        return message(t("plots.evaluation.wrong_title", split=_split(ev)), t("plots.evaluation.no_mistakes", split=_split(ev)))
    if ev.input_kind == "float" and len(shape) == 3:
        return _wrong_images(ev, names)
    return _wrong_table(ev, names, feature_names)


def _wrong_images(ev: Evaluation, names: list[str]) -> go.Figure:
    titles = [t("plots.evaluation.wrong_panel", true=names[w.true], pred=names[w.predicted], p=pct(w.confidence),
                index=w.index) for w in ev.wrong]
    images = np.stack([w.input[0] for w in ev.wrong])
    colors = {"colorscale": GREYS, "zmin": 0, "zmax": 1, "showscale": False}
    return mosaic(images, titles, min(len(titles), 4), colors, t("plots.evaluation.image_hover"),
                  t("plots.evaluation.wrong_title", split=_split(ev)), 130,
                  axis_titles=(t("plots.conv.column"), t("plots.conv.row")), gap=0.9)


def _wrong_points(ev: Evaluation, names: list[str], x_all, y_all, feature_names: Sequence[str]) -> go.Figure:
    traces = []
    if x_all is not None:
        x = np.asarray(x_all, dtype=float)
        traces.append(go.Scatter(x=x[:, 0], y=x[:, 1], mode="markers", name=t("plots.evaluation.all_samples", split=_split(ev)),
                                 marker={"color": "#cbd5e1", "size": 6}, hoverinfo="skip"))
    pts = np.array([w.input for w in ev.wrong]).reshape(-1, 2)
    traces.append(go.Scatter(x=pts[:, 0], y=pts[:, 1], mode="markers", name=t("plots.evaluation.mistakes"),
                             marker={"color": [class_color(w.predicted) for w in ev.wrong], "size": 13, "symbol": "x",
                                     "line": {"color": "#111827", "width": 1}},
                             customdata=[[names[w.true], names[w.predicted], pct(w.confidence)] for w in ev.wrong],
                             hovertemplate=t("plots.evaluation.point_hover") + "<extra></extra>"))
    fig = go.Figure(traces)
    title = t("plots.evaluation.wrong_title", split=_split(ev))
    if not ev.wrong:
        title = t("plots.evaluation.no_mistakes", split=_split(ev))
    base_layout(fig, title, height=420)
    fig.update_xaxes(title_text=feature_names[0], constrain="domain")
    fig.update_yaxes(title_text=feature_names[1], scaleanchor="x", constrain="domain")
    return fig


def _wrong_table(ev: Evaluation, names: list[str], feature_names: Sequence[str] | None) -> go.Figure:
    """Token sequences and table rows as a table: sample, input, true, predicted, confidence (and features)."""
    rows = [_wrong_row(w, names, feature_names) for w in ev.wrong]
    header = list(rows[0])
    cells = [[row[h] for row in rows] for h in header]
    fig = go.Figure(go.Table(header={"values": [f"<b>{h}</b>" for h in header], "align": "left", "fill_color": "#f1f5f9",
                                     "font": {"size": FONT_SIZE - 1}},
                             cells={"values": cells, "align": "left", "height": 28, "font": {"size": FONT_SIZE - 1}}))
    base_layout(fig, t("plots.evaluation.wrong_title", split=_split(ev)), height=110 + 30 * len(rows))
    fig.update_layout(margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return fig


def _wrong_row(w: WrongExample, names: list[str], feature_names: Sequence[str] | None) -> dict[str, Any]:
    def show(v):
        return " ".join(names[int(k)] for k in np.atleast_1d(v))

    row: dict[str, Any] = {t("plots.evaluation.col.sample"): w.index}
    if w.tokens is not None:
        row[t("plots.evaluation.col.input")] = " ".join(w.tokens)
    row.update({t("plots.evaluation.col.true"): show(w.true), t("plots.evaluation.col.predicted"): show(w.predicted),
                t("plots.evaluation.col.confidence"): pct(w.confidence)})
    if np.ndim(w.true):
        row[t("plots.evaluation.col.wrong_tokens")] = int((np.asarray(w.true) != np.asarray(w.predicted)).sum())
    if w.tokens is None:
        values = w.input.ravel()
        columns = list(feature_names) if feature_names is not None and len(feature_names) == values.size else \
            [t("plots.evaluation.col.feature", k=k) for k in range(values.size)]
        # Tables are standardised with the training split's mean and std, so a value is in standard deviations
        row.update({t("plots.evaluation.col.z", name=_UNIT.sub("", c)): round(float(v), 2) for c, v in zip(columns, values)})
    return row


def pred_vs_true(ev: Evaluation) -> go.Figure:
    """Regression: each sample's prediction against its true value; on the dashed line y = x they agree."""
    y, p = ev.y_true.ravel(), ev.y_pred.ravel()
    lo, hi = float(min(y.min(), p.min())), float(max(y.max(), p.max()))
    fig = go.Figure([
        go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", name=t("plots.evaluation.perfect"),
                   line={"dash": "dash", "color": "#64748b"}),
        go.Scatter(x=y, y=p, mode="markers", name=t("plots.evaluation.all_samples", split=_split(ev)),
                   marker={"color": TEST_COLOR, "size": 6, "opacity": 0.6},
                   hovertemplate=t("plots.evaluation.pred_hover") + "<extra></extra>"),
    ])
    r2 = f", R² = {ev.r2:.3f}" if ev.r2 is not None else ""
    base_layout(fig, t("plots.evaluation.pred_title", split=_split(ev), r2=r2), height=420)
    fig.update_xaxes(title_text=t("plots.evaluation.true_value"), constrain="domain")
    fig.update_yaxes(title_text=t("plots.evaluation.predicted_value"), scaleanchor="x", constrain="domain")
    return fig


def residuals(ev: Evaluation) -> go.Figure:
    """Regression: how far off the predictions are; centred on 0 when the model is unbiased."""
    fig = go.Figure(histogram_bar(ev.residuals, TEST_COLOR, t("plots.evaluation.residual_hover") + "<extra></extra>"))
    fig.add_vline(x=0, line={"dash": "dash", "color": "#111827"})
    base_layout(fig, t("plots.evaluation.residual_title", split=_split(ev), mse=f"{ev.mse:.4f}", mae=f"{ev.mae:.4f}"),
                height=340)
    fig.update_layout(bargap=0)
    fig.update_xaxes(title_text=t("plots.evaluation.residual_axis"))
    fig.update_yaxes(title_text=t("plots.evaluation.samples"))
    return fig
