"""Presentation mode and teacher links: parsed like any link (known names only), kept across pages, obeyed by pages."""
from urllib.parse import parse_qs, urlsplit

import pytest

from apptest import app, link_of, no_exception, shown, spec_of
from conftest import load_example
from playground.spec import decode_link
from playground.view import HIDEABLE, View, parse_view


def test_a_view_round_trips_through_its_parameters():
    view = View(True, frozenset({"optimizer", "palette"}))
    assert view.params() == {"present": "1", "hide": "palette,optimizer"}
    assert parse_view(*[view.params().get(k) for k in ("present", "hide")]) == (view, [])
    assert View().params() == {}


@pytest.mark.parametrize("present, hide, problem", [
    ("yes please", None, "present='yes please' was not understood"),
    (None, "palette,<script>,optimizer", "hide '<script>'"),
])
def test_what_a_link_gets_wrong_is_named_and_ignored(present, hide, problem):
    view, problems = parse_view(present, hide)
    assert problem in str(problems[0])
    assert view.hidden <= set(HIDEABLE)


def test_presentation_hides_editing_and_keeps_training_controls():
    view = View(present=True)
    assert not view.shows("palette") and not view.shows("layers") and not view.shows("optimizer")
    assert view.shows("lr") and view.shows("inspect.inside")


def _build(**params):
    at = app(load_example("mlp_spiral"))
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def test_a_hide_link_hides_what_it_names_on_build():
    at = _build(hide="palette,optimizer,files")
    no_exception(at)
    assert not [b for b in at.button if (b.key or "").startswith("add:")]  # no palette
    assert not [s for s in at.selectbox if (s.key or "").endswith("optimizer:type")]
    assert [s for s in at.selectbox if (s.key or "").endswith("loss:type")]  # the loss is still there
    assert not [d for d in at.get("download_button")]
    hide = at.query_params["hide"]
    assert (hide[0] if isinstance(hide, list) else hide) == "files,palette,optimizer"  # written back in the app's order


def test_presentation_mode_hides_editing_controls_and_survives_navigation():
    at = _build(present="1")
    no_exception(at)
    assert not [b for b in at.button if (b.key or "").startswith("add:")]
    assert not [n for n in at.number_input if "out_features" in (n.key or "")]  # cards are read only
    assert any("out_features=16" in c.value for c in at.caption)
    assert any(b.key == "present-exit" for b in at.button)
    del at.query_params["present"]  # a page change drops the query string; the session keeps the view
    at.switch_page("pages/train.py").run()
    no_exception(at)
    assert "1" in str(at.query_params["present"])
    at.button(key="present-exit").click().run()
    assert "present" not in at.query_params


def test_the_share_box_composes_a_link_with_the_chosen_view():
    at = app(load_example("mlp_spiral"))
    at.checkbox(key="share-hide-optimizer").check().run()
    at.toggle(key="share-present").set_value(True).run()
    at.selectbox(key="share-lang").set_value("zh").run()
    link = at.code[-1].value
    query = parse_qs(urlsplit(link).query)
    assert query["lang"] == ["zh"] and query["present"] == ["1"] and query["hide"] == ["optimizer"]
    assert decode_link(query["spec"][0]) == spec_of(at)
