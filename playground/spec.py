"""The spec: one JSON document describing dataset, layers, loss, optimizer and training, typed at the door.

Every spec — from a link, an upload, the CLI or a template — enters through `parse_spec` (text) or
`from_data` (parsed JSON): limits are checked before any work, then pydantic models built from the
registries turn it into a frozen `Spec`, or raise `SpecError` with one sentence per problem naming the field.
Nothing else reads a spec's raw JSON.
"""
from __future__ import annotations

import base64
import binascii
import difflib
import json
import math
import zlib
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model
from pydantic_core import PydanticCustomError

from playground.datasets import DATASETS, UPLOAD
from playground.i18n import Msg, msg
from playground.layers import LAYERS
from playground.losses import LOSSES
from playground.optimizers import OPTIMIZERS, TRAINING_PARAMS
from playground.params import ParamSet, show

MAX_SPEC_BYTES = 1_000_000
MAX_DEPTH = 24  # JSON nesting: objects and lists together (a layer inside a Residual is two levels deeper)
MAX_RESIDUAL_DEPTH = 4
MAX_LAYERS = 200
MAX_NAME = 200
MAX_DESCRIPTION = 2_000
SECTIONS = ("name", "description", "version", "dataset", "layers", "loss", "optimizer", "training")


@dataclass
class Problem:
    """One thing wrong with a spec: a full sentence, where it is, and an optional one-click fix."""

    where: str  # "layers[3]", "layers[2].layers[0]", "loss", "optimizer", "dataset", "training", "spec"
    msg: Msg
    path: tuple[int, ...] | None = None  # the layer's position when the problem belongs to a layer
    fix: dict[str, Any] | None = None  # {"label": Msg, "op": ..., ...}

    @property
    def message(self) -> str:
        return str(self.msg)

    def __str__(self) -> str:
        return self.message


class SpecError(ValueError):
    """Raised with every problem found; str() is the first one, a single clear line."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(problems[0].msg.key if problems else "invalid spec")

    def __str__(self) -> str:
        return self.problems[0].message if self.problems else "invalid spec"


def layer_index(path: tuple[int, ...]) -> str:
    """How a layer is numbered on its card and in every message: '3', or '2.1' inside a Residual."""
    return ".".join(map(str, path))


def where(path: tuple[int, ...]) -> str:
    return ".".join(f"layers[{i}]" for i in path)


def layer_place(path: tuple[int, ...], ltype: str | None) -> Msg:
    if ltype is None:
        return msg("spec.place.layer_untyped", index=layer_index(path))
    return msg("spec.place.layer", index=layer_index(path), type=ltype)


def at(place: Msg, problem: Msg) -> Msg:
    """'layer 3 (Linear): out_features must be at least 1 (got 0)'."""
    return msg("spec.at", place=place, problem=problem)


# ---------------------------------------------------------------- the typed document
class Entry(BaseModel):
    """A typed section: a layer, the dataset, the loss or the optimizer (its kind plus its arguments)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def args(self) -> dict[str, Any]:
        """The arguments with defaults filled in (everything but the kind, and a Residual's inner layers)."""
        return self.model_dump(exclude={"type", "name", "layers"})


def _entry(tag: str, value: str, params: ParamSet, **extra: Any) -> type[Entry]:
    fields = {tag: (Literal[value], ...), **params.fields(), **extra}
    return create_model(f"{value}_{tag}", __base__=Entry, **fields)


def _union(models: list[type[Entry]], tag: str) -> Any:
    return Annotated[Union[tuple(models)], Field(discriminator=tag)]


_layer_models = [_entry("type", d.type, d.params) for d in LAYERS.values() if not d.has_inner]
_residual = [_entry("type", d.type, d.params, layers=(Annotated[list["Layer"], Field(min_length=1)], ...))
             for d in LAYERS.values() if d.has_inner]
Layer = _union(_layer_models + _residual, "type")
for _m in _residual:
    _m.model_rebuild(_types_namespace={"Layer": Layer})
DatasetChoice = _union([_entry("name", n, d.params) for n, d in DATASETS.items()] + [_entry("name", UPLOAD, ParamSet())], "name")
LossChoice = _union([_entry("type", n, d.params) for n, d in LOSSES.items()], "type")
OptimizerChoice = _union([_entry("type", n, d.params) for n, d in OPTIMIZERS.items()], "type")
Training = create_model("Training", __base__=Entry, **TRAINING_PARAMS.fields())


def _text(limit: int):
    def check(value: Any) -> Any:
        if not isinstance(value, str) or len(value) > limit:
            raise PydanticCustomError("spec.error.text", "", {"limit": limit, "got": show(value)})
        return value

    return BeforeValidator(check)


def _version(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (str, int)) or (isinstance(value, str) and len(value) > 40):
        raise PydanticCustomError("spec.error.version", "", {"got": show(value)})
    return value


