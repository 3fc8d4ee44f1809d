"""The Build page's parts: palette, layer cards, dataset, loss/optimizer/training, spec file, templates.

Every button acts through an on_click callback that turns the spec into a new spec (playground.edit),
so nothing the user typed is lost and the link always matches the page.
"""
from __future__ import annotations

import io
import json

import pandas as pd
import streamlit as st

from playground import edit
from playground.datasets import DATASETS, DatasetError, dataset_from_dataframe
from playground.diagram import to_dot
from playground.export import export_code
from playground.layers import ACTIVATIONS, LAYERS, by_family, format_shape
from playground.losses import LOSSES
from playground.optimizers import OPTIMIZERS, TRAINING_PARAMS
from playground.plots import data as data_plots
from playground.plots.style import FAMILY_COLORS
from playground.spec import UPLOAD, Analysis, LayerInfo, SpecError, analyze, parse_spec
from playground.templates import examples, starter
from playground.ui import state
from playground.ui.widgets import param_input, read_param

PATH_SEP = "."


def _key(*parts) -> str:
    return f"w{state.rev()}:" + ":".join(str(p) for p in parts)


def _path_str(path: tuple[int, ...]) -> str:
    return PATH_SEP.join(map(str, path))


# ---------------------------------------------------------------- callbacks (run before the page reruns)
def _do(fn, *args, notice: str | None = None) -> None:
    state.set_spec(fn(state.spec(), *args))
    if notice:
        state.notify(notice)


def _on_layer_param(path, name, key) -> None:
    p = LAYERS[edit.get_layer(state.spec(), path)["type"]].params.get(name)
    value, err = read_param(p, key)
    if err:
        st.session_state[f"err:{key}"] = err
        return
    st.session_state.pop(f"err:{key}", None)
    state.set_spec(edit.set_arg(state.spec(), path, name, value), rebuild_widgets=False)


def _on_activation(path, key) -> None:
    choice = st.session_state[key]
    state.set_spec(edit.set_activation(state.spec(), path, None if choice == "none" else choice))


def _add_from_palette(ltype: str) -> None:
    spec = state.spec()
    where = st.session_state.get("palette_position", "at the end")
    layer = edit.new_layer(ltype)
    if where == "at the end":
        state.set_spec(edit.append_layer(spec, layer))
    else:
        after = tuple(int(i) for i in where.split(" ")[-1].split(PATH_SEP))
        state.set_spec(edit.insert_layer(spec, after[:-1] + (after[-1] + 1,), layer))
    state.notify(f"Added {ltype}.", "success")


def _add_inside(path, key) -> None:
    ltype = st.session_state.get(key)
    if ltype:
        inner = edit.get_layer(state.spec(), path)["layers"]
        state.set_spec(edit.insert_layer(state.spec(), path + (len(inner),), edit.new_layer(ltype)))


def _apply_fix(path, fix) -> None:
    state.set_spec(edit.apply_fix(state.spec(), path, fix))
    state.notify(f"Applied: {fix['label']}.")


# ---------------------------------------------------------------- palette
def palette(a: Analysis) -> None:
    st.subheader("Add a layer")
    positions = ["at the end"] + [f"after layer {_path_str(i.path)}" for i in _flat(a.layers)]
    st.selectbox("Insert position", positions, key="palette_position", help="Where a clicked layer goes.")
    for family, defs in by_family().items():
        if not defs:
            continue
        color = FAMILY_COLORS[family]
        st.markdown(f"<span class='pg-family' style='background:{color}'></span>**{family.capitalize()}**", unsafe_allow_html=True)
        with st.container(horizontal=True, gap="small"):
            for d in defs:
                st.button(d.type, key=f"add:{d.type}", help=d.summary, on_click=_add_from_palette, args=(d.type,))


def _flat(infos: list[LayerInfo]) -> list[LayerInfo]:
    out = []
    for i in infos:
        out.append(i)
        out.extend(_flat(i.children))
    return out


# ---------------------------------------------------------------- layer cards
def layer_stack(a: Analysis) -> None:
    spec = state.spec()
    ds = a.dataset
    st.subheader("Model")
    if ds is not None:
        kind = "token ids " if ds.input_kind == "tokens" else ""
        st.markdown(f"<span class='pg-muted'>Input:</span> <span class='pg-shape'>{kind}{format_shape(ds.input_shape)}</span> "
                    f"<span class='pg-muted'>per sample from <b>{ds.name}</b> ({ds.task.replace('_', ' ')})</span>", unsafe_allow_html=True)
    layers = spec.get("layers") or []
    if not layers:
        st.info("The model is empty. Add layers from the palette, or load a starter model below the dataset picker.")
    infos = {i.path: i for i in _flat(a.layers)}
    for i, layer in enumerate(layers):
        _card(a, (i,), layer, infos, len(layers))
    for p in a.problems:
        if p.path is None and p.where in ("layers", "loss"):
            st.error(p.message)



