"""The app's pages, in one list that app.py and the pages share."""
from __future__ import annotations

import streamlit as st

from playground.i18n import t

PAGES = (
    ("pages/build.py", "build", ":material/construction:"),
    ("pages/train.py", "train", ":material/model_training:"),
    ("pages/inspect.py", "inspect", ":material/biotech:"),
)


def pages() -> list:
    """The navigation, titled in the session's language; url paths stay the same in every language."""
    return [st.Page(path, title=t(f"app.nav.{name}"), icon=icon, default=i == 0)
            for i, (path, name, icon) in enumerate(PAGES)]


def ensure_navigation() -> None:
    """A first visit straight to /train on a fresh server runs pages/train.py in Streamlit's old pages/-folder mode
    (lower-case page names, no app.py); register our navigation and run again through app.py."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        st.navigation(pages())
        st.rerun()
