"""The spec validator: every problem is one sentence that names its place, what is wrong and the fix.

The sentences are asserted word for word: they are what a learner reads next to the broken layer.
"""
from __future__ import annotations

import base64
import json
import zlib

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from playground.datasets import DATASETS
from playground.layers import LAYERS
from playground.spec import MAX_SPEC_BYTES, Analysis, SpecError, analyze, decode_link, encode_link, parse_spec, validate

from conftest import EXAMPLES, load_example


def spec(dataset="digits", layers=None, **sections):
    """A spec that is valid unless a test breaks one part of it."""
    if layers is None:
        layers = [{"type": "Flatten"}, {"type": "Linear", "out_features": 10}]
    name = dataset if isinstance(dataset, dict) else {"name": dataset}
    return {"dataset": name, "layers": layers, **sections}


def messages(doc) -> list[str]:
    return [p.message for p in analyze(doc).problems]


def only(doc):
    """The single problem of a spec that should have exactly one."""
    problems = analyze(doc).problems
    assert len(problems) == 1, [p.message for p in problems]
    return problems[0]


TINY_VGG_BROKEN = [
    {"type": "Conv2d", "out_channels": 10, "kernel_size": 3, "padding": 1}, {"type": "ReLU"},
    {"type": "MaxPool2d", "kernel_size": 2},
]


# ---------------------------------------------------------------- the examples are valid
@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_every_example_is_valid(path):
    a = analyze(parse_spec(path.read_bytes()))
    assert a.ok, [p.message for p in a.problems]
    assert a.warnings == []
    assert a.total_params > 0 and a.output_shape is not None


def test_spec_error_is_the_first_problem_as_one_line():
    doc = spec(layers=[{"type": "Linear", "out_features": 0}, {"type": "Nope"}])
    with pytest.raises(SpecError) as err:
        validate(doc)
    assert str(err.value) == "layers[0] (Linear): out_features must be at least 1 (got 0)"
    assert "\n" not in str(err.value)
    assert [p.where for p in err.value.problems] == ["layers[0]", "layers[1]"]


# ---------------------------------------------------------------- unknown names
def test_unknown_top_level_key_is_named_with_the_near_match():
    assert messages({**spec(), "optimiser": {"type": "Adam"}}) == ["spec: unknown key 'optimiser' — did you mean 'optimizer'?"]
    assert messages({**spec(), "colour": "red"}) == ["spec: unknown key 'colour' — remove it"]


def test_optional_top_level_keys_are_accepted():
    assert analyze({**spec(), "name": "mine", "description": "a test", "version": 2}).ok


def test_missing_sections_are_named():
    assert messages({"layers": []})[0] == "dataset: missing — every spec needs 'dataset' and 'layers'"
    assert messages({"dataset": {"name": "iris"}, "layers": "Linear"})[0] == "layers: must be a list of layers"
    assert messages(spec(layers=[])) == ["layers: the model has no layers — add at least a Linear output layer"]


def test_unknown_layer_type_suggests_the_near_match():
    p = only(spec(layers=[{"type": "Flatten"}, {"type": "Linaer", "out_features": 10}]))
    assert p.message == "layers[1]: unknown layer type 'Linaer' — did you mean 'Linear'?"
    assert p.where == "layers[1]" and p.path == (1,)


def test_layer_without_type_says_what_a_layer_looks_like():
    p = only(spec(layers=[{"out_features": 10}]))
    assert p.message == 'layers[0]: must be an object with a \'type\', e.g. {"type": "Linear", "out_features": 10}'


def test_unknown_argument_lists_the_known_ones():
    p = only(spec(layers=[{"type": "Flatten"}, {"type": "Linear", "out_feature": 10}]))
    assert p.message == "layers[1] (Linear): unknown argument 'out_feature' (known: out_features, bias)"
    assert p.path == (1,)


def test_unknown_loss_and_optimizer_types_suggest_the_near_match():
    assert messages(spec(loss={"type": "CrossEntropy"})) == ["loss: type 'CrossEntropy' is not known — did you mean 'CrossEntropyLoss'?"]
    assert messages(spec(optimizer={"type": "Adamw"})) == ["optimizer: type 'Adamw' is not known — did you mean 'Adam'?"]
    assert messages(spec(optimizer={"lr": 0.1}))[0].startswith("optimizer: type missing is not known (choose from SGD, Adam")


