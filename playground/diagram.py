"""The architecture as a Graphviz DOT graph: one box per layer, the tensor shape on every edge."""
from __future__ import annotations

from playground.analysis import Analysis, LayerInfo
from playground.i18n import t
from playground.layers import LAYERS, format_shape
from playground.plots.style import FAMILY_COLORS

SHOWN_ARGS = ("out_features", "out_channels", "kernel_size", "hidden_size", "num_heads", "embedding_dim", "p", "mode", "shape")


def _quote(text: str) -> str:
    """The body of a DOT string: backslashes and quotes escaped, line breaks written as DOT's \\n."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _label(info: LayerInfo) -> str:
    detail = ", ".join(f"{k}={v}" for k, v in info.args.items() if k in SHOWN_ARGS)
    lines = [info.type] + ([detail] if detail else []) + ([t("diagram.params", count=info.params)] if info.params else [])
    return _quote("\n".join(lines))


def to_dot(analysis: Analysis, horizontal: bool = False) -> str:
    """DOT source for st.graphviz_chart; residual connections drawn as dashed skip edges into a ⊕ node."""
    ds = analysis.dataset
    lines = [
        "digraph model {",
        f'  rankdir={"LR" if horizontal else "TB"}; nodesep=0.25; ranksep=0.32; bgcolor="transparent";',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=12, penwidth=0, fontcolor="white", margin="0.18,0.06"];',
        '  edge [fontname="Helvetica", fontsize=11, color="#64748b", fontcolor="#334155", arrowsize=0.7];',
    ]
    in_shape = ds.input_shape if ds else ()
    title = t("diagram.input_tokens" if ds is not None and ds.input_kind == "tokens" else "diagram.input")
    lines.append(f'  input [label="{_quote(title + chr(10) + format_shape(in_shape))}", fillcolor="#0f172a"];')
    counter = [0]
    edges: list[str] = []  # written after every node: an edge inside a cluster would pull its nodes into it

    def node(info: LayerInfo, out: list[str]) -> str:
        counter[0] += 1
        name = f"n{counter[0]}"
        color = FAMILY_COLORS.get(LAYERS[info.type].family, "#64748b")
        out.append(f'  {name} [label="{_label(info)}", fillcolor="{color}"];')
        return name

    def chain(infos: list[LayerInfo], prev: str, prev_shape, out: list[str]) -> tuple[str, tuple]:
        for info in infos:
            if info.children:
                counter[0] += 1
                cluster = [f'  subgraph cluster_{counter[0]} {{ label="{_quote(t("diagram.residual"))}"; style="rounded,dashed"; '
                           'color="#94a3b8"; fontname="Helvetica"; fontsize=11;']
                inner_prev, inner_shape = chain(info.children, prev, prev_shape, cluster)
                counter[0] += 1
                add = f"add{counter[0]}"
                cluster.append(f'  {add} [label="+", shape=circle, fillcolor="#475569", fontsize=16, width=0.35, fixedsize=true];')
                cluster.append("  }")
                out.extend(cluster)
                edges.append(f'  {inner_prev} -> {add} [label=" {format_shape(inner_shape)}"];')
                edges.append(f'  {prev} -> {add} [style=dashed, color="#0f172a", label=" {_quote(t("diagram.skip"))}"];')
                prev, prev_shape = add, info.out_shape
                continue
            name = node(info, out)
            edges.append(f'  {prev} -> {name} [label=" {format_shape(prev_shape)}"];')
            prev, prev_shape = name, info.out_shape
        return prev, prev_shape

    last, last_shape = chain(analysis.layers, "input", in_shape, lines)
    lines.extend(edges)
    if analysis.layers and analysis.ok:
        lines.append(f'  output [label="{_quote(analysis.loss.type)}", shape=note, fillcolor="#e2e8f0", fontcolor="#0f172a"];')
        lines.append(f'  {last} -> output [label=" {format_shape(last_shape)}"];')
    lines.append("}")
    return "\n".join(lines)
