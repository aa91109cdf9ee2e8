"""Load tests: `make loadtest` runs locust headless for 60 s against a local server."""
