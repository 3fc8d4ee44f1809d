"""Compare in Chromium: the spiral trained twice with different learning rates, both curves overlaid, the diff in words."""
import copy
import re

import pytest
from playwright.sync_api import expect

from apptest import spec_link
from conftest import load_example, wait_idle

pytestmark = pytest.mark.browser

LOSS_CHART = ".st-key-cmp-loss .js-plotly-plot"


def _path(name: str) -> re.Pattern:
    """The address of a page: Build is the app's default page, at /."""
    return re.compile(r"^https?://[^/]+/(\?|$)" if name == "Build" else f"/{name.lower()}")


def _go(page, name: str) -> None:
    page.get_by_role("link", name=name, exact=True).click()
    page.wait_for_url(_path(name), timeout=10_000)
    wait_idle(page)


def _run_param(page) -> str | None:
    return page.evaluate("() => new URLSearchParams(location.search).get('run')")


def _train(page, button: str) -> None:
    """Start a run and wait for it to finish (the address names the new run first: a 'Finished' still shown is the last one's)."""
    before = _run_param(page)
    page.get_by_role("button", name=button).click()
    page.wait_for_function("old => { const r = new URLSearchParams(location.search).get('run'); return r && r !== old }", arg=before)
    page.wait_for_function("() => { const p = document.querySelectorAll('[data-testid=pg-progress]');"
                           " return p.length === 1 && p[0].innerText.startsWith('Finished') }", timeout=120_000)
    # the page's own run after the end (the live panel's feed may say "Finished" a moment before it): Restart again
    expect(page.get_by_role("button", name="Restart")).to_be_enabled(timeout=60_000)
    wait_idle(page)


def test_two_learning_rates_compared(page, app_url):
    spec = copy.deepcopy(load_example("mlp_spiral"))
    spec["training"]["epochs"] = 4
    page.set_default_timeout(90_000)  # a shared 2-core machine can take long to draw a page; steps are counted, not timed
    page.goto(f"{app_url}/train?spec={spec_link(spec)}")
    wait_idle(page)
    _train(page, "Start")
    _go(page, "Build")
    lr = page.get_by_role("spinbutton", name="lr", exact=True)
    lr.fill("0.1")
    lr.press("Enter")
    wait_idle(page)
    page.wait_for_function("() => /[?&]spec=/.test(location.search)")
    _go(page, "Train")
    _train(page, "Restart")
    _go(page, "Compare")
    page.wait_for_selector(LOSS_CHART, timeout=30_000)
    names = page.evaluate(f"() => document.querySelector('{LOSS_CHART}').data.map(t => t.name)")
    assert names == ["Run 1", "Run 1 · train", "Run 2", "Run 2 · train"]  # each run: test line (in the legend), train line
    points = page.evaluate(f"() => document.querySelector('{LOSS_CHART}').data.map(t => t.x.length)")
    assert points == [4, 4, 4, 4], "four epochs of each run, overlaid on one epoch axis"
    expect(page.get_by_text("lr 0.01 → 0.1")).to_be_visible(timeout=30_000)
    # downloaded as JSON and uploaded again, the last run comes back as a third (its name made unique); a file that is no run gets one sentence
    with page.expect_download() as download:
        page.get_by_role("button", name="Download as JSON").click()
    uploader = page.locator(".st-key-cmp-upload input[type=file]")
    assert download.value.suggested_filename == "run_2.json"
    uploader.set_input_files(files=[{"name": "run_2.json", "mimeType": "application/json", "buffer": download.value.path().read_bytes()}])
    expect(page.get_by_text("Loaded the run Run 2 (2).")).to_be_visible(timeout=60_000)
    wait_idle(page)
    page.wait_for_function(f"() => document.querySelector('{LOSS_CHART}').data.length === 6")  # three runs, drawn
    uploader.set_input_files(files=[{"name": "notes.json", "mimeType": "application/json", "buffer": b"[1, 2]"}])
    expect(page.get_by_text("Could not load 'notes.json': the file is not a run file")).to_be_visible(timeout=60_000)
    # one click re-opens the first run's spec on Build, carried by the address
    choose = page.locator(".st-key-cmp-manage input")
    choose.click()
    choose.fill("Run 1")
    choose.press("Enter")
    wait_idle(page)
    expect(page.get_by_role("textbox", name="Name")).to_have_value("Run 1", timeout=60_000)  # the actions are Run 1's now
    page.get_by_role("link", name="Open on Build").click()
    page.wait_for_url(_path("Build"), timeout=10_000)
    wait_idle(page)
    expect(page.get_by_role("spinbutton", name="lr", exact=True)).to_have_value("0.01", timeout=60_000)
