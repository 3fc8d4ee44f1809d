"""What a typed spec builds: every layer's output shape, parameters and multiply-adds, asked of PyTorch itself.

`analyze` runs each layer on the meta device (no memory, no time) and reports every problem as one sentence
that names the layer as its card does ("layer 2.1 (Linear)"), what it got, and the fix.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

import torch
from pydantic import TypeAdapter
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from playground import modules
from playground.datasets import PER_TOKEN_TASKS, UPLOAD, Dataset, DatasetError, load_dataset
from playground.i18n import msg
from playground.layers import LAYERS, Call, Need, format_shape
from playground.losses import LOSSES, required_outputs, task_problem
from playground.optimizers import optimizer_problem
from playground.spec import (Entry, LossChoice, OptimizerChoice, Problem, Spec, SpecError, at, from_data, layer_index, layer_place,
                             where)

MAX_PARAMS = 5_000_000
NAMESPACE = {"nn": nn, **{k: getattr(modules, k) for k in dir(modules) if isinstance(getattr(modules, k), type)}}


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
        return where(self.path)

    @property
    def index(self) -> str:
        """'3', or '2.1' inside a Residual: the number on the layer's card."""
        return layer_index(self.path)

    @property
    def label(self) -> str:
        """'3 Conv2d': how plots and gradient records name a layer."""
        return f"{self.index} {self.type}"


@dataclass
class Analysis:
    spec: Spec
    dataset: Dataset | None
    layers: list[LayerInfo]  # the top-level layers that PyTorch could build, in order
    problems: list[Problem]
    warnings: list[Problem]
    loss: Entry  # the spec's loss, or the task's default
    optimizer: Entry
    training: Entry
    found: dict[tuple[int, ...], LayerInfo] = field(default_factory=dict)  # every layer that built, nested ones too

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

    def all_layers(self) -> Iterator[LayerInfo]:
        """Every built layer, depth first (a Residual, then its inner layers)."""
        stack = list(reversed(self.layers))
        while stack:
            info = stack.pop()
            yield info
            stack.extend(reversed(info.children))

    def problems_at(self, path: tuple[int, ...]) -> list[Problem]:
        return [p for p in self.problems + self.warnings if p.path == path]

    def raise_if_invalid(self) -> "Analysis":
        if self.problems:
            raise SpecError(self.problems)
        return self


def default_loss(task: str) -> Entry:
    return _choice(LossChoice, {"type": "MSELoss" if task == "regression" else "CrossEntropyLoss"})


def _choice(annotation: Any, data: dict[str, Any]) -> Entry:
    return TypeAdapter(annotation).validate_python(data)


# The first shape check imports and warms up much of PyTorch (torch._dynamo, sympy: seconds on a busy machine,
# some 100,000 objects), which would otherwise land on the first user's first edit or run.
WARM_UP = {"dataset": {"name": "digits"}, "layers": [{"type": "Conv2d", "out_channels": 2, "kernel_size": 3},
                                                     {"type": "Flatten"}, {"type": "Linear", "out_features": 10}]}


def warm_up() -> None:
    """Run one small shape check now, so that PyTorch's lazily imported parts are loaded before anyone waits."""
    analyze(from_data(WARM_UP))


def analyze(spec: Spec, dataset: Dataset | None = None) -> Analysis:
    """Check a typed spec completely; never raises. Pass `dataset` for an uploaded table."""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    if dataset is None:
        dataset = _load_dataset(spec.dataset, problems)
    loss = spec.loss or default_loss(dataset.task if dataset else "multiclass")
    optimizer = spec.optimizer or _choice(OptimizerChoice, {"type": "Adam"})
    if (m := optimizer_problem(optimizer.type, optimizer.args())) is not None:
        problems.append(Problem("optimizer", at(msg("spec.place.entry", section="optimizer", kind=optimizer.type), m)))
    if not spec.layers:
        problems.append(Problem("layers", at(msg("spec.place.section", section="layers"), msg("analysis.no_layers"))))
    walk = _Walk(dataset, problems)
    infos, out_shape = walk.layers(spec.layers, (), dataset.input_shape if dataset else None,
                                   dataset.input_kind if dataset else "float")
    if dataset is not None and out_shape is not None and infos:
        _check_output(infos, out_shape, dataset, loss.type, problems, warnings)
    total = sum(i.params for i in infos)
    if total > MAX_PARAMS:
        problems.append(Problem("layers", at(msg("spec.place.section", section="layers"),
                                             msg("analysis.too_many_params", count=total, limit=MAX_PARAMS))))
    batch = spec.training.batch_size
    if dataset is not None and not problems and batch > dataset.n_train:
        warnings.append(Problem("training", at(msg("spec.place.section", section="training"),
                                               msg("analysis.batch_too_big", batch=batch, n=dataset.n_train))))
    return Analysis(spec, dataset, infos, problems, warnings, loss, optimizer, spec.training, walk.found)


