"""The rules console: a trial changes nothing, a broken text is refused, a good one is saved."""

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.domains.rulebook.models import RulesVersion
from tests.web.conftest import csrf_from, log_in
from tests.web.test_sources_console import admin  # noqa: F401 - fixture

BUMP_HATE = """version: "web-1"
rules:
  - id: hate-first
    description: Kỳ thị lên đầu hàng đợi
    when: {finding: {category: HATE_DISCRIM}}
    then: {priority: 95}
"""


def _versions(factory: sessionmaker[Session]) -> list[RulesVersion]:
    with factory() as s:
        return list(s.scalars(select(RulesVersion)))


def test_trial_then_save_and_a_broken_text_changes_nothing(
    client: TestClient, admin: int, hate_case: int, session_factory: sessionmaker[Session],  # noqa: F811
) -> None:
    log_in(client, "quantri")
    page = client.get("/rules")
    assert page.status_code == 200 and "child-abuse-first" in page.text
    token = csrf_from(page.text)
    trial = client.post("/rules", data={"text": BUMP_HATE, "action": "try", "csrf_token": token})
    assert trial.status_code == 200
    assert "facebook:x1" in trial.text and "95" in trial.text
    assert _versions(session_factory) == []
    broken = client.post("/rules", data={"text": BUMP_HATE.replace("HATE_DISCRIM", "<b>NOPE</b>"),
                                         "action": "save", "csrf_token": token})
    assert broken.status_code == 422
    assert "rules:3:" in broken.text and "&lt;b&gt;NOPE&lt;/b&gt;" in broken.text
    assert _versions(session_factory) == []
    saved = client.post("/rules", data={"text": BUMP_HATE, "action": "save", "note": "thử", "csrf_token": token})
    assert saved.status_code == 303
    assert [v.text for v in _versions(session_factory)] == [BUMP_HATE]
    assert "hate-first" in client.get("/rules").text


def test_an_analyst_reads_the_rules_but_cannot_save(
    client: TestClient, staff: int, session_factory: sessionmaker[Session],
) -> None:
    log_in(client)
    page = client.get("/rules")
    assert "readonly" in page.text and "team:weekly-sweep" in page.text
    answer = client.post("/rules", data={"text": BUMP_HATE, "action": "save", "csrf_token": csrf_from(page.text)})
    assert answer.status_code == 403
    assert _versions(session_factory) == []
