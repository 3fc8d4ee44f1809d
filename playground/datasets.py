"""Built-in datasets and uploaded tables, as train/test tensors plus what the UI and model builder need.

Every generator is deterministic for its seed: it draws from its own numpy Generator, never global state.
"""
from __future__ import annotations

import functools
import io
import importlib.util
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import torch

from playground.i18n import Msg, listing, msg, t
from playground.params import Param, ParamSet

if TYPE_CHECKING:
    import pandas

TASKS = ("binary", "multiclass", "regression", "token_classification", "next_token")
CLASSIFICATION_TASKS = tuple(t for t in TASKS if t != "regression")
PER_TOKEN_TASKS = ("token_classification", "next_token")  # a prediction at every position of the sequence
UPLOAD = "upload"  # the dataset name of a user's CSV file

_TEXT_PATH = Path(__file__).with_name("data") / "text.txt"
_MIN_CHAR_COUNT = 10  # characters rarer than this in the text (digits, stray symbols) are dropped
_SHAPE_NAMES = ("circle", "square", "triangle", "cross", "ring")
_IMAGE_SIZE = 28

# Limits for uploaded tables.
_MIN_ROWS, _MAX_ROWS, _MAX_COLUMNS = 10, 50_000, 1_000
_MAX_INFERRED_CLASSES = 20  # an integer target with more distinct values is treated as a quantity
_MAX_CLASSES = 100


class DatasetError(ValueError):
    """A problem with a dataset choice or an uploaded table, worded as one sentence for the user."""

    def __init__(self, message: Msg):
        self.msg = message
        super().__init__(message.key)

    def __str__(self) -> str:
        return str(self.msg)


@dataclass(frozen=True, eq=False)
class Dataset:
    """A train/test split as tensors, with the metadata that shapes the model and the plots.

    The tensors of built-in datasets are cached and shared: treat them as read-only.
    """

    name: str
    task: str
    x_train: torch.Tensor = field(repr=False)
    y_train: torch.Tensor = field(repr=False)
    x_test: torch.Tensor = field(repr=False)
    y_test: torch.Tensor = field(repr=False)
    input_shape: tuple[int, ...]
    input_kind: str
    num_classes: int | None = None
    class_names: tuple[str, ...] | None = None
    vocab: tuple[str, ...] | None = None
    target_dim: int = 1
    feature_names: tuple[str, ...] | None = None
    description: Msg | None = None  # rendered where it is shown: cached datasets serve every language

    @property
    def vocab_size(self) -> int | None:
        return len(self.vocab) if self.input_kind == "tokens" and self.vocab is not None else None

    @property
    def is_classification(self) -> bool:
        return self.task in CLASSIFICATION_TASKS

    @property
    def n_train(self) -> int:
        return len(self.x_train)

    @property
    def n_test(self) -> int:
        return len(self.x_test)


@dataclass(frozen=True)
class DatasetDef:
    """A registry entry: what the dataset picker shows and how to generate the data."""

    name: str
    family: str  # "2-D", "tabular", "image", "sequence", "text"
    task: str
    params: ParamSet
    make: Callable[..., Dataset]
    rule: Callable[[np.ndarray], Any] | None = None  # the answer for one input, for token tasks defined by a rule

    @property
    def title(self) -> str:
        return t(f"datasets.{self.name}.title")

    @property
    def description(self) -> str:
        return t(f"datasets.{self.name}.description")

    @property
    def family_title(self) -> str:
        return t(f"datasets.family.{self.family}")


# ---------------------------------------------------------------- parameters


def _n_samples(default: int, lo: int, hi: int) -> Param:
    return Param("n_samples", "int", default, "datasets.param.n_samples", min=lo, max=hi, step=50)


def _noise(default: float) -> Param:
    return Param("noise", "float", default, "datasets.param.noise", min=0.0, max=0.5, step=0.01)


def _seq_len(default: int, lo: int, hi: int) -> Param:
    return Param("seq_len", "int", default, "datasets.param.seq_len", min=lo, max=hi, step=1)


_TEST_FRACTION = Param(
    "test_fraction", "float", 0.2, "datasets.param.test_fraction", min=0.1, max=0.5, step=0.05
)
_SEED = Param("seed", "int", 0, "datasets.param.seed", min=0, max=2**31 - 1)
_VOCAB_SIZE = Param("vocab_size", "int", 10, "datasets.param.vocab_size", min=3, max=30, step=1)


