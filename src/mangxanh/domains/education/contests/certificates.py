"""Certificates of participation: a PDF per finished attempt, and the public check of its code.

The code (12 characters of Crockford's alphabet, random) is printed on the certificate with the
address of the verification page; anyone holding one can confirm it was issued, to whom (name,
school, district) and with what result, and learns nothing else (no birth date, no phone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib import resources

from jinja2 import Environment
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mangxanh.domains.education.contests.models import (
    Attempt,
    AttemptState,
    Contest,
    ContestRound,
    ContestUnit,
    Participant,
)
from mangxanh.errors import NotFound
from mangxanh.i18n import LOCAL_TZ

_templates = Environment(autoescape=True)


@dataclass(frozen=True, slots=True)
class Certificate:
    code: str
    full_name: str
    unit: str
    district: str
    class_name: str | None
    contest: str
    contest_slug: str
    round_number: int
    rounds: int
    score: int
    total: int
    duration_ms: int
    finished_at: datetime
    timed_out: bool


def certificate(session: Session, *, code: str) -> Certificate:
    """The certificate with this code; NotFound for a code never issued."""
    wanted = code.strip().upper().replace("-", "").replace(" ", "")[:16]
    row = session.execute(
        select(Attempt, Participant, ContestUnit, ContestRound, Contest)
        .join(Participant, Participant.id == Attempt.participant_id)
        .join(ContestUnit, ContestUnit.id == Participant.unit_id)
        .join(ContestRound, ContestRound.id == Attempt.round_id)
        .join(Contest, Contest.id == ContestRound.contest_id)
        .where(Attempt.certificate_code == wanted, Attempt.state != AttemptState.IN_PROGRESS.value)).first()
    if row is None:
        raise NotFound("No certificate has this code.")
    attempt, participant, unit, round_, contest = row
    rounds = session.scalar(select(func.count()).select_from(ContestRound)
                            .where(ContestRound.contest_id == contest.id)) or 1
    assert attempt.finished_at is not None and attempt.certificate_code is not None
    return Certificate(attempt.certificate_code, participant.full_name, unit.name, unit.district,
                       participant.class_name, contest.title, contest.slug, round_.number, rounds, attempt.score or 0,
                       len(attempt.question_ids), attempt.duration_ms or 0, attempt.finished_at,
                       attempt.state == AttemptState.TIMED_OUT.value)


def spoken_duration(ms: int) -> str:
    minutes, seconds = divmod(round(ms / 1000), 60)
    return f"{minutes} phút {seconds:02d} giây" if minutes else f"{seconds} giây"


def render_certificate(cert: Certificate, *, organiser: str, place: str, verify_url: str) -> bytes:
    from weasyprint import HTML  # loads Pango; only where a certificate is made

    local = cert.finished_at.astimezone(LOCAL_TZ)
    source = resources.files("mangxanh.domains.education.contests").joinpath("templates/certificate.html")
    html = _templates.from_string(source.read_text("utf-8")).render(c={
        "code": cert.code, "full_name": cert.full_name, "unit": cert.unit, "district": cert.district,
        "class_name": cert.class_name, "contest": cert.contest, "round_number": cert.round_number,
        "rounds": cert.rounds, "score": cert.score, "total": cert.total, "duration": spoken_duration(cert.duration_ms),
        "organiser": organiser, "place": place, "day": f"{local.day:02d}", "month": f"{local.month:02d}",
        "year": local.year, "verify_url": verify_url})
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
