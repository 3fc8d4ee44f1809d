"""Architecture Playground: build, train and look inside neural networks (the library; no Streamlit here)."""
