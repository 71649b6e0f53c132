"""Exceptions raised by the toxicity-model package.

Kept in their own module so callers (API layer, CLI, jobs) can catch them
without importing numpy-heavy modules.
"""
from __future__ import annotations


class MLError(Exception):
    """Base class for every error raised deliberately by :mod:`mangxanh.ml`."""


class DataError(MLError, ValueError):
    """A data file is missing, empty or malformed.

    Subclasses :class:`ValueError` because the root cause is always a bad
    input value (a path or file content), so generic ``except ValueError``
    handlers keep working.  Messages name the file and, where it applies,
    the column and the 1-based data row number (header excluded).
    """


class ArtifactError(MLError):
    """A model artifact directory is missing files or is internally inconsistent."""
