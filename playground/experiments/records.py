"""A run record — a finished, stopped or diverged run kept for comparison — and its JSON file.

A record holds the run's typed spec, its per-epoch curves, final numbers, wall time, parameter count and,
while the session's memory budget allows, its weights as safetensors bytes. The file format is JSON only:
an uploaded file passes size limits, then pydantic models with limits, then the spec's own typed door, and
its weights (base64 safetensors, never pickle) must fit the model its spec builds.
"""
from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from safetensors import SafetensorError
from safetensors.torch import load as st_load

from playground.analysis import Analysis
from playground.i18n import Msg, msg
from playground.model import build_model
from playground.spec import Spec, SpecError, from_data

FORMAT = "playground-run"
MAX_RUN_BYTES = 5_000_000  # the server's upload limit (.streamlit/config.toml)
MAX_NAME = 80
MAX_EPOCHS = 1000  # the training registry's largest epoch count
STATUSES = ("finished", "stopped", "diverged")
Number = Annotated[float, Field(allow_inf_nan=False)]


class EpochPoint(BaseModel):
    """One epoch of a run's curves."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    epoch: int = Field(ge=1, le=MAX_EPOCHS)
    seconds: Number = Field(ge=0)
    train_loss: Number
    test_loss: Number
    train_accuracy: Number | None = Field(default=None, ge=0, le=1)
    test_accuracy: Number | None = Field(default=None, ge=0, le=1)
    lr: Number = Field(default=0.0, ge=0)


class RunFile(BaseModel):
    """The JSON document of one run (everything but the spec, which passes playground.spec's door)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    format: Literal["playground-run"]
    version: Literal[1]
    name: str = Field(min_length=1, max_length=MAX_NAME)
    status: Literal["finished", "stopped", "diverged"]
    epochs: list[EpochPoint] = Field(max_length=MAX_EPOCHS)
    total_epochs: int = Field(ge=1, le=MAX_EPOCHS)
    wall_seconds: Number = Field(ge=0, le=1e7)
    params: int = Field(ge=0, le=10**9)
    weights: str | None = Field(default=None, max_length=MAX_RUN_BYTES)


@dataclass(frozen=True)
class RunRecord:
    """One kept run. `id` names it in this session only; `weights` are safetensors bytes or None (not kept)."""

    id: str
    name: str
    spec: Spec
    status: str
    epochs: tuple[EpochPoint, ...]
    total_epochs: int
    wall_seconds: float
    params: int
    weights: bytes | None = None

    @property
    def last(self) -> EpochPoint | None:
        return self.epochs[-1] if self.epochs else None

    def without_weights(self) -> "RunRecord":
        return replace(self, weights=None)


class RunFileError(ValueError):
    """An uploaded run file that cannot be read; `msg` says why in one sentence."""

    def __init__(self, message: Msg):
        super().__init__(message.key)
        self.msg = message


def points(records: list[Any]) -> tuple[EpochPoint, ...]:
    """EpochRecords (or anything with their fields) as curve points; epochs with a non-finite number are left out."""
    out = []
    for r in records:
        values = (r.seconds, r.train_loss, r.test_loss, r.lr, r.train_accuracy or 0.0, r.test_accuracy or 0.0)
        if all(math.isfinite(v) for v in values):
            out.append(EpochPoint(epoch=r.epoch, seconds=max(0.0, r.seconds), train_loss=r.train_loss, test_loss=r.test_loss,
                                  train_accuracy=r.train_accuracy, test_accuracy=r.test_accuracy, lr=max(0.0, r.lr)))
    return tuple(out)


def to_json(record: RunRecord, with_weights: bool = True) -> str:
    """The run as its JSON file; weights go along (base64 safetensors) when kept, asked for, and the file stays in the limit."""
    doc = {"format": FORMAT, "version": 1, "name": record.name, "status": record.status, "spec": record.spec.to_dict(),
           "epochs": [p.model_dump(exclude_none=True) for p in record.epochs], "total_epochs": record.total_epochs,
           "wall_seconds": round(record.wall_seconds, 3), "params": record.params, "weights": None}
    if with_weights and record.weights is not None and len(record.weights) * 4 // 3 + 100_000 < MAX_RUN_BYTES:
        doc["weights"] = base64.b64encode(record.weights).decode()
    return json.dumps(doc, ensure_ascii=False, indent=1)


def parse_run(data: bytes, record_id: str) -> RunRecord:
    """A run file as a record, or RunFileError with one sentence: size, JSON, fields, spec, then weights."""
    if len(data) > MAX_RUN_BYTES:
        raise RunFileError(msg("compare.file.too_big", limit=MAX_RUN_BYTES // 1_000_000))
    try:
        doc = json.loads(data, parse_constant=_refuse)
    except (UnicodeDecodeError, ValueError):
        raise RunFileError(msg("compare.file.not_json")) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise RunFileError(msg("compare.file.not_a_run"))
    try:
        spec = from_data(doc.pop("spec", None))
    except SpecError as e:
        raise RunFileError(msg("compare.file.bad_spec", problem=e.problems[0].msg)) from None
    try:
        head = RunFile.model_validate(doc)
    except ValidationError as e:
        err = e.errors(include_url=False)[0]
        field = ".".join(str(p) for p in err["loc"]) or "format"
        raise RunFileError(msg("compare.file.bad_field", field=field[:60])) from None
    weights = _weights(head.weights) if head.weights is not None else None
    return RunRecord(record_id, head.name, spec, head.status, tuple(head.epochs), head.total_epochs, head.wall_seconds,
                     head.params, weights)


def _refuse(name: str) -> None:
    raise ValueError(name)


def _weights(text: str) -> bytes:
    """Base64 safetensors bytes, checked to be readable (safetensors never runs code; shapes are checked on use)."""
    try:
        raw = base64.b64decode(text, validate=True)
        st_load(raw)
    except (binascii.Error, ValueError, SafetensorError):
        raise RunFileError(msg("compare.file.bad_weights")) from None
    return raw


def weights_fit(weights: bytes, model: torch.nn.Module) -> bool:
    """True when the safetensors bytes hold exactly the model's tensors, each with its shape."""
    tensors, state = st_load(weights), model.state_dict()
    return tensors.keys() == state.keys() and all(tensors[k].shape == state[k].shape for k in state)


def trained_model(record: RunRecord, analysis: Analysis) -> torch.nn.Module | None:
    """The record's model with its kept weights (eval mode); None when weights were not kept or do not fit."""
    if record.weights is None or not analysis.ok:
        return None
    model = build_model(analysis)
    if not weights_fit(record.weights, model):
        return None
    model.load_state_dict(st_load(record.weights))
    return model.eval()
