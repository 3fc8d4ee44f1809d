"""Tests for playground.datasets: the built-in registry and tables uploaded as DataFrames."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from playground import datasets as D
from playground.datasets import DATASETS, TASKS, Dataset, DatasetError, dataset_from_dataframe, load_dataset

NAMES = list(DATASETS)
OPTION_NAMES = {"n_samples", "noise", "test_fraction", "seed", "seq_len", "vocab_size"}
FAMILIES = {"2-D", "tabular", "image", "sequence", "text"}


def make(name: str, **options) -> Dataset:
    """Generate without the cache, so determinism is really exercised."""
    values, problems = DATASETS[name].params.resolve(options)
    assert not problems
    return DATASETS[name].make(**values)


def tensors(ds: Dataset) -> list[torch.Tensor]:
    return [ds.x_train, ds.y_train, ds.x_test, ds.y_test]


def check_consistent(ds: Dataset) -> None:
    """Shapes, dtypes and label ranges agree with the declared metadata."""
    assert ds.task in TASKS
    assert ds.n_train > 0 and ds.n_test > 0
    for x, y in ((ds.x_train, ds.y_train), (ds.x_test, ds.y_test)):
        assert tuple(x.shape[1:]) == ds.input_shape and len(x) == len(y)
        if ds.input_kind == "tokens":
            assert x.dtype == torch.int64 and 0 <= x.min() and x.max() < ds.vocab_size
        else:
            assert ds.input_kind == "float" and x.dtype == torch.float32 and torch.isfinite(x).all()
        if ds.task == "regression":
            assert y.dtype == torch.float32 and y.shape == (len(x), ds.target_dim) and torch.isfinite(y).all()
        elif ds.task in ("binary", "multiclass"):
            assert y.dtype == torch.int64 and y.shape == (len(x),)
            assert 0 <= y.min() and y.max() < ds.num_classes
        else:
            assert y.dtype == torch.int64 and y.shape == x.shape
            assert 0 <= y.min() and y.max() < ds.num_classes == ds.vocab_size
    if ds.task == "regression":
        assert ds.num_classes is None and ds.class_names is None and not ds.is_classification
    else:
        assert ds.is_classification and len(ds.class_names) == ds.num_classes
        assert ds.num_classes == 2 if ds.task == "binary" else ds.num_classes >= 2
    if ds.input_kind == "tokens":
        assert ds.vocab_size == len(ds.vocab)
    else:
        assert ds.vocab is None and ds.vocab_size is None
    if ds.feature_names is not None:
        assert len(ds.feature_names) == ds.input_shape[0]


# ---------------------------------------------------------------- every registry entry


def test_registry_entries_are_well_formed():
    for name, entry in DATASETS.items():
        assert entry.name == name and entry.title and entry.description
        assert entry.family in FAMILIES and entry.task in TASKS
        assert set(entry.params.names()) <= OPTION_NAMES
        assert {"test_fraction", "seed"} <= set(entry.params.names())


@pytest.mark.parametrize("name", NAMES)
def test_defaults_load_and_match_metadata(name):
    ds = load_dataset(name)
    entry = DATASETS[name]
    check_consistent(ds)
    assert ds.name == name and ds.task == entry.task and str(ds.description) == entry.description
    if ds.task == "binary":
        share = torch.cat([ds.y_train, ds.y_test]).float().mean().item()
        assert 0.3 < share < 0.7
    if ds.is_classification and ds.task != "next_token":  # every class appears in training
        assert set(ds.y_train.unique().tolist()) == set(range(ds.num_classes))


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_data_and_other_seed_other_data(name):
    first, again, other = make(name, seed=3), make(name, seed=3), make(name, seed=4)
    assert all(torch.equal(a, b) for a, b in zip(tensors(first), tensors(again)))
    assert not all(torch.equal(a, b) for a, b in zip(tensors(first)[:1], tensors(other)[:1]))


@pytest.mark.parametrize("name", NAMES)
def test_test_fraction_is_honoured(name):
    ds = make(name, test_fraction=0.35)
    assert abs(ds.n_test - 0.35 * (ds.n_train + ds.n_test)) <= 1


@pytest.mark.parametrize("name", [n for n in NAMES if DATASETS[n].params.get("n_samples")])
def test_n_samples_is_honoured(name):
    low = int(DATASETS[name].params.get("n_samples").min)
    ds = make(name, n_samples=low)
    assert ds.n_train + ds.n_test == low


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_any_valid_options_give_a_consistent_dataset(data):
    name = data.draw(st.sampled_from(NAMES))
    options = {}
    for p in DATASETS[name].params:
        if p.kind == "int":
            hi = min(p.max, 1000) if p.name == "n_samples" else p.max  # keep the property test fast
            options[p.name] = data.draw(st.integers(int(p.min), int(hi)))
        else:
            options[p.name] = data.draw(st.floats(p.min, p.max))
    check_consistent(make(name, **options))


def test_results_are_cached_and_int_like_floats_share_the_entry():
    assert load_dataset("circle", n_samples=300) is load_dataset("circle", n_samples=300.0, seed=0)


# ---------------------------------------------------------------- bad names and options


@pytest.mark.parametrize(("name", "options", "expected"), [
    ("spiral", {"noise": 2}, "dataset: noise must be at most 0.5 (got 2)"),
    ("circle", {"n_samples": 10}, "dataset: n_samples must be at least 50 (got 10)"),
    ("reverse", {"vocab_size": "ten"}, "dataset: vocab_size must be a whole number (got 'ten')"),
    ("text", {"seq_len": 8.5}, "dataset: seq_len must be a whole number (got 8.5)"),
    ("digits", {"test_fraction": 0.9}, "dataset: test_fraction must be at most 0.5 (got 0.9)"),
    ("xor", {"seed": -1}, "dataset: seed must be at least 0 (got -1)"),
    ("iris", {"noise": 0.1}, "dataset: unknown argument 'noise' (known: test_fraction, seed)"),
])
def test_bad_options_name_the_option(name, options, expected):
    with pytest.raises(DatasetError) as err:
        load_dataset(name, **options)
    assert str(err.value) == expected


def test_unknown_name_lists_the_choices():
    with pytest.raises(DatasetError, match=r"^dataset: unknown name 'spirall' \(choose from circle, xor, "):
        load_dataset("spirall")
    with pytest.raises(DatasetError, match="unknown name None"):
        load_dataset(None)


# ---------------------------------------------------------------- what the generators compute


def test_noiseless_2d_sets_follow_their_rule():
    circle = make("circle", noise=0.0)
    assert torch.equal(circle.y_train, (circle.x_train.norm(dim=1) < 2.5).long())
    xor = make("xor", noise=0.0)
    assert torch.equal(xor.y_train, (xor.x_train.prod(dim=1) >= 0).long())
    plane = make("plane", noise=0.0)
    assert torch.allclose(plane.y_train[:, 0], plane.x_train.sum(dim=1) / 10, atol=1e-5)
    sine = make("sine", noise=0.0)
    assert torch.allclose(sine.y_train, torch.sin(3 * sine.x_train), atol=1e-5)
    for name in ("circle", "xor", "gaussian", "spiral", "moons", "plane", "sine"):
        assert make(name).x_train.abs().max() < 8  # TF Playground's [-6, 6] square (a little more with noise)


def test_tabular_sets_are_standardized_with_training_statistics():
    ds = load_dataset("iris")
    assert ds.class_names == ("setosa", "versicolor", "virginica")
    assert ds.feature_names[0] == "sepal length (cm)"
    assert torch.allclose(ds.x_train.mean(0), torch.zeros(4), atol=1e-5)
    assert torch.allclose(ds.x_train.std(0, unbiased=False), torch.ones(4), atol=1e-4)
    assert load_dataset("breast_cancer").class_names == ("malignant", "benign")


def test_digits_are_scaled_to_unit_range():
    ds = load_dataset("digits")
    assert ds.x_train.min() == 0 and ds.x_train.max() == 1
    assert ds.class_names == tuple("0123456789") and ds.n_train + ds.n_test == 1797


def test_shapes_differ_and_need_more_than_a_pixel_count():
    ds = load_dataset("shapes")
    x = torch.cat([ds.x_train, ds.x_test])
    y = torch.cat([ds.y_train, ds.y_test])
    assert ds.class_names == ("circle", "square", "triangle", "cross", "ring")
    assert len(torch.unique(x.flatten(1), dim=0)) == len(x)
    assert x.min() >= 0 and x.max() <= 1
    # Nearest class mean of the total brightness: far from what a CNN reaches (> 90 %).
    total = x.sum(dim=(1, 2, 3))
    means = torch.stack([total[y == k].mean() for k in range(ds.num_classes)])
    guess = (total[:, None] - means).abs().argmin(dim=1)
    assert (guess == y).float().mean() < 0.5


def test_token_tasks_compute_their_targets():
    rev, srt = load_dataset("reverse"), load_dataset("sort")
    assert torch.equal(rev.y_train, rev.x_train.flip(1))
    assert torch.equal(srt.y_train, srt.x_train.sort(dim=1).values)
    assert make("reverse", vocab_size=25).vocab == tuple(str(i) for i in range(25))
    par = load_dataset("parity")
    assert torch.equal(par.y_train, par.x_train.sum(1) % 2) and par.vocab == ("0", "1")
    maj = make("majority", seq_len=8)  # an even length: a tie is labelled 0
    assert torch.equal(maj.y_train, (maj.x_train.sum(1) > 4).long())


def test_sine_forecast_target_is_the_next_value():
    ds = make("sine_forecast", noise=0.0)
    x = ds.x_train[:, :, 0].double()
    # A sampled sinusoid obeys s[t+1] = c * s[t] - s[t-1] with c = 2 cos(freq): fit c, extrapolate one step.
    c = ((x[:, 2:] + x[:, :-2]) * x[:, 1:-1]).sum(1) / (x[:, 1:-1] ** 2).sum(1)
    assert torch.allclose(c * x[:, -1] - x[:, -2], ds.y_train[:, 0].double(), atol=1e-4)
    assert not torch.equal(make("sine_forecast").x_train, ds.x_train)  # the default adds noise


# ---------------------------------------------------------------- text


def test_text_targets_are_inputs_shifted_by_one():
    ds = load_dataset("text")
    assert ds.vocab == tuple(sorted(ds.vocab)) and ds.class_names == ds.vocab and len(ds.vocab) <= 60
    assert {" ", "\n", "a", "z", "."} <= set(ds.vocab)
    for x, y in ((ds.x_train, ds.y_train), (ds.x_test, ds.y_test)):
        assert torch.equal(x[:, 1:], y[:, :-1])


def test_text_train_and_test_windows_do_not_overlap():
    ds = make("text", seq_len=64, n_samples=2000, test_fraction=0.3, seed=5)
    text = bytes(D._corpus()[0].tolist())
    span = lambda x, y: bytes(torch.cat([x, y[-1:]]).tolist())  # noqa: E731 - the window plus its last target

    # Latest match for train and earliest for test: if these do not overlap, the real positions cannot.
    last_train_end = max(text.rfind(span(x, y)) + 65 for x, y in zip(ds.x_train, ds.y_train))
    first_test_start = min(text.find(span(x, y)) for x, y in zip(ds.x_test, ds.y_test))
    assert last_train_end <= first_test_start
    assert first_test_start >= 0.6 * len(text)


@pytest.mark.parametrize("test_fraction", [0.1, 0.5])
def test_text_has_room_for_the_largest_request(test_fraction):
    ds = make("text", n_samples=20_000, seq_len=64, test_fraction=test_fraction)
    for x in (ds.x_train, ds.x_test):  # windows start at distinct positions
        assert len(torch.unique(x, dim=0)) > 0.99 * len(x)


# ---------------------------------------------------------------- uploaded tables


def table(n: int = 60, seed: int = 0, **target) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"a": rng.normal(5, 2, n), "b": rng.integers(0, 100, n), "flag": rng.random(n) > 0.5})
    for column, values in target.items():
        df[column] = values
    return df


def test_table_infers_classification_from_a_few_whole_numbers():
    ds = dataset_from_dataframe(table(label=np.arange(60) % 3), "label")
    check_consistent(ds)
    assert ds.task == "multiclass" and ds.class_names == ("0", "1", "2")
    assert ds.feature_names == ("a", "b", "flag") and ds.input_shape == (3,)
    assert dataset_from_dataframe(table(label=(np.arange(60) % 2) * 1.0), "label").task == "binary"


def test_table_string_and_bool_targets_become_sorted_classes():
    species = np.array(["virginica", "setosa", "versicolor"])[np.arange(60) % 3]
    ds = dataset_from_dataframe(table(species=species), "species")
    assert ds.task == "multiclass" and ds.class_names == ("setosa", "versicolor", "virginica")
    labels = torch.cat([ds.y_train, ds.y_test])
    assert set(labels.tolist()) == {0, 1, 2}
    assert dataset_from_dataframe(table(), "flag").class_names == ("False", "True")


def test_table_infers_regression_for_quantities():
    df = table(price=np.linspace(0, 1, 60))
    ds = dataset_from_dataframe(df, "price")
    check_consistent(ds)
    assert ds.task == "regression" and ds.y_train.shape == (48, 1) and ds.target_dim == 1
    assert dataset_from_dataframe(table(count=np.arange(60)), "count").task == "regression"  # > 20 values


def test_table_task_override():
    df = table(label=np.arange(60) % 3)
    assert dataset_from_dataframe(df, "label", task="regression").task == "regression"
    assert dataset_from_dataframe(table(label=np.arange(60) % 2), "label", task="multiclass").task == "multiclass"
    ds = dataset_from_dataframe(table(price=np.linspace(0, 1, 60) > 0.5), "price", task="binary")
    assert ds.task == "binary" and ds.num_classes == 2


def test_table_split_standardization_and_seed():
    df = table(n=200, label=np.arange(200) % 2)
    ds = dataset_from_dataframe(df, "label", test_fraction=0.25, seed=7, name="upload")
    assert ds.name == "upload" and ds.n_test == 50 and ds.n_train == 150
    assert torch.allclose(ds.x_train.mean(0), torch.zeros(3), atol=1e-5)
    again = dataset_from_dataframe(df, "label", test_fraction=0.25, seed=7)
    assert all(torch.equal(a, b) for a, b in zip(tensors(ds), tensors(again)))
    other = dataset_from_dataframe(df, "label", test_fraction=0.25, seed=8)
    assert not torch.equal(ds.x_train, other.x_train)


def _with_nan() -> pd.DataFrame:
    df = table(label=np.arange(60) % 2)
    df.loc[[1, 4, 9], "a"] = np.nan
    df.loc[2, "b"] = None
    return df


@pytest.mark.parametrize(("df", "target", "options", "needle"), [
    (table(label=np.arange(60) % 2), "lable", {}, "no column 'lable' (columns: 'a', 'b', 'flag' and 'label')"),
    (table(label=np.arange(60) % 2, city=["Oslo"] * 60), "label", {}, "not numeric: 'city';"),
    (_with_nan(), "label", {}, "missing values in 'a' (3) and 'b' (1)"),
    (table(label=np.zeros(60)), "label", {}, "only one value"),
    (table(label=["x"] * 60), "label", {}, "only one value"),
    (table(n=50_001, label=np.arange(50_001) % 2), "label", {}, "50,001 rows"),
    (table(n=9, label=np.arange(9) % 2), "label", {}, "at least 10"),
    (pd.DataFrame({"label": np.arange(20) % 2}), "label", {}, "at least one feature column"),
    (pd.DataFrame(np.zeros((20, 1001)), columns=[f"c{i}" for i in range(1001)]), "c0", {}, "1,001 columns"),
    (table(label=np.arange(60) % 3), "label", {"task": "binary"}, "2 values; 'label' has 3"),
    (table(label=np.arange(60) % 2), "label", {"task": "ranking"}, "task must be"),
    (table(label=np.array(["a", "b"])[np.arange(60) % 2]), "label", {"task": "regression"}, "numeric target"),
    (table(label=np.arange(60) % 2, a=np.inf), "label", {}, "infinite values: 'a';"),
    (table(label=np.arange(60) % 2), "label", {"test_fraction": 0.05}, "dataset: test_fraction must be at least"),
])
def test_table_problems_are_one_sentence(df, target, options, needle):
    with pytest.raises(DatasetError) as err:
        dataset_from_dataframe(df, target, **options)
    message = str(err.value)
    assert needle in message and "\n" not in message


def test_table_with_too_many_classes_is_rejected():
    with pytest.raises(DatasetError, match="has 120 different values"):
        dataset_from_dataframe(table(n=120, label=[f"item {i}" for i in range(120)]), "label")
    with pytest.raises(DatasetError, match="at most 100"):
        dataset_from_dataframe(table(n=120, label=np.linspace(0, 1, 120)), "label", task="multiclass")


def test_table_duplicate_columns_are_rejected():
    df = pd.DataFrame(np.zeros((20, 3)), columns=["a", "a", "label"])
    with pytest.raises(DatasetError, match="unique"):
        dataset_from_dataframe(df, "label")


@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer", "digits"])
def test_bundled_sets_equal_scikit_learns_own_loaders(name):
    """We read scikit-learn's shipped files without importing sklearn.datasets; its loaders are the oracle."""
    from sklearn import datasets as skd

    bunch = {"iris": skd.load_iris, "wine": skd.load_wine, "breast_cancer": skd.load_breast_cancer, "digits": skd.load_digits}[name]()
    ds = load_dataset(name)
    assert ds.n_train + ds.n_test == len(bunch.target)
    assert sorted(torch.cat([ds.y_train, ds.y_test]).tolist()) == sorted(bunch.target.tolist())
    if name == "digits":
        assert ds.class_names == tuple(str(d) for d in range(10))
        pixels = sorted(map(tuple, (torch.cat([ds.x_train, ds.x_test]).reshape(-1, 64) * 16).round().int().tolist()))
        assert pixels == sorted(map(tuple, bunch.data.astype(int).tolist()))
    else:
        assert ds.class_names == tuple(bunch.target_names)
        assert ds.feature_names == tuple(bunch.feature_names)


