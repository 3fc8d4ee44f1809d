"""The Inspect page's parts. One trace per run from a frozen copy of the session's model; the figures
come from playground.plots.inspect; this module only picks inputs and arranges."""
from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from playground import inspection
from playground.model import build_model
from playground.plots import inspect as figs
from playground.analysis import Analysis
from playground.datasets import PER_TOKEN_TASKS as SEQUENCE_TASKS
from playground.ui import state

CONV_TYPES = ("Conv1d", "Conv2d")
POOL_TYPES = ("MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool2d")
ATTENTION_TYPES = ("MultiheadAttention", "TransformerBlock")
RECURRENT_TYPES = ("RNN", "LSTM", "GRU")
SNAPSHOT_WHEN = {"running": "while training runs", "paused": "while training is paused", "finished": "when training finished",
                 "stopped": "when you stopped training", "diverged": "when training stopped on a diverging loss",
                 "failed": "when training failed"}


def current_model(a: Analysis) -> tuple[torch.nn.Module, str, list]:
    """A frozen copy of the session's model (trained or training), else untrained weights; and the epoch records."""
    slot = state.job_slot()
    job = slot.job
    if job is not None and slot.spec_key == state.spec_key(state.spec()):
        snap = job.snapshot()
        if snap.step > 0:
            acc = snap.epochs[-1].test_accuracy if snap.epochs else None
            extra = f", test accuracy {acc:.1%}" if acc is not None else ""
            when = SNAPSHOT_WHEN.get(snap.status, "")
            note = f"Weights after {snap.step:,} batches ({snap.epoch} epochs{extra}), taken {when}."
            return job.model_copy(), note, snap.epochs
    model = build_model(a).eval()
    return model, "Untrained weights (the seed's initial values) — train the model to see what it learns.", []


# ---------------------------------------------------------------- choosing one input
def pick_input(a: Analysis):
    """Sample by index or class, a drawing, or typed tokens; returns (x, info) or None after showing an error."""
    ds = a.dataset
    images = ds.input_kind == "float" and len(ds.input_shape) == 3
    modes = ["Test sample"]
    if ds.is_classification and ds.task not in SEQUENCE_TASKS:
        modes.append("By class")
    if images:
        modes.append("Draw")
    if ds.input_kind == "tokens":
        modes.append("Type")
    mode = st.segmented_control("Input", modes, default=modes[0], key="insp-mode") or modes[0]
    try:
        if mode == "Test sample":
            idx = st.number_input(f"Test sample (0–{ds.n_test - 1})", 0, ds.n_test - 1, 0, key="insp-index")
            return inspection.prepare_input(ds, int(idx), "test")
        if mode == "By class":
            names = list(ds.class_names or [str(i) for i in range(ds.num_classes)])
            cls = st.selectbox("Class", names, key="insp-class")
            k = names.index(cls)
            matches = torch.nonzero(ds.y_test == k).flatten().tolist()
            if not matches:
                st.warning(f"No test sample of class {cls}.")
                return None
            which = st.number_input(f"Which one ({len(matches)} in the test split)", 1, len(matches), 1, key="insp-which")
            return inspection.prepare_input(ds, matches[int(which) - 1], "test")
        if mode == "Draw":
            return _drawing(ds)
        return _typed(ds)
    except ValueError as e:
        st.error(str(e))
        return None


def _drawing(ds):
    from streamlit_drawable_canvas import st_canvas

    st.caption("Draw with the mouse; it is resized and scaled exactly like the dataset's images.")
    result = st_canvas(stroke_width=18 if ds.name == "digits" else 14, stroke_color="#ffffff", background_color="#000000",
                       height=224, width=224, drawing_mode="freedraw", key="insp-canvas", return_image_data=True)
    if result is None or result.image_data is None:
        st.info("Draw something on the canvas.")
        return None
    return inspection.prepare_input(ds, raw=np.asarray(result.image_data))


def _typed(ds):
    seq_len = ds.input_shape[0]
    if ds.task == "next_token":
        hint, default = f"up to {seq_len} characters", "alice was beginning to get very"
    else:
        hint = f"exactly {seq_len} tokens separated by spaces"
        default = " ".join((ds.vocab or [])[i % len(ds.vocab)] for i in [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8][:seq_len] + [0] * max(0, seq_len - 12))
    text = st.text_input(f"Your sequence ({hint})", value=default[:seq_len] if ds.task == "next_token" else default, key="insp-text")
    return inspection.prepare_input(ds, raw=text)


