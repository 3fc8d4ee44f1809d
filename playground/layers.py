"""The layer registry: every layer a learner can add, with its arguments, family and formula.

Adding a layer is one `_add(...)` entry here plus its text in the catalog (`i18n/*/layers.toml`: a summary
and a help line per argument). The validator, the shape inference, the model builder, the code export and
the Build page all read the same entry.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

from playground.i18n import Msg, msg, t
from playground.modules import INPUT_FEATURES
from playground.params import Param, ParamSet, show

FAMILIES = ("dense", "convolution", "pooling", "normalization", "recurrent", "attention", "activation", "utility")


@dataclass(frozen=True)
class Call:
    """A constructor call, e.g. nn.Conv2d(1, 10, kernel_size=3): builds the module and prints the code."""

    ctor: str  # "nn.Conv2d" or the name of a class in playground.modules
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()

    def build(self, namespace: dict[str, Any]):
        target = namespace["nn"] if self.ctor.startswith("nn.") else None
        ctor = getattr(target, self.ctor[3:]) if target is not None else namespace[self.ctor]
        args = [a.build(namespace) if isinstance(a, Call) else a for a in self.args]
        return ctor(*args, **dict(self.kwargs))

    def code(self, indent: int = 0) -> str:
        parts = [a.code(indent + 4) if isinstance(a, Call) else repr(a) for a in self.args]
        parts += [f"{k}={v!r}" for k, v in self.kwargs]
        text = f"{self.ctor}({', '.join(parts)})"
        if len(text) + indent <= 96:
            return text
        pad = " " * (indent + 4)
        return f"{self.ctor}(\n" + ",\n".join(pad + p for p in parts) + f",\n{' ' * indent})"


@dataclass(frozen=True)
class Need:
    """A friendly shape problem found before PyTorch runs: the sentence and, when obvious, a one-click fix."""

    message: Msg
    fix: dict[str, Any] | None = None  # {"label": Msg, "op": "insert_before"|"set"|"remove", ...}


@dataclass(frozen=True)
class LayerDef:
    type: str
    family: str
    formula: str = ""  # LaTeX, where one exists
    params: ParamSet = field(default_factory=ParamSet)
    # make(in_shape, args, vocab_size) -> Call; in_shape is per sample (no batch dimension)
    make: Callable[[tuple[int, ...], dict[str, Any], int | None], Call] | None = None
    # check(in_shape, args) -> Need | None: friendly sentence before PyTorch is asked
    check: Callable[[tuple[int, ...], dict[str, Any]], Need | None] | None = None
    accepts_tokens: bool = False  # only Embedding reads token ids
    sequence_in: bool = False  # needs (seq_len, features)
    has_inner: bool = False  # Residual holds its own `layers`
    passes_tokens: bool = False  # Dropout and Identity pass token ids through unchanged

    @property
    def summary(self) -> str:
        """One line a student understands, in the session's language."""
        return t(f"layers.{self.type}.summary")


LAYERS: dict[str, LayerDef] = {}


def _add(d: LayerDef) -> None:
    LAYERS[d.type] = d


def _kw(args: dict[str, Any], params: ParamSet, *names: str) -> tuple[tuple[str, Any], ...]:
    """Keyword arguments that differ from the registry default, so exported code stays short."""
    out = []
    for n in names:
        p = params.get(n)
        if p is None or args[n] != p.default:
            out.append((n, args[n]))
    return tuple(out)


def format_shape(s) -> str:
    """A shape as Python writes a tuple: (16,) or (10, 8, 8)."""
    return "(" + ", ".join(str(d) for d in s) + (",)" if len(s) == 1 else ")")


def _fix(label: Msg, op: str, **extra: Any) -> dict[str, Any]:
    """A one-click fix the Build page offers beside a problem."""
    return {"label": label, "op": op, **extra}


def _set_fix(arg: str, value: Any) -> dict[str, Any]:
    return _fix(msg("layers.fix.set", arg=arg, value=show(value)), "set", arg=arg, value=value)


def _insert_fix(layer: dict[str, Any], where: str = "insert_before") -> dict[str, Any]:
    return _fix(msg("layers.fix.insert", type=layer["type"]), where, layer=layer)


# ---------------------------------------------------------------- dense
def _check_linear(s, a):
    if len(s) >= 3:
        return Need(msg("layers.need.flatten_first", dims=len(s), shape=format_shape(s)), _insert_fix({"type": "Flatten"}))
    return None


