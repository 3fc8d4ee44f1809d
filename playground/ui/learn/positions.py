"""Lesson 8 on the page: why attention needs positions, the sinusoidal table (heatmap, waves, dot products), and
the reverse task trained live with sinusoidal, learned and no positional encoding, side by side."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from playground.i18n import t
from playground.lessons import positions as lesson
from playground.plots.lessons import positions as figs
from playground.training import Snapshot, TrainingJob, default_pool, steps_per_epoch
from playground.ui.learn.frame import lesson_header, next_lesson, try_it
from playground.ui.widgets import chart

SLUG = "positions"
POLL_SECONDS = 0.5
DIMS = [4, 8, 16, 32, 64, 128]
EXAMPLE = [3, 1, 4, 1, 5, 9, 2, 6]
PE_FORMULA = (r"PE_{(pos,\,2i)} = \sin\!\left(\frac{pos}{10000^{2i/d}}\right), \qquad "
              r"PE_{(pos,\,2i+1)} = \cos\!\left(\frac{pos}{10000^{2i/d}}\right), \qquad i = 0, 1, \dots, \tfrac{d}{2} - 1")


@dataclass
class Ablation:
    """This session's three runs of the ablation (one per kind of positional encoding)."""

    jobs: dict[str, TrainingJob] = field(default_factory=dict)

    def stop(self) -> None:
        for job in self.jobs.values():
            job.stop()

    def snapshots(self) -> dict[str, Snapshot]:
        return {kind: job.snapshot() for kind, job in self.jobs.items()}


@st.cache_resource(scope="session", on_release=lambda runs: runs.stop(), show_spinner=False)
def _ablation() -> Ablation:
    """Session-scoped: the runs stop when the learner closes the tab, as the Train page's do."""
    return Ablation()


@dataclass(frozen=True)
class Fixed:
    """Numbers of the lesson's fixed inputs (no user data): computed once per process."""

    equivariance: lesson.Equivariance
    ceiling: float  # the best a position-blind model can expect on the test sequences
    total_steps: int  # batches in a whole run of the ablation


@st.cache_data(show_spinner=False, max_entries=1)
def _fixed(ids: tuple[int, ...]) -> Fixed:
    a = lesson.analyses()["none"]
    steps = lesson.EPOCHS * steps_per_epoch(a.dataset.n_train, a.training.batch_size)
    return Fixed(lesson.equivariance(list(ids)), lesson.blind_ceiling(a.dataset.x_test.numpy()), steps)


def page() -> None:
    lesson_header(SLUG)
    fixed = _fixed(tuple(EXAMPLE))
    _why(fixed.equivariance)
    _table()
    _ablation_section(fixed)
    _learned()
    try_it(lesson.TRY_IT)
    next_lesson(SLUG)


def _why(check: lesson.Equivariance) -> None:
    st.subheader(t("learn_positions.why.title"))
    st.latex(r"\operatorname{Attention}(PX) = \operatorname{softmax}\!\left(\frac{P Q K^{\top} P^{\top}}{\sqrt{d_k}}\right) P V"
             r" = P\,\operatorname{Attention}(X)")
    st.markdown(t("learn_positions.why.text"))
    st.markdown(t("learn_positions.why.check", tokens=" ".join(map(str, EXAMPLE)), without=check.without, with_pe=check.with_pe))


@st.fragment
def _table() -> None:
    """A fragment: the size controls redraw the table, the waves and the dot products only."""
    st.subheader(t("learn_positions.table.title"))
    st.latex(PE_FORMULA)
    st.latex(r"X = E[x] + PE[0:T] \;\in\; \mathbb{R}^{T \times d}")
    st.markdown(t("learn_positions.table.text"))
    left, right = st.columns(2)
    d = left.select_slider(t("learn_positions.table.d"), DIMS, value=64, key="l8-d")
    n = right.slider(t("learn_positions.table.positions"), 16, 128, 64, 8, key="l8-n")
    pe = lesson.table(n, d)
    chart(figs.table(pe, t("learn_positions.fig.table_title", n=n, d=d)), key="l8-table")
    _waves(pe, d)
    _similarity(pe, d)


