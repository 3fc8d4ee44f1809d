"""Trained weights in and out: safetensors bytes carrying the spec, the one typed door for a weights file,
applying it onto a matching model, and the `.pt2` export (`torch.export`).

A weights file is untrusted: it is read as safetensors only (an 8-byte header length, a JSON header, raw
tensor bytes), with limits checked before anything is parsed; nothing is unpickled. A file that does not fit
the model gets one sentence naming what differs: the model it was trained for, a layer's tensor shape, or
the tensors missing or left over. Nothing here touches a page; every sentence is a catalog Msg.
"""
from __future__ import annotations

import io
import json
import math
import struct
from dataclasses import dataclass
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from playground.analysis import MAX_PARAMS, Analysis
from playground.datasets import Dataset
from playground.i18n import Msg, msg
from playground.layers import format_shape
from playground.model import build_model
from playground.spec import MAX_SPEC_BYTES, Spec, SpecError, layer_place, parse_spec
from playground.training.trainer import Trainer

SPEC_KEY = "playground.spec"  # the spec's JSON text, in the safetensors metadata
FORMAT_KEY = "playground.format"
FORMAT = "weights/1"
MAX_HEADER_BYTES = MAX_SPEC_BYTES + 1_000_000  # the spec plus one entry per tensor
MAX_TENSORS = 10_000
MAX_WEIGHTS_BYTES = 8 * MAX_PARAMS + MAX_HEADER_BYTES + 8  # every parameter a float64 at most
DTYPES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}
MODEL_PARTS = {"dataset", "layers"}  # what must agree for weights to mean the same model (training settings may differ)


class WeightsError(ValueError):
    """A weights file that cannot be used, with the sentence that says why."""

    def __init__(self, message: Msg, other: Spec | None = None):
        self.msg = message
        self.other = other  # the model the weights were trained for, when that is what differs
        super().__init__(message.key)

    def __str__(self) -> str:
        return str(self.msg)


@dataclass(frozen=True)
class WeightsFile:
    """A parsed weights file: its tensors and, when it came from the playground, the spec it was trained for."""

    tensors: dict[str, torch.Tensor]
    spec: Spec | None


# ---------------------------------------------------------------- out
def to_bytes(model: torch.nn.Module, spec: Spec) -> bytes:
    """The model's state as safetensors bytes, with the spec in the metadata."""
    # clone: safetensors refuses tensors that share memory, and views of a bigger buffer
    tensors = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    return st_save(tensors, metadata={FORMAT_KEY: FORMAT, SPEC_KEY: spec.to_json(indent=None)})


