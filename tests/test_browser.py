"""Real-browser tests: Playwright driving Debian's Chromium against `streamlit run app.py`."""
import re
import time

import pytest
from playwright.sync_api import expect

from conftest import load_example, wait_idle
from apptest import spec_link as encode_link

pytestmark = pytest.mark.browser

EMPTY_SPIRAL = {"dataset": {"name": "spiral", "n_samples": 2000}, "layers": [], "loss": {"type": "CrossEntropyLoss"},
                "optimizer": {"type": "Adam", "lr": 0.01}, "training": {"epochs": 1000, "batch_size": 32, "seed": 0}}  # long enough to be stopped by hand


def _open(page, url: str) -> None:
    page.goto(url)
    wait_idle(page)


def _go(page, name: str) -> None:
    """Follow a link in the navigation and wait for that page to be drawn."""
    page.get_by_role("link", name=name, exact=True).click()
    page.wait_for_url(re.compile(f"/{name.lower()}"), timeout=10_000)  # else wait_idle may see the old page's idle state
    wait_idle(page)


def _card(page, index: int):
    # .first: while a rerun replaces the page, Streamlit can briefly show the old card beside the new one
    return page.locator(f".st-key-card-{index}").first


def _expect_card(page, index: int, text: str) -> None:
    """Wait until the card at `index` shows `text` (old and new copies may coexist for a moment)."""
    expect(page.locator(f".st-key-card-{index}", has_text=text).first).to_be_visible(timeout=30_000)


def _set_number(page, index: int, label: str, value: str, shows: str) -> None:
    """Type a value into a card's number field and wait for the card to show its effect."""
    field = _card(page, index).get_by_role("spinbutton", name=label)
    field.fill(value)
    field.press("Enter")
    _expect_card(page, index, shows)


def _progress_text(page) -> str:
    return page.get_by_test_id("pg-progress").inner_text()


def _batches_done(page) -> int:
    """Total batches from the progress line 'Running · epoch 3/400 (batch 5/8) ...'."""
    m = re.search(r"epoch (\d+)/\d+ \(batch (\d+)/(\d+)\)", _progress_text(page))
    assert m, _progress_text(page)
    return int(m.group(1)) * int(m.group(3)) + int(m.group(2))


LOSS_PLOT = ".pg-live-chart[data-chart=loss]"


_NEWEST_EPOCH_JS = f"""() => {{ const p = document.querySelector('{LOSS_PLOT}');
    const x = p && p.data && p.data.length ? p.data[0].x : []; return x.length ? x[x.length - 1] : 0 }}"""


def _newest_epoch(page) -> float:
    """Where the newest batch loss in the live loss chart is, in epochs on its x axis (0 before its first draw).

    Not the number of points: the chart keeps at most 800 and halves them when it gets there, so a count can
    fall while training goes on; the newest point's place only moves on.
    """
    return page.evaluate(_NEWEST_EPOCH_JS)


def _loss_x_range(page) -> list[float]:
    return page.evaluate(f"() => Array.from(document.querySelector('{LOSS_PLOT}')._fullLayout.xaxis.range)")


def _zoom_loss_chart(page) -> None:
    """Drag across the middle of the loss chart's plot area, as a user zooming in does."""
    box = page.locator(f"{LOSS_PLOT} .nsewdrag").first.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.3, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.45, y + 2, steps=5)
    page.mouse.move(box["x"] + box["width"] * 0.6, y + 2, steps=5)
    page.mouse.up()


def _wait_for_curve_beyond(page, epoch: float) -> float:
    """Wait until the loss chart shows a batch loss past `epoch`; return where its newest one is."""
    try:
        page.wait_for_function(f"n => ({_NEWEST_EPOCH_JS})() > n", arg=epoch, timeout=60_000)
    except Exception as e:  # say what the page showed: a stalled page and a slow one look alike from here
        raise AssertionError(f"no loss point past epoch {epoch} within 60 s; the chart's newest is at epoch "
                             f"{_newest_epoch(page)}; the progress line reads {_progress_text(page)!r}") from e
    return _newest_epoch(page)


