"""Sources: validation, pause and delete, schedule and back-off, API tokens."""

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from mangxanh.db import utcnow
from mangxanh.domains.sources.models import ApiToken
from mangxanh.domains.sources.schedule import RunOutcome, backoff, due_sources, record_run
from mangxanh.domains.sources.service import (
    create_source,
    delete_source,
    get_source,
    list_sources,
    overview,
    set_paused,
    update_source,
)
from mangxanh.domains.sources.tokens import authenticate, issue_token, record_use, revoke_token
from mangxanh.errors import Conflict, Forbidden, InvalidInput, NotFound


def test_bad_sources_are_refused_and_nothing_is_stored(session: Session) -> None:
    with pytest.raises(InvalidInput, match="http"):
        create_source(session, name="Báo A", kind="rss", url="ftp://example.vn/feed")
    with pytest.raises(InvalidInput, match="kind"):
        create_source(session, name="Báo A", kind="telegram")
    with pytest.raises(InvalidInput, match="interval"):
        create_source(session, name="Báo A", kind="rss", url="https://example.vn/rss", interval_s=5)
    with pytest.raises(InvalidInput, match="name"):
        create_source(session, name="   ", kind="api")
    assert list_sources(session) == []
    create_source(session, name="Báo A", kind="rss", url="https://example.vn/rss")
    with pytest.raises(Conflict):
        create_source(session, name="Báo A", kind="web", url="https://example.vn/")


def test_a_new_address_forgets_the_old_etag_and_failures(session: Session) -> None:
    source = create_source(session, name="Báo B", kind="rss", url="https://example.vn/rss")
    source.config = {"etag": '"abc"', "last_modified": "x", "layout": "keep"}
    source.consecutive_failures = 3
    update_source(session, source, name="Báo B mới", url="https://example.vn/rss2", interval_s=600)
    assert source.config == {"layout": "keep"}
    assert source.consecutive_failures == 0
    assert (source.name, source.interval_s) == ("Báo B mới", 600)


def test_paused_deleted_and_future_sources_are_not_due(session: Session) -> None:
    now = utcnow()
    due = create_source(session, name="due", kind="rss", url="https://a.vn/rss")
    later = create_source(session, name="later", kind="web", url="https://a.vn/page")
    later.next_run_at = now + timedelta(minutes=5)
    paused = set_paused(session, create_source(session, name="paused", kind="rss", url="https://b.vn/rss"),
                        paused=True)
    gone = create_source(session, name="gone", kind="rss", url="https://c.vn/rss")
    delete_source(session, gone)
    create_source(session, name="partner", kind="api")
    assert due_sources(session, now=now + timedelta(seconds=1)) == [due.id]
    assert not paused.is_active
    with pytest.raises(NotFound):
        get_source(session, gone.id)
    # The deleted source's name is free again.
    create_source(session, name="gone", kind="rss", url="https://c.vn/rss")


def test_failures_back_off_exponentially_and_a_success_resets(session: Session) -> None:
    source = create_source(session, name="flaky", kind="rss", url="https://a.vn/rss", interval_s=600)
    now = utcnow()
    for failures in (1, 2, 3):
        record_run(session, source, RunOutcome(error="Server answered {status}", error_params={"status": 503}),
                   started_at=now, now=now)
        assert source.consecutive_failures == failures
        assert source.next_run_at == now + timedelta(seconds=600 * 2 ** failures)
    assert source.last_error == "Server answered {status}"
    for _ in range(20):
        record_run(session, source, RunOutcome(error="down"), started_at=now, now=now)
    assert source.next_run_at == now + timedelta(days=1)
    record_run(session, source, RunOutcome(added=4), started_at=now, now=now)
    assert (source.consecutive_failures, source.last_error, source.last_success_at) == (0, None, now)
    assert source.next_run_at == now + timedelta(seconds=600)
    view = overview(session, source, now=now)
    assert view.items_last_day == 4
    assert [r.outcome for r in view.runs][:2] == ["ok", "failed"]
    assert backoff(600, 0) == timedelta(seconds=600)


def test_tokens_are_stored_as_hashes_and_scoped_to_an_active_source(session: Session) -> None:
    source = create_source(session, name="Đối tác", kind="api")
    token, clear = issue_token(session, source=source, name="Cổng đối tác")
    assert clear.startswith("mx_") and clear not in token.token_hash and token.prefix == clear[:10]
    assert authenticate(session, clear) == (token, source)
    # Authenticating alone changes nothing; a push that stored something records the use.
    assert token.last_used_at is None
    record_use(token)
    assert token.last_used_at is not None
    with pytest.raises(Forbidden):
        authenticate(session, clear + "x")
    set_paused(session, source, paused=True)
    with pytest.raises(Forbidden, match="paused"):
        authenticate(session, clear)
    set_paused(session, source, paused=False)
    revoke_token(session, token)
    with pytest.raises(Forbidden):
        authenticate(session, clear)
    assert session.get(ApiToken, token.id) is not None
