"""The FastAPI application and its HTTP layer."""
