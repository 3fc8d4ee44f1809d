"""Look inside, one layer at a time: pick a layer (or the whole network over its input plane) and see its panel.

Each panel shows its formula with this layer's numbers, then the figures drawn from the cached trace.
"""
from __future__ import annotations

import streamlit as st

from playground import inspection
from playground.analysis import Analysis
from playground.i18n import t
from playground.inspection import formulas
from playground.inspection.conv import POOLS
from playground.layers import LAYERS, format_shape
from playground.plots import attention as attention_figs
from playground.plots import conv as conv_figs
from playground.plots import dense as dense_figs
from playground.plots import outputs as output_figs
from playground.plots import recurrent as recurrent_figs
from playground.ui import sampling as sampling_ui
from playground.ui.inspect import Snapshot, chart, formula, input_view, pick_input, prediction, token_view

PLANE = "plane"  # the whole network over its 2-D (or 1-D) input space, TensorFlow Playground's view


def _family(tr: inspection.Trace, index: int) -> str:
    if any(att.index == index for att in tr.attention):
        return "attention"  # a TransformerBlock, or a Residual around attention
    family = LAYERS[tr.layers[index].type].family
    return "other" if family == "attention" else family  # PositionalEncoding: no weights to draw, only its output


def _default(a: Analysis, tr: inspection.Trace) -> int | str:
    """The view a learner of this family wants first: the plane, or the first conv/attention/recurrent layer."""
    if inspection.map_kind(a.dataset):
        return PLANE
    for family in ("convolution", "attention", "recurrent"):
        found = [lt.index for lt in tr.layers if _family(tr, lt.index) == family]
        if found:
            return found[0]
    return 0


def look_inside(a: Analysis, snap: Snapshot) -> None:
    """The input and the model's answer side by side; below, the chosen layer's panel at full width."""
    left, right = st.columns([2, 3], gap="medium")
    with left:
        picked = pick_input(a)
    if picked is None:
        return
    x, info = picked
    tr = snap.trace(a, x)
    with left:
        input_view(snap, tr)
    with right:
        prediction(a, snap, tr, info)
    token_view(a, snap, tr, info)
    sampling_ui.inspect_panel(a, snap, tr, info)
    layer_panel(a, snap, tr, layer_picker(a, tr))


def layer_picker(a: Analysis, tr: inspection.Trace) -> int | str:
    """The layers as a row of pills, in model order, like the stack on the Build page."""
    options: list[int | str] = ([PLANE] if inspection.map_kind(a.dataset) else []) + list(range(len(tr.layers)))
    plane = t("inspect.layers.plane") if inspection.map_kind(a.dataset) == "grid" else t("inspect.layers.line")

    def name(o: int | str) -> str:
        return plane if o == PLANE else tr.layers[o].label

    choice = st.pills(t("inspect.layers.label"), options, format_func=name, default=_default(a, tr), required=True,
                      key="insp-layer", help=t("inspect.layers.help"))
    return _default(a, tr) if choice is None else choice


def layer_panel(a: Analysis, snap: Snapshot, tr: inspection.Trace, choice: int | str) -> None:
    if choice == PLANE:
        plane_panel(a, snap)
        return
    lt = tr.layers[choice]
    st.subheader(t("inspect.layers.heading", label=lt.label, shape=format_shape(lt.out_shape)))
    panel = {"convolution": conv_panel, "pooling": pool_panel, "attention": attention_panel,
             "recurrent": recurrent_panel}.get(_family(tr, choice), output_panel)
    panel(a, snap, tr, lt)


# ---------------------------------------------------------------- convolution and pooling
def conv_panel(a: Analysis, snap: Snapshot, tr: inspection.Trace, lt: inspection.LayerTrace) -> None:
    kset = next(k for k in snap.memo(("kernels",), lambda: inspection.kernels(snap.model, a)) if k.index == lt.index)
    formula(formulas.convolution(kset, tr.layer_input(lt.index).shape), t("inspect.formula.conv"))
    chart(snap, tr, f"fm-{lt.index}", lambda: output_figs.layer_output(lt, tr.tokens))
    in_ch = 0
    if kset.weights.shape[1] > 1:
        in_ch = st.slider(t("inspect.conv.in_channel"), 0, kset.weights.shape[1] - 1, 0, key=f"kin-{lt.index}")
    chart(snap, None, f"k-{lt.index}", lambda: conv_figs.kernels(kset, in_channel=in_ch), in_ch)
    if kset.weights.ndim == 4:
        _conv_step(snap, tr, kset)


def _position(out_map, index: int, prefix: str, channel: str) -> tuple[int, int, int]:
    """Number fields for a channel and an output position (i, j) in one row; keyed per layer, so a smaller map
    never holds a stale value."""
    c0, c1, c2 = st.columns(3)
    channels, rows, cols = out_map.shape
    c = c0.number_input(channel, 0, channels - 1, 0, key=f"{prefix}-c-{index}")
    i = c1.number_input(t("inspect.conv.row_i"), 0, rows - 1, min(3, rows - 1), key=f"{prefix}-i-{index}")
    j = c2.number_input(t("inspect.conv.col_j"), 0, cols - 1, min(3, cols - 1), key=f"{prefix}-j-{index}")
    return int(c), int(i), int(j)


def _conv_step(snap: Snapshot, tr: inspection.Trace, kset: inspection.KernelSet) -> None:
    st.markdown(f"**{t('inspect.conv.step_title')}**")
    out = tr.layers[kset.index].output
    c, i, j = _position(out, kset.index, "cs", t("inspect.conv.out_channel"))
    bias = float(kset.bias[c]) if kset.bias is not None else 0.0
    step = inspection.conv_step(tr.layer_input(kset.index), kset.weights[c], bias, kset.stride, kset.padding, i, j,
                                kset.dilation)
    chart(snap, tr, "cs-fig", lambda: conv_figs.conv_step(step)[0], kset.index, c, i, j)
    st.code(conv_figs.conv_sum(step), language=None, wrap_lines=True)
    st.caption(t("inspect.conv.pytorch_value", i=i, j=j, c=c, value=f"{out[c, i, j]:.4f}"))