_linear_params = ParamSet((
    Param("out_features", "int", 16, "layers.param.out_features", 1, 4096),
    Param("bias", "bool", True, "layers.param.bias"),
))
_add(LayerDef(
    "Linear", "dense", r"y = W x + b", _linear_params,
    make=lambda s, a, v: Call("nn.Linear", (s[-1], a["out_features"]), _kw(a, _linear_params, "bias")),
    check=_check_linear,
))
_embedding_params = ParamSet((Param("embedding_dim", "int", 32, "layers.param.embedding_dim", 1, 512),))
_add(LayerDef(
    "Embedding", "dense", r"e_t = E[x_t], \; E \in \mathbb{R}^{V \times d}", _embedding_params,
    make=lambda s, a, v: Call("nn.Embedding", (v, a["embedding_dim"])),
    accepts_tokens=True,
))


# ---------------------------------------------------------------- convolution and pooling
def _conv_params(channels_default: int) -> ParamSet:
    return ParamSet((
        Param("out_channels", "int", channels_default, "layers.param.out_channels", 1, 256),
        Param("kernel_size", "int", 3, "layers.param.kernel_size", 1, 15),
        Param("stride", "int", 1, "layers.param.stride", 1, 8),
        Param("padding", "int", 0, "layers.param.padding", 0, 10),
        Param("dilation", "int", 1, "layers.param.dilation", 1, 8),
        Param("bias", "bool", True, "layers.param.conv_bias"),
    ))


def _wrong_rank(dims: int, s: tuple[int, ...]) -> Need:
    want = dims + 1
    if len(s) == 1:
        return Need(msg(f"layers.need.vector_to_{'image' if dims == 2 else 'channels'}", want=want, shape=format_shape(s)))
    return Need(msg(f"layers.need.rank_{'image' if dims == 2 else 'channels'}", want=want, dims=len(s), shape=format_shape(s)))


def _window_check(dims: int, what: str, kernel_key: str = "kernel_size"):
    """Check that a sliding window fits its input, naming the spatial size the way a learner sees it."""

    def check(s, a):
        if len(s) != dims + 1:
            return _wrong_rank(dims, s)
        k = a[kernel_key]
        dil = a.get("dilation", 1)
        pad = a.get("padding", 0) or 0
        if what == "pool" and pad > k // 2:
            return Need(msg("layers.need.pool_padding", pad=pad, k=k), _set_fix("padding", 0))
        span = dil * (k - 1) + 1
        spatial = s[1:]
        if all(n + 2 * pad >= span for n in spatial):
            return None
        size = "×".join(str(n) for n in spatial)
        best = min(max(1, min(spatial) + 2 * pad), k)
        fix = _set_fix(kernel_key, best) if dil == 1 else None
        key = f"layers.need.window_{what}" + ("_dilated" if dil > 1 else "")
        return Need(msg(key, arg=kernel_key, k=k, size=size, dilation=dil, span=span), fix)

    return check


_conv1d_params = _conv_params(8)
_conv2d_params = _conv_params(8)
_add(LayerDef(
    "Conv1d", "convolution", r"y_c(i) = b_c + \sum_{k}\sum_{m} w_{c,k}(m)\, x_k(i \cdot s + m)", _conv1d_params,
    make=lambda s, a, v: Call("nn.Conv1d", (s[0], a["out_channels"]), (("kernel_size", a["kernel_size"]),)
                              + _kw(a, _conv1d_params, "stride", "padding", "dilation", "bias")),
    check=_window_check(1, "conv"),
))
_add(LayerDef(
    "Conv2d", "convolution", r"y_c(i,j) = b_c + \sum_{k}\sum_{m}\sum_{n} w_{c,k}(m,n)\, x_k(i \cdot s + m,\; j \cdot s + n)",
    _conv2d_params,
    make=lambda s, a, v: Call("nn.Conv2d", (s[0], a["out_channels"]), (("kernel_size", a["kernel_size"]),)
                              + _kw(a, _conv2d_params, "stride", "padding", "dilation", "bias")),
    check=_window_check(2, "conv"),
))


def _pool_params() -> ParamSet:
    return ParamSet((
        Param("kernel_size", "int", 2, "layers.param.pool_kernel_size", 1, 8),
        Param("stride", "int", None, "layers.param.pool_stride", 1, 8, optional=True),
        Param("padding", "int", 0, "layers.param.pool_padding", 0, 4),
    ))


def _pool_make(ctor):
    def make(s, a, v):
        kw = [("kernel_size", a["kernel_size"])]
        if a["stride"] is not None:
            kw.append(("stride", a["stride"]))
        if a["padding"]:
            kw.append(("padding", a["padding"]))
        return Call(ctor, (), tuple(kw))

    return make


