"""A whole split through the model: the confusion matrix and the most confident mistakes, or the residuals."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch
from torch import nn

from playground.analysis import Analysis
from playground.datasets import PER_TOKEN_TASKS, Dataset
from playground.inspection.core import batched, eval_mode, predictions, probabilities
from playground.inspection.inputs import split_tensors
from playground.inspection.tokens import token_labels


@dataclass
class WrongExample:
    index: int  # position in the split
    true: Any  # class id, or the token ids of the target sequence
    predicted: Any
    confidence: float  # probability the model gave its (wrong) prediction; for sequences the most confident wrong token
    input: np.ndarray
    tokens: list[str] | None = None  # display labels of a token input


@dataclass
class Evaluation:
    task: str
    split: str
    n: int
    input_shape: tuple[int, ...]
    input_kind: str  # float or tokens
    class_names: tuple[str, ...] | None = None
    accuracy: float | None = None  # per token for per-token tasks
    confusion: np.ndarray | None = None  # (classes, classes): rows true, columns predicted
    per_class_accuracy: np.ndarray | None = None  # recall per true class; NaN for a class absent from the split
    sequence_accuracy: float | None = None  # per-token tasks: share of sequences with every token right
    wrong: list[WrongExample] = field(default_factory=list)  # most confidently wrong first (at most 8)
    y_true: np.ndarray | None = None  # regression
    y_pred: np.ndarray | None = None
    residuals: np.ndarray | None = None  # y − ŷ
    mse: float | None = None
    mae: float | None = None
    r2: float | None = None

    @property
    def per_token(self) -> bool:
        return self.task in PER_TOKEN_TASKS


def evaluate(model: nn.Module, analysis: Analysis, dataset: Dataset, split: str = "test", top: int = 8) -> Evaluation:
    """Run a whole split (in chunks): confusion and mistakes for classification, residuals for regression."""
    x, y = split_tensors(dataset, split)
    with eval_mode(model):
        out = torch.cat([model(chunk) for chunk in batched(x, 1024)])
    probs = probabilities(out, analysis, dataset.task)
    base = Evaluation(dataset.task, split, len(x), dataset.input_shape, dataset.input_kind, dataset.class_names)
    if probs is None:
        return _regression(base, y.numpy().astype(np.float64), out.numpy().astype(np.float64))
    pred = predictions(out, analysis, dataset.task)
    conf = probs.gather(-1, pred[..., None])[..., 0]  # the probability given to the predicted class
    classes = dataset.num_classes or probs.shape[-1]
    confusion = np.bincount((y * classes + pred).reshape(-1).numpy(), minlength=classes ** 2).reshape(classes, classes)
    support = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = np.where(support > 0, np.diag(confusion) / support, np.nan)
    miss = pred != y
    sequence_accuracy = None
    if dataset.task in PER_TOKEN_TASKS:  # a sequence ranks by its most confident wrong token
        sequence_accuracy = float((~miss).all(dim=1).float().mean())
        score = torch.where(miss, conf, torch.zeros_like(conf)).max(dim=1).values
        wrong_rows = torch.nonzero(miss.any(dim=1)).flatten()
    else:
        score, wrong_rows = conf, torch.nonzero(miss).flatten()
    order = wrong_rows[torch.argsort(score[wrong_rows], descending=True, stable=True)][:top].tolist()
    tokens = dataset.input_kind == "tokens"
    wrong = [WrongExample(k, _plain(y[k]), _plain(pred[k]), float(score[k]), x[k].numpy().copy(),
                          token_labels(dataset, x[k].tolist()) if tokens else None) for k in order]
    return replace(base, accuracy=float(np.trace(confusion) / confusion.sum()), confusion=confusion,
                   per_class_accuracy=per_class, sequence_accuracy=sequence_accuracy, wrong=wrong)


def _regression(base: Evaluation, true: np.ndarray, pred: np.ndarray) -> Evaluation:
    """MSE = mean (y − ŷ)², MAE = mean |y − ŷ|, R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)² (None when y is constant)."""
    res = true - pred
    spread = float(((true - true.mean(axis=0)) ** 2).sum())
    r2 = 1.0 - float((res ** 2).sum()) / spread if spread > 0 else None
    return replace(base, y_true=true, y_pred=pred, residuals=res, mse=float((res ** 2).mean()),
                   mae=float(np.abs(res).mean()), r2=r2)


def _plain(t: torch.Tensor):
    """A class id as an int, a sequence of them as an array."""
    return t.numpy().copy() if t.dim() else int(t)
