"""The command line, run as a user runs it: a real process, a real SQLite database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def mangxanh(*args: str, cwd: Path, stdin: str | None = None, env: dict[str, str] | None = None
             ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mangxanh.cli", *args], cwd=cwd, input=stdin, capture_output=True, text=True,
        env={**os.environ, "MANGXANH_VAR_DIR": str(cwd / "var"), "MANGXANH_DATABASE_URL": "", **(env or {})},
        timeout=120,
    )


def test_analyze_json_has_findings_with_spans(tmp_path: Path) -> None:
    result = mangxanh("analyze", "--json", "Đ.M thằng óc chó", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    findings = json.loads(result.stdout)["findings"]
    by_category = {f["category"]: f for f in findings}
    assert by_category["OFFENSIVE_LANG"]["spans"] == [[0, 3]]
    assert by_category["DEFAME_INSULT"]["spans"] == [[10, 16]]
    assert set(findings[0]) >= {"category", "score", "spans", "detector", "explanation"}


def test_analyze_reads_stdin_and_refuses_empty_text(tmp_path: Path) -> None:
    clean = mangxanh("analyze", "-", cwd=tmp_path, stdin="Chúc mọi người cuối tuần vui vẻ")
    assert clean.returncode == 0 and clean.stdout.strip() == "No findings."
    empty = mangxanh("analyze", "   ", cwd=tmp_path)
    assert empty.returncode == 2 and "empty" in empty.stderr


def test_commands_before_migration_say_what_to_do(tmp_path: Path) -> None:
    result = mangxanh("demo", "load", cwd=tmp_path)
    assert result.returncode == 2
    assert "mangxanh db upgrade" in result.stderr


def test_bad_setting_names_the_setting(tmp_path: Path) -> None:
    result = mangxanh("db", "upgrade", cwd=tmp_path, env={"MANGXANH_PORT": "http"})
    assert result.returncode == 2 and "MANGXANH_PORT" in result.stderr
    result = mangxanh("db", "upgrade", cwd=tmp_path, env={"MANGXANH_DATABASE_URL": "mysql://x"})
    assert result.returncode == 2 and "MANGXANH_DATABASE_URL" in result.stderr


def test_ingest_file_and_user_create(tmp_path: Path) -> None:
    assert mangxanh("db", "upgrade", cwd=tmp_path).returncode == 0
    export = tmp_path / "export.jsonl"
    export.write_text(
        '{"platform": "facebook", "external_id": "1", "text": "Trời Hà Nội hôm nay đẹp"}\n'
        "{oops\n"
        '{"platform": "facebook", "external_id": "2", "text": "bọn parky cút về quê"}\n',
        encoding="utf-8",
    )
    first = mangxanh("ingest", "file", str(export), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "3 lines: 2 added, 0 updated, 0 unchanged, 1 skipped" in first.stdout
    assert "export.jsonl:2: skipped: not valid JSON" in first.stderr
    again = mangxanh("ingest", "file", str(export), cwd=tmp_path)
    assert "0 added, 0 updated, 2 unchanged" in again.stdout
    missing = mangxanh("ingest", "file", str(tmp_path / "nope.jsonl"), cwd=tmp_path)
    assert missing.returncode == 2 and "no such file" in missing.stderr

    created = mangxanh("user", "create", "thu.ha", "--password-stdin", cwd=tmp_path, stdin="một mật khẩu dài\n")
    assert created.returncode == 0 and "Created analyst thu.ha" in created.stdout
    duplicate = mangxanh("user", "create", "thu.ha", "--password-stdin", cwd=tmp_path, stdin="một mật khẩu dài\n")
    assert duplicate.returncode == 2 and "already exists" in duplicate.stderr
    short = mangxanh("user", "create", "other", "--password-stdin", cwd=tmp_path, stdin="ngắn\n")
    assert short.returncode == 2 and "at least" in short.stderr


@pytest.mark.parametrize("value", ["0", "70000"])
def test_port_out_of_range(tmp_path: Path, value: str) -> None:
    result = mangxanh("run", cwd=tmp_path, env={"MANGXANH_PORT": value})
    assert result.returncode == 2 and "MANGXANH_PORT" in result.stderr


def test_rules_test_dry_runs_and_refuses_broken_files(tmp_path: Path) -> None:
    assert mangxanh("db", "upgrade", cwd=tmp_path).returncode == 0
    export = tmp_path / "e.jsonl"
    export.write_text('{"platform": "zalo", "external_id": "1", "text": "bọn bắc kỳ"}\n', encoding="utf-8")
    assert mangxanh("ingest", "file", str(export), cwd=tmp_path).returncode == 0
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - id: hate-up\n    when: {finding: {category: HATE_DISCRIM}}\n"
                     "    then: {priority_add: 20}\n", encoding="utf-8")
    result = mangxanh("rules", "test", str(rules), "--last", "5", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "item 1 (zalo:1): priority" in result.stdout
    assert "1 items checked with 1 rules: 1 would change." in result.stdout
    rules.write_text("rules:\n  - id: x\n    when: {finding: {category: NOPE}}\n    then: {priority: 1}\n",
                     encoding="utf-8")
    broken = mangxanh("rules", "test", str(rules), cwd=tmp_path)
    assert broken.returncode == 2 and "rules.yaml:2: unknown category «NOPE»" in broken.stderr


def test_analyze_json_has_a_verdict(tmp_path: Path) -> None:
    result = mangxanh("analyze", "--json", "bọn parky cút về quê", cwd=tmp_path)
    verdict = json.loads(result.stdout)["verdict"]
    assert set(verdict) >= {"category", "severity", "priority", "route", "trace"}
    assert verdict["category"] == "HATE_DISCRIM" and verdict["trace"][0]["step"] == "base"
    clean = mangxanh("analyze", "--json", "Chúc mọi người ngủ ngon", cwd=tmp_path)
    assert json.loads(clean.stdout) == {"findings": [], "verdict": None}


def test_model_evaluate_on_a_small_file_and_bad_columns(tmp_path: Path) -> None:
    data = tmp_path / "small.csv"
    data.write_text("free_text,label_id\nChúc mọi người vui vẻ,0\nđm thằng óc chó,1\nbọn bắc kỳ cút về quê,2\n",
                    encoding="utf-8")
    result = mangxanh("model", "evaluate", "--data", str(data), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert metrics["n"] == 3
    assert set(metrics) >= {"accuracy", "macro_f1", "binary_toxic_f1", "per_class", "confusion",
                            "comments_per_second", "ece"}
    wrong = mangxanh("model", "evaluate", "--data", str(data), "--text-column", "content", cwd=tmp_path)
    assert wrong.returncode == 2 and "content" in wrong.stderr
    spans = tmp_path / "spans.csv"
    spans.write_text('content,index_spans\n"đm mày","[0, 1]"\nXin chào,[]\n', encoding="utf-8")
    span_result = mangxanh("model", "evaluate-spans", "--data", str(spans), "--json", cwd=tmp_path)
    assert span_result.returncode == 0, span_result.stderr
    assert 0.0 <= json.loads(span_result.stdout)["span_f1"] <= 1.0


def test_ingest_csv_reports_bad_rows_and_refuses_a_wrong_header(tmp_path: Path) -> None:
    assert mangxanh("db", "upgrade", cwd=tmp_path).returncode == 0
    export = tmp_path / "comments.csv"
    export.write_text(
        "Comment ID,Video ID,Parent ID,Author,Text,Published At,Likes,Reply Count\n"
        "Ugx1,vid1,,Hoàng Yến,Video này nói đúng quá,2026-11-20T03:00:00Z,25,2\n"
        "Ugx2,vid1,,Đỗ Hùng,bọn parky cút về quê,2026-11-20T03:05:00Z,nhiều,0\n"
        "Ugx3,vid1,,Lan,bọn parky cút về quê,2026-11-20T03:06:00Z,1,0\n",
        encoding="utf-8",
    )
    result = mangxanh("ingest", "csv", str(export), "--layout", "youtube_comments", "--no-progress", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "comments.csv:3: skipped:" in result.stderr
    assert "3 lines: 2 added" in result.stdout and "1 skipped" in result.stdout and "1 new cases" in result.stdout
    wrong = mangxanh("ingest", "csv", str(export), "--layout", "facebook_posts", cwd=tmp_path)
    assert wrong.returncode == 2 and "facebook_posts" in wrong.stderr
    neither = mangxanh("ingest", "csv", str(export), cwd=tmp_path)
    assert neither.returncode == 2 and "--layout" in neither.stderr


def test_sources_add_list_pause_and_a_refused_fetch(tmp_path: Path) -> None:
    assert mangxanh("db", "upgrade", cwd=tmp_path).returncode == 0
    # Loopback is a private address: refused when the source is added, as a run would refuse it.
    private = mangxanh("sources", "add", "Báo Nội Bộ", "--kind", "rss", "--url", "http://127.0.0.1:9/rss",
                       "--every", "15", cwd=tmp_path)
    assert private.returncode == 2 and "127.0.0.1" in private.stderr and "Added" not in private.stdout
    bad = mangxanh("sources", "add", "X", "--kind", "rss", "--url", "ftp://x", cwd=tmp_path)
    assert bad.returncode == 2 and "http" in bad.stderr
    # A host that does not resolve now is accepted; its run fails, and the failure is kept on the source.
    added = mangxanh("sources", "add", "Báo Nội Bộ", "--kind", "rss", "--url", "http://bao-noi-bo.invalid/rss",
                     "--every", "15", cwd=tmp_path)
    assert added.returncode == 0 and "Added source 1" in added.stdout
    run = mangxanh("sources", "run", "1", cwd=tmp_path)
    assert run.returncode == 1 and "bao-noi-bo.invalid" in run.stderr
    assert mangxanh("sources", "pause", "1", cwd=tmp_path).returncode == 0
    listed = mangxanh("sources", "list", cwd=tmp_path)
    assert "paused" in listed.stdout and "Báo Nội Bộ" in listed.stdout and "bao-noi-bo.invalid" in listed.stdout
    missing = mangxanh("sources", "run", "42", cwd=tmp_path)
    assert missing.returncode == 2 and "42" in missing.stderr
