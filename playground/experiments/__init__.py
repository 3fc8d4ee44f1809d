"""Experiments: every run of a session kept as a record (records.py), the difference between two specs in
words (diff.py), and sweeps — a small grid of specs trained one after another (sweeps.py, queue.py)."""
