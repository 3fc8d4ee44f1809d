"""The app's pages, in one list that app.py and the pages share."""
from __future__ import annotations

import streamlit as st

from playground import i18n
from playground.i18n import t
from playground.lessons import LESSONS, number
from playground.ui import state

PAGES = (
    ("pages/build.py", "build", ":material/construction:"),
    ("pages/train.py", "train", ":material/model_training:"),
    ("pages/inspect.py", "inspect", ":material/biotech:"),
    ("pages/compare.py", "compare", ":material/compare_arrows:"),
)


def pages() -> dict:
    """The navigation in two sections, titled in the session's language; url paths are the same in every language."""
    playground = [st.Page(path, title=t(f"app.nav.{name}"), icon=icon, default=i == 0) for i, (path, name, icon) in enumerate(PAGES)]
    learn = [st.Page(lesson.page, title=f"{number(lesson.slug)}. {_nav_title(lesson.slug)}", icon=lesson.icon)
             for lesson in LESSONS]
    if not state.view().shows("learn"):
        return {t("app.nav.playground"): playground}
    return {t("app.nav.playground"): playground, t("app.nav.learn"): learn}


def _nav_title(slug: str) -> str:
    """A lesson's name in the navigation: its short `nav` name where the title is too long for the sidebar."""
    return t(f"learn_{slug}.nav") if i18n.has(f"learn_{slug}.nav") else t(f"learn_{slug}.title")


def ensure_navigation() -> None:
    """A first visit straight to /train on a fresh server runs pages/train.py in Streamlit's old pages/-folder mode
    (lower-case page names, no app.py); register our navigation and run again through app.py."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        st.navigation(pages())
        st.rerun()
