"""App targets, measured against a real `streamlit run app.py` and real Chromium. Prints a markdown table.

    python benchmarks/app.py

- Start → first loss point visible in Chromium (target ≤ 1.5 s)
- Each Train button, click → its effect on the page (target ≤ 0.5 s)
- Editing a parameter on a 30-layer model: Build page server time (target ≤ 300 ms), via AppTest
- Live training throughput vs the headless trainer, digits CNN (target ≥ 0.8×)
- Server plus its worker processes, RSS while one session trains the digits CNN (target < 500 MB for the server)
- What a training page costs its browser: Chromium's main-thread busy time while the charts grow (target ≤ 0.1 core)

Many sessions at once (a class of 30) are measured by benchmarks/crowd.py.
"""
from __future__ import annotations

import json
import os
import re
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import torch  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from playground.analysis import analyze  # noqa: E402
from playground.spec import encode_link, from_data  # noqa: E402
from playground.training import train  # noqa: E402
from server import CHROMIUM, CHROMIUM_ARGS, IDLE, process_tree, serve_app  # noqa: E402

torch.set_num_threads(1)
EXAMPLES = ROOT / "playground" / "examples"
LOSS_POINTS_JS = """() => {
  const paths = document.querySelectorAll('.pg-live-chart[data-chart=loss] g.scatterlayer g.trace path.js-line');
  for (const p of paths) { const d = p.getAttribute('d'); if (d && d.length > 3) return true; }
  return false;
}"""


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def rss_mb(*pids: int) -> float:
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            pass
    return total / 2**20


def progress(page) -> str:
    loc = page.get_by_test_id("pg-progress")
    return loc.inner_text() if loc.count() else ""


CHART_READY_JS = "() => window.Plotly && document.querySelector('.pg-live-chart[data-chart=loss] .main-svg')"


def first_loss_point(browser, url: str) -> tuple[list[float], list[float]]:
    """Seconds from Start to the first loss point on the chart, on a page that has loaded (its empty loss chart
    drawn, so Plotly is in); and, for each page, seconds from the app being idle to that empty chart (fetching
    and starting plotly.min.js, 3.6 MB: a fresh browser context each time, so nothing is cached)."""
    spec = example("cnn_digits")
    times, loads = [], []
    for _ in range(3):
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(f"{url}/train?spec={encode_link(from_data(spec))}")
        page.wait_for_selector(IDLE, timeout=60_000)
        t_idle = time.perf_counter()
        page.wait_for_function(CHART_READY_JS, timeout=60_000, polling=20)
        loads.append(time.perf_counter() - t_idle)
        page.wait_for_timeout(500)
        t0 = time.perf_counter()
        page.get_by_role("button", name="Start").click()
        page.wait_for_function(LOSS_POINTS_JS, timeout=30_000, polling=20)
        times.append(time.perf_counter() - t0)
        page.get_by_role("button", name="Stop").click()
        page.wait_for_selector("text=Stopped by you", timeout=30_000)  # else the run trains on in its grace period
        page.close()
    return times, loads


PROGRESS_JS = """() => { const el = document.querySelector('[data-testid="pg-progress"]'); return el ? el.innerText : ''; }"""


def button_responses(browser, url: str, rounds: int = 3) -> dict[str, list[float]]:
    """Seconds from a click on each Train button to the page showing its effect (digits CNN, one session)."""
    spec = example("cnn_digits")
    spec["training"]["epochs"] = 200
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.goto(f"{url}/train?spec={encode_link(from_data(spec))}")
    page.wait_for_selector(IDLE, timeout=60_000)
    page.wait_for_function(CHART_READY_JS, timeout=60_000, polling=20)  # loaded: Plotly's start-up would delay the first click
    times: dict[str, list[float]] = {}

    def timed(label: str, shown_js: str, arg=None) -> None:
        page.wait_for_selector(IDLE, timeout=30_000)
        page.wait_for_timeout(300)
        button = page.get_by_role("button", name=label, exact=True)
        button.click(trial=True)  # Playwright's actionability checks (visible, stable, enabled) before the clock starts
        t0 = time.perf_counter()
        button.click()
        page.wait_for_function(shown_js, arg=arg, timeout=10_000, polling=10)
        times.setdefault(label, []).append(time.perf_counter() - t0)

    def status_is(word: str) -> str:
        return f"() => ({PROGRESS_JS})().startsWith('{word}')"

    for _ in range(rounds):
        timed("Start", status_is("Running"))
        timed("Pause", status_is("Paused"))
        timed("Step", f"before => ({PROGRESS_JS})() !== before", page.evaluate(PROGRESS_JS))
        timed("Resume", status_is("Running"))
        timed("Stop", status_is("Stopped"))
        timed("Reset", "() => document.body.innerText.includes('Reset: fresh weights')")
    page.close()
    return times


