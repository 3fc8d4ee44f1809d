"""Typed parameter declarations shared by every registry (layers, datasets, losses, optimizers).

A `Param` is what the validator checks and what the UI turns into a widget: one entry, two readers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["int", "float", "bool", "choice", "int_list"]


@dataclass(frozen=True)
class Param:
    """One argument: its kind, default, range or choices, and a one-line help text."""

    name: str
    kind: Kind
    default: Any
    help: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] = ()
    log: bool = False  # a log-scale slider suits learning rates and decays
    optional: bool = False  # None is allowed (e.g. LR schedule's step_size)
    step: float | None = None

    def check(self, value: Any) -> str | None:
        """Return a sentence saying what is wrong with `value`, or None when it is acceptable."""
        if value is None and self.optional:
            return None
        if self.kind == "bool":
            return None if isinstance(value, bool) else f"{self.name} must be true or false (got {_show(value)})"
        if self.kind == "choice":
            if value in self.choices:
                return None
            opts = ", ".join(str(c) for c in self.choices)
            return f"{self.name} must be one of {opts} (got {_show(value)})"
        if self.kind == "int_list":
            if not isinstance(value, list) or not value or len(value) > 4:
                return f"{self.name} must be a list of 1 to 4 whole numbers (got {_show(value)})"
            for v in value:
                if isinstance(v, bool) or not isinstance(v, int) or (v < 1 and v != -1):
                    return f"{self.name} entries must be positive whole numbers or -1 (got {_show(v)})"
            if value.count(-1) > 1:
                return f"{self.name} may contain -1 at most once"
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            what = "a whole number" if self.kind == "int" else "a number"
            return f"{self.name} must be {what} (got {_show(value)})"
        if isinstance(value, float) and not math.isfinite(value):
            return f"{self.name} must be a finite number (got {value})"
        if self.kind == "int" and not isinstance(value, int) and not float(value).is_integer():
            return f"{self.name} must be a whole number (got {_show(value)})"
        if self.min is not None and value < self.min:
            return f"{self.name} must be at least {_num(self.min)} (got {_num(value)})"
        if self.max is not None and value > self.max:
            return f"{self.name} must be at most {_num(self.max)} (got {_num(value)})"
        return None

    def coerce(self, value: Any) -> Any:
        """Normalise an accepted value (a JSON 3.0 for an int parameter becomes 3)."""
        if self.kind == "int" and isinstance(value, float):
            return int(value)
        if self.kind == "float" and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value


def _num(v: float) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:g}"


def _show(v: Any) -> str:
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass(frozen=True)
class ParamSet:
    """An ordered set of parameters; validates a dict of arguments against them."""

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

    def resolve(self, args: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """Merge `args` over the defaults; return (values, problems) with one sentence per problem."""
        problems: list[str] = []
        values = self.defaults()
        for key, value in args.items():
            p = self.get(key)
            if p is None:
                known = ", ".join(self.names()) or "none"
                problems.append(f"unknown argument {key!r} (known: {known})")
                continue
            err = p.check(value)
            if err:
                problems.append(err)
            else:
                values[key] = p.coerce(value)
        return values, problems
