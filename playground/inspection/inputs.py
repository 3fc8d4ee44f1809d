"""One sample in: a dataset example, a drawing or typed tokens, as a batch of 1 the model can read.

Bad input raises `InputError`, one sentence that renders in the language of whoever shows it.
"""
from __future__ import annotations

import math
import unicodedata
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from playground.datasets import PER_TOKEN_TASKS, Dataset
from playground.i18n import listing, t
from playground.inspection.tokens import expected, token_labels, visible

SPLITS = ("train", "test")
_SEPARATORS = (",", "，", "、")  # typed between tokens when they are not tokens themselves


class InputError(ValueError):
    """A sample that cannot be read: a catalog entry rendered when shown, in the language of whoever shows it.
    A value may be a function of no arguments (a listing, a quoted symbol), so it is worded in that language too."""

    def __init__(self, key: str, **kwargs: Any):
        self.key, self.kwargs = key, kwargs
        super().__init__(key)

    def __str__(self) -> str:
        return t(self.key, **{k: v() if callable(v) else v for k, v in self.kwargs.items()})


def prepare_input(dataset: Dataset, index: int | None = None, split: str = "test",
                  raw: np.ndarray | str | None = None) -> tuple[torch.Tensor, dict[str, Any]]:
    """One sample as a batch of 1: a dataset example, a drawing (`raw` array) or typed tokens (`raw` text)."""
    if raw is None:
        return dataset_sample(dataset, index, split)
    if isinstance(raw, str):
        x, info = typed_tokens(dataset, raw)
    elif dataset.input_kind == "float" and len(dataset.input_shape) == 3:
        x, info = drawing(dataset, raw), {"source": "drawing"}
    else:
        x, info = raw_values(dataset, raw), {"source": "values"}
    if dataset.input_kind == "tokens":
        info["tokens"] = token_labels(dataset, x[0].tolist())
    return x, info


def split_tensors(dataset: Dataset, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs, targets) of the train or test split (shared, read-only tensors)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    return (dataset.x_test, dataset.y_test) if split == "test" else (dataset.x_train, dataset.y_train)


def dataset_sample(dataset: Dataset, index: int | None, split: str = "test") -> tuple[torch.Tensor, dict[str, Any]]:
    """Sample `index` of a split, copied: the dataset's tensors are shared by every session."""
    xs, ys = split_tensors(dataset, split)
    index = 0 if index is None else int(index)
    if not 0 <= index < len(xs):
        raise InputError("inspect.input.no_sample", index=index, split=lambda: t(f"inspect.split.{split}"), count=len(xs),
                         last=len(xs) - 1)
    info: dict[str, Any] = {"source": "dataset", "split": split, "index": index}
    y = ys[index].numpy().copy()
    if dataset.task in PER_TOKEN_TASKS:
        info["target"] = y
        info["target_tokens"] = [visible(dataset.class_names[int(k)]) for k in y]
    elif dataset.is_classification:
        info["label"] = int(y)
        info["label_name"] = dataset.class_names[int(y)] if dataset.class_names else str(int(y))
    else:
        info["target"] = y
    if dataset.input_kind == "tokens":
        info["tokens"] = token_labels(dataset, xs[index].tolist())
    return xs[index:index + 1].clone(), info


# ---------------------------------------------------------------- typed tokens
def typed_tokens(dataset: Dataset, text: str) -> tuple[torch.Tensor, dict[str, Any]]:
    """Typed text as token ids, checked against the vocabulary and the sequence length."""
    if dataset.input_kind != "tokens":
        raise InputError("inspect.input.not_tokens", name=dataset.name)
    vocab = dataset.vocab or ()
    index = {s: i for i, s in enumerate(vocab)}
    seq_len = dataset.input_shape[0]
    symbols = [_in_vocab(s, index) for s in _symbols(dataset, text)]
    unknown = sorted({s for s in symbols if s not in index})
    if dataset.task == "next_token":
        if unknown:
            others = "".join(s for s in vocab if not s.isalpha() and s not in " \n")
            raise InputError(f"inspect.input.unknown_char_{_number(unknown)}", symbols=lambda: _quoted(unknown),
                             others=others)
        if not 1 <= len(symbols) <= seq_len:
            raise InputError("inspect.input.char_count", most=seq_len, count=len(symbols))
    else:
        if unknown:
            raise InputError(f"inspect.input.unknown_token_{_number(unknown)}", symbols=lambda: _quoted(unknown),
                             name=dataset.name, allowed=lambda: _vocab_range(vocab))
        if len(symbols) != seq_len:
            raise InputError("inspect.input.token_count", name=dataset.name, count=seq_len, typed=len(symbols))
    ids = np.array([index[s] for s in symbols], dtype=np.int64)
    return torch.from_numpy(ids)[None], {"source": "typed", **expected(dataset, ids)}


