"""Every command the README and docs/ show is run, as a user would type it, in a fresh department folder.

The commands are read from the documents' shell blocks. Each must have an entry in STAGES (when
it runs) and succeed; a newly documented command without an entry fails the test, so it gets
run here too. What the test changes in a command is only what cannot be the same on a test
machine, each said where it is done: the addresses of example sites (served on loopback here),
the ids of the sources the earlier commands created, the shared data folder (training runs on a
slice of it, not for minutes on all of it), and the scale-out workers' process count.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import httpx
import pytest
import typer
from sqlalchemy import func, select

from mangxanh.cli import app as cli_app
from mangxanh.config import Settings
from mangxanh.core.items import RawItem
from mangxanh.core.rules.loader import RULES_FILE
from mangxanh.core.taxonomy import Taxonomy
from mangxanh.db import make_engine, make_session_factory
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.actions import service as actions
from mangxanh.domains.actions.letters import Letterhead
from mangxanh.domains.cases.models import Case
from mangxanh.domains.cases.service import record_decision
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.models import StoredItem
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.sources.models import Source
from tests.conftest import SHARED_DATA, missing_service
from tests.domains.test_source_runner import site  # noqa: F401 - fixture
from tests.live_server import free_port, mangxanh_run
from tests.worker.conftest import redis_db_url

ROOT = Path(__file__).resolve().parents[1]
REDIS_DB = 8
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_BLOCK = re.compile(r"```(?:sh|bash|shell)\n(.*?)```", re.S)
HTTP_BLOCK = re.compile(r"```http\n(.*?)```", re.S)
# When each kind of command runs in the embedded flow: what it needs must exist by then.
STAGES = {
    "make run": None, "make test": None,  # make run = db upgrade, demo load, run (each run here); CI runs make test
    "db upgrade": 0, "demo load": 1, "user create": 1, "sources add": 2, "ingest file": 3, "ingest csv": 3,
    "ingest feed": 3, "ingest web": 3, "sources list": 4, "sources pause": 4, "sources resume": 4,
    "sources run": 4, "sources token": 4, "sources delete": 5, "analyze": 6, "detectors evaluate": 6,
    "rules test": 6, "model train": 6, "model evaluate": 6, "model evaluate-spans": 6, "model export-decisions": 6,
    "audit anchor": 6, "audit verify": 6, "evidence public-key": 6, "evidence package": 6, "evidence verify": 6,
    "trends rebuild": 6, "run": 7, "curl": 8,
    # The scale-out section's commands run in their own test, on PostgreSQL and Redis.
    "worker": None,
}


def _scale_out(command: Documented) -> bool:
    return command.key == "worker" or "--queue" in command.argv


@dataclass
class Documented:
    where: str
    argv: list[str]
    key: str = ""


def _command_path(argv: list[str]) -> str:
    """The command's name as the CLI knows it ("sources token"), found by walking the real command tree."""
    if argv[0] in ("make", "curl"):
        return " ".join(argv[:2]) if argv[0] == "make" else "curl"
    command = typer.main.get_command(cli_app)
    path = []
    for token in argv[1:]:
        subcommands = getattr(command, "commands", {})
        if token not in subcommands:
            break
        command = subcommands[token]
        path.append(token)
    return " ".join(path)


def documented_commands() -> list[Documented]:
    found: list[Documented] = []
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        for block in SHELL_BLOCK.findall(text):
            for line in block.replace("\\\n", " ").splitlines():
                words = shlex.split(line, comments=True)
                if not words or words[0] == "export":
                    continue
                words[0] = words[0].removeprefix(".venv/bin/")
                if words[0] not in ("mangxanh", "make", "curl"):
                    continue
                # "sources pause|resume|run|delete ID" documents four commands.
                for argv in itertools.product(*(word.split("|") if "|" in word else [word] for word in words)):
                    found.append(Documented(f"{document.name}: {line.strip()}", list(argv)))
    for entry in found:
        entry.key = _command_path(entry.argv)
    return found


def test_every_documented_command_has_a_place_in_this_test() -> None:
    commands = documented_commands()
    assert len(commands) > 20
    missing = sorted({c.where for c in commands if c.key not in STAGES})
    assert not missing, f"documented commands this test does not run: {missing}"


@dataclass
class Department:
    """A scratch folder where the commands run, with the files and addresses the documents name."""

    home: Path
    env: dict[str, str]
    sources: dict[str, int] = field(default_factory=dict)
    token: str = ""

    def run(self, argv: list[str], *, stdin: str | None = None, timeout: int = 300) -> subprocess.CompletedProcess[str]:
        # A session of its own has no terminal, so a password prompt reads standard input.
        return subprocess.run([sys.executable, "-m", "mangxanh.cli", *argv[1:]], cwd=self.home, env=self.env,
                              input=stdin, capture_output=True, text=True, timeout=timeout, start_new_session=True)


