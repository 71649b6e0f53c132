"""Someone with write access to the database, but not to the audit key, rewrites history: it shows.

Each test builds a decided case in a database of its own, seals it with an anchor, then plays
the attacker: drops the append-only triggers and edits, deletes, renumbers or forges rows, even
recomputing the digests with the product's own (unkeyed) hash. Both the case page's check and
`verify_trail` must then say where the history was altered.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker, undefer
from tests.conftest import AUDIT_TEST_KEY

from mangxanh.core.analysis.campaigns import CampaignIndex
from mangxanh.core.evidence import canonical, capture_digest
from mangxanh.core.items import RawItem
from mangxanh.db import make_engine, make_session_factory, unit_of_work
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.audit import anchors
from mangxanh.domains.audit.models import CaseEvent
from mangxanh.domains.audit.service import CASE_EVENT_FIELDS
from mangxanh.domains.audit.verify import verify_case_history, verify_trail
from mangxanh.domains.cases.models import Case
from mangxanh.domains.cases.service import record_decision, transition_case
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.evidence.models import Capture
from mangxanh.domains.sources.service import get_or_create_source

APPEND_ONLY = ("case_events", "decisions", "audit_events", "audit_anchors", "audit_anchor_heads", "captures")


@dataclass
class Trail:
    engine: Engine
    factory: sessionmaker[Session]
    case_id: int
    anchor_file: Path

    def sql(self, statement: str, **params: object) -> None:
        with self.engine.begin() as conn:
            conn.execute(text(statement), params)

    def check(self) -> tuple[str | None, str]:
        """What the case page says, and what the full verification says (first problem)."""
        with self.factory() as session:
            case = verify_case_history(session, case_id=self.case_id)
            trail = verify_trail(session, anchor_file=self.anchor_file)
        assert not trail.ok
        return (None if case.ok else case.problem.describe() if case.problem else "?"), trail.problems[0].describe()


@pytest.fixture
def trail(live_database_url: str, analysis: Analysis, tmp_path: Path) -> Iterator[Trail]:
    engine = make_engine(live_database_url)
    factory = make_session_factory(engine, audit_key=AUDIT_TEST_KEY)
    with unit_of_work(factory) as session:
        user = create_user(session, username="hoa", password="mật khẩu đủ dài", display_name="Hoa")
        ingest(session, source=get_or_create_source(session, name="t", kind="api"), analysis=replace(
            analysis, campaigns=CampaignIndex()), items=[RawItem(
                platform="facebook", external_id="1", text="bọn parky cút về quê",
                published_at=datetime(2026, 11, 10, tzinfo=UTC))])
        case_id = session.scalars(select(Case.id)).one()
        transition_case(session, case_id=case_id, transition="start_review", actor=user)
        record_decision(session, case_id=case_id, actor=user, taxonomy=analysis.taxonomy, category="HATE_DISCRIM",
                        legal_basis="decision-874-2021|Điều 4", action="request_takedown",
                        facts="Bài viết kỳ thị.", note="Kỳ thị vùng miền.")
        transition_case(session, case_id=case_id, transition="resolve", actor=user)
    anchor_file = tmp_path / "audit-anchors.jsonl"
    with unit_of_work(factory) as session:
        anchor = anchors.take_anchor(session)
    assert anchor is not None
    anchors.append_to_file(anchor_file, anchor)
    with factory() as session:
        assert verify_trail(session, anchor_file=anchor_file).ok
        assert verify_case_history(session, case_id=case_id).ok
    with engine.begin() as conn:  # the attacker lifts the database's own protection first
        for table in APPEND_ONLY:
            if engine.dialect.name == "sqlite":
                conn.execute(text(f"DROP TRIGGER {table}_no_update"))
                conn.execute(text(f"DROP TRIGGER {table}_no_delete"))
            else:
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    yield Trail(engine, factory, case_id, anchor_file)
    engine.dispose()


def _rechain_with_the_products_own_hash(t: Trail) -> None:
    """Recompute every digest of the case the way the code does, minus the key it does not have."""
    with t.factory() as session:
        events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == t.case_id).order_by(CaseEvent.seq)).all()
        rows = [(e.id, {name: getattr(e, name) for name in CASE_EVENT_FIELDS}) for e in events]
    prev = "0" * 64
    for event_id, fields in rows:
        digest = hashlib.sha256((prev + canonical(fields)).encode()).hexdigest()
        t.sql("UPDATE case_events SET prev_hash = :prev, hash = :hash, hash_version = 1 WHERE id = :id",
              prev=prev, hash=digest, id=event_id)
        prev = digest


def test_an_edited_decision_with_the_chain_recomputed_shows(trail: Trail) -> None:
    trail.sql("UPDATE case_events SET note = 'Không vi phạm.' WHERE case_id = :c AND kind = 'decision'",
              c=trail.case_id)
    trail.sql("UPDATE decisions SET note = 'Không vi phạm.' WHERE case_id = :c", c=trail.case_id)
    _rechain_with_the_products_own_hash(trail)
    on_page, in_trail = trail.check()
    assert on_page is not None and "event" in on_page
    assert f"case {trail.case_id}" in in_trail


def test_a_deleted_decision_event_with_the_rest_renumbered_shows(trail: Trail) -> None:
    with trail.factory() as session:
        event = session.scalars(select(CaseEvent).where(CaseEvent.case_id == trail.case_id,
                                                        CaseEvent.kind == "decision")).one()
    trail.sql("DELETE FROM case_events WHERE id = :id", id=event.id)
    trail.sql("UPDATE case_events SET seq = seq - 1 WHERE case_id = :c AND seq > :s", c=trail.case_id, s=event.seq)
    _rechain_with_the_products_own_hash(trail)
    on_page, in_trail = trail.check()
    assert on_page is not None and "event" in in_trail


def test_the_last_three_events_cut_off_show(trail: Trail) -> None:
    with trail.factory() as session:
        last = session.scalar(select(CaseEvent.seq).where(CaseEvent.case_id == trail.case_id)
                              .order_by(CaseEvent.seq.desc()).limit(1))
    assert last is not None
    trail.sql("DELETE FROM case_events WHERE case_id = :c AND seq > :s", c=trail.case_id, s=last - 3)
    on_page, in_trail = trail.check()
    assert on_page == in_trail.split(", ", 1)[1] == (f"event {last - 2}: events {last - 2} to {last} were sealed by "
                                                     "an anchor and are gone")


def test_every_event_of_a_case_deleted_shows(trail: Trail) -> None:
    trail.sql("DELETE FROM case_events WHERE case_id = :c", c=trail.case_id)
    on_page, in_trail = trail.check()
    assert on_page is not None and "sealed by an anchor and are gone" in on_page
    assert f"case {trail.case_id}" in in_trail


def test_a_deleted_decision_row_shows(trail: Trail) -> None:
    trail.sql("DELETE FROM decisions WHERE case_id = :c", c=trail.case_id)
    on_page, in_trail = trail.check()
    assert on_page is not None and "the decision is gone" in on_page and "the decision is gone" in in_trail


def test_an_event_forged_at_the_end_shows(trail: Trail) -> None:
    with trail.factory() as session:
        head = session.scalars(select(CaseEvent).where(CaseEvent.case_id == trail.case_id)
                               .order_by(CaseEvent.seq.desc()).limit(1)).one()
    trail.sql("INSERT INTO case_events (case_id, seq, actor_id, kind, before, after, note, created_at, prev_hash, "
              "hash, hash_version) VALUES (:c, :s, NULL, 'transition', NULL, :after, NULL, :at, :prev, :hash, 2)",
              c=trail.case_id, s=head.seq + 1, after=json.dumps({"status": "closed"}), at=datetime.now(UTC),
              prev=head.hash, hash="f" * 64)
    on_page, _in_trail = trail.check()
    assert on_page is not None and "does not match its signature" in on_page


def test_edited_evidence_text_shows_even_with_its_digest_recomputed(trail: Trail) -> None:
    """The capture the case rests on is rewritten, and its SHA-256 column with it (the digest is public)."""
    with trail.factory() as session:
        [capture] = session.scalars(select(Capture).options(undefer(Capture.meta))).all()
        forged = replace_text(capture, "Bài viết bình thường, không có gì vi phạm.")
    trail.sql("UPDATE captures SET text = :text WHERE id = :id", text=forged["text"], id=capture.id)
    on_page, in_trail = trail.check()
    assert on_page == f"capture 1 of item {capture.item_id}: its content is not what was captured"
    assert in_trail == f"case {trail.case_id}, {on_page}"
    trail.sql("UPDATE captures SET sha256 = :digest WHERE id = :id", digest=forged["sha256"], id=capture.id)
    on_page, in_trail = trail.check()
    assert on_page == f"capture 1 of item {capture.item_id}: its content is not what was captured"


def test_edited_evidence_metadata_shows(trail: Trail) -> None:
    trail.sql("UPDATE captures SET captured_at = :at", at=datetime(2026, 1, 1, tzinfo=UTC))
    on_page, _in_trail = trail.check()
    assert on_page is not None and "its content is not what was captured" in on_page


def replace_text(capture: Capture, text: str) -> dict[str, str]:
    document = {**capture.document(), "text": text}
    return {"text": text, "sha256": capture_digest(document)}


def test_a_deleted_anchor_shows(trail: Trail) -> None:
    trail.sql("DELETE FROM audit_anchor_heads")
    trail.sql("DELETE FROM audit_anchors")
    _on_page, in_trail = trail.check()
    assert "the anchor file has it; the database not" in in_trail


def test_history_written_before_the_key_is_accepted_once_sealed(live_database_url: str) -> None:
    """Events of an upgraded database (plain SHA-256) verify once the upgrade's anchor sealed them."""
    engine = make_engine(live_database_url)
    factory = make_session_factory(engine, audit_key=AUDIT_TEST_KEY)
    with unit_of_work(factory) as session:
        source = get_or_create_source(session, name="old", kind="jsonl_export")
        session.execute(text("INSERT INTO items (source_id, natural_key, platform, external_id, kind, text, "
                             "fetched_at, reactions, shares, comments, author_followers, content_hash) VALUES "
                             "(:s, 'facebook:old', 'facebook', 'old', 'post', 'x', :at, 0, 0, 0, 0, 'h')"),
                        {"s": source.id, "at": datetime.now(UTC)})
        item_id = session.scalar(text("SELECT id FROM items"))
        session.execute(text("INSERT INTO cases (item_id, category, severity, priority, status, route, escalated, "
                             "trace, opened_at, due_at, updated_at, version) VALUES (:i, 'SPAM_ADS', 'low', 1, 'new', "
                             "'analysts', false, '[]', :at, :at, :at, 1)"), {"i": item_id, "at": datetime.now(UTC)})
        case_id = session.scalar(text("SELECT id FROM cases"))
    fields = {"case_id": case_id, "seq": 1, "actor_id": None, "kind": "opened", "before": None, "after": {"x": 1},
              "note": None, "created_at": datetime(2026, 11, 1, tzinfo=UTC)}
    legacy = hashlib.sha256(("0" * 64 + canonical(fields)).encode()).hexdigest()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO case_events (case_id, seq, kind, after, created_at, prev_hash, hash, "
                          "hash_version) VALUES (:c, 1, 'opened', :after, :at, :prev, :hash, 1)"),
                     {"c": case_id, "after": json.dumps({"x": 1}), "at": fields["created_at"], "prev": "0" * 64,
                      "hash": legacy})
    with factory() as session:
        assert not verify_case_history(session, case_id=case_id).ok  # not sealed yet: could be forged
    with unit_of_work(factory) as session:
        anchors.take_anchor(session)
    with factory() as session:
        assert verify_case_history(session, case_id=case_id).ok
    engine.dispose()
