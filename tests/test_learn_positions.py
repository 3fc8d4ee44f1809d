"""Lesson 8, positional encoding: the table is the playground layer's own and the standard formula (sin on even, cos on
odd dimensions, base 10000, added unscaled), the dot products depend on the offset only, a Transformer without positions
is permutation-equivariant, the ablation's models learn (or cannot learn) to reverse as the page says, counted in
epochs, and the page's controls and its live training work in AppTest and in Chromium."""
from __future__ import annotations

import json
import math
import re
import time

import numpy as np
import pytest
import torch

from apptest import app, no_exception
from playground import i18n
from playground.analysis import analyze
from playground.lessons import positions as lesson
from playground.modules import PositionalEncoding, sinusoidal_table
from playground.training import train

PAGE = "pages/learn_positions.py"
SIZES = [(1, 2), (16, 4), (50, 16), (128, 64), (64, 128), (256, 32)]


def _formula(n: int, d: int) -> np.ndarray:
    """PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d)), in float64."""
    pe = np.zeros((n, d))
    for pos in range(n):
        for i in range(d // 2):
            angle = pos / 10000 ** (2 * i / d)
            pe[pos, 2 * i], pe[pos, 2 * i + 1] = math.sin(angle), math.cos(angle)
    return pe


# ---------------------------------------------------------------- the table
@pytest.mark.parametrize("n, d", SIZES)
def test_the_table_is_the_layer_s_buffer_and_the_standard_formula(n, d):
    shown = lesson.table(n, d)
    assert shown.shape == (n, d), "(positions, d), never (d, positions)"
    assert np.array_equal(shown, PositionalEncoding(d, max_len=n).pe.numpy())
    assert np.array_equal(shown, sinusoidal_table(n, d).numpy())
    assert np.allclose(shown, _formula(n, d), atol=2e-5)


def test_sines_sit_on_even_dimensions_and_cosines_on_odd_ones():
    pe = lesson.table(64, 16)
    assert np.allclose(pe[0, 0::2], 0) and np.allclose(pe[0, 1::2], 1), "position 0: sin 0 = 0, cos 0 = 1"
    assert pe[1, 0] == pytest.approx(math.sin(1.0), abs=1e-6) and pe[1, 1] == pytest.approx(math.cos(1.0), abs=1e-6)


def test_the_layer_adds_the_table_unscaled():
    torch.manual_seed(0)
    x = torch.randn(3, 10, 32)
    layer = PositionalEncoding(32)
    assert torch.equal(layer(x), x + torch.from_numpy(lesson.table(10, 32)))


@pytest.mark.parametrize("d", [4, 16, 64])
def test_frequencies_and_wavelengths_are_those_of_the_table(d):
    pe = lesson.table(200, d)
    positions = np.arange(200)
    for dim in range(d):
        omega = lesson.frequency(dim, d)
        assert omega == pytest.approx(10000 ** (-(dim - dim % 2) / d))
        wave = np.sin(positions * omega) if dim % 2 == 0 else np.cos(positions * omega)
        assert np.allclose(pe[:, dim], wave, atol=1e-4)
        assert lesson.wavelength(dim, d) == pytest.approx(2 * math.pi / omega)
    assert lesson.wavelength(0, d) == pytest.approx(2 * math.pi)


# ---------------------------------------------------------------- dot products
@pytest.mark.parametrize("n, d", [(64, 64), (128, 16), (40, 128)])
def test_the_dot_product_depends_only_on_the_offset(n, d):
    pe = lesson.table(n, d)
    sim = lesson.similarity(pe)
    assert np.allclose(sim, pe.astype(np.float64) @ pe.T.astype(np.float64))
    assert np.allclose(np.diag(sim), d / 2, atol=1e-4), "every encoding has length √(d/2)"
    for k in (1, 5, n // 2):
        diagonal = np.diag(sim, k)
        assert np.ptp(diagonal) < 1e-3, "constant along each diagonal"
        assert diagonal[0] == pytest.approx(lesson.offset_curve(np.array([k]), d)[0], abs=1e-3)
        assert np.allclose(np.diag(sim, -k), diagonal), "the same for −k: the dot product does not tell the order"
    assert lesson.offset_error(pe) < 1e-3


def test_a_shift_by_k_is_one_rotation_for_every_position():
    d, k = 16, 3
    pe = torch.from_numpy(lesson.table(40, d)).double()
    rotation = torch.zeros(d, d, dtype=torch.float64)
    for i in range(d // 2):
        a = k * lesson.frequency(2 * i, d)
        # [sin((p+k)ω), cos((p+k)ω)] = [[cos kω, sin kω], [−sin kω, cos kω]] · [sin pω, cos pω]
        rotation[2 * i:2 * i + 2, 2 * i:2 * i + 2] = torch.tensor([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])
    assert torch.allclose(pe[k:], pe[:-k] @ rotation.T, atol=1e-4)


# ---------------------------------------------------------------- why positions: equivariance and the blind ceiling
def test_without_positions_the_transformer_is_permutation_equivariant():
    check = lesson.equivariance([3, 1, 4, 1, 5, 9, 2, 6])
    assert check.without < 1e-5
    assert check.with_pe > 0.1
    for seed in range(3):
        assert lesson.equivariance([7, 7, 0, 2, 9, 4, 4, 1], seed).without < 1e-5


def test_the_blind_ceiling_is_the_most_frequent_other_token():
    # T = 3: at a '1' the others are {1, 2}: 1/2; at the '2' they are {1, 1}: 2/2
    assert lesson.blind_ceiling(np.array([[1, 1, 2]])) == pytest.approx((0.5 + 0.5 + 1.0) / 3)
    assert lesson.blind_ceiling(np.array([[0, 1, 2, 3]])) == pytest.approx(1 / 3)
    x_test = lesson.analyses()["none"].dataset.x_test.numpy()
    assert 0.25 < lesson.blind_ceiling(x_test) < 0.35


def test_first_solved_counts_epochs_from_one():
    assert lesson.first_solved([0.2, 0.5, 0.995, 1.0]) == 3
    assert lesson.first_solved([0.2, 0.3]) is None


# ---------------------------------------------------------------- the ablation, headless (counted in epochs)
@pytest.fixture(scope="module")
def runs() -> dict[str, list[float]]:
    return {kind: [r.test_accuracy for r in train(a)] for kind, a in lesson.analyses().items()}


def test_with_either_positional_encoding_the_model_learns_to_reverse(runs):
    for kind in ("sinusoidal", "learned"):
        assert len(runs[kind]) == lesson.EPOCHS
        assert lesson.first_solved(runs[kind]) is not None and lesson.first_solved(runs[kind]) <= 8, kind
        assert runs[kind][-1] >= lesson.SOLVED
        assert runs[kind][1] < 0.6, "it has to learn it: two epochs are not enough"


def test_without_positional_encoding_it_stays_at_the_position_blind_ceiling(runs):
    ceiling = lesson.blind_ceiling(lesson.analyses()["none"].dataset.x_test.numpy())
    accs = runs["none"]
    assert len(accs) == lesson.EPOCHS
    assert max(accs) < ceiling + 0.03, "no model blind to positions can do much better"
    assert accs[-1] > 1 / lesson.VOCAB + 0.1, "but it learns what the set of digits allows: better than random guessing"


def test_the_try_it_links_are_the_ablation_s_models():
    assert [link.spec().to_dict() | {"name": None} for link in lesson.TRY_IT] == \
           [lesson.ablation_data(kind) | {"name": None} for kind in ("sinusoidal", "none", "learned")]
    assert all(link.page == "train" for link in lesson.TRY_IT)
    types = [[layer["type"] for layer in lesson.ablation_data(kind)["layers"]] for kind in lesson.VARIANTS]
    assert types[0] == types[1] == ["Embedding", "PositionalEncoding", "TransformerBlock", "Linear"]
    assert types[2] == ["Embedding", "TransformerBlock", "Linear"]
    assert lesson.ablation_spec("learned").layers[1].args()["kind"] == "learned"
    with i18n.using("zh"):
        assert lesson.with_sinusoidal().name == i18n.t("learn_positions.spec.sinusoidal")


# ---------------------------------------------------------------- the page
def _figures(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def _titles(at) -> list[str]:
    return [(f["layout"].get("title") or {}).get("text", "") for f in _figures(at)]


def test_the_size_controls_and_the_wave_picker_redraw_their_figures():
    at = app()
    at.switch_page(PAGE).run()
    no_exception(at)
    assert _titles(at)[0] == "PE: 64 positions × d = 64"
    at.select_slider(key="l8-d").set_value(16).run()
    no_exception(at)
    assert _titles(at)[0] == "PE: 64 positions × d = 16"
    assert len(_figures(at)[0]["data"][0]["x"]) == 16
    at.slider(key="l8-n").set_value(32).run()
    no_exception(at)
    assert _titles(at)[0] == "PE: 32 positions × d = 16" and len(_figures(at)[0]["data"][0]["y"]) == 32
    at.multiselect(key="l8-dims-16").set_value([3, 15]).run()
    no_exception(at)
    waves = next(f for f, title in zip(_figures(at), _titles(at)) if title.startswith("PE(pos"))
    assert [trace["name"].split(" (")[0] for trace in waves["data"]] == ["dim 3", "dim 15"]
    at.multiselect(key="l8-dims-16").set_value([]).run()
    assert [i.value for i in at.info][0] == i18n.t("learn_positions.waves.none")


def _poll_until(at, done, polls: int = 600) -> None:
    """Rerun the page (AppTest cannot fire the fragment's timer) until `done(at)`, at most `polls` times a second apart."""
    for _ in range(polls):
        if done(at):
            return
        time.sleep(1.0)
        at.run()
        no_exception(at)
    assert done(at), "the runs did not finish"


def test_the_button_trains_the_three_models_live_and_the_page_reports_what_they_measured():
    at = app()
    at.switch_page(PAGE).run()
    assert at.button(key="l8-stop").disabled
    at.button(key="l8-start").click().run()
    no_exception(at)
    assert at.button(key="l8-start").disabled and not at.button(key="l8-stop").disabled
    _poll_until(at, lambda at: not at.button(key="l8-start").disabled)
    text = "\n".join(m.value for m in at.markdown)
    assert "**sinusoidal PE**: 100.0%" in text and "**learned PE**: 100.0%" in text
    assert "**no PE**: " in text and "best epoch" in text
    assert at.button(key="l8-start").label == i18n.t("learn_positions.ablation.again")
    assert any(title.startswith("Learned table: first 8 rows") for title in _titles(at))


def test_stop_ends_the_three_runs():
    at = app()
    at.switch_page(PAGE).run()
    at.button(key="l8-start").click().run()
    at.button(key="l8-stop").click().run()
    no_exception(at)
    assert not at.button(key="l8-start").disabled and at.button(key="l8-stop").disabled
    assert all(i18n.t("train.state.stopped") in c.value for c in at.caption if "PE" in c.value)


@pytest.mark.browser
def test_the_lesson_shows_its_figures_and_trains_live_in_chromium(page, app_url):
    from playwright.sync_api import expect

    from conftest import wait_idle

    page.set_viewport_size({"width": 1280, "height": 6000})
    page.goto(f"{app_url}/learn_positions")
    wait_idle(page, 120_000)
    expect(page.locator(".katex").first).to_be_visible()
    expect(page.get_by_text("PE: 64 positions × d = 64")).to_be_attached(timeout=30_000)
    charts = page.locator("[data-testid='stPlotlyChart']")
    expect(charts).to_have_count(6, timeout=30_000)
    page.get_by_role("button", name="Train the three models").click()
    # The curves grow while the runs train: an epoch is reported before the end, then the measured summary appears
    expect(page.get_by_text(re.compile(r"sinusoidal PE: (Running|Finished), epoch ([1-9]|1[0-2])/12"))).to_be_visible(timeout=120_000)
    expect(page.get_by_text(re.compile(r"sinusoidal PE: 100\.0% of the test digits"))).to_be_visible(timeout=240_000)
    expect(page.get_by_text("Learned table: first 8 rows × d = 16")).to_be_attached(timeout=30_000)
    assert page.locator("[data-testid='stException']").count() == 0
