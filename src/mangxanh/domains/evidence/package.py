"""Building a case's evidence package: everything a decision rests on, in one signed ZIP.

What it holds and how it is checked is described in core.evidence_package (the checker needs no
database) and in the Vietnamese README.txt inside each package. The package is built from the
database as it stands, in one read; the history's digests are copied as they were written, so a
package of a case whose history was tampered with does not verify.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, undefer

from mangxanh.core.evidence import document_bytes, sha256_hex
from mangxanh.core.evidence_package import (
    HISTORY,
    MANIFEST,
    PACKAGE_FORMAT,
    SIGNATURE,
    fingerprint,
    public_bytes,
    public_pem,
)
from mangxanh.db import utcnow
from mangxanh.domains.accounts.models import User
from mangxanh.domains.accounts.permissions import Action
from mangxanh.domains.actions.letters import LOCAL_TZ
from mangxanh.domains.actions.models import Letter, OutwardAction
from mangxanh.domains.audit.chain import key_id, session_key
from mangxanh.domains.audit.models import AuditKind
from mangxanh.domains.audit.service import access_stream, history, record_audit
from mangxanh.domains.cases.models import Case
from mangxanh.domains.cases.work import access_case
from mangxanh.domains.evidence.captures import bound, captures_of
from mangxanh.domains.evidence.models import Capture


@dataclass(frozen=True, slots=True)
class Package:
    case_id: int
    data: bytes
    files: int

    @property
    def sha256(self) -> str:
        return sha256_hex(self.data)

    @property
    def filename(self) -> str:
        return package_name(self.case_id)


def package_name(case_id: int) -> str:
    return f"ho-so-{case_id}-chung-cu.zip"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")


def _case_record(case: Case) -> dict[str, Any]:
    item = case.item
    return {
        "id": case.id, "category": case.category, "severity": case.severity, "status": case.status,
        "route": case.route, "district": case.district, "escalated": case.escalated,
        "opened_at": _iso(case.opened_at), "due_at": _iso(case.due_at), "closed_at": _iso(case.closed_at),
        "item": {"id": item.id, "platform": item.platform, "external_id": item.external_id, "kind": item.kind,
                 "url": item.url, "author": item.author, "author_handle": item.author_handle,
                 "published_at": _iso(item.published_at), "fetched_at": _iso(item.fetched_at)},
        "findings": [{"detector": f.detector, "detector_version": f.detector_version, "category": f.category,
                      "score": f.score, "spans": f.spans, "explanation": f.explanation,
                      "explanation_params": f.explanation_params, "capture_id": f.capture_id,
                      "created_at": _iso(f.created_at)} for f in case.findings],
    }


def _person(user: User | None) -> dict[str, Any] | None:
    return {"id": user.id, "username": user.username, "name": user.display_name} if user else None


def _decisions(case: Case) -> list[dict[str, Any]]:
    return [{"id": d.id, "category": d.category, **d.recorded(), "ground": d.note, "decided_by": _person(d.decided_by),
             "created_at": _iso(d.created_at), "capture_id": d.capture_id} for d in case.decisions]


def _actions(actions: list[OutwardAction]) -> list[dict[str, Any]]:
    return [{"id": a.id, "kind": a.kind, "state": a.state, "recipient": a.recipient,
             "deadline_hours": a.deadline_hours, "note": a.note, "details": a.details,
             "drafted_by": _person(a.drafted_by), "drafted_at": _iso(a.drafted_at),
             "approved_by": _person(a.approved_by), "approved_at": _iso(a.approved_at), "sent_at": _iso(a.sent_at),
             "due_at": _iso(a.due_at), "answered_at": _iso(a.answered_at), "answer": a.answer,
             "letter_id": a.letter_id} for a in actions]


def _history(session: Session, case_id: int) -> tuple[dict[str, Any], set[int], set[int]]:
    """The history as written (digests included), and the captures and letters its events bind."""
    events, captures, letters = [], set(), set()
    for event in history(session, case_id=case_id):
        events.append({"seq": event.seq, "kind": event.kind, "actor_id": event.actor_id,
                       "actor": event.actor.display_name if event.actor else None, "before": event.before,
                       "after": event.after, "note": event.note, "created_at": event.created_at.isoformat(),
                       "prev_hash": event.prev_hash, "hash": event.hash, "hash_version": event.hash_version})
        if binding := bound(event.after):
            captures.add(binding[0])
        if isinstance((event.after or {}).get("letter_id"), int):
            letters.add(event.after["letter_id"])  # type: ignore[index]
    return {"case_id": case_id, "events": events}, captures, letters


class _Writer:
    """The ZIP being written, and the manifest's list of its files."""

    def __init__(self, created_at: datetime) -> None:
        self.buffer = io.BytesIO()
        self.zip = zipfile.ZipFile(self.buffer, "w", compression=zipfile.ZIP_DEFLATED)
        # Every entry dated the package's creation, in the department's local time as ZIP tools show it.
        self.stamp = created_at.astimezone(LOCAL_TZ).timetuple()[:6]
        self.listed: list[dict[str, Any]] = []

    def add(self, path: str, body: bytes, *, listed: bool = True) -> None:
        self.zip.writestr(zipfile.ZipInfo(path, date_time=self.stamp), body, compress_type=zipfile.ZIP_DEFLATED)
        if listed:
            self.listed.append({"path": path, "sha256": sha256_hex(body), "bytes": len(body)})

    def close(self) -> bytes:
        self.zip.close()
        return self.buffer.getvalue()


