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

SENT = "_live_chart_sent"  # per chart id: (signature, points sent per trace) since the page's last full run
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


def forget_sent() -> None:
    """Call on every full run of the page: its charts may have been mounted afresh, so they get whole figures."""
    st.session_state[SENT] = {}


def _update(chart: Chart, sent: dict[str, tuple]) -> dict[str, Any]:
    """What the browser needs for `chart`: the whole figure, or the points added since the last update."""
    before = sent.get(chart.id)
    out: dict[str, Any] = {"id": chart.id, "height": chart.height, "width": chart.width, "uirevision": f"{chart.id}:{chart.ui}"}
    if before is None or before[0] != chart.signature:
        fig = chart.figure()
        out["figure"] = fig if isinstance(fig, str) else pio.to_json(fig, validate=False)
    else:
        out["extend"] = {str(i): {"from": n, "x": list(x[n:]), "y": list(y[n:])}
                         for i, ((x, y), n) in enumerate(zip(chart.traces, before[1])) if len(x) != n}
    sent[chart.id] = (chart.signature, [len(x) for x, _ in chart.traces])
    return out


def live_charts(key: str, rows: list[list[Chart]], head: dict[str, Any] | None = None) -> None:
    """Show `rows` of live charts in one element; each grows by its new points only.

    `head`, when given, goes above them: {"progress": {"text", "value" (0–1)}, "metrics": [{"label", "value",
    "delta" (or None), "good"}]}. The browser shows it as text, never as HTML.
    """
    sent = st.session_state.setdefault(SENT, {})
    data = {"rows": [[_update(chart, sent) for chart in row] for row in rows], "head": head, **_urls()}
    _component(key=key, data=data, on_resync_change=forget_sent)
