"""Every dataset has a one-click starter model that is valid and learns."""
import pytest

from playground.datasets import DATASETS
from playground.spec import analyze
from playground.templates import default_spec, examples, starter
from playground.training import train

# Quick bars: a few seconds of training must already beat chance clearly.
QUICK = {"binary": 0.75, "multiclass": 0.6, "token_classification": 0.5, "next_token": 0.25}


@pytest.mark.parametrize("name", list(DATASETS))
def test_starter_is_valid_for_every_dataset(name):
    a = analyze(starter(name))
    assert a.ok, a.problems
    assert a.dataset.name == name


@pytest.mark.slow
@pytest.mark.parametrize("name", ["circle", "iris", "parity", "sort", "sine"])
def test_starters_learn(name):
    a = analyze(starter(name))
    last = list(train(a, max_seconds=4))[-1]
    if a.dataset.task == "regression":
        assert last.test_loss < 0.05
    else:
        assert last.test_accuracy >= QUICK[a.dataset.task]


def test_examples_are_the_starters_of_their_datasets():
    for spec in examples().values():
        assert starter(spec["dataset"]["name"])["dataset"]["name"] == spec["dataset"]["name"]
    assert analyze(default_spec()).ok
