"""The contract every detector keeps."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

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
