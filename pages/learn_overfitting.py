"""Learn 9: overfitting and generalisation."""
from playground.ui.learn import overfitting

overfitting.page()
