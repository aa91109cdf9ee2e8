"""The mobile mini-app (/app), the compliance console (/console) and the GS1 Digital Link
resolver pages, served by the service as static files (no build step)."""
