"""Lesson 5, recurrent networks: the RNN step written out, back-propagation through time by hand (checked against
autograd), the gradient reaching each time step of the real nn.RNN/LSTM/GRU, the recall-after-N-steps task, gates
over time, and the models the lesson links to."""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from playground.analysis import Analysis, analyze
from playground.datasets import load_dataset
from playground.i18n import t
from playground.lessons import TryIt
from playground.model import build_model
from playground.modules import Recurrent
from playground.spec import Spec, from_data
from playground.training import Trainer

KINDS = ("RNN", "LSTM", "GRU")
GATES = {"LSTM": ("i", "f", "g", "o"), "GRU": ("r", "z", "n")}  # PyTorch's order of the gate blocks in its weights
EMBEDDING_DIM, HIDDEN, SAMPLES = 8, 32, 2000
VOCAB = 2  # recall a bit: chance is 50 %
DEMO_GAP = 7  # the trained demo models recall the first of 8 tokens: every step fits in the unrolled diagram
DEMO_EPOCHS, DEMO_SAMPLES = 4, 1000  # each kind reaches 100 % test accuracy by epoch 2 or 3 (about 0.5 s of CPU)
GRADIENT_BATCH = 64  # test sequences whose per-step gradient norms are averaged


# ---------------------------------------------------------------- the recurrence, written out
def rnn_by_hand(rnn: nn.RNN, x: torch.Tensor) -> torch.Tensor:
    """h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh), h_0 = 0, one step at a time; x is (T, input_size)."""
    w_ih, w_hh, b_ih, b_hh = rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0
    h, states = torch.zeros(rnn.hidden_size), []
    for x_t in x:
        h = torch.tanh(w_ih @ x_t + b_ih + w_hh @ h + b_hh)
        states.append(h)
    return torch.stack(states)


@dataclass(frozen=True)
class Bptt:
    """Back-propagation through time for h_t = tanh(a_t), o_t = W_ho h_t + b_o, L = Σ_t CE(softmax(o_t), y_t)."""

    delta: np.ndarray  # δ_t = ∂L/∂a_t, (T, H)
    d_hidden: np.ndarray  # ∂L/∂h_t through every path (this step's output and all later steps), (T, H)
    d_input: np.ndarray  # ∂L/∂x_t = W_ihᵀ δ_t, (T, D)
    d_w_hh: np.ndarray  # Σ_t δ_t h_{t−1}ᵀ: one matrix, shared by every step, so its gradient is a sum over time
    d_w_ih: np.ndarray  # Σ_t δ_t x_tᵀ


@torch.no_grad()
def bptt_by_hand(rnn: nn.RNN, head: nn.Linear, x: torch.Tensor, y: list[int | None]) -> Bptt:
    """The BPTT recursion δ_t = (1 − h_t²) ⊙ (W_hoᵀ(p_t − y_t) + W_hhᵀ δ_{t+1}), run backwards from the last step.

    `y[t]` is the target class at step t, or None where the loss has no term (the recall task scores only the last).
    """
    h = rnn_by_hand(rnn, x)
    steps, size = h.shape
    delta, d_hidden = torch.zeros(steps, size), torch.zeros(steps, size)
    later = torch.zeros(size)  # W_hhᵀ δ_{t+1}; nothing comes back from after the last step
    for step in reversed(range(steps)):
        d_h = later.clone()
        if y[step] is not None:
            p = torch.softmax(head(h[step]), dim=-1)
            d_h += head.weight.T @ (p - F.one_hot(torch.tensor(y[step]), p.numel()))  # softmax + CE: δᵒ_t = p_t − y_t
        d_hidden[step] = d_h
        delta[step] = (1 - h[step] ** 2) * d_h  # tanh′(a_t) = 1 − h_t² multiplies the whole sum
        later = rnn.weight_hh_l0.T @ delta[step]
    h_prev = torch.cat([torch.zeros(1, size), h[:-1]])
    return Bptt(delta.numpy(), d_hidden.numpy(), (delta @ rnn.weight_ih_l0).numpy(),
                (delta.T @ h_prev).numpy(), (delta.T @ x).numpy())


def checks() -> tuple[float, float, dict[str, tuple[int, ...]]]:
    """On the demo RNN at initialisation and its first test sequence: the largest difference between the hand-written
    step and nn.RNN, and between the hand-written BPTT and autograd (∂L/∂x_t); and the parameters' shapes."""
    analysis = _analysis("RNN", DEMO_GAP)
    model = build_model(analysis)
    rnn, head = recurrent_layer(model), model[-1]
    x = model[0](demo_input(analysis))[0].detach().requires_grad_()
    h = rnn(x[None])[0][0]
    forward = (rnn_by_hand(rnn, x.detach()) - h).abs().max().item()
    label = int(analysis.dataset.y_test[0])
    (autograd,) = torch.autograd.grad(F.cross_entropy(head(h[-1]), torch.tensor(label)), x)
    hand = bptt_by_hand(rnn, head, x.detach(), [None] * DEMO_GAP + [label])
    backward = float(np.abs(hand.d_input - autograd.numpy()).max())
    shapes = {"w_ih": tuple(rnn.weight_ih_l0.shape), "w_hh": tuple(rnn.weight_hh_l0.shape),
              "b": tuple(rnn.bias_ih_l0.shape), "w_ho": tuple(head.weight.shape), "b_o": tuple(head.bias.shape)}
    return forward, backward, shapes