def _card(a: Analysis, path: tuple[int, ...], layer: dict, infos: dict, siblings: int) -> None:
    ltype = layer.get("type") if isinstance(layer, dict) else None
    d = LAYERS.get(ltype)
    info = infos.get(path)
    with st.container(border=True, key=f"card-{_path_str(path).replace('.', '-')}"):
        head, tools = st.columns([1, 1], vertical_alignment="center")
        color = FAMILY_COLORS.get(d.family if d else "utility", "#64748b")
        shape = f"→ <span class='pg-shape'>{format_shape(info.out_shape)}</span> · {info.params:,} params" if info else "→ <span class='pg-muted'>shape unknown</span>"
        head.markdown(f"<p class='pg-card-title'><span class='pg-family' style='background:{color}'></span>{_path_str(path)} · {ltype}</p>",
                      unsafe_allow_html=True, help=d.summary if d else None)
        with tools.container(horizontal=True, horizontal_alignment="right", gap="small"):
            st.button(":material/arrow_upward:", key=_key("up", path), help="Move up", on_click=_do, args=(edit.move_layer, path, -1), disabled=path[-1] == 0, type="tertiary")
            st.button(":material/arrow_downward:", key=_key("down", path), help="Move down", on_click=_do, args=(edit.move_layer, path, 1), disabled=path[-1] == siblings - 1, type="tertiary")
            st.button(":material/content_copy:", key=_key("dup", path), help="Duplicate", on_click=_do, args=(edit.duplicate_layer, path), type="tertiary")
            st.button(":material/delete:", key=_key("del", path), help="Delete", on_click=_do, args=(edit.remove_layer, path), type="tertiary")
        # on its own line: beside the buttons a narrow card would break it
        st.markdown(f"<p class='pg-muted pg-card-shape'>{shape}</p>", unsafe_allow_html=True)
        if d is not None:
            params = list(d.params)
            if params:
                cols = st.columns(min(3, len(params) + (1 if ltype in edit.ACTIVATED else 0)))
                for j, p in enumerate(params):
                    with cols[j % len(cols)]:
                        k = _key("p", path, p.name)
                        param_input(p, layer.get(p.name, p.default), k, _on_layer_param, (path, p.name, k))
                        if err := st.session_state.get(f"err:{k}"):
                            st.error(err)
                if ltype in edit.ACTIVATED:
                    with cols[len(params) % len(cols)]:
                        _activation_select(path)
            elif ltype in edit.ACTIVATED:
                _activation_select(path)
        for problem in a.problems_at(path):
            kind = st.error if problem in a.problems else st.warning
            kind(problem.message)
            if problem.fix:
                st.button(f"Fix: {problem.fix['label']}", key=_key("fix", path, problem.fix["label"]), type="primary",
                          on_click=_apply_fix, args=(path, problem.fix))
        if d is not None and d.has_inner and isinstance(layer.get("layers"), list):
            st.caption("Inner layers F(x) — the output is x + F(x):")
            inner = layer["layers"]
            for j, child in enumerate(inner):
                _card(a, path + (j,), child, infos, len(inner))
            k = _key("inside", path)
            st.selectbox("Add inside", [""] + list(LAYERS), key=k, on_change=_add_inside, args=(path, k),
                         format_func=lambda t: "choose a layer to add…" if not t else t)
        elif ltype in edit.ACTIVATED and len(path) == 1:
            st.button("Wrap in Residual", key=_key("wrap", path), help="Put this layer (and its activation) inside a skip connection y = x + F(x)",
                      on_click=_do, args=(edit.wrap_in_residual, path), type="tertiary")


def _activation_select(path) -> None:
    current = edit.activation_after(state.spec(), path) or "none"
    k = _key("act", path)
    options = ["none"] + ACTIVATIONS
    st.selectbox("activation", options, index=options.index(current), key=k, on_change=_on_activation, args=(path, k),
                 help="Writes a separate activation layer right after this one.")


# ---------------------------------------------------------------- totals and diagram
def totals(a: Analysis) -> None:
    c1, c2, c3 = st.columns(3)
    c1.metric("Params", f"{a.total_params:,}", help="Trainable weights and biases, counted by PyTorch.")
    c2.metric("MACs", _si(a.total_macs), help="Multiply-accumulates in one forward pass of one sample, counted by PyTorch's "
                                           "FlopCounterMode (FLOPs ÷ 2).")
    c3.metric("Weights", _bytes(a.total_params * 4), help="Parameters × 4 bytes (float32).")


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
    st.subheader("Architecture")
    if not a.layers:
        st.caption("The diagram appears once the model has layers.")
        return
    st.graphviz_chart(to_dot(a), width="content")
    if not a.ok:
        st.caption("Layers after the first error are not drawn until it is fixed.")


