"""Sampling panels: text written from a prompt (on Train as the model trains, on Inspect from the snapshot), and a
per-token model's answer to a typed sequence, token by token, with the attention behind each output token.

The Train page has one polling fragment (ui/train.py). The controls here sit outside it, under the charts; the
fragment writes the generated text into this section's output box, at most every SAMPLE_SECONDS.
"""
from __future__ import annotations

import html
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

import streamlit as st
import torch

from playground import inspection, sampling
from playground.analysis import Analysis
from playground.i18n import t
from playground.inspection import InputError, visible
from playground.model import build_model
from playground.plots import sampling as figs
from playground.ui import state
from playground.ui.components.live_chart import Chart, live_charts
from playground.ui.widgets import PRESENT_SCALE, chart, say

SAMPLE_SECONDS = 3.0  # while training runs, a new sample at most this often: each one is `length` forward passes
WEIGHTS_WAIT = 0.3  # seconds a poll waits for the worker's weights; else the copy at hand
BOX, LIVE = "sample-box", "sample-live"  # session keys: the Train section's output box, the last live sample
TEXT_CSS = """<style>
  .pg-sample {font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 1.02rem; line-height: 1.5;
              white-space: pre-wrap; word-break: break-word; padding: 0.6rem 0.8rem; border-radius: 8px;
              background: #f8fafc; border: 1px solid #e2e8f0;}
  .pg-sample .pg-prompt {color: #64748b; background: #e2e8f0; border-radius: 3px;}
  .pg-sample .pg-gen {color: #0f172a;}
</style>"""


@dataclass(frozen=True)
class Settings:
    prompt: str
    temperature: float
    length: int
    seed: int


def is_text(a: Analysis) -> bool:
    return a.dataset is not None and a.dataset.task == "next_token"


# ---------------------------------------------------------------- the controls and the output
def controls(prefix: str) -> Settings:
    """Prompt, temperature (0 = greedy), length and seed; the values stay in the session under `prefix`-keys."""
    c1, c2, c3, c4 = st.columns([4, 2, 1.3, 1.3], vertical_alignment="bottom")
    prompt = c1.text_input(t("sampling.controls.prompt"), value=sampling.DEFAULT_PROMPT, max_chars=sampling.MAX_PROMPT,
                           key=f"{prefix}-prompt", help=t("sampling.controls.prompt_help"))
    temperature = c2.slider(t("sampling.controls.temperature"), 0.0, sampling.MAX_TEMPERATURE, 0.8, 0.05,
                            key=f"{prefix}-temp", help=t("sampling.controls.temperature_help"))
    length = c3.number_input(t("sampling.controls.length"), 1, sampling.MAX_LENGTH, sampling.DEFAULT_LENGTH,
                             key=f"{prefix}-len", help=t("sampling.controls.length_help"))
    seed = c4.number_input(t("sampling.controls.seed"), 0, sampling.MAX_SEED, 0, key=f"{prefix}-seed",
                           help=t("sampling.controls.seed_help"))
    st.caption(t("sampling.controls.greedy" if temperature == 0 else "sampling.controls.sampled",
                 temperature=f"{temperature:g}", seed=int(seed)))
    return Settings(prompt or "", float(temperature), int(length), int(seed))


def _settings(prefix: str) -> Settings:
    """The controls' values as the session holds them (read inside the polling fragment, which draws no controls)."""
    s = st.session_state
    return Settings(s.get(f"{prefix}-prompt") or "", float(s.get(f"{prefix}-temp", 0.8)),
                    int(s.get(f"{prefix}-len", sampling.DEFAULT_LENGTH)), int(s.get(f"{prefix}-seed", 0)))


def _prompt_error(a: Analysis, settings: Settings) -> str | None:
    try:
        sampling.encode(a.dataset, settings.prompt)
    except InputError as e:
        return str(e)
    return None


