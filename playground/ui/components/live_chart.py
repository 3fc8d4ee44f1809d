"""A Plotly chart updated in place: the figure goes to the browser once, then only its new points.

Streamlit's own chart mounts a new graph for every update (a zoom snaps back, and the browser redraws from
scratch); this one calls Plotly.react on the same graph. The browser loads the `plotly.min.js` that the
`plotly` package ships, served by this server: nothing comes from a CDN.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Callable

import plotly
import plotly.io as pio
import streamlit as st
from streamlit import config
from streamlit.components.v1 import declare_component

SENT = "_live_chart_sent"  # per chart key: (signature, points sent per trace) since the page's last full run
FRONTEND = Path(__file__).with_name("frontend")
# The element carries only this loader; the module itself is a static file the browser fetches once and caches
_LOADER = "export default (c) => import(new URL(c.data.module, location.href).href).then((m) => m.default(c));"
_chart = st.components.v2.component("playground.live_chart", js=_LOADER, isolate_styles=False)

Traces = list[tuple[list, list]]  # (x, y) of each trace, in the figure's order


@st.cache_resource(show_spinner=False)
def _urls() -> dict[str, str]:
    """Where the browser fetches the chart's module and the plotly package's own plotly.min.js (served as static folders)."""
    base = config.get_option("server.baseUrlPath").strip("/")
    prefix = f"{'/' + base if base else ''}/component"
    ours = declare_component("frontend", path=str(FRONTEND)).name
    plotly_js = declare_component("plotly_js", path=str(Path(plotly.__file__).parent / "package_data")).name
    version = hashlib.sha256((FRONTEND / "live_chart.js").read_bytes()).hexdigest()[:12]  # a new file, a new address
    return {"module": f"{prefix}/{ours}/live_chart.js?v={version}", "plotly": f"{prefix}/{plotly_js}/plotly.min.js?v={plotly.__version__}"}


def forget_sent() -> None:
    """Call on every full run of the page: its charts may have been mounted afresh, so they get whole figures."""
    st.session_state[SENT] = {}


def _resync(key: str) -> None:
    st.session_state.setdefault(SENT, {}).pop(key, None)


def live_chart(key: str, figure: Callable[[], dict[str, Any] | str], traces: Traces, signature: tuple, height: int, ui: str = "") -> None:
    """Show chart `key`: the whole `figure()` when `signature` changed since the last update, else the new points of `traces`.

    `signature` names everything but the points (run, axis type, language, ...); the figure's traces must hold
    the same points as `traces`. A figure given as JSON text is parsed by the browser. The user's zoom lasts
    as long as `ui` stays the same.
    """
    sent = st.session_state.setdefault(SENT, {})
    before = sent.get(key)
    data: dict[str, Any] = {"height": height, **_urls(), "uirevision": f"{key}:{ui}"}
    if before is None or before[0] != signature:
        fig = figure()
        data["figure"] = fig if isinstance(fig, str) else pio.to_json(fig, validate=False)
    else:
        data["extend"] = {str(i): {"from": n, "x": list(x[n:]), "y": list(y[n:])}
                          for i, ((x, y), n) in enumerate(zip(traces, before[1])) if len(x) != n}
    sent[key] = (signature, [len(x) for x, _ in traces])
    _chart(key=key, data=data, height=height, on_resync_change=lambda: _resync(key))
