"""What differs between two specs, in words: "lr 0.01 → 0.1", "+ Dropout(0.2) after layer 3", "− layer 2 (Tanh)".

Each change is a catalog Msg, rendered in the reader's language where it is shown. Layers are matched by
type (difflib), so an inserted layer reads as one insertion, not as every later layer changed; values are
compared with defaults filled in, so writing a default out is no change. Layer numbers are those the
Build page's cards show.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from pydantic import TypeAdapter

from playground.i18n import Msg, msg
from playground.params import show
from playground.spec import Entry, OptimizerChoice, Spec, layer_index

DEFAULT_OPTIMIZER = {"type": "Adam"}  # what the analysis trains with when a spec names no optimizer


def spec_diff(a: Spec, b: Spec) -> list[Msg]:
    """Every change from `a` to `b`: dataset, layers, loss, optimizer, training; empty when they train the same."""
    changes = _dataset(a.dataset, b.dataset)
    changes += _layers(a.layers, b.layers, ())
    changes += _kind("loss", a.loss, b.loss)
    changes += _optimizer(a.optimizer, b.optimizer)
    changes += _settings(a.training.args(), b.training.args())
    return changes


def _value(v: Any) -> str:
    return show(v)


def _settings(old: dict[str, Any], new: dict[str, Any], section: str | None = None) -> list[Msg]:
    """'lr 0.01 → 0.1' for every argument both have with different values ('loss label_smoothing 0 → 0.1' in a section)."""
    out = []
    for name in old:
        if name in new and old[name] != new[name]:
            values = {"name": name, "old": _value(old[name]), "new": _value(new[name])}
            out.append(msg("compare.diff.in_section", section=msg(f"compare.diff.section.{section}"), **values) if section
                       else msg("compare.diff.setting", **values))
    return out


def _dataset(a: Entry, b: Entry) -> list[Msg]:
    if a.name != b.name:
        return [msg("compare.diff.kind", section=msg("compare.diff.section.dataset"), old=a.name, new=b.name)]
    return _settings(a.args(), b.args(), "dataset")


def _kind(section: str, a: Entry | None, b: Entry | None) -> list[Msg]:
    """A loss (or optimizer) of another kind, or the same kind with other arguments."""
    old = a.type if a is not None else msg("compare.diff.default")
    new = b.type if b is not None else msg("compare.diff.default")
    if a is None or b is None or a.type != b.type:
        return [] if a is None and b is None else [msg("compare.diff.kind", section=msg(f"compare.diff.section.{section}"), old=old, new=new)]
    return _settings(a.args(), b.args(), section)


def _optimizer(a: Entry | None, b: Entry | None) -> list[Msg]:
    """The optimizer's kind, then its arguments as PyTorch names them ('lr 0.01 → 0.1'), whatever the kind."""
    a = a or TypeAdapter(OptimizerChoice).validate_python(DEFAULT_OPTIMIZER)
    b = b or TypeAdapter(OptimizerChoice).validate_python(DEFAULT_OPTIMIZER)
    kind = [msg("compare.diff.kind", section=msg("compare.diff.section.optimizer"), old=a.type, new=b.type)] if a.type != b.type else []
    return kind + _settings(a.args(), b.args())


def describe(layer: Entry) -> str:
    """A layer as its arguments were written: 'Tanh', 'Dropout(0.2)', 'Conv2d(out_channels=8, kernel_size=3)'."""
    args = {k: v for k, v in layer.model_dump(exclude_unset=True).items() if k not in ("type", "layers")}
    if not args:
        return layer.type
    if len(args) == 1:
        return f"{layer.type}({_value(next(iter(args.values())))})"
    return f"{layer.type}({', '.join(f'{k}={_value(v)}' for k, v in args.items())})"