# ---------------------------------------------------------------- argument values
@pytest.mark.parametrize("value, sentence", [
    (0, "out_features must be at least 1 (got 0)"),
    (5000, "out_features must be at most 4096 (got 5000)"),
    ("10", "out_features must be a whole number (got '10')"),
    (2.5, "out_features must be a whole number (got 2.5)"),
    (True, "out_features must be a whole number (got true)"),
    (None, "out_features must be a whole number (got null)"),
    ([10], "out_features must be a whole number (got [10])"),
    # a whole number written as a float is still range-checked
    (0.0, "out_features must be at least 1 (got 0)"),
    (1e9, "out_features must be at most 4096 (got 1000000000)"),
])
def test_bad_argument_values_are_one_sentence(value, sentence):
    p = only(spec(layers=[{"type": "Flatten"}, {"type": "Linear", "out_features": value}]))
    assert p.message == f"layers[1] (Linear): {sentence}"


@pytest.mark.parametrize("layer, sentence", [
    ({"type": "Linear", "out_features": 10, "bias": 1}, "bias must be true or false (got 1)"),
    ({"type": "Linear", "out_features": 10, "bias": "yes"}, "bias must be true or false (got 'yes')"),
    ({"type": "Dropout", "p": True}, "p must be a number (got true)"),
    ({"type": "Dropout", "p": 0.95}, "p must be at most 0.9 (got 0.95)"),
    ({"type": "SequencePool", "mode": "median"}, "mode must be one of mean, last, max, first (got 'median')"),
    ({"type": "Reshape", "shape": []}, "shape must be a list of 1 to 4 whole numbers (got [])"),
    ({"type": "Reshape", "shape": [-1, -1]}, "shape may contain -1 at most once"),
])
def test_bad_values_of_each_kind(layer, sentence):
    p = only(spec("iris", [layer, {"type": "Linear", "out_features": 3}]))
    assert p.message == f"layers[0] ({layer['type']}): {sentence}"


def test_a_whole_float_is_accepted_as_an_int():
    a = analyze(spec(layers=[{"type": "Flatten"}, {"type": "Linear", "out_features": 10.0}]))
    assert a.ok and a.layers[1].args["out_features"] == 10 and isinstance(a.layers[1].args["out_features"], int)


def test_problems_after_the_first_broken_layer_are_still_reported():
    doc = spec(layers=[
        {"type": "Linear", "out_features": 10},  # shape problem: the image needs Flatten first
        {"type": "ReLU"},
        {"type": "Linear", "out_features": -1},  # argument problem, found although the shapes stopped above
        {"type": "Conv2d", "kernal_size": 3},
        {"type": "Foo"},
    ])
    assert messages(doc) == [
        "layers[0] (Linear): receives a 3-D input (1, 8, 8); add Flatten before it",
        "layers[2] (Linear): out_features must be at least 1 (got -1)",
        "layers[3] (Conv2d): unknown argument 'kernal_size' (known: out_channels, kernel_size, stride, padding, dilation, bias)",
        "layers[4]: unknown layer type 'Foo'",
    ]


def test_arguments_inside_a_residual_block_are_checked_with_their_path():
    doc = spec("iris", [{"type": "Residual", "layers": [{"type": "Linear", "out_features": "4"}]}, {"type": "Linear", "out_features": 3}])
    p = only(doc)
    assert p.message == "layers[0].layers[0] (Linear): out_features must be a whole number (got '4')"
    assert p.path == (0, 0)


# ---------------------------------------------------------------- reading untrusted text
@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_the_text_are_rejected(constant):
    text = json.dumps(spec(optimizer={"type": "Adam", "lr": 0.01})).replace("0.01", constant)
    with pytest.raises(SpecError) as err:
        parse_spec(text)
    assert str(err.value) == f"spec: {constant} is not a number JSON allows (NaN and Infinity are not allowed)"


def test_nan_given_as_a_python_float_is_rejected_by_analyze():
    assert messages(spec(optimizer={"type": "Adam", "lr": float("nan")})) == ["optimizer (Adam): lr must be a finite number (got nan)"]


