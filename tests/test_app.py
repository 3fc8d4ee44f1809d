"""The Train page, driven through streamlit.testing.v1.AppTest (a real app run, no browser)."""
import time

import pytest

from apptest import app, no_exception
from conftest import load_example


@pytest.mark.slow
def test_train_page_trains_and_polls():
    at = app(load_example("mlp_spiral"))
    at.switch_page("pages/train.py").run()
    no_exception(at)
    at.button(key="btn-start").click().run()
    no_exception(at)
    deadline = time.time() + 20
    while time.time() < deadline:
        at.run()
        if any("Finished" in s.value for s in at.success):
            break
        time.sleep(0.3)
    no_exception(at)
    assert any("Finished 150 epochs" in s.value and "test accuracy" in s.value for s in at.success)
    assert any(m.label == "Test accuracy" for m in at.metric)
