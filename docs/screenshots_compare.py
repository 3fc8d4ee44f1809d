"""Screenshots of the Compare page for the docs: `python docs/screenshots_compare.py [--check DIR]` (needs Chromium).

A sweep over three learning rates of the spiral MLP lands on Compare; docs/compare.png (English) and
docs/compare_zh.png (Chinese) show its curves, table and diff. With --check DIR, the same views at 1280×800 and
1024×768, scrolled to the decision maps too, go to DIR for a look.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from playwright.sync_api import sync_playwright  # noqa: E402

from playground.spec import encode_link, from_data  # noqa: E402
from screenshots import save  # noqa: E402
from server import CHROMIUM, CHROMIUM_ARGS, IDLE, serve_app  # noqa: E402

SWEEP = "0.003, 0.03, 0.3"
TEXTS = {"en": ("Start sweep", "Sweep 1 finished"), "zh": ("开始扫描", "参数扫描 1 已完成")}


def _spec() -> str:
    doc = json.loads((ROOT / "playground" / "examples" / "mlp_spiral.json").read_text())
    doc["training"]["epochs"] = 60
    return encode_link(from_data(doc))


def swept(page, url: str, lang: str) -> None:
    """Open Compare in `lang` and run the learning-rate sweep to its end."""
    page.goto(f"{url}/compare?spec={_spec()}&lang={lang}")
    page.wait_for_selector(IDLE, timeout=120_000)
    start, done = TEXTS[lang]
    page.locator(".st-key-sweep-values-lr input").fill(SWEEP)
    page.locator(".st-key-sweep-values-lr input").press("Enter")
    page.wait_for_selector(IDLE, timeout=120_000)
    page.get_by_role("button", name=start).click()
    page.get_by_text(done).wait_for(timeout=300_000)
    page.wait_for_selector(".st-key-cmp-loss .js-plotly-plot", timeout=120_000)
    page.wait_for_selector(IDLE, timeout=120_000)
    page.mouse.move(5, 5)
    page.wait_for_timeout(2000)


def main(check: Path | None) -> None:
    with serve_app() as (url, _pid), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for lang in ("en", "zh"):
            page = browser.new_page(viewport={"width": 1440, "height": 1100})
            page.set_default_timeout(120_000)
            swept(page, url, lang)
            page.mouse.wheel(0, 120)
            page.wait_for_timeout(1000)
            save(page, "compare" if lang == "en" else "compare_zh", height=1100)
            if check:
                for width, height in ((1280, 800), (1024, 768)):
                    page.set_viewport_size({"width": width, "height": height})
                    page.wait_for_timeout(1500)
                    page.mouse.move(width // 2, height // 2)
                    page.mouse.wheel(0, -5000)
                    for i in range(4):
                        page.mouse.move(5, 5)
                        page.wait_for_timeout(800)
                        page.screenshot(path=str(check / f"compare_{lang}_{width}_{i}.png"))
                        page.mouse.move(width // 2, height // 2)
                        page.mouse.wheel(0, height - 100)
            page.close()
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[1] == "--check" else None)
