import copy
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from mangxanh.core.taxonomy import load_taxonomy, parse_taxonomy
from mangxanh.errors import ConfigurationError

REFERENCE = Path(__file__).resolve().parents[3].parent / "shared" / "reference" / "violation-taxonomy.md"
SHIPPED = yaml.safe_load((Path(__file__).resolve().parents[3] / "src/mangxanh/core/taxonomy/violations.yaml")
                         .read_text(encoding="utf-8"))


def test_shipped_taxonomy_has_every_category_with_names_and_bases() -> None:
    taxonomy = load_taxonomy()
    assert len(taxonomy.categories) == 17
    for category in taxonomy.categories.values():
        assert category.name_vi and category.name_en and category.hours > 0
        assert category.legal_bases and category.actions


@pytest.mark.skipif(not REFERENCE.exists(), reason="shared reference not beside the checkout")
def test_codes_severities_and_hours_match_the_reference() -> None:
    rows = re.findall(r"^\| ([A-Z_]+) \| [^|]+ \| (\w+) \| (\d+) \|", REFERENCE.read_text(encoding="utf-8"), re.M)
    assert len(rows) == 17
    taxonomy = load_taxonomy()
    for code, severity, hours in rows:
        category = taxonomy.category(code)
        assert (category.severity.code, category.hours) == (severity, int(hours))


def test_legal_bases_follow_the_date_content_was_published() -> None:
    hate = load_taxonomy().category("HATE_DISCRIM")
    before = {b.reference.code for b in hate.bases_in_force(date(2026, 3, 1))}
    after = {b.reference.code for b in hate.bases_in_force(date(2026, 8, 1))}
    assert "csl-2018" in before and "csl-2025" not in before
    assert "csl-2025" in after and "csl-2018" not in after
    assert "decision-874-2021" in before & after


def _broken(mutate: Any) -> dict[str, Any]:
    data = copy.deepcopy(SHIPPED)
    mutate(data)
    return data


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["categories"][6].update(severity="huge"), "category HATE_DISCRIM: unknown severity 'huge'"),
        (lambda d: d["categories"][0].update(hours=0), "category CSAM: 'hours' must be positive"),
        (lambda d: d["categories"][1]["legal_bases"].append({"ref": "nope"}),
         "category TERROR_EXTREMISM: unknown legal reference 'nope'"),
        (lambda d: d["categories"][2]["actions"].append("fly"), "category INCITE_RIOT: unknown action 'fly'"),
        (lambda d: d["categories"][3].pop("name_vi"), "category ANTI_STATE: missing 'name_vi'"),
        (lambda d: d["categories"].append(copy.deepcopy(d["categories"][0])), "category CSAM is defined twice"),
        (lambda d: d["legal_references"]["csl-2018"].update(until=date(2000, 1, 1)),
         "legal reference csl-2018: 'until' must be a date on or after 'from'"),
        (lambda d: d.pop("categories"), "missing 'categories'"),
    ],
)
def test_a_broken_file_is_refused_naming_the_entry(mutate: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        parse_taxonomy(_broken(mutate), where="violations.yaml")


def test_unreadable_or_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_taxonomy(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("categories: [", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="not valid YAML"):
        load_taxonomy(bad)