def _add_captures(writer: _Writer, captures: Mapping[int, Capture]) -> list[dict[str, Any]]:
    entries = []
    for capture in sorted(captures.values(), key=lambda c: (c.item_id, c.seq)):
        stem = f"captures/item-{capture.item_id}-capture-{capture.seq}"
        writer.add(f"{stem}.json", document_bytes(capture.document()))
        writer.add(f"{stem}.txt", capture.text.encode("utf-8"))
        if capture.html is not None:
            writer.add(f"{stem}.html", capture.html)
        entries.append({"id": capture.id, "item_id": capture.item_id, "seq": capture.seq,
                        "captured_at": _iso(capture.captured_at), "sha256": capture.sha256, "file": f"{stem}.json",
                        "text_file": f"{stem}.txt", "html_file": f"{stem}.html" if capture.html is not None else None,
                        "intact": capture.intact()})
    return entries


def _add_letters(writer: _Writer, letters: list[Letter]) -> list[dict[str, Any]]:
    entries = []
    for letter in sorted(letters, key=lambda x: (x.year, x.seq)):
        stem = f"letters/cong-van-{letter.year}-{letter.seq:03d}"
        writer.add(f"{stem}.pdf", letter.pdf)
        writer.add(f"{stem}.docx", letter.docx)
        entries.append({"id": letter.id, "number": letter.number, "recipient": letter.recipient,
                        "issued_at": _iso(letter.issued_at), "pdf": f"{stem}.pdf", "docx": f"{stem}.docx",
                        "pdf_sha256": letter.pdf_sha256, "docx_sha256": letter.docx_sha256})
    return entries


def build_package(session: Session, *, user: User, case_id: int, key: Ed25519PrivateKey, issuer: str,
                  now: datetime | None = None) -> Package:
    """The signed evidence package of a case, once ``user`` may export it (PermissionRefused otherwise)."""
    access_case(session, user=user, case_id=case_id, need=Action.EXPORT_EVIDENCE)
    case = session.scalars(select(Case).where(Case.id == case_id).options(
        selectinload(Case.findings), selectinload(Case.decisions), selectinload(Case.item))
        .execution_options(populate_existing=True)).one()  # as committed, not as this session last saw it
    now = now or utcnow()
    record, bound_captures, bound_letters = _history(session, case_id)
    actions = list(session.scalars(select(OutwardAction).where(OutwardAction.case_id == case_id)
                                   .order_by(OutwardAction.id)))
    item_capture_ids = session.scalars(select(Capture.id).where(Capture.item_id == case.item_id))
    captures = captures_of(session, set(item_capture_ids) | bound_captures, with_files=True)
    letter_ids = bound_letters | {a.letter_id for a in actions if a.letter_id is not None}
    letters = list(session.scalars(select(Letter).where(Letter.id.in_(letter_ids))
                                   .options(undefer(Letter.pdf), undefer(Letter.docx)))) if letter_ids else []

    writer = _Writer(now)
    writer.add("case.json", _json(_case_record(case)))
    writer.add("decisions.json", _json(_decisions(case)))
    writer.add("actions.json", _json(_actions(actions)))
    writer.add(HISTORY, _json(record))
    capture_entries = _add_captures(writer, captures)
    letter_entries = _add_letters(writer, letters)
    public = key.public_key()
    writer.add("public-key.pem", public_pem(public))
    readme = resources.files("mangxanh.domains.evidence").joinpath("templates/README.txt").read_text("utf-8")
    writer.add("README.txt", readme.format(
        case_id=case_id, issuer=issuer, created_at=now.isoformat(timespec="seconds"),
        created_by=f"{user.display_name} ({user.username})", format=PACKAGE_FORMAT, filename=package_name(case_id),
        fingerprint=fingerprint(public)).encode("utf-8"))
    events = record["events"]
    manifest = {
        "format": PACKAGE_FORMAT, "case": {"id": case_id, "item_id": case.item_id}, "issuer": issuer,
        "created_at": now.isoformat(), "created_by": _person(user),
        "signing_key": {"algorithm": "Ed25519", "public_key": public_bytes(public).hex(),
                        "fingerprint": fingerprint(public)},
        "history": {"events": len(events), "head": events[-1]["hash"] if events else None,
                    "audit_key_id": key_id(session_key(session))},
        "files": sorted(writer.listed, key=lambda entry: entry["path"]),
        "captures": capture_entries, "letters": letter_entries,
    }
    manifest_bytes = _json(manifest)
    writer.add(MANIFEST, manifest_bytes, listed=False)
    writer.add(SIGNATURE, key.sign(manifest_bytes), listed=False)
    return Package(case_id=case_id, data=writer.close(), files=len(writer.listed))


def record_export(session: Session, *, user: User, package: Package, address: str | None = None) -> None:
    """Keep the export in the case's access log: who took the package, and which one (its SHA-256)."""
    record_audit(session, kind=AuditKind.EVIDENCE_EXPORTED, stream=access_stream(package.case_id),
                 actor=session.get(User, user.id), case_id=package.case_id, subject=f"case:{package.case_id}",
                 address=address, data={"sha256": package.sha256, "files": package.files})