def _train_spec() -> dict:
    """The spiral MLP, long enough to be stopped by hand: 1000 epochs of 79 batches (of 8, it ends in 10 s here)."""
    spec = load_example("mlp_spiral")
    spec["dataset"]["n_samples"], spec["training"]["epochs"] = 5000, 1000
    return spec


def test_build_from_palette_then_train_pause_resume(page, app_url):
    _open(page, f"{app_url}/?spec={encode_link(EMPTY_SPIRAL)}")
    expect(page.get_by_text("The model is empty")).to_be_visible()
    for i, name in enumerate(("Linear", "Tanh", "Linear", "Tanh", "Linear")):
        wait_idle(page)  # while a rerun draws, the old palette and the new one can both be on the page
        page.get_by_role("button", name=name, exact=True).first.click()
        _expect_card(page, i, f"{i} · {name}")
    _set_number(page, 4, "out_features", "2", "(2,) · 34 params")
    _go(page, "Train")
    page.get_by_role("button", name="Start").click()
    page.wait_for_selector("text=Running", timeout=60_000)
    _wait_for_curve_beyond(page, 0)
    first = _batches_done(page)
    page.wait_for_timeout(1500)
    assert _batches_done(page) > first, "the progress line should advance while training runs"
    # under the status line and its bar, the last epoch's numbers
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuetext", re.compile(r"^Running · epoch \d+/"))
    expect(page.locator(".pg-metrics > div").first).to_have_text(re.compile(r"^Epoch\s*\d+/\d+"))
    expect(page.locator(".pg-metrics")).to_contain_text("Test accuracy")
    page.get_by_role("button", name="Pause").click()
    page.wait_for_selector("text=Paused", timeout=20_000)
    wait_idle(page)
    paused_at = _batches_done(page)
    page.wait_for_timeout(1500)
    assert _batches_done(page) == paused_at, "a paused job must not advance"
    page.get_by_role("button", name="Resume").click()
    page.wait_for_selector("text=Running", timeout=20_000)
    page.wait_for_timeout(1500)
    assert _batches_done(page) > paused_at
    page.get_by_role("button", name="Stop").click()
    page.wait_for_selector("text=Stopped by you", timeout=20_000)


def test_a_zoom_on_the_live_loss_chart_stays_while_the_curve_grows(page, app_url):
    _open(page, f"{app_url}/train?spec={encode_link(_train_spec())}")
    page.get_by_role("button", name="Start").click()
    _wait_for_curve_beyond(page, 2)
    _zoom_loss_chart(page)
    assert not page.evaluate(f"() => document.querySelector('{LOSS_PLOT}')._fullLayout.xaxis.autorange"), "a drag zooms in"
    zoomed, before = _loss_x_range(page), _newest_epoch(page)
    _wait_for_curve_beyond(page, before + 5)  # several updates later
    assert _progress_text(page).startswith("Running")
    assert _loss_x_range(page) == pytest.approx(zoomed), "the zoom stays while the curve grows"
    assert _newest_epoch(page) > zoomed[1], "the curve went on beyond the zoomed window"
    for button, status in (("Pause", "Paused"), ("Resume", "Running")):  # whole-page runs send the whole figure again
        page.get_by_role("button", name=button).click()
        expect(page.get_by_test_id("pg-progress")).to_contain_text(status, timeout=20_000)
        _wait_for_curve_beyond(page, 0)
        assert _loss_x_range(page) == pytest.approx(zoomed), f"the zoom stays after {button}"
    page.get_by_role("button", name="Stop").click()
    page.wait_for_selector("text=Stopped by you", timeout=20_000)


