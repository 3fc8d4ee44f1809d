"""Screenshots of the real app for the README: `python docs/screenshots.py` (needs Chromium)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from PIL import Image  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from playground.spec import encode_link, from_data  # noqa: E402
from server import CHROMIUM, CHROMIUM_ARGS, IDLE, serve_app  # noqa: E402

OUT = ROOT / "docs"


def example(name: str):
    return from_data(json.loads((ROOT / "playground" / "examples" / f"{name}.json").read_text()))


def save(page, name: str, height: int | None = None, width: int = 1440) -> None:
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=False, clip={"x": 0, "y": 0, "width": width, "height": height or 900})
    img = Image.open(path).convert("RGB")
    img = img.resize((img.width * 2 // 3, img.height * 2 // 3), Image.LANCZOS)
    img.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB")


def trained(page, url: str, spec, page_name: str) -> None:
    page.goto(f"{url}/train?spec={encode_link(spec)}")
    page.wait_for_selector(IDLE, timeout=60_000)
    page.get_by_role("button", name="Start").click()
    page.wait_for_selector("text=Finished", timeout=120_000)
    if page_name != "train":
        page.get_by_role("link", name=page_name.capitalize(), exact=True).click()
    page.wait_for_selector(IDLE, timeout=60_000)
    page.wait_for_timeout(2500)


def scroll_to(page, selector: str, above: int) -> None:
    """Scroll the page so that `selector` starts `above` px below the top of the window."""
    page.locator(selector).first.scroll_into_view_if_needed()
    page.mouse.move(900, 500)
    page.mouse.wheel(0, page.locator(selector).first.bounding_box()["y"] - above)
    page.mouse.move(60, 860)  # off the charts, so no hover label or tool bar shows
    page.wait_for_timeout(1500)


def main() -> None:
    with serve_app() as (url, _pid), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(f"{url}/?spec={encode_link(example('cnn_digits'))}")
        page.wait_for_selector(IDLE, timeout=60_000)
        page.wait_for_timeout(2500)
        page.mouse.move(900, 500)
        page.mouse.wheel(0, 560)
        page.wait_for_timeout(1500)
        save(page, "build")
        trained(page, url, example("mlp_spiral"), "train")
        save(page, "train")
        trained(page, url, example("cnn_digits"), "inspect")
        scroll_to(page, ".st-key-insp-layer", 80)  # the layer row, the convolution's formula and its feature maps
        save(page, "inspect_cnn")
        trained(page, url, example("transformer_reverse"), "inspect")
        page.locator(".st-key-insp-layer button", has_text="3 TransformerBlock").click()  # the last block: mirror positions
        page.wait_for_selector(".st-key-att-3-0 .js-plotly-plot", timeout=60_000)
        page.wait_for_selector(IDLE, timeout=60_000)
        scroll_to(page, ".st-key-att-3-0", 320)  # the formula above the attention heatmaps
        save(page, "inspect_attention")
        page.goto(f"{url}/?spec={encode_link(example('cnn_digits'))}&lang=zh")  # the Chinese Build page
        page.wait_for_selector(IDLE, timeout=60_000)
        page.wait_for_timeout(2500)
        save(page, "build_zh")
        page.goto(f"{url}/learn_neurons")  # lesson 1 (the other lessons' screenshots come with their tests' scripts)
        page.wait_for_selector(IDLE, timeout=60_000)
        page.wait_for_timeout(2500)
        scroll_to(page, ".js-plotly-plot", 160)
        save(page, "learn_neurons")
        projector = browser.new_page(viewport={"width": 1024, "height": 768})  # presentation mode, as projected
        projector.goto(f"{url}/train?spec={encode_link(example('mlp_spiral'))}&present=1")
        projector.wait_for_selector(IDLE, timeout=60_000)
        projector.get_by_role("button", name="Start").click()
        projector.wait_for_selector("[data-testid='stAlert']:has-text('Finished')", timeout=120_000)  # no sidebar here
        projector.wait_for_timeout(2500)
        save(projector, "present", width=1024, height=768)
        browser.close()


if __name__ == "__main__":
    main()