def test_invalid_json_says_where():
    with pytest.raises(SpecError) as err:
        parse_spec('{"dataset": {"name": "iris"},\n "layers": [}')
    assert str(err.value) == "spec: not valid JSON — Expecting value at line 2, column 13"


def test_json_that_is_not_an_object_is_rejected():
    with pytest.raises(SpecError) as err:
        parse_spec("[1, 2]")
    assert str(err.value) == "spec: must be a JSON object {…} with dataset, layers, loss, optimizer and training"


def test_a_file_over_1_mb_is_refused_before_parsing():
    text = json.dumps({**spec(), "description": "x" * MAX_SPEC_BYTES})
    with pytest.raises(SpecError) as err:
        parse_spec(text)
    assert str(err.value) == "spec: the file is 1.0 MB; the limit is 1 MB"
    with pytest.raises(SpecError, match=r"^spec: the file is 2\.5 MB; the limit is 1 MB$"):
        parse_spec(b" " * 2_500_000)


def _nested(depth: int) -> dict:
    doc: dict = {}
    for _ in range(depth - 1):
        doc = {"a": doc}
    return doc


def test_nesting_deeper_than_8_is_refused():
    assert parse_spec(json.dumps(_nested(8))) == _nested(8)
    with pytest.raises(SpecError) as err:
        parse_spec(json.dumps({"a": _nested(8)}))
    assert str(err.value) == "spec: nested more than 8 levels deep — flatten nested Residual blocks"


def test_pathological_nesting_does_not_crash_the_parser():
    with pytest.raises(SpecError, match=r"^spec: nested more than 8 levels deep"):
        parse_spec("[" * 100_000 + "]" * 100_000)


def test_more_than_200_layers_are_refused():
    ok = analyze(spec("iris", [{"type": "ReLU"}] * 199 + [{"type": "Linear", "out_features": 3}]))
    assert ok.ok
    p = only(spec("iris", [{"type": "ReLU"}] * 200 + [{"type": "Linear", "out_features": 3}]))
    assert p.message == "layers: the model has 201 layers; the limit is 200"


def test_layers_inside_residual_blocks_count_toward_the_limit():
    block = {"type": "Residual", "layers": [{"type": "ReLU"}] * 100}
    p = only(spec("iris", [block, block, {"type": "Linear", "out_features": 3}]))
    assert p.message == "layers: the model has 203 layers; the limit is 200"


def test_more_than_5_million_parameters_are_refused():
    layers = [{"type": "Flatten"}, {"type": "Linear", "out_features": 4096}, {"type": "Linear", "out_features": 4096},
              {"type": "Linear", "out_features": 10}]
    total = (64 * 4096 + 4096) + (4096 * 4096 + 4096) + (4096 * 10 + 10)
    p = only(spec(layers=layers))
    assert p.message == f"layers: the model has {total:,} parameters; the limit is 5,000,000 — use fewer or smaller layers"
    assert p.message == "layers: the model has 17,088,522 parameters; the limit is 5,000,000 — use fewer or smaller layers"


# ---------------------------------------------------------------- shapes
def test_kernel_larger_than_its_input():
    layers = TINY_VGG_BROKEN + [{"type": "Conv2d", "out_channels": 10, "kernel_size": 5}, {"type": "Flatten"},
                                {"type": "Linear", "out_features": 10}]
    p = only(spec(layers=layers))
    assert p.message == "layers[3] (Conv2d): kernel_size 5 is larger than its 4×4 input — lower kernel_size or add padding"
    assert p.path == (3,)
    assert p.fix == {"label": "Set kernel_size to 4", "op": "set", "arg": "kernel_size", "value": 4}
    # applying the fix makes the spec valid
    layers[3]["kernel_size"] = p.fix["value"]
    assert analyze(spec(layers=layers)).ok


def test_pooling_window_larger_than_its_input():
    layers = [{"type": "MaxPool2d", "kernel_size": 2}] * 3 + [{"type": "MaxPool2d", "kernel_size": 2}, {"type": "Flatten"},
                                                              {"type": "Linear", "out_features": 10}]
    p = only(spec(layers=layers))
    assert p.message == "layers[3] (MaxPool2d): kernel_size 2 is larger than its 1×1 input — lower kernel_size or remove a pooling layer before it"


