"""Load and validate the taxonomy file; a broken file is an error that names the entry."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from mangxanh.core.datafile import read_yaml
from mangxanh.core.taxonomy.model import Action, Category, LegalBasis, LegalReference, Severity, Taxonomy
from mangxanh.errors import ConfigurationError

TAXONOMY_FILE = "violations.yaml"


def _require(mapping: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(mapping, dict) or key not in mapping:
        raise ConfigurationError("{where}: missing '{key}'", where=where, key=key)
    value = mapping[key]
    if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        raise ConfigurationError("{where}: '{key}' has the wrong type or is empty", where=where, key=key)
    return value


def _parse_references(raw: Any, where: str) -> dict[str, LegalReference]:
    if not isinstance(raw, dict) or not raw:
        raise ConfigurationError("{where}: 'legal_references' must be a non-empty mapping", where=where)
    references = {}
    for code, entry in raw.items():
        label = f"{where}: legal reference {code}"
        start = _require(entry, "from", date, label)
        until = entry.get("until")
        if until is not None and (not isinstance(until, date) or until < start):
            raise ConfigurationError("{label}: 'until' must be a date on or after 'from'", label=label)
        references[code] = LegalReference(
            code, _require(entry, "title_vi", str, label), _require(entry, "title_en", str, label), start, until
        )
    return references


def _parse_category(raw: Any, index: int, taxonomy_parts: dict[str, Any], where: str) -> Category:
    label = f"{where}: category {index}"
    code = _require(raw, "code", str, label)
    label = f"{where}: category {code}"
    if not code.replace("_", "").isalnum() or not code.isupper():
        raise ConfigurationError("{label}: code must be upper-case letters and underscores", label=label)
    severities, actions, references = (taxonomy_parts[k] for k in ("severities", "actions", "references"))
    severity = _require(raw, "severity", str, label)
    if severity not in severities:
        raise ConfigurationError("{label}: unknown severity '{severity}'", label=label, severity=severity)
    hours = _require(raw, "hours", int, label)
    if hours <= 0:
        raise ConfigurationError("{label}: 'hours' must be positive", label=label)
    bases = []
    for basis in _require(raw, "legal_bases", list, label):
        ref = _require(basis, "ref", str, label)
        if ref not in references:
            raise ConfigurationError("{label}: unknown legal reference '{ref}'", label=label, ref=ref)
        bases.append(LegalBasis(references[ref], str(basis.get("provision", ""))))
    category_actions = []
    for action in _require(raw, "actions", list, label):
        if action not in actions:
            raise ConfigurationError("{label}: unknown action '{action}'", label=label, action=action)
        category_actions.append(actions[action])
    return Category(
        code=code,
        name_vi=_require(raw, "name_vi", str, label),
        name_en=_require(raw, "name_en", str, label),
        severity=severities[severity],
        hours=hours,
        legal_bases=tuple(bases),
        actions=tuple(category_actions),
    )


def parse_taxonomy(data: Any, *, where: str = TAXONOMY_FILE) -> Taxonomy:
    if not isinstance(data, dict):
        raise ConfigurationError("{where}: expected a mapping at the top level", where=where)
    severities = {
        code: Severity(code, _require(e, "rank", int, f"{where}: severity {code}"),
                       _require(e, "name_vi", str, f"{where}: severity {code}"),
                       _require(e, "name_en", str, f"{where}: severity {code}"))
        for code, e in _require(data, "severities", dict, where).items()
    }
    actions = {
        code: Action(code, _require(e, "name_vi", str, f"{where}: action {code}"),
                     _require(e, "name_en", str, f"{where}: action {code}"))
        for code, e in _require(data, "actions", dict, where).items()
    }
    parts: dict[str, Any] = {"severities": severities, "actions": actions,
             "references": _parse_references(data.get("legal_references"), where)}
    categories: dict[str, Category] = {}
    for index, raw in enumerate(_require(data, "categories", list, where), start=1):
        category = _parse_category(raw, index, parts, where)
        if category.code in categories:
            raise ConfigurationError("{where}: category {code} is defined twice", where=where, code=category.code)
        categories[category.code] = category
    return Taxonomy(str(data.get("version", "")), severities, actions, parts["references"], categories)


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Load the shipped taxonomy, or the file at ``path``."""
    where, data = read_yaml(__package__, TAXONOMY_FILE, path)
    return parse_taxonomy(data, where=where)
