"""One look for every chart: fonts readable on a projector, a shared palette, labelled axes."""
from __future__ import annotations

import plotly.graph_objects as go

FONT_SIZE = 15
# Latin fonts first; the CJK fonts after them draw Chinese titles and labels (Noto on Linux and the projector
# laptop's Chromium, Microsoft YaHei on Windows, PingFang on macOS)
FONT_FAMILY = ("Inter, Segoe UI, Helvetica, Arial, Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, "
               "PingFang SC, Hiragino Sans GB, sans-serif")
FAMILY_COLORS = {
    "dense": "#2563eb", "convolution": "#ea580c", "pooling": "#f59e0b", "normalization": "#0d9488",
    "recurrent": "#7c3aed", "attention": "#db2777", "activation": "#16a34a", "utility": "#64748b",
}
TRAIN_COLOR = "#2563eb"
TEST_COLOR = "#ea580c"
CLASS_COLORS = ["#2563eb", "#ea580c", "#16a34a", "#db2777", "#7c3aed", "#0d9488", "#ca8a04", "#64748b", "#dc2626", "#0891b2"]
# Diverging: class 0 blue, class 1 orange, undecided white (TensorFlow Playground's boundary colours)
DIVERGING = [[0.0, "#2563eb"], [0.5, "#f8fafc"], [1.0, "#ea580c"]]
SEQUENTIAL = "Viridis"
ATTENTION = "Blues"


def layout(title: str | None = None, height: int = 360, **kwargs) -> dict:
    """The shared theme as a layout dict (no named template: copying one costs ~30 ms a figure)."""
    return {
        "title": {"text": title, "x": 0.0, "xanchor": "left", "font": {"size": FONT_SIZE + 3}} if title else None,
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 50 if title else 20, "b": 55},
        "font": {"size": FONT_SIZE, "family": FONT_FAMILY},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1.0},
        **kwargs,
    }


def base_layout(fig: go.Figure, title: str | None = None, height: int = 360, **kwargs) -> go.Figure:
    """Apply the shared theme to a built figure; every chart goes through here or through layout()."""
    fig.update_layout(**layout(title, height, **kwargs))
    return fig


def class_color(i: int) -> str:
    return CLASS_COLORS[i % len(CLASS_COLORS)]
