"""The spec: the typed door every spec passes, and the analysis that finds shape problems.

The sentences are asserted word for word: they are what a learner reads next to the broken layer, and the
command line prints the same words.
"""
from __future__ import annotations

import base64
import json
import zlib

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from playground.analysis import Analysis, analyze
from playground.datasets import DATASETS
from playground.layers import LAYERS
from playground.spec import MAX_SPEC_BYTES, Spec, SpecError, decode_link, encode_link, from_data, parse_spec

from conftest import EXAMPLES, load_example


def spec(dataset="digits", layers=None, **sections):
    """A spec document that is valid unless a test breaks one part of it."""
    if layers is None:
        layers = [{"type": "Flatten"}, {"type": "Linear", "out_features": 10}]
    name = dataset if isinstance(dataset, dict) else {"name": dataset}
    return {"dataset": name, "layers": layers, **sections}


def refused(doc) -> list[str]:
    """The sentences of a document the typed door refuses."""
    with pytest.raises(SpecError) as err:
        from_data(doc)
    assert "\n" not in str(err.value)
    return [p.message for p in err.value.problems]


def messages(doc) -> list[str]:
    return [p.message for p in analyze(from_data(doc)).problems]


def only(doc):
    """The single problem of a well-typed spec that should have exactly one."""
    problems = analyze(from_data(doc)).problems
    assert len(problems) == 1, [p.message for p in problems]
    return problems[0]


def fix_label(p) -> str:
    return str(p.fix["label"])


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


def test_spec_error_lists_every_problem_and_reads_as_the_first():
    with pytest.raises(SpecError) as err:
        from_data(spec(layers=[{"type": "Linear", "out_features": 0}, {"type": "Nope"}]))
    assert str(err.value) == "layer 0 (Linear): out_features must be at least 1 (got 0)"
    assert [p.where for p in err.value.problems] == ["layers[0]", "layers[1]"]
    assert [p.path for p in err.value.problems] == [(0,), (1,)]


# ---------------------------------------------------------------- unknown names
def test_unknown_top_level_key_is_named_with_the_near_match():
    assert refused({**spec(), "optimiser": {"type": "Adam"}}) == ["spec: unknown key 'optimiser' — did you mean 'optimizer'?"]
    assert refused({**spec(), "colour": "red"}) == ["spec: unknown key 'colour' — remove it"]


def test_optional_top_level_keys_are_accepted():
    assert analyze(from_data({**spec(), "name": "mine", "description": "a test", "version": 2})).ok


def test_missing_and_misshapen_sections_are_named():
    assert refused({"layers": []}) == ["dataset: missing — every spec needs 'dataset' and 'layers'"]
    assert refused({"dataset": {"name": "iris"}, "layers": "Linear"}) == ["layers: must be a list of layers"]
    assert refused({"dataset": "digits", "layers": []}) == ['dataset: must be an object like {"name": "spiral"}']
    assert refused({**spec(), "loss": 5}) == ['loss: must be an object like {"type": "CrossEntropyLoss"}']
    assert refused({**spec(), "name": 5}) == ["name: must be text of at most 200 characters (got 5)"]
    assert messages(spec(layers=[])) == ["layers: the model has no layers — add at least a Linear output layer"]


def test_unknown_layer_type_suggests_the_near_match():
    assert refused(spec(layers=[{"type": "Flatten"}, {"type": "Linaer", "out_features": 10}])) == [
        "layer 1: unknown layer type 'Linaer' — did you mean 'Linear'?"]


def test_layer_without_type_says_what_a_layer_looks_like():
    expected = 'layer 0: must be an object with a \'type\', e.g. {"type": "Linear", "out_features": 10}'
    assert refused(spec(layers=[{"out_features": 10}])) == [expected]
    assert refused(spec(layers=[{"type": [1]}]))[0].startswith("layer 0: unknown layer type '[1]'")
    assert refused(spec(layers=[5])) == ['layer 0: must be an object like {"type": "Linear", "out_features": 10}']


