"""Rules edited while the platform runs: checked before saving, versioned, picked up by ingestion."""

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from mangxanh.core.items import RawItem
from mangxanh.core.taxonomy import Taxonomy
from mangxanh.domains.cases.models import Case
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.rulebook.models import RulesVersion
from mangxanh.domains.rulebook.service import current_rules, rules_in_force, save_rules, shipped_text
from mangxanh.domains.sources.service import get_or_create_source
from mangxanh.errors import InvalidInput

ONE_RULE = """version: "test-1"
rules:
  - id: only-hate
    description: Chỉ xử lý kỳ thị
    when: {finding: {category: HATE_DISCRIM}}
    then: {priority: 99}
"""


def test_a_broken_text_is_refused_with_its_line_and_the_rules_stay(session: Session, taxonomy: Taxonomy) -> None:
    broken = ONE_RULE.replace("HATE_DISCRIM", "NOT_A_CATEGORY")
    with pytest.raises(InvalidInput) as caught:
        save_rules(session, text=broken, taxonomy=taxonomy, author=None)
    assert "Line 3: unknown category «NOT_A_CATEGORY»" in str(caught.value) and "unchanged" in str(caught.value)
    with pytest.raises(InvalidInput, match="YAML"):
        save_rules(session, text="rules: [\n  - id: x\n  when: {", taxonomy=taxonomy, author=None)
    assert session.scalars(select(RulesVersion)).all() == []
    assert rules_in_force(session) == (0, shipped_text())


def test_a_saved_version_is_in_force_and_cannot_be_rewritten(
    session: Session, taxonomy: Taxonomy, analysis: Analysis,
) -> None:
    assert current_rules(session, taxonomy=taxonomy, fallback=analysis.rules) is analysis.rules
    saved = save_rules(session, text=ONE_RULE.replace("\n", "\r\n"), taxonomy=taxonomy, author=None,
                       note="thử nghiệm")
    rules = current_rules(session, taxonomy=taxonomy, fallback=analysis.rules)
    assert (rules.version, [r.id for r in rules.rules]) == ("test-1", ["only-hate"])
    assert current_rules(session, taxonomy=taxonomy, fallback=analysis.rules) is rules
    assert rules_in_force(session) == (saved.id, ONE_RULE)
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        saved.note = "sửa lén"
        session.flush()


def test_ingestion_uses_the_version_saved_since_the_process_started(
    session: Session, taxonomy: Taxonomy, analysis: Analysis,
) -> None:
    source = get_or_create_source(session, name="t", kind="jsonl_export")
    hate = "bọn parky cút về quê"
    ingest(session, source=source, items=[RawItem(platform="facebook", external_id="1", text=hate)], analysis=analysis)
    save_rules(session, text=ONE_RULE, taxonomy=taxonomy, author=None, note="Một quy tắc thử nghiệm.")
    ingest(session, source=source, items=[RawItem(platform="facebook", external_id="2", text=hate + "!")],
           analysis=analysis)
    priorities = {c.item.external_id: c.priority for c in session.scalars(select(Case))}
    assert priorities["2"] == 99 and priorities["1"] != 99
