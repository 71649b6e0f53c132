"""Shared fixtures: databases (SQLite and PostgreSQL), settings, the app and staff users.

Database tests run on both back ends. Each test runs inside a transaction that is rolled back,
so tests never see each other's rows. PostgreSQL comes from MANGXANH_TEST_POSTGRES_URL; without
it those tests skip, unless MANGXANH_REQUIRE_SERVICES=1 (CI), where a skip becomes a failure.

Tests of what really commits (concurrent requests, workers) get a database of their own instead:
a fresh SQLite file, or a fresh schema in the PostgreSQL test database (next to, never instead
of, the ``public`` schema the other tests share), dropped afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.config import Settings, load_settings
from mangxanh.core.analysis.campaigns import CampaignIndex
from mangxanh.core.analysis.detectors.lexicon import LexiconDetector
from mangxanh.core.analysis.pipeline import Pipeline
from mangxanh.core.taxonomy import Taxonomy, load_taxonomy
from mangxanh.db import AUDIT_KEY, make_engine
from mangxanh.domains.accounts.models import User
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.actions.letters import Letterhead
from mangxanh.domains.content.service import Analysis, default_analysis
from mangxanh.migrate import upgrade

REQUIRE_SERVICES = os.environ.get("MANGXANH_REQUIRE_SERVICES") == "1"
# Every process of the tests (servers and workers started by them too) signs the audit trail
# with this key, so that what one writes the others verify.
TEST_AUDIT_KEY = "clé-d'audit-des-tests-mangxanh-0123456789"
os.environ["MANGXANH_AUDIT_KEY"] = TEST_AUDIT_KEY
AUDIT_TEST_KEY = TEST_AUDIT_KEY.encode()
# The letterhead of the tests' letters: a department of Hanoi, one deputy director signing.
LETTERHEAD = Letterhead(
    parent_body="UBND THÀNH PHỐ HÀ NỘI", issuing_body="SỞ KHOA HỌC VÀ CÔNG NGHỆ",
    agency="Sở Khoa học và Công nghệ Hà Nội", symbol="SKHCN-TTĐT", place="Hà Nội",
    signer_title=("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"), signer_name="Nguyễn Văn An",
    contact="Chuyên viên Nguyễn Thu Hà, điện thoại 024 3512 3456", copies=("Giám đốc Sở (để báo cáo)",))
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def missing_service(reason: str) -> None:
    """Skip locally; fail in CI, where every service must be there."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


def _fresh_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def migrated_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A migrated database of each kind, shared by the session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    else:
        url = os.environ.get("MANGXANH_TEST_POSTGRES_URL", "")
        if not url:
            missing_service("PostgreSQL (set MANGXANH_TEST_POSTGRES_URL)")
        try:
            _fresh_postgres(url)
        except Exception as exc:
            missing_service(f"PostgreSQL at {url}: {exc}")
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(migrated_engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions bound to one connection whose outer transaction is rolled back after the test.

    Code under test may commit: with savepoints those commits stay inside the outer transaction.
    """
    connection = migrated_engine.connect()
    outer = connection.begin()
    factory = sessionmaker(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint",
                           info={AUDIT_KEY: AUDIT_TEST_KEY})
    yield factory
    outer.rollback()
    connection.close()


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as s:
        yield s


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


@pytest.fixture(scope="session")
def shipped_analysis() -> Analysis:
    return default_analysis(threshold=0.5)


@pytest.fixture
def analysis(shipped_analysis: Analysis) -> Analysis:
    """The shipped taxonomy and rules with the lexicon detector only, and an empty campaign index.

    Service tests check how findings become cases; the lexicon's findings are fixed by its data
    file, while the trained model's may move with every retraining (the model has its own tests).
    """
    return replace(shipped_analysis, pipeline=Pipeline([LexiconDetector()]), campaigns=CampaignIndex())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(var_dir=tmp_path / "var", database_url=f"sqlite:///{tmp_path / 'unused.db'}")


@pytest.fixture
def analyst(session: Session) -> User:
    return create_user(session, username="analyst1", password="correct horse battery", display_name="Chuyên viên A")


def postgres_base_url() -> str:
    url = os.environ.get("MANGXANH_TEST_POSTGRES_URL", "")
    if not url:
        missing_service("PostgreSQL (set MANGXANH_TEST_POSTGRES_URL)")
    return url


def fresh_schema(base: str, schema: str) -> str:
    """A migrated, empty schema; returns a database URL whose connections use it."""
    engine = make_engine(base)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        missing_service(f"PostgreSQL at {base}: {exc}")
    finally:
        engine.dispose()
    separator = "&" if "?" in base else "?"
    url = f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    upgrade(url)
    return url


def drop_schema(base: str, schema: str) -> None:
    engine = make_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture
def postgres_schema() -> Iterator[Callable[[str], str]]:
    """Make fresh schemas by name (prefixed ``mx_test_``); they are dropped after the test."""
    base = postgres_base_url()
    made: list[str] = []

    def make(name: str) -> str:
        schema = f"mx_test_{name}"
        made.append(schema)
        return fresh_schema(base, schema)

    yield make
    for schema in made:
        drop_schema(base, schema)


@pytest.fixture(params=["sqlite", "postgresql"])
def live_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database of each kind whose commits are real (not rolled back after the test)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'live.db'}"
        upgrade(url)
        yield url
        return
    base = postgres_base_url()
    schema = f"mx_test_live_{os.getpid()}"
    url = fresh_schema(base, schema)
    yield url
    drop_schema(base, schema)