def test_a_training_page_grows_from_its_feed_without_a_streamlit_run_and_a_finish_redraws_the_page(page, app_url):
    """While a run trains, the panel's news comes from its feed: nothing arrives on Streamlit's websocket (each
    message there costs the browser a render of the whole page). When the run ends, the page runs once more."""
    frames, feed = [], []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(time.monotonic())))
    page.on("response", lambda r: feed.append((r.status, r.headers.get("cache-control"))) if "/_pg/live/" in r.url else None)
    spec = _train_spec()
    spec["training"]["epochs"] = 60  # about 10 s here, then it finishes by itself
    _open(page, f"{app_url}/train?spec={encode_link(spec)}")
    page.get_by_role("button", name="Start").click()
    _wait_for_curve_beyond(page, 1)
    page.wait_for_timeout(1500)  # the click's page runs are over
    quiet, asked, at = len(frames), len(feed), _newest_epoch(page)
    _wait_for_curve_beyond(page, at + 10)
    if _progress_text(page).startswith("Running"):
        assert len(frames) == quiet, "no Streamlit message while the charts grow"
        assert len(feed) >= asked + 2 and all(s == 200 and c == "no-store" for s, c in feed[asked:]), feed[asked:]
    expect(page.get_by_text("Finished 60 epochs")).to_be_visible(timeout=120_000)  # the banner: a page run
    expect(page.get_by_role("button", name="Restart")).to_be_enabled()
    expect(page.get_by_test_id("pg-progress")).to_contain_text("Finished · epoch 60/60")
    asked = len(feed)
    page.wait_for_timeout(2000)
    assert len(feed) == asked, "a finished run's page stops asking"


_DRAWN_EPOCH_JS = f"""() => {{ const c = document.querySelector('{LOSS_PLOT}').calcdata[0]; return c[c.length - 1].x }}"""


def test_a_chart_off_the_screen_waits_to_be_redrawn_until_it_is_seen(page, app_url):
    _open(page, f"{app_url}/train?spec={encode_link(_train_spec())}")
    page.get_by_role("button", name="Start").click()
    _wait_for_curve_beyond(page, 1)
    # push the charts below the fold, as scrolling down a long page does
    page.evaluate("() => { document.querySelector('.pg-live-charts').style.marginTop = '6000px'; window.scrollTo(0, 0) }")
    page.wait_for_timeout(500)
    drawn = page.evaluate(_DRAWN_EPOCH_JS)  # the newest point Plotly has drawn
    page.wait_for_function(f"n => {{ const m = /epoch (\\d+)\\//.exec(document.querySelector('[data-testid=pg-progress]').innerText); return m && +m[1] > n }}",
                           arg=drawn + 3, timeout=60_000)  # training goes on...
    assert page.evaluate(_DRAWN_EPOCH_JS) == drawn, "...but a chart nobody sees is not redrawn"
    page.locator(LOSS_PLOT).scroll_into_view_if_needed()
    page.wait_for_function(f"n => ({_DRAWN_EPOCH_JS})() > n", arg=drawn + 3, timeout=10_000)  # seen: redrawn
    page.get_by_role("button", name="Stop").click()
    page.wait_for_selector("text=Stopped by you", timeout=20_000)


def test_a_reload_mid_run_finds_the_run_still_growing_and_a_copied_link_does_not(page, app_url):
    _open(page, f"{app_url}/train?spec={encode_link(_train_spec())}")
    page.get_by_role("button", name="Start").click()
    _wait_for_curve_beyond(page, 1)
    page.wait_for_function("() => /[?&]run=/.test(location.search)", timeout=20_000)
    batches = _batches_done(page)
    page.reload()
    wait_idle(page)
    expect(page.get_by_test_id("pg-progress")).to_contain_text("Running", timeout=30_000)
    assert _batches_done(page) >= batches, "the run went on while the page reloaded"
    after = _wait_for_curve_beyond(page, 0)
    _wait_for_curve_beyond(page, after)  # the reloaded page's chart keeps growing
    assert _batches_done(page) > batches
    # the same address in another browser (a student given the link) shows the model, never this run
    other = page.context.browser.new_context().new_page()
    _open(other, page.url)
    expect(other.get_by_text("Press Start to train")).to_be_visible(timeout=10_000)
    expect(other.get_by_role("button", name="Stop")).to_be_disabled()
    other.context.close()
    page.get_by_role("button", name="Stop").click()
    page.wait_for_selector("text=Stopped by you", timeout=20_000)


def _expect_out_channels(page, value: str, shape: str) -> None:
    """The first card shows `shape` and its out_channels field holds `value` (waiting out a rerun's stale copy)."""
    card = page.locator(".st-key-card-0", has_text=shape).first
    expect(card).to_be_visible(timeout=10_000)
    expect(card.get_by_role("spinbutton", name="out_channels")).to_have_value(value)


