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


@pytest.fixture
def example():
    return load_example