def align(a: list[Entry], b: list[Entry]) -> list[tuple[bool, list[int], list[int]]]:
    """Layers matched by type, as few removed and added as possible (ties go to layers whose arguments agree):
    blocks of (matched, indices in a, indices in b) — one pair when matched, else the gap between two matches."""
    n, m = len(a), len(b)
    best = [[0.0] * (m + 1) for _ in range(n + 1)]  # best[i][j]: the score of aligning a[i:] with b[j:]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            match = 1.0 + 0.5 * (a[i] == b[j]) + best[i + 1][j + 1] if a[i].type == b[j].type else -1.0
            best[i][j] = max(match, best[i + 1][j], best[i][j + 1])
    blocks: list[tuple[bool, list[int], list[int]]] = []
    gap: tuple[list[int], list[int]] = ([], [])
    i = j = 0
    while i < n or j < m:
        if i < n and j < m and a[i].type == b[j].type and best[i][j] == 1.0 + 0.5 * (a[i] == b[j]) + best[i + 1][j + 1]:
            if gap[0] or gap[1]:
                blocks.append((False, *gap))
                gap = ([], [])
            blocks.append((True, [i], [j]))
            i, j = i + 1, j + 1
        elif i < n and (j == m or best[i][j] == best[i + 1][j]):
            gap[0].append(i)
            i += 1
        else:
            gap[1].append(j)
            j += 1
    return blocks + ([(False, *gap)] if gap[0] or gap[1] else [])


def _layers(a: list[Entry], b: list[Entry], path: tuple[int, ...]) -> list[Msg]:
    """Removed, added, retyped and changed layers (see `align`)."""
    out: list[Msg] = []
    edits: list[tuple[str, str, Any, Any, tuple[int, ...]]] = []  # (type, argument, old, new, where in b)
    retyped: dict[tuple[str, str], list[tuple[int, ...]]] = defaultdict(list)
    for matched, ia, ib in align(a, b):
        if matched:
            out += _same_type(a[ia[0]], b[ib[0]], path + (ib[0],), edits)
        elif len(ia) == len(ib):
            for i, j in zip(ia, ib):
                retyped[(a[i].type, b[j].type)].append(path + (j,))
        else:
            out += [msg("compare.diff.removed", index=layer_index(path + (i,)), type=a[i].type) for i in ia]
            out += [_added(b[j], path, j) for j in ib]
    out += [msg("compare.diff.retyped", old=old, new=new, where=_where(places)) for (old, new), places in retyped.items()]
    return _grouped(edits, b, path) + out


def _added(layer: Entry, path: tuple[int, ...], j: int) -> Msg:
    if j == 0:
        return msg("compare.diff.added_first", layer=describe(layer))
    return msg("compare.diff.added", layer=describe(layer), index=layer_index(path + (j - 1,)))


def _same_type(a: Entry, b: Entry, place: tuple[int, ...], edits: list) -> list[Msg]:
    """A layer kept: its changed arguments go to `edits` (grouped later); a Residual's inner layers are compared too."""
    old, new = a.args(), b.args()
    edits += [(a.type, k, old[k], new[k], place) for k in old if k in new and old[k] != new[k]]
    inner_a, inner_b = getattr(a, "layers", None), getattr(b, "layers", None)
    return _layers(inner_a, inner_b, place) if inner_a is not None and inner_b is not None else []


def _grouped(edits: list, b: list[Entry], path: tuple[int, ...]) -> list[Msg]:
    """One line per change: 'layer 2 (Linear) out_features 16 → 32', or for the same change on several layers of a
    type 'hidden Linear out_features 16 → 32' (all of that type but the output layer) or '... (layers 0 and 2)'."""
    groups: dict[tuple, list[tuple[int, ...]]] = defaultdict(list)
    for ltype, name, old, new, place in edits:
        groups[(ltype, name, _value(old), _value(new))].append(place)
    out = []
    for (ltype, name, old, new), places in groups.items():
        values = {"type": ltype, "name": name, "old": old, "new": new}
        if len(places) == 1:
            out.append(msg("compare.diff.layer_arg", index=layer_index(places[0]), **values))
        elif not path and [p[0] for p in places] == [i for i, x in enumerate(b) if x.type == ltype][:-1]:
            out.append(msg("compare.diff.hidden_arg", **values))
        else:
            out.append(msg("compare.diff.layers_arg", where=_where(places), **values))
    return out


def _where(places: list[tuple[int, ...]]) -> Msg:
    if len(places) == 1:
        return msg("compare.diff.at_layer", index=layer_index(places[0]))
    return msg("compare.diff.at_layers", indices=_joined([layer_index(p) for p in places]))


def _joined(items: list[str]) -> Msg:
    """'0, 2 and 4' (English) or '0、2 和 4' (Chinese), chosen when the message is rendered."""
    head: Any = items[0]
    for item in items[1:-1]:
        head = msg("compare.diff.list_sep", head=head, item=item)
    return msg("compare.diff.list_last", head=head, item=items[-1])
