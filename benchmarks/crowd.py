"""A class at once: N protocol clients (benchmarks/wsclient.py) press Start together on the digits CNN against
a real `streamlit run app.py`. Prints a markdown table.

    python benchmarks/crowd.py                 # 30 sessions, about 2 minutes
    python benchmarks/crowd.py --sessions 1    # what one refresh of one session costs the server

Targets (issue 11): all N train; every page gets a progress update at least once a second (worst gap ≤ 1.0 s);
total training throughput ≥ 1.0× a bare single-thread loop measured in the same run; server plus workers
≤ 2 GB RSS. The protocol clients draw nothing, so the server and its workers have the machine to themselves,
as in a classroom where every browser runs on its own laptop.

- throughput: batches the N runs trained in the window (read from each page's progress line) × batch size,
  per second of wall time; the bare loop (benchmarks/core.py, the same model and data, one thread) is timed in
  wall time too, just before the crowd arrives and just after it leaves (their mean counts: this machine's speed
  drifts by a third over minutes).
- refresh cost: CPU seconds of the server process (its workers excluded) per progress update delivered.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]

import torch  # noqa: E402
from wsclient import Crowd  # noqa: E402

import core  # noqa: E402  (it takes benchmarks/ off the path again: import it last)
from playground.analysis import analyze  # noqa: E402
from playground.spec import encode_link, from_data  # noqa: E402
from server import process_tree, serve_app, workers_of  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
PAGE = 4096


def example() -> dict:
    spec = json.loads((ROOT / "playground" / "examples" / "cnn_digits.json").read_text())
    spec["training"]["epochs"] = 1000  # longer than the measurement
    return spec


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mb(pids: list[int]) -> float:
    total = 0
    for p in pids:
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE
        except OSError:
            pass
    return total / 2**20


def steps(progress: str) -> int:
    m = re.search(r"epoch (\d+)/\d+ \(batch (\d+)/(\d+)\)", progress)
    return int(m.group(1)) * int(m.group(3)) + int(m.group(2)) if m else 0


def worst_gap(stamps: list[float], t0: float, t1: float) -> float:
    edges = [t0] + [t for t in stamps if t0 <= t <= t1] + [t1]
    return max(b - a for a, b in zip(edges, edges[1:]))


def bare_loop(spec: dict) -> float:
    """Samples per wall second of a minimal single-thread PyTorch loop on the same model and data."""
    torch.set_num_threads(1)
    return core.bare_run(analyze(from_data(spec)).raise_if_invalid(), epochs=3, clock=time.perf_counter)


def sample_rss(pid: int, stop: threading.Event, peak: list[float]) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], rss_mb(process_tree(pid)))
        time.sleep(0.25)


def measure(n: int, warm_up: float, window: float) -> dict:
    spec = example()
    bare_before = bare_loop(spec)
    batch = spec["training"]["batch_size"]
    with serve_app(ROOT / ".bench-streamlit.log") as (url, pid):
        crowd = Crowd(url, "train", f"spec={encode_link(from_data(spec))}", n)
        crowd.open()
        clicked = time.perf_counter()
        crowd.click("Start")
        deadline = clicked + 300
        while time.perf_counter() < deadline and not all(steps(s.progress_text) > 0 for s in crowd.sessions):
            time.sleep(0.1)
        all_training = time.perf_counter() - clicked
        time.sleep(warm_up)
        stop, peak = threading.Event(), [0.0]
        sampler = threading.Thread(target=sample_rss, args=(pid, stop, peak))
        sampler.start()
        before = [steps(s.progress_text) for s in crowd.sessions]
        workers = workers_of(pid)
        updates0, bytes0, cpu0 = sum(len(s.progress_times) for s in crowd.sessions), sum(s.received_bytes for s in crowd.sessions), cpu_seconds(pid)
        wcpu0 = sum(cpu_seconds(p) for p in workers)
        t0 = time.perf_counter()
        time.sleep(window)
        t1 = time.perf_counter()
        after = [steps(s.progress_text) for s in crowd.sessions]
        updates1, bytes1, cpu1 = sum(len(s.progress_times) for s in crowd.sessions), sum(s.received_bytes for s in crowd.sessions), cpu_seconds(pid)
        wcpu1 = sum(cpu_seconds(p) for p in workers)
        stop.set()
        sampler.join()
        gaps = [worst_gap(s.progress_times, t0, t1) for s in crowd.sessions]
        crowd.click("Stop")
        time.sleep(1)
        crowd.close()
    bare_after = bare_loop(spec)  # the machine's speed drifts over minutes: timed on each side of the crowd
    bare = (bare_before + bare_after) / 2
    trained = sum(a - b for a, b in zip(after, before)) * batch / (t1 - t0)
    return {"n": n, "training": sum(a > 0 for a in after), "all_training_after": all_training, "gaps": gaps,
            "throughput": trained, "bare": bare, "bare_range": (bare_before, bare_after), "server_cores": (cpu1 - cpu0) / (t1 - t0), "worker_cores": (wcpu1 - wcpu0) / (t1 - t0),
            "per_worker_cpu": trained / max(1e-9, (wcpu1 - wcpu0) / (t1 - t0)), "rss": peak[0], "refresh_ms": 1000 * (cpu1 - cpu0) / max(1, updates1 - updates0),
            "refresh_bytes": (bytes1 - bytes0) / max(1, updates1 - updates0), "updates_per_s": (updates1 - updates0) / (t1 - t0) / n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--warm-up", type=float, default=5.0, help="seconds after all train, before the window")
    parser.add_argument("--window", type=float, default=20.0)
    args = parser.parse_args()
    r = measure(args.sessions, args.warm_up, args.window)
    load = os.getloadavg()
    print(f"Crowd benchmark · {time.strftime('%Y-%m-%d %H:%M')} · {os.cpu_count()} CPU(s) · load average {load[0]:.1f} · "
          f"{r['n']} protocol clients on the digits CNN · window {args.window:g} s\n")
    rows = [
        (f"{r['n']} sessions press Start together: how many train", f"{r['training']} of {r['n']} "
         f"(all training {r['all_training_after']:.1f} s after the clicks)", f"all {r['n']}"),
        ("Longest gap between two progress updates of a page, worst of all pages", f"{max(r['gaps']):.2f} s", "≤ 1.0 s"),
        ("Total training throughput / bare single-thread loop (same model, same run)",
         f"{r['throughput']:,.0f} / {r['bare']:,.0f} samples/s = {r['throughput'] / r['bare']:.2f}× (bare loop before / after the crowd: "
         f"{r['bare_range'][0]:,.0f} / {r['bare_range'][1]:,.0f})", "≥ 1.0×"),
        ("CPU used by the server / by its workers (cores, of the machine's " f"{os.cpu_count()})",
         f"{r['server_cores']:.2f} / {r['worker_cores']:.2f}", "—"),
        ("Training per worker CPU second / bare loop", f"{r['per_worker_cpu']:,.0f} / {r['bare']:,.0f} samples/s = "
         f"{r['per_worker_cpu'] / r['bare']:.2f}×", "—"),
        ("Server plus workers, peak RSS", f"{r['rss']:,.0f} MB", "≤ 2,048 MB"),
        ("Server CPU per progress update of one page (workers excluded)", f"{r['refresh_ms']:.1f} ms", "—"),
        ("Bytes the server sends per progress update of one page (everything it sends, over the updates)", f"{r['refresh_bytes']:,.0f} B", "—"),
        ("Progress updates per page per second", f"{r['updates_per_s']:.2f}", "≥ 1"),
    ]
    print("| measurement | result | target |")
    print("|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\nper-page worst gaps (s): {', '.join(f'{g:.2f}' for g in sorted(r['gaps'], reverse=True)[:10])}")


if __name__ == "__main__":
    main()
