"""Every dataset has a one-click starter model that is valid and learns."""
import pytest

from playground.datasets import DATASETS
from conftest import analyze_doc as analyze
from playground.templates import default_spec, examples, starter
from playground.training import train

# Quick bars: a few epochs of training must already beat chance clearly.
QUICK = {"binary": 0.75, "multiclass": 0.6, "token_classification": 0.5, "next_token": 0.25}


@pytest.mark.parametrize("name", list(DATASETS))
def test_starter_is_valid_for_every_dataset(name):
    a = analyze(starter(name))
    assert a.ok, a.problems
    assert a.dataset.name == name


# Epochs in which each starter must beat the bar (counted, never timed: the same on any machine)
QUICK_EPOCHS = {"circle": 30, "iris": 30, "parity": 10, "sort": 8, "sine": 30}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(QUICK_EPOCHS))
def test_starters_learn(name):
    a = analyze(starter(name))
    last = list(train(a, epochs=QUICK_EPOCHS[name], max_seconds=3600))[-1]
    if a.dataset.task == "regression":
        assert last.test_loss < 0.05
    else:
        assert last.test_accuracy >= QUICK[a.dataset.task]


def test_the_default_model_is_valid_and_every_example_passes_the_typed_door():
    assert analyze(default_spec()).ok
    assert all(analyze(spec).ok for spec in examples().values())
