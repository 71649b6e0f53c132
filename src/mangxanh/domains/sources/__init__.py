"""The sources domain."""
