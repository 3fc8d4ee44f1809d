"""What training did, for the whole model: gradient norms, weight and activation spreads, and the test split."""
from __future__ import annotations

import streamlit as st

from playground import inspection
from playground.analysis import Analysis
from playground.i18n import t
from playground.inspection import formulas
from playground.plots import dynamics as dynamics_figs
from playground.plots import evaluation as evaluation_figs
from playground.ui.inspect import Snapshot, chart, formula

HEALTH_BATCH = 512  # test samples whose activations make the histograms and the dead-ReLU count


def dynamics(a: Analysis, snap: Snapshot) -> None:
    st.markdown(f"**{t('inspect.dynamics.grad_heading')}**")
    formula(formulas.GRADIENT_NORM, t("inspect.formula.gradient_norm"))
    if snap.epochs:
        history = inspection.gradient_history(snap.epochs)
        chart(snap, None, "grad-norms", lambda: dynamics_figs.grad_norms(history, [r.epoch for r in snap.epochs]))
    else:
        st.info(t("inspect.dynamics.train_first"))
    weights = snap.memo(("weights",), lambda: inspection.weight_stats(snap.model, a))
    acts = snap.memo(("activations",), lambda: inspection.activation_stats(snap.model, a, a.dataset.x_test[:HEALTH_BATCH]))
    formula(formulas.SPREAD, t("inspect.formula.spread", count=min(HEALTH_BATCH, a.dataset.n_test)))
    chart(snap, None, "w-hist", lambda: dynamics_figs.weight_histograms(weights))
    chart(snap, None, "a-hist", lambda: dynamics_figs.activation_histograms(acts))
    if any(s.units is not None for s in acts):
        formula(formulas.DEAD_RELU, t("inspect.formula.dead_relu"))
        chart(snap, None, "dead-relu", lambda: dynamics_figs.dead_relu(acts))


def evaluation(a: Analysis, snap: Snapshot) -> None:
    ds = a.dataset
    ev = snap.memo(("evaluation",), lambda: inspection.evaluate(snap.model, a, ds, "test"))
    cols = st.columns(3)
    if ev.confusion is None:
        cols[0].metric(t("inspect.evaluation.mse"), f"{ev.mse:.4g}")
        cols[1].metric(t("inspect.evaluation.mae"), f"{ev.mae:.4g}")
        if ev.r2 is not None:
            cols[2].metric("R²", f"{ev.r2:.3f}")
        formula(formulas.REGRESSION, t("inspect.formula.regression"))
        c1, c2 = st.columns(2)
        with c1:
            chart(snap, None, "pred-true", lambda: evaluation_figs.pred_vs_true(ev))
        with c2:
            chart(snap, None, "residuals", lambda: evaluation_figs.residuals(ev))
        return
    cols[0].metric(t("inspect.evaluation.accuracy_token" if ev.per_token else "inspect.evaluation.accuracy"),
                   f"{ev.accuracy:.1%}")
    if ev.sequence_accuracy is not None:
        cols[1].metric(t("inspect.evaluation.sequences"), f"{ev.sequence_accuracy:.1%}")
    cols[2].metric(t("inspect.evaluation.samples"), f"{ev.n:,}")
    formula(formulas.CONFUSION, t("inspect.formula.confusion"))
    chart(snap, None, "confusion", lambda: evaluation_figs.confusion_matrix(ev))
    chart(snap, None, "per-class", lambda: evaluation_figs.per_class_accuracy(ev))
    chart(snap, None, "wrong", lambda: evaluation_figs.wrong_examples(ev, ds.x_test, ds.y_test, ds.feature_names))
