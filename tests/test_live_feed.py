"""The live panels' feed (playground/ui/live_feed.py): what a training page asks for its news, outside Streamlit.

The request is untrusted (typed, limited); the token is the only way in, names one page run's panel, and is
forgotten when the page runs again or its session ends; the answer is what the browser lacks. Real runs of a tiny
iris classifier in the worker processes, and a real `streamlit run app.py` for the route; counted in epochs.
"""
from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request

import pytest

from conftest import ROOT, analyze_doc
from apptest import spec_link
from server import serve_app
from playground.training import TrainingJob
from playground.ui.live_feed import MAX_BODY, Feeds, parse_have
from playground.ui.live_panel import Options, Panel

sys.path.insert(0, str(ROOT / "benchmarks"))
from wsclient import Crowd  # noqa: E402

IRIS = {"dataset": {"name": "iris"}, "layers": [{"type": "Linear", "out_features": 8}, {"type": "ReLU"}, {"type": "Linear", "out_features": 3}]}


# ------------------------------------------------------------------ the request: one typed parser
def test_a_request_says_which_figures_the_browser_has():
    body = json.dumps({"have": {"loss": {"sig": "00ff12ab", "n": [3, 2, 2]}, "accuracy": {"sig": "ab", "n": []}}}).encode()
    assert parse_have(body) == {"loss": {"sig": "00ff12ab", "n": [3, 2, 2]}, "accuracy": {"sig": "ab", "n": []}}
    assert parse_have(b"") == {} and parse_have(b'{"have": {}}') == {}


@pytest.mark.parametrize("body", [
    b"not json", b"[1, 2]", b'{"have": []}', b'{"have": {"loss": {"sig": "ab"}}}', b'{"have": {"loss": {"sig": "ab", "n": [1], "x": 1}}}',
    b'{"have": {"loss": {"sig": "<script>", "n": [1]}}}', b'{"have": {"loss": {"sig": "ab", "n": [-1]}}}',
    b'{"have": {"loss": {"sig": "ab", "n": ["1"]}}}', b'{"have": {"loss": {"sig": "ab", "n": [1.5]}}}', b'{"other": 1}',
    json.dumps({"have": {f"c{i}": {"sig": "ab", "n": [1]} for i in range(9)}}).encode(),
    json.dumps({"have": {"loss": {"sig": "ab", "n": [1] * 17}}}).encode(),
    json.dumps({"have": {"x" * 40: {"sig": "ab", "n": [1]}}}).encode(),
    b" " * (MAX_BODY + 1),
])
def test_anything_else_is_refused_with_one_sentence(body):
    with pytest.raises(ValueError) as e:
        parse_have(body)
    message = str(e.value)
    assert message.endswith(".") and message.count(". ") == 0 and "Traceback" not in message


# ------------------------------------------------------------------ the registry
def test_a_token_is_unguessable_replaced_by_the_next_page_run_and_forgotten_when_idle():
    feeds = Feeds(idle_seconds=0.2)
    first = feeds.add("panel 1")
    second = feeds.add("panel 2", replaces=first)
    assert len(second) >= 24 and first != second
    assert feeds.get(first) is None and feeds.get(second) == "panel 2"
    other = feeds.add("another session's panel")
    assert feeds.get(other) == "another session's panel" and feeds.get(second) == "panel 2"
    time.sleep(0.3)
    feeds.add("a new page")  # adding sweeps the feeds nobody asked for lately
    assert feeds.get(second) is None and feeds.get(other) is None and len(feeds) == 1
    feeds.drop(None)  # a session that never had a panel
    assert len(feeds) == 1


def test_a_session_that_ends_forgets_its_feed():
    from playground.ui.live_feed import default_feeds
    from playground.ui.state import JobSlot

    slot = JobSlot(feed=default_feeds().add("panel"))
    slot.release()
    assert default_feeds().get(slot.feed) is None


# ------------------------------------------------------------------ the answer
@pytest.fixture(scope="module")
def trained():
    job = TrainingJob(analyze_doc({**IRIS, "training": {"epochs": 6}}))
    job.start()
    assert job.wait_for_step(6 * 4, 120)
    deadline = time.monotonic() + 30
    while job.snapshot().status != "finished" and time.monotonic() < deadline:
        time.sleep(0.05)
    return job