def export_pt2(analysis: Analysis, model: torch.nn.Module | None = None) -> bytes:
    """The model (fresh weights unless given) as a `torch.export` program: a `.pt2` archive Netron opens.

    The batch dimension is dynamic where the model allows it, else fixed at the example's size.
    """
    model = (model if model is not None else build_model(analysis)).eval()
    example = (analysis.dataset.x_test[:2],)
    try:
        program = torch.export.export(model, example, dynamic_shapes=({0: torch.export.Dim("batch", min=1)},))
    except Exception:  # some layers fix the batch size while tracing: export that size
        program = torch.export.export(model, example)
    buffer = io.BytesIO()
    torch.export.save(program, buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- in: the typed door
def parse(data: bytes) -> WeightsFile:
    """Read untrusted bytes as a weights file: size limits, the safetensors header checked, then the tensors."""
    if len(data) > MAX_WEIGHTS_BYTES:
        raise WeightsError(msg("weights.error.too_big", size=f"{len(data) / 1e6:.1f}", limit=MAX_WEIGHTS_BYTES // 1_000_000))
    header = _header(data)
    meta = header.pop("__metadata__", None) or {}
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise _not_safetensors(msg("weights.error.metadata"))
    _check_entries(header, len(data) - 8 - struct.unpack("<Q", data[:8])[0])
    try:
        tensors = st_load(bytes(data))
    except (SafetensorError, ValueError, RuntimeError) as e:
        raise _not_safetensors(str(e).splitlines()[0][:120] if str(e) else type(e).__name__) from None
    return WeightsFile(tensors, _spec_of(meta))


def _not_safetensors(reason: str) -> WeightsError:
    return WeightsError(msg("weights.error.not_safetensors", reason=reason))


def _header(data: bytes) -> dict[str, Any]:
    """The JSON header: its length first (within the limit and the file), then JSON objects only."""
    if len(data) < 8:
        raise _not_safetensors(msg("weights.error.too_short"))
    size = struct.unpack("<Q", data[:8])[0]
    if size > MAX_HEADER_BYTES or size > len(data) - 8:
        raise _not_safetensors(msg("weights.error.bad_header_size"))
    try:
        header = json.loads(data[8:8 + size], parse_constant=_reject)
    except (UnicodeDecodeError, ValueError):
        raise _not_safetensors(msg("weights.error.header_not_json")) from None
    if not isinstance(header, dict):
        raise _not_safetensors(msg("weights.error.header_not_json"))
    return header


def _reject(name: str):
    raise ValueError(name)


def _check_entries(header: dict[str, Any], payload: int) -> None:
    """Every tensor: a known dtype, a shape of natural numbers, and its bytes inside the file, no more than it needs."""
    if len(header) > MAX_TENSORS:
        raise _not_safetensors(msg("weights.error.too_many", count=len(header), limit=MAX_TENSORS))
    for name, entry in header.items():
        ok = (isinstance(entry, dict) and entry.get("dtype") in DTYPES and isinstance(entry.get("shape"), list)
              and all(isinstance(d, int) and d >= 0 for d in entry["shape"]) and isinstance(entry.get("data_offsets"), list)
              and len(entry["data_offsets"]) == 2 and all(isinstance(o, int) for o in entry["data_offsets"]))
        if not ok:
            raise _not_safetensors(msg("weights.error.bad_entry", name=repr(name[:60])))
        begin, end = entry["data_offsets"]
        if not 0 <= begin <= end <= payload or end - begin != math.prod(entry["shape"]) * DTYPES[entry["dtype"]]:
            raise _not_safetensors(msg("weights.error.bad_entry", name=repr(name[:60])))


def _spec_of(meta: dict[str, str]) -> Spec | None:
    """The spec a playground file carries (through the spec's own typed door); None for a file from elsewhere."""
    if SPEC_KEY not in meta:
        return None
    try:
        return parse_spec(meta[SPEC_KEY])
    except SpecError as e:
        raise WeightsError(msg("weights.error.bad_spec", problem=e.problems[0].msg)) from None


# ---------------------------------------------------------------- onto a model
def state_for(file: WeightsFile, analysis: Analysis) -> dict[str, torch.Tensor]:
    """The file's tensors as a state dict for `analysis`'s model; WeightsError with one sentence when they do not fit."""
    analysis.raise_if_invalid()
    if file.spec is not None and _model_part(file.spec) != _model_part(analysis.spec):
        raise WeightsError(msg("weights.mismatch.other_model", name=_name(file.spec), difference=_difference(file.spec, analysis.spec)),
                           file.spec)
    expected = build_model(analysis).state_dict()
    missing = [k for k in expected if k not in file.tensors]
    extra = [k for k in file.tensors if k not in expected]
    if missing:
        raise WeightsError(msg("weights.mismatch.missing", count=len(missing), names=_names(missing), place=_place(analysis, missing[0])))
    if extra:
        raise WeightsError(msg("weights.mismatch.unexpected", count=len(extra), names=_names(extra)))
    state = {}
    for name, want in expected.items():
        got = file.tensors[name]
        if tuple(got.shape) != tuple(want.shape):
            raise WeightsError(msg("weights.mismatch.shape", place=_place(analysis, name), name=name,
                                   expected=format_shape(want.shape), found=format_shape(got.shape)))
        if got.dtype.is_floating_point != want.dtype.is_floating_point:
            raise WeightsError(msg("weights.mismatch.dtype", place=_place(analysis, name), name=name,
                                   expected=str(want.dtype).removeprefix("torch."), found=str(got.dtype).removeprefix("torch.")))
        state[name] = got.to(want.dtype)
    return state


def load(data: bytes, analysis: Analysis) -> dict[str, torch.Tensor]:
    """Untrusted bytes to a state dict for `analysis`'s model: `parse`, then `state_for`."""
    return state_for(parse(data), analysis)


def _names(names: list[str]) -> str:
    return ", ".join(names[:3]) + (", …" if len(names) > 3 else "")


def _model_part(spec: Spec) -> dict[str, Any]:
    return spec.model_dump(mode="json", include=MODEL_PARTS)


def _name(spec: Spec) -> str:
    return spec.name if spec.name else msg("weights.mismatch.unnamed", layers=len(spec.layers), dataset=spec.dataset.name)


def _difference(theirs: Spec, ours: Spec) -> Msg:
    """The first thing that tells the two models apart: the dataset, the layer count, or a layer."""
    a, b = _model_part(theirs), _model_part(ours)
    if a["dataset"] != b["dataset"]:
        return msg("weights.mismatch.dataset", theirs=_describe(a["dataset"], "name"), ours=_describe(b["dataset"], "name"))
    for i, (x, y) in enumerate(zip(a["layers"], b["layers"])):
        if x != y:
            return msg("weights.mismatch.layer", index=i, theirs=_describe(x, "type"), ours=_describe(y, "type"))
    return msg("weights.mismatch.layer_count", theirs=len(a["layers"]), ours=len(b["layers"]))


def _describe(entry: dict[str, Any], tag: str) -> str:
    """`Linear(out_features=32)`: the kind and its arguments, as the spec writes them (nested layers by count)."""
    args = ", ".join(f"{k}={len(v) if k == 'layers' else v!r}" for k, v in entry.items() if k != tag and v is not None)
    return f"{entry[tag]}({args})"


def _place(analysis: Analysis, tensor: str) -> Msg:
    """'layer 2 (Linear)': the top-level layer a state-dict name belongs to."""
    head = tensor.split(".", 1)[0]
    if head.isdigit() and int(head) < len(analysis.layers):
        info = analysis.layers[int(head)]
        return layer_place(info.path, info.type)
    return msg("weights.mismatch.no_layer")


def model_with(analysis: Analysis, state: dict[str, torch.Tensor]) -> torch.nn.Module:
    """The spec's model holding `state` (checked by `state_for`), in eval mode."""
    model = build_model(analysis)
    model.load_state_dict(state)
    return model.eval()


# ---------------------------------------------------------------- what the weights achieve
def evaluate(analysis: Analysis, state: dict[str, torch.Tensor], dataset: Dataset | None = None) -> tuple[float, float | None]:
    """Test loss and accuracy (None for regression) of the weights, computed as training computes them."""


    trainer = Trainer(analysis, dataset)
    trainer.model.load_state_dict(state)
    return trainer.evaluate(trainer.data.x_test, trainer.data.y_test)