def test_unknown_argument_lists_the_known_ones():
    assert refused(spec(layers=[{"type": "Flatten"}, {"type": "Linear", "out_feature": 10}])) == [
        "layer 1 (Linear): unknown argument 'out_feature' (known: out_features, bias)"]


def test_unknown_loss_and_optimizer_types_suggest_the_near_match():
    assert refused(spec(loss={"type": "CrossEntropy"})) == ["loss: unknown loss 'CrossEntropy' — did you mean 'CrossEntropyLoss'?"]
    assert refused(spec(optimizer={"type": "Adamw"})) == ["optimizer: unknown optimizer 'Adamw' — did you mean 'Adam'?"]
    assert refused(spec(optimizer={"lr": 0.1})) == ["optimizer: needs a 'type', one of SGD, Adam, AdamW, RMSprop, Adagrad"]


# ---------------------------------------------------------------- argument values
@pytest.mark.parametrize("value, sentence", [
    (0, "out_features must be at least 1 (got 0)"),
    (5000, "out_features must be at most 4096 (got 5000)"),
    ("10", "out_features must be a whole number (got '10')"),
    (2.5, "out_features must be a whole number (got 2.5)"),
    (3.7, "out_features must be a whole number (got 3.7)"),
    (True, "out_features must be a whole number (got true)"),
    (None, "out_features needs a value"),
    ([10], "out_features must be a whole number (got [10])"),
    (0.0, "out_features must be at least 1 (got 0)"),  # a whole number written as a float is still range-checked
    (1e9, "out_features must be at most 4096 (got 1000000000)"),
    (1e30, "out_features must be at most 4096 (got 1e+30)"),
])
def test_bad_argument_values_are_one_sentence(value, sentence):
    assert refused(spec(layers=[{"type": "Flatten"}, {"type": "Linear", "out_features": value}])) == [f"layer 1 (Linear): {sentence}"]


@pytest.mark.parametrize("layer, sentence", [
    ({"type": "Linear", "out_features": 10, "bias": 1}, "bias must be true or false (got 1)"),
    ({"type": "Linear", "out_features": 10, "bias": "yes"}, "bias must be true or false (got 'yes')"),
    ({"type": "Dropout", "p": True}, "p must be a number (got true)"),
    ({"type": "Dropout", "p": 0.95}, "p must be at most 0.9 (got 0.95)"),
    ({"type": "SequencePool", "mode": "median"}, "mode must be one of mean, last, max, first (got 'median')"),
    ({"type": "Reshape", "shape": []}, "shape must be a list of 1 to 4 whole numbers (got [])"),
    ({"type": "Reshape", "shape": [-1, -1]}, "shape may contain -1 at most once"),
    ({"type": "Reshape", "shape": [1, "a"]}, "shape entries must be positive whole numbers or -1 (got 'a')"),
])
def test_bad_values_of_each_kind(layer, sentence):
    assert refused(spec("iris", [layer, {"type": "Linear", "out_features": 3}])) == [f"layer 0 ({layer['type']}): {sentence}"]


def test_a_whole_float_is_accepted_as_an_int():
    s = from_data(spec(layers=[{"type": "Flatten"}, {"type": "Linear", "out_features": 10.0}]))
    a = analyze(s)
    assert a.ok and a.layers[1].args["out_features"] == 10 and isinstance(a.layers[1].args["out_features"], int)
    assert s.to_dict()["layers"][1] == {"type": "Linear", "out_features": 10}


def test_every_argument_problem_is_reported_at_once():
    assert refused(spec(layers=[
        {"type": "Linear", "out_features": -1},
        {"type": "Conv2d", "kernal_size": 3},
        {"type": "Foo"},
    ])) == [
        "layer 0 (Linear): out_features must be at least 1 (got -1)",
        "layer 1 (Conv2d): unknown argument 'kernal_size' (known: out_channels, kernel_size, stride, padding, dilation, bias)",
        "layer 2: unknown layer type 'Foo' (choose from " + ", ".join(LAYERS) + ")",
    ]


