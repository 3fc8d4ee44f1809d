"""The Build page's "share with the class" box: a link that opens this model in a chosen language and view."""
from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st

from playground import i18n
from playground.i18n import t
from playground.spec import encode_link
from playground.ui import state
from playground.view import HIDEABLE, View

PAGES = {"build": "", "train": "train", "inspect": "inspect"}


def _app_root() -> str:
    """This app's address without a page or a query (works behind a path prefix too)."""
    parts = urlsplit(st.context.url or "")
    path = parts.path
    for page in PAGES.values():
        if page and path.rstrip("/").endswith("/" + page):
            path = path.rstrip("/")[: -len(page)]
    return urlunsplit((parts.scheme, parts.netloc, path if path.endswith("/") else path + "/", "", ""))


def share_panel() -> None:
    with st.expander(t("share.title"), icon=":material/share:"):
        st.caption(t("share.caption"))
        c1, c2 = st.columns(2)
        page = c1.selectbox(t("share.page"), list(PAGES), format_func={p: t(f"app.nav.{p}") for p in PAGES}.get, key="share-page")
        lang = c2.selectbox(t("share.language"), i18n.LANGS, index=i18n.LANGS.index(state.language()), format_func=i18n.NAMES.get,
                            key="share-lang")
        present = st.toggle(t("share.present"), key="share-present", help=t("share.present_help"))
        st.markdown(t("share.hide"))
        with st.container(horizontal=True, wrap=True, gap="small"):
            hidden = frozenset(p for p in HIDEABLE if st.checkbox(t(f"view.part.{p.replace('.', '_')}"), key=f"share-hide-{p}"))
        query = {"spec": encode_link(state.spec()), "lang": lang, **View(present, hidden).params()}
        st.code(_app_root() + PAGES[page] + "?" + urlencode(query), language=None, wrap_lines=True)
