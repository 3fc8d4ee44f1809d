"""The architecture diagram: every built layer is a node, every edge carries a shape, residuals get a ⊕ node."""
import re

from conftest import analyze_doc, load_example
from playground.diagram import to_dot
from playground.layers import format_shape
from playground.i18n import using


def test_every_layer_is_a_node_and_every_edge_carries_its_shape():
    a = analyze_doc(load_example("cnn_digits"))
    dot = to_dot(a)
    assert len(re.findall(r"^\s+n\d+ \[label=", dot, re.M)) == len(a.layers)
    edges = re.findall(r'-> n\d+ \[label=" (\([^)]*\))"\]', dot)
    assert edges == [format_shape(info.in_shape) for info in a.layers]
    assert 'output [label="CrossEntropyLoss"' in dot
    assert f"{a.layers[-1].params:,} params" in dot


def test_residual_blocks_draw_a_skip_edge_into_an_add_node():
    doc = {"dataset": {"name": "iris"}, "layers": [{"type": "Linear", "out_features": 8},
                                                   {"type": "Residual", "layers": [{"type": "Linear", "out_features": 8}, {"type": "ReLU"}]},
                                                   {"type": "Linear", "out_features": 3}]}
    dot = to_dot(analyze_doc(doc))
    assert "subgraph cluster_" in dot and 'label="+"' in dot and "style=dashed" in dot and "skip x" in dot


def test_labels_follow_the_language_and_are_quoted():
    with using("zh"):
        dot = to_dot(analyze_doc(load_example("mlp_spiral")))
    assert 'input [label="输入\\n(2,)"' in dot and "个参数" in dot
    assert dot.count('"') % 2 == 0
