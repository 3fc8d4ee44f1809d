"""Architecture Playground — entry point: navigation over the pages, nothing else."""
import streamlit as st

from playground.ui.nav import pages

st.set_page_config(page_title="Architecture Playground", page_icon=":material/hub:", layout="wide")
st.navigation(pages()).run()
