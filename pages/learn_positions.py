"""Learn 8: positional encoding."""
from playground.ui.learn import positions

positions.page()
