"""Logging in under attack: a flood of wrong passwords is slowed, said, kept, and then the owner gets in."""

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.db import utcnow
from mangxanh.domains.accounts import throttle
from mangxanh.domains.accounts.models import LoginAttempt
from tests.web.conftest import PASSWORD, csrf_from


def _try(client: TestClient, password: str, username: str = "hoa") -> int:
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                           "next": "/cases"})
    return response.status_code


def _outcomes(factory: sessionmaker[Session]) -> dict[str, int]:
    with factory() as s:
        return dict(s.execute(select(LoginAttempt.outcome, func.count()).group_by(LoginAttempt.outcome)).all())


def test_two_hundred_wrong_passwords_are_throttled_and_the_right_one_waits_too(
    app: FastAPI, client: TestClient, staff: int, session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    statuses = [_try(client, f"sai mật khẩu {n}") for n in range(200)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    token = csrf_from(client.get("/login").text)
    refused = client.post("/login", data={"username": "hoa", "password": PASSWORD, "csrf_token": token})
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 30
    assert "Đăng nhập sai quá nhiều lần" in refused.text and "giây" in refused.text
    assert _outcomes(session_factory) == {"failed": 5, "throttled": 196}

    # Half a minute later the owner gets in at once; the throttled attempts did not prolong the wait.
    later = utcnow() + timedelta(seconds=31)
    monkeypatch.setattr(throttle, "utcnow", lambda: later)
    assert _try(client, PASSWORD) == 303
    assert client.get("/cases").status_code == 200


def test_a_browser_that_logged_in_before_is_not_kept_out_by_failures_from_elsewhere(
    app: FastAPI, client: TestClient, staff: int, monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _try(client, PASSWORD) == 303
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/cases").text)})
    # A crowd of addresses guesses the account's password past the account-wide limit.
    for n in range(throttle.ACCOUNT.free_failures):
        with TestClient(app, base_url="http://testserver", follow_redirects=False,
                        client=(f"203.0.113.{n}", 40000)) as attacker:
            assert _try(attacker, f"đoán {n}") == 401
    with TestClient(app, base_url="http://testserver", follow_redirects=False, client=("198.51.100.9", 40000)) as new:
        assert _try(new, PASSWORD) == 429
    # The owner's own browser carries its signed known-device cookie.
    assert _try(client, PASSWORD) == 303
