"""The Train page, driven through streamlit.testing.v1.AppTest (a real app run, no browser)."""
import time

import pytest
from streamlit.testing.v1 import AppTest

from apptest import app, live_panel, metrics, no_exception
from conftest import load_example


FINISHED = ("Finished", "完成")  # how the end of a run begins, in English and Chinese


def run_until_finished(at: AppTest, polls: int = 600) -> AppTest:
    """Poll the page as its fragment timer would (AppTest cannot fire timers) until training has finished."""
    for _ in range(polls):
        if any(str(s.value).startswith(FINISHED) for s in (*at.success, *at.warning)):
            return at
        time.sleep(0.2)
        at.run()
    return at


@pytest.mark.slow
def test_train_page_trains_and_polls():
    spec = load_example("mlp_spiral")
    spec["training"]["epochs"] = 20
    at = app(spec)
    at.switch_page("pages/train.py").run()
    no_exception(at)
    at.button(key="btn-start").click().run()
    no_exception(at)
    run_until_finished(at)
    no_exception(at)
    # 20 epochs of spiral do not learn it yet: the page says so rather than a plain success
    assert any(w.value.startswith("Finished 20 epochs") and "test accuracy" in w.value and "not learned yet" in w.value for w in at.warning)
    numbers = metrics(at)
    assert numbers["Epoch"] == "20/20" and numbers["Test accuracy"].endswith("%"), numbers
    assert live_panel(at)["head"]["progress"]["text"].startswith("Finished · epoch 20/20 · ")  # no "(batch 0/8)" once every batch is done


def test_train_page_in_chinese():
    spec = load_example("cnn_digits")
    spec["training"]["epochs"] = 1
    at = app(spec, lang="zh")
    at.switch_page("pages/train.py").run()
    assert [b.label for b in at.button if b.key and b.key.startswith("btn-")][:6] == ["开始", "暂停", "继续", "单步", "停止", "重置"]
    at.button(key="btn-start").click().run()
    run_until_finished(at)
    at.run()
    assert any(s.value.startswith("完成 1 轮训练") for s in at.success), [s.value for s in at.success]
    assert metrics(at)["测试准确率"].endswith("%")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_stop_then_reset_says_so_and_starts_afresh(lang):
    """Start, Stop, Reset: a stopped panel asks for nothing more, and Reset brings fresh weights, said once in the
    page's language."""
    from playground.i18n import t, using

    spec = load_example("mlp_spiral")
    spec["training"]["epochs"] = 1000
    at = app(spec, lang=lang)
    at.switch_page("pages/train.py").run()
    at.button(key="btn-start").click().run()
    assert live_panel(at)["every"], "a running panel stays live"
    at.button(key="btn-stop").click().run()
    no_exception(at)
    assert not live_panel(at)["every"], "a stopped panel asks for nothing more"
    at.button(key="btn-reset").click().run()
    no_exception(at)
    with using(lang):
        said, idle = t("train.notice.reset"), t("train.state.idle")
    shown = lambda: [str(i.value).replace("\\", "") for i in at.info]  # noqa: E731  (the text is shown escaped)
    assert said in shown(), shown()
    assert live_panel(at)["head"]["progress"]["text"].startswith(idle) and at.button(key="btn-stop").disabled
    at.run()
    assert said not in shown(), "said once"