def pool_panel(a: Analysis, snap: Snapshot, tr: inspection.Trace, lt: inspection.LayerTrace) -> None:
    info = a.layers[lt.index]
    formula(formulas.pooling(lt.type, info.args, info.in_shape, lt.out_shape), t(f"inspect.formula.pool.{_pool_kind(lt.type)}"))
    chart(snap, tr, f"fm-{lt.index}", lambda: output_figs.layer_output(lt, tr.tokens))
    if lt.type in POOLS:
        st.markdown(f"**{t('inspect.conv.pool_step_title')}**")
        c, i, j = _position(lt.output, lt.index, "ps", t("inspect.conv.channel"))
        x = tr.layer_input(lt.index)[c]
        step = inspection.pool_step(x, POOLS[lt.type], info.args["kernel_size"], info.args.get("stride"),
                                    info.args.get("padding", 0) or 0, i, j)
        st.code(conv_figs.pool_sum(step), language=None, wrap_lines=True)
        st.caption(t("inspect.conv.pytorch_pool", value=f"{lt.output[c, i, j]:.4f}"))


def _pool_kind(layer_type: str) -> str:
    return "adaptive" if layer_type.startswith("Adaptive") else "max" if layer_type.startswith("Max") else "avg"


# ---------------------------------------------------------------- attention and recurrent layers
def attention_panel(a: Analysis, snap: Snapshot, tr: inspection.Trace, lt: inspection.LayerTrace) -> None:
    found = [att for att in tr.attention if att.index == lt.index]
    bias = a.layers[lt.index].args.get("bias", True)
    first = found[0]
    formula(formulas.attention(lt.type, lt.out_shape[-1], first.heads, first.causal, bias),
            t("inspect.formula.attention_causal" if first.causal else "inspect.formula.attention"))
    shown = None
    if first.weights.shape[-1] > attention_figs.LONG:
        names = attention_figs.panel_names(first.heads)
        shown = [st.segmented_control(t("inspect.attention.head"), range(len(names)), format_func=names.__getitem__,
                                      default=len(names) - 1, required=True, key=f"att-head-{lt.index}")]
    for k, att in enumerate(found):
        chart(snap, tr, f"att-{lt.index}-{k}", lambda: attention_figs.attention_heatmaps(att, tr.tokens, shown),
              None if shown is None else tuple(shown))
    chart(snap, tr, f"lo-{lt.index}", lambda: output_figs.layer_output(lt, tr.tokens))


def recurrent_panel(a: Analysis, snap: Snapshot, tr: inspection.Trace, lt: inspection.LayerTrace) -> None:
    rec = next(r for r in tr.recurrent if r.index == lt.index)
    formula(formulas.recurrence(rec.type, rec.nonlinearity), t(f"inspect.formula.recurrent.{rec.type}"))
    if rec.type != "RNN" and rec.gates is None:
        st.caption(t("inspect.recurrent.no_gates"))
    chart(snap, tr, f"rec-{lt.index}", lambda: recurrent_figs.hidden_states(rec, tr.tokens))


def output_panel(a: Analysis, snap: Snapshot, tr: inspection.Trace, lt: inspection.LayerTrace) -> None:
    """Dense, activation, normalisation and utility layers: their formula, and their output for this input."""
    latex = formulas.layer(lt.type, a.layers[lt.index].args)
    if latex:
        formula(latex, t(f"inspect.formula.layer.{_caption(lt.type)}"))
    chart(snap, tr, f"lo-{lt.index}", lambda: output_figs.layer_output(lt, tr.tokens))


def _caption(layer_type: str) -> str:
    """Which sentence explains a layer's formula: its own for a few, else its family's."""
    if layer_type in ("Linear", "Dropout", "Residual", "PositionalEncoding"):
        return layer_type.lower()
    return LAYERS[layer_type].family


# ---------------------------------------------------------------- the whole network over its inputs
def plane_panel(a: Analysis, snap: Snapshot) -> None:
    """The decision map (or prediction curve) and every hidden neuron, both from one pass over the inputs."""
    ds = a.dataset
    rule = inspection.probability_rule(a, a.output_shape[-1])
    grid = inspection.map_kind(ds) == "grid"
    if grid:
        result = snap.memo(("grid",), lambda: inspection.decision_grid(snap.model, a, ds, neurons=True))
        task = result.task
    else:
        result = snap.memo(("curve",), lambda: inspection.decision_curve(snap.model, a, ds, neurons=True))
        task = ds.task if rule else "regression"
    left, right = st.columns(2, gap="medium")
    with left:
        formula(formulas.decision(task, rule), t(f"inspect.formula.decision.{task}"))
    with right:
        formula(formulas.NEURONS, t("inspect.formula.neurons"))
    if grid:
        chart(snap, None, "boundary", lambda: dense_figs.decision_boundary(result, ds.x_train, ds.y_train, ds.x_test,
                                                                           ds.y_test))
        chart(snap, None, "neurons", lambda: dense_figs.neuron_thumbnails(result))
    else:
        chart(snap, None, "curve", lambda: dense_figs.regression_curve(result, ds.x_train, ds.y_train, ds.x_test,
                                                                       ds.y_test))
        chart(snap, None, "neuron-curves", lambda: dense_figs.neuron_curves(result))
