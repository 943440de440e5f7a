"""Benchmarks against the real local stack; each reports figures and a same-run baseline."""
