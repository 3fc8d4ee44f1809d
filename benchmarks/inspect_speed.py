"""Server time of the Inspect views: trace + figures (+ Plotly JSON, which Streamlit sends) per model.

Run from the repository root: `python benchmarks/inspect_speed.py [--repeat N]`. Prints a markdown table.
"""
import os
import sys

# from the import path before anything else is imported, and put the repository root there instead.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(_HERE))

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import torch  # noqa: E402

from playground import inspection as I  # noqa: E402
from playground.model import build_model  # noqa: E402
from playground.plots import inspect as P  # noqa: E402
from playground.spec import analyze  # noqa: E402

EXAMPLES = Path(_HERE).parent / "playground" / "examples"


def _example(name: str):
    analysis = analyze(json.loads((EXAMPLES / f"{name}.json").read_text())).raise_if_invalid()
    return analysis, build_model(analysis).eval()


def _send(figures) -> None:
    for fig in figures:
        fig.to_json()


def cnn_view(analysis, model) -> None:
    """Everything the Inspect page can show for one digit: every layer, every kernel set, one conv step."""
    x, info = I.prepare_input(analysis.dataset, 0)
    tr = I.trace(model, analysis, x)
    sets = I.kernels(model, analysis)
    step = I.conv_step(tr.layer_input(sets[0].index), sets[0].weights[0], float(sets[0].bias[0]),
                       sets[0].stride, sets[0].padding, 3, 4)
    figs = [P.input_image(tr.input), P.class_probabilities(tr.probabilities, analysis.dataset.class_names, info["label"]),
            P.conv_step(step)[0]]
    figs += [P.layer_output(layer) for layer in tr.layers]
    figs += [P.kernels(k) for k in sets]
    _send(figs)


def transformer_view(analysis, model) -> None:
    """A typed sequence: every layer's output, every block's attention, the per-position probabilities."""
    x, info = I.prepare_input(analysis.dataset, raw="3 1 4 1 5 9 2 6")
    tr = I.trace(model, analysis, x)
    figs = [P.attention_heatmaps(a, tr.tokens) for a in tr.attention]
    figs += [P.layer_output(layer, tr.tokens) for layer in tr.layers]
    figs.append(P.token_probabilities(tr.probabilities, tr.tokens, analysis.dataset.class_names, info["target"]))
    _send(figs)


def neuron_view(analysis, model) -> None:
    """TensorFlow Playground's screen: the 80×80 decision map behind the data and every neuron's thumbnail."""
    ds = analysis.dataset
    grid = I.decision_grid(model, analysis, ds, resolution=80, neurons=True)
    _send([P.decision_boundary(grid, ds.x_train, ds.y_train, ds.x_test, ds.y_test), P.neuron_thumbnails(grid)])


def evaluation_view(analysis, model) -> None:
    """The whole test split: confusion matrix, accuracy per class, the most confident mistakes."""
    ev = I.evaluate(model, analysis, analysis.dataset)
    acts = I.activation_stats(model, analysis, analysis.dataset.x_test[:256])
    _send([P.confusion_matrix(ev), P.per_class_accuracy(ev), P.wrong_examples(ev),
           P.weight_histograms(I.weight_stats(model, analysis)), P.activation_histograms(acts), P.dead_relu(acts)])


def _mlp_4x8():
    spec = {"name": "4 x 8 tanh MLP", "dataset": {"name": "spiral"},
            "layers": [layer for _ in range(4) for layer in ({"type": "Linear", "out_features": 8}, {"type": "Tanh"})]
            + [{"type": "Linear", "out_features": 2}]}
    analysis = analyze(spec).raise_if_invalid()
    return analysis, build_model(analysis).eval()


def _time(fn, args, repeat: int) -> tuple[float, float, float]:
    """(first call, median, worst of the rest) in seconds."""
    start = time.perf_counter()
    fn(*args)
    first = time.perf_counter() - start
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return first, statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(1)  # as the app's sessions run; two OpenMP threads on a busy 2-core machine crawl
    cnn = _example("cnn_digits")
    rows = [
        ("trace + figures: digits CNN (examples/cnn_digits.json)", cnn_view, cnn, 1.0),
        ("trace + figures: 2-block Transformer (examples/transformer_reverse.json)", transformer_view,
         _example("transformer_reverse"), 1.0),
        ("neuron view: 2-D MLP 4 × 8 on spiral (80×80 grid)", neuron_view, _mlp_4x8(), 0.5),
        ("evaluation + health figures: digits CNN (360 test images)", evaluation_view, cnn, None),
    ]
    print(f"torch {torch.__version__}, 1 thread; {args.repeat} runs after a first (cold) one\n")
    print("| view | first (s) | median (s) | worst (s) | target (s) | met |")
    print("|---|---:|---:|---:|---:|:---:|")
    for label, fn, model_args, target in rows:
        first, median, worst = _time(fn, model_args, args.repeat)
        met = "—" if target is None else ("yes" if worst <= target else "NO")
        shown = "—" if target is None else f"≤ {target:g}"
        print(f"| {label} | {first:.3f} | {median:.3f} | {worst:.3f} | {shown} | {met} |")


if __name__ == "__main__":
    main()
