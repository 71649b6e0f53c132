"""`mangxanh evidence`: a package written, checked with the published key, and refused once changed."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from tests.test_cli import mangxanh


def test_a_package_is_written_checked_and_refused_once_changed(tmp_path: Path) -> None:
    assert mangxanh("db", "upgrade", cwd=tmp_path).returncode == 0
    export = tmp_path / "export.jsonl"
    export.write_text('{"platform": "facebook", "external_id": "2", "text": "bọn parky cút về quê"}\n',
                      encoding="utf-8")
    assert mangxanh("ingest", "file", str(export), cwd=tmp_path).returncode == 0
    for name, role in (("thu.ha", "analyst"), ("xem", "viewer")):
        assert mangxanh("user", "create", name, "--role", role, "--password-stdin", cwd=tmp_path,
                        stdin="một mật khẩu dài\n").returncode == 0
    package = tmp_path / "ho-so-1.zip"
    written = mangxanh("evidence", "package", "1", "-o", str(package), "--as", "thu.ha", cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert "case 1" in written.stdout and package.read_bytes().startswith(b"PK")
    again = mangxanh("evidence", "package", "1", "-o", str(package), "--as", "thu.ha", cwd=tmp_path)
    assert again.returncode == 2 and "exists" in again.stderr
    refused = mangxanh("evidence", "package", "1", "-o", str(tmp_path / "x.zip"), "--as", "xem", cwd=tmp_path)
    assert refused.returncode == 3 and not (tmp_path / "x.zip").exists()

    published = mangxanh("evidence", "public-key", cwd=tmp_path)
    assert published.returncode == 0 and published.stdout.startswith("-----BEGIN PUBLIC KEY-----")
    key_file = tmp_path / "khoa.pem"
    key_file.write_text(published.stdout.split("Fingerprint:")[0], encoding="ascii")
    fingerprint = published.stdout.split("Fingerprint:")[1].strip()
    checked = mangxanh("evidence", "verify", str(package), "--public-key", str(key_file), "--with-audit-key",
                       cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "Package intact: case 1" in checked.stdout and fingerprint in checked.stdout

    with zipfile.ZipFile(package) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, body in files.items():
            archive.writestr(name, body.replace("cút".encode(), "đi".encode()) if name.endswith(".txt") else body)
    changed = tmp_path / "changed.zip"
    changed.write_bytes(buffer.getvalue())
    bad = mangxanh("evidence", "verify", str(changed), cwd=tmp_path)
    assert bad.returncode == 1 and "Package NOT intact" in bad.stdout
    assert "its SHA-256 or size differs" in bad.stderr
    assert mangxanh("evidence", "verify", str(tmp_path / "nope.zip"), cwd=tmp_path).returncode == 2