def _symbols(dataset: Dataset, text: str) -> list[str]:
    """Characters of a text corpus; for token tasks, tokens split at blanks or commas (single characters may run together)."""
    vocab = dataset.vocab or ()
    if not any(s != s.lower() for s in vocab):  # a lower-case vocabulary (the English corpus) reads "Alice" as "alice"
        text = text.lower()
    if dataset.task == "next_token":
        return list(text)
    for sep in _SEPARATORS:
        if sep not in vocab:
            text = text.replace(sep, " ")
    single = all(len(s) == 1 for s in vocab)
    return text.split() if (any(c.isspace() for c in text) or not single) else list(text)


def _in_vocab(symbol: str, index: dict[str, int]) -> str:
    """A full-width form typed with a Chinese input method ('３', '，') read as the vocabulary's own symbol."""
    if symbol in index:
        return symbol
    folded = unicodedata.normalize("NFKC", symbol)
    return folded if folded in index else symbol


def _number(items: list) -> str:
    return "one" if len(items) == 1 else "many"


def _quoted(symbols: list[str]) -> str:
    return listing([t("inspect.input.quoted", symbol=visible(s)) for s in symbols])


def _vocab_range(vocab: tuple[str, ...]) -> str:
    if len(vocab) > 3 and [s for s in vocab] == [str(k) for k in range(len(vocab))]:
        return t("inspect.input.numbers", last=len(vocab) - 1)
    return t("common.listing.sep").join(visible(s) for s in vocab)


# ---------------------------------------------------------------- drawings and raw values
def drawing(dataset: Dataset, raw) -> torch.Tensor:
    """A drawing, any size and polarity, made to look like the dataset's images: ink high, 0..1."""
    grey = _grey(raw)
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    background = float(np.median(border))
    if background > 0.5:  # dark ink on a light canvas
        grey, background = 1.0 - grey, 1.0 - background
    ink = np.clip((grey - background) / max(1.0 - background, 1e-6), 0.0, 1.0)
    if ink.max() < 0.05:
        raise InputError("inspect.input.empty_drawing")
    if dataset.name == "digits":
        ink = _fit_digit(ink)
    channels, height, width = dataset.input_shape
    x = torch.from_numpy(ink.astype(np.float32))[None, None]
    # Area averaging is how the digits themselves were made (on-pixels counted in 4x4 blocks of a 32x32 bitmap)
    mode = "area" if x.shape[-2] >= height and x.shape[-1] >= width else "bilinear"
    small = F.interpolate(x, size=(height, width), mode=mode, **({} if mode == "area" else {"align_corners": False}))
    small = small / small.max().clamp_min(1e-6)  # the datasets' brightest ink is 1 (16/16 for digits)
    return small.expand(1, channels, height, width).contiguous()


def _grey(raw) -> np.ndarray:
    a = np.asarray(raw, dtype=np.float64)
    if a.ndim == 3 and a.shape[-1] in (3, 4):
        alpha = a[..., 3] if a.shape[-1] == 4 else None
        # A canvas with a transparent background carries the strokes in its alpha channel
        a = alpha if alpha is not None and np.ptp(alpha) > 0 else a[..., :3].mean(axis=-1)
    if a.ndim != 2 or min(a.shape) < 2:
        raise InputError("inspect.input.drawing_shape", shape=tuple(a.shape))
    if not np.isfinite(a).all():
        raise InputError("inspect.input.drawing_nan")
    if a.max() > 1.0:
        a = a / 255.0
    return np.clip(a, 0.0, 1.0)


def _fit_digit(ink: np.ndarray) -> np.ndarray:
    """Crop to the ink and centre it in a square, as NIST normalised the digits (they fill the frame's height)."""
    rows, cols = np.flatnonzero(ink.max(axis=1) > 0.05), np.flatnonzero(ink.max(axis=0) > 0.05)
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    side = max(crop.shape)
    square = np.zeros((side, side))
    top, left = (side - crop.shape[0]) // 2, (side - crop.shape[1]) // 2
    square[top:top + crop.shape[0], left:left + crop.shape[1]] = crop
    return square


def raw_values(dataset: Dataset, raw) -> torch.Tensor:
    """Numbers for one sample (token ids for token inputs), shaped like the dataset's inputs."""
    a = np.asarray(raw)
    size = math.prod(dataset.input_shape)
    if a.size != size:
        raise InputError("inspect.input.value_count", name=dataset.name, size=size, shape=dataset.input_shape, count=a.size)
    if dataset.input_kind == "tokens":
        vocab = len(dataset.vocab or ())
        if not np.issubdtype(a.dtype, np.integer) or a.min() < 0 or a.max() >= vocab:
            raise InputError("inspect.input.token_ids", last=vocab - 1)
        return torch.from_numpy(a.astype(np.int64).reshape(1, *dataset.input_shape))
    return torch.from_numpy(a.astype(np.float32).reshape(1, *dataset.input_shape))
