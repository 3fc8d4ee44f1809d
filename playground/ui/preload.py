"""Every page's modules, imported at the server's first run; then kept out of the garbage collector's full passes.

Most of the server's heap is the code it imports once: torch, plotly, streamlit and the app's own modules, about
400,000 objects. Python's full collection walks all of them, and while it does every page waits: with a class
of 30 training that was a 0.2–0.4 s stop every ten seconds or so (benchmarks/crowd.py). Frozen, they are left
out of it (and still freed as usual if ever unreferenced). Importing every page first also makes each page's
first visit quicker; it costs the server's first run about a quarter of a second.
"""
import gc

from playground.analysis import warm_up
from playground.ui import (cards, compare, data_panel, features_panel, files_panel, inspect, inspect_layers,  # noqa: F401
                           inspect_training, run_records, sampling, setup_panel, share_panel, sweep_panel, train,
                           weights_panel, widgets)
from playground.ui.learn import (attention, backprop, convolution, losses, neurons, overfitting, positions,  # noqa: F401
                                 recurrent, transformer)

warm_up()  # PyTorch's lazily imported parts too
gc.collect()  # what is garbage already goes now, not into the frozen set
gc.freeze()
