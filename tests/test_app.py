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
