"""Evidence packages: what a case rests on, signed; any change to any byte of it is found offline."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from tests.conftest import AUDIT_TEST_KEY, LETTERHEAD

from mangxanh.core.evidence import sha256_hex
from mangxanh.core.evidence_package import (
    MANIFEST,
    SIGNATURE,
    fingerprint,
    load_public_key,
    public_pem,
    signing_key,
    verify_package,
)
from mangxanh.core.items import RawItem
from mangxanh.core.taxonomy import Taxonomy
from mangxanh.domains.accounts.models import Role, User
from mangxanh.domains.accounts.permissions import PermissionRefused
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.actions import service as actions
from mangxanh.domains.audit.models import AuditEvent
from mangxanh.domains.cases import service as cases
from mangxanh.domains.cases.models import Case
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.evidence.package import Package, build_package, record_export
from mangxanh.domains.sources.service import get_or_create_source

KEY = signing_key(b"the department's evidence secret")
OTHER_KEY = signing_key(b"someone else's secret")
ISSUER = "Sở Khoa học và Công nghệ Hà Nội"


def _post(session: Session, analysis: Analysis, text_: str, html: bytes | None = None) -> None:
    ingest(session, source=get_or_create_source(session, name="t", kind="jsonl_export"), analysis=analysis, items=[
        RawItem(platform="facebook", external_id="p1", text=text_, author="Tin Nóng", html=html,
                url="https://www.facebook.com/tin.nong/posts/p1",
                published_at=datetime(2026, 11, 20, 1, 5, tzinfo=UTC))])


@pytest.fixture
def people(session: Session) -> dict[str, User]:
    return {name: create_user(session, username=name, password="mật khẩu đủ dài", display_name=display, role=role)
            for name, display, role in (("ha", "Nguyễn Thu Hà", Role.ANALYST.value),
                                        ("duc", "Trần Minh Đức", Role.SUPERVISOR.value),
                                        ("xem", "Phạm Xem", Role.VIEWER.value))}


@pytest.fixture
def sent_case(session: Session, analysis: Analysis, taxonomy: Taxonomy, people: dict[str, User]) -> Case:
    """A case on an item edited once (two captures, the first with its page), decided, its letter sent."""
    _post(session, analysis, "bọn parky cút về quê", html=b"<html><body><p>b\xe1\xbb\x8dn parky</p></body></html>")
    _post(session, analysis, "bọn parky cút về quê đi, đồ nhà quê")
    case = session.scalars(select(Case).order_by(Case.id.desc())).one()
    cases.record_decision(session, case_id=case.id, actor=people["ha"], taxonomy=taxonomy, category="HATE_DISCRIM",
                          legal_basis="decision-874-2021|Điều 4", action="request_takedown",
                          facts="Bài viết kỳ thị.", note="Kỳ thị vùng miền.")
    action = actions.draft_action(session, user=people["ha"], case_id=case.id, kind="request_takedown",
                                  taxonomy=taxonomy)
    actions.approve(session, user=people["duc"], action_id=action.id)
    actions.issue_letter(session, user=people["duc"], action_ids=[action.id], taxonomy=taxonomy,
                         letterhead=LETTERHEAD, now=datetime(2026, 12, 5, 2, 0, tzinfo=UTC))
    return case


def _package(session: Session, case: Case, user: User) -> Package:
    return build_package(session, user=user, case_id=case.id, key=KEY, issuer=ISSUER)


def _files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def test_a_package_holds_what_the_case_rests_on_and_verifies(
    session: Session, sent_case: Case, people: dict[str, User],
) -> None:
    package = _package(session, sent_case, people["ha"])
    files = _files(package.data)
    assert {"case.json", "decisions.json", "actions.json", "history.json", "public-key.pem", "README.txt",
            MANIFEST, SIGNATURE} <= set(files)
    item = sent_case.item_id
    assert {f"captures/item-{item}-capture-1.json", f"captures/item-{item}-capture-1.txt",
            f"captures/item-{item}-capture-1.html", f"captures/item-{item}-capture-2.json",
            f"captures/item-{item}-capture-2.txt"} <= set(files)
    assert f"captures/item-{item}-capture-2.html" not in files  # the edit came without a page
    assert sorted(name for name in files if name.startswith("letters/")) == [
        "letters/cong-van-2026-001.docx", "letters/cong-van-2026-001.pdf"]
    assert files["letters/cong-van-2026-001.pdf"].startswith(b"%PDF")
    assert files[f"captures/item-{item}-capture-2.txt"].decode() == "bọn parky cút về quê đi, đồ nhà quê"
    decisions = json.loads(files["decisions.json"])
    assert decisions[0]["legal_basis"] == "decision-874-2021|Điều 4" and decisions[0]["decided_by"]["username"] == "ha"
    assert (decisions[0]["facts"], decisions[0]["version"]) == ("Bài viết kỳ thị.", 1)
    readme = files["README.txt"].decode()
    assert f"GÓI CHỨNG CỨ HỒ SƠ SỐ {sent_case.id}" in readme and fingerprint(KEY.public_key()) in readme

    for report in (verify_package(package.data),
                   verify_package(package.data, expected_key=KEY.public_key(), audit_key=AUDIT_TEST_KEY)):
        assert report.ok, report.describe()
        assert report.facts["case_id"] == sent_case.id and report.facts["captures"] == 2
        assert report.facts["letters"] == 1 and report.facts["events"] >= 6
    assert verify_package(package.data, audit_key=AUDIT_TEST_KEY).facts["digests_recomputed"] is True


def test_every_byte_of_every_file_is_covered(session: Session, sent_case: Case, people: dict[str, User]) -> None:
    files = _files(_package(session, sent_case, people["ha"]).data)
    for name, body in files.items():
        for position in {0, len(body) // 2, len(body) - 1}:
            changed = bytearray(body)
            changed[position] ^= 0x01
            report = verify_package(_zip(files | {name: bytes(changed)}))
            assert not report.ok, (name, position)
    missing = dict(files)
    del missing["decisions.json"]
    assert verify_package(_zip(missing)).describe() == [
        "decisions.json is listed in the manifest but missing from the package."]
    extra = verify_package(_zip(files | {"captures/added.txt": b"planted"}))
    assert extra.describe() == ["captures/added.txt is in the package but not in the manifest."]


def test_a_package_signed_by_another_key_is_refused_when_the_key_is_given(
    session: Session, sent_case: Case, people: dict[str, User],
) -> None:
    files = _files(_package(session, sent_case, people["ha"]).data)
    manifest = json.loads(files[MANIFEST])
    # Whoever rewrites the package (here: drops the last event) can sign it again only with a key of their own.
    history = json.loads(files["history.json"])
    history["events"].pop()
    forged_history = json.dumps(history).encode()
    for entry in manifest["files"]:
        if entry["path"] == "history.json":
            entry |= {"sha256": sha256_hex(forged_history), "bytes": len(forged_history)}
    manifest["signing_key"]["public_key"] = OTHER_KEY.public_key().public_bytes_raw().hex()
    forged_manifest = json.dumps(manifest).encode()
    forged = _zip(files | {"history.json": forged_history, MANIFEST: forged_manifest,
                           SIGNATURE: OTHER_KEY.sign(forged_manifest)})
    refused = verify_package(forged, expected_key=KEY.public_key())
    assert refused.describe() == [f"It is signed with key {fingerprint(OTHER_KEY.public_key())}, not with the "
                                  f"expected key {fingerprint(KEY.public_key())}."]
    # Without the expected key the signature holds, but the history no longer ends at the head stated.
    assert verify_package(forged).describe() == ["History: it does not end at the head the manifest states."]
    assert not verify_package(b"not a zip").ok


def test_a_capture_changed_in_the_database_makes_a_package_that_does_not_verify(
    session: Session, sent_case: Case, people: dict[str, User],
) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE captures DISABLE TRIGGER USER"))
    else:
        session.execute(text("DROP TRIGGER IF EXISTS captures_no_update"))
    session.execute(text("UPDATE captures SET text = 'nội dung vô hại' WHERE seq = 1"))
    problems = verify_package(_package(session, sent_case, people["ha"]).data).describe()
    assert any("is not what event" in p and "capture-1.json" in p for p in problems), problems
    assert any("does not hash to the digest written when it was captured" in p for p in problems), problems


def test_only_those_allowed_export_and_each_export_is_logged(
    session: Session, sent_case: Case, people: dict[str, User],
) -> None:
    with pytest.raises(PermissionRefused):
        _package(session, sent_case, people["xem"])
    package = _package(session, sent_case, people["duc"])
    record_export(session, user=people["duc"], package=package, address="10.0.0.5")
    logged = session.scalars(select(AuditEvent).where(AuditEvent.kind == "evidence_exported")).one()
    assert (logged.case_id, logged.actor_id, logged.data["sha256"]) == (sent_case.id, people["duc"].id, package.sha256)


def test_common_tools_check_the_signature(session: Session, sent_case: Case, people: dict[str, User],
                                          tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    files = _files(_package(session, sent_case, people["ha"]).data)
    for name in ("public-key.pem", MANIFEST, SIGNATURE):
        (tmp_path / name).write_bytes(files[name])
    command = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "public-key.pem", "-rawin", "-in", MANIFEST,
               "-sigfile", SIGNATURE]
    assert subprocess.run(command, cwd=tmp_path, capture_output=True, check=False).returncode == 0
    (tmp_path / MANIFEST).write_bytes(files[MANIFEST].replace(b'"format"', b'"formaT"'))
    assert subprocess.run(command, cwd=tmp_path, capture_output=True, check=False).returncode != 0
    assert load_public_key(files["public-key.pem"]).public_bytes_raw() == KEY.public_key().public_bytes_raw()
    assert load_public_key(public_pem(KEY.public_key())).public_bytes_raw() == KEY.public_key().public_bytes_raw()


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                        max_size=3), max_leaves=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["case", "history", "files", "captures", "letters", "signing_key", "format"]),
       value=json_values, target=st.sampled_from(["manifest", "history"]))
def test_a_package_rewritten_by_its_own_signer_never_crashes_the_check(
    field: str, value: object, target: str,
) -> None:
    """Whatever the signer puts in the manifest or history, the check answers with problems, never an exception."""
    files = {"history.json": json.dumps({"case_id": 1, "events": [{"seq": 1, "after": {}}]}).encode()}
    manifest = {"format": "mangxanh-evidence/1", "case": {"id": 1}, "history": {"events": 1, "head": None},
                "signing_key": {"public_key": KEY.public_key().public_bytes_raw().hex()}, "captures": [], "letters": [],
                "files": [{"path": "history.json", "sha256": sha256_hex(files["history.json"]),
                           "bytes": len(files["history.json"])}]}
    if target == "manifest":
        manifest[field] = value
    else:
        history = {"case_id": 1, "events": [{"seq": 1, "after": value, "kind": "action_sent"}], field: value}
        files["history.json"] = json.dumps(history).encode()
        manifest["files"] = [{"path": "history.json", "sha256": sha256_hex(files["history.json"]),
                              "bytes": len(files["history.json"])}]
    body = json.dumps(manifest).encode()
    report = verify_package(_zip(files | {MANIFEST: body, SIGNATURE: KEY.sign(body)}), audit_key=b"k")
    assert all(isinstance(problem, str) for problem in report.describe())
