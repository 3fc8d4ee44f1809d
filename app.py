"""Architecture Playground — entry point: navigation over the pages, nothing else."""
import streamlit as st

st.set_page_config(page_title="Architecture Playground", page_icon="🧠", layout="wide")
st.navigation([st.Page("pages/build.py", title="Build", icon="🧱", default=True)]).run()
