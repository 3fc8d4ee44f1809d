"""Helpers for driving the real app with streamlit.testing.v1.AppTest (no browser)."""
from __future__ import annotations

import json
import re

from streamlit.testing.v1 import AppTest

from conftest import ROOT
from playground.spec import Spec, encode_link, from_data

APP = str(ROOT / "app.py")
TIMEOUT = 60  # seconds for one script run: generous, so a busy machine slows the suite rather than failing it


def app(spec: dict | Spec | None = None, link: str | None = None, lang: str | None = None) -> AppTest:
    """A new browser session on the app (AppTest shares session-scoped resources between runs: start each test clean)."""
    import streamlit as st

    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if spec is not None:
        at.query_params["spec"] = encode_link(spec if isinstance(spec, Spec) else from_data(spec))
    if link is not None:
        at.query_params["spec"] = link
    if lang is not None:
        at.query_params["lang"] = lang
    return at.run()


def spec_of(at: AppTest) -> Spec:
    return at.session_state["spec"]


def types(at: AppTest) -> list[str]:
    return [layer.type for layer in spec_of(at).layers]


def by_key(widgets, part: str):
    """The widget whose key ends with `part` after its revision prefix (keys look like 'w3:up:(0,)')."""
    found = [w for w in widgets if w.key and w.key.split(":", 1)[-1] == part]
    assert found, f"no widget with key ending {part!r}; have {[w.key for w in widgets][:30]}"
    return found[0]


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~<>$:])")


def shown(elements) -> list[str]:
    """The texts of st.error/info/… elements as the reader sees them (markdown escapes removed)."""
    return [_ESCAPED.sub(r"\1", e.value) for e in elements]


def link_of(at: AppTest) -> str:
    value = at.query_params["spec"]
    return value[0] if isinstance(value, list) else value


def spec_link(doc: dict | Spec) -> str:
    """The ?spec= value of a spec document, as the app writes it."""
    return encode_link(doc if isinstance(doc, Spec) else from_data(doc))


def live_panel(at: AppTest) -> dict:
    """What the Train page's live panel last sent its browser: {"head": {"progress", "metrics"} or None, "rows": ...}."""
    panels = [json.loads(c.proto.json) for c in at.get("bidi_component") if c.proto.component_name == "playground.live_charts"]
    assert panels, "no live panel on the page"
    return panels[0]


def metrics(at: AppTest) -> dict[str, str]:
    """The live panel's numbers, label → value (empty before the first epoch)."""
    head = live_panel(at)["head"] or {}
    return {m["label"]: m["value"] for m in head.get("metrics", [])}
