"""Geometry helpers: territory validation and point-in-territory tests."""