# ---------------------------------------------------------------- sections
def prediction(a: Analysis, tr, info: dict) -> None:
    ds = a.dataset
    if ds.task in SEQUENCE_TASKS:
        _sequence_prediction(ds, tr, info)
        return
    if tr.probabilities is not None:
        true = info.get("label")
        st.plotly_chart(figs.class_probabilities(tr.probabilities, ds.class_names or [str(i) for i in range(len(tr.probabilities))], true), key="insp-probs")
        names = tr.prediction_labels
        if names and true is not None:
            if int(tr.prediction) == true:
                st.success(f"Correct: this is a {info.get('label_name')}.")
            else:
                st.error(f"Wrong: the model says {names[0]}, the true class is {info.get('label_name')}.")
    else:
        target = info.get("target")
        pred = np.atleast_1d(tr.prediction).astype(float)
        shown = f" · true value {float(np.atleast_1d(target)[0]):.4f}" if target is not None else ""
        st.markdown(f"**Predicted value: {pred[0]:.4f}**{shown}")


def _sequence_prediction(ds, tr, info: dict) -> None:
    tokens = tr.tokens or []
    pred = tr.prediction_labels or []
    joiner = "" if ds.task == "next_token" else " "
    rows = {"input": joiner.join(tokens), "model output": joiner.join(pred)}
    if "target_tokens" in info:
        rows["expected"] = joiner.join(info["target_tokens"])
        target = np.asarray(info["target"])
        right = int((np.atleast_1d(tr.prediction) == target).sum())
        rows["correct tokens"] = f"{right} of {len(target)}"
    st.dataframe([{"": k, "sequence": v} for k, v in rows.items()], hide_index=True, width="stretch")
    if ds.task == "next_token":
        st.caption("Each output character is the model's guess for the character after that position.")
    if tr.probabilities is not None:
        st.plotly_chart(figs.token_probabilities(tr.probabilities, tokens, [inspection._visible(c) for c in ds.class_names]), key="insp-token-probs")


def convolution_view(a: Analysis, model, tr) -> None:
    layers = [lt for lt in tr.layers if lt.type in CONV_TYPES + POOL_TYPES]
    kernel_sets = {k.index: k for k in inspection.kernels(model, a)}
    for lt in layers:
        with st.expander(f"{lt.label} → {lt.out_shape}", expanded=lt is layers[0] or lt.type in CONV_TYPES and lt.index < 3):
            st.plotly_chart(figs.feature_maps(lt), key=f"fm-{lt.index}")
            if lt.index in kernel_sets:
                ks = kernel_sets[lt.index]
                in_ch = 0
                if ks.weights.shape[1] > 1:
                    in_ch = st.slider("Show kernels for input channel", 0, ks.weights.shape[1] - 1, 0, key=f"kin-{lt.index}")
                st.plotly_chart(figs.kernels(ks, in_channel=in_ch), key=f"k-{lt.index}")
    conv2d = [k for k in kernel_sets.values() if k.weights.ndim == 4]
    if conv2d:
        _conv_step(tr, conv2d)


def _conv_step(tr, kernel_sets) -> None:
    st.subheader("One convolution, step by step")
    st.latex(r"y(i,j) = b + \sum_{c}\sum_{m}\sum_{n} w_c(m,n)\, x_c(i \cdot s + m - p,\; j \cdot s + n - p)")
    c1, c2, c3, c4 = st.columns(4)
    labels = {k.label: k for k in kernel_sets}
    ks = labels[c1.selectbox("Convolution layer", list(labels), key="cs-layer")]
    out_c = c2.number_input("Output channel (kernel)", 0, ks.weights.shape[0] - 1, 0, key="cs-out")
    out_map = tr.layers[ks.index].output[int(out_c)]
    i = c3.number_input("Output row i", 0, out_map.shape[0] - 1, min(3, out_map.shape[0] - 1), key="cs-i")
    j = c4.number_input("Output column j", 0, out_map.shape[1] - 1, min(3, out_map.shape[1] - 1), key="cs-j")
    x = tr.layer_input(ks.index)
    bias = float(ks.bias[int(out_c)]) if ks.bias is not None else 0.0
    step = inspection.conv_step(x, ks.weights[int(out_c)], bias, ks.stride, ks.padding, int(i), int(j), ks.dilation)
    fig, formula = figs.conv_step(step)
    st.plotly_chart(fig, key="cs-fig")
    st.code(formula, language=None, wrap_lines=True)
    st.caption(f"PyTorch's own output at ({int(i)}, {int(j)}) of channel {int(out_c)}: {out_map[int(i), int(j)]:.4f} "
               "(before the activation that follows).")


