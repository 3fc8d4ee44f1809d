"""Learn 2: loss functions."""
from playground.ui.learn import losses

losses.page()