def test_arguments_inside_a_residual_block_are_named_as_their_card_is():
    doc = spec("iris", [{"type": "Residual", "layers": [{"type": "Linear", "out_features": "4"}]}, {"type": "Linear", "out_features": 3}])
    with pytest.raises(SpecError) as err:
        from_data(doc)
    [p] = err.value.problems
    assert p.message == "layer 0.0 (Linear): out_features must be a whole number (got '4')"
    assert p.path == (0, 0)
    assert refused(spec(layers=[{"type": "Residual"}])) == [
        "layer 0 (Residual): needs 'layers', a non-empty list of the layers inside the skip connection"]
    assert refused(spec(layers=[{"type": "Residual", "layers": []}]))[0] == refused(spec(layers=[{"type": "Residual"}]))[0]


def test_a_bad_layer_inside_a_residual_marks_only_itself():
    """The layers before the guilty one keep their shapes; its message names it as its card does."""
    layers = [{"type": "Residual", "layers": [{"type": "Linear", "out_features": 4}, {"type": "Conv2d"}, {"type": "ReLU"}]},
              {"type": "Linear", "out_features": 3}]
    a = analyze(from_data(spec("iris", layers)))
    [p] = a.problems
    assert p.path == (0, 1)
    assert p.message.startswith("layer 0.1 (Conv2d): needs a 3-D input (channels, height, width), got a vector (4,)")
    assert a.found[(0, 0)].out_shape == (4,)
    assert (0, 2) not in a.found and (0,) not in a.found


# ---------------------------------------------------------------- reading untrusted text
@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_the_text_are_rejected(constant):
    text = json.dumps(spec(optimizer={"type": "Adam", "lr": 0.01})).replace("0.01", constant)
    with pytest.raises(SpecError) as err:
        parse_spec(text)
    assert str(err.value) == "spec: NaN and Infinity are not numbers JSON allows"


def test_nan_given_as_a_python_float_is_refused():
    assert refused(spec(optimizer={"type": "Adam", "lr": float("nan")})) == ["optimizer (Adam): lr must be a finite number (got nan)"]


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
    assert str(err.value) == "spec: the spec is 1.1 MB; the limit is 1 MB"
    with pytest.raises(SpecError, match=r"^spec: the spec is 2\.5 MB; the limit is 1 MB$"):
        parse_spec(b" " * 2_500_000)


def test_long_texts_are_refused():
    assert refused({**spec(), "name": "x" * 201}) == ["name: must be text of at most 200 characters (got 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...)"]
    assert from_data({**spec(), "name": "x" * 200}).name == "x" * 200


def test_pathological_nesting_does_not_crash_the_parser():
    with pytest.raises(SpecError, match=r"^spec: nested more than 24 levels deep"):
        parse_spec("[" * 100_000 + "]" * 100_000)
    with pytest.raises(SpecError, match=r"^spec: nested more than 24 levels deep"):
        parse_spec('{"a": "[[[[", "b": ' + "[" * 30 + "]" * 30 + "}")


def test_two_hundred_nested_residuals_are_one_sentence():
    inner = {"type": "Linear", "out_features": 2}
    for _ in range(200):
        inner = {"type": "Residual", "layers": [inner]}
    with pytest.raises(SpecError, match=r"^spec: nested more than 24 levels deep"):
        parse_spec(json.dumps(spec("spiral", [inner])))
    with pytest.raises(SpecError, match=r"^layers: Residual blocks are nested more than 4 deep — flatten them$"):
        from_data(spec("spiral", [inner]))


def test_brackets_inside_strings_do_not_count_as_nesting():
    doc = {**spec(), "description": "[" * 500 + "{" * 500 + '\\"'}
    assert parse_spec(json.dumps(doc)).description == doc["description"]


def test_more_than_200_layers_are_refused():
    assert analyze(from_data(spec("iris", [{"type": "ReLU"}] * 199 + [{"type": "Linear", "out_features": 3}]))).ok
    assert refused(spec("iris", [{"type": "ReLU"}] * 200 + [{"type": "Linear", "out_features": 3}])) == [
        "layers: the model has 201 layers; the limit is 200"]


