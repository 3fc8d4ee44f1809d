"""Learn 5: recurrent networks."""
from playground.ui.learn import recurrent

recurrent.page()