class Spec(BaseModel):
    """The whole model as one validated, frozen document."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: Annotated[str | None, _text(MAX_NAME)] = None
    description: Annotated[str | None, _text(MAX_DESCRIPTION)] = None
    version: Annotated[str | int | None, BeforeValidator(_version)] = None
    dataset: DatasetChoice
    layers: list[Layer]
    loss: LossChoice | None = None
    optimizer: OptimizerChoice | None = None
    training: Training = Field(default_factory=Training)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document: what the user and the app wrote, nothing more (defaults stay implicit)."""
        return self.model_dump(mode="json", exclude_unset=True, exclude_none=False)

    def key(self) -> str:
        """A canonical text of the document: equal specs, equal keys."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


# ---------------------------------------------------------------- reading untrusted input
def parse_spec(text: str | bytes) -> Spec:
    """Parse spec text: size and nesting limits first, then JSON, then the typed document."""
    data = text.encode() if isinstance(text, str) else bytes(text)
    if len(data) > MAX_SPEC_BYTES:
        raise _error("spec.error.too_big", size=f"{math.ceil(len(data) / 1e5) / 10:.1f}")  # rounded up: never "1.0 MB over 1 MB"
    if _nesting(data) > MAX_DEPTH:
        raise _error("spec.error.too_deep", depth=MAX_DEPTH)
    try:
        doc = json.loads(data, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise _error("spec.error.not_utf8") from None
    except json.JSONDecodeError as e:
        raise _error("spec.error.not_json", reason=e.msg, line=e.lineno, column=e.colno) from None
    except ValueError:
        raise _error("spec.error.nan") from None
    return from_data(doc)


def _reject_constant(name: str):
    raise ValueError(name)


def _nesting(data: bytes) -> int:
    """The deepest nesting of objects and lists, counted without parsing (so no recursion can overflow)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def from_data(doc: Any) -> Spec:
    """The typed spec for parsed JSON (a link, a file, a template); raises SpecError naming each bad field."""
    if not isinstance(doc, dict):
        raise _error("spec.error.not_object")
    count, depth = _count_layers(doc.get("layers"))
    if depth > MAX_RESIDUAL_DEPTH:
        raise SpecError([Problem("layers", at(msg("spec.place.section", section="layers"),
                                              msg("spec.error.residual_depth", limit=MAX_RESIDUAL_DEPTH)))])
    if count > MAX_LAYERS:
        raise SpecError([Problem("layers", at(msg("spec.place.section", section="layers"),
                                              msg("spec.error.too_many_layers", count=count, limit=MAX_LAYERS)))])
    try:
        return Spec.model_validate(doc)
    except ValidationError as e:
        raise SpecError([_problem(err, doc) for err in e.errors(include_url=False)]) from None


def _count_layers(layers: Any) -> tuple[int, int]:
    """How many layers, nested ones included, and how deep Residuals nest (iteratively)."""
    count = depth = 0
    stack = [(layers, 0)]
    while stack:
        items, level = stack.pop()
        if not isinstance(items, list):
            continue
        for layer in items:
            count += 1
            if isinstance(layer, dict) and isinstance(layer.get("layers"), list):
                depth = max(depth, level + 1)
                stack.append((layer["layers"], level + 1))
    return count, depth


def _error(key: str, **kwargs: Any) -> SpecError:
    return SpecError([Problem("spec", at(msg("spec.place.spec"), msg(key, **kwargs)))])


# ---------------------------------------------------------------- pydantic's errors as sentences
_EXAMPLES = {
    "dataset": '{"name": "spiral"}', "loss": '{"type": "CrossEntropyLoss"}', "optimizer": '{"type": "Adam", "lr": 0.01}',
    "training": '{"epochs": 20}', "layer": '{"type": "Linear", "out_features": 10}',
}
_KINDS = {"dataset": list(DATASETS), "loss": list(LOSSES), "optimizer": list(OPTIMIZERS), "layer": list(LAYERS)}


def _problem(err: dict[str, Any], doc: dict[str, Any]) -> Problem:
    loc = list(err["loc"])
    section = str(loc.pop(0)) if loc else "spec"
    if section == "layers" and loc:
        path, ltype = [], None
        while loc and isinstance(loc[0], int):
            path.append(loc.pop(0))
            ltype = loc.pop(0) if loc and isinstance(loc[0], str) and loc[0] in LAYERS else None
            if loc and loc[0] == "layers" and len(loc) > 1:
                loc.pop(0)
        path = tuple(path)
        ltype = ltype or _raw_type(doc, path)
        return Problem(where(path), at(layer_place(path, ltype), _sentence(err, loc, "layer", ltype)), path)
    if section in ("dataset", "loss", "optimizer") and loc and isinstance(loc[0], str) and loc[0] in _KINDS[section]:
        kind = loc.pop(0)
        place = msg("spec.place.entry", section=section, kind=kind)
        return Problem(section, at(place, _sentence(err, loc, section, kind)))
    if section not in SECTIONS:
        near = difflib.get_close_matches(section, SECTIONS, n=1)
        hint = msg("spec.error.did_you_mean", name=near[0]) if near else msg("spec.error.remove_it")
        return Problem("spec", at(msg("spec.place.spec"), msg("spec.error.unknown_key", name=show(section), hint=hint)))
    return Problem(section if section in SECTIONS else "spec", at(msg("spec.place.section", section=section), _sentence(err, loc, section, None)))


