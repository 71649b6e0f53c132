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
    # The line and the reason in Vietnamese, the poster's text escaped.
    assert "Dòng 3: loại vi phạm «&lt;b&gt;NOPE&lt;/b&gt;» không có trong danh mục" in broken.text
    yaml_error = client.post("/rules", data={"text": "rules: [\n  - id: x\n  when: {", "action": "try",
                                             "csrf_token": token})
    assert "sai cú pháp YAML ở cột" in yaml_error.text and "expected" not in yaml_error.text
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


def test_a_trial_names_fields_in_vietnamese_links_the_case_and_writes_vietnamese_numbers(
    client: TestClient, admin: int, hate_case: int,  # noqa: F811
) -> None:
    log_in(client, "quantri")
    token = csrf_from(client.get("/rules").text)
    trial = client.post("/rules", data={"text": BUMP_HATE.replace("95", "95.5"), "action": "try", "csrf_token": token})
    assert trial.status_code == 200
    section = trial.text[trial.text.index('<section class="trial"'):trial.text.index("</section>")]
    assert f'href="/cases/{hate_case}"' in section and "Mức ưu tiên: " in section and "→ 95,5" in section
    assert "priority:" not in section


def test_versions_need_a_reason_are_never_saved_twice_and_can_be_compared_and_restored(
    client: TestClient, admin: int, session_factory: sessionmaker[Session],  # noqa: F811
) -> None:
    log_in(client, "quantri")
    token = csrf_from(client.get("/rules").text)
    no_reason = client.post("/rules", data={"text": BUMP_HATE, "action": "save", "note": " ", "csrf_token": token})
    assert no_reason.status_code == 422 and "phải có ghi chú" in no_reason.text and _versions(session_factory) == []
    first = client.post("/rules", data={"text": BUMP_HATE, "action": "save", "note": "Kỳ thị lên đầu",
                                        "csrf_token": token})
    assert first.status_code == 303
    same = client.post("/rules", data={"text": BUMP_HATE + "\n", "action": "save", "note": "lần nữa",
                                       "csrf_token": token})
    assert same.status_code == 422 and "trùng với bộ quy tắc đang áp dụng" in same.text
    second = BUMP_HATE.replace("95", "90")
    client.post("/rules", data={"text": second, "action": "save", "note": "Giảm một chút", "csrf_token": token})
    versions = _versions(session_factory)
    assert [v.note for v in versions] == ["Kỳ thị lên đầu", "Giảm một chút"]
    listing = client.get("/rules").text
    row = listing[listing.index('<tr class="rules-version">'):]
    assert "<td>Quản trị</td><td>Giảm một chút</td>" in row and f'href="/rules/versions/{versions[0].id}"' in row
    page = client.get(f"/rules/versions/{versions[0].id}")
    assert page.status_code == 200
    assert '<span class="diff-remove">-    then: {priority: 90}</span>' in page.text
    assert '<span class="diff-add">+    then: {priority: 95}</span>' in page.text
    refused = client.post(f"/rules/versions/{versions[0].id}/restore", data={"note": "", "csrf_token": token})
    assert refused.status_code == 422 and len(_versions(session_factory)) == 2
    restored = client.post(f"/rules/versions/{versions[0].id}/restore",
                           data={"note": "Quay lại mức cũ", "csrf_token": token})
    assert restored.status_code == 303
    latest = _versions(session_factory)[-1]
    assert latest.text == versions[0].text and latest.note == f"Khôi phục phiên bản {versions[0].id}: Quay lại mức cũ"
    assert client.get("/rules/versions/0").status_code == 200
    assert client.get("/rules/versions/999").status_code == 404
