"""Input features (after TensorFlow Playground): the InputFeatures layer, its thumbnails and the Build panel."""
import numpy as np
import pytest
import torch

from apptest import app, no_exception, shown, spec_of, types
from conftest import analyze_doc
from playground import edit
from playground.datasets import load_dataset
from playground.features import feature_maps
from playground.modules import INPUT_FEATURES, InputFeatures
from playground.spec import SpecError, from_data
from playground.training import train

CIRCLE_LINEAR = {"dataset": {"name": "circle"}, "layers": [{"type": "Linear", "out_features": 2}],
                 "optimizer": {"type": "Adam", "lr": 0.03}, "training": {"epochs": 10, "batch_size": 16}}


def test_each_feature_is_its_formula():
    x = torch.tensor([[2.0, -3.0], [0.5, 0.25]])
    out = InputFeatures(list(INPUT_FEATURES))(x)
    x1, x2 = x[:, 0], x[:, 1]
    expected = torch.stack([x1, x2, x1 ** 2, x2 ** 2, x1 * x2, torch.sin(x1), torch.sin(x2)], dim=1)
    assert torch.allclose(out, expected)


def test_a_linear_model_solves_the_circle_with_squared_features_and_not_without():
    plain = list(train(analyze_doc(CIRCLE_LINEAR)))[-1]
    squared = edit.set_input_features(from_data(CIRCLE_LINEAR), ["x1^2", "x2^2"])
    solved = list(train(analyze_doc(squared)))[-1]
    assert plain.test_accuracy < 0.7 and solved.test_accuracy >= 0.95


def test_the_layer_is_checked_like_any_other():
    with pytest.raises(SpecError, match=r"features must be a list of different values"):
        from_data({"dataset": {"name": "circle"}, "layers": [{"type": "InputFeatures", "features": ["x1", "x1"]}]})
    with pytest.raises(SpecError, match=r"features must be one of .* \(got 'x3'\)"):
        from_data({"dataset": {"name": "circle"}, "layers": [{"type": "InputFeatures", "features": ["x3"]}]})
    a = analyze_doc({"dataset": {"name": "iris"}, "layers": [{"type": "InputFeatures"}, {"type": "Linear", "out_features": 3}]})
    assert a.problems[0].message == "layer 0 (InputFeatures): works on 2-D points (x1, x2), got (4,) — use it as the first layer on a 2-D dataset"


def test_the_thumbnails_show_each_feature_over_the_points_square():
    fm = feature_maps(load_dataset("circle"), resolution=11)
    assert set(fm.maps) == set(INPUT_FEATURES)
    g1, g2 = np.meshgrid(fm.axis1, fm.axis2)
    assert np.allclose(fm.maps["x1*x2"], g1 * g2, atol=1e-5) and np.allclose(fm.maps["sin(x2)"], np.sin(g2), atol=1e-6)


def test_the_build_panel_writes_the_first_layer():
    at = app(CIRCLE_LINEAR)
    boxes = lambda: {c.label: c for c in at.checkbox if "feat" in (c.key or "")}  # noqa: E731
    boxes()["x₁²"].check().run()
    boxes()["x₂²"].check().run()
    no_exception(at)
    assert types(at) == ["InputFeatures", "Linear"] and spec_of(at).layers[0].features == ["x1", "x2", "x1^2", "x2^2"]
    boxes()["x₁²"].uncheck().run()
    boxes()["x₂²"].uncheck().run()
    assert types(at) == ["Linear"]  # back to the point itself
    boxes()["x₁"].uncheck().run()
    assert spec_of(at).layers[0].features == ["x2"]
    boxes()["x₂"].uncheck().run()  # no feature at all is refused: the model keeps x2
    no_exception(at)
    assert spec_of(at).layers[0].features == ["x2"] and boxes()["x₂"].value
    assert "Choose at least one input feature; the model keeps the ones it had." in shown(at.error)