for _dims in (1, 2):
    _add(LayerDef(
        f"MaxPool{_dims}d", "pooling",
        r"y(i,j) = \max_{m,n} x(i \cdot s + m,\; j \cdot s + n)" if _dims == 2 else r"y(i) = \max_{m} x(i \cdot s + m)",
        _pool_params(), make=_pool_make(f"nn.MaxPool{_dims}d"), check=_window_check(_dims, "pool"),
    ))
    _add(LayerDef(
        f"AvgPool{_dims}d", "pooling",
        r"y(i,j) = \frac{1}{k^2}\sum_{m,n} x(i \cdot s + m,\; j \cdot s + n)" if _dims == 2 else r"y(i) = \frac{1}{k}\sum_{m} x(i \cdot s + m)",
        _pool_params(), make=_pool_make(f"nn.AvgPool{_dims}d"), check=_window_check(_dims, "pool"),
    ))


def _check_image(s, a):
    return None if len(s) == 3 else _wrong_rank(2, s)


_adaptive_params = ParamSet((Param("output_size", "int", 1, "layers.param.output_size", 1, 32),))
_add(LayerDef(
    "AdaptiveAvgPool2d", "pooling", r"y_c = \frac{1}{HW}\sum_{i,j} x_c(i,j) \quad (\text{output\_size}=1)", _adaptive_params,
    make=lambda s, a, v: Call("nn.AdaptiveAvgPool2d", (a["output_size"],)),
    check=_check_image,
))


# ---------------------------------------------------------------- normalization and utility
def _check_bn1d(s, a):
    return None if len(s) in (1, 2) else Need(msg("layers.need.batchnorm1d", shape=format_shape(s)))


_bn_params = ParamSet((Param("momentum", "float", 0.1, "layers.param.momentum", 0.0, 1.0),))
_BN_FORMULA = r"y = \gamma \frac{x - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}} + \beta"
_add(LayerDef(
    "BatchNorm1d", "normalization", _BN_FORMULA, _bn_params,
    make=lambda s, a, v: Call("nn.BatchNorm1d", (s[0],), _kw(a, _bn_params, "momentum")),
    check=_check_bn1d,
))
_add(LayerDef(
    "BatchNorm2d", "normalization", _BN_FORMULA, _bn_params,
    make=lambda s, a, v: Call("nn.BatchNorm2d", (s[0],), _kw(a, _bn_params, "momentum")),
    check=_check_image,
))
_ln_params = ParamSet((Param("elementwise_affine", "bool", True, "layers.param.elementwise_affine"),))
_add(LayerDef(
    "LayerNorm", "normalization", r"y = \gamma \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta", _ln_params,
    make=lambda s, a, v: Call("nn.LayerNorm", (s[-1],), _kw(a, _ln_params, "elementwise_affine")),
))
_dropout_params = ParamSet((Param("p", "float", 0.2, "layers.param.p", 0.0, 0.9, step=0.05),))
_add(LayerDef(
    "Dropout", "utility", r"y = \frac{m \odot x}{1-p}, \; m_i \sim \mathrm{Bernoulli}(1-p)", _dropout_params,
    make=lambda s, a, v: Call("nn.Dropout", (a["p"],)),
    passes_tokens=True,
))
_add(LayerDef("Flatten", "utility", make=lambda s, a, v: Call("nn.Flatten")))


def _check_points(s, a):
    return None if s == (2,) else Need(msg("layers.need.points", shape=format_shape(s)))


_features_params = ParamSet((Param("features", "choice_list", ["x1", "x2"], "layers.param.features", choices=tuple(INPUT_FEATURES)),))
_add(LayerDef(
    "InputFeatures", "utility", r"(x_1, x_2) \mapsto (x_1,\ x_2,\ x_1^2,\ x_2^2,\ x_1 x_2,\ \sin x_1,\ \sin x_2)", _features_params,
    make=lambda s, a, v: Call("InputFeatures", (list(a["features"]),)),
    check=_check_points,
))


def _check_reshape(s, a):
    total = math.prod(s)
    known = math.prod(d for d in a["shape"] if d != -1)
    ok = total % known == 0 if -1 in a["shape"] else total == known
    if not ok:
        return Need(msg("layers.need.reshape", shape=format_shape(s), total=total, target=a["shape"]))
    return None


_reshape_params = ParamSet((Param("shape", "int_list", [-1], "layers.param.shape"),))
_add(LayerDef(
    "Reshape", "utility", "", _reshape_params,
    make=lambda s, a, v: Call("Reshape", (list(a["shape"]),)),
    check=_check_reshape,
))


