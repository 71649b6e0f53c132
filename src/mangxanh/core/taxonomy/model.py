"""The taxonomy as immutable values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Severity:
    code: str
    rank: int
    name_vi: str
    name_en: str


@dataclass(frozen=True, slots=True)
class Action:
    code: str
    name_vi: str
    name_en: str


@dataclass(frozen=True, slots=True)
class LegalReference:
    code: str
    title_vi: str
    title_en: str
    in_force_from: date
    in_force_until: date | None

    def in_force_on(self, day: date) -> bool:
        return self.in_force_from <= day and (self.in_force_until is None or day <= self.in_force_until)


@dataclass(frozen=True, slots=True)
class LegalBasis:
    """A legal reference, narrowed to an article or clause where the data names one."""

    reference: LegalReference
    provision: str = ""

    @property
    def key(self) -> str:
        return f"{self.reference.code}|{self.provision}"

    def label(self, lang: str = "vi") -> str:
        title = self.reference.title_vi if lang == "vi" else self.reference.title_en
        return f"{title}, {self.provision}" if self.provision else title


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    name_vi: str
    name_en: str
    severity: Severity
    hours: int
    legal_bases: tuple[LegalBasis, ...]
    actions: tuple[Action, ...]

    def name(self, lang: str = "vi") -> str:
        return self.name_vi if lang == "vi" else self.name_en

    def bases_in_force(self, day: date) -> tuple[LegalBasis, ...]:
        """The bases a decision may cite for content published on ``day``."""
        return tuple(b for b in self.legal_bases if b.reference.in_force_on(day))


@dataclass(frozen=True, slots=True)
class Taxonomy:
    version: str
    severities: dict[str, Severity]
    actions: dict[str, Action]
    references: dict[str, LegalReference]
    categories: dict[str, Category]

    def category(self, code: str) -> Category:
        try:
            return self.categories[code]
        except KeyError:
            raise KeyError(f"unknown taxonomy category {code!r}") from None

    def basis(self, key: str) -> LegalBasis | None:
        """Find a legal basis by its ``reference|provision`` key among all categories."""
        for category in self.categories.values():
            for basis in category.legal_bases:
                if basis.key == key:
                    return basis
        return None
