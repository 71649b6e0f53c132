"""What an official letter says: its letterhead, number, legal bases, the table of items, the request.

The content is built once, when the letter is issued, from the actions it carries and their
cases; it is stored with the letter and rendered to DOCX and PDF (render.py). The issuing body,
the signer, the number's symbol and the recipients of copies are the department's settings
(``MANGXANH_LETTER_…``), never written into the code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mangxanh.config import Settings
from mangxanh.core.taxonomy import Taxonomy
from mangxanh.db import lock
from mangxanh.domains.actions.kinds import Kind
from mangxanh.domains.actions.models import Letter, OutwardAction

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# The legal reference every request of this platform rests on (Decree 147/2024), cited when in force.
REQUEST_BASIS = "decree-147-2024"


@dataclass(frozen=True, slots=True)
class Letterhead:
    """Who issues the letters and how they are numbered and signed (from the settings)."""

    parent_body: str
    issuing_body: str
    agency: str
    symbol: str
    place: str
    signer_title: tuple[str, ...]
    signer_name: str
    contact: str
    copies: tuple[str, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> Letterhead:
        def lines(value: str) -> tuple[str, ...]:
            return tuple(part.strip() for part in value.split("|") if part.strip())

        return cls(
            parent_body=settings.letter_parent_body,
            issuing_body=settings.letter_issuing_body or settings.agency_name,
            agency=settings.agency_name, symbol=settings.letter_symbol, place=settings.letter_place,
            signer_title=lines(settings.letter_signer_title), signer_name=settings.letter_signer_name,
            contact=settings.letter_contact, copies=lines(settings.letter_copies))

    @property
    def filing_unit(self) -> str:
        """The drafting unit of the symbol ("TTĐT" of "SKHCN-TTĐT"), for "Lưu: VT, TTĐT."."""
        return self.symbol.rsplit("-", 1)[-1]


@dataclass(frozen=True, slots=True)
class LetterRow:
    url: str
    account: str
    posted: str
    captured: str
    violation: str


@dataclass(frozen=True, slots=True)
class LetterContent:
    number: str
    place_date: str
    parent_body: str
    issuing_body: str
    subject: str
    recipient: str
    bases: tuple[str, ...]
    intro: str
    rows: tuple[LetterRow, ...]
    request: str
    report_back: str
    contact: str
    signer_title: tuple[str, ...]
    signer_name: str
    copies: tuple[str, ...] = field(default_factory=tuple)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LetterContent:
        return cls(**{**data, "bases": tuple(data["bases"]), "rows": tuple(LetterRow(**r) for r in data["rows"]),
                      "signer_title": tuple(data["signer_title"]), "copies": tuple(data["copies"])})


def place_and_date(place: str, day: date) -> str:
    """ "Hà Nội, ngày 05 tháng 02 năm 2025": a leading zero for days under 10 and for January and February."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def _local(moment: datetime | None) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y") if moment else "—"


def next_number(session: Session, *, year: int, symbol: str) -> tuple[int, str]:
    """The next letter number of ``year`` ("07/SKHCN-TTĐT"); numbers restart at 01 each year."""
    lock(session, f"letters:{year}")
    last = session.scalar(select(func.max(Letter.seq)).where(Letter.year == year)) or 0
    return last + 1, f"{last + 1:02d}/{symbol}"


def build_content(
    *, actions: Sequence[OutwardAction], kind: Kind, letterhead: Letterhead, taxonomy: Taxonomy, number: str,
    issued_on: date, contact: str,
) -> LetterContent:
    """The letter for ``actions`` (one kind, one recipient), numbered and dated."""
    assert kind.subject is not None
    bases: list[str] = []
    reference = taxonomy.references.get(REQUEST_BASIS)
    if reference is not None and reference.in_force_on(issued_on):
        bases.append(f"Căn cứ {reference.title_vi};")
    rows: list[LetterRow] = []
    for action in actions:
        case = action.case
        item = case.item
        decision = case.decisions[-1] if case.decisions else None
        category = taxonomy.categories.get(decision.category if decision else case.category)
        label = category.name_vi if category else case.category
        if decision is not None and category is not None:
            cited = next((b for b in category.legal_bases if b.key == decision.legal_basis), None)
            if cited is not None:
                label = f"{label} ({cited.label('vi')})"
                line = f"Căn cứ {cited.label('vi')};"
                if line not in bases:
                    bases.append(line)
        account = " ".join(part for part in (item.author or "", f"@{item.author_handle}" if item.author_handle
                                             else "") if part) or "—"
        rows.append(LetterRow(url=item.url or "—", account=account, posted=_local(item.published_at),
                              captured=_local(item.fetched_at), violation=label))
    if bases:
        bases[-1] = bases[-1][:-1] + "."
    recipient = actions[0].recipient
    deadline = actions[0].deadline_hours
    return LetterContent(
        number=f"Số: {number}", place_date=place_and_date(letterhead.place, issued_on),
        parent_body=letterhead.parent_body, issuing_body=letterhead.issuing_body, subject=kind.subject,
        recipient=recipient, bases=tuple(bases),
        intro=(f"Qua công tác theo dõi, rà soát thông tin trên mạng, {letterhead.agency} phát hiện "
               f"{len(rows)} nội dung có dấu hiệu vi phạm pháp luật, cụ thể như sau:"),
        rows=tuple(rows),
        request=(f"{letterhead.agency} đề nghị {recipient} {kind.request} chậm nhất {deadline} giờ kể từ khi "
                 "nhận được văn bản này."),
        report_back=f"Đề nghị {recipient} thông báo kết quả thực hiện về {letterhead.agency}.",
        contact=f"Thông tin liên hệ: {contact}." if contact else "",
        signer_title=letterhead.signer_title, signer_name=letterhead.signer_name,
        copies=("Như trên;", *(f"{line};" for line in letterhead.copies), f"Lưu: VT, {letterhead.filing_unit}."),
    )
