"""Learn 6: self-attention, step by step."""
from playground.ui.learn import attention

attention.page()
