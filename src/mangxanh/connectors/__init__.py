"""Connectors: one module per source kind, each yielding core ``RawItem``s."""
