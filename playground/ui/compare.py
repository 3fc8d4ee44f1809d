"""The Compare page's parts: choose runs, their curves overlaid, their numbers, what differs, their decision maps,
and managing runs (rename, delete, download, upload, open on Build)."""
from __future__ import annotations

import streamlit as st

from playground import inspection
from playground.analysis import analyze
from playground.datasets import UPLOAD
from playground.experiments import records
from playground.experiments.book import RunBook
from playground.experiments.diff import spec_diff
from playground.experiments.records import RunFileError, RunRecord
from playground.i18n import msg, t
from playground.plots import compare as plots
from playground.plots import dense as figs
from playground.ui import state
from playground.ui.run_records import book
from playground.ui.widgets import chart, plain, say, slug

MAX_SHOWN = 6  # runs chosen by default: the newest
CHART_HEIGHT = 380
MAPS_PER_ROW = 2  # three in a row are too small to read at 1024 px
UPLOAD_ERROR = "cmp-upload-error"
NO_MAP, NO_WEIGHTS = "no map", "no weights"  # a run on other data; a 2-D run whose weights were not kept


def chosen_runs(b: RunBook) -> list[RunRecord]:
    """The runs to compare (the newest few unless the reader chose), in the order they were trained.

    No key: the widget is a new one whenever the runs change, so a run that ends or is uploaded joins the choice (a
    keyed widget whose value the page sets would take back a stale choice from a browser that had not drawn it yet).
    """
    ids = [r.id for r in b.records]
    names = {r.id: r.name for r in b.records}
    picked = st.multiselect(t("compare.runs.choose"), ids, default=ids[-MAX_SHOWN:], format_func=names.get,
                            help=t("compare.runs.choose_help"))
    return [r for r in b.records if r.id in picked]


def _curves(runs: list[RunRecord]) -> list[plots.Curve]:
    return [plots.Curve(r.name, plots.run_color(i), r.epochs) for i, r in enumerate(runs)]


def curves(runs: list[RunRecord]) -> None:
    """Loss, and accuracy where the runs classify, overlaid; x by epoch or by wall time."""
    by = st.segmented_control(t("compare.charts.x_label"), ["epoch", "seconds"], default="epoch", key="cmp-x",
                              format_func=lambda k: t(f"compare.charts.by_{k}")) or "epoch"
    lines = _curves(runs)
    has_accuracy = any(p.test_accuracy is not None for r in runs for p in r.epochs)
    cols = st.columns(2) if has_accuracy else [st.container()]
    with cols[0]:
        chart(plots.curves_figure(lines, "loss", by == "seconds", CHART_HEIGHT), key="cmp-loss")
    if has_accuracy:
        with cols[1]:
            chart(plots.curves_figure(lines, "accuracy", by == "seconds", CHART_HEIGHT), key="cmp-accuracy")
    st.caption(t("compare.charts.legend_hint"))


def _row(r: RunRecord) -> dict:
    last = r.last
    accuracy = f"{last.test_accuracy:.1%}" if last and last.test_accuracy is not None else "—"
    return {t("compare.table.run"): r.name, t("compare.table.status"): t(f"compare.status.{r.status}"),
            t("compare.table.epochs"): f"{last.epoch if last else 0}/{r.total_epochs}",
            t("compare.table.train_loss"): f"{last.train_loss:.4f}" if last else "—",
            t("compare.table.test_loss"): f"{last.test_loss:.4f}" if last else "—",
            t("compare.table.test_accuracy"): accuracy, t("compare.table.params"): f"{r.params:,}",
            t("compare.table.seconds"): f"{r.wall_seconds:.1f}"}


def metrics_table(runs: list[RunRecord]) -> None:
    st.dataframe([_row(r) for r in runs], hide_index=True, width="stretch", key="cmp-table")


def differences(runs: list[RunRecord]) -> None:
    """For every run after the first, what differs from the first, in words."""
    first = runs[0]
    st.markdown(f"**{plain(t('compare.diff.title', first=first.name))}**")
    for r in runs[1:]:
        changes = spec_diff(first.spec, r.spec)
        text = "; ".join(str(c) for c in changes) if changes else t("compare.diff.same")
        st.markdown("- " + t("compare.diff.line", run=plain(r.name), changes=plain(text)))


def _map_of(r: RunRecord) -> tuple | None:
    """(data, decision grid) of a run on 2-D data from its kept weights, computed once per run; else NO_MAP or NO_WEIGHTS."""
    cache = st.session_state.setdefault("cmp-maps", {})
    if r.id not in cache:
        cache[r.id] = _compute_map(r)
    return cache[r.id]


