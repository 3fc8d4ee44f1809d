"""What crosses between the server and a worker process: plain data, tensors and safetensors bytes.

Nothing a user wrote travels as a Python object of theirs: the spec goes as its JSON text and passes the
typed door (`playground.spec.from_data`) and the analysis again in the worker, an uploaded dataset as its tensors and plain fields, weights come back
as safetensors bytes, and messages as catalog keys with their values.

Server → worker: ("start", job_id, Start), ("pause" | "resume" | "step" | "stop", job_id),
("lr", job_id, value), ("weights", job_id, request_id), ("exit",).
Worker → server: ("progress", job_id, Progress), ("ended", job_id, Progress), ("weights", job_id, request_id, step, bytes | None).
"""
from __future__ import annotations

import dataclasses
from typing import Any, TypedDict

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from playground.datasets import Dataset
from playground.i18n import Msg, msg
from playground.training.trainer import EpochRecord


class Start(TypedDict):
    spec: str  # the spec's JSON text
    dataset: dict[str, Any] | None  # an uploaded dataset (built-in ones are rebuilt from the spec)
    paused: bool
    steps: int  # single steps wanted right away (the Step button on a job not yet started)
    lr: float | None  # a learning rate set before the start
    weights: bytes | None  # safetensors bytes to start from (weights loaded from a file), else the seed's


class Progress(TypedDict, total=False):
    status: str  # running | paused | finished | stopped | diverged | failed
    step: int
    epoch: int
    losses: list[float]  # batch losses since the last report
    records: list[dict[str, Any]]  # epoch records since the last report
    elapsed: float  # wall seconds while not paused
    lr: float
    lr_steps: list[int]  # where learning-rate changes took effect since the last report
    message: dict[str, Any] | None  # on "ended": what the page says (msg_payload)
    warning: dict[str, Any] | None  # on "ended": the run did not learn
    weights: bytes | None  # on "ended": the final weights


def encode_weights(model: torch.nn.Module) -> bytes:
    # clone: safetensors refuses tensors that share memory, and views of a bigger buffer
    return st_save({k: v.detach().clone().contiguous() for k, v in model.state_dict().items()})


def decode_weights(data: bytes) -> dict[str, torch.Tensor]:
    return st_load(data)


def dataset_payload(ds: Dataset) -> dict[str, Any]:
    return {f.name: getattr(ds, f.name) for f in dataclasses.fields(ds)}


def dataset_from_payload(payload: dict[str, Any]) -> Dataset:
    return Dataset(**payload)


def record_payload(r: EpochRecord) -> dict[str, Any]:
    return dataclasses.asdict(r)


def record_from_payload(d: dict[str, Any]) -> EpochRecord:
    return EpochRecord(**d)


def msg_payload(m: Msg | None) -> dict[str, Any] | None:
    """A message as plain data: {"key": ..., "args": {...}}, nested messages likewise."""
    if m is None:
        return None
    return {"key": m.key, "args": {k: msg_payload(v) if isinstance(v, Msg) else v for k, v in m.kwargs.items()}}


def msg_from_payload(d: dict[str, Any] | None) -> Msg | None:
    if d is None:
        return None
    return msg(d["key"], **{k: msg_from_payload(v) if isinstance(v, dict) else v for k, v in d["args"].items()})