# ---------------------------------------------------------------- the recall task and its models
def recall_spec(kind: str, gap: int, lr: float = 0.01, epochs: int = 30, samples: int = SAMPLES,
                name: str | None = None) -> Spec:
    """Embedding → RNN/LSTM/GRU → last hidden state → Linear, trained by Adam: recall the first of gap + 1 bits."""
    return from_data({
        "name": t("learn_recurrent.spec.recall", kind=kind, gap=gap) if name is None else name,
        "dataset": {"name": "recall", "seq_len": gap + 1, "vocab_size": VOCAB, "n_samples": samples, "seed": 0},
        "layers": [{"type": "Embedding", "embedding_dim": EMBEDDING_DIM}, {"type": kind, "hidden_size": HIDDEN},
                   {"type": "SequencePool", "mode": "last"}, {"type": "Linear", "out_features": VOCAB}],
        "loss": {"type": "CrossEntropyLoss"}, "optimizer": {"type": "Adam", "lr": lr},
        "training": {"epochs": epochs, "batch_size": 32, "seed": 0}})


def recurrent_layer(model: nn.Module) -> nn.RNNBase | None:
    """The first top-level RNN/LSTM/GRU of a playground model, or None."""
    return next((m.cell for m in model if isinstance(m, Recurrent)), None)


def set_forget_bias(lstm: nn.LSTM, value: float) -> None:
    """Add `value` to every forget-gate bias (rows H..2H of bias_hh, PyTorch's i, f, g, o order): f_t starts nearer 1."""
    size = lstm.hidden_size
    with torch.no_grad():
        for layer in range(lstm.num_layers):
            getattr(lstm, f"bias_hh_l{layer}")[size:2 * size] += value


@dataclass(frozen=True)
class StepGradients:
    kind: str
    norms: np.ndarray  # mean over the batch of ‖∂L/∂x_t‖ for t = 1 … gap + 1 (index 0: the token to recall)

    @property
    def ratio(self) -> float:
        """What reaches the first token (the one to recall) as a share of what reaches the last."""
        return float(self.norms[0] / self.norms[-1])


def step_gradients(kind: str, gap: int, forget_bias: float = 0.0) -> StepGradients:
    """‖∂L/∂x_t‖ at every step, by autograd through the real module at initialisation, on the recall test split.

    x_t is the embedding fed to the recurrent layer at step t; the loss is the cross-entropy of the recall answer.
    """
    model = build_model(_analysis(kind, DEMO_GAP))  # the weights do not depend on the sequence length
    if kind == "LSTM" and forget_bias:
        set_forget_bias(recurrent_layer(model), forget_bias)
    data = load_dataset("recall", seq_len=gap + 1, vocab_size=VOCAB, n_samples=SAMPLES, seed=0)
    x, y = data.x_test[:GRADIENT_BATCH], data.y_test[:GRADIENT_BATCH]
    embedded = model[0](x).detach().requires_grad_()
    out = embedded
    for layer in list(model)[1:]:
        out = layer(out)
    # A summed loss gives each sequence its own gradient ∂L_i/∂x_{i,t}, not one scaled by 1/batch
    (grad,) = torch.autograd.grad(F.cross_entropy(out, y, reduction="sum"), embedded)
    return StepGradients(kind, grad.norm(dim=-1).mean(dim=0).numpy())


@functools.cache
def _analysis(kind: str, gap: int) -> Analysis:
    """The checked recall model (unnamed, so one analysis serves every language); fixed lesson inputs only."""
    return analyze(recall_spec(kind, gap, name=""))


def trained_demo(kind: str) -> tuple[nn.Module, Analysis]:
    """A small model trained on the short recall task (a few seconds, once per process; the UI caches it)."""
    analysis = analyze(demo_spec(kind))
    trainer = Trainer(analysis)
    while not trainer.done:
        trainer.train_step()
    return trainer.model.eval(), analysis


def demo_spec(kind: str) -> Spec:
    return recall_spec(kind, DEMO_GAP, epochs=DEMO_EPOCHS, samples=DEMO_SAMPLES, name=t("learn_recurrent.spec.demo", kind=kind))


