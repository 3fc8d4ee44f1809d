"""The Build page's model column: the palette, one card per layer, the totals and the diagram.

Every button acts through an on_click callback that turns the spec into a new, validated spec
(playground.edit), so nothing the user typed is lost and the link always matches the page.
"""
from __future__ import annotations

import html

import streamlit as st

from playground import edit, i18n
from playground.analysis import Analysis
from playground.diagram import to_dot
from playground.i18n import msg, t
from playground.layers import ACTIVATIONS, LAYERS, by_family, format_shape
from playground.plots.style import FAMILY_COLORS
from playground.spec import Entry, layer_index
from playground.ui import state
from playground.ui.widgets import commit_field, field_error, param_input, say, wkey

SORTABLE_STYLE = """
.sortable-component {background: transparent; border: none; padding: 0;}
.sortable-item, .sortable-item:hover {background: #f1f5f9; color: #0f172a; border: 1px solid #cbd5e1; font-size: 1rem; cursor: grab;}
"""
ICON = {"up": ":material/arrow_upward:", "down": ":material/arrow_downward:", "dup": ":material/content_copy:",
        "del": ":material/delete:", "formula": ":material/function:"}


# ---------------------------------------------------------------- callbacks (run before the page reruns)
def _do(fn, *args, notice=None) -> None:
    if (err := state.apply(fn, *args)) is not None:
        state.notify(err, "error")
    elif notice is not None:
        state.notify(notice)


def _add_from_palette(ltype: str) -> None:
    after = st.session_state.get("palette_position")
    layer = edit.new_layer(ltype)
    if after is None:
        _do(edit.append_layer, layer, notice=msg("build.palette.added", type=ltype))
    else:
        _do(edit.insert_layer, after[:-1] + (after[-1] + 1,), layer, notice=msg("build.palette.added", type=ltype))


def _add_inside(path, key) -> None:
    ltype = st.session_state.get(key)
    if ltype:
        inner = _layer_at(state.spec().layers, path).layers
        _do(edit.insert_layer, path + (len(inner),), edit.new_layer(ltype))


def _apply_fix(path, fix) -> None:
    _do(edit.apply_fix, path, fix, notice=msg("build.card.fix_applied", fix=fix["label"]))


def _on_activation(path, key) -> None:
    choice = st.session_state[key]
    _do(edit.set_activation, path, None if choice == "none" else choice)


def _layer_at(layers: list[Entry], path: tuple[int, ...]) -> Entry:
    layer = layers[path[0]]
    for i in path[1:]:
        layer = layer.layers[i]
    return layer


# ---------------------------------------------------------------- palette
def palette(a: Analysis) -> None:
    st.subheader(t("build.palette.title"))
    labels = {None: t("build.palette.at_end"), **{i.path: t("build.palette.after", index=i.index) for i in a.all_layers()}}
    st.selectbox(t("build.palette.position"), list(labels), key="palette_position", help=t("build.palette.position_help"),
                 format_func=labels.get)
    for family, defs in by_family().items():
        if not defs:
            continue
        st.markdown(f"<span class='pg-family' style='background:{FAMILY_COLORS[family]}'></span>**{html.escape(t(f'layers.family.{family}'))}**",
                    unsafe_allow_html=True)
        with st.container(horizontal=True, wrap=True, gap="small"):
            for d in defs:
                st.button(d.type, key=f"add:{d.type}", help=d.summary, on_click=_add_from_palette, args=(d.type,), type="secondary")


# ---------------------------------------------------------------- layer cards
def layer_stack(a: Analysis) -> None:
    ds = a.dataset
    st.subheader(t("build.model.title"))
    if ds is not None:
        key = "build.model.input_tokens" if ds.input_kind == "tokens" else "build.model.input"
        st.caption(t(key, shape=format_shape(ds.input_shape), dataset=t(f"datasets.{ds.name}.title"), task=t(f"datasets.task.{ds.task}")))
    layers = state.spec().layers
    if not layers:
        st.info(t("build.model.empty"))
    if len(layers) > 1 and state.view().shows("layers"):
        _drag_to_reorder(layers)
    for i, layer in enumerate(layers):
        _card(a, (i,), layer, len(layers))
    for p in a.problems:
        if p.path is None and p.where in ("layers", "loss"):
            say("error", p.message)


def _drag_to_reorder(layers: list[Entry]) -> None:
    """The layers as a list to drag (streamlit-sortables); the buttons on each card do the same one step at a time."""
    from streamlit_sortables import sort_items

    labels = [f"{i} · {layer.type}" for i, layer in enumerate(layers)]
    if not st.toggle(t("build.model.reorder"), key="reorder-open", help=t("build.model.reorder_help")):
        return
    dragged = sort_items(labels, direction="vertical", key=wkey("sort"), custom_style=SORTABLE_STYLE)
    if dragged != labels and sorted(dragged) == sorted(labels):
        state.apply(edit.reorder_layers, [labels.index(label) for label in dragged])
        st.rerun()


