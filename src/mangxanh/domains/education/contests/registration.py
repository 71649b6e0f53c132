"""Registering for a contest, as Vietnamese contests do it: name, date of birth, school or unit from
the contest's list (its district comes with it), class for a class contest, and a phone number.

One registration per phone number and contest; what was registered is locked (there is no way
to change it: a new number would be a new participant, and the number is already used). When an
SMS gateway is configured, the number must be confirmed with the code sent to it before any
round can be started.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mangxanh.domains.education.contests.models import Contest, ContestRound, ContestUnit, Participant
from mangxanh.errors import Conflict, Forbidden, InvalidInput

MAX_NAME = 120
MAX_SMS_TRIES = 5
_MOBILE = re.compile(r"0[35789]\d{8}")
_NAME = re.compile(r"[^\W\d_]+(?:[ '.-][^\W\d_]+)*")


@dataclass(frozen=True, slots=True)
class ParticipantKeys:
    """Keyed digests: a phone number counted once per contest, and never readable back."""

    secret: str

    def phone(self, contest_id: int, phone: str) -> str:
        message = f"contest-phone:{contest_id}:{phone}".encode()
        return hmac.new(self.secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Registration:
    full_name: str
    birth_date: str
    unit_id: str
    phone: str
    class_name: str = ""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_phone(value: str) -> str:
    """A Vietnamese mobile number as ten digits (0…), from what people type (+84, spaces, dots)."""
    digits = re.sub(r"[\s.\-()]", "", value.strip())
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not _MOBILE.fullmatch(digits):
        raise InvalidInput("Enter a Vietnamese mobile number of ten digits, such as 0912 345 678.")
    return digits


def parse_birth_date(value: str, *, today: date) -> date:
    value = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            born = date.fromisoformat(value)
        else:
            day, month, year = (int(x) for x in re.split(r"[/.-]", value))
            born = date(year, month, day)
    except ValueError:
        raise InvalidInput("Enter the date of birth as day/month/year, such as 05/09/2010.") from None
    if not date(today.year - 100, 1, 1) <= born <= date(today.year - 5, today.month, min(today.day, 28)):
        raise InvalidInput("This date of birth is not possible for a participant.")
    return born


def registration_open(session: Session, *, contest: Contest, now: datetime) -> bool:
    last = session.scalars(select(ContestRound.closes_at).where(ContestRound.contest_id == contest.id)
                           .order_by(ContestRound.closes_at.desc())).first()
    return last is not None and now < last


def register(session: Session, *, contest: Contest, form: Registration, keys: ParticipantKeys, now: datetime,
             needs_sms: bool) -> tuple[Participant, str, str | None]:
    """The participant, the secret their browser keeps, and the SMS code to send (None without a gateway).

    The caller sends the code after the commit.
    """
    if not registration_open(session, contest=contest, now=now):
        raise Forbidden("This contest is over: registration has closed.")
    name = " ".join(form.full_name.split())
    if not name or len(name) > MAX_NAME or not _NAME.fullmatch(name):
        raise InvalidInput("Enter your full name in letters (at most {n} characters).", n=MAX_NAME)
    born = parse_birth_date(form.birth_date, today=now.date())
    unit = session.get(ContestUnit, int(form.unit_id)) if form.unit_id.isdigit() else None
    if unit is None or unit.contest_id != contest.id:
        raise InvalidInput("Pick your school or unit from the list.")
    class_name = form.class_name.strip() or None
    if contest.classes and class_name not in contest.classes:
        raise InvalidInput("Pick your class from the list.")
    if not contest.classes:
        class_name = None
    phone = normalise_phone(form.phone)
    phone_digest = keys.phone(contest.id, phone)
    taken = session.scalar(select(Participant.id).where(Participant.contest_id == contest.id,
                                                        Participant.phone_digest == phone_digest))
    if taken is not None:
        raise Conflict("This phone number has already registered for this contest: one attempt per number.")
    token = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(1_000_000):06d}" if needs_sms else None
    participant = Participant(contest_id=contest.id, token_digest=digest(token), full_name=name, birth_date=born,
                              unit_id=unit.id, class_name=class_name, phone_digest=phone_digest,
                              phone_tail=phone[-3:], verified_at=None if needs_sms else now,
                              sms_code_digest=digest(f"{token}:{code}") if code else None, registered_at=now)
    try:
        with session.begin_nested():
            session.add(participant)
    except IntegrityError:
        # Someone registered the same number in the same instant.
        raise Conflict("This phone number has already registered for this contest: one attempt per number.") from None
    return participant, token, code


def participant_by_token(session: Session, *, contest_id: int, token: str | None, for_update: bool = False
                         ) -> Participant | None:
    if not token:
        return None
    query = select(Participant).where(Participant.token_digest == digest(token[:100]),
                                      Participant.contest_id == contest_id)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def confirm_phone(session: Session, *, participant: Participant, token: str, code: str, now: datetime) -> None:
    """Accept the code sent by SMS; after five wrong codes the registration cannot be confirmed."""
    if participant.verified_at is not None:
        return
    if participant.sms_tries >= MAX_SMS_TRIES:
        raise Forbidden("Too many wrong codes: this registration can no longer be confirmed.")
    expected = participant.sms_code_digest or ""
    if not hmac.compare_digest(expected, digest(f"{token}:{code.strip()}")):
        participant.sms_tries += 1
        session.flush()
        raise InvalidInput("This is not the code sent to your phone ({left} tries left).",
                           left=MAX_SMS_TRIES - participant.sms_tries)
    participant.verified_at, participant.sms_code_digest = now, None
    session.flush()
