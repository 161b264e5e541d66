"""HTTP API (FastAPI), calling the same services as the UI."""
