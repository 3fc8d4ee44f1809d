"""The Build page's dataset panel: the dataset and its options, a preview, and a CSV of the user's own."""
from __future__ import annotations

import streamlit as st

from playground import edit
from playground.analysis import Analysis
from playground.datasets import DATASETS, MAX_UPLOAD_BYTES, UPLOAD, DatasetError, dataset_from_dataframe, read_csv, separator_name
from playground.i18n import msg, t
from playground.layers import format_shape
from playground.plots import data as data_plots
from playground.templates import starter
from playground.ui import state
from playground.ui.widgets import chart, commit_field, field_error, param_input, say, wkey

CSV_KEY = "csv"  # session state: {"file_id", "table", "separator"} of the last CSV read, or {"file_id", "error"}


def _on_dataset(key) -> None:
    name = st.session_state[key]
    if name != UPLOAD:
        state.apply(edit.set_section, "dataset", {"name": name})


def _load_starter(name: str) -> None:
    state.set_spec(starter(name))
    state.notify(msg("build.dataset.starter_loaded", title=DATASETS[name].title))


def dataset_panel(a: Analysis) -> None:
    current = state.spec().dataset
    names = list(DATASETS) + ([UPLOAD] if state.uploaded_dataset() is not None or current.name == UPLOAD else [])
    if not state.view().shows("dataset"):
        if a.dataset is not None:
            st.markdown(f"**{t(f'datasets.{current.name}.title')}** — {t(f'datasets.{current.name}.description')}"
                        if current.name != UPLOAD else f"**{t('datasets.upload.title')}**")
            preview(a.dataset)
        return
    c1, c2 = st.columns([2, 3])
    with c1:
        k = wkey("dataset")
        labels = {n: f"{DATASETS[n].title} · {DATASETS[n].family_title}" if n in DATASETS else t("datasets.upload.title") for n in names}
        st.selectbox(t("build.dataset.label"), names, index=names.index(current.name), key=k, on_change=_on_dataset, args=(k,),
                     format_func=labels.get)
        if current.name in DATASETS:
            _options(current)
        for p in a.problems:
            if p.where == "dataset":
                say("error", p.message)
        _csv_upload()
    with c2:
        if a.dataset is not None:
            preview(a.dataset)


def _options(current) -> None:
    d = DATASETS[current.name]
    st.caption(d.description)
    values = current.args()
    cols = st.columns(2)
    for j, p in enumerate(d.params):
        with cols[j % 2]:
            k = wkey("ds", p.name)
            param_input(p, values.get(p.name), k, commit_field, (p, k, _set_option(p.name)))
            field_error(k)
    st.button(t("build.dataset.starter", title=d.title), key=wkey("starter", current.name), on_click=_load_starter,
              args=(current.name,), help=t("build.dataset.starter_help"), wrap=True)


def _set_option(name: str):
    return lambda spec, value: edit.set_option(spec, "dataset", name, value)


def preview(ds) -> None:
    st.markdown(t("build.dataset.preview", train=ds.n_train, test=ds.n_test, shape=format_shape(ds.input_shape)))
    if ds.input_shape == (2,):
        chart(data_plots.points_2d(ds, height=330), key="preview-2d")
    elif ds.input_shape == (1,):
        chart(data_plots.curve_1d(ds, height=330), key="preview-1d")
    elif len(ds.input_shape) == 3:
        chart(data_plots.image_grid(ds, 16, 8), key="preview-images")
    elif len(ds.input_shape) == 2 or ds.input_kind == "tokens":
        st.dataframe(data_plots.sequence_table(ds), hide_index=True, width="stretch")
    else:
        st.dataframe(data_plots.table(ds), hide_index=True, width="stretch")
    balance = data_plots.class_balance(ds)
    if balance is not None and len(balance) <= 12:
        st.caption(t("build.dataset.classes", classes=" · ".join(f"{r.iloc[0]} ({r.iloc[1]})" for _, r in balance.iterrows())))


# ---------------------------------------------------------------- the user's own CSV
def _read_upload(up) -> dict:
    """The upload read once per file (a rerun must not parse 5 MB again): the table and its separator, or the error."""
    cached = st.session_state.get(CSV_KEY)
    if cached and cached["file_id"] == up.file_id:
        return cached
    try:
        table, sep = read_csv(up.getvalue())
        entry = {"file_id": up.file_id, "table": table, "separator": sep}
    except DatasetError as e:
        entry = {"file_id": up.file_id, "error": e.msg}
    st.session_state[CSV_KEY] = entry
    return entry


def _use_csv(target_key: str, task_key: str) -> None:
    entry = st.session_state.get(CSV_KEY) or {}
    task = st.session_state.get(task_key)
    try:
        ds = dataset_from_dataframe(entry["table"], st.session_state.get(target_key), None if task == "infer" else task)
    except DatasetError as e:
        st.session_state["csv-error"] = e.msg
        return
    st.session_state.pop("csv-error", None)
    state.set_uploaded_dataset(ds)
    state.apply(edit.set_section, "dataset", {"name": UPLOAD})
    state.notify(msg("build.csv.used", rows=ds.n_train + ds.n_test))


def _csv_upload() -> None:
    with st.expander(t("build.csv.title")):
        up = st.file_uploader(t("build.csv.file", limit=MAX_UPLOAD_BYTES // (1024 * 1024)), type=["csv", "tsv", "txt"], key="csv-file")
        if up is None:
            return
        entry = _read_upload(up)
        if "error" in entry:
            say("error", str(entry["error"]))
            return
        df = entry["table"]
        st.caption(t("datasets.csv.read_with", rows=len(df), columns=df.shape[1], separator=separator_name(entry["separator"])))
        columns = [str(c) for c in df.columns]
        st.selectbox(t("build.csv.target"), columns, index=len(columns) - 1, key="csv-target")
        tasks = {"infer": t("build.csv.infer"), **{v: t(f"datasets.task.{v}") for v in ("binary", "multiclass", "regression")}}
        st.selectbox(t("build.csv.task"), list(tasks), key="csv-task", format_func=tasks.get)
        st.dataframe(df.head(5), hide_index=True)
        st.button(t("build.csv.use"), key="csv-use", type="primary", on_click=_use_csv, args=("csv-target", "csv-task"))
        if (err := st.session_state.get("csv-error")) is not None:
            say("error", str(err))