def test_layers_inside_residual_blocks_count_toward_the_limit():
    block = {"type": "Residual", "layers": [{"type": "ReLU"}] * 100}
    assert refused(spec("iris", [block, block, {"type": "Linear", "out_features": 3}])) == [
        "layers: the model has 203 layers; the limit is 200"]


def test_more_than_5_million_parameters_are_refused():
    layers = [{"type": "Flatten"}, {"type": "Linear", "out_features": 4096}, {"type": "Linear", "out_features": 4096},
              {"type": "Linear", "out_features": 10}]
    total = (64 * 4096 + 4096) + (4096 * 4096 + 4096) + (4096 * 10 + 10)
    p = only(spec(layers=layers))
    assert p.message == f"layers: the model has {total:,} parameters; the limit is 5,000,000 — use fewer or smaller layers"


# ---------------------------------------------------------------- shapes
def test_kernel_larger_than_its_input():
    layers = TINY_VGG_BROKEN + [{"type": "Conv2d", "out_channels": 10, "kernel_size": 5}, {"type": "Flatten"},
                                {"type": "Linear", "out_features": 10}]
    p = only(spec(layers=layers))
    assert p.message == "layer 3 (Conv2d): kernel_size 5 is larger than its 4×4 input — lower kernel_size or add padding"
    assert p.path == (3,)
    assert fix_label(p) == "Set kernel_size to 4" and (p.fix["op"], p.fix["arg"], p.fix["value"]) == ("set", "kernel_size", 4)
    layers[3]["kernel_size"] = p.fix["value"]
    assert analyze(from_data(spec(layers=layers))).ok


def test_pooling_window_larger_than_its_input():
    layers = [{"type": "MaxPool2d", "kernel_size": 2}] * 4 + [{"type": "Flatten"}, {"type": "Linear", "out_features": 10}]
    p = only(spec(layers=layers))
    assert p.message == "layer 3 (MaxPool2d): kernel_size 2 is larger than its 1×1 input — lower kernel_size or remove a pooling layer before it"


def test_linear_after_conv_without_flatten():
    layers = TINY_VGG_BROKEN + [{"type": "Conv2d", "out_channels": 10, "kernel_size": 3, "padding": 1}, {"type": "ReLU"},
                                {"type": "Linear", "out_features": 10}]
    p = only(spec(layers=layers))
    assert p.message == "layer 5 (Linear): receives a 3-D input (10, 4, 4); add Flatten before it"
    assert p.path == (5,)
    assert fix_label(p) == "Insert Flatten" and p.fix["op"] == "insert_before" and p.fix["layer"] == {"type": "Flatten"}
    layers.insert(5, p.fix["layer"])
    assert analyze(from_data(spec(layers=layers))).ok


def test_conv_on_a_vector_suggests_reshape():
    p = only(spec("iris", [{"type": "Conv2d"}, {"type": "Flatten"}, {"type": "Linear", "out_features": 3}]))
    assert p.message == ("layer 0 (Conv2d): needs a 3-D input (channels, height, width), got a vector (4,); "
                         "use Reshape to turn it into an image, e.g. shape [1, 8, 8]")


def test_heads_must_divide_the_embedding_size():
    layers = [{"type": "Embedding", "embedding_dim": 30}, {"type": "TransformerBlock", "num_heads": 4},
              {"type": "Linear", "out_features": 10}]
    p = only(spec("reverse", layers))
    assert p.message == "layer 1 (TransformerBlock): embedding size 30 is not divisible by num_heads 4 — choose num_heads among 1, 2, 3, 5, 6, 10, 15"
    assert fix_label(p) == "Set num_heads to 3" and p.fix["value"] == 3
    layers[1]["num_heads"] = 3
    assert analyze(from_data(spec("reverse", layers))).ok


def test_token_input_needs_an_embedding_first():
    p = only(spec("reverse", [{"type": "LSTM"}, {"type": "Linear", "out_features": 10}]))
    assert p.message == "layer 0 (LSTM): receives token ids (8,); start the model with an Embedding layer"
    assert fix_label(p) == "Insert Embedding" and p.fix["layer"] == {"type": "Embedding", "embedding_dim": 32}


