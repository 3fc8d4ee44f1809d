"""Learn 3: gradient descent and back-propagation."""
from playground.ui.learn import backprop

backprop.page()
