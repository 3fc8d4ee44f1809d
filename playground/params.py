"""Typed parameter declarations shared by every registry (layers, datasets, losses, optimizers, training).

A `Param` is what the spec's pydantic models validate with and what the UI turns into a widget: one entry,
two readers. Its `help` is a catalog key; every refusal is a `Msg` naming the parameter and what it got.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from playground.i18n import Msg, msg, t

Kind = Literal["int", "float", "bool", "choice", "choice_list", "int_list"]
_TYPES = {"int": int, "float": float, "bool": bool, "int_list": list[int]}


@dataclass(frozen=True)
class Param:
    """One argument: its kind, default, range or choices, and the catalog key of its one-line help."""

    name: str
    kind: Kind
    default: Any
    help: str = ""  # catalog key
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] = ()
    log: bool = False  # a log-scale input suits learning rates and decays
    optional: bool = False  # None (empty) is allowed, e.g. a pooling stride or gradient clipping
    step: float | None = None

    @property
    def help_text(self) -> str:
        return t(self.help) if self.help else ""

    def check(self, value: Any) -> Msg | None:
        """A sentence saying what is wrong with `value`, or None when it is acceptable as it is."""
        if value is None:
            return None if self.optional else msg("spec.param.needs_value", name=self.name)
        if self.kind == "bool":
            return None if isinstance(value, bool) else msg("spec.param.bool", name=self.name, got=show(value))
        if self.kind == "choice":
            if value in self.choices:
                return None
            return msg("spec.param.choice", name=self.name, options=", ".join(map(str, self.choices)), got=show(value))
        if self.kind == "int_list":
            return self._check_list(value)
        if self.kind == "choice_list":
            return self._check_choices(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return msg("spec.param.whole_number" if self.kind == "int" else "spec.param.number", name=self.name, got=show(value))
        if isinstance(value, float) and not math.isfinite(value):
            return msg("spec.param.finite", name=self.name, got=show(value))
        if self.kind == "int" and not float(value).is_integer():
            return msg("spec.param.whole_number", name=self.name, got=show(value))
        if self.min is not None and value < self.min:
            return msg("spec.param.at_least", name=self.name, min=number(self.min), got=number(value))
        if self.max is not None and value > self.max:
            return msg("spec.param.at_most", name=self.name, max=number(self.max), got=number(value))
        return None

    def _check_list(self, value: Any) -> Msg | None:
        if not isinstance(value, list) or not 1 <= len(value) <= 4:
            return msg("spec.param.int_list", name=self.name, got=show(value))
        for v in value:
            if isinstance(v, bool) or not isinstance(v, int) or (v < 1 and v != -1):
                return msg("spec.param.int_list_entry", name=self.name, got=show(v))
        if value.count(-1) > 1:
            return msg("spec.param.int_list_inferred", name=self.name)
        return None

    def _check_choices(self, value: Any) -> Msg | None:
        options = ", ".join(map(str, self.choices))
        if not isinstance(value, list) or not value or len(set(map(repr, value))) != len(value):
            return msg("spec.param.choice_list", name=self.name, options=options, got=show(value))
        bad = next((v for v in value if v not in self.choices), None)
        if bad is not None:
            return msg("spec.param.choice", name=self.name, options=options, got=show(bad))
        return None

    def coerce(self, value: Any) -> Any:
        """Normalise an accepted value (a JSON 3.0 for an int parameter becomes 3)."""
        if self.kind == "int" and isinstance(value, float):
            return int(value)
        if self.kind == "float" and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value

    def validate(self, value: Any) -> Any:
        """The pydantic validator: the coerced value, or a refusal whose type is the catalog key."""
        problem = self.check(value)
        if problem is not None:
            raise PydanticCustomError(problem.key, problem.key, problem.kwargs)
        return self.coerce(value)

    def annotation(self) -> Any:
        """The pydantic type of this parameter: our own check first, then the plain Python type."""
        base = Literal[self.choices] if self.kind == "choice" else list[Literal[self.choices]] if self.kind == "choice_list" else _TYPES[self.kind]
        if self.optional:
            base = base | None
        return Annotated[base, BeforeValidator(self.validate)]


def number(v: float) -> str:
    """A number as a learner writes it: 1, 0.5, 1e-06."""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:g}" if isinstance(v, float) else str(v)


def show(v: Any, limit: int = 40) -> str:
    """A value from a spec as JSON writes it, shortened: never more than `limit` characters of user text."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, float) and math.isfinite(v):
        return number(v)
    text = repr(v)
    return text if len(text) <= limit else text[:limit - 3] + "..."


@dataclass(frozen=True)
class ParamSet:
    """An ordered set of parameters (a registry entry's arguments)."""

    params: tuple[Param, ...] = field(default_factory=tuple)

    def __iter__(self):
        return iter(self.params)

    def __len__(self) -> int:
        return len(self.params)

    def get(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def names(self) -> list[str]:
        return [p.name for p in self.params]

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def fields(self) -> dict[str, Any]:
        """pydantic field definitions (`create_model` style): each parameter with its default."""
        return {p.name: (p.annotation(), p.default) for p in self.params}

    def resolve(self, args: dict[str, Any]) -> tuple[dict[str, Any], list[Msg]]:
        """Merge `args` over the defaults; return (values, problems) for callers outside a spec (tests, lessons)."""
        problems: list[Msg] = []
        values = self.defaults()
        for key, value in args.items():
            p = self.get(key)
            if p is None:
                problems.append(msg("spec.param.unknown", name=repr(key), known=", ".join(self.names()) or "—"))
            elif (err := p.check(value)) is not None:
                problems.append(err)
            else:
                values[key] = p.coerce(value)
        return values, problems
