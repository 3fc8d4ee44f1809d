"""Train: run the session's model live — start, pause, step, stop — and watch it learn."""
import streamlit as st

from playground.i18n import t
from playground.ui import sampling, state, train, weights_panel
from playground.ui.widgets import page_frame, stale_job_banner

page_frame(t("train.page.title"), t("train.page.subtitle"), sidebar_status=False)
stale_job_banner()
a = state.analysis()
if not a.ok:
    st.error(t("train.page.invalid", count=len(a.problems), first=a.problems[0].message))
    st.page_link("pages/build.py", label=t("train.page.fix"), icon=":material/construction:")
    st.stop()
train.controls(a)
weights_panel.train_row()
panel = st.container()  # the live panel is drawn first but shown above the sampling section it writes into
sampling.train_section(a)
with panel:
    train.live_panel(a)
