"""The sampling panels through AppTest (a real app run, no browser): the Train page's live sample, Inspect's
generator on the snapshot, and the token-by-token answer of the reverse model, in both languages."""
import html
import json
import time

import pytest

from apptest import app, no_exception, shown
from conftest import load_example
from playground.i18n import t, using

TEXT = load_example("transformer_text")
TEXT["dataset"]["n_samples"] = 600


def _samples(at) -> list[str]:
    """The generated-text blocks on the page, as the reader sees them."""
    return [html.unescape(m.value) for m in at.markdown if "pg-sample" in m.value]


def _written(block: str) -> str:
    return block.split("<span class='pg-gen'>", 1)[1].split("</span>", 1)[0]


def _train(at) -> None:
    """Press Start and poll as the page's timer would, until the run has finished (its banner is the only success)."""
    at.button(key="btn-start").click().run()
    for _ in range(600):
        if at.success:
            return
        time.sleep(0.2)
        at.run()
    raise AssertionError("training did not finish")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_train_page_samples_from_the_untrained_model_and_says_greedy_at_t0(lang):
    at = app(TEXT, lang=lang)
    at.switch_page("pages/train.py").run()
    no_exception(at)
    with using(lang):
        assert t("sampling.train.title") in [h.value for h in at.subheader]
        assert t("sampling.train.untrained") in [c.value for c in at.caption]
        assert len(_samples(at)) == 1
        at.slider(key="smp-temp").set_value(0.0).run()
        captions = [c.value for c in at.caption]
        assert t("sampling.controls.greedy") in captions
        greedy = _written(_samples(at)[0])
        at.number_input(key="smp-seed").set_value(99).run()
        assert _written(_samples(at)[0]) == greedy  # greedy: the seed changes nothing


def test_a_prompt_outside_the_vocabulary_gets_one_sentence_and_keeps_the_page():
    at = app(TEXT)
    at.switch_page("pages/train.py").run()
    at.text_input(key="smp-prompt").set_value("Ünïcode ✓").run()
    no_exception(at)
    errors = shown(at.error)
    assert len(errors) == 1 and "are not in the text's alphabet" in errors[0] and "\n" not in errors[0]
    assert not _samples(at) and t("sampling.train.fix_prompt") in [c.value for c in at.caption]
    at.text_input(key="smp-prompt").set_value("Alice").run()
    assert not at.error and _written(_samples(at)[0])


def test_train_page_sample_follows_training_and_inspect_generates_from_the_snapshot():
    spec = dict(TEXT, training={**TEXT["training"], "epochs": 2})
    at = app(spec)
    at.switch_page("pages/train.py").run()
    at.slider(key="smp-temp").set_value(0.0).run()
    before = _written(_samples(at)[0])
    _train(at)
    at.run()
    no_exception(at)
    assert any("Written with the weights after" in c.value for c in at.caption)
    after = _written(_samples(at)[0])
    assert after != before and set(after) <= set(at.session_state["_analysis"][1].dataset.vocab)

    at.switch_page("pages/inspect.py").run()
    no_exception(at)
    assert t("sampling.inspect.title") in [h.value for h in at.subheader]
    at.slider(key="insp-smp-temp").set_value(0.0).run()
    assert _written(_samples(at)[0]) == after  # the same weights, greedy: the same text on both pages
    assert any("Next character after the prompt" in f for f in _figures(at))


def _figures(at) -> list[str]:
    """Each Plotly figure on the page as its JSON text, non-ASCII characters unescaped (Chinese labels read as such)."""
    return [json.dumps(json.loads(c.proto.spec), ensure_ascii=False) for c in at.get("plotly_chart")]


def _typed(at, text: str, lang: str = "en") -> None:
    at.switch_page("pages/inspect.py").run()
    with using(lang):
        at.segmented_control(key="insp-mode").set_value("type").run()
    at.text_input(key="insp-text").set_value(text).run()
    no_exception(at)


def test_reverse_answers_a_typed_input_token_by_token_with_attention():
    spec = load_example("transformer_reverse")
    spec["training"]["epochs"] = 2  # the example reverses ~100 % of test tokens after two
    at = app(spec)
    at.switch_page("pages/train.py").run()
    _train(at)
    _typed(at, "1 2 3 4 5 6 7 0")
    assert t("sampling.tokens.title") in [h.value for h in at.subheader]
    assert at.table[0].value.loc[t("inspect.prediction.output")].iloc[0] == "0 7 6 5 4 3 2 1"  # the reversed tokens
    assert t("sampling.tokens.framing", count=8) in [c.value for c in at.caption]
    at.pills(key="insp-smp-pos").set_value(2).run()
    answer = [m.value for m in at.markdown if m.value.startswith("Output position 2:")]
    assert answer and "`6`" in answer[0] and "✓" in answer[0]
    assert any("Attention of output position 2" in f and "head 4" in f for f in _figures(at))  # a row per head of each layer


def test_the_token_by_token_panel_reads_in_chinese():
    at = app(load_example("transformer_reverse"), lang="zh")
    _typed(at, "１ ２ ３ ４ ５ ６ ７ ８", "zh")
    with using("zh"):
        assert t("sampling.tokens.title") in [h.value for h in at.subheader]
        assert any(m.value.startswith("输出位置 0：") for m in at.markdown)
    assert any("输出位置 0" in f and "头 4" in f for f in _figures(at))
