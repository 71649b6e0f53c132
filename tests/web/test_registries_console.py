"""The registries console: tried on recent items, refused with line and reason, saved, sought in the past."""

from dataclasses import replace
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.core.analysis.detectors.false_info import FalseInfoDetector
from mangxanh.core.analysis.detectors.impersonation import ImpersonationDetector
from mangxanh.core.analysis.detectors.lexicon import LexiconDetector
from mangxanh.core.analysis.pipeline import Pipeline
from mangxanh.core.items import RawItem
from mangxanh.db import utcnow
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.cases.models import Case
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.outreach.corrections import run_due_scans
from mangxanh.domains.outreach.models import CorrectionScan, RegistryVersion
from mangxanh.domains.outreach.registries import REGISTRIES, shipped_text
from mangxanh.domains.sources.service import get_or_create_source
from tests.domains.test_outreach_corrections import NEW_CORRECTION, RUMOURS
from tests.web.conftest import PASSWORD, csrf_from, log_in


@pytest.fixture
def supervisor(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as s:
        user = create_user(s, username="lan", password=PASSWORD, display_name="Trưởng phòng Lan", role="supervisor")
        s.commit()
        return user.id


@pytest.fixture
def outreach_app(app: FastAPI, analysis: Analysis, session_factory: sessionmaker[Session]) -> FastAPI:
    app.state.analysis = replace(analysis, pipeline=Pipeline([LexiconDetector(), FalseInfoDetector(),
                                                              ImpersonationDetector()]))
    with session_factory() as s:
        source = get_or_create_source(s, name="web-test", kind="jsonl_export")
        ingest(s, source=source, analysis=app.state.analysis, items=[
            RawItem(platform="facebook", external_id=f"r{n}", text=text, published_at=utcnow())
            for n, text in enumerate(RUMOURS)
        ] + [RawItem(platform="facebook", external_id="plain", text="Phố cổ cuối tuần đông vui")])
        s.commit()
    return app


def _with_new_correction() -> str:
    return shipped_text(REGISTRIES["corrections"]).rstrip("\n") + "\n" + NEW_CORRECTION


def _rows(factory: sessionmaker[Session], table: type) -> list:  # type: ignore[type-arg]
    with factory() as s:
        return list(s.scalars(select(table)))


def test_a_correction_is_tried_refused_saved_and_sought_in_the_stored_items(
    client: TestClient, outreach_app: FastAPI, supervisor: int, session_factory: sessionmaker[Session],
) -> None:
    # The test's sessions share one connection, which a scan in the app's own thread would use at the same
    # time as the test: the wake is recorded here and the scan run in this thread, as the thread runs it.
    woken: list[int] = []
    outreach_app.state.correction_scanner = SimpleNamespace(wake=lambda: woken.append(1), join=lambda *_: None)
    log_in(client, "lan")
    assert "/registries/corrections" in client.get("/registries").text
    page = client.get("/registries/corrections")
    assert page.status_code == 200 and "HN-2026-101" in page.text
    token = csrf_from(page.text)
    trial = client.post("/registries/corrections", data={"text": _with_new_correction(), "action": "try",
                                                         "csrf_token": token})
    assert trial.status_code == 200 and trial.text.count('class="trial-change"') == len(RUMOURS)
    assert "Sở Xây dựng Hà Nội: chưa thu phí xe máy vào phố cổ" in trial.text
    hostile = _with_new_correction().replace("id: HN-2026-120", "id: <b>HN</b>").replace(
        "    url: https://soxaydung.hanoi.gov.vn/tin-tuc/chua-thu-phi-xe-may-pho-co\n", "")
    broken = client.post("/registries/corrections", data={"text": hostile, "action": "save", "note": "thử",
                                                          "csrf_token": token})
    assert broken.status_code == 422
    line = next(n for n, text in enumerate(hostile.splitlines(), start=1) if "id: <b>HN</b>" in text)
    assert f"Dòng {line}, &lt;b&gt;HN&lt;/b&gt;: thiếu &#39;url&#39;" in broken.text
    assert _rows(session_factory, RegistryVersion) == [] and _rows(session_factory, Case) == []
    saved = client.post("/registries/corrections", data={"text": _with_new_correction(), "action": "save",
                                                         "note": "Đính chính phí vào phố cổ", "csrf_token": token})
    assert saved.status_code == 303 and woken == [1]
    assert run_due_scans(session_factory, analysis=lambda: outreach_app.state.analysis) == 1
    (scan,) = _rows(session_factory, CorrectionScan)
    assert (scan.status, scan.scanned, scan.matched, scan.cases_opened) == ("done", 4, 3, 3)
    assert {c.category for c in _rows(session_factory, Case)} == {"FALSE_INFO"}
    after = client.get("/registries/corrections")
    assert "đang rà soát các tin bài đã lưu" in after.text and 'class="scan scan-done"' in after.text
    version = _rows(session_factory, RegistryVersion)[0].id
    compare = client.get(f"/registries/corrections/versions/{version}")
    assert compare.status_code == 200 and "HN-2026-120" in compare.text
    restore = client.post("/registries/corrections/versions/0/restore",
                          data={"note": "Quay lại bản gốc", "csrf_token": token})
    assert restore.status_code == 303 and len(_rows(session_factory, RegistryVersion)) == 2


def test_an_analyst_reads_the_registries_but_cannot_save(
    client: TestClient, outreach_app: FastAPI, staff: int, session_factory: sessionmaker[Session],
) -> None:
    log_in(client)
    page = client.get("/registries/agencies")
    assert page.status_code == 200 and "readonly" in page.text and "ubnd-hanoi" in page.text
    answer = client.post("/registries/agencies", data={"text": shipped_text(REGISTRIES["agencies"]) + "\n# x\n",
                                                       "action": "save", "note": "x",
                                                       "csrf_token": csrf_from(page.text)})
    assert answer.status_code == 403 and _rows(session_factory, RegistryVersion) == []
    assert client.get("/registries/nope").status_code == 404
    assert client.get("/registries/agencies/versions/999").status_code == 404