def test_embedding_after_the_first_layer_is_refused():
    p = only(spec("iris", [{"type": "Linear", "out_features": 3}, {"type": "Embedding"}]))
    assert p.message == "layer 1 (Embedding): reads token ids, but receives numbers (3,) — use it only as the first layer on a token dataset"


@pytest.mark.parametrize("layer, arg, value", [
    ({"type": "TransformerBlock", "num_heads": 4}, "causal", True),
    ({"type": "MultiheadAttention", "num_heads": 4, "causal": False}, "causal", True),
    ({"type": "GRU", "hidden_size": 8, "bidirectional": True}, "bidirectional", False),
])
def test_next_token_prediction_needs_causal_layers(layer, arg, value):
    layers = [{"type": "Embedding", "embedding_dim": 16}, layer, {"type": "Linear", "out_features": 39}]
    p = only(spec("text", layers))
    shown = str(value).lower()
    assert p.message == (f"layer 1 ({layer['type']}): next-token prediction needs {arg}={shown}, "
                         "otherwise each position sees the character it must predict")
    assert fix_label(p) == f"Set {arg} to {shown}" and (p.fix["arg"], p.fix["value"]) == (arg, value)
    layers[1][arg] = value
    assert analyze(from_data(spec("text", layers))).ok


def test_non_causal_attention_is_fine_for_token_classification():
    assert analyze(from_data(spec("reverse", [{"type": "Embedding"}, {"type": "TransformerBlock"}, {"type": "Linear", "out_features": 10}]))).ok


# ---------------------------------------------------------------- loss against task and outputs
def test_bce_needs_one_output():
    p = only(spec("spiral", [{"type": "Linear", "out_features": 10}], loss={"type": "BCEWithLogitsLoss"}))
    assert p.message == "loss: BCEWithLogitsLoss needs 1 output per sample, the model gives 10 — use CrossEntropyLoss or set out_features to 1"
    assert fix_label(p) == "Set out_features to 1" and p.fix["path"] == [0]


def test_bce_on_more_than_two_classes():
    assert messages(spec(loss={"type": "BCEWithLogitsLoss"})) == [
        "loss: BCEWithLogitsLoss is for two classes, but this dataset has more — use CrossEntropyLoss"]


def test_cross_entropy_with_the_wrong_number_of_outputs_offers_to_set_out_features():
    layers = [{"type": "Flatten"}, {"type": "Linear", "out_features": 32}, {"type": "ReLU"}, {"type": "Linear", "out_features": 7}, {"type": "ReLU"}]
    p = only(spec(layers=layers))
    assert p.message == "loss: CrossEntropyLoss needs 10 outputs per sample (one per class), the model gives 7 — set the last Linear's out_features to 10"
    assert fix_label(p) == "Set out_features to 10" and p.fix["path"] == [3]
    assert p.path == (3,)  # the message sits next to the last Linear, not the trailing ReLU
    layers[3]["out_features"] = 10
    assert analyze(from_data(spec(layers=layers))).ok


def test_classifier_ending_with_a_sequence_offers_sequence_pool():
    p = only(spec("majority", [{"type": "Embedding", "embedding_dim": 8}, {"type": "GRU", "hidden_size": 8}, {"type": "Linear", "out_features": 2}]))
    assert p.message.startswith("loss: the model ends with (9, 2) per sample, but a classifier needs one vector")
    assert fix_label(p) == "Insert SequencePool" and p.fix["layer"] == {"type": "SequencePool", "mode": "mean"}


def test_per_token_task_must_keep_the_sequence():
    p = only(spec("reverse", [{"type": "Embedding"}, {"type": "SequencePool"}, {"type": "Linear", "out_features": 10}]))
    assert p.message == ("loss: this task predicts one of 10 tokens at each of 8 positions, so the model must end with (8, 10); "
                         "it ends with (10,) — remove SequencePool/Flatten")


