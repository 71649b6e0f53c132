"""The analysis core: pure Python, no web framework, database or task queue."""