def _load_dataset(choice: Entry, problems: list[Problem]) -> Dataset | None:
    place = msg("spec.place.entry", section="dataset", kind=choice.name)
    if choice.name == UPLOAD:
        problems.append(Problem("dataset", at(place, msg("analysis.upload_missing"))))
        return None
    try:
        return load_dataset(choice.name, **choice.args())
    except DatasetError as e:
        problems.append(Problem("dataset", at(place, e.msg)))
        return None


class _Walk:
    """Infers shapes layer by layer; after a layer fails, the layers after it have no known input."""

    def __init__(self, dataset: Dataset | None, problems: list[Problem]):
        self.vocab = dataset.vocab_size if dataset else None
        self.task = dataset.task if dataset else None
        self.problems = problems
        self.found: dict[tuple[int, ...], LayerInfo] = {}

    def layers(self, layers: list[Entry], prefix: tuple[int, ...], shape, kind: str):
        infos: list[LayerInfo] = []
        for i, layer in enumerate(layers):
            if shape is None:
                break
            info = self.layer(layer, prefix + (i,), shape, kind)
            if info is None:
                return infos, None
            infos.append(info)
            self.found[info.path] = info
            shape, kind = info.out_shape, "float"
        return infos, shape

    def layer(self, layer: Entry, path: tuple[int, ...], shape: tuple[int, ...], kind: str) -> LayerInfo | None:
        d = LAYERS[layer.type]
        values = layer.args()
        need = _token_need(d, kind, shape) or (d.check(shape, values) if d.check is not None else None)
        if need is None:
            need = self._causal_need(values)
        if need is not None:
            return self._fail(path, layer.type, need.message, need.fix)
        children: list[LayerInfo] = []
        if d.has_inner:
            children, inner_out = self.layers(layer.layers, path, shape, kind)
            if inner_out is None:
                return None  # the guilty inner layer has said why
            if inner_out != shape:
                return self._fail(path, layer.type, msg("analysis.residual_shape", shape=format_shape(shape),
                                                        out=format_shape(inner_out), features=shape[-1]))
            call = Call("Residual", tuple(c.call for c in children))
        else:
            call = d.make(shape, values, self.vocab)
        try:
            out_shape, n_params, macs = _run_on_meta(call, shape, kind)
        except Exception as e:  # PyTorch's own refusal, turned into one sentence
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            return self._fail(path, layer.type, msg("analysis.pytorch_refused", shape=format_shape(shape), reason=first[:200]))
        return LayerInfo(path, layer.type, values, shape, out_shape, n_params, macs, call, children)

    def _causal_need(self, values: dict[str, Any]) -> Need | None:
        """Next-token prediction must not let a position see the character it predicts."""
        if self.task != "next_token" or not (values.get("causal") is False or values.get("bidirectional") is True):
            return None
        arg, val = ("causal", True) if "causal" in values else ("bidirectional", False)
        shown = "true" if val else "false"
        return Need(msg("analysis.next_token_causal", arg=arg, value=shown),
                    {"label": msg("layers.fix.set", arg=arg, value=shown), "op": "set", "arg": arg, "value": val})

    def _fail(self, path, ltype, problem, fix=None) -> None:
        self.problems.append(Problem(where(path), at(layer_place(path, ltype), problem), path, fix))
        return None


def _token_need(d, kind: str, shape: tuple[int, ...]) -> Need | None:
    if kind == "tokens" and not d.accepts_tokens and not d.passes_tokens:
        return Need(msg("analysis.tokens_need_embedding", shape=format_shape(shape)),
                    {"label": msg("layers.fix.insert", type="Embedding"), "op": "insert_before",
                     "layer": {"type": "Embedding", "embedding_dim": 32}})
    if d.accepts_tokens and kind != "tokens":
        return Need(msg("analysis.embedding_needs_tokens", shape=format_shape(shape)))
    return None


def _run_on_meta(call: Call, shape: tuple[int, ...], kind: str) -> tuple[tuple[int, ...], int, int]:
    """Build the layer on the meta device and let PyTorch say what comes out, how many parameters, how many MACs.

    Remembered per constructor call and input: they depend on nothing else, and an LSTM over a long sequence
    takes the meta device seconds to count (a pure function's results, shared by every session like the code).
    """
    key = (repr(call), shape, kind)
    if key not in _META_RESULTS:
        if len(_META_RESULTS) >= 4096:
            _META_RESULTS.clear()
        _META_RESULTS[key] = _count_on_meta(call, shape, kind)
    return _META_RESULTS[key]


