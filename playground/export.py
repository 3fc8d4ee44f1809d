"""Export a checked spec as one standalone PyTorch file (needs only torch) that builds and trains as the page did.

Nothing from the spec is pasted into the code as text: values go in as Python literals (`repr` of typed
values), identifiers come from the registries, and the result is parsed with `ast` before it is returned.
"""
from __future__ import annotations

import ast
import functools
import inspect
import math

from playground import modules
from playground.analysis import Analysis
from playground.datasets import CLASSIFICATION_TASKS, PER_TOKEN_TASKS
from playground.layers import format_shape
from playground.losses import LOSSES
from playground.optimizers import lr_factor


def _parse(source: str) -> ast.Module:
    """ast.parse, once more if it fails spuriously: CPython 3.11 counts the depth of every thread's AST conversion
    in one shared counter, so another thread parsing at the same moment can make it raise SystemError
    (gh-106905; seen in the test suite, where Streamlit's script threads parse pages)."""
    try:
        return ast.parse(source)
    except SystemError:
        return ast.parse(source)


@functools.cache
def _source_without_header(module) -> str:
    """A module's code after its docstring and imports (the export writes its own imports once)."""
    source = inspect.getsource(module)
    body = _parse(source).body
    first = next(node for node in body if not isinstance(node, (ast.Expr, ast.Import, ast.ImportFrom)))
    return "\n".join(source.splitlines()[first.lineno - 1 - len(getattr(first, "decorator_list", [])):]).strip()


# The exported file's weight loader: torch alone reads the safetensors format, so the file still needs only torch
WEIGHTS_SOURCE = '''SAFETENSORS_DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
                      "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool}


def read_safetensors(path) -> dict:
    """The tensors of a safetensors file, read with torch alone: an 8-byte header length, a JSON header, raw tensors."""
    data = Path(path).read_bytes()
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + size])
    header.pop("__metadata__", None)  # the playground's spec travels there
    body = data[8 + size:]
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        dtype = SAFETENSORS_DTYPES[entry["dtype"]]
        flat = torch.frombuffer(bytearray(body[begin:end]), dtype=dtype) if end > begin else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(entry["shape"])
    return tensors


def load_weights(model: nn.Module, path) -> None:
    """Load trained weights (a .safetensors file downloaded from the playground) into the model."""
    model.load_state_dict(read_safetensors(path))'''


def _args(values: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in values.items())


def steps_per_epoch(n_train: int, batch_size: int) -> int:
    """Batches per epoch as the Trainer counts them: a last batch of one sample joins the one before."""
    batch = min(batch_size, n_train)
    steps = max(1, math.ceil(n_train / batch))
    return steps - 1 if n_train % batch == 1 and n_train > 1 else steps


def _loss_adapter(analysis: Analysis) -> str:
    """The lines that shape outputs and targets for the loss, as `losses.compute_loss` does for this task."""
    ds, kind = analysis.dataset, LOSSES[analysis.loss.type].target
    if ds.task in PER_TOKEN_TASKS:
        lines = ["outputs, targets = outputs.reshape(-1, outputs.shape[-1]), targets.reshape(-1)  # every position is a sample"]
    else:
        lines = []
    if ds.task in CLASSIFICATION_TASKS:
        if kind == "binary" or (kind == "value" and analysis.output_shape[-1] == 1):
            lines.append("outputs, targets = outputs.squeeze(-1), targets.to(outputs.dtype)  # one output per sample")
        elif kind == "value":
            lines.append("targets = nn.functional.one_hot(targets, outputs.shape[-1]).to(outputs.dtype)  # classes as one-hot vectors")
    return "".join(f"    {line}\n" for line in lines)


