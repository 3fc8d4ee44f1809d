"""Sixty browsers through nginx to two replicas of the app, on this machine. Prints a markdown table.

    python benchmarks/replicas.py            # minutes: about 12 on this shared machine at a load average of 15

The setup of tests/test_deploy_replicas.py (the shipped nginx config on loopback, two `streamlit run app.py`,
protocol clients from benchmarks/wsclient.py that load the page, keep the session's cookies, and fire the
fragments' timers and follow the live panel's feed through nginx as the browser does), measured instead of asserted:
- connecting: page load, then websocket and first page run, per browser (ten at a time);
- how the class spreads over the replicas; ten of them training the spiral MLP at once (epochs each trains in
  a 20 s window, the longest gap between two progress updates of a page); every websocket dropped and reopened;
- one replica stopped (SIGTERM): until its sessions' websockets close, until they are back on the other one;
- then, on fresh replicas each time, 20, 40 and 60 sessions all pressing Start together.
Both replicas, nginx and the clients share the machine's cores, as they would not in a real deployment.
"""
from __future__ import annotations

import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from server import serve_app  # noqa: E402
from test_deploy_replicas import CLIENTS, WAVE, Browser, each, serve_nginx, spiral_query, until  # noqa: E402

WINDOW = 20.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def timed(browsers: list[Browser], act) -> list[float]:
    """Seconds `act(b)` took for each browser, ten browsers at a time."""
    took: list[float] = []

    async def one(b: Browser) -> None:
        t0 = time.perf_counter()
        await act(b)
        took.append(time.perf_counter() - t0)

    await each(browsers, one)
    return took


def worst_gap(stamps: list[float], t0: float, t1: float) -> float:
    edges = [t0] + [t for t in stamps if t0 <= t <= t1] + [t1]
    return max(b - a for a, b in zip(edges, edges[1:]))


async def connect(base: str, n: int) -> tuple[list[Browser], list[float], list[float]]:
    browsers = [Browser(base, "train", spiral_query()) for _ in range(n)]
    loads = await timed(browsers, lambda x: asyncio.to_thread(x.load))
    opens = await timed(browsers, lambda x: x.open())
    return browsers, loads, opens


async def train_at_once(browsers: list[Browser]) -> tuple[list[int], list[float]]:
    """All of `browsers` press Start; epochs each trains in the window and its longest gap between updates."""
    await each(browsers, Browser.start)
    await asyncio.sleep(3)  # everyone running before the window opens
    before, t0 = [b.epoch for b in browsers], time.perf_counter()
    await asyncio.sleep(WINDOW)
    t1 = time.perf_counter()
    return [b.epoch - e for b, e in zip(browsers, before)], [worst_gap(b.progress_times, t0, t1) for b in browsers]


def spread(values: list[float], unit: str = "s") -> str:
    return f"median {statistics.median(values):.2f} {unit}, worst {max(values):.2f} {unit}"


async def _reconnect(b: Browser) -> None:
    old = b.session_id
    await b.drop()
    await b.open(resume=old)


async def sessions_and_failover(base: str, a: str, pid_a: int, b: str, pid_b: int) -> list[tuple[str, str]]:
    """Sixty browsers connect; a wave of ten trains; every websocket drops and returns; replica a is stopped."""
    browsers, loads, opens = await connect(base, CLIENTS)
    held = [sum(x.replica == r for x in browsers) for r in (a, b)]
    rows = [("page load through nginx (page + health check), 60 browsers, ten at a time", spread(loads)),
            ("websocket + first run of the Train page, 60 browsers, ten at a time", spread(opens)),
            ("sessions per replica", f"{held[0]} / {held[1]}"),
            ("server memory (RSS) per replica, 30-odd sessions connected", f"{rss_mb(pid_a):.0f} MB / {rss_mb(pid_b):.0f} MB")]
    epochs, gaps = await train_at_once(browsers[:WAVE])
    await each(browsers[:WAVE], Browser.stop)
    await until("the stopped pages stop updating", lambda: not any(x.live for x in browsers))
    rows.append((f"{WAVE} sessions training at once: epochs per session in {WINDOW:.0f} s; longest gap between two "
                 "progress updates of a page", f"median {statistics.median(epochs):.0f} (fewest {min(epochs)}); {spread(gaps)}"))
    ids = [x.session_id for x in browsers]
    back = await timed(browsers, _reconnect)
    same = sum(x.session_id == i for x, i in zip(browsers, ids))
    rows.append(("websocket dropped and reopened → same replica, same session (60 browsers)", f"{same}/60; {spread(back)}"))
    lost = [x for x in browsers if x.replica == a]
    lost_ids = [x.session_id for x in lost]
    t0 = time.perf_counter()
    os.kill(pid_a, signal.SIGTERM)
    await until("the stopped replica's websockets close", lambda: not any(x.connected for x in lost))
    closed = time.perf_counter() - t0
    moved = await timed(lost, _reconnect)
    on_b = sum(x.replica == b and x.session_id != i for x, i in zip(lost, lost_ids))
    rows.append((f"replica stopped (SIGTERM): its {len(lost)} websockets closed after", f"{closed:.2f} s"))
    rows.append(("… reconnecting them: fresh sessions on the other replica", f"{on_b}/{len(lost)}; {spread(moved)}"))
    await each(browsers, Browser.drop, at_once=CLIENTS)
    return rows


async def load(base: str, n: int) -> tuple[str, str]:
    """n browsers on fresh replicas all press Start at once (no waves)."""
    browsers, _, _ = await connect(base, n)
    epochs, gaps = await train_at_once(browsers)
    await each(browsers, Browser.drop, at_once=n)
    return (f"{n} sessions training at once (fresh replicas): epochs per session in {WINDOW:.0f} s; longest gap "
            "between two progress updates of a page", f"median {statistics.median(epochs):.0f} (fewest {min(epochs)}); {spread(gaps)}")


def with_replicas(tmp: Path, scenario) -> list[tuple[str, str]]:
    """Run `scenario(base, a, pid_a, b, pid_b)` against two fresh replicas behind nginx."""
    with serve_app(tmp / "replica-a.log") as (url_a, pid_a), serve_app(tmp / "replica-b.log") as (url_b, pid_b):
        a, b = urlparse(url_a).netloc, urlparse(url_b).netloc
        with serve_nginx(tmp, [a, b]) as base:
            return asyncio.run(scenario(base, a, pid_a, b, pid_b))


def main() -> None:
    load_before = os.getloadavg()[0]
    os.environ.update(STREAMLIT_SERVER_COOKIE_SECRET=os.urandom(16).hex(), PLAYGROUND_MAX_JOBS=str(CLIENTS))
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-replicas-") as tmp:
        rows += with_replicas(Path(tmp), sessions_and_failover)
        for n in (20, 40, CLIENTS):
            rows.append(with_replicas(Path(tmp), lambda base, *_, n=n: load(base, n)))
    print(f"Replicas · {time.strftime('%Y-%m-%d')} · {os.cpu_count()} CPUs shared by nginx, both replicas and the "
          f"clients · load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after\n")
    print("| measurement | result |")
    print("|---|---|")
    for what, result in rows:
        print(f"| {what} | {result} |")


if __name__ == "__main__":
    main()