def test_linear_after_conv_without_flatten():
    layers = TINY_VGG_BROKEN + [{"type": "Conv2d", "out_channels": 10, "kernel_size": 3, "padding": 1}, {"type": "ReLU"},
                                {"type": "Linear", "out_features": 10}]
    p = only(spec(layers=layers))
    assert p.message == "layers[5] (Linear): receives a 3-D input (10, 4, 4); add Flatten before it"
    assert p.path == (5,)
    assert p.fix == {"label": "Insert Flatten", "op": "insert_before", "layer": {"type": "Flatten"}}
    layers.insert(5, p.fix["layer"])
    assert analyze(spec(layers=layers)).ok


def test_conv_on_a_vector_suggests_reshape():
    p = only(spec("iris", [{"type": "Conv2d"}, {"type": "Flatten"}, {"type": "Linear", "out_features": 3}]))
    assert p.message == ("layers[0] (Conv2d): needs a 3-D input (channels, height, width), got 1-D (4,); "
                         "use Reshape to turn the vector into an image, e.g. shape [1, 8, 8]")


def test_heads_must_divide_the_embedding_size():
    layers = [{"type": "Embedding", "embedding_dim": 30}, {"type": "TransformerBlock", "num_heads": 4},
              {"type": "Linear", "out_features": 10}]
    p = only(spec("reverse", layers))
    assert p.message == "layers[1] (TransformerBlock): embedding size 30 is not divisible by num_heads 4 — choose num_heads among 1, 2, 3, 5, 6, 10, 15"
    assert p.fix == {"label": "Set num_heads to 3", "op": "set", "arg": "num_heads", "value": 3}
    layers[1]["num_heads"] = 3
    assert analyze(spec("reverse", layers)).ok


def test_token_input_needs_an_embedding_first():
    p = only(spec("reverse", [{"type": "LSTM"}, {"type": "Linear", "out_features": 10}]))
    assert p.message == "layers[0] (LSTM): receives token ids (8,); start the model with an Embedding layer"
    assert p.fix == {"label": "Insert Embedding", "op": "insert_before", "layer": {"type": "Embedding", "embedding_dim": 32}}


def test_embedding_after_the_first_layer_is_refused():
    p = only(spec("iris", [{"type": "Linear", "out_features": 3}, {"type": "Embedding"}]))
    assert p.message == "layers[1] (Embedding): reads token ids, but receives numbers (3,) — use it only as the first layer on a token dataset"


@pytest.mark.parametrize("layer, arg, value", [
    ({"type": "TransformerBlock", "num_heads": 4}, "causal", True),
    ({"type": "MultiheadAttention", "num_heads": 4, "causal": False}, "causal", True),
    ({"type": "GRU", "hidden_size": 8, "bidirectional": True}, "bidirectional", False),
])
def test_next_token_prediction_needs_causal_layers(layer, arg, value):
    layers = [{"type": "Embedding", "embedding_dim": 16}, layer, {"type": "Linear", "out_features": 39}]
    p = only(spec("text", layers))
    shown = str(value).lower()
    assert p.message == (f"layers[1] ({layer['type']}): next-token prediction needs {arg}={shown}, "
                         "otherwise each position sees the character it must predict")
    assert p.fix == {"label": f"Set {arg} to {shown}", "op": "set", "arg": arg, "value": value}
    layers[1][arg] = value
    assert analyze(spec("text", layers)).ok


def test_non_causal_attention_is_fine_for_token_classification():
    assert analyze(spec("reverse", [{"type": "Embedding"}, {"type": "TransformerBlock"}, {"type": "Linear", "out_features": 10}])).ok


# ---------------------------------------------------------------- loss against task and outputs
def test_bce_needs_one_output():
    p = only(spec("spiral", [{"type": "Linear", "out_features": 10}], loss={"type": "BCEWithLogitsLoss"}))
    assert p.message == "loss: BCEWithLogitsLoss needs 1 output per sample, the model gives 10 — use CrossEntropyLoss or set out_features to 1"
    assert p.fix == {"label": "Set out_features to 1", "op": "set", "arg": "out_features", "value": 1, "path": [0]}