# ---------------------------------------------------------------- recurrent
def _check_sequence(s, a):
    if len(s) == 2:
        return None
    return Need(msg("layers.need.sequence_vector" if len(s) == 1 else "layers.need.sequence", shape=format_shape(s)))


def _rnn_params(with_nonlinearity: bool) -> ParamSet:
    ps = [
        Param("hidden_size", "int", 32, "layers.param.hidden_size", 1, 512),
        Param("num_layers", "int", 1, "layers.param.num_layers", 1, 4),
        Param("bidirectional", "bool", False, "layers.param.bidirectional"),
        Param("dropout", "float", 0.0, "layers.param.rnn_dropout", 0.0, 0.9, step=0.05),
    ]
    if with_nonlinearity:
        ps.insert(1, Param("nonlinearity", "choice", "tanh", "layers.param.nonlinearity", choices=("tanh", "relu")))
    return ParamSet(tuple(ps))


def _rnn_make(ctor: str, params: ParamSet):
    def make(s, a, v):
        names = [n for n in ("num_layers", "nonlinearity", "bidirectional") if n in a]
        kw = _kw(a, params, *names) + (("batch_first", True),)
        if a["num_layers"] > 1 and a["dropout"] > 0:
            kw += (("dropout", a["dropout"]),)
        return Call("Recurrent", (Call(ctor, (s[-1], a["hidden_size"]), kw),))

    return make


_RNN_FORMULAS = {  # PyTorch's exact form and gate order (the Inspect page's gate traces are tested against nn.LSTM/GRU)
    "RNN": r"h_t = f(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}), \quad f \in \{\tanh, \mathrm{ReLU}\}",
    "LSTM": r"""\begin{aligned}
i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) \\
f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\
g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) \\
c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
h_t &= o_t \odot \tanh(c_t)
\end{aligned}""",
    "GRU": r"""\begin{aligned}
r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
n_t &= \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) \\
h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}
\end{aligned}""",
}
for _name, _formula in _RNN_FORMULAS.items():
    _p = _rnn_params(_name == "RNN")
    _add(LayerDef(_name, "recurrent", _formula, _p, make=_rnn_make(f"nn.{_name}", _p), check=_check_sequence, sequence_in=True))


# ---------------------------------------------------------------- attention
def _check_heads(s, a):
    need = _check_sequence(s, a)
    if need:
        return need
    d, h = s[-1], a["num_heads"]
    if d % h == 0:
        return None
    options = [k for k in range(1, min(d, 16) + 1) if d % k == 0]
    best = max(k for k in options if k <= h)
    return Need(msg("layers.need.heads", d=d, h=h, options=", ".join(map(str, options))), _set_fix("num_heads", best))


_mha_params = ParamSet((
    Param("num_heads", "int", 4, "layers.param.num_heads", 1, 16),
    Param("causal", "bool", False, "layers.param.causal"),
    Param("dropout", "float", 0.0, "layers.param.attention_dropout", 0.0, 0.9, step=0.05),
    Param("bias", "bool", True, "layers.param.attention_bias"),
))
_add(LayerDef(
    "MultiheadAttention", "attention",
    r"\mathrm{MultiHead}(X) = \mathrm{Concat}(\mathrm{head}_1,\dots,\mathrm{head}_h) W^O,\; "
    r"\mathrm{head}_i = \mathrm{softmax}\!\left(\frac{Q_i K_i^\top}{\sqrt{d_k}}\right) V_i",
    _mha_params,
    make=lambda s, a, v: Call("SelfAttention", (s[-1], a["num_heads"]), _kw(a, _mha_params, "causal", "dropout", "bias")),
    check=_check_heads,
    sequence_in=True,
))
_block_params = ParamSet((
    Param("num_heads", "int", 4, "layers.param.block_num_heads", 1, 16),
    Param("dim_feedforward", "int", 128, "layers.param.dim_feedforward", 1, 2048),
    Param("dropout", "float", 0.0, "layers.param.block_dropout", 0.0, 0.9, step=0.05),
    Param("causal", "bool", False, "layers.param.block_causal"),
))
_add(LayerDef(
    "TransformerBlock", "attention",
    r"x' = \mathrm{LN}(x + \mathrm{MHA}(x)), \quad y = \mathrm{LN}(x' + W_2\,\mathrm{ReLU}(W_1 x' + b_1) + b_2)",
    _block_params,
    make=lambda s, a, v: Call("TransformerBlock", (s[-1], a["num_heads"], a["dim_feedforward"]), _kw(a, _block_params, "dropout", "causal")),
    check=_check_heads,
    sequence_in=True,
))


