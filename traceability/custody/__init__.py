"""Custody: containment, inherited container events, and the chain of parties that held a code."""
