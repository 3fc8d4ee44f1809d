"""Dataset previews: a scatter for 2-D points, a grid of images, tables for sequences and tabular data."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.datasets import PER_TOKEN_TASKS, Dataset
from playground.i18n import t
from playground.inspection.tokens import visible
from playground.plots.style import SEQUENTIAL, TEST_COLOR, TRAIN_COLOR, base_layout, class_color


def points_2d(ds: Dataset, show_test: bool = True, height: int = 380) -> go.Figure:
    """Train (filled) and test (hollow) points coloured by class, or by target value for regression."""
    fig = go.Figure()
    splits = [("train", ds.x_train, ds.y_train, "circle")]
    if show_test:
        splits.append(("test", ds.x_test, ds.y_test, "circle-open"))
    for split, x, y, symbol in splits:
        x, label = x.numpy(), t(f"plots.common.{split}")
        if ds.task == "regression":
            fig.add_trace(go.Scatter(x=x[:, 0], y=x[:, 1], mode="markers", name=label,
                                     marker={"color": y.numpy()[:, 0], "colorscale": SEQUENTIAL, "symbol": symbol, "size": 7,
                                             "colorbar": {"title": t("plots.data.target")} if split == "train" else None,
                                             "showscale": split == "train"}))
            continue
        y = y.numpy()
        for c in range(ds.num_classes or 0):
            m = y == c
            name = ds.class_names[c] if ds.class_names else str(c)
            test = split == "test"
            rim = {"width": 1.5 if test else 0.5, "color": class_color(c) if test else "white"}
            fig.add_trace(go.Scatter(x=x[m, 0], y=x[m, 1], mode="markers",
                                     name=t("plots.data.point_name", split=label, name=name),
                                     marker={"color": class_color(c), "symbol": symbol, "size": 7, "line": rim}))
    names = ds.feature_names or ("x1", "x2")
    fig.update_xaxes(title_text=names[0])
    fig.update_yaxes(title_text=names[1], scaleanchor="x", scaleratio=1)
    return base_layout(fig, height=height)


def curve_1d(ds: Dataset, height: int = 340) -> go.Figure:
    """1-D regression data: target against input."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=ds.x_train[:, 0].numpy(), y=ds.y_train[:, 0].numpy(), mode="markers",
                             name=t("plots.common.train"), marker={"color": TRAIN_COLOR, "size": 6}))
    fig.add_trace(go.Scatter(x=ds.x_test[:, 0].numpy(), y=ds.y_test[:, 0].numpy(), mode="markers",
                             name=t("plots.common.test"), marker={"color": TEST_COLOR, "size": 6, "symbol": "circle-open"}))
    fig.update_xaxes(title_text=(ds.feature_names or ("x",))[0])
    fig.update_yaxes(title_text=t("plots.data.target_y"))
    return base_layout(fig, height=height)


def image_grid(ds: Dataset, count: int = 16, columns: int = 8, height: int | None = None) -> go.Figure:
    """The first training images, one small heatmap each, titled with their class."""
    count = min(count, ds.n_train)
    rows = (count + columns - 1) // columns
    titles = [ds.class_names[int(ds.y_train[i])] if ds.class_names else str(int(ds.y_train[i])) for i in range(count)]
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=titles, horizontal_spacing=0.015, vertical_spacing=0.12)
    for i in range(count):
        img = ds.x_train[i, 0].numpy()
        fig.add_trace(go.Heatmap(z=img, colorscale="gray_r", zmin=0, zmax=1, showscale=False,
                                 hovertemplate=t("plots.conv.pixel_hover") + "<extra></extra>"),
                      row=i // columns + 1, col=i % columns + 1)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, autorange="reversed", scaleanchor="x", scaleratio=1)
    fig.update_annotations(font_size=13)
    return base_layout(fig, height=height or 120 + rows * 110)


def _tokens(ds: Dataset, ids) -> str:
    vocab = ds.vocab or ()
    shown = [visible(vocab[int(i)]) if vocab else str(int(i)) for i in ids]
    return ("" if ds.task == "next_token" else " ").join(shown)


def sequence_table(ds: Dataset, count: int = 8) -> pd.DataFrame:
    """Sample sequences beside their targets, as text a learner can read."""
    rows = []
    for i in range(min(count, ds.n_train)):
        x, y = ds.x_train[i], ds.y_train[i]
        if ds.input_kind == "tokens":
            shown = _tokens(ds, x)
        else:
            shown = " ".join(f"{v:.2f}" for v in x[:, 0].tolist()[-10:])
            shown = ("… " if x.shape[0] > 10 else "") + shown
        if ds.task in PER_TOKEN_TASKS:
            target = _tokens(ds, y)
        elif ds.task == "regression":
            target = f"{float(y[0]):.3f}"
        else:
            target = ds.class_names[int(y)] if ds.class_names else str(int(y))
        rows.append({t("plots.data.input"): shown, t("plots.data.target"): target})
    return pd.DataFrame(rows)


def table(ds: Dataset, count: int = 10) -> pd.DataFrame:
    """The first training rows of a tabular dataset (standardised features) with their target."""
    names = list(ds.feature_names or [f"x{i + 1}" for i in range(ds.input_shape[0])])
    df = pd.DataFrame(ds.x_train[:count].numpy(), columns=names).round(3)
    if ds.task == "regression":
        df[t("plots.data.target")] = ds.y_train[:count, 0].numpy()
    else:
        df[t("plots.data.class")] = [ds.class_names[int(c)] if ds.class_names else int(c) for c in ds.y_train[:count]]
    return df


def class_balance(ds: Dataset) -> pd.DataFrame | None:
    """Training samples per class; the columns are keys the Build page reads ('class', 'training samples')."""
    if ds.task not in ("binary", "multiclass"):
        return None
    counts = np.bincount(ds.y_train.numpy(), minlength=ds.num_classes)
    names = ds.class_names or tuple(str(i) for i in range(ds.num_classes))
    return pd.DataFrame({"class": names, "training samples": counts})