def _waves(pe: np.ndarray, d: int) -> None:
    st.markdown(f"#### {t('learn_positions.waves.title')}")
    st.markdown(t("learn_positions.waves.text"))
    default = [j for j in (0, 1, 6, d // 2) if j < d]
    dims = st.multiselect(t("learn_positions.waves.pick"), list(range(d)), default=list(dict.fromkeys(default)), key=f"l8-dims-{d}",
                          max_selections=6)
    if not dims:
        st.info(t("learn_positions.waves.none"))
        return
    chart(figs.waves(pe, dims, [lesson.wavelength(j, d) for j in dims]), key="l8-waves")


def _similarity(pe: np.ndarray, d: int) -> None:
    st.markdown(f"#### {t('learn_positions.similarity.title')}")
    st.latex(r"\begin{aligned} PE(p) \cdot PE(q) &= \sum_{i=0}^{d/2-1} \big[\sin(p\,\omega_i)\sin(q\,\omega_i)"
             r" + \cos(p\,\omega_i)\cos(q\,\omega_i)\big] \\ &= \sum_{i=0}^{d/2-1} \cos\big((p - q)\,\omega_i\big),"
             r" \qquad \omega_i = \frac{1}{10000^{2i/d}} \end{aligned}")
    st.markdown(t("learn_positions.similarity.text", half=d // 2))
    sim = lesson.similarity(pe)
    n = len(pe)
    k = np.arange(-(n - 1), n)
    rows = {p: (np.arange(n) - p, sim[p]) for p in sorted({0, n // 2, n - 1})}
    left, right = st.columns(2)
    with left:
        chart(figs.similarity(sim, t("learn_positions.fig.sim_title", d=d)), key="l8-sim")
    with right:
        chart(figs.offsets(k, lesson.offset_curve(k, d), rows), key="l8-offsets")
    st.markdown(t("learn_positions.similarity.check", error=lesson.offset_error(pe)))
    st.markdown(t("learn_positions.similarity.caveat"))


# ---------------------------------------------------------------- the ablation, trained live
def _start() -> None:
    runs = _ablation()
    runs.stop()
    runs.jobs = {kind: TrainingJob(a) for kind, a in lesson.analyses().items()}
    for job in runs.jobs.values():
        job.start()


def _stop() -> None:
    _ablation().stop()


def _ablation_section(fixed: Fixed) -> None:
    st.subheader(t("learn_positions.ablation.title"))
    st.markdown(t("learn_positions.ablation.text", length=lesson.SEQ_LEN, last=lesson.SEQ_LEN - 1, epochs=lesson.EPOCHS, d=lesson.EMBED))
    default_pool().warm(len(lesson.VARIANTS))  # workers boot while the learner reads, not after the button
    runs = _ablation()
    active = any(s.active for s in runs.snapshots().values())
    ended = bool(runs.jobs) and not active
    left, mid, _ = st.columns([2.2, 1.2, 1.6], vertical_alignment="bottom")
    left.button(t("learn_positions.ablation.again" if ended else "learn_positions.ablation.start"), key="l8-start", type="primary",
                icon=":material/play_arrow:", on_click=_start, disabled=active, width="stretch")
    mid.button(t("learn_positions.ablation.stop"), key="l8-stop", icon=":material/stop:", on_click=_stop, disabled=not active,
               width="stretch")
    _live(runs, active, fixed)


def _live(runs: Ablation, active: bool, fixed: Fixed) -> None:
    @st.fragment(run_every=POLL_SECONDS if active else None)
    def live() -> None:
        snaps = runs.snapshots()
        if any(s.active for s in snaps.values()) != active:
            st.rerun(scope="app")  # started or ended: the buttons and the polling follow
        if not snaps:
            st.info(t("learn_positions.ablation.press"))
        else:
            st.caption(" · ".join(_status(kind, s) for kind, s in snaps.items()))
        accuracy = {kind: [r.test_accuracy for r in s.epochs] for kind, s in snaps.items()}
        loss = {kind: (s.loss_steps, s.loss_values) for kind, s in snaps.items()}
        left, right = st.columns(2)
        with left:
            chart(figs.accuracy(accuracy, lesson.EPOCHS, 1 / lesson.VOCAB, fixed.ceiling), key="l8-acc")
        with right:
            chart(figs.losses(loss, fixed.total_steps), key="l8-loss")
        if snaps and not active:
            _summary(snaps, fixed.ceiling)

    live()


def _status(kind: str, s: Snapshot) -> str:
    state = t(f"train.state.{s.status}")
    return t("learn_positions.ablation.status", arm=t(f"learn_positions.fig.arm_{kind}"), state=state, epoch=s.epoch, total=s.total_epochs)


def _summary(snaps: dict[str, Snapshot], ceiling: float) -> None:
    """What this run measured, in numbers: the learner reads the point off their own curves."""
    failed = [s for s in snaps.values() if s.status in ("failed", "diverged") and s.message is not None]
    for s in failed:
        st.error(str(s.message))
    if any(s.status != "finished" for s in snaps.values()):
        return
    lines = []
    for kind, s in snaps.items():
        accs = [r.test_accuracy for r in s.epochs]
        solved = lesson.first_solved(accs)
        key = "solved" if solved else "unsolved"
        lines.append(t(f"learn_positions.ablation.{key}", arm=t(f"learn_positions.fig.arm_{kind}"), final=accs[-1], epoch=solved,
                       best=max(accs), seconds=s.elapsed))
    st.markdown("\n".join(f"- {line}" for line in lines))
    st.markdown(t("learn_positions.ablation.meaning", ceiling=ceiling, chance=1 / lesson.VOCAB))


# ---------------------------------------------------------------- learned positional embeddings
def _learned() -> None:
    st.subheader(t("learn_positions.learned.title"))
    st.latex(r"\begin{gathered} X = E[x] + E_{pos}[0:T], \qquad E_{pos} \in \mathbb{R}^{\text{max\_len} \times d} \\"
             r" E_{pos}^{(0)} \sim \mathcal{N}(0,\, 0.02^2) \end{gathered}")
    st.markdown(t("learn_positions.learned.text"))
    job = _ablation().jobs.get("learned")
    if job is None or job.snapshot().status != "finished":
        st.info(t("learn_positions.learned.wait"))
        return
    pe = lesson.learned_table(job.model_copy(wait=1.0))
    left, right = st.columns(2)
    with left:
        chart(figs.table(pe, t("learn_positions.fig.learned_title", n=len(pe), d=pe.shape[1]), height=360), key="l8-learned")
    with right:
        chart(figs.similarity(lesson.similarity(pe), t("learn_positions.fig.learned_sim"), height=360), key="l8-learned-sim")
    st.markdown(t("learn_positions.learned.after"))
