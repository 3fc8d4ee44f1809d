"""Command line: `python -m playground summary | train | export SPEC.json`."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from playground import i18n
from playground.analysis import Analysis, analyze
from playground.i18n import msg
from playground.layers import format_shape
from playground.spec import Problem, SpecError, parse_spec
from playground.weights import MAX_WEIGHTS_BYTES, WeightsError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        self.exit(2, f"error: {message} (see --help)\n")


def _load(path: str) -> Analysis:
    try:
        text = Path(path).read_bytes()
    except OSError as e:
        raise SpecError([Problem("spec", msg("cli.cannot_read", path=path, reason=e.strerror or str(e)))]) from None
    return analyze(parse_spec(text)).raise_if_invalid()


def summary(args) -> int:
    a = _load(args.spec)
    rows = [(info, len(info.path) - 1) for info in a.all_layers()]
    if args.json:
        doc = {
            "name": a.spec.name,
            "dataset": a.dataset.name,
            "task": a.dataset.task,
            "input_shape": list(a.dataset.input_shape),
            "layers": [{"index": i.where, "type": i.type, "output_shape": list(i.out_shape), "params": i.params, "macs": i.macs}
                       for i, d in rows if d == 0],
            "total_params": a.total_params,
            "total_macs": a.total_macs,
            "loss": a.loss.type,
            "optimizer": a.optimizer.type,
        }
        for entry, (info, _) in zip(doc["layers"], [r for r in rows if r[1] == 0]):
            if info.children:
                entry["layers"] = [{"type": c.type, "output_shape": list(c.out_shape), "params": c.params} for c in info.children]
        print(json.dumps(doc))
        return 0
    print(i18n.t("cli.summary.title", name=a.spec.name or "model", dataset=a.dataset.name, task=a.dataset.task,
                 shape=format_shape(a.dataset.input_shape)))
    print(f"{'#':<10}{i18n.t('cli.summary.layer'):<22}{i18n.t('cli.summary.shape'):<18}{i18n.t('cli.summary.params'):>12}")
    for info, depth in rows:
        print(f"{info.index:<10}{'  ' * depth + info.type:<22}{format_shape(info.out_shape):<18}{info.params:>12,}")
    print(i18n.t("cli.summary.totals", params=a.total_params, macs=a.total_macs))
    print(i18n.t("cli.summary.setup", loss=a.loss.type, optimizer=a.optimizer.type, lr=f"{a.optimizer.lr:g}"))
    return 0


def train_cmd(args) -> int:
    from playground.training import Diverged, train

    a = _load(args.spec)
    last = None
    try:
        for record in train(a, epochs=args.epochs, max_seconds=args.max_seconds):
            last = record
            if args.json:
                print(json.dumps(record.as_json()), flush=True)
            else:
                acc = f"  test acc {record.test_accuracy:.1%}" if record.test_accuracy is not None else ""
                print(f"epoch {record.epoch:>4}  {record.seconds:7.2f}s  train loss {record.train_loss:.4f}  test loss {record.test_loss:.4f}{acc}", flush=True)
    except Diverged as e:
        if args.json:
            print(json.dumps({"final": True, "status": "diverged", "message": str(e)}))
        print(str(e), file=sys.stderr)
        return 1
    final = {"final": True, "status": "finished", **(last.as_json() if last else {})}
    if args.json:
        print(json.dumps(final))
    elif last is not None:
        acc = f", test accuracy {last.test_accuracy:.1%}" if last.test_accuracy is not None else ""
        print(f"done: {last.epoch} epochs in {last.seconds:.1f}s, test loss {last.test_loss:.4f}{acc}")
    return 0


def export_cmd(args) -> int:
    """The .py file (with --weights and -o, the checked weights beside it under its name), or with -o FILE.pt2 a torch.export program."""
    from playground import weights
    from playground.export import export_code

    a = _load(args.spec)
    data = _read_weights(args.weights) if args.weights else None
    state = weights.load(data, a) if data is not None else None
    if (args.format or Path(args.output or "").suffix.lstrip(".")) == "pt2":
        Path(args.output).write_bytes(weights.export_pt2(a, weights.model_with(a, state) if state else None))
        return 0
    code = export_code(a)
    if args.output:
        Path(args.output).write_text(code)
        if data is not None:
            Path(args.output).with_suffix(".safetensors").write_bytes(data)
    else:
        sys.stdout.write(code)
    return 0


def _read_weights(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(MAX_WEIGHTS_BYTES + 1)  # one byte over tells the parser the file is too big
    except OSError as e:
        raise WeightsError(msg("cli.cannot_read", path=path, reason=e.strerror or str(e))) from None


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m playground", description="Architecture Playground on the command line.")
    parser.add_argument("--lang", choices=i18n.LANGS, help="language of messages (default: from the LANG environment variable)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("summary", help="per-layer output shapes and parameter counts")
    p.add_argument("spec")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=summary)
    p = sub.add_parser("train", help="train headless, one line per epoch")
    p.add_argument("spec")
    p.add_argument("--epochs", type=int)
    p.add_argument("--max-seconds", type=float)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=train_cmd)
    p = sub.add_parser("export", help="a standalone PyTorch file for the model, or a torch.export program (.pt2)")
    p.add_argument("spec")
    p.add_argument("-o", "--output")
    p.add_argument("--format", choices=("py", "pt2"), help="default: pt2 when the output ends in .pt2, else py")
    p.add_argument("--weights", help="trained weights (.safetensors from the playground) for this spec")
    p.set_defaults(func=export_cmd)
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is export_cmd:
        _check_export_args(parser, args)
    # Small models train fastest on one thread; two OpenMP threads on a busy 2-core machine crawl
    import torch

    torch.set_num_threads(1)
    if getattr(args, "epochs", None) is not None and args.epochs < 1:
        parser.error("--epochs must be at least 1")
    if getattr(args, "max_seconds", None) is not None and args.max_seconds <= 0:
        parser.error("--max-seconds must be positive")
    lang = args.lang or i18n.normalize(os.environ.get("LANG")) or i18n.DEFAULT
    with i18n.using(lang):
        return _run(args)


def _check_export_args(parser: argparse.ArgumentParser, args) -> None:
    pt2 = (args.format or Path(args.output or "").suffix.lstrip(".")) == "pt2"
    if pt2 and not args.output:
        parser.error("a .pt2 program is binary: write it to a file with -o FILE.pt2")
    if args.weights and not pt2 and not args.output:
        parser.error("--weights needs -o FILE.py: the weights are written beside it as FILE.safetensors")


def _run(args) -> int:
    try:
        code = args.func(args)
        sys.stdout.flush()  # a closed pipe shows up here for output still in the buffer
        return code
    except (SpecError, WeightsError) as e:
        print(i18n.t("cli.error", message=str(e)), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`... | head -1`): stop quietly, as `yes | head` does. Point stdout at
        # /dev/null so the interpreter's final flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, the status a shell reports for a writer whose pipe closed
