"""The weights controls for the README: `python docs/screenshots_weights.py` (needs Chromium) writes docs/weights.png."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "docs"), str(ROOT / "tests")]

from playwright.sync_api import sync_playwright  # noqa: E402

from screenshots import example, save, trained  # noqa: E402
from server import CHROMIUM, CHROMIUM_ARGS, IDLE, serve_app  # noqa: E402


def main() -> None:
    with serve_app() as (url, _pid), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.set_default_timeout(120_000)
        trained(page, url, example("mlp_spiral"), "build")  # trained, then the Build page: every weights control enabled
        page.get_by_role("button", name="Upload weights").click()
        page.wait_for_selector("input[type=file][accept*='.safetensors']", state="attached")
        page.mouse.move(60, 860)
        page.wait_for_selector(IDLE)
        page.wait_for_timeout(1000)
        save(page, "weights", height=620)
        browser.close()


if __name__ == "__main__":
    main()
