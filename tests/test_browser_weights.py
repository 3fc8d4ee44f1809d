"""Weights in a real browser: train, download the weights from the Train page, upload them onto a fresh session's
Build page, and see the same test accuracy; a file for another model is refused in one sentence."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from apptest import spec_link
from conftest import wait_idle
from test_weights import IRIS

pytestmark = pytest.mark.browser

SPEC = {**IRIS, "training": {"epochs": 30}}
WAIT = 90_000  # ms: a page run on a machine busy with other tests can take tens of seconds
WIDER = {**SPEC, "layers": [{"type": "Linear", "out_features": 32}, *IRIS["layers"][1:]]}


def _page(browser, **options):
    page = browser.new_context(viewport={"width": 1280, "height": 800}, **options).new_page()
    page.set_default_timeout(WAIT)
    return page


def _open(page, url: str) -> None:
    page.goto(url)
    wait_idle(page)


def _upload(page, path) -> None:
    """Open the "Upload weights" popover and give its uploader the file."""
    page.get_by_role("button", name="Upload weights").click()
    page.locator("input[type=file][accept*='.safetensors']").set_input_files(str(path))
    wait_idle(page)


def test_downloaded_weights_uploaded_onto_a_fresh_session_give_the_same_test_accuracy(browser, app_url, tmp_path):
    trainer = _page(browser, accept_downloads=True)
    _open(trainer, f"{app_url}/train?spec={spec_link(SPEC)}")
    trainer.get_by_role("button", name="Start").click()
    finished = trainer.get_by_text(re.compile(r"Finished 30 epochs .* test accuracy (\d+\.\d%)"))
    expect(finished).to_be_visible(timeout=120_000)
    accuracy = re.search(r"test accuracy (\d+\.\d%)", finished.inner_text()).group(1)
    wait_idle(trainer)
    with trainer.expect_download() as download:
        trainer.get_by_role("button", name="Weights (.safetensors)").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name == "iris_on_an_mlp.safetensors"
    trainer.context.close()

    fresh = _page(browser)  # another browser: a new session
    _open(fresh, f"{app_url}/?spec={spec_link(SPEC)}")
    _upload(fresh, path)
    expect(fresh.get_by_text(re.compile(rf"Loaded the weights from 'iris_on_an_mlp\.safetensors': test loss [\d.]+, test accuracy {re.escape(accuracy)}")))\
        .to_be_visible(timeout=WAIT)
    fresh.get_by_role("link", name="Inspect", exact=True).click()
    expect(fresh.get_by_text(re.compile(rf"Weights loaded from 'iris_on_an_mlp\.safetensors', not trained here: .*{re.escape(accuracy)}")))\
        .to_be_visible(timeout=WAIT)

    _open(fresh, f"{app_url}/?spec={spec_link(WIDER)}")  # another model in the same session: the file does not fit
    _upload(fresh, path)
    expect(fresh.get_by_text("'iris_on_an_mlp.safetensors' was not loaded: they were trained for a different model, “iris on an MLP” "
                             "(its layer 0 is Linear(out_features=16, bias=True), yours is Linear(out_features=32, bias=True)). "
                             "Your model is unchanged.")).to_be_visible(timeout=WAIT)
    expect(fresh.locator(".st-key-card-0").first).to_contain_text("(32,)", timeout=WAIT)  # the model on the page is the one it was
    fresh.context.close()
