"""Figures of the Learn lessons: pure functions from a lesson's computed arrays to Plotly figures."""
