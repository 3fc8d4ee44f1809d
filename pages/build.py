"""Build: pick a dataset, assemble layers, choose loss, optimizer and training settings."""
import streamlit as st

from playground.ui import build, state
from playground.ui.widgets import page_frame, stale_job_banner

page_frame("Build", "Assemble a network layer by layer. Shapes and parameter counts come from PyTorch itself.")
stale_job_banner()
a = state.analysis()

build.templates_and_files(a)
with st.container(border=True):
    build.dataset_panel(a)

left, middle, right = st.columns([1.15, 2.6, 1.9], gap="medium")
with left:
    build.palette(a)
with middle:
    build.layer_stack(a)
with right:
    build.totals(a)
    build.diagram(a)

st.divider()
build.setup_panel(a)
if a.ok:
    st.page_link("pages/train.py", label="Train this model →", icon=":material/model_training:")
else:
    st.error(f"The model cannot be trained until its {len(a.problems)} problem(s) are fixed — each is shown where it occurs.")
