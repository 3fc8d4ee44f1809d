"""The spec: one JSON document describing dataset, layers, loss, optimizer and training.

`parse_spec` reads untrusted text (limits first), `analyze` checks everything and infers shapes with
PyTorch on the meta device, and reports every problem as one sentence naming its place and the fix.
"""
from __future__ import annotations

import base64
import binascii
import difflib
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

import torch
from pydantic import BaseModel, ConfigDict, StrictInt, StrictStr, ValidationError
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from playground import modules
from playground.datasets import DATASETS, Dataset, DatasetError, load_dataset
from playground.layers import LAYERS, Call, Need, format_shape
from playground.losses import LOSSES, required_outputs, task_problem
from playground.optimizers import OPTIMIZERS, TRAINING_PARAMS, optimizer_problem

MAX_SPEC_BYTES = 1_000_000
MAX_DEPTH = 8
MAX_LAYERS = 200
MAX_PARAMS = 5_000_000
SEQUENCE_TASKS = ("token_classification", "next_token")
UPLOAD = "upload"  # the dataset name of a user's CSV file, passed to analyze() as a Dataset

NAMESPACE = {"nn": nn, **{k: getattr(modules, k) for k in dir(modules) if isinstance(getattr(modules, k), type)}}


@dataclass
class Problem:
    """One thing wrong with a spec: a full sentence, where it is, and an optional one-click fix."""

    where: str  # "layers[3]", "layers[2].layers[0]", "loss", "optimizer", "dataset", "training", "spec"
    message: str
    path: tuple[int, ...] | None = None  # the layer's position when the problem belongs to a layer
    fix: dict[str, Any] | None = None

    def __str__(self) -> str:
        return self.message