def test_reload_restores_the_same_architecture(page, app_url):
    _open(page, f"{app_url}/?spec={encode_link(load_example('cnn_digits'))}")
    _set_number(page, 0, "out_channels", "6", "(6, 8, 8)")
    wait_idle(page)
    time.sleep(0.5)  # the link is rewritten at the end of the run
    page.reload()
    wait_idle(page)
    _expect_out_channels(page, "6", "(6, 8, 8)")
    # and the same link opened in a fresh browser context (another machine) shows it too
    url = page.url
    other = page.context.browser.new_context().new_page()
    _open(other, url)
    _expect_out_channels(other, "6", "(6, 8, 8)")
    other.close()


def test_tampered_link_shows_a_message_and_a_default_model(page, app_url):
    _open(page, f"{app_url}/?spec=eyJkYXRhc2V0Ijp7Im5hbWUiOiJzcGly")
    expect(page.get_by_text("link:").first).to_be_visible()
    expect(page.get_by_text("default model").first).to_be_visible()
    _expect_card(page, 0, "0 · Linear")


def _train_then_inspect(page, app_url: str, spec: dict) -> None:
    _open(page, f"{app_url}/train?spec={encode_link(spec)}")
    page.get_by_role("button", name="Start").click()
    page.wait_for_selector("text=Finished", timeout=90_000)
    wait_idle(page)
    _go(page, "Inspect")


COVERED_JS = """(el) => {  // is any part of the element hidden under another element?
  const r = el.getBoundingClientRect();
  for (const fx of [0.1, 0.5, 0.9]) for (const fy of [0.25, 0.75]) {
    const hit = document.elementFromPoint(r.left + fx * r.width, r.top + fy * r.height);
    if (hit && !el.contains(hit) && !hit.contains(el)) return true;
  }
  return false;
}"""
TITLE_CUT_JS = """(chart) => {  // is the figure's title wider than the figure, i.e. cut at an edge?
  const box = chart.getBoundingClientRect(), title = chart.querySelector('.gtitle').getBoundingClientRect();
  return title.left < box.left - 1 || title.right > box.right + 1;
}"""
TICK_OVERLAPS_JS = """(chart) => {  // pairs of tick labels on one axis row (x) or column (y) that overlap
  let bad = 0;
  for (const [sel, along, across] of [['g.xtick text', 'x', 'y'], ['g.ytick text', 'y', 'x']]) {
    const boxes = Array.from(chart.querySelectorAll(sel)).map(e => e.getBoundingClientRect()).filter(b => b.width > 0);
    const lo = along === 'x' ? 'left' : 'top', hi = along === 'x' ? 'right' : 'bottom', at = across === 'y' ? 'top' : 'left';
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      if (Math.abs(a[at] - b[at]) < 2 && a[lo] < b[hi] - 0.5 && b[lo] < a[hi] - 0.5) bad++;
    }
  }
  return bad;
}"""


def test_trained_cnn_shows_feature_maps_kernels_and_reads_a_drawing(page, app_url):
    spec = load_example("cnn_digits")
    spec["training"]["epochs"] = 3
    _train_then_inspect(page, app_url, spec)
    expect(page.get_by_text("Weights after").first).to_be_visible(timeout=10_000)
    maps = page.locator(".st-key-fm-0")
    maps.scroll_into_view_if_needed()
    page.wait_for_selector(".st-key-fm-0 .js-plotly-plot", timeout=30_000)
    text = maps.inner_text()
    assert "feature maps" in text and "channel 0" in text and "channel 9" in text
    assert page.locator(".st-key-fm-0 .js-plotly-plot g.hm image").count() == 1, "the maps are one mosaic image"
    assert "kernel 0" in page.locator(".st-key-k-0").inner_text()
    expect(page.locator(".stKatex, .katex").first).to_be_visible()  # the convolution formula is drawn by KaTeX
    # draw a digit on the canvas: it is resized like the dataset and classified
    page.get_by_role("radio", name="Draw").click()
    wait_idle(page)
    canvas = page.locator("canvas.upper-canvas")
    canvas.wait_for(timeout=30_000)
    canvas.hover()  # the canvas shows its toolbar on hover, above itself: it must not cover the caption
    page.wait_for_timeout(300)
    caption = page.get_by_text("Draw with the mouse").first
    assert not caption.evaluate(COVERED_JS), "the canvas toolbar covers the caption"
    box = canvas.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + 40
    page.mouse.move(x, y)
    page.mouse.down()
    for k in range(20):
        page.mouse.move(x + (k % 2), y + 7 * k, steps=3)
    page.mouse.up()
    page.wait_for_selector("text=Prediction:", timeout=30_000)
    wait_idle(page)
    assert not page.get_by_test_id("stException").count()


