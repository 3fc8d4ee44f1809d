"""How fast Inspect answers a click, in real Chromium against `streamlit run app.py`; and the server time of its views.

    python benchmarks/inspect_speed.py             # both tables (about 4 minutes; needs /usr/bin/chromium)
    python benchmarks/inspect_speed.py --server    # only the server-side table

Chromium: for each model (digits CNN, Transformer reverse, spiral MLP, LSTM majority) a session trains it briefly
on the Train page, then each click is timed from the click to "settled": the script has run (a rerun was seen
and has ended), nothing is stale, and every visible Plotly chart has drawn its SVG. Target: 1.5 s per click.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import torch  # noqa: E402

from playground import inspection as I  # noqa: E402
from playground.model import build_model  # noqa: E402
from playground.plots import attention, conv, dense, dynamics, evaluation, outputs  # noqa: E402
from playground.analysis import analyze  # noqa: E402
from playground.spec import encode_link, from_data  # noqa: E402

EXAMPLES = ROOT / "playground" / "examples"
TARGET = 1.5
MODELS = (("digits CNN", "cnn_digits"), ("Transformer, reverse", "transformer_reverse"),
          ("spiral MLP", "mlp_spiral"), ("LSTM, majority", "lstm_majority"))
WATCH_JS = """() => {
  window.__sawRun = false;
  const app = document.querySelector('[data-testid="stApp"]');
  if (window.__watch) window.__watch.disconnect();
  window.__watch = new MutationObserver(() => {
    if (app.getAttribute('data-test-script-state') === 'running') window.__sawRun = true;
  });
  window.__watch.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""
SETTLED_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!window.__sawRun || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  const charts = Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"]')).filter(c => c.offsetParent);
  return charts.length > 0 && charts.every(c => c.querySelector('.main-svg'));
}"""


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


# ---------------------------------------------------------------- Chromium: click → settled
def _timed_click(page, locator) -> float:
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000)
    page.wait_for_timeout(400)
    locator.click(trial=True)  # Playwright's actionability checks happen before the clock starts
    page.evaluate(WATCH_JS)
    t0 = time.perf_counter()
    locator.click()
    page.wait_for_function(SETTLED_JS, timeout=60_000, polling=10)
    return time.perf_counter() - t0


def _trained_page(browser, url: str, name: str):
    spec = example(name)
    spec["training"]["epochs"] = 2
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{url}/train?spec={encode_link(from_data(spec))}")
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000)
    page.get_by_role("button", name="Start").click()
    page.wait_for_selector("text=Finished", timeout=120_000)
    return page


def clicks(browser, url: str, name: str) -> dict[str, float]:
    """Seconds from each click to the page settling, for one freshly trained model."""
    page = _trained_page(browser, url, name)
    times = {"Train → Inspect": _timed_click(page, page.get_by_role("link", name="Inspect", exact=True))}
    page.wait_for_url(re.compile("/inspect"))
    step_up = page.locator(".st-key-insp-index").get_by_test_id("stNumberInputStepUp")
    times["next test sample"] = _timed_click(page, step_up)
    pills = page.locator(".st-key-insp-layer button")
    times["another layer"] = _timed_click(page, pills.last)  # the output layer: never the one shown first
    times["Training dynamics tab"] = _timed_click(page, page.get_by_role("tab", name="Training dynamics"))
    times["Evaluation tab"] = _timed_click(page, page.get_by_role("tab", name="Evaluation"))
    times["back to Look inside"] = _timed_click(page, page.get_by_role("tab", name="Look inside"))
    page.close()
    return times


def browser_table(rounds: int) -> None:
    from playwright.sync_api import sync_playwright

    from server import CHROMIUM, CHROMIUM_ARGS, serve_app

    results: dict[tuple[str, str], list[float]] = {}
    with serve_app() as (url, _pid), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(rounds):
            for label, name in MODELS:
                for click, seconds in clicks(browser, url, name).items():
                    results.setdefault((label, click), []).append(seconds)
        browser.close()
    print(f"Chromium, 1400×900, click → settled; {rounds} rounds (a fresh session and training run each); "
          f"load average {os.getloadavg()[0]:.1f} at the end\n")
    print("| model | click | median (s) | worst (s) | target (s) | met |")
    print("|---|---|---:|---:|---:|:---:|")
    for (label, click), times in results.items():
        worst = max(times)
        print(f"| {label} | {click} | {statistics.median(times):.2f} | {worst:.2f} | ≤ {TARGET:g} | "
              f"{'yes' if worst <= TARGET else 'NO'} |")


# ---------------------------------------------------------------- server side: compute + figures + JSON
def _example(name: str):
    analysis = analyze(from_data(example(name))).raise_if_invalid()
    return analysis, build_model(analysis).eval()


def _send(figures) -> None:
    for fig in figures:
        fig.to_json()  # what Streamlit does before sending a chart


def cnn_view(analysis, model) -> None:
    """The default CNN view: the input, the prediction, the first conv layer's maps and kernels, one conv step."""
    x, info = I.prepare_input(analysis.dataset, 0)
    tr = I.trace(model, analysis, x)
    first = I.kernels(model, analysis)[0]
    step = I.conv_step(tr.layer_input(first.index), first.weights[0], float(first.bias[0]), first.stride,
                       first.padding, 3, 4)
    _send([conv.input_image(tr.input), outputs.class_probabilities(tr.probabilities, analysis.dataset.class_names,
                                                                   info["label"]),
           outputs.layer_output(tr.layers[first.index]), conv.kernels(first), conv.conv_step(step)[0]])