def _training_slice(target: Path) -> Path:
    """The shared data's layout with its first rows only: training on it takes seconds, not minutes."""
    for name, rows in (("vihsd/train.csv", 3000), ("vihsd/dev.csv", 500), ("vihos/train.csv", 1500),
                       ("vihos/dev.csv", 300)):
        with (SHARED_DATA / name).open(encoding="utf-8", newline="") as source:
            head = list(itertools.islice(csv.reader(source), rows + 1))
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        with (target / name).open("w", encoding="utf-8", newline="") as out:
            csv.writer(out).writerows(head)
    return target


def _documented_batch() -> str:
    """The request body of the push API's documented example."""
    text = (ROOT / "docs" / "push-api.md").read_text(encoding="utf-8")
    request = HTTP_BLOCK.findall(text)[0]
    return request.split("\n\n", 1)[1]


@pytest.fixture
def department(tmp_path: Path, site: str) -> Department:  # noqa: F811 - the fixture
    if not (SHARED_DATA / "vihsd" / "test.csv").exists():
        missing_service(f"the shared data folder {SHARED_DATA}")
    home = tmp_path / "department"
    home.mkdir()
    env = {**os.environ, "MANGXANH_VAR_DIR": str(home / "var"),
           "MANGXANH_DATABASE_URL": f"sqlite:///{home / 'var' / 'mangxanh.db'}",
           # The example sites are served on loopback by the test.
           "MANGXANH_ALLOW_PRIVATE_FETCH": "1", "MANGXANH_PORT": str(free_port())}
    for name in ("MANGXANH_REDIS_URL", "MANGXANH_SECRET_KEY"):
        env.pop(name, None)
    (home / "export.jsonl").write_text(
        '{"platform": "facebook", "external_id": "doc-1", "text": "Sáng nay đường Láng ngập sâu."}\n'
        '{"platform": "facebook", "external_id": "doc-2", "text": "bọn parky cút về quê"}\n', encoding="utf-8")
    (home / "comments.csv").write_text(
        "Comment ID,Video ID,Parent ID,Author,Text,Published At,Likes,Reply Count\n"
        "Ugd1,vid1,,Hoàng Yến,Video này nói đúng quá,2026-11-20T03:00:00Z,25,2\n", encoding="utf-8")
    shipped_rules = resources.files("mangxanh.core.rules").joinpath(RULES_FILE).read_text(encoding="utf-8")
    (home / "my-rules.yaml").write_text(shipped_rules, encoding="utf-8")
    (home / "batch.json").write_text(_documented_batch(), encoding="utf-8")
    return Department(home, env)


def _a_sent_request(department: Department, analysis: Analysis, taxonomy: Taxonomy) -> int:
    """What the requests' examples need: a takedown request sent to the partner source the documents made."""
    settings = Settings(var_dir=department.home / "var", database_url=department.env["MANGXANH_DATABASE_URL"])
    engine = make_engine(settings.effective_database_url)
    with make_session_factory(engine, audit_key=settings.effective_audit_key())() as s:
        analyst, supervisor = (create_user(s, username=name, password="một mật khẩu đủ dài", display_name=name,
                                           role=role) for name, role in (("ha", "analyst"), ("duc", "supervisor")))
        partner = s.get_one(Source, department.sources["api"])
        ingest(s, source=partner, analysis=analysis, items=[RawItem(
            platform="facebook", external_id="fb_2001", text="bọn parky cút về quê",
            url="https://www.facebook.com/trang.vi.du/posts/2001")])
        case = s.scalars(select(Case).join(StoredItem).where(StoredItem.external_id == "fb_2001")).one()
        record_decision(s, case_id=case.id, actor=analyst, taxonomy=taxonomy, category="HATE_DISCRIM",
                        legal_basis="decision-874-2021|Điều 4", action="request_takedown",
                        facts="Bài viết kỳ thị.", note="Kỳ thị vùng miền.")
        action = actions.draft_action(s, user=analyst, case_id=case.id, kind="request_takedown", taxonomy=taxonomy)
        actions.approve(s, user=supervisor, action_id=action.id)
        actions.issue_letter(s, user=supervisor, action_ids=[action.id], taxonomy=taxonomy,
                             letterhead=Letterhead.from_settings(settings))
        s.commit()
    engine.dispose()
    return action.id


def _rewrite(argv: list[str], department: Department, site_url: str) -> list[str]:
    """What cannot be the same here: example addresses, earlier sources' ids, the shared data folder."""
    addresses = {"https://example.vn/rss": f"{site_url}/feed.xml", "https://x.vn/rss": f"{site_url}/feed.xml",
                 "https://example.vn/tin-1": f"{site_url}/article"}
    out = [addresses.get(word, word) for word in argv]
    if out[1:2] == ["sources"] and len(out) > 3 and (out[3] == "ID" or out[3].isdigit()):
        # The id of the source the documents created for this: the push-API one for a token.
        out[3] = str(department.sources["api" if out[2] == "token" else "rss"])
    if out[1:3] == ["model", "train"]:
        out[out.index("--data") + 1] = str(_training_slice(department.home / "training-slice"))
    return [str(SHARED_DATA) + word.removeprefix("../shared/data") if word.startswith("../shared/data") else word
            for word in out]