def _generate(model: torch.nn.Module, a: Analysis, s: Settings) -> sampling.Generation:
    return sampling.generate(model, a, s.prompt, s.length, s.temperature, s.seed)


def generated_text(gen: sampling.Generation) -> None:
    """The prompt (shaded) and what the model wrote after it, as one block of text."""
    st.html(TEXT_CSS)
    st.markdown(f"<div class='pg-sample'><span class='pg-prompt'>{html.escape(gen.prompt)}</span>"
                f"<span class='pg-gen'>{html.escape(gen.text)}</span></div>", unsafe_allow_html=True)
    key = "sampling.output.greedy" if gen.greedy else "sampling.output.sampled"
    st.caption(t(key, count=len(gen.text), temperature=f"{gen.temperature:g}", seed=gen.seed))


def _vocab(a: Analysis) -> list[str]:
    return [visible(s) for s in a.dataset.vocab or ()]


# ---------------------------------------------------------------- Train: live as the model trains
def train_section(a: Analysis) -> None:
    """The Train page's sampling section (text models only): controls, and the box the live panel writes into."""
    if not is_text(a):
        st.session_state.pop(BOX, None)
        return
    with st.container(border=True, key="smp-section"):
        st.subheader(t("sampling.train.title"))
        st.caption(t("sampling.train.intro", seconds=f"{SAMPLE_SECONDS:g}"))
        settings = controls("smp")
        if (err := _prompt_error(a, settings)) is not None:
            say("error", err, icon=":material/error:")
        st.session_state[BOX] = st.container()


def live_output(a: Analysis, job: Any) -> None:
    """Called by the Train page's polling fragment: draw the latest sample into the section's box, generating a
    new one when the settings change, when the run changes, or every SAMPLE_SECONDS while its weights change."""
    box = st.session_state.get(BOX)
    if box is None or not is_text(a):
        return
    settings = _settings("smp")
    with box:
        if _prompt_error(a, settings) is not None:
            st.caption(t("sampling.train.fix_prompt"))
            return
        last = _live_sample(a, job, settings)
        gen, step = last["gen"], last.get("step", 0)
        if gen is None:
            st.caption(t("sampling.train.writing"))
            return
        if isinstance(gen, InputError):
            say("error", str(gen), icon=":material/error:")
            return
        st.caption(t("sampling.train.from_step" if step != 1 else "sampling.train.from_first_step", steps=f"{step:,}")
                   if step else t("sampling.train.untrained"))
        generated_text(gen)
        scale = PRESENT_SCALE if state.view().present else 1.0
        height = round(340 * scale)
        live_charts("sample-charts", [[Chart("next-char", lambda: _scaled(figs.next_token_bars(gen, _vocab(a), height=height), scale),
                                             [], (last["n"], state.language(), scale), height)]])


def _scaled(fig, scale: float):
    fig.update_layout(font={"size": round((fig.layout.font.size or 15) * scale)})
    return fig


def _live_sample(a: Analysis, job: Any, settings: Settings) -> dict[str, Any]:
    """The sample to show now ("gen"), the training step its weights are from ("step") and its number ("n"); kept in
    the session between polls.

    While training runs, a sample is written on a background thread and shown by a later poll: `length` forward
    passes can outlast a poll, and a poll that overruns its interval is cut short by the next one. Otherwise
    (no timer will come back for it) it is written now.
    """
    snap = job.snapshot() if job is not None else None
    run, step = (snap.run_id, snap.step) if snap is not None else ("", 0)
    live = snap is not None and snap.status in ("queued", "running")
    last = st.session_state.get(LIVE) or {"n": -1, "gen": None}
    pending = last.get("pending")
    if pending is not None and (pending[0].done() or not live):  # no poll comes back once the run stops: take it now
        future, wanted = pending
        last = {**last, **wanted, "pending": None, "n": last["n"] + 1, "gen": future.result()}
        st.session_state[LIVE] = last
    elif pending is not None:
        return last
    wanted = {"settings": settings, "run": run, "step": step, "when": time.monotonic()}
    due = (last["gen"] is None or last["settings"] != settings or last["run"] != run
           or (last["step"] != step and (not live or time.monotonic() - last["when"] >= SAMPLE_SECONDS)))
    if not due:
        return last
    untrained = _untrained(a) if job is None else None
    model = (lambda: job.model_copy(wait=WEIGHTS_WAIT)) if job is not None else (lambda: untrained)
    if live:
        last = {**last, "pending": (_background().submit(_sample_with, model, a, settings), wanted)}
    else:
        last = {**last, **wanted, "pending": None, "n": last["n"] + 1, "gen": _sample_with(model, a, settings)}
    st.session_state[LIVE] = last
    return last