def test_regression_loss_on_classification_is_allowed_and_trains():
    from playground.training import Trainer

    a = analyze(from_data(spec(loss={"type": "MSELoss"})))
    assert a.ok and a.warnings == []
    loss, _ = Trainer(a).train_step()  # targets become one-hot vectors
    assert loss > 0
    assert analyze(from_data(spec("spiral", [{"type": "Linear", "out_features": 1}], loss={"type": "L1Loss"}))).ok


@pytest.mark.parametrize("loss", ["CrossEntropyLoss", "NLLLoss", "MultiMarginLoss", "BCEWithLogitsLoss"])
def test_classification_loss_on_regression_is_rejected(loss):
    assert messages(spec("sine", [{"type": "Linear", "out_features": 1}], loss={"type": loss})) == [
        f"loss: {loss} is for classification, but this dataset is regression — use MSELoss, L1Loss or HuberLoss"]


def test_regression_output_width_must_match_the_target():
    assert messages(spec("sine", [{"type": "Linear", "out_features": 3}], loss={"type": "MSELoss"})) == [
        "loss: MSELoss needs 1 output(s) per sample (the target has 1 value(s)), the model gives 3 — set the last Linear's out_features to 1"]


@pytest.mark.parametrize("last, loss, sentence, fix", [
    ("Softmax", "CrossEntropyLoss", "layer 2 (Softmax): CrossEntropyLoss already applies Softmax — remove this layer, or the model learns slowly",
     "Remove Softmax"),
    ("Sigmoid", "BCEWithLogitsLoss", "layer 2 (Sigmoid): BCEWithLogitsLoss already applies Sigmoid — remove this layer, or the model learns slowly",
     "Remove Sigmoid"),
    ("ReLU", "NLLLoss", "loss: NLLLoss expects log-probabilities — end the model with LogSoftmax (or use CrossEntropyLoss)", "Append LogSoftmax"),
])
def test_each_loss_warns_about_what_it_already_does_or_needs(last, loss, sentence, fix):
    width = 1 if loss == "BCEWithLogitsLoss" else 2
    a = analyze(from_data(spec("spiral", [{"type": "Linear", "out_features": 8}, {"type": "Linear", "out_features": width}, {"type": last}],
                               loss={"type": loss})))
    assert a.ok
    [w] = a.warnings
    assert w.message == sentence and fix_label(w) == fix


# ---------------------------------------------------------------- optimizer, dataset, training
def test_nesterov_needs_momentum():
    assert messages(spec(optimizer={"type": "SGD", "lr": 0.1, "nesterov": True})) == [
        "optimizer (SGD): nesterov needs momentum above 0 — set momentum (e.g. 0.9) or turn nesterov off"]
    assert analyze(from_data(spec(optimizer={"type": "SGD", "lr": 0.1, "nesterov": True, "momentum": 0.9}))).ok


@pytest.mark.parametrize("dataset, sentence", [
    ({"name": "spiral", "noise": 2}, "dataset (spiral): noise must be at most 0.5 (got 2)"),
    ({"name": "spiral", "n_samples": 10}, "dataset (spiral): n_samples must be at least 50 (got 10)"),
    ({"name": "spiral", "test_fraction": 0.9}, "dataset (spiral): test_fraction must be at most 0.5 (got 0.9)"),
    ({"name": "spiral", "vocab_size": 5}, "dataset (spiral): unknown argument 'vocab_size' (known: n_samples, noise, test_fraction, seed)"),
    ({"name": "reverse", "seq_len": "8"}, "dataset (reverse): seq_len must be a whole number (got '8')"),
    ({"name": "spirals"}, "dataset: unknown dataset 'spirals' — did you mean 'spiral'?"),
    ({"name": "cifar10"}, "dataset: unknown dataset 'cifar10' (choose from " + ", ".join(DATASETS) + ")"),
    ({"seed": 1}, "dataset: needs a 'name', one of " + ", ".join(DATASETS)),
])
def test_dataset_problems(dataset, sentence):
    assert refused({"dataset": dataset, "layers": [{"type": "Linear", "out_features": 2}]}) == [sentence]


