"""The push API: tokens, limits, per-item errors and idempotency, on SQLite and PostgreSQL."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.connectors.jsonl_export import parse_record
from mangxanh.core.items import PLATFORMS
from mangxanh.domains.content.models import StoredItem
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.sources.models import ApiToken, Source, SourceRun
from mangxanh.domains.sources.service import create_source, delete_source, set_paused
from mangxanh.domains.sources.tokens import issue_token, revoke_token
from mangxanh.i18n import catalogue
from mangxanh.web.api_schemas import MAX_BATCH_ITEMS, MAX_BODY_BYTES, push_request_schema
from tests.web.conftest import log_in

URL = "/api/v1/items"
HATEFUL = "bọn parky cút về quê"


@pytest.fixture
def api_app(app: FastAPI, analysis: Analysis) -> FastAPI:
    # The lexicon-only analysis of the shared fixtures: its findings are fixed by its data file.
    app.state.analysis = analysis
    return app


@pytest.fixture
def api(api_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(api_app, base_url="http://testserver", follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def partner(session_factory: sessionmaker[Session]) -> tuple[int, str]:
    """An API source and its clear token."""
    with session_factory() as s:
        source = create_source(s, name="Báo Ví Dụ (đẩy qua API)", kind="api")
        _token, clear = issue_token(s, source=source, name="máy chủ đối tác")
        s.commit()
        return source.id, clear


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def record(external_id: str, text: str = "Sáng nay đường Láng ngập sâu, mọi người tránh nhé.", **extra: Any
           ) -> dict[str, Any]:
    return {"platform": "facebook", "external_id": external_id, "text": text,
            "published_at": "2026-11-20T07:45:00+07:00", **extra}


def nested(depth: int) -> Any:
    value: Any = {"z": 1}
    for _ in range(depth):
        value = [value]
    return value


def stored_count(factory: sessionmaker[Session], source_id: int | None = None) -> int:
    with factory() as s:
        query = select(func.count()).select_from(StoredItem)
        if source_id is not None:
            query = query.where(StoredItem.source_id == source_id)
        return int(s.scalar(query) or 0)


def runs_of(factory: sessionmaker[Session], source_id: int) -> list[SourceRun]:
    with factory() as s:
        return list(s.scalars(select(SourceRun).where(SourceRun.source_id == source_id).order_by(SourceRun.id)))


def test_a_batch_is_stored_under_the_tokens_source_and_analysed(
    api: TestClient, partner: tuple[int, str], session_factory: sessionmaker[Session]
) -> None:
    source_id, token = partner
    batch = {"items": [record("fb_1", reactions=500), record("fb_2", HATEFUL, reactions=900),
                       record("fb_3", "Cảm ơn ad đã báo!", parent_id="fb_1")]}
    response = api.post(URL, json=batch, headers=auth(token))
    assert response.status_code == 200, response.text
    assert response.json() == {"received": 3, "added": 3, "updated": 0, "unchanged": 0, "refused": 0,
                               "cases_opened": 1, "errors": []}
    assert stored_count(session_factory, source_id) == 3
    with session_factory() as s:
        comment = s.scalars(select(StoredItem).where(StoredItem.natural_key == "facebook:fb_3")).one()
        assert comment.kind == "comment" and comment.parent_external_id == "fb_1"
        assert s.scalars(select(ApiToken.last_used_at)).one() is not None
    [run] = runs_of(session_factory, source_id)
    assert (run.outcome, run.added, run.refused) == ("ok", 3, 0)


def test_the_same_batch_twice_changes_nothing_and_an_edit_updates(
    api: TestClient, partner: tuple[int, str], session_factory: sessionmaker[Session]
) -> None:
    _source_id, token = partner
    batch = {"items": [record("fb_1"), record("fb_2", HATEFUL)]}
    assert api.post(URL, json=batch, headers=auth(token)).json()["added"] == 2
    again = api.post(URL, json=batch, headers=auth(token))
    assert again.status_code == 200
    assert again.json() | {"errors": []} == {"received": 2, "added": 0, "updated": 0, "unchanged": 2, "refused": 0,
                                             "cases_opened": 0, "errors": []}
    assert stored_count(session_factory) == 2
    edited = api.post(URL, json={"items": [record("fb_1", "Đường Láng đã hết ngập, đi lại bình thường.")]},
                      headers=auth(token)).json()
    assert (edited["added"], edited["updated"], edited["unchanged"]) == (0, 1, 0)
    assert stored_count(session_factory) == 2


def test_bad_items_are_refused_one_by_one_and_the_good_ones_go_in(
    api: TestClient, partner: tuple[int, str], session_factory: sessionmaker[Session]
) -> None:
    source_id, token = partner
    items: list[Any] = [
        record("ok_1"),
        {"platform": "facebook", "external_id": "no_text"},
        "không phải đối tượng",
        record("ok_1", "Bản thứ hai của cùng một bài."),
        record("nul", "chữ\x00ẩn"),
        record("bad_date", published_at="hôm qua"),
        record("deep", extra=nested(40)),
        {"platform": "myspace", "external_id": 7, "text": "x"},
        record("ok_2", "Cảm ơn ad đã báo!"),
        # Accepted by the import format, but each would fail the whole batch in the database.
        record("long_author", author="Trang " * 60),
        record("huge_count", reactions=2**40),
        record("far_future", published_at="9999-12-31T23:59:59-05:00"),
    ]
    # json.dumps escapes a lone surrogate as \\ud800: valid JSON, but not valid text.
    items.append(record("surrogate", "a\ud800b"))
    response = api.post(URL, content=json.dumps({"items": items}), headers=auth(token))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["received"], body["added"], body["refused"]) == (13, 2, 11)
    errors = {e["index"]: e for e in body["errors"]}
    assert sorted(errors) == [0, 1, 2, 4, 5, 6, 7, 9, 10, 11, 12]
    assert errors[1]["external_id"] == "no_text" and "'text'" in errors[1]["reason"]
    assert errors[2]["external_id"] is None
    # The earlier of two items with one natural key is refused, naming the later one that is stored.
    assert errors[0]["external_id"] == "ok_1" and "3" in errors[0]["reason"]
    assert "\\u0000" in errors[4]["reason"]
    assert errors[5]["external_id"] == "bad_date"
    assert "32" in errors[6]["reason"]
    assert errors[7]["external_id"] == "7" and "'platform'" in errors[7]["reason"]
    assert [errors[i]["external_id"] for i in (9, 10, 11, 12)] == ["long_author", "huge_count", "far_future",
                                                                   "surrogate"]
    assert "'author'" in errors[9]["reason"] and "'reactions'" in errors[10]["reason"]
    assert "'published_at'" in errors[11]["reason"]
    with session_factory() as s:
        stored = {key: text for key, text in s.execute(select(StoredItem.natural_key, StoredItem.text))}
    assert stored == {"facebook:ok_1": "Bản thứ hai của cùng một bài.", "facebook:ok_2": "Cảm ơn ad đã báo!"}
    [run] = runs_of(session_factory, source_id)
    assert (run.added, run.refused) == (2, 11)


def test_a_batch_where_no_item_can_be_stored_is_422_and_changes_nothing(
    api: TestClient, partner: tuple[int, str], session_factory: sessionmaker[Session]
) -> None:
    source_id, token = partner
    response = api.post(URL, json={"items": [{"platform": "facebook"}, 42]}, headers=auth(token))
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] and (body["received"], body["refused"]) == (2, 2)
    assert [e["index"] for e in body["errors"]] == [0, 1]
    assert stored_count(session_factory) == 0 and runs_of(session_factory, source_id) == []
    with session_factory() as s:
        assert s.scalars(select(ApiToken.last_used_at)).one() is None


def test_more_than_a_thousand_items_is_413_and_nothing_is_stored(
    api: TestClient, partner: tuple[int, str], session_factory: sessionmaker[Session]
) -> None:
    source_id, token = partner
    batch = {"items": [record(f"fb_{i}") for i in range(MAX_BATCH_ITEMS + 1)]}
    response = api.post(URL, json=batch, headers=auth(token))
    assert response.status_code == 413
    assert "1000" in response.json()["detail"] and "1001" in response.json()["detail"]
    assert stored_count(session_factory) == 0 and runs_of(session_factory, source_id) == []


def test_a_body_over_the_byte_limit_is_413_whether_declared_or_streamed(
    api: TestClient, partner: tuple[int, str], session_factory: sessionmaker[Session]
) -> None:
    _source_id, token = partner
    padding = b" " * (MAX_BODY_BYTES + 1 - len(b'{"items": []}'))
    body = b'{"items": [' + padding + b"]}"
    declared = api.post(URL, content=body, headers=auth(token) | {"Content-Type": "application/json"})
    assert declared.status_code == 413 and str(MAX_BODY_BYTES) in declared.json()["detail"]

    def chunks() -> Iterator[bytes]:
        # No Content-Length: the cap has to hold while reading.
        for start in range(0, len(body), 1 << 20):
            yield body[start:start + (1 << 20)]

    streamed = api.post(URL, content=chunks(), headers=auth(token) | {"Content-Type": "application/json"})
    assert streamed.status_code == 413
    assert stored_count(session_factory) == 0


@pytest.mark.parametrize("body", [b"{not json", b'{"items": [NaN]}', b"\xff\xfe", b"[" * 100_000,
                                  b'["items"]', b'{"items": {"platform": "facebook"}}', b'{"items": []}'])
def test_a_body_that_is_not_a_batch_is_422(api: TestClient, partner: tuple[int, str], body: bytes) -> None:
    response = api.post(URL, content=body, headers=auth(partner[1]) | {"Content-Type": "application/json"})
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]


def test_no_token_is_401_with_the_bearer_challenge(
    api: TestClient, staff: int, partner: tuple[int, str], session_factory: sessionmaker[Session]
) -> None:
    batch = {"items": [record("fb_1")]}
    for headers in ({}, {"Authorization": f"Basic {partner[1]}"}, {"Authorization": "Bearer "}):
        response = api.post(URL, json=batch, headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert "Authorization: Bearer" in response.json()["detail"]
    # A console session is no way in: the API reads the token only, and CSRF does not apply.
    log_in(api)
    assert api.post(URL, json=batch).status_code == 401
    assert stored_count(session_factory) == 0


def test_unknown_revoked_paused_and_deleted_are_403(
    api: TestClient, partner: tuple[int, str], session_factory: sessionmaker[Session]
) -> None:
    source_id, token = partner
    batch = {"items": [record("fb_1")]}
    assert api.post(URL, json=batch, headers=auth("mx_" + "A" * 43)).status_code == 403
    non_ascii = {"Authorization": "Bearer mx_không-có-thật".encode()}
    assert api.post(URL, json=batch, headers=non_ascii).status_code == 403
    assert api.post(URL, json=batch, headers=auth("x" * 5000)).status_code == 403
    with session_factory() as s:
        set_paused(s, s.get_one(Source, source_id), paused=True)
        s.commit()
    paused = api.post(URL, json=batch, headers=auth(token))
    assert paused.status_code == 403 and paused.json()["detail"]
    with session_factory() as s:
        set_paused(s, s.get_one(Source, source_id), paused=False)
        s.commit()
    assert api.post(URL, json=batch, headers=auth(token)).status_code == 200
    with session_factory() as s:
        revoke_token(s, s.scalars(select(ApiToken)).one())
        s.commit()
    assert api.post(URL, json=batch, headers=auth(token)).status_code == 403
    with session_factory() as s:
        other = create_source(s, name="Đối tác B", kind="api")
        _t, other_token = issue_token(s, source=other, name="B")
        delete_source(s, other)
        s.commit()
    assert api.post(URL, json=batch, headers=auth(other_token)).status_code == 403
    assert stored_count(session_factory) == 1


def test_answers_follow_accept_language(api: TestClient) -> None:
    msgid = "An API token is needed: send it as 'Authorization: Bearer <token>'."
    english = api.post(URL, json={"items": []}, headers={"Accept-Language": "fr, en;q=0.8, vi;q=0.5"})
    assert english.json()["detail"] == msgid
    vietnamese = api.post(URL, json={"items": []}, headers={"Accept-Language": "vi-VN,vi;q=0.9,en;q=0.5"})
    assert vietnamese.json()["detail"] == catalogue("vi").get(msgid, msgid)
    assert api.get(URL).status_code == 405 and api.get(URL).json()["detail"]


def test_the_app_builds_the_shipped_analysis_for_pushes(
    app: FastAPI, partner: tuple[int, str], session_factory: sessionmaker[Session]
) -> None:
    with TestClient(app) as client:
        response = client.post(URL, json={"items": [record("fb_1", HATEFUL, reactions=900)]}, headers=auth(partner[1]))
    assert response.status_code == 200 and response.json()["added"] == 1
    assert app.state.analysis.threshold == app.state.settings.case_threshold


def test_the_openapi_schema_documents_the_route_and_the_consoles_schema_is_for_staff_only(
    api: TestClient, staff: int,
) -> None:
    anonymous = api.get("/api/openapi.json")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert api.get("/api/docs").status_code == 404
    log_in(api)
    schema = api.get("/api/openapi.json").json()
    operation = schema["paths"][URL]["post"]
    assert set(operation["responses"]) >= {"200", "401", "403", "413", "422"}
    assert operation["security"] == [{"PartnerToken": []}]
    assert schema["components"]["securitySchemes"]["PartnerToken"]["scheme"] == "bearer"
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["items"]["maxItems"] == MAX_BATCH_ITEMS
    record_schema = body["properties"]["items"]["items"]
    assert set(record_schema["properties"]["platform"]["enum"]) == PLATFORMS
    assert "PushResult" in operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    # The documented examples are items the API takes.
    for example in push_request_schema()["examples"][0]["items"] + record_schema["examples"]:
        parse_record(example)


def test_partners_get_a_schema_of_the_api_alone(api: TestClient) -> None:
    schema = api.get("/api/v1/openapi.json").json()
    assert URL in schema["paths"]
    assert set(schema["components"]["schemas"]) >= {"PushResult", "ItemError", "ApiError", "BatchRefused"}
    assert "PartnerToken" in schema["components"]["securitySchemes"]


def test_a_token_reaches_only_its_own_sources_items(
    api: TestClient, partner: tuple[int, str], session_factory: sessionmaker[Session]
) -> None:
    owner_id, owner_token = partner
    with session_factory() as s:
        other = create_source(s, name="Đối tác khác", kind="api")
        _token, other_token = issue_token(s, source=other, name="máy chủ khác")
        s.commit()
    assert api.post(URL, json={"items": [record("fb_1", HATEFUL)]}, headers=auth(owner_token)).json()["added"] == 1
    rewrite = {"items": [record("fb_1", "Nội dung đã bị thay", author="Kẻ mạo danh")]}
    refused = api.post(URL, json=rewrite, headers={**auth(other_token), "Accept-Language": "en"})
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert error["index"] == 0 and error["external_id"] == "fb_1" and "another source" in error["reason"]
    mixed = api.post(URL, json={"items": [record("fb_1", HATEFUL), record("fb_9")]}, headers=auth(other_token))
    assert mixed.status_code == 200
    assert (mixed.json()["added"], mixed.json()["unchanged"], mixed.json()["refused"]) == (1, 0, 1)
    with session_factory() as s:
        item = s.scalars(select(StoredItem).where(StoredItem.external_id == "fb_1")).one()
        assert (item.text, item.author, item.source_id) == (HATEFUL, None, owner_id)
        # The refused push changed nothing of the other source, not even its token's last use.
        assert [r.added for r in s.scalars(select(SourceRun).where(SourceRun.source_id == other.id))] == [1]
