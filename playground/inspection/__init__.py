"""Looking inside a model: every view computes plain numpy arrays; `playground.plots` draws them.

One module per view, as cnn-explainer keeps one view per module:
- `inputs`: one sample in (a dataset example, a drawing, typed tokens); `tokens`: how tokens are shown
- `trace`: one forward pass with hooks, every layer's output (`core` holds what all passes share)
- `conv`, `attention`, `recurrent`: the families opened up (kernels and one output pixel, attention
  weights and the formula's intermediates, gates and states by PyTorch's equations)
- `maps`: the model over its whole 2-D or 1-D input space, with every hidden neuron
- `dynamics`: gradient norms, weight and activation spreads, dead ReLUs
- `evaluation`: a whole split: confusion matrix, mistakes, residuals
- `formulas`: the LaTeX each panel shows

The names below are the public surface, so callers can write `inspection.trace(...)`.
"""
from playground.inspection.attention import AttentionSteps, AttentionTrace, attention_steps
from playground.inspection.conv import ConvStep, KernelSet, PoolStep, conv_step, kernels, output_size, pool_step
from playground.inspection.core import AtLayer, predictions, probabilities, probability_rule
from playground.inspection.dynamics import ActivationStats, WeightStats, activation_stats, gradient_history, weight_stats
from playground.inspection.evaluation import Evaluation, WrongExample, evaluate
from playground.inspection.inputs import InputError, prepare_input
from playground.inspection.maps import Curve, Grid, NeuronLayer, decision_curve, decision_grid, map_kind
from playground.inspection.recurrent import RecurrentTrace
from playground.inspection.tokens import class_labels, token_labels, visible
from playground.inspection.trace import LayerTrace, Trace, trace

__all__ = [
    "ActivationStats", "AtLayer", "AttentionSteps", "AttentionTrace", "ConvStep", "Curve", "Evaluation", "Grid",
    "InputError", "KernelSet", "LayerTrace", "NeuronLayer", "PoolStep", "RecurrentTrace", "Trace", "WeightStats",
    "WrongExample", "activation_stats", "attention_steps", "class_labels", "conv_step", "decision_curve",
    "decision_grid", "evaluate", "gradient_history", "kernels", "map_kind", "output_size",
    "pool_step", "predictions", "prepare_input", "probabilities", "probability_rule", "token_labels", "trace",
    "visible", "weight_stats",
]
