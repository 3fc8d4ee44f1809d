"""Small custom components (Streamlit components v2): a Plotly chart updated in place, and this browser's key."""