def test_an_uploaded_dataset_cannot_travel_in_a_spec():
    assert messages(spec("upload")) == ["dataset (upload): this spec uses an uploaded CSV file, which a link or spec file cannot carry — "
                                        "upload the CSV again on the Build page"]


@pytest.mark.parametrize("section, sentence", [
    ({"training": {"epochs": 0}}, "training: epochs must be at least 1 (got 0)"),
    ({"training": {"epochs": 1001}}, "training: epochs must be at most 1000 (got 1001)"),
    ({"training": {"epochs": 1e6}}, "training: epochs must be at most 1000 (got 1000000)"),
    ({"training": {"epochs": 1.5}}, "training: epochs must be a whole number (got 1.5)"),
    ({"training": {"batch_size": 0}}, "training: batch_size must be at least 1 (got 0)"),
    ({"training": {"batch_size": 0.0}}, "training: batch_size must be at least 1 (got 0)"),
    ({"training": {"batch_size": 5000}}, "training: batch_size must be at most 4096 (got 5000)"),
    ({"training": {"max_seconds": 0.5}}, "training: max_seconds must be at least 1 (got 0.5)"),
    ({"training": {"lr_schedule": "linear"}}, "training: lr_schedule must be one of constant, step, cosine (got 'linear')"),
    ({"training": {"epoch": 5}}, "training: unknown argument 'epoch' (known: epochs, batch_size, seed, lr_schedule, warmup_epochs, "
                                 "step_size, gamma, grad_clip, l1, l2, patience, max_seconds)"),
    ({"training": 5}, 'training: must be an object like {"epochs": 20}'),
    ({"optimizer": {"type": "Adam", "lr": 0}}, "optimizer (Adam): lr must be at least 1e-06 (got 0)"),
    ({"optimizer": {"type": "SGD", "lr": 100}}, "optimizer (SGD): lr must be at most 10 (got 100)"),
    ({"optimizer": {"type": "SGD", "lr": "0.1"}}, "optimizer (SGD): lr must be a number (got '0.1')"),
])
def test_training_and_optimizer_limits(section, sentence):
    assert refused(spec(**section)) == [sentence]


def test_batch_larger_than_the_training_set_is_a_warning():
    a = analyze(from_data(spec("iris", [{"type": "Linear", "out_features": 3}], training={"batch_size": 4096})))
    assert a.ok
    assert [w.message for w in a.warnings] == [
        "training: batch_size 4096 is larger than the 120 training samples; each epoch is one full batch"]


# ---------------------------------------------------------------- the typed spec
def test_a_spec_writes_back_what_was_written():
    doc = load_example("cnn_digits")
    s = from_data(doc)
    assert s.to_dict() == doc
    assert from_data(s.to_dict()) == s and from_data(s.to_dict()).key() == s.key()


def test_a_spec_is_frozen():
    s = from_data(spec())
    with pytest.raises(Exception):
        s.layers[0].type = "ReLU"


# ---------------------------------------------------------------- the door never lets an exception through
_KEYS = ["type", "layers", "name", "out_features", "kernel_size", "num_heads", "embedding_dim", "shape", "hidden_size",
         "lr", "epochs", "batch_size", "noise", "seq_len", "causal", "padding", "mode", "kind", "max_len", "loss"]
HOSTILE_TEXT = ['"' * 3, "'" * 3, "\\", "\n", "\r\n", "<img src=x onerror=alert(1)>", "<a href='http://x'>x</a>",
                "[link](http://evil)", "$\\frac{1}{0}$", ":red[x]", "\u202e", "\x00", "é中文🙂", "x" * 3000]
_hostile = st.sampled_from(HOSTILE_TEXT)
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(), st.text(max_size=6), _hostile,
    st.sampled_from(list(LAYERS)), st.sampled_from(list(DATASETS)),
)
_json_like = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(st.sampled_from(_KEYS), st.text(max_size=5), _hostile), inner, max_size=5)),
    max_leaves=20,
)
_layer = st.fixed_dictionaries({"type": st.sampled_from(list(LAYERS))},
                               optional={k: _json_like for k in _KEYS if k not in ("type", "name", "loss")})
