"""Learn 4: convolution, pooling and receptive fields."""
from playground.ui.learn import convolution

convolution.page()