def _options(*params: Param) -> ParamSet:
    return ParamSet((*params, _TEST_FRACTION, _SEED))


# ---------------------------------------------------------------- shared helpers


def _split(n: int, test_fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled (train, test) index arrays with round(n * test_fraction) test examples."""
    order = rng.permutation(n)
    n_test = round(n * test_fraction)
    return order[n_test:], order[:n_test]


def _standardize(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale columns with the training statistics only, so nothing leaks from the test split."""
    mean, std = train.mean(axis=0), train.std(axis=0)
    std = np.where(std > 0, std, 1.0)  # a constant column stays constant instead of dividing by 0
    return (train - mean) / std, (test - mean) / std


def _tensor(a: np.ndarray) -> torch.Tensor:
    dtype = np.int64 if np.issubdtype(a.dtype, np.integer) or a.dtype == bool else np.float32
    return torch.from_numpy(np.ascontiguousarray(a, dtype=dtype))


def _finish(name: str, x: np.ndarray, y: np.ndarray, test_fraction: float, rng: np.random.Generator,
            **meta: Any) -> Dataset:
    """Split arrays at random and wrap them with the registry's task and description."""
    train, test = _split(len(x), test_fraction, rng)
    return _assemble(name, x[train], y[train], x[test], y[test], **meta)


def _assemble(name: str, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray,
              **meta: Any) -> Dataset:
    entry = DATASETS[name]
    return Dataset(name=name, task=entry.task, x_train=_tensor(x_train), y_train=_tensor(y_train),
                   x_test=_tensor(x_test), y_test=_tensor(y_test), description=msg(f"datasets.{name}.description"), **meta)


def _points(name: str, x: np.ndarray, label: np.ndarray, test_fraction: float, rng: np.random.Generator) -> Dataset:
    """A 2-D binary classification set."""
    return _finish(name, x, label.astype(np.int64), test_fraction, rng, input_shape=(2,), input_kind="float",
                   num_classes=2, class_names=("0", "1"), feature_names=("x1", "x2"))


def _halves(n: int) -> np.ndarray:
    """Labels 1 for the first half of n examples and 0 for the rest (TF Playground draws class by class)."""
    return np.arange(n) < n // 2


# ---------------------------------------------------------------- 2-D sets (after TensorFlow Playground's dataset.ts)
# Coordinates as in TF Playground, a [-6, 6] square: at this scale a small tanh net untangles the
# spiral in seconds (scaled to [-1, 1] the same net needs far larger first-layer weights and stalls).


def _make_circle(n_samples: int, noise: float, test_fraction: float, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    radius = 5.0
    inner = _halves(n_samples)
    r = np.where(inner, rng.uniform(0, 0.5, n_samples), rng.uniform(0.7, 1.0, n_samples)) * radius
    angle = rng.uniform(0, 2 * np.pi, n_samples)
    p = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    # Noise moves the point used for labelling, not the point shown: labels near the edge flip.
    jitter = rng.uniform(-radius, radius, (n_samples, 2)) * noise
    label = np.linalg.norm(p + jitter, axis=1) < radius * 0.5
    return _points("circle", p, label, test_fraction, rng)


def _make_xor(n_samples: int, noise: float, test_fraction: float, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    p = rng.uniform(-5, 5, (n_samples, 2))
    p += np.where(p > 0, 0.3, -0.3)  # a gap along the axes keeps the quadrants apart
    jitter = rng.uniform(-5, 5, (n_samples, 2)) * noise
    label = np.prod(p + jitter, axis=1) >= 0
    return _points("xor", p, label, test_fraction, rng)


def _make_gaussian(n_samples: int, noise: float, test_fraction: float, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    label = _halves(n_samples)
    variance = 0.5 + noise / 0.5 * 3.5  # noise 0 .. 0.5 maps to variance 0.5 .. 4, as in TF Playground
    centre = np.where(label[:, None], 2.0, -2.0)
    p = centre + rng.normal(0, math.sqrt(variance), (n_samples, 2))
    return _points("gaussian", p, label, test_fraction, rng)


def _make_spiral(n_samples: int, noise: float, test_fraction: float, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    arms = []
    for size, delta in ((n_samples // 2, 0.0), (n_samples - n_samples // 2, np.pi)):
        i = np.arange(size) / size
        r, t = i * 5, 1.75 * i * 2 * np.pi + delta
        arms.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1) + rng.uniform(-1, 1, (size, 2)) * noise)
    return _points("spiral", np.concatenate(arms), _halves(n_samples), test_fraction, rng)


def _make_moons(n_samples: int, noise: float, test_fraction: float, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    lower = _halves(n_samples)
    t = rng.uniform(0, np.pi, n_samples)
    upper_moon = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower_moon = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    p = np.where(lower[:, None], lower_moon, upper_moon) + rng.normal(0, noise, (n_samples, 2))
    return _points("moons", (p - [0.5, 0.25]) * 3, lower, test_fraction, rng)


def _make_plane(n_samples: int, noise: float, test_fraction: float, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    p = rng.uniform(-6, 6, (n_samples, 2))
    jitter = rng.uniform(-6, 6, (n_samples, 2)) * noise
    y = (p + jitter).sum(axis=1, keepdims=True) / 10
    return _finish("plane", p, y, test_fraction, rng, input_shape=(2,), input_kind="float",
                   feature_names=("x1", "x2"))


def _make_sine(n_samples: int, noise: float, test_fraction: float, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n_samples, 1))
    y = np.sin(3 * x) + rng.normal(0, noise, (n_samples, 1))
    return _finish("sine", x, y, test_fraction, rng, input_shape=(1,), input_kind="float", feature_names=("x",))


# ---------------------------------------------------------------- tabular and image sets bundled with scikit-learn


_SKLEARN_FILES = {"iris": "iris.csv", "wine": "wine_data.csv", "breast_cancer": "breast_cancer.csv"}
_MEASURES = ("radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity", "concave points",
             "symmetry", "fractal dimension")
_FEATURES = {
    "iris": ("sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"),
    "wine": ("alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols", "flavanoids",
             "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue", "od280/od315_of_diluted_wines", "proline"),
    "breast_cancer": tuple(f"mean {m}" for m in _MEASURES) + tuple(f"{m} error" for m in _MEASURES)
    + tuple(f"worst {m}" for m in _MEASURES),
}


def _sklearn_data(filename: str) -> Path:
    """A data file shipped inside scikit-learn, found without importing it (sklearn.datasets costs ~1 s and
    ~70 MB of server memory; a playground session needs only these few files)."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetError(msg("datasets.error.no_sklearn"))
    return Path(spec.submodule_search_locations[0]) / "datasets" / "data" / filename


def _make_table(name: str, test_fraction: float, seed: int) -> Dataset:
    path = _sklearn_data(_SKLEARN_FILES[name])
    with open(path) as f:
        header = f.readline().strip().split(",")
    classes = tuple(header[2:])  # first line: samples, features, class names
    table = np.loadtxt(path, delimiter=",", skiprows=1)
    data, target = table[:, :-1], table[:, -1].astype(np.int64)
    rng = np.random.default_rng(seed)
    train, test = _split(len(target), test_fraction, rng)
    x_train, x_test = _standardize(data[train], data[test])
    return _assemble(name, x_train, target[train], x_test, target[test],
                     input_shape=(data.shape[1],), input_kind="float", num_classes=len(classes),
                     class_names=classes, feature_names=_FEATURES[name])


def _make_digits(test_fraction: float, seed: int) -> Dataset:
    table = np.loadtxt(_sklearn_data("digits.csv.gz"), delimiter=",")
    x = table[:, :-1].reshape(-1, 1, 8, 8) / 16.0  # pixel values are 0..16
    target = table[:, -1].astype(np.int64)
    return _finish("digits", x, target, test_fraction, np.random.default_rng(seed), input_shape=(1, 8, 8),
                   input_kind="float", num_classes=10, class_names=tuple(str(d) for d in range(10)))


def _shape_distance(kind: str, u: np.ndarray, v: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Signed distance in pixels to the outline of a shape of size s centred at (0, 0): negative inside."""
    if kind == "circle":
        return np.hypot(u, v) - s
    if kind == "square":
        return np.maximum(abs(u), abs(v)) - 0.85 * s
    if kind == "triangle":  # equilateral with circumradius 1.5 s: inside all three edges' half-planes
        normals = np.pi / 2 + 2 * np.pi / 3 * np.arange(3)
        edges = [u * np.cos(a) + v * np.sin(a) for a in normals]
        return np.maximum.reduce(edges) - 0.75 * s
    if kind == "cross":
        arm, half_width = 1.1 * s, 0.3 * s
        return np.minimum(np.maximum(abs(u) - half_width, abs(v) - arm), np.maximum(abs(v) - half_width, abs(u) - arm))
    return abs(np.hypot(u, v) - 0.85 * s) - 0.25 * s  # ring


def _make_shapes(n_samples: int, noise: float, test_fraction: float, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    label = rng.permutation(np.arange(n_samples) % len(_SHAPE_NAMES))
    # Sizes are chosen so all shapes cover similar areas: counting lit pixels does not tell them apart.
    size = rng.uniform(5.0, 8.0, n_samples)
    margin = 1.5 * size + 0.5  # the triangle's circumradius, the widest extent of any shape
    cx, cy = (rng.uniform(margin, _IMAGE_SIZE - 1 - margin) for _ in range(2))
    # Squares stay upright: tilted ones blur into triangles and crosses for a small CNN at 28x28.
    angle = np.where(label == _SHAPE_NAMES.index("square"), 0.0, rng.uniform(-np.pi / 4, np.pi / 4, n_samples))
    brightness = rng.uniform(0.5, 1.0, n_samples)
    grid_y, grid_x = np.mgrid[0:_IMAGE_SIZE, 0:_IMAGE_SIZE].astype(np.float32)
    images = np.empty((n_samples, _IMAGE_SIZE, _IMAGE_SIZE), np.float32)
    for k, kind in enumerate(_SHAPE_NAMES):
        idx = np.flatnonzero(label == k)
        dx, dy = grid_x - cx[idx, None, None], grid_y - cy[idx, None, None]
        cos, sin = np.cos(angle[idx])[:, None, None], np.sin(angle[idx])[:, None, None]
        dist = _shape_distance(kind, dx * cos + dy * sin, dy * cos - dx * sin, size[idx, None, None])
        # Clipping the distance gives one pixel of anti-aliased edge instead of jagged outlines.
        images[idx] = np.clip(0.5 - dist, 0, 1) * brightness[idx, None, None]
    images += rng.normal(0, noise, images.shape).astype(np.float32)
    return _finish("shapes", np.clip(images, 0, 1)[:, None], label, test_fraction, rng,
                   input_shape=(1, _IMAGE_SIZE, _IMAGE_SIZE), input_kind="float", num_classes=len(_SHAPE_NAMES),
                   class_names=_SHAPE_NAMES)


# ---------------------------------------------------------------- token and float sequences


def _tokens(name: str, x: np.ndarray, y: np.ndarray, vocab: tuple[str, ...], test_fraction: float,
            rng: np.random.Generator, class_names: tuple[str, ...] | None = None) -> Dataset:
    """A token-input set; per-token tasks predict over the vocabulary, binary ones over class_names."""
    classes = class_names or vocab
    return _finish(name, x, y, test_fraction, rng, input_shape=(x.shape[1],), input_kind="tokens",
                   num_classes=len(classes), class_names=classes, vocab=vocab)


def _digit_vocab(size: int) -> tuple[str, ...]:
    return tuple(str(i) for i in range(size))


def _make_reverse(n_samples: int, seq_len: int, vocab_size: int, test_fraction: float, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, vocab_size, (n_samples, seq_len))
    return _tokens("reverse", x, x[:, ::-1], _digit_vocab(vocab_size), test_fraction, rng)


def _make_sort(n_samples: int, seq_len: int, vocab_size: int, test_fraction: float, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, vocab_size, (n_samples, seq_len))
    return _tokens("sort", x, np.sort(x, axis=1), _digit_vocab(vocab_size), test_fraction, rng)


def _make_parity(n_samples: int, seq_len: int, test_fraction: float, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, (n_samples, seq_len))
    return _tokens("parity", x, x.sum(axis=1) % 2, _digit_vocab(2), test_fraction, rng, ("even", "odd"))


def _make_majority(n_samples: int, seq_len: int, test_fraction: float, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, (n_samples, seq_len))
    return _tokens("majority", x, 2 * x.sum(axis=1) > seq_len, _digit_vocab(2), test_fraction, rng, ("0", "1"))


def _make_recall(n_samples: int, seq_len: int, vocab_size: int, test_fraction: float, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, vocab_size, (n_samples, seq_len))
    # The label is the first token; the seq_len − 1 tokens after it are distractors the model must carry it past.
    return _tokens("recall", x, x[:, 0], _digit_vocab(vocab_size), test_fraction, rng)


def _make_sine_forecast(n_samples: int, seq_len: int, noise: float, test_fraction: float, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    freq = rng.uniform(0.1, 0.5, (n_samples, 1))
    phase = rng.uniform(0, 2 * np.pi, (n_samples, 1))
    wave = np.sin(freq * np.arange(seq_len + 1) + phase)
    x = wave[:, :seq_len] + rng.normal(0, noise, (n_samples, seq_len))
    # The target is the clean next value, so the best possible test loss is zero rather than the noise level.
    return _finish("sine_forecast", x[:, :, None], wave[:, seq_len:], test_fraction, rng,
                   input_shape=(seq_len, 1), input_kind="float")


@functools.cache
def _corpus() -> tuple[np.ndarray, tuple[str, ...]]:
    """The shipped text as token ids, and its vocabulary (sorted characters)."""
    raw = _TEXT_PATH.read_text(encoding="utf-8")
    # Line wraps are typesetting, not language: a paragraph becomes one line.
    text = "\n".join(" ".join(p.split()) for p in raw.lower().split("\n\n") if p.strip())
    counts = Counter(text)
    text = "".join(c for c in text if counts[c] >= _MIN_CHAR_COUNT)
    vocab = tuple(sorted(set(text)))
    index = {c: i for i, c in enumerate(vocab)}
    return np.array([index[c] for c in text], dtype=np.int64), vocab


def _make_text(n_samples: int, seq_len: int, test_fraction: float, seed: int) -> Dataset:
    ids, vocab = _corpus()
    rng = np.random.default_rng(seed)
    n_test = round(n_samples * test_fraction)
    # Train windows come from the start of the text and test windows from its end, so they never overlap.
    boundary = round(len(ids) * (1 - test_fraction))
    span = seq_len + 1  # a window and its next character
    # Distinct starts: the text is long enough for 20,000 windows of 64 characters at any test fraction.
    train = rng.choice(boundary - span + 1, size=n_samples - n_test, replace=False)
    test = boundary + rng.choice(len(ids) - boundary - span + 1, size=n_test, replace=False)
    offsets = np.arange(seq_len)
    return _assemble("text", ids[train[:, None] + offsets], ids[train[:, None] + offsets + 1],
                     ids[test[:, None] + offsets], ids[test[:, None] + offsets + 1], input_shape=(seq_len,),
                     input_kind="tokens", num_classes=len(vocab), class_names=vocab, vocab=vocab)


# ---------------------------------------------------------------- the registry

_POINTS = _options(_n_samples(500, 50, 5000), _noise(0.1))
_TABLE = _options()
_TOKEN_TASK = _options(_n_samples(4000, 200, 20000), _seq_len(8, 4, 32), _VOCAB_SIZE)


def _bits(seq_len_default: int) -> ParamSet:
    return _options(_n_samples(2000, 200, 20000), _seq_len(seq_len_default, 2, 32))


DATASETS: dict[str, DatasetDef] = {d.name: d for d in (
    DatasetDef("circle", "2-D", "binary", _POINTS, _make_circle),
    DatasetDef("xor", "2-D", "binary", _POINTS, _make_xor),
    DatasetDef("gaussian", "2-D", "binary", _POINTS, _make_gaussian),
    DatasetDef("spiral", "2-D", "binary", _options(_n_samples(500, 50, 5000), _noise(0.0)), _make_spiral),
    DatasetDef("moons", "2-D", "binary", _POINTS, _make_moons),
    DatasetDef("plane", "2-D", "regression", _POINTS, _make_plane),
    DatasetDef("sine", "2-D", "regression", _POINTS, _make_sine),
    DatasetDef("iris", "tabular", "multiclass", _TABLE, functools.partial(_make_table, "iris")),
    DatasetDef("wine", "tabular", "multiclass", _TABLE, functools.partial(_make_table, "wine")),
    DatasetDef("breast_cancer", "tabular", "binary", _TABLE, functools.partial(_make_table, "breast_cancer")),
    DatasetDef("digits", "image", "multiclass", _TABLE, _make_digits),
    DatasetDef("shapes", "image", "multiclass", _options(_n_samples(1000, 100, 5000), _noise(0.1)), _make_shapes),
    DatasetDef("reverse", "sequence", "token_classification", _TOKEN_TASK, _make_reverse, lambda ids: ids[::-1]),
    DatasetDef("sort", "sequence", "token_classification", _TOKEN_TASK, _make_sort, np.sort),
    DatasetDef("parity", "sequence", "binary", _bits(8), _make_parity, lambda ids: int(ids.sum() % 2)),
    DatasetDef("majority", "sequence", "binary", _bits(9), _make_majority, lambda ids: int(2 * ids.sum() > len(ids))),
    DatasetDef("recall", "sequence", "multiclass",
               _options(_n_samples(2000, 200, 20000), _seq_len(31, 2, 128),
                        Param("vocab_size", "int", 4, "datasets.param.vocab_size", min=2, max=30, step=1)),
               _make_recall, lambda ids: int(ids[0])),
    DatasetDef("sine_forecast", "sequence", "regression",
               _options(_n_samples(2000, 200, 20000), _seq_len(20, 4, 64), _noise(0.05)), _make_sine_forecast),
    DatasetDef("text", "text", "next_token", _options(_n_samples(3000, 200, 20000), _seq_len(32, 8, 64)), _make_text),
)}


# ---------------------------------------------------------------- public entry points


def load_dataset(name: str, **options: Any) -> Dataset:
    """Generate (or fetch from the cache) a built-in dataset; bad names and options raise DatasetError."""
    if not isinstance(name, str) or name not in DATASETS:
        raise DatasetError(msg("datasets.error.unknown", name=repr(name), names=", ".join(DATASETS)))
    values, problems = DATASETS[name].params.resolve(options)
    if problems:
        raise DatasetError(msg("datasets.error.option", problem=problems[0]))
    return _cached_make(name, tuple(sorted(values.items())))


@functools.lru_cache(maxsize=16)
def _cached_make(name: str, options: tuple[tuple[str, Any], ...]) -> Dataset:
    return DATASETS[name].make(**dict(options))


# ---------------------------------------------------------------- uploaded tables
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}


def read_csv(data: bytes) -> tuple[pandas.DataFrame, str]:
    """Parse an uploaded CSV after checking its size, rows and columns; returns the table and the separator used."""
    import pandas as pd

    if len(data) > MAX_UPLOAD_BYTES:
        raise DatasetError(msg("datasets.csv.too_big", size=f"{len(data) / 1e6:.1f}", limit=MAX_UPLOAD_BYTES // (1024 * 1024)))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DatasetError(msg("datasets.csv.not_text")) from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise DatasetError(msg("datasets.csv.empty"))
    sep = max(SEPARATORS, key=lambda c: lines[0].count(c))
    if lines[0].count(sep) == 0:
        raise DatasetError(msg("datasets.csv.one_column"))
    columns = lines[0].count(sep) + 1
    if columns > _MAX_COLUMNS:
        raise DatasetError(msg("datasets.csv.too_many_columns", count=columns, limit=_MAX_COLUMNS))
    rows = sum(1 for line in lines[1:] if line.strip())
    if rows > _MAX_ROWS:
        raise DatasetError(msg("datasets.csv.too_many_rows", count=rows, limit=_MAX_ROWS))
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, engine="c")
    except (ValueError, pd.errors.ParserError) as e:
        raise DatasetError(msg("datasets.csv.unreadable", separator=msg(f"datasets.separator.{SEPARATORS[sep]}"),
                               reason=str(e).strip().splitlines()[0][:160])) from None
    return df, sep


def separator_name(sep: str) -> Msg:
    return msg(f"datasets.separator.{SEPARATORS[sep]}")


def dataset_from_dataframe(df: pandas.DataFrame, target: str, task: str | None = None,
                           test_fraction: float = 0.2, seed: int = 0, name: str = UPLOAD) -> Dataset:
    """Turn an uploaded table into a dataset: `target` is predicted from every other (numeric) column."""
    if task not in (None, "binary", "multiclass", "regression"):
        raise DatasetError(msg("datasets.error.task", got=repr(task)))
    values, problems = ParamSet((_TEST_FRACTION, _SEED)).resolve({"test_fraction": test_fraction, "seed": seed})
    if problems:
        raise DatasetError(msg("datasets.error.option", problem=problems[0]))
    _check_table(df, target)
    features = [c for c in df.columns if c != target]
    x = df[features].to_numpy(dtype=np.float64)
    y, task, class_names = _encode_target(df[target], str(target), task)
    train, test = _split(len(df), values["test_fraction"], np.random.default_rng(values["seed"]))
    x_train, x_test = _standardize(x[train], x[test])
    return Dataset(
        name=name, task=task, x_train=_tensor(x_train), y_train=_tensor(y[train]), x_test=_tensor(x_test),
        y_test=_tensor(y[test]), input_shape=(len(features),), input_kind="float",
        num_classes=None if class_names is None else len(class_names), class_names=class_names,
        feature_names=tuple(str(c) for c in features),
        description=msg("datasets.csv.description", target=_quoted(target), task=msg(f"datasets.task.{task}"), count=len(features)),
    )


def _quoted(name: Any) -> str:
    """A column name from a user's file, as it appears in a sentence: quoted and at most 40 characters."""
    text = str(name)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _check_table(df: pandas.DataFrame, target: str) -> None:
    """Raise DatasetError for the first problem that stops a table from becoming a dataset."""
    from pandas.api.types import is_numeric_dtype  # pandas is only needed here; the app already imports it

    columns = [str(c) for c in df.columns]
    if len(df) > _MAX_ROWS:
        raise DatasetError(msg("datasets.csv.too_many_rows", count=len(df), limit=_MAX_ROWS))
    if len(df) < _MIN_ROWS:
        raise DatasetError(msg("datasets.csv.too_few_rows", count=len(df), limit=_MIN_ROWS))
    if len(columns) > _MAX_COLUMNS:
        raise DatasetError(msg("datasets.csv.too_many_columns", count=len(columns), limit=_MAX_COLUMNS))
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise DatasetError(msg("datasets.csv.repeated", columns=_names(repeated)))
    if target not in df.columns:
        raise DatasetError(msg("datasets.csv.no_target", target=_quoted(target), columns=_names(columns)))
    if len(columns) < 2:
        raise DatasetError(msg("datasets.csv.no_features", target=_quoted(target)))
    missing = df.isna().sum()
    missing = missing[missing > 0]
    if len(missing):
        raise DatasetError(msg("datasets.csv.missing", columns=_names([f"{_quoted(c)} ({n})" for c, n in missing.items()], quote=False)))
    text = [str(c) for c in df.columns if c != target and not is_numeric_dtype(df[c])]
    if text:
        raise DatasetError(msg("datasets.csv.not_numeric", columns=_names(text)))
    infinite = [str(c) for c in df.columns if is_numeric_dtype(df[c]) and not np.isfinite(df[c].to_numpy(float)).all()]
    if infinite:
        raise DatasetError(msg("datasets.csv.infinite", columns=_names(infinite)))


def _names(items: list[str], quote: bool = True) -> str:
    return listing([_quoted(i) for i in items] if quote else items)


def _encode_target(col: pandas.Series, target: str, task: str | None) -> tuple[np.ndarray, str, tuple[str, ...] | None]:
    """Target array (class ids, or float column for regression), the task, and the class names."""
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    numeric = is_numeric_dtype(col) and not is_bool_dtype(col)
    if task is None and numeric:
        values = col.to_numpy(dtype=np.float64)
        few_whole = np.all(values == np.round(values)) and col.nunique() <= _MAX_INFERRED_CLASSES
        task = None if few_whole else "regression"
    if task == "regression":
        if not numeric:
            raise DatasetError(msg("datasets.csv.regression_text", target=_quoted(target), dtype=str(col.dtype)))
        return col.to_numpy(dtype=np.float32)[:, None], task, None
    labels = col if numeric else col.astype(str)  # str keeps mixed or boolean values sortable
    classes = np.sort(labels.unique())
    if len(classes) < 2:
        raise DatasetError(msg("datasets.csv.one_class", target=_quoted(target)))
    if len(classes) > _MAX_CLASSES:
        raise DatasetError(msg("datasets.csv.too_many_classes", target=_quoted(target), count=len(classes), limit=_MAX_CLASSES))
    if task == "binary" and len(classes) != 2:
        raise DatasetError(msg("datasets.csv.not_binary", target=_quoted(target), count=len(classes)))
    names = tuple(_class_name(c) for c in classes)
    task = task or ("binary" if len(classes) == 2 else "multiclass")
    return np.searchsorted(classes, labels.to_numpy()).astype(np.int64), task, names


def _class_name(value: Any) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)
