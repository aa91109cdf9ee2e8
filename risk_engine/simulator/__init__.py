"""Simulated brand world and traffic through the public API, scored against ground truth."""
