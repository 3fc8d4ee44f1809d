"""The formula of each Inspect panel, as LaTeX, in PyTorch's exact form and with the layer's own numbers.

Formulas use symbols only; the words that explain them are in the language catalog (inspect.formula.*).
Tests check each one against what PyTorch computes: conv and pooling through `conv_step`/`pool_step`,
attention through `attention_steps`, the recurrent equations through `recurrent.Cell`.
"""
from __future__ import annotations

from typing import Any

from playground.inspection import recurrent
from playground.inspection.conv import KernelSet, output_size
from playground.layers import LAYERS

_TAPS = {1: "(r)", 2: "(r,\\, q)"}
_WHERE = {1: r"r = i\,s - p + d\,m", 2: r"r = i\,s - p + d\,m,\quad q = j\,s - p + d\,n"}


def _sizes(names: tuple[str, ...], sizes: tuple[int, ...], k: int, s: int, p: int, d: int | None) -> list[str]:
    """The output-size formula ⌊(n + 2p − d(k − 1) − 1)/s⌋ + 1 (⌊(n + 2p − k)/s⌋ + 1 without dilation), then
    with the numbers per spatial axis (one line for a square input)."""
    span, numbers = ("k", "{k}") if d is None else ("d(k-1) - 1", "{d}\\cdot({k}-1) - 1")
    lines = [rf"{names[0]}_{{out}} = \left\lfloor \frac{{{names[0]} + 2p - {span}}}{{s}} \right\rfloor + 1"]
    if len(set(sizes)) == 1 and len(names) > 1:
        names, sizes = (f"{names[0]}_{{out}} = {names[1]}",), sizes[:1]
    for name, n in zip(names, sizes):
        out = output_size(n, k, s, p, d or 1)
        tail = numbers.format(k=k, d=d)
        lines.append(rf"{name}_{{out}} = \left\lfloor \frac{{{n} + 2\cdot{p} - {tail}}}{{{s}}} \right\rfloor + 1 = {out}")
    return lines


def convolution(kset: KernelSet, in_shape: tuple[int, ...]) -> str:
    """Cross-correlation with stride s, padding p and dilation d, and this layer's output size."""
    k, s, p, d = kset.weights.shape[-1], kset.stride, kset.padding, kset.dilation
    dims = kset.weights.ndim - 2
    if dims == 1:
        body = rf"y_{{c'}}(i) = b_{{c'}} + \sum_{{c}} \sum_{{m=0}}^{{k-1}} w_{{c'c}}(m)\; x_c{_TAPS[1]}"
        sizes = _sizes(("L",), (in_shape[-1],), k, s, p, d)
    else:
        body = (rf"y_{{c'}}(i,j) = b_{{c'}} + \sum_{{c}} \sum_{{m=0}}^{{k-1}} \sum_{{n=0}}^{{k-1}} w_{{c'c}}(m,n)\;"
                rf" x_c{_TAPS[2]}")
        sizes = _sizes(("H", "W"), tuple(in_shape[-2:]), k, s, p, d)
    values = rf"k = {k},\; s = {s},\; p = {p},\; d = {d}"
    return _aligned([body, _WHERE[dims], values, *sizes])


