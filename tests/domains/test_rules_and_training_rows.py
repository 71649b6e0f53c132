import csv
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mangxanh.core.items import RawItem
from mangxanh.core.rules import parse_rules
from mangxanh.core.taxonomy import Taxonomy
from mangxanh.domains.accounts.models import User
from mangxanh.domains.cases import service as cases
from mangxanh.domains.cases.dry_run import dry_run_rules
from mangxanh.domains.cases.models import Case
from mangxanh.domains.cases.training_rows import export_decisions
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.sources.service import get_or_create_source


def _ingest(session: Session, analysis: Analysis) -> dict[str, Case]:
    source = get_or_create_source(session, name="t", kind="jsonl_export")
    texts = {"hate": "bọn parky cút về quê", "vulgar": "vcl thật", "insult": "mày đúng là óc chó",
             "clean": "Chúc cả nhà cuối tuần vui vẻ"}
    ingest(session, source=source, analysis=analysis, items=[
        RawItem(platform="facebook", external_id=key, text=text, published_at=datetime(2026, 11, 1, tzinfo=UTC))
        for key, text in texts.items()])
    return {c.item.external_id: c for c in session.scalars(select(Case))}


def test_cases_carry_the_verdict_and_its_trace(session: Session, analysis: Analysis) -> None:
    by_item = _ingest(session, analysis)
    assert set(by_item) == {"hate", "vulgar", "insult"}
    assert by_item["vulgar"].route == "team:weekly-sweep"
    assert by_item["hate"].trace[0]["step"] == "base" and by_item["hate"].trace[0]["category"] == "HATE_DISCRIM"


def test_dry_run_reports_changes_and_writes_nothing(session: Session, analysis: Analysis, taxonomy: Taxonomy) -> None:
    by_item = _ingest(session, analysis)
    rules = parse_rules(
        "rules:\n"
        "  - id: all-hate-to-police\n    when: {finding: {category: HATE_DISCRIM}}\n"
        "    then: {route: 'team:police-liaison', escalate: true}\n", taxonomy=taxonomy)
    changes = {c.natural_key: c.differences for c in
               dry_run_rules(session, rules=rules, taxonomy=taxonomy, threshold=0.5, last=10)}
    assert changes["facebook:hate"] == {"route": ("analysts", "team:police-liaison"), "escalated": (False, True)}
    assert changes["facebook:vulgar"] == {"route": ("team:weekly-sweep", "analysts")}
    assert changes["facebook:clean"] == {}
    session.refresh(by_item["hate"])
    assert by_item["hate"].route == "analysts"


def test_decisions_become_training_rows(
    session: Session, analysis: Analysis, taxonomy: Taxonomy, analyst: User, tmp_path: Path
) -> None:
    by_item = _ingest(session, analysis)
    decide = {"hate": ("HATE_DISCRIM", "decision-874-2021|Điều 4", "request_takedown"),
              "vulgar": ("OFFENSIVE_LANG", "decision-874-2021|Điều 4", "no_action"),
              "insult": ("DEFAME_INSULT", "csl-2025|", "advise_victim")}
    for key, (category, basis, action) in decide.items():
        cases.record_decision(session, case_id=by_item[key].id, actor=analyst, taxonomy=taxonomy,
                              category=category, legal_basis=basis, action=action,
                              facts="Bài viết kỳ thị.", note="Lý do.")
    out = tmp_path / "rows" / "decisions.csv"
    assert export_decisions(session, out) == 3
    with out.open(encoding="utf-8") as handle:
        rows = {r["free_text"]: r["label_id"] for r in csv.DictReader(handle)}
    assert rows == {"bọn parky cút về quê": "2", "vcl thật": "0", "mày đúng là óc chó": "1"}
    assert not list(out.parent.glob(".decisions-*"))
