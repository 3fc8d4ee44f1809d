"""Pure figure builders: plain arrays and records in, Plotly figures out. No Streamlit, no model calls."""