def attention_view(tr) -> None:
    if not tr.attention:
        return
    st.caption("Rows are queries (the position that looks), columns are keys (the positions it looks at); each row sums to 1. "
               "A causal layer's upper triangle is empty: no position may look at the future.")
    for att in tr.attention:
        st.plotly_chart(figs.attention_heatmaps(att, tr.tokens), key=f"att-{att.index}")


def recurrent_view(tr) -> None:
    for rec in tr.recurrent:
        st.plotly_chart(figs.hidden_states(rec, tr.tokens), key=f"rec-{rec.index}")


def plane_view(a: Analysis, model) -> None:
    ds = a.dataset
    kind = inspection.map_kind(ds)
    if kind == "grid":
        grid = inspection.decision_grid(model, a, ds, resolution=50, neurons=True)
        st.markdown("**Every hidden neuron over the input plane** (columns are layers, as in TensorFlow Playground)")
        st.plotly_chart(figs.neuron_thumbnails(grid), key="neurons")
        big = inspection.decision_grid(model, a, ds, resolution=100)
        st.plotly_chart(figs.decision_boundary(big, ds.x_train, ds.y_train, ds.x_test, ds.y_test), key="boundary-big")
    elif kind == "curve":
        curve = inspection.decision_curve(model, a, ds, neurons=True)
        st.plotly_chart(figs.neuron_curves(curve), key="neuron-curves")
        st.plotly_chart(figs.regression_curve(curve, ds.x_train, ds.y_train, ds.x_test, ds.y_test), key="curve-big")


def layer_outputs(tr) -> None:
    """Dense and other layers: what each one outputs for this input."""
    shown = [lt for lt in tr.layers if lt.type not in CONV_TYPES + POOL_TYPES]
    if not shown:
        return
    with st.expander("Every layer's output for this input"):
        for lt in shown:
            st.plotly_chart(figs.layer_output(lt, tr.tokens), key=f"lo-{lt.index}")


def dynamics(a: Analysis, model, epochs: list) -> None:
    ds = a.dataset
    st.markdown("**Gradient norm per layer over training** — vanishing gradients show as lines falling toward 0 in the first layers.")
    if epochs:
        st.plotly_chart(figs.grad_norms(inspection.gradient_history(epochs), [r.epoch for r in epochs]), key="grad-norms")
    else:
        st.info("Train the model to record gradient norms (one value per layer per epoch).")
    batch = ds.x_test[:512]
    c1, c2 = st.columns(2)
    with c1:
        st.plotly_chart(figs.weight_histograms(inspection.weight_stats(model, a)), key="w-hist")
    acts = inspection.activation_stats(model, a, batch)
    with c2:
        st.plotly_chart(figs.activation_histograms(acts), key="a-hist")
    if any(s.units is not None for s in acts):
        st.plotly_chart(figs.dead_relu(acts), key="dead-relu")


def evaluation(a: Analysis, model) -> None:
    ds = a.dataset
    ev = inspection.evaluate(model, a, ds, "test")
    if ev.confusion is not None:
        cols = st.columns(3)
        cols[0].metric("Test accuracy" + (" (per token)" if ds.task in SEQUENCE_TASKS else ""), f"{ev.accuracy:.1%}")
        if ev.sequence_accuracy is not None:
            cols[1].metric("Whole sequences right", f"{ev.sequence_accuracy:.1%}")
        cols[2].metric("Test samples", f"{ev.n:,}")
        c1, c2 = st.columns(2)
        c1.plotly_chart(figs.confusion_matrix(ev), key="confusion")
        c2.plotly_chart(figs.per_class_accuracy(ev), key="per-class")
        st.markdown("**Most confidently wrong test examples**")
        wrong = figs.wrong_examples(ev, ds.x_test, ds.y_test, ds.feature_names)
        if wrong is None:
            st.success("No test example is wrong.")
        elif isinstance(wrong, list):
            st.table(wrong)
        else:
            st.plotly_chart(wrong, key="wrong")
    else:
        cols = st.columns(3)
        cols[0].metric("Test MSE", f"{ev.mse:.4g}")
        cols[1].metric("Test MAE", f"{ev.mae:.4g}")
        if ev.r2 is not None:
            cols[2].metric("R²", f"{ev.r2:.3f}")
        c1, c2 = st.columns(2)
        c1.plotly_chart(figs.pred_vs_true(ev), key="pred-true")
        c2.plotly_chart(figs.residuals(ev), key="residuals")
