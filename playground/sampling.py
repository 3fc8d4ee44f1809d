"""Sampling from sequence models: a text model writes on from a prompt, one character at a time, and a
per-token model answers a typed sequence, each output position with the attention it paid to the input.

Temperature T divides the model's scores before the softmax, p = softmax(z / T); T = 0 is greedy decoding
(the most likely character every time). Every draw comes from a torch.Generator seeded per request, so the
same prompt, temperature and seed give the same text again.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from playground.analysis import Analysis
from playground.datasets import Dataset
from playground.i18n import listing, t
from playground.inspection import InputError, Trace, probability_rule, visible
from playground.inspection.core import eval_mode

DEFAULT_PROMPT = "alice was "
DEFAULT_LENGTH, MAX_LENGTH = 120, 400  # characters generated per request
MAX_PROMPT = 500  # characters; only the last seq_len of them reach the model anyway
MAX_TEMPERATURE = 2.0
MAX_SEED = 2**31 - 1
TOP_K = 10  # bars in the next-character chart


def encode(dataset: Dataset, text: str) -> list[int]:
    """A prompt as token ids of a text dataset (lower-cased for a lower-case vocabulary); bad ones raise one sentence."""
    vocab = dataset.vocab or ()
    if not any(s != s.lower() for s in vocab):  # the English corpus is lower case: "Alice" reads as "alice"
        text = text.lower()
    if not text:
        raise InputError("sampling.error.empty")
    if len(text) > MAX_PROMPT:
        raise InputError("sampling.error.too_long", count=len(text), most=MAX_PROMPT)
    index = {s: i for i, s in enumerate(vocab)}
    unknown = sorted({c for c in text if c not in index})
    if unknown:
        others = "".join(s for s in vocab if not s.isalpha() and s not in " \n")
        raise InputError("sampling.error.unknown_one" if len(unknown) == 1 else "sampling.error.unknown_many",
                         symbols=lambda: listing([t("sampling.error.quoted", symbol=visible(s)) for s in unknown]),
                         others=others)
    return [index[c] for c in text]


def scores(out: torch.Tensor, analysis: Analysis) -> torch.Tensor:
    """The model's outputs as logits z (softmax(z) = its probabilities), whatever its last layer and loss."""
    rule = probability_rule(analysis, out.shape[-1], "next_token")
    if rule in ("softmax", "exp"):  # raw scores, or log-probabilities (LogSoftmax): already logits
        return out
    p = out.clamp_min(0.0) if rule == "given" else out.clamp(0.0, 1.0)  # Softmax outputs, or one-hot scores (MSE)
    return (p / p.sum(dim=-1, keepdim=True).clamp_min(1e-12)).clamp_min(1e-12).log()


def tempered(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """softmax(z / T) over the last dimension; at T = 0 all the probability sits on the argmax (greedy)."""
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, not {temperature}")
    if temperature == 0:
        return torch.nn.functional.one_hot(logits.argmax(dim=-1), logits.shape[-1]).to(logits.dtype)
    return (logits / temperature).softmax(dim=-1)


def next_logits(model: nn.Module, analysis: Analysis, ids: list[int]) -> torch.Tensor:
    """The logits for the character after `ids`: the model reads the last seq_len of them, as it was trained."""
    context = torch.tensor(ids[-analysis.dataset.input_shape[0]:], dtype=torch.long)[None]
    try:
        with eval_mode(model):
            out = model(context)
    except RuntimeError as e:  # a model that only reads sequences of its full length (Flatten, then Linear, ...)
        raise InputError("sampling.error.model", count=context.shape[1], reason=str(e).strip().splitlines()[0][:160]) from None
    return scores(out[0, -1].float(), analysis)


@dataclass(frozen=True)
class Generation:
    """One request's result: the prompt as the model read it, what it wrote, and its first choice spelled out."""

    prompt: str
    text: str  # the generated characters only
    temperature: float
    seed: int
    logits: np.ndarray  # (vocab,): the scores for the character right after the prompt
    probs: np.ndarray  # softmax(logits / T), the distribution the first character was drawn from

    @property
    def greedy(self) -> bool:
        return self.temperature == 0


def generate(model: nn.Module, analysis: Analysis, prompt: str, length: int = DEFAULT_LENGTH, temperature: float = 1.0,
             seed: int = 0) -> Generation:
    """Write `length` characters after `prompt`, each drawn from softmax(z / T) with a generator seeded by `seed`."""
    dataset = analysis.dataset
    if not 0 <= temperature <= MAX_TEMPERATURE:
        raise InputError("sampling.error.temperature", most=MAX_TEMPERATURE)
    if not 1 <= length <= MAX_LENGTH:
        raise InputError("sampling.error.length", most=MAX_LENGTH)
    ids = encode(dataset, prompt)
    first = next_logits(model, analysis, ids)
    generator = torch.Generator().manual_seed(int(seed))
    logits, out = first, []
    for _ in range(length):
        p = tempered(logits, temperature)
        nxt = int(p.argmax()) if temperature == 0 else int(torch.multinomial(p, 1, generator=generator))
        out.append(nxt)
        logits = next_logits(model, analysis, ids + out)
    vocab = dataset.vocab or ()
    return Generation("".join(vocab[i] for i in ids), "".join(vocab[i] for i in out), temperature, int(seed),
                      first.numpy().copy(), tempered(first, temperature).numpy().copy())


def top_k(probs: np.ndarray, k: int = TOP_K) -> np.ndarray:
    """The ids of the k most likely tokens, most likely first (ties in vocabulary order)."""
    return np.argsort(-np.asarray(probs), kind="stable")[:k]


# ---------------------------------------------------------------- per-token answers (reverse, sort)
@dataclass(frozen=True)
class AttentionRows:
    """What one output position looked at: its row of every head's attention, one row per (layer, head)."""

    position: int
    layers: list[str]  # the layer label of each row ('3 TransformerBlock')
    heads: list[int]  # the head number of each row, from 1
    weights: np.ndarray  # (rows, T): each row sums to 1 over the input positions


def attention_rows(trace: Trace, position: int) -> AttentionRows:
    """Output position `position`'s attention over the sequence, for every head of every attention layer.

    In an encoder the output at position i is read off the last layer's vector i, so the row of query i is where
    that output's information came from at each layer (earlier layers mix positions first)."""
    layers, heads, rows = [], [], []
    for att in trace.attention:
        for h in range(att.heads):
            layers.append(att.label)
            heads.append(h + 1)
            rows.append(att.weights[h, position])
    size = len(trace.tokens or ()) or (trace.attention[0].weights.shape[-1] if trace.attention else 0)
    return AttentionRows(position, layers, heads, np.array(rows, dtype=float).reshape(len(rows), size))