HOSTILE_SPECS = st.fixed_dictionaries(
    {"dataset": st.one_of(_json_like, st.fixed_dictionaries({"name": st.sampled_from(["iris", "digits", "reverse", "text", "sine_forecast"])})),
     "layers": st.one_of(_json_like, st.lists(st.one_of(_layer, _json_like), max_size=5))},
    optional={"loss": _json_like, "optimizer": _json_like, "training": _json_like, "name": st.one_of(_json_like, _hostile),
              "extra": _json_like},
)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(HOSTILE_SPECS, _json_like))
@example({"dataset": {"name": "iris"}, "layers": [], "loss": {"type": []}})
@example({"dataset": None, "layers": [], "optimizer": {"type": {}}})
@example({"\n": None, "dataset": {"name": "a\nb"}, "layers": [{"type": "x\ny"}]})
@example({"dataset": {"name": "iris"}, "layers": [{"type": "Residual", "layers": [{"type": "Residual", "layers": "x"}]}]})
@example({"dataset": {"name": "reverse"}, "layers": [{"type": "Reshape", "shape": [10**12]}, {"type": "Linear", "out_features": 1e300}]})
@example({"dataset": {"name": "iris"}, "layers": [{"type": "Linear", "out_features": 3}], "name": 'x"""\nimport os; print("INJECTED")\n"""'})
def test_the_door_and_the_analysis_never_raise_anything_but_one_sentence(doc):
    try:
        s = from_data(doc)
    except SpecError as e:
        assert e.problems and all(p.message and "\n" not in p.message for p in e.problems)
        return
    a = analyze(s)
    assert isinstance(a, Analysis) and isinstance(s, Spec)
    assert all(p.message and "\n" not in p.message for p in a.problems + a.warnings)


# ---------------------------------------------------------------- share links
def test_link_round_trip():
    s = from_data(load_example("transformer_text"))
    link = encode_link(s)
    assert link.startswith("z.") and all(c.isalnum() or c in "-_." for c in link)
    assert decode_link(link) == s
    assert len(link) < len(json.dumps(s.to_dict()))


def test_plain_base64_of_the_json_text_also_decodes():
    doc = load_example("cnn_digits")
    padded = base64.urlsafe_b64encode(json.dumps(doc, indent=2).encode()).decode()
    assert decode_link(padded.rstrip("=")) == from_data(doc)
    assert decode_link(padded) == from_data(doc)


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
    link = encode_link(from_data(load_example("mlp_spiral")))
    flipped = link[:20] + ("A" if link[20] != "A" else "B") + link[21:]
    for bad in (flipped, link[:-6], link[: len(link) // 2]):
        with pytest.raises(SpecError) as err:
            decode_link(bad)
        assert str(err.value) == "link: the spec in the link is damaged (not valid base64 or cut short)"


def test_a_link_with_a_malformed_spec_names_the_field():
    body = base64.urlsafe_b64encode(json.dumps({"dataset": {"name": "spiral"}, "layers": 5}).encode()).decode()
    with pytest.raises(SpecError) as err:
        decode_link(body)
    assert str(err.value) == "layers: must be a list of layers"
    with pytest.raises(SpecError) as err:
        decode_link(base64.urlsafe_b64encode(b'{"a": NaN}').decode())
    assert str(err.value) == "link: NaN and Infinity are not numbers JSON allows"


def test_a_zlib_bomb_is_refused_without_inflating_it():
    bomb = "z." + base64.urlsafe_b64encode(zlib.compress(b'{"name": "' + b"x" * 50_000_000 + b'"}', 9)).decode()
    assert len(bomb) < 100_000
    with pytest.raises(SpecError) as err:
        decode_link(bomb)
    assert str(err.value) == "link: the spec is > 1 MB; the limit is 1 MB"


def test_an_overlong_link_is_refused():
    with pytest.raises(SpecError, match="^link: the spec is 2.0 MB; the limit is 1 MB$"):
        decode_link("A" * (2 * MAX_SPEC_BYTES + 4))
