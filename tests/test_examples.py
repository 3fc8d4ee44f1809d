"""Every shipped example is valid and learns its task to a stated level within a short time budget.

Training stops as soon as the target is reached, so the whole module usually takes seconds; the budget
only bounds a slow or busy machine. A new example needs an entry in TARGETS.
"""
from __future__ import annotations

import pytest

from playground.analysis import analyze
from playground.spec import parse_spec
from playground.training import train

from conftest import EXAMPLES

# example: (metric, target, seconds of training allowed)
TARGETS = {
    "mlp_spiral": ("test_accuracy", 0.97, 10),
    "mlp_parity": ("test_accuracy", 0.95, 10),
    "cnn_digits": ("test_accuracy", 0.95, 15),
    "cnn_digits_sgd": ("test_accuracy", 0.95, 15),
    "cnn_shapes": ("test_accuracy", 0.85, 15),
    "lstm_majority": ("test_accuracy", 0.95, 10),
    "transformer_reverse": ("test_accuracy", 0.99, 20),  # per token
    "transformer_text": ("test_accuracy", 0.35, 30),  # next character, per token
    "gru_sine": ("test_loss", 0.01, 10),  # mean squared error
}


def test_every_example_has_a_target():
    assert {p.stem for p in EXAMPLES.glob("*.json")} == set(TARGETS)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TARGETS))
def test_example_reaches_its_target(name):
    metric, target, budget = TARGETS[name]
    a = analyze(parse_spec((EXAMPLES / f"{name}.json").read_bytes()))
    assert a.ok, [p.message for p in a.problems]
    reached = lambda value: value >= target if metric == "test_accuracy" else value <= target  # noqa: E731
    history = []
    for record in train(a, max_seconds=budget):
        history.append((record.epoch, round(record.seconds, 1), round(getattr(record, metric), 4)))
        if reached(getattr(record, metric)):
            break
    else:
        pytest.fail(f"{name}: {metric} did not reach {target} within {a.training.epochs} epochs or {budget} s: {history[-3:]}")
    assert record.epoch <= a.training.epochs
