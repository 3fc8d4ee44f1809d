"""Core training benchmarks: time to a target accuracy, and the Trainer's speed against a bare PyTorch loop.

Run from the repository root: `python benchmarks/core.py [--repeat 3]`. Prints a markdown table.
Everything runs on one thread (torch.set_num_threads(1)), as the app's training worker does.

Time to target: headless `playground.training.train` on the example spec, counting training time only
(from the first batch; the per-epoch test evaluation is included, dataset generation and model build are
not), until the epoch whose test accuracy first reaches the target.

Throughput: the same model (built by `playground.model.build_model`, so the same weights), the same data
tensors and batch size, trained by (a) the playground `Trainer.train_step` loop — which also tracks
accuracy, gradient norms, the learning-rate schedule and evaluates the test split at each epoch's end —
and (b) a minimal hand-written loop: randperm shuffling, zero_grad / backward / step, no metrics. Both run
the same number of epochs after one warm-up epoch that is not timed; runs alternate (a, b, a, b, ...)
and the best of `--repeat` runs of each counts. The last column leaves out the Trainer's time evaluating
the test split at each epoch's end (work the bare loop does not do), which shows the per-step overhead. Throughput is measured in CPU time of this process
(time.process_time), so other programs on a shared machine do not tilt the comparison; on an idle
machine it equals wall time, as training runs on one thread.
"""
import os
import sys

# benchmarks/ holds a file named like the standard library's `inspect`, which torch imports: drop this
# folder from the import path before anything else is imported, and put the repository root there instead.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import torch  # noqa: E402

from playground.losses import make_loss  # noqa: E402
from playground.model import build_model  # noqa: E402
from playground.analysis import analyze  # noqa: E402
from playground.spec import from_data  # noqa: E402
from playground.training import Trainer, train  # noqa: E402

EXAMPLES = Path(_HERE).parent / "playground" / "examples"
clock = time.process_time  # CPU seconds of this process; see the module docstring

# example, label, target test accuracy, target seconds, time budget, timed epochs for throughput
CASES = [
    ("mlp_spiral", "spiral · MLP 3×16 tanh · Adam 0.01", 0.97, 10, 60, 80),
    ("cnn_digits", "digits · TinyVGG", 0.96, 20, 60, 6),
    ("transformer_reverse", "reverse · 2 Transformer blocks d=32, 4 heads", 0.99, 30, 90, 5),
]


def load(name: str):
    analysis = analyze(from_data(json.loads((EXAMPLES / f"{name}.json").read_text())))
    return analysis.raise_if_invalid()


def time_to_target(analysis, target: float, budget: float) -> tuple[float | None, int | None, float]:
    """(seconds, epoch) when test accuracy first reaches target, or (None, None); and the accuracy then (or the best)."""
    best = 0.0
    for record in train(analysis, max_seconds=budget):  # within the spec's own epochs
        best = max(best, record.test_accuracy)
        if record.test_accuracy >= target:
            return record.seconds, record.epoch, record.test_accuracy
    return None, None, best


def trainer_run(analysis, epochs: int) -> tuple[float, float]:
    """Samples per second of the playground Trainer over `epochs` epochs after one warm-up epoch: in all,
    and leaving out the time spent evaluating the test split at each epoch's end."""
    trainer = Trainer(analysis)
    trainer.epochs = epochs + 1
    for _ in range(trainer.steps_per_epoch):  # warm-up epoch
        trainer.train_step()
    evaluating = [0.0]
    evaluate = trainer.evaluate

    def timed_evaluate(*args, **kwargs):
        began = clock()
        try:
            return evaluate(*args, **kwargs)
        finally:
            evaluating[0] += clock() - began

    trainer.evaluate = timed_evaluate
    start = clock()
    while not trainer.done:
        trainer.train_step()
    seconds = clock() - start
    samples = epochs * trainer.data.n_train
    return samples / seconds, samples / (seconds - evaluating[0])


def bare_run(analysis, epochs: int, clock=clock) -> float:
    """Samples per second (of `clock`) of a minimal PyTorch loop on the identical model, data and batch size."""
    ds = analysis.dataset
    model = build_model(analysis)
    model.train()
    x, y = ds.x_train, ds.y_train
    n, batch = len(x), min(analysis.training.batch_size, len(x))
    criterion = make_loss(analysis.loss.type, analysis.loss.args())
    optimizer = getattr(torch.optim, analysis.optimizer.type)(model.parameters(), **analysis.optimizer.args())
    per_token = ds.task in ("token_classification", "next_token")
    generator = torch.Generator().manual_seed(0)

    def epoch():
        order = torch.randperm(n, generator=generator)
        for i in range(0, n, batch):
            idx = order[i:i + batch]
            out = model(x[idx])
            target = y[idx]
            if per_token:
                out, target = out.reshape(-1, out.shape[-1]), target.reshape(-1)
            loss = criterion(out, target)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    epoch()  # warm-up
    start = clock()
    for _ in range(epochs):
        epoch()
    return epochs * n / (clock() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each loop; the best counts (default 3)")
    parser.add_argument("--only", choices=[c[0] for c in CASES], help="run one case")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    for name, label, target, target_s, budget, epochs in CASES:
        if args.only and name != args.only:
            continue
        analysis = load(name)
        seconds, reached_epoch, acc = time_to_target(analysis, target, budget)
        ours, bare = [], []
        for _ in range(args.repeat):
            ours.append(trainer_run(analysis, epochs))
            bare.append(bare_run(analysis, epochs))
        ratio = max(o for o, _ in ours) / max(bare)
        ratio_train = max(t for _, t in ours) / max(bare)
        reached = f"{seconds:.2f} s (epoch {reached_epoch})" if seconds is not None else f"not within {budget} s"
        ok_time = seconds is not None and seconds <= target_s
        rows.append((label, f"≥ {target:.0%} ≤ {target_s} s", reached, f"{acc:.1%}", "yes" if ok_time else "NO",
                     f"{max(o for o, _ in ours):,.0f}", f"{max(bare):,.0f}", f"{ratio:.2f}", "yes" if ratio >= 0.9 else "NO",
                     f"{ratio_train:.2f}"))
        print(f"{name}: done", file=sys.stderr, flush=True)
    print(f"Core benchmarks · {datetime.date.today()} · {platform.machine()} · {os.cpu_count()} CPU(s) · "
          f"torch {torch.__version__} · 1 thread · best of {args.repeat}\n")
    head = ("case", "target", "time to target", "test acc", "met", "Trainer samples/s", "bare loop samples/s",
            "ratio", "≥ 0.9", "ratio without test eval")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
