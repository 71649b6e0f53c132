"""The contract every detector keeps."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Generic, Protocol, TypeVar, runtime_checkable

from mangxanh.core.analysis.types import Finding, Item


@runtime_checkable
class Detector(Protocol):
    """A pure function of an item's text and metadata that returns findings.

    ``needs`` names the item fields it reads; ``provides`` the taxonomy categories it can emit.
    The constructor holds configuration only: heavy resources load lazily on first use.
    """

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def needs(self) -> frozenset[str]: ...

    @property
    def provides(self) -> frozenset[str]: ...

    def detect(self, item: Item) -> list[Finding]: ...


Data = TypeVar("Data")


class DataFile(Generic[Data]):
    """A detector's data file: read and validated on first use, then kept.

    Detectors hold configuration only in their constructor (the path); the file is loaded when
    the first item arrives, so building the registry costs nothing.
    """

    def __init__(self, load: Callable[[Path | None], Data], path: Path | None = None) -> None:
        self._load = load
        self._path = path
        self._value: Data | None = None

    def get(self) -> Data:
        if self._value is None:
            self._value = self._load(self._path)
        return self._value

    def replace(self, value: Data) -> None:
        """Use ``value`` from now on (a version edited in the console); one assignment, safe across threads."""
        self._value = value