# ---------------------------------------------------------------- dataset
def _on_dataset(key) -> None:
    name = st.session_state[key]
    spec = dict(state.spec())
    if name == UPLOAD:
        return
    spec["dataset"] = {"name": name}
    state.set_spec(spec)


def _on_dataset_option(name, key) -> None:
    p = DATASETS[state.spec()["dataset"]["name"]].params.get(name)
    value, err = read_param(p, key)
    if err is None:
        spec = dict(state.spec())
        spec["dataset"] = {**spec["dataset"], name: value}
        state.set_spec(spec, rebuild_widgets=False)


def _load_starter(name: str) -> None:
    state.set_spec(starter(name))
    state.notify(f"Loaded the starter model for {DATASETS[name].title}.")


def dataset_panel(a: Analysis) -> None:
    spec = state.spec()
    current = (spec.get("dataset") or {}).get("name")
    names = list(DATASETS) + ([UPLOAD] if state.uploaded_dataset() is not None or current == UPLOAD else [])
    c1, c2 = st.columns([2, 3])
    with c1:
        k = _key("dataset")
        st.selectbox("Dataset", names, index=names.index(current) if current in names else 0, key=k, on_change=_on_dataset, args=(k,),
                     format_func=lambda n: f"{DATASETS[n].title} · {DATASETS[n].family}" if n in DATASETS else "Your CSV upload")
        if current in DATASETS:
            d = DATASETS[current]
            st.caption(d.description)
            opts = [p for p in d.params]
            cols = st.columns(2)
            for j, p in enumerate(opts):
                with cols[j % 2]:
                    kk = _key("ds", p.name)
                    param_input(p, spec["dataset"].get(p.name, p.default), kk, _on_dataset_option, (p.name, kk))
            st.button(f"Load starter model for {d.title}", key=_key("starter", current), on_click=_load_starter, args=(current,),
                      help="Replaces the layers, loss, optimizer and training settings with a model that trains well on this dataset.")
        for p in a.problems:
            if p.where == "dataset":
                st.error(p.message)
        _csv_upload()
    with c2:
        if a.dataset is not None:
            preview(a.dataset)


def preview(ds) -> None:
    st.markdown(f"**Preview** · {ds.n_train:,} training and {ds.n_test:,} test samples · input {format_shape(ds.input_shape)}")
    if ds.input_shape == (2,):
        st.plotly_chart(data_plots.points_2d(ds, height=330), key="preview-2d")
    elif ds.input_shape == (1,):
        st.plotly_chart(data_plots.curve_1d(ds, height=330), key="preview-1d")
    elif len(ds.input_shape) == 3:
        st.plotly_chart(data_plots.image_grid(ds, 16, 8), key="preview-images")
    elif len(ds.input_shape) == 2 or ds.input_kind == "tokens":
        st.dataframe(data_plots.sequence_table(ds), hide_index=True, width="stretch")
    else:
        st.dataframe(data_plots.table(ds), hide_index=True, width="stretch")
    balance = data_plots.class_balance(ds)
    if balance is not None and len(balance) <= 12:
        st.caption("Classes: " + " · ".join(f"{r['class']} ({r['training samples']})" for _, r in balance.iterrows()))


def _csv_upload() -> None:
    with st.expander("Use your own CSV"):
        up = st.file_uploader("CSV file (≤ 5 MB)", type=["csv"], key="csv-file")
        if up is None:
            return
        if up.size > 5 * 1024 * 1024:
            st.error(f"The file is {up.size / 1e6:.1f} MB; the limit is 5 MB.")
            return
        try:
            df = pd.read_csv(io.BytesIO(up.getvalue()))
        except Exception as e:  # pandas' parser errors come in many types; one sentence is enough
            st.error(f"This file could not be read as CSV: {str(e).splitlines()[0]}")
            return
        if df.shape[1] < 2:
            st.error("The CSV needs at least two columns: one or more features and a target.")
            return
        target = st.selectbox("Target column", list(df.columns), index=len(df.columns) - 1, key="csv-target")
        task = st.selectbox("Task", ["infer", "binary", "multiclass", "regression"], key="csv-task")
        st.dataframe(df.head(5), hide_index=True)
        if st.button("Use this data", key="csv-use", type="primary"):
            try:
                ds = dataset_from_dataframe(df, target, None if task == "infer" else task, name=UPLOAD)
            except DatasetError as e:
                st.error(str(e))
                return
            state.set_uploaded_dataset(ds)
            spec = dict(state.spec())
            spec["dataset"] = {"name": UPLOAD}
            state.set_spec(spec)
            st.rerun()