def _card(a: Analysis, path: tuple[int, ...], layer: Entry, siblings: int) -> None:
    d = LAYERS[layer.type]
    info = a.found.get(path)
    with st.container(border=True, key=f"card-{layer_index(path).replace('.', '-')}"):
        editable = state.view().shows("layers")
        head, tools = st.columns([1, 1], vertical_alignment="center")
        head.markdown(f"<p class='pg-card-title'><span class='pg-family' style='background:{FAMILY_COLORS[d.family]}'></span>"
                      f"{layer_index(path)} · {html.escape(layer.type)}</p>", unsafe_allow_html=True, help=d.summary)
        with tools.container(horizontal=True, horizontal_alignment="right", gap="small"):
            _card_tools(d, path, siblings, editable)
        if info is not None:
            shape = t("build.card.shape", shape=format_shape(info.out_shape), params=info.params)
        else:
            shape = t("build.card.shape_unknown")
        st.markdown(f"<p class='pg-muted pg-card-shape'>→ {shape}</p>", unsafe_allow_html=True)
        if editable:
            _card_fields(d, path, layer)
        elif args := layer.args():
            st.caption(", ".join(f"{k}={v}" for k, v in args.items()))
        for problem in a.problems_at(path):
            say("error" if problem in a.problems else "warning", problem.message)
            if problem.fix and editable:
                st.button(t("build.card.fix", fix=problem.fix["label"]), key=wkey("fix", path, problem.fix["label"].key), type="primary",
                          on_click=_apply_fix, args=(path, problem.fix))
        _card_children(a, d, path, layer)


def _card_tools(d, path: tuple[int, ...], siblings: int, editable: bool) -> None:
    if editable:
        _edit_tools(path, siblings)
    if d.formula:
        with st.popover(ICON["formula"], help=t("build.card.formula"), type="tertiary"):
            st.latex(d.formula)
            if i18n.has(f"layers.symbols.{d.type}"):
                st.caption(t(f"layers.symbols.{d.type}"))


def _edit_tools(path: tuple[int, ...], siblings: int) -> None:
    st.button(ICON["up"], key=wkey("up", path), help=t("build.card.up"), on_click=_do, args=(edit.move_layer, path, -1),
              disabled=path[-1] == 0, type="tertiary")
    st.button(ICON["down"], key=wkey("down", path), help=t("build.card.down"), on_click=_do, args=(edit.move_layer, path, 1),
              disabled=path[-1] == siblings - 1, type="tertiary")
    st.button(ICON["dup"], key=wkey("dup", path), help=t("build.card.duplicate"), on_click=_do, args=(edit.duplicate_layer, path), type="tertiary")
    st.button(ICON["del"], key=wkey("del", path), help=t("build.card.delete"), on_click=_do, args=(edit.remove_layer, path), type="tertiary")


FIELD_WIDTH = 150  # px: a field keeps its label on one line, and the fields wrap on a narrow (projector) screen


def _card_fields(d, path: tuple[int, ...], layer: Entry) -> None:
    params = list(d.params)
    activated = layer.type in edit.ACTIVATED
    if not params and not activated:
        return
    values = layer.args()
    keys = []
    with st.container(horizontal=True, wrap=True, gap="small", vertical_alignment="bottom"):
        for p in params:
            k = wkey("p", path, p.name)
            keys.append(k)
            param_input(p, values.get(p.name), k, commit_field, (p, k, _set_arg(path, p.name)), width=FIELD_WIDTH)
        if activated:
            _activation_select(path)
    for k in keys:
        field_error(k)


def _set_arg(path: tuple[int, ...], name: str):
    return lambda spec, value: edit.set_arg(spec, path, name, value)


def _card_children(a: Analysis, d, path: tuple[int, ...], layer: Entry) -> None:
    if d.has_inner:
        st.caption(t("build.card.inner"))
        inner = layer.layers
        for j, child in enumerate(inner):
            _card(a, path + (j,), child, len(inner))
        if not state.view().shows("layers"):
            return
        k = wkey("inside", path)
        labels = {"": t("build.card.choose_layer"), **{ltype: ltype for ltype in LAYERS}}
        st.selectbox(t("build.card.add_inside"), list(labels), key=k, on_change=_add_inside, args=(path, k), format_func=labels.get)
    elif layer.type in edit.ACTIVATED and len(path) == 1 and state.view().shows("layers"):
        st.button(t("build.card.wrap"), key=wkey("wrap", path), help=t("build.card.wrap_help"),
                  on_click=_do, args=(edit.wrap_in_residual, path), type="tertiary")


def _activation_select(path) -> None:
    current = edit.activation_after(state.spec(), path) or "none"
    k = wkey("act", path)
    labels = {"none": t("build.card.no_activation"), **{a: a for a in ACTIVATIONS}}
    options = list(labels)
    st.selectbox(t("build.card.activation"), options, index=options.index(current), key=k, on_change=_on_activation, args=(path, k),
                 help=t("build.card.activation_help"), format_func=labels.get, width=FIELD_WIDTH)


# ---------------------------------------------------------------- totals and diagram
def totals(a: Analysis) -> None:
    with st.container(horizontal=True, wrap=True, gap="medium"):
        st.metric(t("build.totals.params"), f"{a.total_params:,}", help=t("build.totals.params_help"), width="content")
        st.metric(t("build.totals.macs"), _si(a.total_macs), help=t("build.totals.macs_help"), width="content")
        st.metric(t("build.totals.weights"), _bytes(a.total_params * 4), help=t("build.totals.weights_help"), width="content")


def _si(n: int) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.2f} {unit}"
    return str(n)


def _bytes(n: int) -> str:
    for unit, size in (("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def diagram(a: Analysis) -> None:
    st.subheader(t("build.diagram.title"))
    if not a.layers:
        st.caption(t("build.diagram.empty"))
        return
    st.graphviz_chart(to_dot(a), width="content")
    if not a.ok:
        st.caption(t("build.diagram.partial"))
