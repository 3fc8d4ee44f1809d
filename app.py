"""Architecture Playground — entry point: navigation over the pages, nothing else.

`streamlit run app.py` finds `app` below and serves the pages with one route of ours beside them: the live
panels' feed, which a training page asks for its news without a script run (playground/ui/live_feed.py).
Each page run executes this file as `__main__`, which draws the navigation.
"""
from pathlib import Path

import streamlit as st

from playground.ui.live_feed import lifespan, routes

app = st.App(__file__, routes=routes(), lifespan=lifespan)

if __name__ == "__main__":  # a page run (the server imports this file as `app` only to find the line above)
    import playground.ui.preload  # noqa: F401  (once per server: every page's modules, then gc.freeze)
    from playground.ui.nav import pages

    st.set_page_config(page_title="Architecture Playground", page_icon=str(Path(__file__).parent / "playground" / "ui" / "icon.png"),
                       layout="wide")
    st.navigation(pages(), expanded=True).run()  # every page listed: a "View more" button is in English only
