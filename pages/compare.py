"""Compare: the session's runs side by side — curves, numbers, what changed, decision maps — and sweeps."""
import streamlit as st

from playground.i18n import t
from playground.ui import compare, state, sweep_panel
from playground.ui.run_records import book, keep
from playground.ui.widgets import page_frame

page_frame(t("compare.page.title"), t("compare.page.subtitle"))
keep(state.job_slot().job)  # a run that ended while this session was on another page
sweep_panel.sweep_section()
b = book()
compare.budget_line(b)
if not b.records:
    st.info(t("compare.runs.none"))
else:
    runs = compare.chosen_runs(b)
    if runs:
        compare.curves(runs)
        compare.metrics_table(runs)
        compare.differences(runs)
        compare.decision_maps(runs)
st.divider()
compare.manage(b)
