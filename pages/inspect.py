"""Inspect: open the session's model — while it trains or after — and see what every layer does."""
import streamlit as st

from playground import inspection
from playground.plots import inspect as figs
from playground.ui import inspect as parts
from playground.ui import state
from playground.ui.widgets import page_frame

page_frame("Inspect", "One forward pass with hooks records every layer; each figure below is drawn from that trace.")
a = state.analysis()
if not a.ok:
    st.error(f"This model has {len(a.problems)} problem(s); fix them on the Build page first: {a.problems[0].message}")
    st.page_link("pages/build.py", label="Go to Build", icon=":material/construction:")
    st.stop()

model, note, epochs = parts.current_model(a)
c1, c2 = st.columns([5, 1], vertical_alignment="center")
c1.info(note)
c2.button("New snapshot", icon=":material/refresh:", help="Take the weights as they are now.", width="stretch")

inside, dynamics, evaluation = st.tabs(["Look inside", "Training dynamics", "Evaluation"])
with inside:
    left, right = st.columns([1, 2], gap="large")
    with left:
        picked = parts.pick_input(a)
    if picked is not None:
        x, info = picked
        tr = inspection.trace(model, a, x)
        with left:
            if len(tr.input.shape) == 3:
                st.plotly_chart(figs.input_image(tr.input), key="insp-input")
            parts.prediction(a, tr, info)
        with right:
            parts.convolution_view(a, model, tr)
            parts.attention_view(tr)
            parts.recurrent_view(tr)
            parts.plane_view(a, model)
            parts.layer_outputs(tr)
with dynamics:
    parts.dynamics(a, model, epochs)
with evaluation:
    parts.evaluation(a, model)
