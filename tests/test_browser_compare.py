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


def _train(page, button: str) -> None:
    page.get_by_role("button", name=button).click()
    expect(page.get_by_test_id("stProgress")).to_contain_text("Finished", timeout=120_000)
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
    expect(page.get_by_text("lr 0.01 → 0.1")).to_be_visible()
    # one click re-opens the first run's spec on Build, carried by the address
    choose = page.locator(".st-key-cmp-manage input")
    choose.click()
    choose.fill("Run 1")
    choose.press("Enter")
    wait_idle(page)
    page.get_by_role("link", name="Open on Build").click()
    page.wait_for_url(_path("Build"), timeout=10_000)
    wait_idle(page)
    expect(page.get_by_role("spinbutton", name="lr", exact=True)).to_have_value("0.01")