def test_bce_on_more_than_two_classes():
    assert messages(spec(loss={"type": "BCEWithLogitsLoss"})) == [
        "loss: BCEWithLogitsLoss is for two classes, but this dataset has more — use CrossEntropyLoss"]


def test_cross_entropy_with_the_wrong_number_of_outputs_offers_to_set_out_features():
    layers = [{"type": "Flatten"}, {"type": "Linear", "out_features": 32}, {"type": "ReLU"}, {"type": "Linear", "out_features": 7}, {"type": "ReLU"}]
    p = only(spec(layers=layers))
    assert p.message == "loss: CrossEntropyLoss needs 10 outputs per sample (one per class), the model gives 7 — set the last Linear's out_features to 10"
    assert p.fix == {"label": "Set out_features to 10", "op": "set", "arg": "out_features", "value": 10, "path": [3]}
    assert p.path == (3,)  # the message sits next to the last Linear, not the trailing ReLU
    layers[3]["out_features"] = 10
    assert analyze(spec(layers=layers)).ok


def test_classifier_ending_with_a_sequence_offers_sequence_pool():
    p = only(spec("majority", [{"type": "Embedding", "embedding_dim": 8}, {"type": "GRU", "hidden_size": 8}, {"type": "Linear", "out_features": 2}]))
    assert p.message.startswith("loss: the model ends with (9, 2) per sample, but a classifier needs one vector")
    assert p.fix == {"label": "Insert SequencePool", "op": "insert_before", "layer": {"type": "SequencePool", "mode": "mean"}}


def test_per_token_task_must_keep_the_sequence():
    p = only(spec("reverse", [{"type": "Embedding"}, {"type": "SequencePool"}, {"type": "Linear", "out_features": 10}]))
    assert p.message == ("loss: this task predicts one of 10 tokens at each of 8 positions, so the model must end with (8, 10); "
                         "it ends with (10,) — remove SequencePool/Flatten")


def test_regression_loss_on_classification_is_allowed_and_trains():
    from playground.training import Trainer

    a = analyze(spec(loss={"type": "MSELoss"}))
    assert a.ok and a.warnings == []
    loss, _ = Trainer(a).train_step()  # targets become one-hot vectors
    assert loss > 0
    # on a binary task, one output compared with 0/1 is also fine
    assert analyze(spec("spiral", [{"type": "Linear", "out_features": 1}], loss={"type": "L1Loss"})).ok


@pytest.mark.parametrize("loss", ["CrossEntropyLoss", "NLLLoss", "MultiMarginLoss", "BCEWithLogitsLoss"])
def test_classification_loss_on_regression_is_rejected(loss):
    assert messages(spec("sine", [{"type": "Linear", "out_features": 1}], loss={"type": loss})) == [
        f"loss: {loss} is for classification, but this dataset is regression — use MSELoss, L1Loss or HuberLoss"]


def test_regression_output_width_must_match_the_target():
    assert messages(spec("sine", [{"type": "Linear", "out_features": 3}], loss={"type": "MSELoss"})) == [
        "loss: MSELoss needs 1 output per sample (the target has 1 value), the model gives 3 — set the last Linear's out_features to 1"]


def test_softmax_before_cross_entropy_is_a_warning_with_a_fix():
    a = analyze(spec(layers=[{"type": "Flatten"}, {"type": "Linear", "out_features": 10}, {"type": "Softmax"}]))
    assert a.ok
    [w] = a.warnings
    assert w.message == "layers[2] (Softmax): CrossEntropyLoss already applies softmax — remove this layer, or the model learns slowly"
    assert w.fix == {"label": "Remove Softmax", "op": "remove"}


# ---------------------------------------------------------------- optimizer, dataset, training
def test_nesterov_needs_momentum():
    assert messages(spec(optimizer={"type": "SGD", "lr": 0.1, "nesterov": True})) == [
        "optimizer (SGD): nesterov needs momentum above 0 — set momentum (e.g. 0.9) or turn nesterov off"]
    assert analyze(spec(optimizer={"type": "SGD", "lr": 0.1, "nesterov": True, "momentum": 0.9})).ok


