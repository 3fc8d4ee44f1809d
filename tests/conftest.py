import json
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# Small models train fastest on one thread; two OpenMP threads on a busy 2-core CI machine crawl
torch.set_num_threads(1)

EXAMPLES = ROOT / "playground" / "examples"


def load_example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def analyze_doc(doc, dataset=None):
    """Tests write specs as JSON documents; they pass the same typed door as any link or upload, then the analysis."""
    from playground.analysis import analyze
    from playground.spec import Spec, from_data

    return analyze(doc if isinstance(doc, Spec) else from_data(doc), dataset)


@pytest.fixture
def example():
    return load_example


# ---------------------------------------------------------------- real browser against a real server
from server import CHROMIUM, CHROMIUM_ARGS, IDLE, serve_app  # noqa: E402

NO_CHROMIUM = "no Chromium here: install Debian's chromium (apt-get install chromium) for the browser tests"


@pytest.fixture(scope="session")
def browser_type_launch_args():
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def app_url():
    """`streamlit run app.py` on a free loopback port for the whole session; stopped by its PID afterwards."""
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
    with serve_app() as (url, _pid):
        yield url


def wait_idle(page, timeout: float = 60_000) -> None:
    page.wait_for_selector(IDLE, timeout=timeout)
