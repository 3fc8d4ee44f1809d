"""The Build page's input features for 2-D datasets, as in TensorFlow Playground: pick what the network sees."""
from __future__ import annotations

import streamlit as st

from playground import edit
from playground.analysis import Analysis
from playground.features import feature_maps
from playground.i18n import msg, t
from playground.modules import INPUT_FEATURES
from playground.plots.features import NAMES, feature_thumbnails
from playground.ui import state
from playground.ui.widgets import chart, say, wkey

RAW = ["x1", "x2"]  # the point itself: no InputFeatures layer


def _on_feature(key_prefix: str) -> None:
    chosen = [name for name in INPUT_FEATURES if st.session_state.get(f"{key_prefix}{name}")]
    if not chosen:
        state.notify(msg("features.none"), "error")
        state.set_spec(state.spec())  # rebuild the checkboxes from the spec, which keeps its features
        return
    err = state.apply(edit.set_input_features, None if chosen == RAW else chosen)
    if err is not None:
        state.notify(err, "error")


def features_panel(a: Analysis) -> None:
    ds = a.dataset
    if ds is None or ds.input_kind != "float" or ds.input_shape != (2,) or not state.view().shows("layers"):
        return
    chosen = edit.input_features(state.spec()) or RAW
    with st.container(border=True):
        st.markdown(f"**{t('features.title')}**")
        st.caption(t("features.caption"))
        chart(feature_thumbnails(feature_maps(ds), chosen), key="features-thumbs", config={"displayModeBar": False})
        prefix = wkey("feat", "")
        with st.container(horizontal=True, wrap=True, gap="medium"):
            for name in INPUT_FEATURES:
                st.checkbox(NAMES[name], value=name in chosen, key=f"{prefix}{name}", on_change=_on_feature, args=(prefix,))
