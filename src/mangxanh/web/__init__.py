"""The web application: staff console (and later the citizen portal and the JSON API)."""