def export_code(analysis: Analysis, lr: float | None = None) -> str:
    """Python source defining the model and its training; when run it builds the model, runs one random
    batch and prints the output shape and the parameter count. `lr` is the learning rate a run ended with."""
    analysis.raise_if_invalid()
    ds, tr, opt = analysis.dataset, analysis.training, analysis.optimizer
    opt_args = {**opt.args(), **({"lr": lr} if lr is not None else {})}
    layer_lines = "\n".join(f"        {info.call.code(8)},  # -> {format_shape(info.out_shape)}, {info.params:,} params"
                            for info in analysis.layers)
    example = (f"torch.randint(0, {ds.vocab_size!r}, (4, *INPUT_SHAPE))" if ds.input_kind == "tokens" else "torch.randn(4, *INPUT_SHAPE)")
    schedule = {k: getattr(tr, k) for k in ("epochs", "warmup_epochs", "lr_schedule", "step_size", "gamma")}
    code = f'''"""A model exported from the Architecture Playground. Needs only PyTorch.

Run it: python this_file.py — it builds the model, runs one random batch and prints the output shape and the
parameter count. `make_training` and `train_step` train it exactly as the playground did; `stop_early` ends it
early when the playground would have.

Trained weights: download them from the playground as a .safetensors file and save it beside this file under
the same name (model.py -> model.safetensors); run, this file loads them (`load_weights`) before its batch.
"""
import json
import math
from pathlib import Path

import torch
from torch import nn

TITLE = {(analysis.spec.name or "Model")!r}
DATASET = {ds.name!r}
INPUT_SHAPE = {tuple(ds.input_shape)!r}  # per sample{" (token ids)" if ds.input_kind == "tokens" else ""}
SEED = {tr.seed!r}
BATCH_SIZE = {min(tr.batch_size, ds.n_train)!r}
STEPS_PER_EPOCH = {steps_per_epoch(ds.n_train, tr.batch_size)!r}
SCHEDULE = {schedule!r}
GRAD_CLIP = {tr.grad_clip!r}
L1 = {tr.l1!r}
L2 = {tr.l2!r}
PATIENCE = {tr.patience!r}  # early stopping: epochs without a lower test loss before training ends (0 = off)


{_source_without_header(modules)}


def build_model() -> nn.Module:
    return Net(
{layer_lines}
    )


{inspect.getsource(lr_factor).strip()}


{WEIGHTS_SOURCE}


def make_training(model: nn.Module):
    """The loss, the optimizer and the per-batch learning-rate schedule the playground trained this model with."""
    loss_fn = nn.{analysis.loss.type}({_args(analysis.loss.args())})
    optimizer = torch.optim.{opt.type}(model.parameters(), {_args(opt_args)})
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(SCHEDULE, step / STEPS_PER_EPOCH))
    return loss_fn, optimizer, scheduler


def compute_loss(loss_fn, outputs, targets):
    """The loss of a batch, with outputs and targets shaped as the playground shapes them for this task."""
{_loss_adapter(analysis)}    return loss_fn(outputs, targets)


def train_step(model, x, y, loss_fn, optimizer, scheduler) -> float:
    """One mini-batch: the loss plus the L1/L2 penalties on the weights, backward, gradient clipping, step."""
    model.train()
    loss = compute_loss(loss_fn, model(x), y)
    weights = [p for p in model.parameters() if p.dim() > 1]
    total = loss + L1 * sum(w.abs().sum() for w in weights) + L2 * sum((w * w).sum() for w in weights)
    optimizer.zero_grad(set_to_none=True)
    total.backward()
    if GRAD_CLIP is not None:
        torch.nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
    optimizer.step()
    scheduler.step()
    return loss.item()


def stop_early(test_losses: list[float]) -> bool:
    """Early stopping as the playground does it, given the test loss after each epoch so far: True once PATIENCE
    epochs in a row brought no lower test loss. The model keeps its last weights (the best are not restored)."""
    best_epoch = test_losses.index(min(test_losses)) + 1 if test_losses else 0
    return PATIENCE > 0 and len(test_losses) - best_epoch >= PATIENCE


if __name__ == "__main__":
    torch.manual_seed(SEED)
    model = build_model()
    weights = Path(__file__).with_suffix(".safetensors")  # the trained weights, when saved beside this file
    if weights.exists():
        load_weights(model, weights)
        print("weights:", weights.name)
    x = {example}
    with torch.no_grad():
        y = model.eval()(x)
    print("output shape:", tuple(y.shape))
    print("parameters:", sum(p.numel() for p in model.parameters()))
'''
    _parse(code)  # the file is Python before anyone downloads it
    return code
