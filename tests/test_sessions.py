"""A class at once against a real server: 30 sessions (protocol clients, benchmarks/wsclient.py) press Start
together and all train; then they leave, and every run and every worker process ends after the grace period."""
from __future__ import annotations

import secrets
import sys
import time

from conftest import ROOT
from apptest import spec_link as encode_link
from server import serve_app, workers_of

sys.path.insert(0, str(ROOT / "benchmarks"))
from wsclient import Crowd  # noqa: E402

SESSIONS = 30
SPEC = {"dataset": {"name": "iris"}, "layers": [{"type": "Linear", "out_features": 8}, {"type": "ReLU"}, {"type": "Linear", "out_features": 3}],
        "training": {"epochs": 1000, "batch_size": 1}}  # 120,000 steps: the runs are still training when their pages go


def wait_until(condition, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_thirty_sessions_all_train_then_leave_and_nothing_outlives_them():
    # half are browsers with a key (their runs wait out the grace period), half have none (their runs stop with the session)
    cookies = [f"pg_browser={secrets.token_hex(16)}" if i % 2 else "" for i in range(SESSIONS)]
    options = ("--server.disconnectedSessionTTL", "1")
    env = {"PLAYGROUND_RUN_GRACE_SECONDS": "2", "PLAYGROUND_WORKER_IDLE_SECONDS": "1", "PLAYGROUND_WORKERS": "2"}
    with serve_app(options=options, env=env) as (url, pid):
        crowd = Crowd(url, "train", f"spec={encode_link(SPEC)}", SESSIONS, cookies)
        try:
            crowd.open()
            crowd.click("Start")
            training = lambda: all(s.progress_text.startswith("Running") and "samples/s" in s.progress_text for s in crowd.sessions)  # noqa: E731
            assert wait_until(training, 180), [s.progress_text for s in crowd.sessions if not s.progress_text.startswith("Running")][:5]
            assert 1 <= len(workers_of(pid)) <= 2
            # No training page polls through Streamlit (each poll would cost its browser a render of the whole page):
            # every live panel follows its own feed, and gets news from it
            assert all(s.following and not s.polling for s in crowd.sessions), [s.polling for s in crowd.sessions]
            asked = [s.feed_requests for s in crowd.sessions]
            assert wait_until(lambda: all(s.feed_requests >= n + 2 for s, n in zip(crowd.sessions, asked)), 60)
        finally:
            crowd.close()
        assert wait_until(lambda: not workers_of(pid), 120), "a run or a worker outlived its pages"
