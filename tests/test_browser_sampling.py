"""Sampling in a real browser: a text model's sample grows into words while it trains on the Train page, and the
trained reverse model answers a typed sequence on Inspect, token by token, with the attention behind each."""
import re

import pytest
from playwright.sync_api import expect

from apptest import spec_link
from conftest import load_example, wait_idle
from playground.datasets import load_dataset

pytestmark = pytest.mark.browser
SECTION, SAMPLE = ".st-key-smp-section", ".st-key-smp-section .pg-sample"


def _open(page, url: str) -> None:
    page.goto(url)
    wait_idle(page)


def _sample(page) -> str:
    return page.locator(SAMPLE).first.inner_text()


def test_the_sample_is_rewritten_from_the_training_weights_while_the_model_trains(page, app_url):
    spec = load_example("transformer_text")
    spec["dataset"]["n_samples"] = 600
    spec["training"]["epochs"] = 40  # 320 batches: long enough to be seen mid-run on a fast machine, then stopped
    vocab = set(load_dataset("text", n_samples=600, seq_len=32, test_fraction=0.2, seed=0).vocab)
    _open(page, f"{app_url}/train?spec={spec_link(spec)}")
    page.locator(SECTION).scroll_into_view_if_needed()
    expect(page.locator(SECTION).get_by_text("Written with the untrained weights")).to_be_visible(timeout=30_000)
    untrained = _sample(page)
    assert untrained.startswith("alice was ")
    page.get_by_role("button", name="Start").click()
    # the polling panel writes a new sample into this section while the run goes on, from the worker's weights
    written = page.locator(SECTION).get_by_text(re.compile(r"Written with the weights after \d+ batches"))
    expect(written).to_be_visible(timeout=60_000)
    expect(page.get_by_text(re.compile(r"^Running")).first).to_be_visible()  # …while it runs
    page.get_by_role("button", name="Stop").click()
    page.wait_for_selector("text=Stopped", timeout=60_000)
    wait_idle(page)
    expect(written).to_be_visible(timeout=30_000)
    trained = _sample(page)
    assert trained != untrained and trained.startswith("alice was ") and set(trained[len("alice was "):]) <= vocab
    bars = page.locator(f"{SECTION} .pg-live-chart[data-chart=next-char]")
    expect(bars).to_be_visible(timeout=30_000)
    assert "Next character after the prompt" in bars.inner_text()
    assert bars.locator("g.point").count() >= 10  # the ten most likely characters (and the model's own beside them)
    assert not page.get_by_test_id("stException").count()


def test_the_trained_reverse_model_answers_a_typed_sequence_token_by_token(page, app_url):
    spec = load_example("transformer_reverse")
    spec["training"]["epochs"] = 2
    _open(page, f"{app_url}/train?spec={spec_link(spec)}")
    page.get_by_role("button", name="Start").click()
    page.wait_for_selector("text=Finished", timeout=120_000)
    wait_idle(page)
    page.get_by_role("link", name="Inspect", exact=True).click()
    page.wait_for_url(re.compile("/inspect"), timeout=10_000)
    wait_idle(page)
    page.get_by_role("radio", name="Type").click()
    wait_idle(page)
    box = page.locator(".st-key-insp-text input")
    box.fill("1 2 3 4 5 6 7 0")
    box.press("Enter")
    expect(page.get_by_test_id("stTable").first).to_contain_text("0 7 6 5 4 3 2 1", timeout=30_000)
    tokens = page.locator(".st-key-smp-tokens")
    tokens.scroll_into_view_if_needed()
    tokens.get_by_text("2: 6", exact=True).click()
    wait_idle(page)
    expect(tokens.get_by_text("Output position 2: the model answers 6")).to_be_visible(timeout=30_000)
    chart = page.locator(".st-key-insp-smp-att .js-plotly-plot")
    expect(chart).to_be_visible(timeout=30_000)
    assert "Attention of output position 2" in chart.inner_text() and "head 4" in chart.inner_text()
    assert not page.get_by_test_id("stException").count()
