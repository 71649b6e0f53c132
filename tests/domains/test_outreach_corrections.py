"""A new correction is sought in the items already stored: the screen lets every match through, and the
matches get their finding and their case."""

import unicodedata
from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.core.analysis.detectors.false_info import FalseInfoDetector
from mangxanh.core.analysis.detectors.lexicon import LexiconDetector
from mangxanh.core.analysis.pipeline import Pipeline
from mangxanh.core.analysis.types import Item
from mangxanh.core.items import RawItem
from mangxanh.core.text import loose_fold
from mangxanh.domains.cases.models import Case
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.models import StoredFinding, StoredItem
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.outreach.corrections import run_due_scans, run_scan
from mangxanh.domains.outreach.models import CorrectionScan
from mangxanh.domains.outreach.registries import REGISTRIES, save_registry, shipped_text
from mangxanh.domains.sources.service import get_or_create_source

NEW_CORRECTION = """  - id: HN-2026-120
    claim: Hà Nội thu phí mỗi xe máy 50 nghìn đồng một ngày khi vào phố cổ từ tháng sau
    title: "Sở Xây dựng Hà Nội: chưa thu phí xe máy vào phố cổ"
    body: Sở Xây dựng Hà Nội
    truth: Thành phố chưa có quyết định thu phí phương tiện vào khu phố cổ.
    date: 2026-12-01
    url: https://soxaydung.hanoi.gov.vn/tin-tuc/chua-thu-phi-xe-may-pho-co
    keywords: [[thu phí, phí], [xe máy], [phố cổ, hoàn kiếm]]
"""
RUMOURS = [
    "Từ tháng sau Hà Nội thu phí xe máy vào phố cổ 50 nghìn một ngày, ae chuẩn bị tiền nhé",
    "THU PHI XE MAY VAO PHO CO 50K/NGAY tu thang sau, share gap!!!",
    "nghe bảo sắp thu phíííí xe máyyy vào phố cổ Hoàn Kiếm",
]
PLAIN = [
    "Hôm nay phố cổ đông vui, xe máy chen nhau",
    "Thu phí gửi xe ở Hoàn Kiếm cao quá",
    "Sở Xây dựng khẳng định không có chuyện thu phí xe máy vào phố cổ, tin đồn là sai sự thật",
]


@pytest.fixture
def outreach(analysis: Analysis) -> Analysis:
    return replace(analysis, pipeline=Pipeline([LexiconDetector(), FalseInfoDetector()]))


def _store(session: Session, analysis: Analysis, texts: list[str]) -> None:
    source = get_or_create_source(session, name="t", kind="jsonl_export")
    ingest(session, source=source, analysis=analysis,
           items=[RawItem(platform="facebook", external_id=str(n), text=t) for n, t in enumerate(texts)])


def _add_correction(session: Session) -> CorrectionScan:
    text = shipped_text(REGISTRIES["corrections"]).rstrip("\n") + "\n" + NEW_CORRECTION
    version = save_registry(session, kind=REGISTRIES["corrections"], text=text, author=None, note="Đính chính mới")
    return session.scalars(select(CorrectionScan).where(CorrectionScan.version_id == version.id)).one()


def test_stored_rumours_get_the_new_correction_and_their_cases(session_factory: sessionmaker[Session],
                                                              session: Session, outreach: Analysis) -> None:
    _store(session, outreach, RUMOURS + PLAIN)
    assert session.scalars(select(Case)).all() == []
    scan = _add_correction(session)
    scan_id, version_id = scan.id, scan.version_id
    session.commit()
    outcome = run_scan(session_factory, scan_id=scan_id, analysis=outreach)
    assert outcome is not None and (outcome.scanned, outcome.matched) == (6, 3)
    assert outcome.candidates < 6  # the plain talk of the old quarter is screened out, not judged
    session.expire_all()
    false_info = select(StoredFinding).where(StoredFinding.category == "FALSE_INFO")
    flagged = {f.item.text for f in session.scalars(false_info)}
    assert flagged == set(RUMOURS)
    finding = session.scalars(false_info).first()
    assert finding is not None and finding.explanation_params["id"] == "HN-2026-120"
    # On the text as captured, by the saved version of the registry.
    assert finding.capture_id is not None and finding.detector_version.endswith(f"+r{version_id}")
    cases = session.scalars(select(Case)).all()
    assert {c.item.text for c in cases} == set(RUMOURS) and outcome.cases_opened == 3
    session.refresh(scan)
    assert (scan.status, scan.scanned, scan.matched, scan.cases_opened) == ("done", 6, 3, 3)
    # Taken once: the tick finds nothing left to do, and nothing is filed twice.
    assert run_due_scans(session_factory, analysis=lambda: outreach) == 0
    assert run_scan(session_factory, scan_id=scan_id, analysis=outreach) is None


def test_an_item_stored_after_the_save_is_judged_by_ingestion(session: Session, outreach: Analysis) -> None:
    _add_correction(session)
    _store(session, outreach, RUMOURS[:1])
    item = session.scalars(select(StoredItem)).one()
    assert [f.explanation_params["id"] for f in item.findings if f.category == "FALSE_INFO"] == ["HN-2026-120"]


VARIANTS = [
    lambda t: t, str.upper, str.lower,
    lambda t: unicodedata.normalize("NFD", t),
    lambda t: t.replace("a", "aaa").replace("o", "ooo"),
    lambda t: " ".join(".".join(w) if len(w) <= 4 else w for w in t.split()),
    lambda t: t.replace("Hà Nội", "HN").replace("học sinh", "hs").replace("không", "ko"),
]


def test_the_screen_lets_through_every_text_the_detector_matches() -> None:
    detector = FalseInfoDetector()
    entries = detector.corrections.entries
    screens = {entry.id: detector.screen(entry) for entry in entries}
    texts = [variant(text) for entry in entries for text in (entry.claim, entry.title) for variant in VARIANTS]
    matched = 0
    for text in texts:
        for finding in detector.detect(Item(text=text, platform="facebook")):
            matched += 1
            assert screens[finding.explanation_params["id"]](loose_fold(text)), text
    assert matched > len(entries) * 3
    plain = loose_fold("Chúc cả nhà cuối tuần vui vẻ, đi chơi an toàn nhé")
    assert not any(screen(plain) for screen in screens.values())