# ---------------------------------------------------------------- one input through a recurrent model
@dataclass(frozen=True)
class Unrolled:
    """What the unrolled diagram shows: one cell per step with its input and hidden state."""

    kind: str  # RNN, LSTM or GRU
    inputs: list[str]  # what enters at each step (a token, or the step's values)
    hidden: np.ndarray  # (T, H·directions): h_t after each step
    num_layers: int
    bidirectional: bool
    prediction: str | None  # the model's answer for this input, where it is a classifier


def recurrent_trace(model: nn.Module, analysis: Analysis, x: torch.Tensor):
    """The whole trace and its first recurrent layer's, from the Inspect page's code (`playground.inspection`): kept
    in this one function so the lesson follows that module wherever it moves."""
    from playground import inspection

    full = inspection.trace(model, analysis, x)
    return full, full.recurrent[0]


def unroll(model: nn.Module, analysis: Analysis, x: torch.Tensor) -> Unrolled:
    """The first recurrent layer's steps for one input: what enters each step (the token where the steps are the
    input's tokens, else the first values the layer receives) and the hidden state after it."""
    full, rec = recurrent_trace(model, analysis, x)
    cell = recurrent_layer(model)
    steps = len(rec.hidden)
    if full.tokens is not None and len(full.tokens) == steps:
        inputs = list(full.tokens)
    else:
        inputs = [", ".join(f"{v:.2f}" for v in row[:2]) + (", …" if len(row) > 2 else "")
                  for row in np.asarray(full.layer_input(rec.index)).reshape(steps, -1)]
    labels = full.prediction_labels
    return Unrolled(rec.type, inputs, rec.hidden, cell.num_layers, cell.bidirectional,
                    labels[0] if labels and len(labels) == 1 else None)


def gate_states(model: nn.Module, analysis: Analysis, x: torch.Tensor) -> dict[str, np.ndarray]:
    """Gate symbol → (T, H) values, then c (LSTM) and h, for one input through a one-layer LSTM or GRU."""
    _, rec = recurrent_trace(model, analysis, x)
    states = dict(zip(GATES[rec.type], rec.gates.values()))  # the trace lists the gates in PyTorch's order
    if rec.cell is not None:
        states["c"] = rec.cell
    states["h"] = rec.hidden
    return states


def demo_input(analysis: Analysis, index: int = 0) -> torch.Tensor:
    """One test sequence of the model's dataset, as a batch of one (a copy: the dataset's tensors are shared)."""
    return analysis.dataset.x_test[index:index + 1].clone()


def has_recurrent_layer(analysis: Analysis) -> bool:
    return analysis.ok and any(info.type in KINDS for info in analysis.layers)


# ---------------------------------------------------------------- "try it"
# What each one shows was measured headless (benchmarks/learn_recurrent.py) and is checked in epochs by the tests.
def recall_rnn() -> Spec:
    """N = 30: 100 % by epoch 3."""
    return recall_spec("RNN", 30)


def recall_lstm() -> Spec:
    """N = 30: at chance for all 30 epochs."""
    return recall_spec("LSTM", 30)


def recall_gru() -> Spec:
    """N = 30: at chance for 11 epochs, 100 % at epoch 12."""
    return recall_spec("GRU", 30)


def recall_rnn_far() -> Spec:
    """N = 50 with learning rate 0.003: 16 epochs at chance, then 100 % by epoch 19."""
    return recall_spec("RNN", 50, lr=0.003)


def recall_lstm_near() -> Spec:
    """N = 10 with learning rate 0.001: 100 % by epoch 4 (with 0.01 the LSTM stays at chance even here)."""
    return recall_spec("LSTM", 10, lr=0.001)


def stacked_lstm() -> Spec:
    """Character embeddings feeding a two-layer LSTM that predicts every next character of the text."""
    return from_data({
        "name": t("learn_recurrent.spec.stacked"),
        "dataset": {"name": "text", "seq_len": 32, "n_samples": 3000, "seed": 0},
        "layers": [{"type": "Embedding", "embedding_dim": 16}, {"type": "LSTM", "hidden_size": 64, "num_layers": 2},
                   {"type": "Linear", "out_features": len(load_dataset("text").vocab)}],
        "loss": {"type": "CrossEntropyLoss"}, "optimizer": {"type": "Adam", "lr": 0.01},
        "training": {"epochs": 10, "batch_size": 32, "seed": 0}})


TRY_IT = [TryIt("learn_recurrent.try.rnn", recall_rnn), TryIt("learn_recurrent.try.lstm", recall_lstm),
          TryIt("learn_recurrent.try.gru", recall_gru), TryIt("learn_recurrent.try.rnn_far", recall_rnn_far),
          TryIt("learn_recurrent.try.lstm_near", recall_lstm_near), TryIt("learn_recurrent.try.stacked", stacked_lstm)]