class SpecError(ValueError):
    """Raised with every problem found; str() is the first one, a single clear line."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(problems[0].message if problems else "invalid spec")


# ---------------------------------------------------------------- reading untrusted text
def _reject_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def parse_spec(text: str | bytes) -> dict[str, Any]:
    """Parse spec text with size and depth limits; raise SpecError with one sentence when it is not usable."""
    size = len(text.encode() if isinstance(text, str) else text)
    if size > MAX_SPEC_BYTES:
        raise SpecError([Problem("spec", f"spec: the file is {size / 1e6:.1f} MB; the limit is 1 MB")])
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise SpecError([Problem("spec", "spec: the file is not UTF-8 text — upload a .json spec")]) from None
    except json.JSONDecodeError as e:
        raise SpecError([Problem("spec", f"spec: not valid JSON — {e.msg} at line {e.lineno}, column {e.colno}")]) from None
    except ValueError as e:
        raise SpecError([Problem("spec", f"spec: {e} (NaN and Infinity are not allowed)")]) from None
    except RecursionError:
        raise SpecError([Problem("spec", f"spec: nested more than {MAX_DEPTH} levels deep")]) from None
    if not isinstance(data, dict):
        raise SpecError([Problem("spec", "spec: must be a JSON object {…} with dataset, layers, loss, optimizer and training")])
    if _depth(data) > MAX_DEPTH:
        raise SpecError([Problem("spec", f"spec: nested more than {MAX_DEPTH} levels deep — flatten nested Residual blocks")])
    return data


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def encode_link(spec: dict[str, Any]) -> str:
    """The compact `?spec=` value: 'z.' + URL-safe base64 of zlib-compressed JSON."""
    raw = json.dumps(spec, separators=(",", ":")).encode()
    return "z." + base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


def decode_link(value: str) -> dict[str, Any]:
    """Read a `?spec=` value: plain URL-safe base64 of the JSON text (padding optional) or our 'z.' form."""
    compressed = value.startswith("z.")
    body = value[2:] if compressed else value
    if len(body) > MAX_SPEC_BYTES * 2:
        raise SpecError([Problem("spec", "link: the spec in the link is longer than 1 MB")])
    damaged = SpecError([Problem("spec", "link: the spec in the link is damaged (not valid base64) — showing the default model")])
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        if compressed:
            inflater = zlib.decompressobj()
            raw = inflater.decompress(raw, MAX_SPEC_BYTES + 1)
            too_long = len(raw) > MAX_SPEC_BYTES or bool(inflater.unconsumed_tail)
            truncated = not too_long and not inflater.eof
        raw.decode("utf-8")
    except (binascii.Error, ValueError, zlib.error):
        raise damaged from None
    if compressed and too_long:  # a zlib bomb stops here, after inflating at most 1 MB
        raise SpecError([Problem("spec", "link: the spec in the link is longer than 1 MB")])
    if compressed and truncated:
        raise damaged
    try:
        return parse_spec(raw)
    except SpecError as e:
        raise SpecError([Problem("spec", "link: " + e.problems[0].message.removeprefix("spec: "))]) from None


# ---------------------------------------------------------------- the document skeleton (pydantic)
class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: StrictStr | None = None
    description: StrictStr | None = None
    version: StrictStr | StrictInt | None = None
    dataset: dict[str, Any]
    layers: list[Any]
    loss: dict[str, Any] | None = None
    optimizer: dict[str, Any] | None = None
    training: dict[str, Any] | None = None


def _skeleton_problems(data: dict[str, Any]) -> list[Problem]:
    try:
        _Doc.model_validate(data)
    except ValidationError as e:
        out = []
        for err in e.errors():
            key = str(err["loc"][0]) if err["loc"] else "spec"
            if err["type"] == "extra_forbidden":
                near = difflib.get_close_matches(key, list(_Doc.model_fields), n=1)
                hint = f" — did you mean '{near[0]}'?" if near else " — remove it"
                out.append(Problem("spec", f"spec: unknown key {key!r}{hint}"))
            elif err["type"] == "missing":
                out.append(Problem(key, f"{key}: missing — every spec needs 'dataset' and 'layers'"))
            else:
                want = {"dataset": "an object like {\"name\": \"spiral\"}", "layers": "a list of layers",
                        "loss": "an object like {\"type\": \"CrossEntropyLoss\"}",
                        "optimizer": "an object like {\"type\": \"Adam\", \"lr\": 0.01}",
                        "training": "an object like {\"epochs\": 20}"}.get(key, "text")
                out.append(Problem(key, f"{key}: must be {want}"))
        return out
    return []


# ---------------------------------------------------------------- analysis
@dataclass
class LayerInfo:
    path: tuple[int, ...]
    type: str
    args: dict[str, Any]  # resolved: defaults filled in
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    params: int
    macs: int  # multiply-adds per sample, counted by PyTorch's FlopCounterMode
    call: Call
    children: list["LayerInfo"] = field(default_factory=list)

    @property
    def where(self) -> str:
        return _where(self.path)


@dataclass
class Analysis:
    spec: dict[str, Any]
    dataset: Dataset | None
    layers: list[LayerInfo]
    problems: list[Problem]
    warnings: list[Problem]
    loss: dict[str, Any]  # {"type": ..., **resolved args}
    optimizer: dict[str, Any]
    training: dict[str, Any]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def total_params(self) -> int:
        return sum(i.params for i in self.layers)

    @property
    def total_macs(self) -> int:
        return sum(i.macs for i in self.layers)

    @property
    def output_shape(self) -> tuple[int, ...] | None:
        return self.layers[-1].out_shape if self.layers and self.ok else None

    def problems_at(self, path: tuple[int, ...]) -> list[Problem]:
        return [p for p in self.problems + self.warnings if p.path == path]

    def raise_if_invalid(self) -> "Analysis":
        if self.problems:
            raise SpecError(self.problems)
        return self


def _where(path: tuple[int, ...]) -> str:
    return ".".join(f"layers[{i}]" for i in path)


def default_loss(task: str) -> dict[str, Any]:
    return {"type": "MSELoss"} if task == "regression" else {"type": "CrossEntropyLoss"}


def analyze(spec: dict[str, Any], dataset: Dataset | None = None) -> Analysis:
    """Check a parsed spec completely; never raises for bad input. Pass `dataset` for uploaded data."""
    problems: list[Problem] = _skeleton_problems(spec) if isinstance(spec, dict) else [Problem("spec", "spec: must be a JSON object")]
    warnings: list[Problem] = []
    if not isinstance(spec, dict):
        return Analysis(spec, None, [], problems, warnings, {}, {}, {})
    if dataset is None and isinstance(spec.get("dataset"), dict):
        dataset = _load_dataset(spec["dataset"], problems)
    training = _section(spec.get("training") or {}, "training", TRAINING_PARAMS, problems)
    loss = _typed(spec.get("loss") or default_loss(dataset.task if dataset else "multiclass"), "loss", LOSSES, problems)
    optimizer = _typed(spec.get("optimizer") or {"type": "Adam"}, "optimizer", OPTIMIZERS, problems)
    if optimizer.get("type") in OPTIMIZERS and (msg := optimizer_problem(optimizer["type"], optimizer)):
        problems.append(Problem("optimizer", f"optimizer ({optimizer['type']}): {msg}"))
    raw_layers = spec.get("layers") if isinstance(spec.get("layers"), list) else []
    count = _count_layers(raw_layers)
    if count > MAX_LAYERS:
        problems.append(Problem("layers", f"layers: the model has {count} layers; the limit is {MAX_LAYERS}"))
        raw_layers = []
    if not raw_layers and isinstance(spec.get("layers"), list) and count == 0:
        problems.append(Problem("layers", "layers: the model has no layers — add at least a Linear output layer"))
    shape = dataset.input_shape if dataset else None
    kind = dataset.input_kind if dataset else "float"
    vocab = dataset.vocab_size if dataset else None
    infos, out_shape = _walk(raw_layers, (), shape, kind, vocab, problems, dataset.task if dataset else None)
    if dataset is not None and out_shape is not None and infos and loss.get("type") in LOSSES:
        _check_output(infos, out_shape, dataset, loss, problems, warnings)
    total = sum(i.params for i in infos)
    if total > MAX_PARAMS:
        problems.append(Problem("layers", f"layers: the model has {total:,} parameters; the limit is {MAX_PARAMS:,} — use fewer or smaller layers"))
    if dataset is not None and not problems and training.get("batch_size", 0) > dataset.n_train:
        warnings.append(Problem("training", f"training: batch_size {training['batch_size']} is larger than the {dataset.n_train} training samples; each epoch is one full batch"))
    return Analysis(spec, dataset, infos, problems, warnings, loss, optimizer, training)


def validate(spec: dict[str, Any], dataset: Dataset | None = None) -> Analysis:
    """Like analyze, but raise SpecError when anything is wrong."""
    return analyze(spec, dataset).raise_if_invalid()


def _load_dataset(section: dict[str, Any], problems: list[Problem]) -> Dataset | None:
    name = section.get("name")
    if not isinstance(name, str):
        problems.append(Problem("dataset", f"dataset: needs a 'name', one of {', '.join(DATASETS)}"))
        return None
    if name == UPLOAD:
        problems.append(Problem("dataset", "dataset (upload): this spec uses an uploaded CSV file, which a link or spec file cannot carry — upload the CSV again on the Build page"))
        return None
    if name not in DATASETS:
        near = difflib.get_close_matches(name, list(DATASETS), n=1)
        hint = f" — did you mean '{near[0]}'?" if near else f" (choose from {', '.join(DATASETS)})"
        problems.append(Problem("dataset", f"dataset: unknown name {name!r}{hint}"))
        return None
    options = {k: v for k, v in section.items() if k != "name"}
    values, errs = DATASETS[name].params.resolve(options)
    if errs:
        problems.extend(Problem("dataset", f"dataset ({name}): {e}") for e in errs)
        return None
    try:
        return load_dataset(name, **values)
    except DatasetError as e:
        problems.append(Problem("dataset", f"dataset ({name}): {e}"))
        return None


def _section(raw: dict[str, Any], where: str, params, problems: list[Problem]) -> dict[str, Any]:
    values, errs = params.resolve(raw if isinstance(raw, dict) else {})
    problems.extend(Problem(where, f"{where}: {e}") for e in errs)
    return values


def _typed(raw: dict[str, Any], where: str, registry: dict, problems: list[Problem]) -> dict[str, Any]:
    kind = raw.get("type") if isinstance(raw, dict) else None
    if not isinstance(kind, str) or kind not in registry:
        near = difflib.get_close_matches(str(kind), list(registry), n=1)
        hint = f" — did you mean '{near[0]}'?" if near else f" (choose from {', '.join(registry)})"
        shown = repr(kind) if isinstance(kind, str) else (f"'{kind}'" if kind is not None else "missing")  # repr: one line
        problems.append(Problem(where, f"{where}: type {shown} is not known{hint}"))
        return {"type": kind if isinstance(kind, str) else None}  # a list or dict here must not reach `in registry`
    values, errs = registry[kind].params.resolve({k: v for k, v in raw.items() if k != "type"})
    problems.extend(Problem(where, f"{where} ({kind}): {e}") for e in errs)
    return {"type": kind, **values}


def _count_layers(layers: list[Any]) -> int:
    n = 0
    for layer in layers:
        n += 1
        if isinstance(layer, dict) and isinstance(layer.get("layers"), list):
            n += _count_layers(layer["layers"])
    return n


def _walk(raw_layers, prefix, shape, kind, vocab, problems, task):
    """Check each layer and infer its output shape; after the first shape failure, keep checking arguments only."""
    infos: list[LayerInfo] = []
    for i, raw in enumerate(raw_layers):
        path = prefix + (i,)
        where = _where(path)
        if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
            problems.append(Problem(where, f"{where}: must be an object with a 'type', e.g. {{\"type\": \"Linear\", \"out_features\": 10}}", path))
            shape = None
            continue
        ltype = raw["type"]
        d = LAYERS.get(ltype)
        if d is None:
            near = difflib.get_close_matches(ltype, list(LAYERS), n=1)
            hint = f" — did you mean '{near[0]}'?" if near else ""
            problems.append(Problem(where, f"{where}: unknown layer type {ltype!r}{hint}", path))
            shape = None
            continue
        label = f"{where} ({ltype})"
        args = {k: v for k, v in raw.items() if k != "type"}
        inner = None
        if d.has_inner:
            inner = args.pop("layers", None)
            if not isinstance(inner, list) or not inner:
                problems.append(Problem(where, f"{label}: needs 'layers', a non-empty list of the layers inside the skip connection", path))
                shape = None
                continue
        values, errs = d.params.resolve(args)
        if errs:
            problems.extend(Problem(where, f"{label}: {e}", path) for e in errs)
            shape = None
        if shape is None:
            if inner:
                _walk(inner, path, None, kind, vocab, problems, task)
            continue
        need = _token_need(d, kind, shape)
        if need is None and d.check is not None:
            need = d.check(shape, values)
        if need is not None:
            problems.append(Problem(where, f"{label}: {need.message}", path, need.fix))
            shape = None
            continue
        if task == "next_token" and (values.get("causal") is False or values.get("bidirectional") is True):
            arg, val = ("causal", True) if "causal" in values else ("bidirectional", False)
            problems.append(Problem(where, f"{label}: next-token prediction needs {arg}={str(val).lower()}, otherwise each position sees the character it must predict",
                                    path, {"label": f"Set {arg} to {str(val).lower()}", "op": "set", "arg": arg, "value": val}))
        children: list[LayerInfo] = []
        if d.has_inner:
            children, inner_out = _walk(inner, path, shape, kind, vocab, problems, task)
            if inner_out is None:
                shape = None
                continue
            if inner_out != shape:
                problems.append(Problem(where, f"{label}: its inner layers turn {format_shape(shape)} into {format_shape(inner_out)}, but x + F(x) needs the same shape — make the last inner layer output {shape[-1]} features", path))
                shape = None
                continue
            call = Call("Residual", tuple(c.call for c in children))
        else:
            call = d.make(shape, values, vocab)
        try:
            out_shape, n_params, macs = _run_on_meta(call, shape, kind)
        except Exception as e:  # PyTorch's own refusal, turned into one sentence
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            problems.append(Problem(where, f"{label}: PyTorch cannot apply it to input {format_shape(shape)}: {first}", path))
            shape = None
            continue
        infos.append(LayerInfo(path, ltype, values, shape, out_shape, n_params, macs, call, children))
        shape = out_shape
        kind = "float"
    return infos, shape


def _token_need(d, kind, shape):
    if kind == "tokens" and not d.accepts_tokens and d.type not in ("Dropout", "Identity"):
        return Need(f"receives token ids {format_shape(shape)}; start the model with an Embedding layer",
                    {"label": "Insert Embedding", "op": "insert_before", "layer": {"type": "Embedding", "embedding_dim": 32}})
    if d.accepts_tokens and kind != "tokens":
        return Need(f"reads token ids, but receives numbers {format_shape(shape)} — use it only as the first layer on a token dataset")
    return None



def _run_on_meta(call: Call, shape: tuple[int, ...], kind: str) -> tuple[tuple[int, ...], int, int]:
    """Build the layer on the meta device (no memory, no time) and let PyTorch say what comes out."""
    with torch.device("meta"):
        module = call.build(NAMESPACE)
        module.eval()
        dtype = torch.long if kind == "tokens" else torch.float32
        x = torch.zeros((1, *shape), dtype=dtype)
        with FlopCounterMode(display=False) as counter:
            y = module(x)
    n_params = sum(p.numel() for p in module.parameters())
    return tuple(y.shape[1:]), n_params, counter.get_total_flops() // 2


def _check_output(infos, out_shape, ds: Dataset, loss, problems, warnings):
    ltype = loss["type"]
    if msg := task_problem(ltype, ds.task):
        problems.append(Problem("loss", f"loss: {msg}"))
        return
    last = infos[-1]
    linear_path = next((i.path for i in reversed(infos) if i.type == "Linear"), None)
    allowed = required_outputs(ltype, ds.task, ds.num_classes, ds.target_dim)
    per_token = ds.task in SEQUENCE_TASKS
    if per_token:
        seq_len = ds.input_shape[0]
        if len(out_shape) != 2:
            problems.append(Problem("loss", f"loss: this task predicts one of {ds.num_classes} tokens at each of {seq_len} positions, so the model must end with ({seq_len}, {ds.num_classes}); it ends with {format_shape(out_shape)} — remove SequencePool/Flatten", last.path))
            return
        width = out_shape[-1]
    else:
        if len(out_shape) != 1:
            fix = None
            if last.type == "Linear" and len(last.in_shape) == 2:
                fix = {"label": "Insert SequencePool", "op": "insert_before", "layer": {"type": "SequencePool", "mode": "mean"}}
            elif last.type == "Linear":
                fix = {"label": "Insert Flatten", "op": "insert_before", "layer": {"type": "Flatten"}}
            what = "a classifier" if ds.is_classification else "a regression"
            problems.append(Problem("loss", f"loss: the model ends with {format_shape(out_shape)} per sample, but {what} needs one vector — add SequencePool (sequences) or Flatten (images) before the last Linear", last.path if fix is None else last.path, fix))
            return
        width = out_shape[0]
    if width not in allowed:
        want = allowed[0]
        unit = "per token" if per_token else "per sample"
        if ds.task not in ("binary", "multiclass", *SEQUENCE_TASKS):
            reason = f"{want} output{'s' if want != 1 else ''} {unit} (the target has {want} value{'s' if want != 1 else ''})"
        elif want == 1:
            reason = f"1 output {unit}"
        else:
            reason = f"{want} outputs {unit} (one per class)"
        fix = None
        if linear_path is not None:
            fix = {"label": f"Set out_features to {want}", "op": "set", "arg": "out_features", "value": want, "path": list(linear_path)}
        alt = ""
        if ltype == "BCEWithLogitsLoss":
            alt = " — use CrossEntropyLoss or set out_features to 1"
        elif linear_path is not None:
            alt = f" — set the last Linear's out_features to {want}"
        problems.append(Problem("loss", f"loss: {ltype} needs {reason}, the model gives {width}{alt}", linear_path or last.path, fix))
        return
    if last.type == "Softmax" and ltype == "CrossEntropyLoss":
        warnings.append(Problem(last.where, f"{last.where} (Softmax): CrossEntropyLoss already applies softmax — remove this layer, or the model learns slowly", last.path,
                                {"label": "Remove Softmax", "op": "remove"}))
    if last.type == "Sigmoid" and ltype == "BCEWithLogitsLoss":
        warnings.append(Problem(last.where, f"{last.where} (Sigmoid): BCEWithLogitsLoss already applies a sigmoid — remove this layer", last.path, {"label": "Remove Sigmoid", "op": "remove"}))
    if ltype == "NLLLoss" and last.type != "LogSoftmax":
        warnings.append(Problem("loss", "loss: NLLLoss expects log-probabilities — end the model with LogSoftmax (or use CrossEntropyLoss)", last.path,
                                {"label": "Append LogSoftmax", "op": "insert_after", "layer": {"type": "LogSoftmax", "dim": -1}}))