def _check_posenc(s, a):
    need = _check_sequence(s, a)
    if need:
        return need
    if s[0] > a["max_len"]:
        return Need(msg("layers.need.max_len", positions=s[0], max_len=a["max_len"]), _set_fix("max_len", s[0]))
    if a["kind"] == "sinusoidal" and s[-1] % 2:
        return Need(msg("layers.need.even_dim", d=s[-1]))
    return None


_pe_params = ParamSet((
    Param("kind", "choice", "sinusoidal", "layers.param.kind", choices=("sinusoidal", "learned")),
    Param("max_len", "int", 256, "layers.param.max_len", 1, 1024),
))
_add(LayerDef(
    "PositionalEncoding", "attention",
    r"PE_{(pos,2i)} = \sin\!\left(\frac{pos}{10000^{2i/d}}\right),\; PE_{(pos,2i+1)} = \cos\!\left(\frac{pos}{10000^{2i/d}}\right)",
    _pe_params,
    make=lambda s, a, v: Call("PositionalEncoding", (s[-1],), _kw(a, _pe_params, "max_len", "kind")),
    check=_check_posenc,
    sequence_in=True,
))
_pool_seq_params = ParamSet((Param("mode", "choice", "mean", "layers.param.mode", choices=("mean", "last", "max", "first")),))
_add(LayerDef(
    "SequencePool", "utility", r"y = \frac{1}{T}\sum_{t=1}^{T} x_t \;\; (\text{mean})", _pool_seq_params,
    make=lambda s, a, v: Call("SequencePool", (), _kw(a, _pool_seq_params, "mode")),
    check=_check_sequence,
    sequence_in=True,
))
_add(LayerDef("Residual", "utility", r"y = x + F(x)", has_inner=True))


# ---------------------------------------------------------------- activations
def _act(name: str, formula: str, params: ParamSet = ParamSet()) -> None:
    def make(s, a, v):
        # Softmax must always be told its dim; PyTorch warns when it has to guess
        kw = (("dim", a["dim"]),) if "dim" in a else _kw(a, params, *params.names())
        return Call(f"nn.{name}", (), kw)

    _add(LayerDef(name, "activation", formula, params, make=make, passes_tokens=name == "Identity"))


_act("ReLU", r"f(x) = \max(0, x)")
_act("LeakyReLU", r"f(x) = \begin{cases} x & x \ge 0 \\ a x & x < 0 \end{cases}",
     ParamSet((Param("negative_slope", "float", 0.01, "layers.param.negative_slope", 0.0, 1.0, step=0.01),)))
_act("ELU", r"f(x) = \begin{cases} x & x > 0 \\ \alpha (e^{x} - 1) & x \le 0 \end{cases}",
     ParamSet((Param("alpha", "float", 1.0, "layers.param.alpha", 0.01, 10.0),)))
_act("GELU", r"f(x) = x\,\Phi(x)")
_act("SiLU", r"f(x) = x\,\sigma(x)")
_act("Mish", r"f(x) = x \tanh(\ln(1 + e^{x}))")
_act("Tanh", r"f(x) = \tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}")
_act("Sigmoid", r"f(x) = \sigma(x) = \frac{1}{1 + e^{-x}}")
_act("Softplus", r"f(x) = \frac{1}{\beta}\ln(1 + e^{\beta x})",
     ParamSet((Param("beta", "float", 1.0, "layers.param.beta", 0.1, 20.0),)))
_act("Hardtanh", r"f(x) = \min(\max(x, a), b)",
     ParamSet((Param("min_val", "float", -1.0, "layers.param.min_val", -10.0, 0.0), Param("max_val", "float", 1.0, "layers.param.max_val", 0.0, 10.0))))
_act("Identity", r"f(x) = x")
_act("Softmax", r"f(x)_i = \frac{e^{x_i}}{\sum_j e^{x_j}}", ParamSet((Param("dim", "int", -1, "layers.param.dim", -1, -1),)))
_act("LogSoftmax", r"f(x)_i = x_i - \log\sum_j e^{x_j}", ParamSet((Param("dim", "int", -1, "layers.param.dim", -1, -1),)))

ACTIVATIONS = [t for t, d in LAYERS.items() if d.family == "activation"]


def by_family() -> dict[str, list[LayerDef]]:
    """The registry grouped by family, in the order of FAMILIES (for the palette)."""
    return {f: [d for d in LAYERS.values() if d.family == f] for f in FAMILIES}
