"""Architecture Playground — entry point: navigation over the pages, nothing else."""
from pathlib import Path

import streamlit as st

import playground.ui.preload  # noqa: F401  (once per server: every page's modules, then gc.freeze)
from playground.ui.nav import pages

st.set_page_config(page_title="Architecture Playground", page_icon=str(Path(__file__).parent / "playground" / "ui" / "icon.png"), layout="wide")
st.navigation(pages(), expanded=True).run()  # every page listed: a "View more" button is in English only
