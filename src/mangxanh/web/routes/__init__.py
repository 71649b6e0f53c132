"""Routes, one module per area of the web application."""
