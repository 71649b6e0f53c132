import json
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.connectors.jsonl_export import read_jsonl
from mangxanh.core.items import Numbered
from mangxanh.demo.loader import DEMO_ACCOUNTS, demo_file_text, load_demo
from mangxanh.domains.accounts.models import User
from mangxanh.domains.cases.models import Case
from mangxanh.domains.content.models import StoredItem
from mangxanh.domains.content.service import Analysis


def test_demo_file_is_valid_realistic_and_large_enough() -> None:
    parsed = list(read_jsonl(demo_file_text().splitlines()))
    assert all(isinstance(p, Numbered) for p in parsed)
    items = [p.item for p in parsed if isinstance(p, Numbered)]
    assert len(items) >= 300
    kinds = Counter(i.kind for i in items)
    assert kinds["post"] >= 50 and kinds["comment"] >= 200
    posts = {i.natural_key for i in items if i.kind == "post"}
    assert all(f"{i.platform}:{i.parent_id}" in posts for i in items if i.kind == "comment")
    assert len({i.natural_key for i in items}) == len(items)


def test_demo_loads_once_with_accounts_and_cases(
    session_factory: sessionmaker[Session], analysis: Analysis, tmp_path: Path
) -> None:
    first = load_demo(session_factory, analysis=analysis, var_dir=tmp_path)
    assert not first.already_loaded and first.report.added >= 300 and first.report.cases_opened >= 50
    second = load_demo(session_factory, analysis=analysis, var_dir=tmp_path)
    assert second.already_loaded and second.report.unchanged == first.report.added
    logins = [line.split("\t") for line in (tmp_path / "demo-logins.txt").read_text().splitlines()]
    assert [row[0] for row in logins] == [name for name, _, _ in DEMO_ACCOUNTS]
    assert (tmp_path / "demo-logins.txt").stat().st_mode & 0o777 == 0o600
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(StoredItem)) == first.report.added
        assert s.scalar(select(func.count()).select_from(User)) == len(DEMO_ACCOUNTS)
        categories = set(s.scalars(select(Case.category)))
    assert {"OFFENSIVE_LANG", "HATE_DISCRIM", "DEFAME_INSULT"} <= categories


def test_demo_has_no_empty_or_oversized_text() -> None:
    for line in demo_file_text().splitlines():
        text = json.loads(line)["text"]
        assert 0 < len(text.strip()) <= 2000
