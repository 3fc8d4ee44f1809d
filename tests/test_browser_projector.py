"""A classroom projector in a real browser: at 1024×768 no label on any page is cut off, in either language;
presentation mode and a teacher's hide link take away what they name."""
import re

import pytest
from playwright.sync_api import expect

from apptest import spec_link
from conftest import load_example, wait_idle
from playground.lessons import LESSONS
from playground.ui.nav import PAGES

pytestmark = pytest.mark.browser

PROJECTOR = {"width": 1024, "height": 768}
# Every page of the navigation, by its address (Build is the root)
ADDRESSES = ["", *(path.removeprefix("pages/").removesuffix(".py") for path, _, _ in PAGES[1:]),
             *(lesson.page.removeprefix("pages/").removesuffix(".py") for lesson in LESSONS)]

# A text node whose box reaches past the nearest ancestor that hides its overflow is cut off (an ellipsis or a
# clip). Figures (SVG) and KaTeX's hidden MathML are left out; a box that scrolls loses nothing.
CUT_OFF = """() => {
  const cut = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode: n => n.textContent.trim() && !n.parentElement.closest('svg, script, style, .js-plotly-plot, .katex-mathml')
      ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT,
  });
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(node);
    const r = range.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) continue;
    for (let el = node.parentElement; el && el !== document.body; el = el.parentElement) {
      const cs = getComputedStyle(el);
      if (cs.visibility === 'hidden' || cs.display === 'none' || ['auto', 'scroll'].includes(cs.overflowX)) break;
      if (!['hidden', 'clip'].includes(cs.overflowX)) continue;
      const box = el.getBoundingClientRect();
      if (box.width > 2 && (r.right > box.right + 1 || r.left < box.left - 1)) cut.push(node.textContent.trim().slice(0, 80));
      break;  // only the nearest clipping box counts; a box 2 px wide is hidden on purpose ("skip to content")
    }
  }
  return cut;
}"""


def _open(page, url: str) -> None:
    page.goto(url)
    wait_idle(page, 90_000)
    page.wait_for_timeout(500)  # fonts and a fragment's first redraw
    wait_idle(page)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_label_is_cut_off_on_any_page_at_1024x768(browser, app_url, lang):
    page = browser.new_page(viewport=PROJECTOR)
    try:
        link = spec_link(load_example("mlp_spiral"))
        cut = {}
        for address in ADDRESSES:
            _open(page, f"{app_url}/{address}?spec={link}&lang={lang}")
            if not address:  # every page in the navigation: Streamlit's "View 3 more" would speak English only
                expect(page.get_by_test_id("stSidebarNavLink")).to_have_count(len(ADDRESSES))
                expect(page.get_by_test_id("stSidebarNavViewButton")).to_have_count(0)
            if found := page.evaluate(CUT_OFF):
                cut[address or "build"] = found
        assert not cut, f"labels cut off at 1024×768: {cut}"
    finally:
        page.close()


def test_presentation_mode_hides_the_sidebar_and_the_editing_controls(page, app_url):
    page.set_viewport_size(PROJECTOR)
    _open(page, f"{app_url}/?spec={spec_link(load_example('mlp_spiral'))}&present=1")
    expect(page.locator(".st-key-card-0").first).to_be_visible()  # the model is shown…
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()  # …without the sidebar
    expect(page.get_by_role("button", name="Linear", exact=True)).to_have_count(0)  # no palette
    expect(page.get_by_role("spinbutton", name="epochs", exact=True)).to_have_count(0)  # no training settings
    _open(page, f"{app_url}/train?spec={spec_link(load_example('mlp_spiral'))}&present=1")
    expect(page.get_by_role("button", name="Start")).to_be_visible()  # training is what a presenter does
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    page.get_by_role("button", name="Exit presentation").click()
    expect(page.get_by_test_id("stSidebar")).to_be_visible(timeout=30_000)


def test_a_hide_link_hides_what_it_names_and_nothing_else(page, app_url):
    link = spec_link(load_example("mlp_spiral"))
    _open(page, f"{app_url}/?spec={link}&hide=palette,lr,inspect.dynamics")
    expect(page.get_by_role("button", name="Linear", exact=True)).to_have_count(0)
    expect(page.get_by_role("spinbutton", name="epochs", exact=True)).to_be_visible()  # training settings stay
    page.get_by_role("link", name="Train", exact=True).click()
    page.wait_for_url(re.compile("/train"))
    wait_idle(page)
    expect(page.get_by_role("button", name="Start")).to_be_visible()
    expect(page.get_by_role("spinbutton", name=re.compile("Learning rate"))).to_have_count(0)
    page.get_by_role("link", name="Inspect", exact=True).click()
    page.wait_for_url(re.compile("/inspect"))
    wait_idle(page)
    expect(page.get_by_role("tab", name="Look inside")).to_be_visible()
    expect(page.get_by_role("tab", name="Evaluation")).to_be_visible()
    expect(page.get_by_role("tab", name="Training dynamics")).to_have_count(0)
