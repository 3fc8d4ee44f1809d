"""Every registry entry builds, and its shapes and parameter counts agree with PyTorch on a real forward pass."""
import math

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from playground.layers import ACTIVATIONS, FAMILIES, LAYERS
from playground.modules import Net, SelfAttention, TransformerBlock, sinusoidal_table
from playground.analysis import NAMESPACE
from conftest import analyze_doc as analyze

# Where each layer can sit: a dataset and the layers before it.
CONTEXT = {
    "dense": ("iris", []),
    "image": ("digits", []),
    "conv1d": ("digits", [{"type": "Reshape", "shape": [8, 8]}]),
    "sequence": ("sine_forecast", [{"type": "Linear", "out_features": 16}]),
    "tokens": ("reverse", []),
    "points": ("spiral", []),
}
PLACE = {
    "Conv1d": "conv1d", "MaxPool1d": "conv1d", "AvgPool1d": "conv1d", "Conv2d": "image", "MaxPool2d": "image",
    "AvgPool2d": "image", "AdaptiveAvgPool2d": "image", "BatchNorm2d": "image", "Embedding": "tokens",
    "RNN": "sequence", "LSTM": "sequence", "GRU": "sequence", "MultiheadAttention": "sequence",
    "TransformerBlock": "sequence", "PositionalEncoding": "sequence", "SequencePool": "sequence", "Flatten": "image",
    "InputFeatures": "points",
}


def _spec(dataset, layers, loss="MSELoss"):
    return {"dataset": {"name": dataset}, "layers": layers, "loss": {"type": loss}, "optimizer": {"type": "Adam"}}


def _real_forward(analysis):
    torch.manual_seed(0)
    model = Net(*[i.call.build(NAMESPACE) for i in analysis.layers]).eval()
    ds = analysis.dataset
    x = ds.x_train[:3]
    shapes = []
    hooks = [m.register_forward_hook(lambda m, i, o: shapes.append(tuple(o.shape[1:]))) for m in model]
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return model, shapes


def test_registry_entries_are_complete():
    for name, d in LAYERS.items():
        assert d.family in FAMILIES, name
        assert d.summary.endswith(".") or d.summary.endswith(")"), name
        assert len(d.summary) < 200
        for p in d.params:
            assert p.check(p.default) is None, (name, p.name)
    assert len(ACTIVATIONS) >= 11
    for t in ("ReLU", "LeakyReLU", "ELU", "GELU", "SiLU", "Mish", "Tanh", "Sigmoid", "Softplus", "Hardtanh", "Identity"):
        assert t in ACTIVATIONS


@pytest.mark.parametrize("ltype", [t for t in LAYERS if t != "Residual"])
def test_each_layer_builds_and_matches_pytorch(ltype):
    dataset, before = CONTEXT[PLACE.get(ltype, "sequence" if ltype in ("LayerNorm",) else "dense")]
    a = analyze(_spec(dataset, before + [{"type": ltype}]))
    assert not [p for p in a.problems if p.where != "loss"], a.problems
    model, shapes = _real_forward(a)
    assert [i.out_shape for i in a.layers] == shapes
    assert a.total_params == sum(p.numel() for p in model.parameters())


def test_residual_adds_inner_stack():
    a = analyze(_spec("iris", [{"type": "Linear", "out_features": 3},
                               {"type": "Residual", "layers": [{"type": "Linear", "out_features": 3}, {"type": "ReLU"}]}]))
    assert a.ok, a.problems
    model, shapes = _real_forward(a)
    assert shapes == [(3,), (3,)]
    assert a.layers[1].params == 12 and [c.type for c in a.layers[1].children] == ["Linear", "ReLU"]
    x = torch.randn(2, 3)
    inner = model[1].inner
    assert torch.allclose(model[1](x), x + inner(x))


def test_residual_shape_mismatch_is_named():
    a = analyze(_spec("iris", [{"type": "Residual", "layers": [{"type": "Linear", "out_features": 8}]}]))
    assert not a.ok
    assert a.problems[0].message.startswith("layer 0 (Residual): its inner layers turn (4,) into (8,)")


def test_attention_is_the_formula_and_counts_like_pytorch():
    torch.manual_seed(0)
    att = SelfAttention(8, 2)
    ref = nn.MultiheadAttention(8, 2, batch_first=True)
    assert sum(p.numel() for p in att.parameters()) == sum(p.numel() for p in ref.parameters())
    with torch.no_grad():
        ref.in_proj_weight.copy_(att.in_proj.weight)
        ref.in_proj_bias.copy_(att.in_proj.bias)
        ref.out_proj.weight.copy_(att.out_proj.weight)
        ref.out_proj.bias.copy_(att.out_proj.bias)
    x = torch.randn(3, 5, 8)
    mask = torch.ones(5, 5, dtype=torch.bool).triu(1)
    for causal in (False, True):
        att.causal = causal
        ours = att(x)
        theirs, _ = ref(x, x, x, attn_mask=mask if causal else None, need_weights=False)
        assert torch.allclose(ours, theirs, atol=1e-5)