_META_RESULTS: dict[tuple, tuple[tuple[int, ...], int, int]] = {}


def _count_on_meta(call: Call, shape: tuple[int, ...], kind: str) -> tuple[tuple[int, ...], int, int]:
    with torch.device("meta"):
        module = call.build(NAMESPACE)
        module.eval()
        x = torch.zeros((1, *shape), dtype=torch.long if kind == "tokens" else torch.float32)
        with FlopCounterMode(display=False) as counter:
            y = module(x)
    return tuple(y.shape[1:]), sum(p.numel() for p in module.parameters()), counter.get_total_flops() // 2


def _check_output(infos: list[LayerInfo], out_shape, ds: Dataset, loss_type: str, problems, warnings) -> None:
    """The model's last shape against what the loss needs on this task; then the loss's own advice."""
    place = msg("spec.place.section", section="loss")
    if (m := task_problem(loss_type, ds.task)) is not None:
        problems.append(Problem("loss", at(place, m)))
        return
    last = infos[-1]
    width = _output_width(infos, out_shape, ds, problems)
    if width is None:
        return
    allowed = required_outputs(loss_type, ds.task, ds.num_classes, ds.target_dim)
    if width not in allowed:
        problems.append(_width_problem(infos, ds, loss_type, width, allowed[0]))
        return
    d = LOSSES[loss_type]
    if d.includes is not None and last.type == d.includes:
        warnings.append(Problem(last.where, at(layer_place(last.path, last.type), msg("analysis.loss_includes", loss=loss_type, layer=last.type)),
                                last.path, {"label": msg("layers.fix.remove", type=last.type), "op": "remove"}))
    if d.needs_last is not None and last.type != d.needs_last:
        warnings.append(Problem("loss", at(place, msg("analysis.loss_needs_last", loss=loss_type, layer=d.needs_last)), last.path,
                                {"label": msg("layers.fix.append", type=d.needs_last), "op": "insert_after",
                                 "layer": {"type": d.needs_last, "dim": -1}}))


def _output_width(infos: list[LayerInfo], out_shape, ds: Dataset, problems: list[Problem]) -> int | None:
    last = infos[-1]
    place = msg("spec.place.section", section="loss")
    if ds.task in PER_TOKEN_TASKS:
        if len(out_shape) == 2:
            return out_shape[-1]
        problems.append(Problem("loss", at(place, msg("analysis.per_token_shape", classes=ds.num_classes, seq_len=ds.input_shape[0],
                                                      shape=format_shape(out_shape))), last.path))
        return None
    if len(out_shape) == 1:
        return out_shape[0]
    fix = None
    if last.type == "Linear":
        ltype = "SequencePool" if len(last.in_shape) == 2 else "Flatten"
        layer = {"type": "SequencePool", "mode": "mean"} if ltype == "SequencePool" else {"type": "Flatten"}
        fix = {"label": msg("layers.fix.insert", type=ltype), "op": "insert_before", "layer": layer}
    what = msg("analysis.a_classifier" if ds.is_classification else "analysis.a_regression")
    problems.append(Problem("loss", at(place, msg("analysis.not_a_vector", shape=format_shape(out_shape), what=what)), last.path, fix))
    return None


def _width_problem(infos: list[LayerInfo], ds: Dataset, loss_type: str, width: int, want: int) -> Problem:
    linear = next((i for i in reversed(infos) if i.type == "Linear"), None)
    unit = msg("analysis.per_token" if ds.task in PER_TOKEN_TASKS else "analysis.per_sample")
    if ds.task not in ("binary", "multiclass", *PER_TOKEN_TASKS):
        reason = msg("analysis.outputs_target", count=want, unit=unit)
    elif want == 1:
        reason = msg("analysis.outputs_one", unit=unit)
    else:
        reason = msg("analysis.outputs_classes", count=want, unit=unit)
    fix, hint = None, ""
    if linear is not None:
        fix = {"label": msg("layers.fix.set", arg="out_features", value=want), "op": "set", "arg": "out_features",
               "value": want, "path": list(linear.path)}
        hint = msg("analysis.hint_out_features", want=want)
    if loss_type == "BCEWithLogitsLoss":
        hint = msg("analysis.hint_bce")
    sentence = msg("analysis.wrong_width", loss=loss_type, reason=reason, got=width, hint=hint)
    return Problem("loss", at(msg("spec.place.section", section="loss"), sentence), linear.path if linear else infos[-1].path, fix)