def _have(data: dict) -> dict:
    """What a browser has after drawing `data` (whole figures)."""
    out = {}
    for chart in (c for row in data["rows"] for c in row):
        fig = json.loads(chart["figure"])
        out[chart["id"]] = {"sig": chart["sig"], "n": [len(tr["x"]) if isinstance(tr.get("x"), list) else 0 for tr in fig["data"]]}
    return out


def test_the_answer_is_what_the_browser_lacks(trained):
    panel = Panel(trained.analysis, trained, Options(lang="en"))
    whole = panel.data()
    assert whole["status"] == "finished" and not whole["changed"] and whole["every"] is None  # nothing more to ask
    assert whole["head"]["progress"]["text"].startswith("Finished · epoch 6/6")
    assert {c["id"] for row in whole["rows"] for c in row} == {"loss", "accuracy"}
    same = panel.answer(_have(whole))
    assert all(c["extend"] == {} and "figure" not in c for row in same["rows"] for c in row), "nothing new: no points, no figure"
    # a browser with the first points only gets the rest, from where it stands
    have = _have(whole)
    have["accuracy"]["n"] = [2, 2]
    grown = {c["id"]: c for row in panel.answer(have)["rows"] for c in row}
    assert grown["accuracy"]["extend"]["0"]["from"] == 2 and len(grown["accuracy"]["extend"]["0"]["x"]) == 4


def test_a_change_of_status_is_flagged_so_the_page_runs_again(trained):
    job = TrainingJob(trained.analysis)
    panel = Panel(trained.analysis, job, Options(lang="en"))
    assert panel.data()["status"] == "idle" and panel.data()["every"] is None
    job.start()
    assert job.wait_for_step(2, 60)
    answer = panel.answer({})
    assert answer["changed"] and answer["status"] in ("running", "finished")
    job.stop()


def test_the_answer_speaks_the_page_language(trained):
    data = Panel(trained.analysis, trained, Options(lang="zh")).data()
    assert data["head"]["progress"]["text"].startswith("已完成")
    assert "损失" in json.loads(data["rows"][0][0]["figure"])["layout"]["title"]["text"]


# ------------------------------------------------------------------ the route, on a real server
def _post(url: str, body: bytes, method: str = "POST") -> tuple[int, dict, dict]:
    request = urllib.request.Request(url, data=body if method == "POST" else None, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            status, raw, headers = r.status, r.read(), {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as e:
        status, raw, headers = e.code, e.read(), {k.lower(): v for k, v in e.headers.items()}
    return status, json.loads(raw) if headers.get("content-type", "").startswith("application/json") else {}, headers


def test_the_route_answers_its_token_only_and_forgets_it_with_the_session():
    spec = {**IRIS, "training": {"epochs": 1000, "batch_size": 1}}  # still training when the page goes
    with serve_app(options=("--server.disconnectedSessionTTL", "1")) as (url, _pid):
        crowd = Crowd(url, "train", f"spec={spec_link(spec)}", 1)
        try:
            crowd.open()
            crowd.click("Start")
            session = crowd.sessions[0]
            deadline = time.monotonic() + 60
            while not (session.following and session.progress_text.startswith("Running")) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert session.following, "the training page follows its feed"
            address = url + session.feed_address
            status, answer, headers = _post(address, b'{"have": {}}')
            assert status == 200 and answer["status"] == "running" and answer["head"]["progress"]["text"].startswith("Running")
            assert headers.get("cache-control") == "no-store"
            refused = _post(address, b'{"have": {"loss": {"sig": "ab", "n": [-1]}}}')
            assert refused[:2] == (400, {"error": "A feed request names charts by their ids and counts points from 0."})
            assert "head" not in _post(address, b"", method="GET")[1]  # a link to the feed shows nothing of the run
            assert _post(url + "/_pg/live/" + "A" * 24, b"{}")[:2] == (410, {"gone": True})
        finally:
            crowd.close()
        deadline = time.monotonic() + 60
        while _post(address, b"{}")[0] != 410 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _post(address, b"{}")[0] == 410, "the page's session ended: its feed is gone"
