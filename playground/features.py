"""TensorFlow Playground's input features, drawn: each feature's value over the 2-D input plane."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from playground.datasets import Dataset
from playground.modules import INPUT_FEATURES, InputFeatures


@dataclass(frozen=True)
class FeatureMaps:
    axis1: np.ndarray
    axis2: np.ndarray
    maps: dict[str, np.ndarray]  # feature name → (len(axis2), len(axis1)) values


@torch.no_grad()
def feature_maps(dataset: Dataset, resolution: int = 40) -> FeatureMaps:
    """Every feature over the square that holds the dataset's points, computed by the InputFeatures module itself."""
    points = torch.cat([dataset.x_train, dataset.x_test])
    extent = float(points.abs().max()) * 1.05
    axis = torch.linspace(-extent, extent, resolution)
    g2, g1 = torch.meshgrid(axis, axis, indexing="ij")
    values = InputFeatures(list(INPUT_FEATURES))(torch.stack([g1.flatten(), g2.flatten()], dim=1))
    maps = {name: values[:, i].reshape(resolution, resolution).numpy() for i, name in enumerate(INPUT_FEATURES)}
    return FeatureMaps(axis.numpy(), axis.numpy(), maps)