def _attention_chart_reads_well(page) -> None:
    chart = page.locator(".st-key-att-2-0 .js-plotly-plot")
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(500)  # Plotly relayouts after a resize
    assert not chart.evaluate(TITLE_CUT_JS), chart.locator(".gtitle").inner_text()
    assert chart.evaluate(TICK_OVERLAPS_JS) == 0


def test_trained_transformer_attention_reads_well_on_a_projector_in_both_languages(page, app_url):
    spec = load_example("transformer_reverse")
    spec["training"]["epochs"] = 3
    page.set_viewport_size({"width": 1400, "height": 900})
    _train_then_inspect(page, app_url, spec)
    first = page.locator(".st-key-att-2-0")
    first.scroll_into_view_if_needed()
    page.wait_for_selector(".st-key-att-2-0 .js-plotly-plot", timeout=30_000)
    text = first.inner_text()
    for label in ("head 1", "head 4", "mean over heads", "query", "key"):
        assert label in text
    # the axes carry the sample's tokens, shown beside the model's output
    expect(page.get_by_test_id("stTable").first).to_be_visible()
    ticks = page.locator(".st-key-att-2-0 .js-plotly-plot g.xtick text").evaluate_all("els => els.map(e => e.textContent)")
    assert ticks and all(t.isdigit() for t in ticks), ticks
    _attention_chart_reads_well(page)
    page.set_viewport_size({"width": 1024, "height": 768})
    _attention_chart_reads_well(page)
    page.get_by_test_id("stSidebar").get_by_role("radio", name="中文").click()
    wait_idle(page)
    expect(page.get_by_role("tab", name="模型内部")).to_be_visible()
    page.wait_for_selector(".st-key-att-2-0 .js-plotly-plot", timeout=30_000)
    assert "第 1 个头" in page.locator(".st-key-att-2-0").inner_text()
    _attention_chart_reads_well(page)


def test_only_the_open_tab_is_drawn(page, app_url):
    _open(page, f"{app_url}/inspect?spec={encode_link(load_example('mlp_spiral'))}")
    expect(page.locator(".st-key-boundary .js-plotly-plot")).to_be_visible(timeout=30_000)
    page.get_by_role("tab", name="Evaluation").click()
    expect(page.locator(".st-key-confusion .js-plotly-plot")).to_be_visible(timeout=30_000)
    wait_idle(page)
    assert page.locator(".st-key-boundary").count() == 0, "the Look inside figures should not be drawn"
    assert page.locator(".st-key-grad-norms, .st-key-w-hist").count() == 0, "nor the Training dynamics ones"


def test_two_sessions_never_share_a_model_or_a_job(browser, app_url):
    a = browser.new_context().new_page()
    b = browser.new_context().new_page()
    _open(a, f"{app_url}/?spec={encode_link(load_example('mlp_spiral'))}")
    _open(b, f"{app_url}/?spec={encode_link(load_example('mlp_spiral'))}")
    _set_number(a, 0, "out_features", "20", "(20,)")
    _go(a, "Train")
    a.get_by_role("button", name="Start").click()
    a.wait_for_selector("text=Finished", timeout=60_000)
    b.reload()
    wait_idle(b)
    _expect_card(b, 0, "(16,)")
    expect(b.get_by_test_id("stSidebar")).to_contain_text("Not trained yet")
    a.context.close()
    b.context.close()
