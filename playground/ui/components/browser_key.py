"""This browser's random key, which a run is bound to (see playground/training/runs.py).

The key lives in the browser (a cookie and local storage). The server sees the cookie when a page opens;
on a browser's first visit, or where cookies are blocked, this component reports the key instead.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from playground.ui import state

_component = st.components.v2.component("playground.browser_key", js=(Path(__file__).parent / "frontend" / "browser_key.js").read_text())


def _reported() -> None:
    value = st.session_state.get("browser-key")
    key = value.get("key") if value is not None else None
    if isinstance(key, str):
        state.set_browser_key(key)


def browser_key() -> None:
    """Mount the (invisible) component; it reports the key only when the server does not know it yet."""
    _component(key="browser-key", data={"name": state.COOKIE, "known": state.browser_key() is not None}, height=0,
               on_key_change=_reported)
