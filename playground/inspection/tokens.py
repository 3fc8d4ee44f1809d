"""Tokens as a learner reads them: visible symbols for blanks, and the rule of each synthetic token task.

The rules live here, in one place, so a typed sequence can be shown with its expected answer. They
mirror the generators in `playground.datasets` (and belong on its registry entries eventually).
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from playground.datasets import Dataset

# A space and a line break are tokens too; drawn as themselves they would be invisible on an axis or in a table.
VISIBLE = {" ": "␣", "\n": "↵"}

RULES: dict[str, Callable[[np.ndarray], Any]] = {
    "reverse": lambda ids: ids[::-1],
    "sort": np.sort,
    "parity": lambda ids: int(ids.sum() % 2),
    "majority": lambda ids: int(2 * ids.sum() > len(ids)),
}


def visible(symbol: str) -> str:
    """A token as drawn on screen: a space is '␣', a line break '↵', anything else itself."""
    return VISIBLE.get(symbol, symbol)


def token_labels(dataset: Dataset, ids: Iterable[int]) -> list[str]:
    """Display text for token ids of `dataset`'s vocabulary."""
    vocab = dataset.vocab or ()
    return [visible(vocab[int(i)]) for i in ids]


def class_labels(dataset: Dataset) -> list[str]:
    """Display names of the classes (the vocabulary for per-token tasks), or their numbers."""
    names = dataset.class_names or tuple(str(k) for k in range(dataset.num_classes or 0))
    return [visible(c) for c in names]


def expected(dataset: Dataset, ids: np.ndarray) -> dict[str, Any]:
    """What the task's rule says the answer to `ids` is ({} when the dataset has no rule)."""
    rule = RULES.get(dataset.name)
    if rule is None:
        return {}
    target = np.asarray(rule(ids))
    if target.ndim:
        return {"target": target, "target_tokens": token_labels(dataset, target)}
    return {"label": int(target), "label_name": dataset.class_names[int(target)]}
