"""Links in a real browser: the address always holds the model on screen, and nothing from a link is markup."""
import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from apptest import spec_link
from conftest import load_example, wait_idle
from playground.spec import decode_link

pytestmark = pytest.mark.browser


def _spec_in_address(page):
    query = parse_qs(urlparse(page.url).query)
    assert "spec" in query, page.url
    return decode_link(query["spec"][0])


def _go(page, name: str) -> None:
    page.get_by_role("link", name=name, exact=True).click()
    path = r"/(\?|$)" if name == "Build" else f"/{name.lower()}"  # Build is the default page, at the root
    page.wait_for_url(re.compile(path), timeout=30_000)
    wait_idle(page)
    expect(page).to_have_url(re.compile(r"[?&]spec="), timeout=10_000)


def test_every_page_address_carries_the_model_and_a_reload_keeps_it(page, app_url):
    page.goto(f"{app_url}/?spec={spec_link(load_example('mlp_spiral'))}")
    wait_idle(page, 90_000)  # the first page of a fresh server imports torch
    page.locator(".st-key-card-0").first.get_by_role("button", name="content_copy").first.click()
    expect(page.locator(".st-key-card-7").first).to_be_visible(timeout=30_000)
    epochs = page.get_by_role("spinbutton", name="epochs", exact=True)
    epochs.fill("77")
    epochs.press("Enter")
    expect(page).to_have_url(re.compile("spec="), timeout=10_000)
    page.wait_for_function("() => !location.search.includes('%s')" % spec_link(load_example("mlp_spiral"))[:40], timeout=10_000)
    for name in ("Train", "Inspect"):
        _go(page, name)
        shown = _spec_in_address(page)
        assert len(shown.layers) == 8 and shown.training.epochs == 77, name
        page.reload()
        wait_idle(page)
        again = _spec_in_address(page)
        assert again == shown
    _go(page, "Build")
    expect(page.locator(".st-key-card-7").first).to_be_visible()
    expect(page.get_by_role("spinbutton", name="epochs", exact=True)).to_have_value("77")


def test_markup_in_a_link_is_shown_as_text_never_rendered(page, app_url):
    hostile = "<img src=x id=injected-img><a id=injected-link href='http://example.com'>prize</a>[click](http://example.com)"
    doc = {**load_example("mlp_spiral"), "name": hostile, "description": hostile}
    page.goto(f"{app_url}/?spec={spec_link(doc)}")
    wait_idle(page)
    expect(page.get_by_text("Add a layer")).to_be_visible()
    assert page.locator("#injected-img, #injected-link").count() == 0
    assert page.locator("a[href='http://example.com']").count() == 0
    _go(page, "Train")
    assert page.locator("#injected-img, #injected-link, a[href='http://example.com']").count() == 0


def test_a_malformed_link_shows_one_sentence_and_a_working_page(page, app_url):
    import base64
    import json

    body = base64.urlsafe_b64encode(json.dumps({"dataset": {"name": "spiral"}, "layers": [{"type": [1]}]}).encode()).decode()
    page.goto(f"{app_url}/?spec={body}")
    wait_idle(page)
    expect(page.get_by_text("The model in this link could not be opened")).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0
    expect(page.locator(".st-key-card-0").first).to_contain_text("Linear")


def test_dragging_a_layer_card_reorders_the_model(page, app_url):
    """streamlit-sortables in real Chromium: drag the last layer to the top of the list."""
    doc = {"dataset": {"name": "iris"}, "layers": [{"type": "Linear", "out_features": 8}, {"type": "ReLU"},
                                                   {"type": "Dropout", "p": 0.1}, {"type": "Linear", "out_features": 3}]}
    page.goto(f"{app_url}/?spec={spec_link(doc)}")
    wait_idle(page)
    page.get_by_text("Reorder by dragging").click()
    wait_idle(page)
    items = page.frame_locator("iframe[title*='sortable']").locator(".sortable-item")
    expect(items).to_have_count(4, timeout=30_000)
    src, dst = items.nth(2).bounding_box(), items.nth(0).bounding_box()
    page.mouse.move(src["x"] + src["width"] / 2, src["y"] + src["height"] / 2)
    page.mouse.down()
    page.mouse.move(src["x"] + src["width"] / 2, src["y"] + src["height"] / 2 - 10, steps=5)
    page.mouse.move(dst["x"] + dst["width"] / 2, dst["y"] + 2, steps=15)
    page.mouse.up()
    expect(page.locator(".st-key-card-0").first).to_contain_text("Dropout", timeout=30_000)
    assert [layer.type for layer in _spec_in_address(page).layers] == ["Dropout", "Linear", "ReLU", "Linear"]