def _sample_with(model: Callable[[], torch.nn.Module], a: Analysis, settings: Settings) -> sampling.Generation | InputError:
    """A sample, or the sentence saying why this model cannot write one (kept and shown like a sample)."""
    torch.set_num_threads(1)
    try:
        return _generate(model(), a, settings)
    except InputError as e:
        return e


@st.cache_resource(show_spinner=False)
def _background() -> ThreadPoolExecutor:
    """One thread for the live samples of every session on this server (each session has at most one queued)."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-sample")


def _untrained(a: Analysis) -> torch.nn.Module:
    """The spec's model before training (the seed's weights), built once per spec."""
    key = state.spec_key(a.spec)
    held = st.session_state.get("sample-untrained")
    if held is None or held[0] != key:
        held = (key, build_model(a).eval())
        st.session_state["sample-untrained"] = held
    return held[1]


# ---------------------------------------------------------------- Inspect: from the snapshot
def inspect_panel(a: Analysis, snap: Any, tr: inspection.Trace, info: dict) -> None:
    """Below the model's answer on Inspect: text generation for text models, token by token for per-token tasks."""
    if is_text(a):
        _inspect_text(a, snap)
    elif a.dataset.task == "token_classification" and tr.tokens is not None:
        _token_by_token(a, tr, info)


def _inspect_text(a: Analysis, snap: Any) -> None:
    with st.container(border=True, key="insp-smp-section"):
        st.subheader(t("sampling.inspect.title"))
        st.caption(t("sampling.inspect.intro"))
        settings = controls("insp-smp")
        gen = snap.memo(("generate", settings), lambda: _sample_with(lambda: snap.model, a, settings))
        if isinstance(gen, InputError):
            say("error", str(gen), icon=":material/error:")
            return
        generated_text(gen)
        chart(figs.next_token_bars(gen, _vocab(a)), key="insp-smp-bars")


def _token_by_token(a: Analysis, tr: inspection.Trace, info: dict) -> None:
    """Each output token of a per-token model, and for the one picked, its attention over the input."""
    outputs = tr.prediction_labels or []
    with st.container(border=True, key="smp-tokens"):
        st.subheader(t("sampling.tokens.title"))
        st.caption(t("sampling.tokens.framing", count=len(outputs)))
        target = info.get("target_tokens")
        options = list(range(len(outputs)))
        pick = st.pills(t("sampling.tokens.pick"), options, format_func=lambda k: t("sampling.tokens.option", k=k, token=outputs[k]),
                        default=0, required=True, key="insp-smp-pos")
        k = 0 if pick is None else int(pick)
        p = float(tr.probabilities[k].max())
        verdict = ""
        if target is not None:
            verdict = t("sampling.tokens.right" if target[k] == outputs[k] else "sampling.tokens.wrong", expected=target[k])
        st.markdown(t("sampling.tokens.answer", k=k, token=f"`{outputs[k]}`", p=f"{p:.0%}", verdict=verdict))
        if not tr.attention:
            st.info(t("sampling.tokens.no_attention"))
            return
        rows = sampling.attention_rows(tr, k)
        chart(figs.attention_rows(rows, tr.tokens, outputs[k]), key="insp-smp-att")
        st.caption(t("sampling.tokens.read"))
