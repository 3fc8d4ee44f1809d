"""The layer registry: every layer a learner can add, with its arguments, family, explanation and formula.

Adding a layer is one `_add(...)` entry here. The validator, the shape inference, the model builder,
the code export and the Build page all read the same entry.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from playground.params import Param, ParamSet

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

    message: str
    fix: dict[str, Any] | None = None  # {"label": ..., "op": "insert_before"|"set"|"remove", ...}


@dataclass(frozen=True)
class LayerDef:
    type: str
    family: str
    summary: str  # one line a student understands
    formula: str = ""  # LaTeX, where one exists
    params: ParamSet = field(default_factory=ParamSet)
    # make(in_shape, args, vocab_size) -> Call; in_shape is per sample (no batch dimension)
    make: Callable[[tuple[int, ...], dict[str, Any], int | None], Call] | None = None
    # check(in_shape, args) -> Need | None: friendly sentence before PyTorch is asked
    check: Callable[[tuple[int, ...], dict[str, Any]], Need | None] | None = None
    accepts_tokens: bool = False  # only Embedding reads token ids
    sequence_in: bool = False  # needs (seq_len, features)
    has_inner: bool = False  # Residual holds its own `layers`


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


def _dims_name(n: int) -> str:
    return f"{n}-D"


# ---------------------------------------------------------------- dense
def _check_linear(s, a):
    if len(s) >= 3:
        return Need(
            f"receives a {_dims_name(len(s))} input {format_shape(s)}; add Flatten before it",
            {"label": "Insert Flatten", "op": "insert_before", "layer": {"type": "Flatten"}},
        )
    return None


_linear_params = ParamSet((
    Param("out_features", "int", 16, "Number of neurons (outputs) of this layer.", 1, 4096),
    Param("bias", "bool", True, "Add a learned bias b to every output."),
))
_add(LayerDef(
    "Linear", "dense",
    "Fully connected layer: every output neuron is a weighted sum of all inputs plus a bias.",
    r"y = W x + b",
    _linear_params,
    make=lambda s, a, v: Call("nn.Linear", (s[-1], a["out_features"]), _kw(a, _linear_params, "bias")),
    check=_check_linear,
))


def _check_embedding(s, a):
    return None


_embedding_params = ParamSet((
    Param("embedding_dim", "int", 32, "Length of the vector learned for each token.", 1, 512),
))
_add(LayerDef(
    "Embedding", "dense",
    "A learned lookup table: token id k becomes the k-th row, a vector of embedding_dim numbers.",
    r"e_t = E[x_t], \; E \in \mathbb{R}^{V \times d}",
    _embedding_params,
    make=lambda s, a, v: Call("nn.Embedding", (v, a["embedding_dim"])),
    accepts_tokens=True,
))


# ---------------------------------------------------------------- convolution and pooling
def _conv_params(channels_default: int) -> ParamSet:
    return ParamSet((
        Param("out_channels", "int", channels_default, "Number of kernels, i.e. of output feature maps.", 1, 256),
        Param("kernel_size", "int", 3, "Width (and height) of each kernel.", 1, 15),
        Param("stride", "int", 1, "Step between two kernel positions.", 1, 8),
        Param("padding", "int", 0, "Zeros added around the border; padding = kernel_size // 2 keeps the size.", 0, 10),
        Param("dilation", "int", 1, "Spacing between kernel taps.", 1, 8),
        Param("bias", "bool", True, "Add a learned bias per output channel."),
    ))


def _window_check(dims: int, what: str, kernel_key: str = "kernel_size"):
    """Check that a sliding window fits its input, naming the spatial size the way a learner sees it."""

    def check(s, a):
        want = dims + 1
        if len(s) != want:
            layout = "(channels, length)" if dims == 1 else "(channels, height, width)"
            if dims == 2 and len(s) == 1:
                hint = "; use Reshape to turn the vector into an image, e.g. shape [1, 8, 8]"
            elif dims == 1 and len(s) == 1:
                hint = "; use Reshape to make it [1, length]"
            else:
                hint = ""
            return Need(f"needs a {_dims_name(want)} input {layout}, got {_dims_name(len(s))} {format_shape(s)}{hint}")
        k = a[kernel_key]
        dil = a.get("dilation", 1)
        pad = a.get("padding", 0) or 0
        if what == "pool" and pad > k // 2:
            return Need(
                f"padding {pad} must be at most half of kernel_size {k}",
                {"label": "Set padding to 0", "op": "set", "arg": "padding", "value": 0},
            )
        span = dil * (k - 1) + 1
        spatial = s[1:]
        if any(n + 2 * pad < span for n in spatial):
            size = "×".join(str(n) for n in spatial)
            extra = f" (with dilation {dil} it spans {span})" if dil > 1 else ""
            fixes = "lower kernel_size or add padding" if what == "conv" else "lower kernel_size or remove a pooling layer before it"
            best = max(1, min(spatial) + 2 * pad)
            fix = {"label": f"Set kernel_size to {min(best, k)}", "op": "set", "arg": kernel_key, "value": min(best, k)} if dil == 1 else None
            return Need(f"{kernel_key} {k} is larger than its {size} input{extra} — {fixes}", fix)
        return None

    return check


_conv1d_params = _conv_params(8)
_conv2d_params = _conv_params(8)


def _conv_kwargs(a, params):
    return _kw(a, params, "kernel_size", "stride", "padding", "dilation", "bias")


_add(LayerDef(
    "Conv1d", "convolution",
    "Slides out_channels kernels along a sequence of channels × length; each kernel detects one local pattern.",
    r"y_c(i) = b_c + \sum_{k}\sum_{m} w_{c,k}(m)\, x_k(i \cdot s + m)",
    _conv1d_params,
    make=lambda s, a, v: Call("nn.Conv1d", (s[0], a["out_channels"]), (("kernel_size", a["kernel_size"]),) + _kw(a, _conv1d_params, "stride", "padding", "dilation", "bias")),
    check=_window_check(1, "conv"),
))
_add(LayerDef(
    "Conv2d", "convolution",
    "Slides out_channels small kernels over the image; each produces a feature map showing where its pattern occurs.",
    r"y_c(i,j) = b_c + \sum_{k}\sum_{m}\sum_{n} w_{c,k}(m,n)\, x_k(i \cdot s + m,\; j \cdot s + n)",
    _conv2d_params,
    make=lambda s, a, v: Call("nn.Conv2d", (s[0], a["out_channels"]), (("kernel_size", a["kernel_size"]),) + _kw(a, _conv2d_params, "stride", "padding", "dilation", "bias")),
    check=_window_check(2, "conv"),
))


def _pool_params() -> ParamSet:
    return ParamSet((
        Param("kernel_size", "int", 2, "Size of the pooling window.", 1, 8),
        Param("stride", "int", None, "Step between windows; empty means equal to kernel_size.", 1, 8, optional=True),
        Param("padding", "int", 0, "Padding added on both sides (at most kernel_size // 2).", 0, 4),
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
        "Keeps the largest value in each window: downsamples and keeps the strongest response; no parameters.",
        r"y(i,j) = \max_{m,n} x(i \cdot s + m,\; j \cdot s + n)" if _dims == 2 else r"y(i) = \max_{m} x(i \cdot s + m)",
        _pool_params(),
        make=_pool_make(f"nn.MaxPool{_dims}d"),
        check=_window_check(_dims, "pool"),
    ))
    _add(LayerDef(
        f"AvgPool{_dims}d", "pooling",
        "Averages each window: downsamples smoothly; no parameters.",
        r"y(i,j) = \frac{1}{k^2}\sum_{m,n} x(i \cdot s + m,\; j \cdot s + n)" if _dims == 2 else r"y(i) = \frac{1}{k}\sum_{m} x(i \cdot s + m)",
        _pool_params(),
        make=_pool_make(f"nn.AvgPool{_dims}d"),
        check=_window_check(_dims, "pool"),
    ))


def _check_image(s, a):
    if len(s) != 3:
        return Need(f"needs a 3-D input (channels, height, width), got {_dims_name(len(s))} {format_shape(s)}")
    return None


_adaptive_params = ParamSet((Param("output_size", "int", 1, "Height and width of the output, whatever the input size.", 1, 32),))
_add(LayerDef(
    "AdaptiveAvgPool2d", "pooling",
    "Averages each feature map down to output_size × output_size, whatever the input size (1 = global average pooling).",
    r"y_c = \frac{1}{HW}\sum_{i,j} x_c(i,j) \quad (\text{output\_size}=1)",
    _adaptive_params,
    make=lambda s, a, v: Call("nn.AdaptiveAvgPool2d", (a["output_size"],)),
    check=_check_image,
))


# ---------------------------------------------------------------- normalization and utility
def _check_bn1d(s, a):
    if len(s) not in (1, 2):
        return Need(f"needs a 1-D (features) or 2-D (channels, length) input, got {format_shape(s)}; use BatchNorm2d for images")
    return None


_bn_params = ParamSet((Param("momentum", "float", 0.1, "How fast the running mean and variance follow each batch.", 0.0, 1.0),))
_add(LayerDef(
    "BatchNorm1d", "normalization",
    "Normalises each feature over the batch to mean 0, variance 1, then scales and shifts it (learned γ, β).",
    r"y = \gamma \frac{x - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}} + \beta",
    _bn_params,
    make=lambda s, a, v: Call("nn.BatchNorm1d", (s[0],), _kw(a, _bn_params, "momentum")),
    check=_check_bn1d,
))
_add(LayerDef(
    "BatchNorm2d", "normalization",
    "Normalises each channel over the batch and all positions, then scales and shifts it (learned γ, β).",
    r"y = \gamma \frac{x - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}} + \beta",
    _bn_params,
    make=lambda s, a, v: Call("nn.BatchNorm2d", (s[0],), _kw(a, _bn_params, "momentum")),
    check=_check_image,
))
_ln_params = ParamSet((Param("elementwise_affine", "bool", True, "Learn a scale γ and shift β per feature."),))
_add(LayerDef(
    "LayerNorm", "normalization",
    "Normalises each sample's last dimension to mean 0, variance 1 (per token in a sequence); used in Transformers.",
    r"y = \gamma \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta",
    _ln_params,
    make=lambda s, a, v: Call("nn.LayerNorm", (s[-1],), _kw(a, _ln_params, "elementwise_affine")),
))
_dropout_params = ParamSet((Param("p", "float", 0.2, "Probability of zeroing each value during training.", 0.0, 0.9, step=0.05),))
_add(LayerDef(
    "Dropout", "utility",
    "During training, zeroes each value with probability p (and scales the rest by 1/(1−p)) to reduce overfitting.",
    r"y = \frac{m \odot x}{1-p}, \; m_i \sim \mathrm{Bernoulli}(1-p)",
    _dropout_params,
    make=lambda s, a, v: Call("nn.Dropout", (a["p"],)),
))
_add(LayerDef(
    "Flatten", "utility",
    "Lays all values of a sample out in one long vector, e.g. (10, 4, 4) → (160,), so a Linear layer can follow.",
    "",
    make=lambda s, a, v: Call("nn.Flatten"),
))


def _check_reshape(s, a):
    total = 1
    for d in s:
        total *= d
    want = [d for d in a["shape"] if d != -1]
    prod = 1
    for d in want:
        prod *= d
    ok = total % prod == 0 if -1 in a["shape"] else total == prod
    if not ok:
        return Need(f"cannot reshape {format_shape(s)} ({total} values) into {a['shape']} — the sizes must multiply to {total}")
    return None


_reshape_params = ParamSet((Param("shape", "int_list", [-1], "New shape of each sample; one entry may be -1 (inferred)."),))
_add(LayerDef(
    "Reshape", "utility",
    "Rearranges each sample's values into a new shape without changing them, e.g. (64,) → (1, 8, 8).",
    "",
    _reshape_params,
    make=lambda s, a, v: Call("Reshape", (list(a["shape"]),)),
    check=_check_reshape,
))


# ---------------------------------------------------------------- recurrent
def _check_sequence(s, a):
    if len(s) != 2:
        if len(s) == 1:
            return Need(f"needs a sequence (seq_len, features), got a single vector {format_shape(s)}; feed it a sequence (e.g. an Embedding output)")
        return Need(f"needs a sequence (seq_len, features), got {format_shape(s)}; use Reshape to make it (seq_len, features)")
    return None


def _rnn_params(with_nonlinearity: bool) -> ParamSet:
    ps = [
        Param("hidden_size", "int", 32, "Number of units in the hidden state h_t.", 1, 512),
        Param("num_layers", "int", 1, "Stacked recurrent layers (each reads the previous one's outputs).", 1, 4),
        Param("bidirectional", "bool", False, "Also run right-to-left and concatenate both directions."),
        Param("dropout", "float", 0.0, "Dropout between stacked layers (needs num_layers ≥ 2).", 0.0, 0.9, step=0.05),
    ]
    if with_nonlinearity:
        ps.insert(1, Param("nonlinearity", "choice", "tanh", "The activation f in h_t = f(W_hh h_{t−1} + W_xh x_t + b).", choices=("tanh", "relu")))
    return ParamSet(tuple(ps))


def _rnn_make(ctor: str, params: ParamSet):
    def make(s, a, v):
        names = [n for n in ("num_layers", "nonlinearity", "bidirectional") if n in a]
        kw = _kw(a, params, *names) + (("batch_first", True),)
        if a["num_layers"] > 1 and a["dropout"] > 0:
            kw += (("dropout", a["dropout"]),)
        return Call("Recurrent", (Call(ctor, (s[-1], a["hidden_size"]), kw),))

    return make


_RNN_INFO = {
    "RNN": ("An Elman RNN: reads the sequence step by step, mixing each input into a hidden state that carries memory.",
            r"h_t = \tanh(W_{xh} x_t + W_{hh} h_{t-1} + b_h)"),
    "LSTM": ("Long short-term memory: input, forget and output gates decide what the cell state keeps, fixing vanishing gradients.",
             r"c_t = f_t \odot c_{t-1} + i_t \odot \tilde c_t, \quad h_t = o_t \odot \tanh(c_t)"),
    "GRU": ("Gated recurrent unit: update and reset gates blend the old hidden state with a new candidate; lighter than an LSTM.",
            r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}"),
}
for _name, (_summary, _formula) in _RNN_INFO.items():
    _p = _rnn_params(_name == "RNN")
    _add(LayerDef(_name, "recurrent", _summary, _formula, _p, make=_rnn_make(f"nn.{_name}", _p), check=_check_sequence, sequence_in=True))


# ---------------------------------------------------------------- attention
def _check_heads(s, a):
    need = _check_sequence(s, a)
    if need:
        return need
    d, h = s[-1], a["num_heads"]
    if d % h:
        options = [k for k in range(1, min(d, 16) + 1) if d % k == 0]
        best = max(k for k in options if k <= h)
        return Need(
            f"embedding size {d} is not divisible by num_heads {h} — choose num_heads among {', '.join(map(str, options))}",
            {"label": f"Set num_heads to {best}", "op": "set", "arg": "num_heads", "value": best},
        )
    return None


_mha_params = ParamSet((
    Param("num_heads", "int", 4, "Number of attention heads; each attends with its own Q, K, V of size d/num_heads.", 1, 16),
    Param("causal", "bool", False, "Mask the future: position t attends only to positions ≤ t."),
    Param("dropout", "float", 0.0, "Dropout on the attention weights during training.", 0.0, 0.9, step=0.05),
    Param("bias", "bool", True, "Learned biases in the Q, K, V and output projections."),
))
_add(LayerDef(
    "MultiheadAttention", "attention",
    "Self-attention: every position mixes the values of all positions, weighted by how well its query matches their keys.",
    r"\mathrm{MultiHead}(X) = \mathrm{Concat}(\mathrm{head}_1,\dots,\mathrm{head}_h) W^O,\; \mathrm{head}_i = \mathrm{softmax}\!\left(\frac{Q_i K_i^\top}{\sqrt{d_k}}\right) V_i",
    _mha_params,
    make=lambda s, a, v: Call("SelfAttention", (s[-1], a["num_heads"]), _kw(a, _mha_params, "causal", "dropout", "bias")),
    check=_check_heads,
    sequence_in=True,
))
_block_params = ParamSet((
    Param("num_heads", "int", 4, "Attention heads in the block.", 1, 16),
    Param("dim_feedforward", "int", 128, "Hidden width of the position-wise feed-forward network.", 1, 2048),
    Param("dropout", "float", 0.0, "Dropout after attention and feed-forward during training.", 0.0, 0.9, step=0.05),
    Param("causal", "bool", False, "Mask the future (needed for next-token prediction)."),
))
_add(LayerDef(
    "TransformerBlock", "attention",
    "Encoder block (post-norm, as in the original paper): self-attention and a feed-forward net, each with a residual connection and LayerNorm.",
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
        return Need(
            f"the sequence has {s[0]} positions but max_len is {a['max_len']} — raise max_len",
            {"label": f"Set max_len to {s[0]}", "op": "set", "arg": "max_len", "value": s[0]},
        )
    if a["kind"] == "sinusoidal" and s[-1] % 2:
        return Need(f"sinusoidal encoding needs an even embedding size, got {s[-1]} — use an even embedding_dim")
    return None


_pe_params = ParamSet((
    Param("kind", "choice", "sinusoidal", "Fixed sine/cosine waves, or a learned vector per position.", choices=("sinusoidal", "learned")),
    Param("max_len", "int", 256, "Longest sequence the table covers.", 1, 1024),
))
_add(LayerDef(
    "PositionalEncoding", "attention",
    "Adds a position signal to each token's vector, since attention alone cannot tell positions apart.",
    r"PE_{(pos,2i)} = \sin\!\left(\frac{pos}{10000^{2i/d}}\right),\; PE_{(pos,2i+1)} = \cos\!\left(\frac{pos}{10000^{2i/d}}\right)",
    _pe_params,
    make=lambda s, a, v: Call("PositionalEncoding", (s[-1],), _kw(a, _pe_params, "max_len", "kind")),
    check=_check_posenc,
    sequence_in=True,
))
_pool_seq_params = ParamSet((
    Param("mode", "choice", "mean", "How to summarise the sequence: mean, max, first or last step.", choices=("mean", "last", "max", "first")),
))
_add(LayerDef(
    "SequencePool", "utility",
    "Turns a sequence (seq_len, d) into one vector (d) — the mean, max, first or last step — so a classifier can follow.",
    r"y = \frac{1}{T}\sum_{t=1}^{T} x_t \;\; (\text{mean})",
    _pool_seq_params,
    make=lambda s, a, v: Call("SequencePool", (), _kw(a, _pool_seq_params, "mode")),
    check=_check_sequence,
    sequence_in=True,
))
_add(LayerDef(
    "Residual", "utility",
    "A skip connection around an inner stack: y = x + F(x); the inner stack must keep the shape.",
    r"y = x + F(x)",
    has_inner=True,
))


# ---------------------------------------------------------------- activations
def _act(name: str, summary: str, formula: str, params: ParamSet = ParamSet(), torch_name: str | None = None) -> None:
    ctor = f"nn.{torch_name or name}"

    def make(s, a, v):
        # Softmax must always be told its dim; PyTorch warns when it has to guess
        kw = (("dim", a["dim"]),) if "dim" in a else _kw(a, params, *params.names())
        return Call(ctor, (), kw)

    _add(LayerDef(name, "activation", summary, formula, params, make=make))


_act("ReLU", "Keeps positives, zeroes negatives. Cheap and the default choice; units can 'die' if always negative.", r"f(x) = \max(0, x)")
_act("LeakyReLU", "Like ReLU but lets a small slope through for negatives, so units never die.",
     r"f(x) = \begin{cases} x & x \ge 0 \\ a x & x < 0 \end{cases}",
     ParamSet((Param("negative_slope", "float", 0.01, "Slope a for negative inputs.", 0.0, 1.0, step=0.01),)))
_act("ELU", "Smooth for negatives, approaching −α; keeps mean activations near zero.",
     r"f(x) = \begin{cases} x & x > 0 \\ \alpha (e^{x} - 1) & x \le 0 \end{cases}",
     ParamSet((Param("alpha", "float", 1.0, "Value approached for very negative inputs is −α.", 0.01, 10.0),)))
_act("GELU", "Weights the input by the chance a standard normal is below it; used in Transformers (BERT, GPT).", r"f(x) = x\,\Phi(x)")
_act("SiLU", "x times sigmoid(x) (also called Swish): smooth, non-monotonic.", r"f(x) = x\,\sigma(x)")
_act("Mish", "x·tanh(softplus(x)): smooth like SiLU, slightly different curve.", r"f(x) = x \tanh(\ln(1 + e^{x}))")
_act("Tanh", "Squashes to (−1, 1), centred at zero; saturates for large |x| so gradients can vanish.", r"f(x) = \tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}")
_act("Sigmoid", "Squashes to (0, 1); its derivative is at most 0.25, so deep sigmoid stacks have vanishing gradients.", r"f(x) = \sigma(x) = \frac{1}{1 + e^{-x}}")
_act("Softplus", "A smooth ReLU: log(1 + eˣ).", r"f(x) = \frac{1}{\beta}\ln(1 + e^{\beta x})",
     ParamSet((Param("beta", "float", 1.0, "Sharpness: larger β is closer to ReLU.", 0.1, 20.0),)))
_act("Hardtanh", "Clips values to [min_val, max_val]; a piecewise-linear tanh.", r"f(x) = \min(\max(x, a), b)",
     ParamSet((Param("min_val", "float", -1.0, "Lower clip value a.", -10.0, 0.0), Param("max_val", "float", 1.0, "Upper clip value b.", 0.0, 10.0))))
_act("Identity", "Passes values through unchanged (a linear activation): stacked linear layers stay one linear map.", r"f(x) = x")
_act("Softmax", "Turns a vector into probabilities that sum to 1 (last dimension). CrossEntropyLoss already includes it.",
     r"f(x)_i = \frac{e^{x_i}}{\sum_j e^{x_j}}", ParamSet((Param("dim", "int", -1, "Dimension to normalise over.", -1, -1),)))
_act("LogSoftmax", "log of softmax; pair it with NLLLoss (together they equal CrossEntropyLoss).",
     r"f(x)_i = x_i - \log\sum_j e^{x_j}", ParamSet((Param("dim", "int", -1, "Dimension to normalise over.", -1, -1),)))

ACTIVATIONS = [t for t, d in LAYERS.items() if d.family == "activation"]


def by_family() -> dict[str, list[LayerDef]]:
    """The registry grouped by family, in the order of FAMILIES (for the palette)."""
    return {f: [d for d in LAYERS.values() if d.family == f] for f in FAMILIES}
