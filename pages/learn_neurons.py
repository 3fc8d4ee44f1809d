"""Learn 1: neurons and activation functions."""
from playground.ui.learn import neurons

neurons.page()
