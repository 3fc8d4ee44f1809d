"""The live ablation of Learn lesson 8: reverse trained with sinusoidal, learned and no positional encoding, as the
lesson's button trains them (three TrainingJobs on the server's worker pool, started together). Prints a markdown
table: per run the epoch at which it first reached 99 %, its final test accuracy, and the wall time from the click
to its end (worker start-up included); then the same runs headless, one after the other, on this process.

    python benchmarks/learn_positions.py            # about 15 s on an idle 2-core machine
    python benchmarks/learn_positions.py --repeat 3
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playground.lessons import positions as lesson  # noqa: E402
from playground.training import TrainingJob, default_pool, train  # noqa: E402


def live() -> tuple[dict[str, tuple[list[float], float]], float]:
    """The three jobs as the lesson starts them; per run (accuracies, seconds to its end), and the seconds to the last end."""
    began = time.perf_counter()
    jobs = {kind: TrainingJob(a) for kind, a in lesson.analyses().items()}
    for job in jobs.values():
        job.start()
    ended: dict[str, float] = {}
    while len(ended) < len(jobs):
        time.sleep(0.1)
        for kind, job in jobs.items():
            if kind not in ended and job.ended:
                ended[kind] = time.perf_counter() - began
    out = {kind: ([r.test_accuracy for r in job.snapshot().epochs], ended[kind]) for kind, job in jobs.items()}
    return out, max(ended.values())


def headless() -> dict[str, tuple[list[float], float]]:
    out = {}
    for kind, a in lesson.analyses().items():
        began = time.perf_counter()
        out[kind] = ([r.test_accuracy for r in train(a)], time.perf_counter() - began)
    return out


def rows(label: str, results: dict[str, tuple[list[float], float]]) -> list[str]:
    return [f"| {label} | {kind} | {lesson.first_solved(accs) or '—'} | {accs[-1]:.1%} | {max(accs):.1%} | {seconds:.1f} |"
            for kind, (accs, seconds) in results.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(1)
    ceiling = lesson.blind_ceiling(lesson.analyses()["none"].dataset.x_test.numpy())
    print(f"Learn 8 ablation · {time.strftime('%Y-%m-%d %H:%M')} · {platform.machine()} · {os.cpu_count()} CPU(s) · "
          f"torch {torch.__version__} · load average {os.getloadavg()[0]:.1f} · {lesson.EPOCHS} epochs · "
          f"position-blind ceiling {ceiling:.1%}\n")
    print("| how | positional encoding | first epoch ≥ 99 % | final test acc | best test acc | seconds |")
    print("|---|---|---|---|---|---|")
    for i in range(args.repeat):
        results, total = live()
        for line in rows(f"live #{i + 1} (all three: {total:.1f} s)", results):
            print(line)
    for line in rows("headless, one after another", headless()):
        print(line)
    default_pool().shutdown()


if __name__ == "__main__":
    main()
