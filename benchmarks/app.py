"""App targets, measured against a real `streamlit run app.py` and real Chromium. Prints a markdown table.

    python benchmarks/app.py

- Start → first loss point visible in Chromium (target ≤ 1.5 s)
- Editing a parameter on a 30-layer model: Build page server time (target ≤ 300 ms), via AppTest
- Live training throughput vs the headless trainer, digits CNN (target ≥ 0.8×)
- Server RSS while one session trains the digits CNN (target < 500 MB)
- 5 sessions training at once: the longest gap between two progress updates per page (target ≤ 1 s)
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

from playground.spec import analyze, encode_link  # noqa: E402
from playground.training import train  # noqa: E402
from server import CHROMIUM, CHROMIUM_ARGS, IDLE, serve_app  # noqa: E402

torch.set_num_threads(1)
EXAMPLES = ROOT / "playground" / "examples"
LOSS_POINTS_JS = """() => {
  const paths = document.querySelectorAll('.st-key-chart-loss g.scatterlayer g.trace path.js-line');
  for (const p of paths) { const d = p.getAttribute('d'); if (d && d.length > 3) return true; }
  return false;
}"""


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def progress(page) -> str:
    loc = page.get_by_test_id("stProgress")
    return loc.inner_text() if loc.count() else ""


def first_loss_point(browser, url: str) -> list[float]:
    spec = example("cnn_digits")
    times = []
    for _ in range(3):
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(f"{url}/train?spec={encode_link(spec)}")
        page.wait_for_selector(IDLE, timeout=60_000)
        page.wait_for_timeout(500)
        t0 = time.perf_counter()
        page.get_by_role("button", name="Start").click()
        page.wait_for_function(LOSS_POINTS_JS, timeout=30_000, polling=20)
        times.append(time.perf_counter() - t0)
        page.get_by_role("button", name="Stop").click()
        page.close()
    return times


def live_vs_headless(browser, url: str, pid: int) -> tuple[list[float], float, float]:
    """Best of 3 headless runs against each of 3 live runs (a browser on the same machine drawing the charts)."""
    spec = example("cnn_digits")
    spec["training"]["epochs"] = 12
    headless = max(list(train(analyze(spec).raise_if_invalid()))[-1].samples_per_second for _ in range(3))
    live, peak = [], 0.0
    for _ in range(3):
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(f"{url}/train?spec={encode_link(spec)}")
        page.wait_for_selector(IDLE, timeout=60_000)
        done = threading.Event()
        peaks = []

        def sample() -> None:  # in a thread: polling the page from here would itself load its renderer
            top = 0.0
            while not done.is_set():
                top = max(top, rss_mb(pid))
                time.sleep(0.25)
            peaks.append(top)

        sampler = threading.Thread(target=sample)
        sampler.start()
        page.get_by_role("button", name="Start").click()
        page.wait_for_selector("text=Finished", timeout=120_000)
        done.set()
        sampler.join()
        peak = max(peak, peaks[0])
        live.append(float(re.search(r"([\d,]+) samples/s", progress(page)).group(1).replace(",", "")))
        page.close()
    return live, headless, peak


WATCH_PROGRESS_JS = """() => {
  window.__updates = []; let last = '';
  new MutationObserver(() => {
    const el = document.querySelector('[data-testid="stProgress"]');
    const text = el ? el.innerText : '';
    if (text !== last) { last = text; window.__updates.push(performance.now()); }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def _worst_gap(stamps: list[float], t0: float, t1: float) -> float:
    edges = [t0] + [t for t in stamps if t0 <= t <= t1] + [t1]
    return max(b - a for a, b in zip(edges, edges[1:]))


def prioritise_browser() -> None:
    """In a classroom every browser runs on its own laptop; here five share the server's two cores. Raising
    Chromium's priority above the server's keeps the clients from starving, so the timing shows the server."""
    import subprocess

    for pid in subprocess.run(["pgrep", "-f", "chromium"], capture_output=True, text=True).stdout.split():
        try:
            os.setpriority(os.PRIO_PROCESS, int(pid), -5)
        except OSError:
            pass


def five_sessions(browser, url: str) -> tuple[list[float], list[float]]:
    """Per page, the longest gap (a) between two messages from the server on its websocket and (b) between two
    repaints of its progress line, recorded inside the page. (a) is the server keeping up; (b) adds the
    browser, here five pages rendering charts on the same two cores as the server and its five trainers."""
    spec = example("cnn_digits")
    spec["training"]["epochs"] = 200
    pages, frames = [], []
    for _ in range(5):
        page = browser.new_context(viewport={"width": 1300, "height": 900}).new_page()
        stamps: list[float] = []
        page.on("websocket", lambda ws, stamps=stamps: ws.on("framereceived", lambda _payload: stamps.append(time.perf_counter())))
        page.goto(f"{url}/train?spec={encode_link(spec)}")
        page.wait_for_selector(IDLE, timeout=60_000)
        page.evaluate(WATCH_PROGRESS_JS)
        pages.append(page)
        frames.append(stamps)
    prioritise_browser()
    for page in pages:
        page.get_by_role("button", name="Start").click()
    pages[0].wait_for_timeout(3000)  # all five running
    dom_window = [page.evaluate("() => performance.now()") for page in pages]
    t0 = time.perf_counter()
    while time.perf_counter() < t0 + 10:
        pages[0].wait_for_timeout(50)  # lets Playwright deliver the frame events as they come
    t1 = time.perf_counter()
    server = [_worst_gap(stamps, t0, t1) for stamps in frames]
    shown = []
    for page, start in zip(pages, dom_window):
        end = page.evaluate("() => performance.now()")
        shown.append(_worst_gap(page.evaluate("() => window.__updates"), start, end) / 1000)
    for page in pages:
        page.get_by_role("button", name="Stop").click()
        page.context.close()
    return server, shown


def build_edit_ms() -> list[float]:
    from streamlit.testing.v1 import AppTest

    layers = []
    for _ in range(14):
        layers += [{"type": "Linear", "out_features": 32}, {"type": "ReLU"}]
    layers += [{"type": "Linear", "out_features": 16}, {"type": "Linear", "out_features": 2}]
    spec = {"name": "30 layers", "dataset": {"name": "spiral"}, "layers": layers}
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["spec"] = encode_link(spec)
    at.run()
    times = []
    for value in range(33, 41):
        widget = next(w for w in at.number_input if w.key and w.key.endswith("p:(0,):out_features"))
        t0 = time.perf_counter()
        widget.set_value(value).run()
        times.append((time.perf_counter() - t0) * 1000)
        assert at.session_state["spec"]["layers"][0]["out_features"] == value
    return times


def main() -> None:
    if CHROMIUM is None:
        sys.exit("needs Chromium: apt-get install chromium")
    edit = build_edit_ms()
    with serve_app(ROOT / ".bench-streamlit.log") as (url, pid), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        first = first_loss_point(browser, url)
        live_samples, headless, peak = live_vs_headless(browser, url, pid)
        live = statistics.median(live_samples)
        live_runs = [x / headless for x in live_samples]
        gaps, shown = five_sessions(browser, url)
        browser.close()
    rows = [
        ("Start → first loss point in Chromium (digits CNN), median of 3", f"{statistics.median(first):.2f} s", "≤ 1.5 s"),
        ("Build page re-render after a parameter edit, 30-layer model (AppTest), median of 8", f"{statistics.median(edit):.0f} ms", "≤ 300 ms"),
        ("Live training throughput / headless (digits CNN, 12 epochs), median of 3 live runs", f"{live:,.0f} / {headless:,.0f} samples/s = {live / headless:.2f}×", "≥ 0.8×"),
        ("Server RSS peak while one session trains the digits CNN", f"{peak:.0f} MB", "< 500 MB"),
        ("5 sessions training at once: longest gap between two server updates of a page (worst page)", f"{max(gaps):.2f} s", "≤ 1 s"),
        ("… and between two repaints of its progress line in Chromium (same 2 cores)", f"{max(shown):.2f} s", "—"),
    ]
    print(f"App benchmarks · {time.strftime('%Y-%m-%d')} · {torch.get_num_threads()} torch thread · 2-core machine\n")
    print("| measurement | result | target |")
    print("|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")
    print(f"\nper-page worst gaps, server: {', '.join(f'{g:.2f} s' for g in gaps)}; repaint: {', '.join(f'{g:.2f} s' for g in shown)}")
    print(f"first-point runs: {', '.join(f'{t:.2f} s' for t in first)}; live runs: {', '.join(f'{r:.2f}×' for r in live_runs)}")


if __name__ == "__main__":
    main()
