"""Live Plotly charts updated in place: each figure goes to the browser once, then only its new points.

Streamlit's own chart mounts a new graph for every update (a zoom snaps back, and the browser redraws from
scratch); these call Plotly.react on the same graph. All the charts of a panel travel in one element, laid
out in rows by the browser, with the panel's head (a status line over a bar, and a row of numbers) set as
plain text above them: every element a refresh sends costs the server a wake-up of its event loop, and the
browser a render of the whole page.
The browser loads the `plotly.min.js` that the `plotly` package ships, served by this server: nothing comes
from a CDN.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import plotly
import plotly.io as pio
import streamlit as st
from streamlit import config
from streamlit.components.v1 import declare_component

FRONTEND = Path(__file__).with_name("frontend")
# The element carries only this loader; the module itself is a static file the browser fetches once and caches
_LOADER = "export default (c) => import(new URL(c.data.module, location.href).href).then((m) => m.default(c));"
_component = st.components.v2.component("playground.live_charts", js=_LOADER, isolate_styles=False)

Traces = list[tuple[list, list]]  # (x, y) of each trace, in the figure's order


@dataclass
class Chart:
    """One live chart: `figure()` builds it whole; `traces` are its points, sent as they grow.

    `signature` names everything but the points (run, axis type, language, ...): when it changes, the whole
    figure goes again. The user's zoom lasts as long as `ui` stays the same. `width` is its share of the row.
    """

    id: str
    figure: Callable[[], dict[str, Any] | str]
    traces: Traces
    signature: tuple
    height: int
    width: float = 1.0
    ui: str = ""


@st.cache_resource(show_spinner=False)
def _urls() -> dict[str, str]:
    """Where the browser fetches the charts' module and the plotly package's own plotly.min.js (served as static folders)."""
    base = config.get_option("server.baseUrlPath").strip("/")
    prefix = f"{'/' + base if base else ''}/component"
    ours = declare_component("frontend", path=str(FRONTEND)).name
    plotly_js = declare_component("plotly_js", path=str(Path(plotly.__file__).parent / "package_data")).name
    version = hashlib.sha256((FRONTEND / "live_chart.js").read_bytes()).hexdigest()[:12]  # a new file, a new address
    return {"module": f"{prefix}/{ours}/live_chart.js?v={version}", "plotly": f"{prefix}/{plotly_js}/plotly.min.js?v={plotly.__version__}"}


def signature_of(chart: Chart) -> str:
    """A short name for everything of `chart` but its points: the browser keeps it beside the figure and says it back."""
    return hashlib.blake2s(repr(chart.signature).encode(), digest_size=8).hexdigest()


def update(chart: Chart, have: dict[str, Any] | None) -> dict[str, Any]:
    """What the browser needs for `chart` when it has `have` of it ({"sig", "n": points per trace}, or None):
    the whole figure when it has another (or none), else the points past those it has."""
    sig = signature_of(chart)
    out: dict[str, Any] = {"id": chart.id, "height": chart.height, "width": chart.width, "uirevision": f"{chart.id}:{chart.ui}", "sig": sig}
    if not chart.traces:
        out["fixed"] = True  # its signature says all: a browser that has this one keeps it
    counts = have["n"] if have is not None and have["sig"] == sig else None
    if counts is None or len(counts) < len(chart.traces) or any(n > len(x) for (x, _), n in zip(chart.traces, counts)):
        fig = chart.figure()
        out["figure"] = fig if isinstance(fig, str) else pio.to_json(fig, validate=False)
    else:
        out["extend"] = {str(i): {"from": n, "x": list(x[n:]), "y": list(y[n:])}
                         for i, ((x, y), n) in enumerate(zip(chart.traces, counts)) if len(x) != n}
    return out


def rows_data(rows: list[list[Chart]], have: dict[str, dict[str, Any]] | None = None) -> list[list[dict[str, Any]]]:
    """`rows` of charts as the browser needs them, given what it has of each (nothing, on a page run)."""
    have = have or {}
    return [[update(chart, have.get(chart.id)) for chart in row] for row in rows]


def live_charts(key: str, rows: list[list[Chart]]) -> None:
    """Show `rows` of charts in one element (sent whole: each page run may mount it afresh)."""
    panel_element(key, rows_data(rows))


def panel_element(key: str, rows: list[list[dict[str, Any]]], head: dict[str, Any] | None = None, feed: str | None = None,
                  every: float | None = None) -> None:
    """One element: `rows` of charts (as rows_data() makes them), and `head`, when given, above them:
    {"progress": {"text", "value" (0–1)}, "metrics": [{"label", "value", "delta" (or None), "good"}]}, which
    the browser shows as text, never as HTML.

    `every` (seconds), while the panel is live: the browser asks `feed` (the address of this panel's feed, see
    ui/live_feed.py) that often for what is new, and reruns the element's fragment when the feed says the status
    changed (or is gone).
    """
    data = {"rows": rows, "head": head, "feed": feed, "every": every, **_urls()}
    _component(key=key, data=data, on_changed_change=_rerun_only)


def _rerun_only() -> None:
    """A change of status asks the element's fragment to run again: that run draws what is new."""