def live_vs_headless(browser, url: str, pid: int) -> tuple[list[float], float, float, float]:
    """Best of 3 headless runs against each of 3 live runs (a browser on the same machine drawing the charts);
    and the RSS peaks of the server with its workers, and of the server alone."""
    spec = example("cnn_digits")
    spec["training"]["epochs"] = 12
    headless = max(list(train(analyze(from_data(spec)).raise_if_invalid()))[-1].samples_per_second for _ in range(3))
    live, peak, server_peak = [], 0.0, 0.0
    for _ in range(3):
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(f"{url}/train?spec={encode_link(from_data(spec))}")
        page.wait_for_selector(IDLE, timeout=60_000)
        done = threading.Event()
        peaks = []

        def sample() -> None:  # in a thread: polling the page from here would itself load its renderer
            top = alone = 0.0
            while not done.is_set():
                top, alone = max(top, rss_mb(*process_tree(pid))), max(alone, rss_mb(pid))
                time.sleep(0.25)
            peaks.append((top, alone))

        sampler = threading.Thread(target=sample)
        sampler.start()
        page.get_by_role("button", name="Start").click()
        page.wait_for_selector("text=Finished", timeout=120_000)
        done.set()
        sampler.join()
        peak, server_peak = max(peak, peaks[0][0]), max(server_peak, peaks[0][1])
        live.append(float(re.search(r"([\d,]+) samples/s", progress(page)).group(1).replace(",", "")))
        page.close()
    return live, headless, peak, server_peak


def browser_cost(browser, url: str, window: float = 10.0) -> tuple[float, float]:
    """A Chromium page training the digits CNN (loss and accuracy charts growing): its main thread's busy time per
    second of the window (Chrome DevTools' TaskDuration), and the share of that spent in scripts."""
    spec = example("cnn_digits")
    spec["training"]["epochs"] = 1000  # longer than the measurement
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.goto(f"{url}/train?spec={encode_link(from_data(spec))}")
    page.wait_for_selector(IDLE, timeout=60_000)
    page.get_by_role("button", name="Start").click()
    page.wait_for_function(LOSS_POINTS_JS, timeout=60_000, polling=100)
    page.wait_for_timeout(3000)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")

    def metrics() -> dict[str, float]:
        return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}

    before, t0 = metrics(), time.perf_counter()
    page.wait_for_timeout(window * 1000)
    after, t1 = metrics(), time.perf_counter()
    busy = (after["TaskDuration"] - before["TaskDuration"]) / (t1 - t0)
    scripts = (after["ScriptDuration"] - before["ScriptDuration"]) / (t1 - t0)
    page.get_by_role("button", name="Stop").click()
    page.close()
    return busy, scripts


def build_edit_ms() -> list[float]:
    from streamlit.testing.v1 import AppTest

    layers = []
    for _ in range(14):
        layers += [{"type": "Linear", "out_features": 32}, {"type": "ReLU"}]
    layers += [{"type": "Linear", "out_features": 16}, {"type": "Linear", "out_features": 2}]
    spec = {"name": "30 layers", "dataset": {"name": "spiral"}, "layers": layers}
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["spec"] = encode_link(from_data(spec))
    at.run()
    times = []
    for value in range(33, 41):
        widget = next(w for w in at.number_input if w.key and w.key.endswith("p:(0,):out_features"))
        t0 = time.perf_counter()
        widget.set_value(value).run()
        times.append((time.perf_counter() - t0) * 1000)
        assert at.session_state["spec"].layers[0].out_features == value
    return times


def main() -> None:
    if CHROMIUM is None:
        sys.exit("needs Chromium: apt-get install chromium")
    edit = build_edit_ms()
    with serve_app(ROOT / ".bench-streamlit.log") as (url, pid), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        first, loads = first_loss_point(browser, url)
        buttons = button_responses(browser, url)
        live_samples, headless, peak, server_peak = live_vs_headless(browser, url, pid)
        busy, scripts = browser_cost(browser, url)
        browser.close()
    live = statistics.median(live_samples)
    rows = [
        ("Start → first loss point in Chromium (digits CNN, the page loaded), median of 3", f"{statistics.median(first):.2f} s", "≤ 1.5 s"),
        ("Train page idle → its empty loss chart drawn (plotly.min.js fetched and started, nothing cached), median of 3",
         f"{statistics.median(loads):.2f} s", "—"),
        ("Train buttons, click → page shows the effect (Start, Pause, Step, Resume, Stop, Reset; 3 rounds), slowest click",
         f"{max(max(v) for v in buttons.values()):.2f} s", "≤ 0.5 s"),
        ("Build page re-render after a parameter edit, 30-layer model (AppTest), median of 8", f"{statistics.median(edit):.0f} ms", "≤ 300 ms"),
        ("Live training throughput / headless (digits CNN, 12 epochs), median of 3 live runs", f"{live:,.0f} / {headless:,.0f} samples/s = {live / headless:.2f}×", "≥ 0.8×"),
        ("RSS peak while one session trains the digits CNN: server / server plus its worker processes",
         f"{server_peak:.0f} MB / {peak:.0f} MB", "< 500 MB (server)"),
        ("A training page in Chromium (digits CNN, loss and accuracy charts growing): main-thread busy time",
         f"{busy:.3f} core (scripts {scripts:.3f})", "≤ 0.1 core"),
    ]
    print(f"App benchmarks · {time.strftime('%Y-%m-%d %H:%M')} · {torch.get_num_threads()} torch thread · {os.cpu_count()} CPU(s) · "
          f"load average {os.getloadavg()[0]:.1f}\n")
    print("| measurement | result | target |")
    print("|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")
    print("\nbuttons (median / worst): " + ", ".join(f"{k} {statistics.median(v):.2f}/{max(v):.2f} s" for k, v in buttons.items()))
    print(f"first-point runs: {', '.join(f'{t:.2f} s' for t in first)}; live runs: {', '.join(f'{x / headless:.2f}×' for x in live_samples)}")


if __name__ == "__main__":
    main()
