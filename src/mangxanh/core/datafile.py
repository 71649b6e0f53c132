"""Reading the data files that ship beside the analysis code (lexicons, registries, taxonomy).

One place for what every loader needs: the shipped file or an operator's replacement, and a clear
error naming the file when it cannot be read, is not YAML, or holds a bad regular expression.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from mangxanh.errors import ConfigurationError


def read_yaml(package: str, filename: str, path: Path | None = None) -> tuple[str, Any]:
    """``(where, data)``: the file at ``path``, or ``filename`` shipped in ``package``."""
    if path is None:
        where, text = filename, resources.files(package).joinpath(filename).read_text(encoding="utf-8")
    else:
        where = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError("{where}: cannot read: {error}", where=where, error=exc.strerror) from None
    try:
        return where, yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigurationError("{where}: not valid YAML: {error}", where=where, error=str(exc)) from None


def checked_patterns(raw: Any, *, label: str, escape: bool = False, noun: str = "pattern") -> list[str]:
    """A non-empty list of regular expressions (or plain words, with ``escape``), each compiled once.

    Errors name the file section and the ``noun`` with its number ("pattern 3", "entry 9").

    Capturing groups are refused: callers join patterns into named-group alternations, where a
    stray group would shift every group number after it.
    """
    if not isinstance(raw, list) or not raw or not all(isinstance(p, str) and p.strip() for p in raw):
        raise ConfigurationError("{label}: expected a non-empty list of patterns", label=label)
    patterns = [re.escape(p) for p in raw] if escape else list(raw)
    for number, pattern in enumerate(patterns, start=1):
        try:
            groups = re.compile(pattern).groups
        except re.error as exc:
            raise ConfigurationError(
                "{label}: {noun} {number} {pattern!r} is not a valid regular expression: {error}",
                label=label, noun=noun, number=number, pattern=pattern, error=str(exc),
            ) from None
        if groups:
            raise ConfigurationError(
                "{label}: {noun} {number} {pattern!r} has a capturing group; write (?:...) instead",
                label=label, noun=noun, number=number, pattern=pattern,
            )
    return patterns