def _raw_type(doc: dict[str, Any], path: tuple[int, ...]) -> str | None:
    """The type the raw document gives a layer (when the typed path did not carry it)."""
    node: Any = doc
    for i in path:
        node = node.get("layers") if isinstance(node, dict) else None
        node = node[i] if isinstance(node, list) and i < len(node) else None
    value = node.get("type") if isinstance(node, dict) else None
    return value if isinstance(value, str) and value in LAYERS else None


def _sentence(err: dict[str, Any], loc: list, section: str, kind: str | None) -> Msg:
    """What is wrong, for one pydantic error, in our words."""
    kind_of = "layer" if section == "layers" else section
    etype, ctx, field = err["type"], err.get("ctx") or {}, (str(loc[0]) if loc else None)
    if etype.startswith("spec."):
        return msg(etype, **ctx)
    if etype == "extra_forbidden" and field is not None:
        known = _known_args(section, kind)
        return msg("spec.error.unknown_argument", name=show(field), known=", ".join(known) or "—")
    if etype in ("union_tag_invalid", "union_tag_not_found"):
        return _unknown_kind(kind_of, ctx.get("tag") if etype == "union_tag_invalid" else None)
    if field == "layers" and kind is not None:
        return msg("spec.error.residual_layers")
    if etype == "missing" and section in ("dataset", "layers") and field is None:
        return msg("spec.error.missing_section")
    if section == "layers" and field is None:
        return msg("spec.error.layers_list")
    if field is None:
        return msg("spec.error.section_object", example=_EXAMPLES.get(kind_of, "{}"))
    return msg("spec.error.value", name=field, got=show(err.get("input")))


def _unknown_kind(kind_of: str, tag: Any) -> Msg:
    options = _KINDS[kind_of]
    if not isinstance(tag, str):
        if kind_of == "layer":
            return msg("spec.error.layer_object", example=_EXAMPLES["layer"])
        return msg("spec.error.missing_tag", tag="name" if kind_of == "dataset" else "type", options=", ".join(options))
    near = difflib.get_close_matches(tag, options, n=1)
    hint = msg("spec.error.did_you_mean", name=near[0]) if near else msg("spec.error.choose_from", options=", ".join(options))
    return msg(f"spec.error.unknown_{kind_of}", got=show(tag), hint=hint)


def _known_args(section: str, kind: str | None) -> list[str]:
    if section == "training":
        return TRAINING_PARAMS.names()
    registry = {"layer": LAYERS, "dataset": DATASETS, "loss": LOSSES, "optimizer": OPTIMIZERS}.get(section, {})
    entry = registry.get(kind) if kind else None
    names = entry.params.names() if entry is not None else []
    return names + (["layers"] if section == "layer" and kind and LAYERS[kind].has_inner else [])


# ---------------------------------------------------------------- share links
def encode_link(spec: Spec) -> str:
    """The compact `?spec=` value: 'z.' + URL-safe base64 of zlib-compressed JSON."""
    raw = json.dumps(spec.to_dict(), separators=(",", ":")).encode()
    return "z." + base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


def decode_link(value: str) -> Spec:
    """Read a `?spec=` value: plain URL-safe base64 of the JSON text (padding optional) or our 'z.' form."""
    compressed = value.startswith("z.")
    body = value[2:] if compressed else value
    if len(body) > MAX_SPEC_BYTES * 2:
        raise _link_error("spec.error.too_big", size=f"{len(body) / 1e6:.1f}")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        if compressed:
            inflater = zlib.decompressobj()
            raw = inflater.decompress(raw, MAX_SPEC_BYTES + 1)  # a zlib bomb stops here, after at most 1 MB
            too_long = len(raw) > MAX_SPEC_BYTES or bool(inflater.unconsumed_tail)
            complete = inflater.eof
    except (binascii.Error, ValueError, zlib.error):
        raise _link_error("spec.error.link_damaged") from None
    if compressed and too_long:
        raise _link_error("spec.error.too_big", size="> 1")
    if compressed and not complete:
        raise _link_error("spec.error.link_damaged")
    try:
        return parse_spec(raw)
    except SpecError as e:
        first = e.problems[0]
        if first.where == "spec":  # the link's text itself: say it is the link
            raise _link_error(first.msg.kwargs["problem"].key, **first.msg.kwargs["problem"].kwargs) from None
        raise


def _link_error(key: str, **kwargs: Any) -> SpecError:
    return SpecError([Problem("spec", at(msg("spec.place.link"), msg(key, **kwargs)))])
