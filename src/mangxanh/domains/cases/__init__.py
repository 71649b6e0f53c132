"""The cases domain."""