@pytest.mark.parametrize("dataset, sentence", [
    ({"name": "spiral", "noise": 2}, "dataset (spiral): noise must be at most 0.5 (got 2)"),
    ({"name": "spiral", "n_samples": 10}, "dataset (spiral): n_samples must be at least 50 (got 10)"),
    ({"name": "spiral", "test_fraction": 0.9}, "dataset (spiral): test_fraction must be at most 0.5 (got 0.9)"),
    ({"name": "spiral", "vocab_size": 5}, "dataset (spiral): unknown argument 'vocab_size' (known: n_samples, noise, test_fraction, seed)"),
    ({"name": "reverse", "seq_len": "8"}, "dataset (reverse): seq_len must be a whole number (got '8')"),
    ({"name": "spirals"}, "dataset: unknown name 'spirals' — did you mean 'spiral'?"),
    ({"name": "cifar10"}, "dataset: unknown name 'cifar10' (choose from " + ", ".join(DATASETS) + ")"),
    ({"seed": 1}, "dataset: needs a 'name', one of " + ", ".join(DATASETS)),
])
def test_dataset_problems(dataset, sentence):
    assert messages({"dataset": dataset, "layers": [{"type": "Linear", "out_features": 2}]}) == [sentence]


@pytest.mark.parametrize("section, sentence", [
    ({"training": {"epochs": 0}}, "training: epochs must be at least 1 (got 0)"),
    ({"training": {"epochs": 1001}}, "training: epochs must be at most 1000 (got 1001)"),
    ({"training": {"epochs": 1e6}}, "training: epochs must be at most 1000 (got 1000000)"),
    ({"training": {"batch_size": 0}}, "training: batch_size must be at least 1 (got 0)"),
    ({"training": {"batch_size": 0.0}}, "training: batch_size must be at least 1 (got 0)"),
    ({"training": {"batch_size": 5000}}, "training: batch_size must be at most 4096 (got 5000)"),
    ({"training": {"max_seconds": 0.5}}, "training: max_seconds must be at least 1 (got 0.5)"),
    ({"training": {"lr_schedule": "linear"}}, "training: lr_schedule must be one of constant, step, cosine (got 'linear')"),
    ({"training": {"epoch": 5}}, "training: unknown argument 'epoch' (known: epochs, batch_size, seed, lr_schedule, warmup_epochs, "
                                 "step_size, gamma, grad_clip, l1, l2, max_seconds)"),
    ({"optimizer": {"type": "Adam", "lr": 0}}, "optimizer (Adam): lr must be at least 1e-06 (got 0)"),
    ({"optimizer": {"type": "SGD", "lr": 100}}, "optimizer (SGD): lr must be at most 10 (got 100)"),
    ({"optimizer": {"type": "SGD", "lr": "0.1"}}, "optimizer (SGD): lr must be a number (got '0.1')"),
])
def test_training_and_optimizer_limits(section, sentence):
    assert messages(spec(**section)) == [sentence]


def test_batch_larger_than_the_training_set_is_a_warning():
    a = analyze(spec("iris", [{"type": "Linear", "out_features": 3}], training={"batch_size": 4096}))
    assert a.ok
    assert [w.message for w in a.warnings] == [
        "training: batch_size 4096 is larger than the 120 training samples; each epoch is one full batch"]


# ---------------------------------------------------------------- analyze never raises
_KEYS = ["type", "layers", "name", "out_features", "kernel_size", "num_heads", "embedding_dim", "shape", "hidden_size",
         "lr", "epochs", "batch_size", "noise", "seq_len", "causal", "padding", "mode", "kind", "max_len", "loss"]
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(), st.text(max_size=6),
    st.sampled_from(list(LAYERS)), st.sampled_from(list(DATASETS)),
)
_json_like = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.one_of(st.sampled_from(_KEYS), st.text(max_size=5)), inner, max_size=5)),
    max_leaves=20,
)
_layer = st.fixed_dictionaries({"type": st.sampled_from(list(LAYERS))},
                               optional={k: _json_like for k in _KEYS if k not in ("type", "name", "loss")})
