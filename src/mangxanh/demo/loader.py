"""Load the demo content and demo accounts once."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.core.analysis.detectors.false_info import FalseInfoDetector
from mangxanh.db import unit_of_work
from mangxanh.demo.billboards import load_demo_billboards
from mangxanh.demo.contests import load_demo_contests
from mangxanh.demo.outreach import load_demo_outreach
from mangxanh.domains.accounts.models import Role, User
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.content.service import Analysis
from mangxanh.worker.imports import ImportReport, import_jsonl

DEMO_SOURCE = "Nội dung mẫu (demo)"
RUMOUR_FILE = "rumour_items.jsonl"
PARTNER_FILE = "partner_items.jsonl"
DEMO_FILE = "demo_items.jsonl"
LOGINS_FILE = "demo-logins.txt"
DEMO_ACCOUNTS = (
    ("admin", "Quản trị hệ thống", Role.ADMIN),
    ("chuyenvien", "Chuyên viên Nguyễn Thu Hà", Role.ANALYST),
    ("lanhdao", "Lãnh đạo phòng Trần Minh Đức", Role.SUPERVISOR),
    ("giaovien", "Cô giáo Phạm Thị Mai", Role.TEACHER),
    ("giaoduc", "Chuyên viên giáo dục Lê Văn Nam", Role.EDUCATION_OFFICER),
)


@dataclass
class DemoResult:
    report: ImportReport
    logins_file: Path

    @property
    def already_loaded(self) -> bool:
        return self.report.added == 0 and self.report.updated == 0


def demo_file_text() -> bytes:
    return resources.files("mangxanh.demo").joinpath(DEMO_FILE).read_bytes()


def _create_accounts(session: Session, logins: Path) -> None:
    """Demo accounts get random passwords, written to var/ for the person who ran the demo."""
    lines = []
    for username, name, role in DEMO_ACCOUNTS:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            continue
        password = secrets.token_urlsafe(12)
        create_user(session, username=username, password=password, display_name=name, role=role.value)
        lines.append(f"{username}\t{password}\t{role.value}")
    if lines:
        logins.parent.mkdir(parents=True, exist_ok=True)
        with logins.open("a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        logins.chmod(0o600)


def load_demo(factory: sessionmaker[Session], *, analysis: Analysis, var_dir: Path) -> DemoResult:
    """Create the demo accounts and import the demo content; a second run adds nothing."""
    logins = var_dir / LOGINS_FILE
    with unit_of_work(factory) as session:
        _create_accounts(session, logins)
    with unit_of_work(factory) as session:
        load_demo_billboards(session)
    with unit_of_work(factory) as session:
        wanted = select(User).where(User.username.in_(("giaovien", "giaoduc")))
        accounts = {u.username: u for u in session.scalars(wanted)}
        load_demo_contests(session, organiser=accounts["giaoduc"], teacher=accounts["giaovien"])
    # Importing is idempotent, so a run that was interrupted half-way is simply completed.
    # The demo's posts, then a rumour that rises over three days and the official answer to it (the
    # trends page shows it rising, the corrections registry answers it), then the partner pages' posts.
    extra = b"".join(resources.files("mangxanh.demo").joinpath(name).read_bytes()
                     for name in (RUMOUR_FILE, PARTNER_FILE))
    report = import_jsonl(factory, handle=io.BytesIO(demo_file_text() + extra), source_name=DEMO_SOURCE,
                          source_kind="demo", analysis=analysis)
    reader = next((d for d in analysis.pipeline.detectors if isinstance(d, FalseInfoDetector)), None)
    if reader is not None:
        with unit_of_work(factory) as session:
            staff = {u.username: u for u in session.scalars(select(User).where(
                User.username.in_(("chuyenvien", "lanhdao"))))}
            load_demo_outreach(session, analyst=staff["chuyenvien"], supervisor=staff["lanhdao"],
                               corrections=reader.corrections)
    return DemoResult(report, logins)
