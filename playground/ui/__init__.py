"""The Streamlit side of the playground: the only part of playground/ that imports streamlit."""
import os

# Before torch loads: one OpenMP thread per Python thread. Small models run fastest that way, and
# idle OpenMP threads spinning on a 2-core machine would starve the training thread.
os.environ.setdefault("OMP_NUM_THREADS", "1")
