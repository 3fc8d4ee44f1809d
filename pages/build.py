"""Build: pick a dataset, assemble layers, choose loss, optimizer and training settings."""
import streamlit as st

from playground.i18n import t
from playground.ui import cards, data_panel, features_panel, files_panel, setup_panel, share_panel, state
from playground.ui.widgets import page_frame, say, stale_job_banner

page_frame(t("build.page.title"), t("build.page.subtitle"))
stale_job_banner()
a = state.analysis()
view = state.view()

if view.shows("files"):
    files_panel.templates_and_files(a)
with st.container(border=True):
    data_panel.dataset_panel(a)

model, side = st.columns([3, 2], gap="medium")
with model:
    features_panel.features_panel(a)
    cards.layer_stack(a)
with side:
    if view.shows("palette"):
        with st.container(border=True):
            cards.palette(a)
    cards.totals(a)
    cards.diagram(a)

st.divider()
setup_panel.setup_panel(a)
if a.ok:
    st.page_link("pages/train.py", label=t("build.page.train_link"), icon=":material/model_training:")
else:
    say("error", t("build.page.blocked", count=len(a.problems)))
if not view.present:
    share_panel.share_panel()
