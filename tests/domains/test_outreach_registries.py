"""The registries edited in the console: refused with line and reason, versioned, reaching ingestion."""

from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from mangxanh.core.analysis.detectors.false_info import FalseInfoDetector
from mangxanh.core.analysis.detectors.impersonation import ImpersonationDetector
from mangxanh.core.analysis.detectors.lexicon import LexiconDetector
from mangxanh.core.analysis.pipeline import Pipeline
from mangxanh.core.items import RawItem
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.models import StoredItem
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.outreach.models import CorrectionScan, RegistryVersion
from mangxanh.domains.outreach.registries import (
    REGISTRIES,
    apply_registries,
    check_registry,
    registry_in_force,
    save_registry,
    shipped_text,
)
from mangxanh.domains.outreach.trial import trial
from mangxanh.domains.sources.service import get_or_create_source
from mangxanh.errors import InvalidInput
from mangxanh.i18n import current_language
from mangxanh.web.labels import error_message

AGENCIES, CORRECTIONS = REGISTRIES["agencies"], REGISTRIES["corrections"]
FAKE_PAGE = {"author": "UBND Thành phố Hà Nội", "author_handle": "ubnd.hanoi.thongbao"}


@pytest.fixture
def outreach(analysis: Analysis) -> Analysis:
    return replace(analysis, pipeline=Pipeline([LexiconDetector(), FalseInfoDetector(), ImpersonationDetector()]))


def _with_channel(text: str) -> str:
    """The shipped agencies, the city's committee given one more channel."""
    anchor = "    handles: [thudo.gov.vn, ubnd.hanoi.gov.vn]\n"
    assert anchor in text
    return text.replace(anchor, anchor + "    contact: Văn phòng UBND Thành phố, 024 3825 3536\n"
                        "    channels:\n"
                        "      - {platform: facebook, url: 'https://www.facebook.com/ubnd.hanoi.thongbao', "
                        "verified: true}\n", 1)


def _refusal(kind: object, text: str) -> str:
    with pytest.raises(InvalidInput) as caught:
        check_registry(kind, text)  # type: ignore[arg-type]
    return str(caught.value)


def test_broken_texts_are_refused_with_their_line_and_reason_and_nothing_changes(session: Session) -> None:
    text = shipped_text(CORRECTIONS)
    lines = text.splitlines()
    second = next(n for n, line in enumerate(lines, start=1) if "id: HN-2026-102" in line)
    no_url = "\n".join(line for line in lines if "soyte.hanoi.gov.vn/tin-tuc/nuoc-may" not in line)
    message = _refusal(CORRECTIONS, no_url)
    assert f"Line {second}, HN-2026-102: missing 'url'" in message and "unchanged" in message
    insecure = text.replace("https://soyte.hanoi.gov.vn", "http://soyte.hanoi.gov.vn")
    assert f"Line {second}, HN-2026-102: 'url' must be an https address under" in _refusal(CORRECTIONS, insecure)
    assert "Line 3, not valid YAML at column 1" in _refusal(CORRECTIONS, "corrections:\n  - id: [x\n")
    assert "non-empty list of 'corrections'" in _refusal(CORRECTIONS, "version: x\n")
    channel = _with_channel(shipped_text(AGENCIES)).replace("url: 'https://www.facebook.com", "url: 'http://facebook.com")
    first = next(n for n, line in enumerate(channel.splitlines(), start=1) if "id: ubnd-hanoi" in line)
    assert f"Line {first}, ubnd-hanoi · channel 1: 'url' must be an https address" in _refusal(AGENCIES, channel)
    with pytest.raises(InvalidInput):
        save_registry(session, kind=CORRECTIONS, text=no_url, author=None, note="thử")
    with pytest.raises(InvalidInput, match="note is required"):
        save_registry(session, kind=AGENCIES, text=_with_channel(shipped_text(AGENCIES)), author=None)
    with pytest.raises(InvalidInput, match="registry in force"):
        save_registry(session, kind=AGENCIES, text=shipped_text(AGENCIES), author=None, note="không đổi")
    assert session.scalars(select(RegistryVersion)).all() == []
    assert registry_in_force(session, CORRECTIONS) == (0, text)