# ---------------------------------------------------------------- loss, optimizer, training
def _on_typed(section, registry, key) -> None:
    new_type = st.session_state[key]
    spec = dict(state.spec())
    d = registry[new_type]
    spec[section] = {"type": new_type, **{p.name: p.default for p in d.params if p.default is not None}}
    state.set_spec(spec)


def _on_section_param(section, params, name, key) -> None:
    p = params.get(name)
    value, err = read_param(p, key)
    if err:
        st.session_state[f"err:{key}"] = err
        return
    st.session_state.pop(f"err:{key}", None)
    spec = dict(state.spec())
    body = dict(spec.get(section) or {})
    if value is None:
        body.pop(name, None)
    else:
        body[name] = value
    spec[section] = body
    state.set_spec(spec, rebuild_widgets=False)


def _typed_section(a: Analysis, section: str, registry: dict, resolved: dict, title: str) -> None:
    st.markdown(f"**{title}**")
    current = resolved.get("type")
    names = list(registry)
    k = _key(section, "type")
    st.selectbox(title, names, index=names.index(current) if current in names else 0, key=k, on_change=_on_typed,
                 args=(section, registry, k), label_visibility="collapsed")
    if current in registry:
        d = registry[current]
        st.caption(d.summary)
        st.latex(d.formula)
        for p in d.params:
            kk = _key(section, p.name)
            param_input(p, resolved.get(p.name, p.default), kk, _on_section_param, (section, d.params, p.name, kk))
    for p in a.problems:
        if p.where == section:
            st.error(p.message)


def setup_panel(a: Analysis) -> None:
    c1, c2, c3 = st.columns(3)
    with c1:
        _typed_section(a, "loss", LOSSES, a.loss, "Loss")
    with c2:
        _typed_section(a, "optimizer", OPTIMIZERS, a.optimizer, "Optimizer")
    with c3:
        st.markdown("**Training**")
        t = a.training
        cols = st.columns(2)
        shown = [p for p in TRAINING_PARAMS if p.name not in ("step_size", "gamma") or t.get("lr_schedule") == "step"]
        for j, p in enumerate(shown):
            with cols[j % 2]:
                kk = _key("training", p.name)
                param_input(p, t.get(p.name, p.default), kk, _on_section_param, ("training", TRAINING_PARAMS, p.name, kk))
                if err := st.session_state.get(f"err:{kk}"):
                    st.error(err)
        for p in a.problems + a.warnings:
            if p.where == "training":
                (st.error if p in a.problems else st.warning)(p.message)


# ---------------------------------------------------------------- templates and the spec as a file
def _load_example(key) -> None:
    name = st.session_state.get(key)
    if name:
        state.set_spec(examples()[name])
        state.notify(f"Loaded the template “{examples()[name]['name']}”.")


def _on_spec_upload() -> None:
    up = st.session_state.get("spec-file")
    if up is None:
        return
    try:
        spec = parse_spec(up.getvalue())
        result = analyze(spec)
    except SpecError as e:
        st.session_state["spec-upload-error"] = f"{up.name}: {e} Nothing was changed."
        return
    if result.problems and any(p.where in ("spec",) for p in result.problems):
        st.session_state["spec-upload-error"] = f"{up.name}: {result.problems[0].message} Nothing was changed."
        return
    st.session_state.pop("spec-upload-error", None)
    state.set_spec(spec)
    note = f"Loaded {up.name}." + (f" It has {len(result.problems)} problem(s), shown on the layers." if result.problems else "")
    state.notify(note, "success" if not result.problems else "warning")


def templates_and_files(a: Analysis) -> None:
    ex = examples()
    k = _key("template")
    c1, c2, c3, c4 = st.columns([2.2, 1, 1.6, 1], vertical_alignment="bottom")
    c1.selectbox("Start from a template", [""] + list(ex), key=k, on_change=_load_example, args=(k,),
                 format_func=lambda n: "choose a working model…" if not n else f"{ex[n]['name']}")
    spec = state.spec()
    name = (spec.get("name") or "model").lower().replace(" ", "_")
    c2.download_button("Spec (.json)", json.dumps(spec, indent=2), file_name=f"{name}.json", mime="application/json",
                       key="dl-spec", width="stretch", on_click="ignore", icon=":material/download:",
                       help="The whole model, dataset and settings as one JSON file.")
    with c3.popover("Upload a spec", icon=":material/upload:", width="stretch"):
        st.file_uploader("Spec file (.json)", type=["json"], key="spec-file", on_change=_on_spec_upload)
    code = export_code(a) if a.ok else ""
    c4.download_button("PyTorch (.py)", code, file_name=f"{name}.py", mime="text/x-python", key="dl-code", width="stretch",
                       on_click="ignore", icon=":material/code:", disabled=not a.ok,
                       help="A standalone file that needs only torch." if a.ok else "Fix the errors first.")
    if err := st.session_state.get("spec-upload-error"):
        st.error(err)
