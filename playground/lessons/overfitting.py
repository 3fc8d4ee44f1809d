"""Lesson 9, overfitting and generalisation: MLPs of growing capacity trained on 50 noisy points, their train and
test curves, decision boundaries with and without L2 or dropout, and early stopping — every curve from a real run
of the playground's own Trainer on the lesson's fixed settings, so each number is what Train would show."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from playground.analysis import analyze
from playground.i18n import t
from playground.lessons import TryIt
from playground.spec import Spec, from_data
from playground.training import Trainer

# 100 noisy moons, half of them held out: 50 training points are few enough for a wide MLP to memorise.
DATASET = {"name": "moons", "n_samples": 100, "noise": 0.35, "test_fraction": 0.5, "seed": 0}
WIDTHS = (2, 4, 8, 16, 32, 64, 128)
DEPTHS = (1, 2, 3)
EPOCHS = 150  # full batch: one step per epoch
BIG = (128, 2)  # the overfitting model: width, depth
L2_VALUES = (0.0, 0.001, 0.003, 0.01, 0.03)
DROPOUT_VALUES = (0.0, 0.2, 0.3, 0.5)
PATIENCE_VALUES = (5, 10, 20, 40)


@dataclass(frozen=True)
class Setting:
    """What varies between the lesson's runs; everything else (data, Adam 0.01, full batch, seed 0) is fixed."""

    width: int = BIG[0]
    depth: int = BIG[1]
    l2: float = 0.0
    dropout: float = 0.0
    patience: int = 0
    epochs: int = EPOCHS


def spec(s: Setting, name: str = "") -> Spec:
    """An MLP of `depth` ReLU layers of `width` units (each followed by Dropout when p > 0) on the noisy moons."""
    layers: list[dict] = []
    for _ in range(s.depth):
        layers += [{"type": "Linear", "out_features": s.width}, {"type": "ReLU"}]
        if s.dropout:
            layers.append({"type": "Dropout", "p": s.dropout})
    layers.append({"type": "Linear", "out_features": 2})
    return from_data({"name": name, "dataset": DATASET, "layers": layers, "optimizer": {"type": "Adam", "lr": 0.01},
                      "training": {"epochs": s.epochs, "batch_size": 50, "seed": 0, "l2": s.l2, "patience": s.patience}})


@dataclass
class Run:
    """One training run's per-epoch curves, where early stopping ended it, and its decision boundary."""

    setting: Setting
    params: int
    train_loss: np.ndarray  # per epoch, 1-based epoch i at index i − 1
    test_loss: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    best_epoch: int  # the epoch of the lowest test loss
    stopped_early: bool
    grid: Boundary

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    @property
    def gap(self) -> float:
        """Test loss minus train loss after the last epoch: the generalisation gap."""
        return float(self.test_loss[-1] - self.train_loss[-1])


@dataclass
class Boundary:
    x1: np.ndarray
    x2: np.ndarray
    p: np.ndarray  # (len(x2), len(x1)): the model's probability of class 1 (softmax of its two outputs)
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def train_run(s: Setting) -> Run:
    """Train one setting headless, exactly as the Train page would (same seed, same batches, same stopping)."""
    a = analyze(spec(s)).raise_if_invalid()
    trainer = Trainer(a)
    records = []
    while not trainer.done:
        _, record = trainer.train_step()
        if record is not None:
            records.append(record)
    curves = [np.array([getattr(r, k) for r in records]) for k in ("train_loss", "test_loss", "train_accuracy", "test_accuracy")]
    return Run(s, a.total_params, *curves, trainer.best_epoch, trainer.stopped_early, boundary(trainer))


@torch.no_grad()
def boundary(trainer: Trainer, resolution: int = 80) -> Boundary:
    """The trained model's P(class 1) over a square around the data, in eval mode (dropout off)."""
    d = trainer.data
    points = torch.cat([d.x_train, d.x_test])
    lo, hi = float(points.min()) - 0.5, float(points.max()) + 0.5
    axis = torch.linspace(lo, hi, resolution)
    g2, g1 = torch.meshgrid(axis, axis, indexing="ij")
    model = trainer.model.eval()
    p = model(torch.stack([g1.flatten(), g2.flatten()], dim=1)).softmax(-1)[:, 1].reshape(resolution, resolution)
    return Boundary(axis.numpy(), axis.numpy(), p.numpy(), d.x_train.numpy(), d.y_train.numpy(), d.x_test.numpy(), d.y_test.numpy())


def capacity_sweep(depth: int, runs: list[Run]) -> dict[str, np.ndarray]:
    """Per width at this depth: parameters, final train and test loss and accuracy, and the best test loss."""
    ordered = sorted((r for r in runs if r.setting.depth == depth), key=lambda r: r.setting.width)
    return {"width": np.array([r.setting.width for r in ordered]), "params": np.array([r.params for r in ordered]),
            "train_loss": np.array([r.train_loss[-1] for r in ordered]), "test_loss": np.array([r.test_loss[-1] for r in ordered]),
            "train_accuracy": np.array([r.train_accuracy[-1] for r in ordered]),
            "test_accuracy": np.array([r.test_accuracy[-1] for r in ordered]),
            "best_test_loss": np.array([r.test_loss.min() for r in ordered])}


# ---------------------------------------------------------------- try it
TRY_EPOCHS = 300


def overfit_spec() -> Spec:
    return spec(Setting(epochs=TRY_EPOCHS), t("learn_overfitting.spec.overfit"))


def regularised_spec() -> Spec:
    return spec(Setting(epochs=TRY_EPOCHS, l2=0.003, dropout=0.3), t("learn_overfitting.spec.regularised"))


def early_stopping_spec() -> Spec:
    return spec(Setting(epochs=TRY_EPOCHS, patience=20), t("learn_overfitting.spec.early"))


TRY_IT = [TryIt("learn_overfitting.try.overfit", overfit_spec), TryIt("learn_overfitting.try.regularised", regularised_spec),
          TryIt("learn_overfitting.try.early", early_stopping_spec)]