def test_the_documented_commands_work_in_a_fresh_department(
    department: Department, site: str, analysis: Analysis, taxonomy: Taxonomy,  # noqa: F811 - the fixture
) -> None:
    commands = [c for c in documented_commands() if STAGES.get(c.key) is not None and not _scale_out(c)]
    seen: set[tuple[str, ...]] = set()
    ordered = []
    for command in sorted(commands, key=lambda c: STAGES[c.key] or 0):
        if tuple(command.argv) not in seen:
            seen.add(tuple(command.argv))
            ordered.append(command)
    curls = [c for c in ordered if c.key == "curl"]
    for command in ordered:
        if command.key in ("run", "curl"):
            continue
        argv = _rewrite(command.argv, department, site)
        stdin = "một mật khẩu đủ dài\nmột mật khẩu đủ dài\n" if command.key == "user create" else None
        result = department.run(argv, stdin=stdin)
        assert result.returncode == 0, f"{command.where}\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
        assert "Traceback" not in result.stderr, command.where
        if command.key == "sources add":
            added = re.search(r"Added source (\d+): .* \((\w+)\)", result.stdout)
            assert added, result.stdout
            department.sources[added.group(2)] = int(added.group(1))
        if command.key == "sources token":
            department.token = result.stdout.strip().splitlines()[-1]
        if command.key == "analyze":
            assert json.loads(result.stdout)["findings"]
    assert department.token.startswith("mx_")
    # The shell would expand $MANGXANH_TOKEN; the example server is the one started here.
    request_id = _a_sent_request(department, analysis, taxonomy)
    env = {**department.env, "MANGXANH_TOKEN": department.token, "REQUEST_ID": str(request_id)}

    def expanded(word: str) -> str:
        return re.sub(r"\$(\w+)", lambda m: env.get(m.group(1), ""), word)

    with mangxanh_run(cwd=department.home, env=department.env) as base:
        assert httpx.get(f"{base}/login").status_code == 200
        for command in curls:
            argv = [expanded(word).replace("https://mangxanh.example.gov.vn", base) for word in command.argv]
            result = subprocess.run(argv, cwd=department.home, capture_output=True, text=True, timeout=120, env=env)
            assert result.returncode == 0, f"{command.where}\n{result.stderr}"
            answer = json.loads(result.stdout)
            if any(word.endswith("/api/v1/items") for word in argv):
                assert answer["received"] == 2 and answer["refused"] == 0, answer
            elif any(word.endswith("/answer") for word in argv):
                assert answer["state"] == "done", answer
            else:
                assert [r["id"] for r in answer.get("requests", ())] == [request_id], (argv, answer)


@pytest.mark.postgres
def test_the_documented_scale_out_works_on_postgresql_and_redis(
    department: Department, postgres_schema: Callable[[str], str],
) -> None:
    """README's "Scaling out": the same database and broker for every process, workers, the console.

    Each documented worker runs with one pool process instead of eight: the count is per machine
    (about its cores), and eight copies of the model on a two-core test machine prove nothing more.
    """
    engine_url = postgres_schema("documented")
    env = {**department.env, "MANGXANH_DATABASE_URL": engine_url, "MANGXANH_REDIS_URL": redis_db_url(REDIS_DB),
           "MANGXANH_SECRET_KEY": "the same on every console of the deployment"}
    department.env = env
    section = [c for c in documented_commands() if c.where.startswith("README.md: mangxanh ")]
    assert {c.key for c in section} >= {"db upgrade", "worker", "run", "ingest file"}
    workers: list[tuple[subprocess.Popen[bytes], Path]] = []
    try:
        for command in section:
            argv = ["1" if word == "8" and command.argv[argv_index - 1] == "--concurrency" else word
                    for argv_index, word in enumerate(command.argv)]
            if command.key == "worker":
                log = department.home / f"worker-{len(workers)}.log"
                with log.open("wb") as out:
                    workers.append((subprocess.Popen([sys.executable, "-m", "mangxanh.cli", *argv[1:]],
                                                     cwd=department.home, env=env, stdout=out,
                                                     stderr=subprocess.STDOUT), log))
            elif command.key == "run":
                with mangxanh_run(cwd=department.home, env=department.env) as base:
                    assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
            else:
                result = department.run(argv)
                assert result.returncode == 0, f"{command.where}\n{result.stderr[-3000:]}"
        engine = make_engine(engine_url)
        deadline = time.monotonic() + 120
        stored = 0
        while time.monotonic() < deadline and stored < 2:
            with engine.connect() as conn:
                stored = conn.execute(select(func.count()).select_from(StoredItem)).scalar_one()
            time.sleep(0.5)
        engine.dispose()
        assert stored == 2, "the workers did not store the queued export"
    finally:
        for process, _log in workers:
            process.send_signal(signal.SIGTERM)
        for process, log in workers:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
            output = log.read_text(errors="replace")
            assert "Traceback" not in output, output[-3000:]
