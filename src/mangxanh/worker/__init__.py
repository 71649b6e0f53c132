"""Work that owns its transactions: imports and analysis runs (in process now, Celery later)."""