def _compute_map(r: RunRecord):
    if r.spec.dataset.name == UPLOAD:
        return NO_MAP
    a = analyze(r.spec)
    if a.dataset is None or a.dataset.input_kind != "float" or a.dataset.input_shape != (2,):
        return NO_MAP
    model = records.trained_model(r, a)
    if model is None:
        return NO_WEIGHTS
    return a.dataset, inspection.decision_grid(model, a, a.dataset, resolution=60)


def decision_maps(runs: list[RunRecord]) -> None:
    """Side by side, the decision map of every chosen run on 2-D data (from its kept weights)."""
    flat = [r for r in runs if _map_of(r) != NO_MAP]
    if not flat:
        return
    st.subheader(t("compare.maps.title"))
    for start in range(0, len(flat), MAPS_PER_ROW):
        cols = st.columns(MAPS_PER_ROW)
        for col, r in zip(cols, flat[start:start + MAPS_PER_ROW]):
            with col:
                found = _map_of(r)
                if found == NO_WEIGHTS:
                    st.markdown(f"**{plain(r.name)}**")
                    st.info(t("compare.maps.no_weights"))
                    continue
                ds, grid = found
                fig = figs.decision_boundary(grid, ds.x_train, ds.y_train, title=r.name)
                fig.update_traces(showscale=False, selector={"type": "heatmap"})  # one caption explains the colours
                fig.update_traces(marker_size=5, selector={"type": "scatter"})
                fig.update_layout(height=380, showlegend=False, coloraxis_showscale=False, margin={"l": 50, "r": 10, "t": 45, "b": 45})
                chart(fig, key=f"cmp-map:{r.id}")
    st.caption(t("compare.maps.caption"))


# ---------------------------------------------------------------- managing runs
def _rename(record_id: str, key: str) -> None:
    book().rename(record_id, str(st.session_state.get(key) or ""))


def _delete(record_id: str) -> None:
    b = book()
    name = b.get(record_id).name if b.get(record_id) else ""
    b.delete(record_id)
    st.session_state.get("cmp-maps", {}).pop(record_id, None)
    state.notify(msg("compare.manage.deleted", name=name), "info")


def _on_upload() -> None:
    """A run file joins the runs only when it passes the typed parser and its weights fit its model."""
    up = st.session_state.get("cmp-upload")
    if up is None:
        return
    b = book()
    try:
        record = records.parse_run(up.getvalue(), b.new_id())
        checkable = record.weights is not None and record.spec.dataset.name != UPLOAD  # a table's model needs the table
        if checkable and records.trained_model(record, analyze(record.spec)) is None:
            raise RunFileError(msg("compare.file.weights_mismatch"))
    except RunFileError as e:
        st.session_state[UPLOAD_ERROR] = msg("compare.file.upload_failed", file=repr(up.name[:60]), problem=e.msg)
        return
    st.session_state.pop(UPLOAD_ERROR, None)
    kept = b.add(record)
    state.notify(msg("compare.file.loaded", name=kept.name))


def manage(b: RunBook) -> None:
    """One run at a time: rename, download as JSON, open its spec on Build, delete; and upload a run file."""
    st.subheader(t("compare.manage.title"))
    names = {r.id: r.name for r in b.records}
    if names:
        pick = st.selectbox(t("compare.manage.run"), list(names), index=len(names) - 1, format_func=names.get, key="cmp-manage")
        r = b.get(pick)
        key = f"cmp-name:{r.id}"
        st.text_input(t("compare.manage.rename"), value=r.name, max_chars=records.MAX_NAME, key=key, on_change=_rename,
                      args=(r.id, key))
        row = st.container(horizontal=True, wrap=True, gap="small", vertical_alignment="center")
        row.download_button(t("compare.manage.download"), records.to_json(r), file_name=f"{slug(r.name, 'run')}.json",
                            mime="application/json", key=f"cmp-dl:{r.id}", on_click="ignore", icon=":material/download:",
                            help=t("compare.manage.download_help"))
        row.page_link("pages/build.py", label=t("compare.manage.open"), icon=":material/construction:",
                      query_params=state.link_params(r.spec))
        row.button(t("compare.manage.delete"), key=f"cmp-del:{r.id}", icon=":material/delete:", on_click=_delete, args=(r.id,))
    st.file_uploader(t("compare.file.upload", limit=records.MAX_RUN_BYTES // 1_000_000), type=["json"], key="cmp-upload",
                     on_change=_on_upload, help=t("compare.file.upload_help"))
    if (err := st.session_state.get(UPLOAD_ERROR)) is not None:
        say("error", str(err))


def budget_line(b: RunBook) -> None:
    used = b.weights_bytes()
    size = t("compare.runs.mb", n=f"{used / 1e6:.1f}") if used >= 100_000 else t("compare.runs.kb", n=f"{used / 1e3:.0f}")
    st.caption(t("compare.runs.budget", budget=b.budget // 1_000_000, used=size))
