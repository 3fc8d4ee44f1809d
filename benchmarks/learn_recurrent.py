"""The long-gap comparison of Learn lesson 5: RNN, LSTM and GRU trained headless on `recall` (remember the first of
N + 1 bits), with the lesson's settings. Prints a markdown table; the lesson quotes what this measured.

    python benchmarks/learn_recurrent.py                       # N = 30, 40, 50; seed 0; about 3 min of CPU
    python benchmarks/learn_recurrent.py --gaps 30 --seeds 0,1,2
    python benchmarks/learn_recurrent.py --kinds LSTM --gaps 10,30 --lr 0.001
    python benchmarks/learn_recurrent.py --kinds LSTM --gaps 30 --forget-bias 1
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playground import i18n  # noqa: E402
from playground.analysis import analyze  # noqa: E402
from playground.lessons import recurrent as lesson  # noqa: E402
from playground.spec import from_data  # noqa: E402
from playground.training import Trainer  # noqa: E402

TARGET = 0.95


def run(kind: str, gap: int, seed: int, lr: float, forget_bias: float) -> dict:
    doc = lesson.recall_spec(kind, gap, lr).to_dict()
    doc["training"] = {**doc["training"], "seed": seed}
    trainer = Trainer(analyze(from_data(doc)))
    if kind == "LSTM" and forget_bias:
        lesson.set_forget_bias(lesson.recurrent_layer(trainer.model), forget_bias)
    torch.manual_seed(seed)
    wall, cpu = time.perf_counter(), time.process_time()
    accuracies, reached = [], None
    while not trainer.done:
        _, record = trainer.train_step()
        if record is not None:
            accuracies.append(record.test_accuracy)
            if reached is None and record.test_accuracy >= TARGET:
                reached = (record.epoch, time.process_time() - cpu)
    return {"final": accuracies[-1], "best": max(accuracies), "reached": reached,
            "cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", default=",".join(lesson.KINDS))
    parser.add_argument("--gaps", default="30,40,50")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--lr", type=float, default=0.01, help="Adam's learning rate")
    parser.add_argument("--forget-bias", type=float, default=0.0, help="added to the LSTM's forget-gate biases")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"Recall after N steps · {time.strftime('%Y-%m-%d')} · {platform.machine()} · torch {torch.__version__} · "
          f"1 thread · Adam lr {args.lr:g}, hidden {lesson.HIDDEN}, embedding {lesson.EMBEDDING_DIM}, {lesson.SAMPLES} "
          f"sequences, batch 32, 30 epochs\n")
    print(f"| cell | N | seed | forget bias | test acc, epoch 30 | best | first epoch ≥ {TARGET:.0%} (CPU s) | CPU s | wall s |")
    print("|---|---|---|---|---|---|---|---|---|")
    with i18n.using("en"):
        for gap in (int(g) for g in args.gaps.split(",")):
            for kind in args.kinds.split(","):
                for seed in (int(s) for s in args.seeds.split(",")):
                    r = run(kind, gap, seed, args.lr, args.forget_bias)
                    reached = f"{r['reached'][0]} ({r['reached'][1]:.1f})" if r["reached"] else "—"
                    bias = f"{args.forget_bias:+g}" if kind == "LSTM" else ""
                    print(f"| {kind} | {gap} | {seed} | {bias} | {r['final']:.0%} | {r['best']:.0%} | {reached} | "
                          f"{r['cpu']:.1f} | {r['wall']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