def test_transformer_block_matches_pytorch_encoder_layer():
    block = TransformerBlock(16, 4, 32)
    ref = nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, batch_first=True)
    assert sum(p.numel() for p in block.parameters()) == sum(p.numel() for p in ref.parameters())
    sd = {"self_attn.in_proj_weight": block.attention.in_proj.weight, "self_attn.in_proj_bias": block.attention.in_proj.bias,
          "self_attn.out_proj.weight": block.attention.out_proj.weight, "self_attn.out_proj.bias": block.attention.out_proj.bias,
          "linear1.weight": block.feedforward[0].weight, "linear1.bias": block.feedforward[0].bias,
          "linear2.weight": block.feedforward[3].weight, "linear2.bias": block.feedforward[3].bias,
          "norm1.weight": block.norm1.weight, "norm1.bias": block.norm1.bias, "norm2.weight": block.norm2.weight, "norm2.bias": block.norm2.bias}
    ref.load_state_dict({k: v.detach() for k, v in sd.items()})
    ref.eval()
    block.eval()
    x = torch.randn(2, 6, 16)
    assert torch.allclose(block(x), ref(x), atol=1e-5)


def test_sinusoidal_encoding_is_the_standard_formula():
    pe = sinusoidal_table(50, 16)
    for pos in (0, 7, 49):
        for i in range(8):
            angle = pos / 10000 ** (2 * i / 16)
            assert math.isclose(pe[pos, 2 * i].item(), math.sin(angle), abs_tol=1e-5)
            assert math.isclose(pe[pos, 2 * i + 1].item(), math.cos(angle), abs_tol=1e-5)


# ---------------------------------------------------------------- property: random valid stacks
DENSE = st.sampled_from(["ReLU", "Tanh", "GELU", "Sigmoid", "LeakyReLU", "Dropout", "LayerNorm", "BatchNorm1d", "Identity"])


@st.composite
def mlp_stack(draw):
    layers = []
    for _ in range(draw(st.integers(1, 5))):
        layers.append({"type": "Linear", "out_features": draw(st.integers(1, 24)), "bias": draw(st.booleans())})
        layers += [{"type": draw(DENSE)} for _ in range(draw(st.integers(0, 2)))]
    return "wine", layers


@st.composite
def cnn_stack(draw):
    layers, size = [], 8
    for _ in range(draw(st.integers(1, 3))):
        k = draw(st.integers(1, min(5, size)))
        pad = draw(st.integers(0, k // 2))
        stride = draw(st.integers(1, 2))
        layers.append({"type": "Conv2d", "out_channels": draw(st.integers(1, 6)), "kernel_size": k, "padding": pad, "stride": stride})
        size = (size + 2 * pad - k) // stride + 1
        if draw(st.booleans()):
            layers.append({"type": draw(st.sampled_from(["BatchNorm2d", "ReLU", "ELU"]))})
        if size >= 2 and draw(st.booleans()):
            layers.append({"type": draw(st.sampled_from(["MaxPool2d", "AvgPool2d"])), "kernel_size": 2})
            size //= 2
    layers += [{"type": "Flatten"}, {"type": "Linear", "out_features": draw(st.integers(1, 12))}]
    return "digits", layers


@st.composite
def seq_stack(draw):
    heads = draw(st.sampled_from([1, 2, 4]))
    d = heads * draw(st.integers(1, 4)) * 2
    layers = [{"type": "Embedding", "embedding_dim": d}]
    if draw(st.booleans()):
        layers.append({"type": "PositionalEncoding", "kind": draw(st.sampled_from(["sinusoidal", "learned"]))})
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["TransformerBlock", "MultiheadAttention", "LSTM", "GRU", "RNN"]))
        if kind == "TransformerBlock":
            layers.append({"type": kind, "num_heads": heads, "dim_feedforward": draw(st.integers(1, 40)), "causal": draw(st.booleans())})
        elif kind == "MultiheadAttention":
            layers.append({"type": kind, "num_heads": heads, "causal": draw(st.booleans())})
        else:
            bi = draw(st.booleans())
            layers.append({"type": kind, "hidden_size": d // 2 if bi else d, "bidirectional": bi, "num_layers": draw(st.integers(1, 2))})
    if draw(st.booleans()):
        layers += [{"type": "SequencePool", "mode": draw(st.sampled_from(["mean", "last", "max", "first"]))}]
    layers.append({"type": "Linear", "out_features": draw(st.integers(1, 12))})
    return "reverse", layers


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(mlp_stack(), cnn_stack(), seq_stack()))
def test_random_valid_stacks_build_and_match_pytorch(case):
    dataset, layers = case
    a = analyze(_spec(dataset, layers))
    assert not [p for p in a.problems if p.where != "loss"], a.problems
    assert len(a.layers) == len(layers)
    model, shapes = _real_forward(a)
    assert [i.out_shape for i in a.layers] == shapes
    assert a.total_params == sum(p.numel() for p in model.parameters())
    for info, module in zip(a.layers, model):
        assert info.params == sum(p.numel() for p in module.parameters())
