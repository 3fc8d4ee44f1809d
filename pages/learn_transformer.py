"""Learn 7: multi-head attention and the Transformer block."""
from playground.ui.learn import transformer

transformer.page()
