"""Statistics for the compliance console: consumer verifications per map cell."""