def transformer_view(analysis, model) -> None:
    """A typed sequence: the per-position probabilities, the first block's attention and output."""
    x, info = I.prepare_input(analysis.dataset, raw="3 1 4 1 5 9 2 6")
    tr = I.trace(model, analysis, x)
    att = tr.attention[0]
    _send([outputs.token_probabilities(tr.probabilities, tr.tokens, I.class_labels(analysis.dataset), info["target"]),
           attention.attention_heatmaps(att, tr.tokens), outputs.layer_output(tr.layers[att.index], tr.tokens)])


def plane_view(analysis, model) -> None:
    """TensorFlow Playground's screen: one 80×80 pass gives the decision map and every neuron's thumbnail."""
    ds = analysis.dataset
    grid = I.decision_grid(model, analysis, ds, neurons=True)
    _send([dense.decision_boundary(grid, ds.x_train, ds.y_train, ds.x_test, ds.y_test), dense.neuron_thumbnails(grid)])


def health_view(analysis, model) -> None:
    """The other two tabs: evaluation of the whole test split, weight and activation histograms."""
    ds = analysis.dataset
    ev = I.evaluate(model, analysis, ds)
    acts = I.activation_stats(model, analysis, ds.x_test[:512])
    _send([evaluation.confusion_matrix(ev), evaluation.per_class_accuracy(ev),
           evaluation.wrong_examples(ev, ds.x_test, ds.y_test, ds.feature_names),
           dynamics.weight_histograms(I.weight_stats(model, analysis)), dynamics.activation_histograms(acts),
           dynamics.dead_relu(acts)])


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


def server_table(repeat: int) -> None:
    torch.set_num_threads(1)  # as the app's sessions run
    cnn = _example("cnn_digits")
    rows = [
        ("Look inside, digits CNN (examples/cnn_digits.json)", cnn_view, cnn),
        ("Look inside, Transformer (examples/transformer_reverse.json)", transformer_view,
         _example("transformer_reverse")),
        ("Look inside, spiral MLP: 80×80 map + neurons (examples/mlp_spiral.json)", plane_view, _example("mlp_spiral")),
        ("Dynamics + Evaluation, digits CNN (359 test images)", health_view, cnn),
    ]
    print(f"torch {torch.__version__}, 1 thread; compute + figures + Plotly JSON; {repeat} runs after a first one; "
          f"load average {os.getloadavg()[0]:.1f}\n")
    print("| view | first (s) | median (s) | worst (s) |")
    print("|---|---:|---:|---:|")
    for label, fn, model_args in rows:
        first, median, worst = _time(fn, model_args, repeat)
        print(f"| {label} | {first:.3f} | {median:.3f} | {worst:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", action="store_true", help="only the server-side table")
    parser.add_argument("--repeat", type=int, default=10, help="server-side runs per view")
    parser.add_argument("--rounds", type=int, default=3, help="Chromium rounds per model")
    args = parser.parse_args()
    server_table(args.repeat)
    if not args.server:
        print()
        browser_table(args.rounds)


if __name__ == "__main__":
    main()