# ---------------------------------------------------------------- reading an uploaded CSV file
@pytest.mark.parametrize("sep, name", [(",", "commas"), (";", "semicolons"), ("\t", "tabs")])
def test_csv_separator_is_sniffed_and_named(sep, name):
    df = table(label=np.arange(60) % 2)
    data = df.to_csv(index=False, sep=sep).encode()
    read, used = D.read_csv(data)
    assert used == sep and list(read.columns) == ["a", "b", "flag", "label"] and len(read) == 60
    assert str(D.separator_name(used)) == name
    assert dataset_from_dataframe(read, "label").task == "binary"


@pytest.mark.parametrize("data, needle", [
    (b"a b c\n1 2 3\n", "only one column"),
    (b"", "empty"),
    (b"\xff\xfe\x00bad", "not UTF-8"),
    (",".join(f"c{i}" for i in range(1001)).encode() + b"\n", "1,001 columns"),
    (b"a,b\n" + b"1,2\n" * 50_001, "50,001 rows"),
    (b"x" * (5 * 1024 * 1024 + 1), "the limit is 5 MB"),
])
def test_csv_limits_are_checked_before_parsing(data, needle):
    with pytest.raises(DatasetError) as err:
        D.read_csv(data)
    assert needle in str(err.value) and "\n" not in str(err.value)
