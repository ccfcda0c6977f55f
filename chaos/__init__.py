"""Fault and load scenarios: `make chaos` runs them (see chaos/run.py)."""