_spec = st.fixed_dictionaries(
    {"dataset": st.one_of(_json_like, st.fixed_dictionaries({"name": st.sampled_from(["iris", "digits", "reverse", "text", "sine_forecast"])})),
     "layers": st.one_of(_json_like, st.lists(st.one_of(_layer, _json_like), max_size=5))},
    optional={"loss": _json_like, "optimizer": _json_like, "training": _json_like, "name": _json_like, "extra": _json_like},
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(_spec, _json_like))
@example({"dataset": {"name": "iris"}, "layers": [], "loss": {"type": []}})  # once crashed: unhashable type
@example({"dataset": None, "layers": [], "optimizer": {"type": {}}})  # once crashed: unhashable type
@example({"\n": None, "dataset": {"name": "a\nb"}, "layers": [{"type": "x\ny"}]})  # messages stay one line
@example({"dataset": {"name": "iris"}, "layers": [{"type": "Residual", "layers": [{"type": "Residual", "layers": "x"}]}]})
@example({"dataset": {"name": "reverse"}, "layers": [{"type": "Reshape", "shape": [10**12]}, {"type": "Linear", "out_features": 1e300}]})
def test_analyze_never_raises_on_garbage(doc):
    a = analyze(doc)
    assert isinstance(a, Analysis)
    assert all(isinstance(p.message, str) and p.message and "\n" not in p.message for p in a.problems)
    if not isinstance(doc, dict) or "dataset" not in doc or "layers" not in doc:
        assert not a.ok


# ---------------------------------------------------------------- share links
def test_link_round_trip():
    doc = load_example("transformer_text")
    link = encode_link(doc)
    assert link.startswith("z.") and all(c.isalnum() or c in "-_." for c in link)
    assert decode_link(link) == doc
    assert len(link) < len(json.dumps(doc))


def test_plain_base64_of_the_json_text_also_decodes():
    doc = load_example("cnn_digits")
    text = json.dumps(doc, indent=2).encode()
    padded = base64.urlsafe_b64encode(text).decode()
    assert decode_link(padded.rstrip("=")) == doc
    assert decode_link(padded) == doc


@pytest.mark.parametrize("value", [
    "!!!!",  # not base64 at all
    "z.abcd",  # base64, but not zlib
    "z." + base64.urlsafe_b64encode(b"hello").decode(),
    "abc",  # decodes to bytes that are not UTF-8
    base64.urlsafe_b64encode(b'{"dataset": ').decode(),  # JSON cut short
    base64.urlsafe_b64encode(b"[1, 2]").decode(),
])
def test_garbage_links_raise_one_sentence(value):
    with pytest.raises(SpecError) as err:
        decode_link(value)
    text = str(err.value)
    assert text.startswith("link: ") and "\n" not in text and "Traceback" not in text


def test_tampered_links_are_refused():
    link = encode_link(load_example("mlp_spiral"))
    flipped = link[:20] + ("A" if link[20] != "A" else "B") + link[21:]
    for bad in (flipped, link[:-6], link[: len(link) // 2]):
        with pytest.raises(SpecError) as err:
            decode_link(bad)
        assert str(err.value) == "link: the spec in the link is damaged (not valid base64) — showing the default model"


def test_a_link_with_a_bad_spec_keeps_the_parse_message():
    with pytest.raises(SpecError) as err:
        decode_link(base64.urlsafe_b64encode(b'{"a": NaN}').decode())
    assert str(err.value) == "link: NaN is not a number JSON allows (NaN and Infinity are not allowed)"


def test_a_zlib_bomb_is_refused_without_inflating_it():
    bomb = "z." + base64.urlsafe_b64encode(zlib.compress(b'{"name": "' + b"x" * 50_000_000 + b'"}', 9)).decode()
    assert len(bomb) < 100_000
    with pytest.raises(SpecError) as err:
        decode_link(bomb)
    assert str(err.value) == "link: the spec in the link is longer than 1 MB"


def test_an_overlong_link_is_refused():
    with pytest.raises(SpecError, match="^link: the spec in the link is longer than 1 MB$"):
        decode_link("A" * (2 * MAX_SPEC_BYTES + 4))