def test_the_reason_is_said_in_vietnamese(session: Session) -> None:
    lines = shipped_text(CORRECTIONS).splitlines()
    no_url = "\n".join(line for line in lines if "soyte.hanoi.gov.vn/tin-tuc/nuoc-may" not in line)
    with pytest.raises(InvalidInput) as caught:
        check_registry(CORRECTIONS, no_url)
    token = current_language.set("vi")
    try:
        said = error_message(caught.value)
    finally:
        current_language.reset(token)
    line = next(n for n, text in enumerate(lines, start=1) if "id: HN-2026-102" in text)
    assert said == f"Danh mục chưa được lưu; danh mục đang áp dụng giữ nguyên. Dòng {line}, HN-2026-102: thiếu 'url'"


def test_a_saved_version_reaches_ingestion_and_cannot_be_rewritten(session: Session, outreach: Analysis) -> None:
    source = get_or_create_source(session, name="t", kind="jsonl_export")
    notice = "Thông báo của thành phố về việc nhận hỗ trợ cho các hộ gia đình"
    ingest(session, source=source, items=[RawItem(platform="facebook", external_id="1", text=notice, **FAKE_PAGE)],
           analysis=outreach)
    saved = save_registry(session, kind=AGENCIES, text=_with_channel(shipped_text(AGENCIES)), author=None,
                          note="Trang mới của UBND Thành phố")
    ingest(session, source=source, items=[RawItem(platform="facebook", external_id="2", text=notice + ".",
                                                  **FAKE_PAGE)], analysis=outreach)
    categories = {item.external_id: {f.category for f in item.findings}
                  for item in session.scalars(select(StoredItem))}
    assert "IMPERSONATE_GOV" in categories["1"] and "IMPERSONATE_GOV" not in categories["2"]
    detector = next(d for d in outreach.pipeline.detectors if isinstance(d, ImpersonationDetector))
    assert detector.version.endswith(f"+r{saved.id}")
    channel = next(a for a in detector.registry.agencies if a.id == "ubnd-hanoi").channels[0]
    assert (channel.handle, channel.verified) == ("ubnd.hanoi.thongbao", True)
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        saved.note = "sửa lén"
        session.flush()


def test_a_process_goes_back_to_the_shipped_file_when_no_version_is_saved(session: Session,
                                                                         outreach: Analysis) -> None:
    detector = next(d for d in outreach.pipeline.detectors if isinstance(d, ImpersonationDetector))
    save_registry(session, kind=AGENCIES, text=_with_channel(shipped_text(AGENCIES)), author=None, note="thử")
    apply_registries(session, outreach.pipeline)
    assert "+r" in detector.version
    session.rollback()  # the version is gone, as in another database
    apply_registries(session, outreach.pipeline)
    assert "+r" not in detector.version


def test_only_a_corrections_version_that_adds_or_changes_one_queues_a_scan(session: Session) -> None:
    text = shipped_text(CORRECTIONS)
    reworded = text.replace("version: \"2026.11\"", "version: \"2026.12\"")
    save_registry(session, kind=CORRECTIONS, text=reworded, author=None, note="chỉ đổi số phiên bản")
    assert session.scalars(select(CorrectionScan)).all() == []
    changed = reworded.replace("keywords: [[nghỉ học], ", "keywords: [[nghỉ học, cho nghỉ], ")
    version = save_registry(session, kind=CORRECTIONS, text=changed, author=None, note="thêm cách nói")
    scan = session.scalars(select(CorrectionScan)).one()
    assert (scan.version_id, scan.corrections, scan.status) == (version.id, ["HN-2026-103"], "pending")


def test_a_trial_shows_what_the_new_text_would_flag_on_recent_items(session: Session, outreach: Analysis) -> None:
    source = get_or_create_source(session, name="t", kind="jsonl_export")
    notice = "Thông báo của thành phố về việc nhận hỗ trợ cho các hộ gia đình"
    ingest(session, source=source, items=[RawItem(platform="facebook", external_id="1", text=notice, **FAKE_PAGE),
                                          RawItem(platform="facebook", external_id="2", text="Trời hôm nay đẹp")],
           analysis=outreach)
    proposed = check_registry(AGENCIES, _with_channel(shipped_text(AGENCIES)))
    checked, changes = trial(session, kind=AGENCIES, proposed=proposed, pipeline=outreach.pipeline, last=100)
    assert checked == 2 and [(c.natural_key, c.after) for c in changes] == [("facebook:1", None)]
    assert changes[0].before is not None and changes[0].before > 0.9