def pooling(layer_type: str, args: dict[str, Any], in_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> str:
    """Max or mean over each window (no parameters); adaptive pooling picks its windows from the sizes."""
    if layer_type == "AdaptiveAvgPool2d":
        h, w, ho, wo = in_shape[-2], in_shape[-1], out_shape[-2], out_shape[-1]
        return _aligned([
            r"y_c(i,j) = \operatorname{mean}\{\, x_c(m,n) : \lfloor iH/H_o \rfloor \le m < \lceil (i+1)H/H_o \rceil,",
            r"\lfloor jW/W_o \rfloor \le n < \lceil (j+1)W/W_o \rceil \,\}",
            rf"H = {h},\; W = {w},\; H_o = {ho},\; W_o = {wo}"])
    k, p = args["kernel_size"], args.get("padding", 0) or 0
    s = args.get("stride") or k
    dims = 2 if layer_type.endswith("2d") else 1
    at, offsets = ("(i,j)", "m,n") if dims == 2 else ("(i)", "m")
    if layer_type.startswith("Max"):
        body = rf"y_c{at} = \max_{{0 \le {offsets} < k}} x_c{_TAPS[dims]}"
    else:
        sums = r"\sum_{m=0}^{k-1}\sum_{n=0}^{k-1}" if dims == 2 else r"\sum_{m=0}^{k-1}"
        body = rf"y_c{at} = \frac{{1}}{{{'k^2' if dims == 2 else 'k'}}} {sums} x_c{_TAPS[dims]}"
    where = _WHERE[dims].replace(r"d\,", "")  # pooling windows are not dilated here
    sizes = _sizes(("H", "W") if dims == 2 else ("L",), tuple(in_shape[-dims:]), k, s, p, None)
    return _aligned([body, where, rf"k = {k},\; s = {s},\; p = {p}", *sizes])


def attention(layer_type: str, d_model: int, heads: int, causal: bool, bias: bool = True) -> str:
    """softmax(QKᵀ/√d_k + M)·V per head, the heads concatenated and projected by W^O; d_k = d/h."""
    b = (lambda name: rf" + b^{{{name}}}_h") if bias else (lambda name: "")
    mask = " + M" if causal else ""
    lines = [
        rf"Q_h = X W^Q_h{b('Q')},\quad K_h = X W^K_h{b('K')},\quad V_h = X W^V_h{b('V')}",
        rf"\mathrm{{head}}_h = \mathrm{{softmax}}\!\left(\frac{{Q_h K_h^\top}}{{\sqrt{{d_k}}}}{mask}\right) V_h",
        rf"\mathrm{{MultiHead}}(X) = \mathrm{{Concat}}(\mathrm{{head}}_1, \dots, \mathrm{{head}}_{{{heads}}})\, W^O"
        + (" + b^O" if bias else ""),
        rf"d_k = d / h = {d_model} / {heads} = {d_model // heads}",
    ]
    if causal:
        lines.append(r"M_{ij} = \begin{cases} 0 & j \le i \\ -\infty & j > i \end{cases}")
    if layer_type == "TransformerBlock":
        lines.append(LAYERS["TransformerBlock"].formula)
    return _aligned(lines)


def recurrence(kind: str, nonlinearity: str = "tanh") -> str:
    """Every equation of one step, PyTorch's form and gate order; h_0 = 0 (and c_0 = 0)."""
    lines = [recurrent.latex(eq) for eq in recurrent.equations(kind, nonlinearity)]
    start = r"h_0 = 0,\; c_0 = 0" if kind == "LSTM" else r"h_0 = 0"
    return _aligned([*lines, start])


def layer(layer_type: str, args: dict[str, Any]) -> str:
    """What a dense, activation, normalisation or utility layer computes ('' when it only reshapes)."""
    if layer_type == "Linear":
        return r"y_j = \sum_i W_{ji}\, x_i + b_j \qquad (y = W x + b)"
    if layer_type == "SequencePool":
        return {"mean": r"y = \frac{1}{T}\sum_{t=1}^{T} x_t", "max": r"y_j = \max_{t} x_{t,j}",
                "first": r"y = x_1", "last": r"y = x_T"}[args.get("mode", "mean")]
    if layer_type == "PositionalEncoding":
        if args.get("kind") == "learned":
            return r"y_t = x_t + P_t \quad (P \in \mathbb{R}^{\mathrm{max\_len} \times d}\ \text{learned})"
        return _aligned([r"y_t = x_t + PE_t", LAYERS[layer_type].formula])
    return LAYERS[layer_type].formula


_PROBABILITY = {
    "softmax": r"p_k = \mathrm{softmax}(z)_k = \frac{e^{z_k}}{\sum_j e^{z_j}}",
    "sigmoid": r"P(y = 1) = \sigma(z) = \frac{1}{1 + e^{-z}}",
    "given": r"p_k = z_k \quad (\text{Softmax})",
    "exp": r"p_k = e^{z_k} \quad (\text{LogSoftmax: } z_k = \log p_k)",
    "clip": r"P(y = 1) = \min(\max(z, 0), 1)",
    "normalise": r"p_k = \frac{\min(\max(z_k, 0), 1)}{\sum_j \min(\max(z_j, 0), 1)}",
}


def probability(rule: str) -> str:
    """How the outputs z become the probabilities shown (see core.probability_rule)."""
    return _PROBABILITY[rule]


def decision(task: str, rule: str | None) -> str:
    """What the map colours: P(class 1), the most probable class, or the predicted value."""
    if task == "binary":
        return _aligned([probability(rule or "softmax"), r"P(y = 1 \mid \mathbf{x}) = 0.5"])
    if task == "multiclass":
        return _aligned([probability(rule or "softmax"), r"\hat y(\mathbf{x}) = \arg\max_k\, p_k(\mathbf{x})"])
    return r"\hat y(\mathbf{x}) = f_\theta(\mathbf{x})"


NEURONS = (r"\begin{gathered}a^{(\ell)} = f\!\left(W^{(\ell)} a^{(\ell-1)} + b^{(\ell)}\right) \\"
           r" a^{(0)} = \mathbf{x}\end{gathered}")
GRADIENT_NORM = (r"\lVert \nabla_{\theta_\ell} L \rVert_2 = "
                 r"\sqrt{\sum_{p \in \theta_\ell} \left(\frac{\partial L}{\partial p}\right)^2}")
SPREAD = r"\mu = \frac{1}{N}\sum_{k=1}^{N} v_k,\qquad \sigma = \sqrt{\frac{1}{N}\sum_{k=1}^{N} (v_k - \mu)^2}"
DEAD_RELU = r"\text{dead}_j \iff \max_{n} \mathrm{ReLU}\big(z_j^{(n)}\big) = 0"
CONFUSION = (r"C_{ij} = \big|\{\, n : y_n = i,\ \hat y_n = j \,\}\big|,\qquad "
             r"A = \frac{\sum_i C_{ii}}{\sum_{i,j} C_{ij}},\qquad R_i = \frac{C_{ii}}{\sum_j C_{ij}}")
REGRESSION = (r"\mathrm{MSE} = \frac{1}{N}\sum_n (y_n - \hat y_n)^2,\quad \mathrm{MAE} = \frac{1}{N}\sum_n |y_n - \hat y_n|,"
              r"\quad R^2 = 1 - \frac{\sum_n (y_n - \hat y_n)^2}{\sum_n (y_n - \bar y)^2}")


def _aligned(lines: list[str]) -> str:
    """Several formulas, one a line (KaTeX's gathered environment keeps each centred)."""
    return r"\begin{gathered}" + r" \\ ".join(lines) + r"\end{gathered}"
