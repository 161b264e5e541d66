"""Benchmark scripts (not tests): run as `.venv/bin/python -m benchmarks.<name>`; each prints a summary line."""
