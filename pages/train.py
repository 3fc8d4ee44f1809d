"""Train: run the session's model live — start, pause, step, stop — and watch it learn."""
import streamlit as st

from playground.ui import state, train
from playground.ui.widgets import page_frame, stale_job_banner

page_frame("Train", "Training runs in the background: switch pages and come back, it keeps going.")
stale_job_banner()
a = state.analysis()
if not a.ok:
    st.error(f"This model has {len(a.problems)} problem(s) and cannot be trained: {a.problems[0].message}")
    st.page_link("pages/build.py", label="Fix it on the Build page", icon=":material/construction:")
    st.stop()
train.controls(a)
train.live_panel(a)
