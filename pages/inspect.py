"""Inspect: open the session's model — while it trains or after — and see what every layer does."""
import streamlit as st

from playground.i18n import t
from playground.ui import inspect as parts
from playground.ui import inspect_layers as layers
from playground.ui import inspect_training as training
from playground.ui import state
from playground.ui.widgets import page_frame, say

page_frame(t("inspect.page.title"), t("inspect.page.subtitle"))
a = state.analysis()
if not a.ok:
    say("error", t("inspect.page.invalid", count=len(a.problems), first=a.problems[0].message))
    st.page_link("pages/build.py", label=t("inspect.page.to_build"), icon=":material/construction:")
    st.stop()

snap = parts.snapshot(a)
parts.snapshot_bar(snap)
tabs = parts.tabs()
views = {"inside": layers.look_inside, "dynamics": training.dynamics, "evaluation": training.evaluation}
for name, draw in views.items():
    if name in tabs and tabs[name].open:
        with tabs[name]:
            draw(a, snap)
