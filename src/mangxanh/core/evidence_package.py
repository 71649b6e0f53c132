"""An evidence package, checked with nothing but the ZIP (and, to know who signed it, a public key).

The package (built by domains.evidence.package) holds a case's captures, the letters sent on it,
its decisions and its history with the hash chain, and ``manifest.json`` listing every file with
its SHA-256 and size, signed with the department's Ed25519 key in ``manifest.sig``. Checking it:

1. the signature over ``manifest.json`` holds under the key it names (and is the expected key,
   when one is given: a key inside the package proves integrity, not origin);
2. every file listed is there with its size and SHA-256, and nothing else is;
3. the history is one unbroken chain: numbered 1, 2, …, each event naming the digest of the one
   before, ending at the head the manifest states (with the department's audit key, each digest
   is also recomputed; without it, the signed manifest vouches for the digests);
4. every capture the history rests on is in the package with the digest the history recorded,
   its text and HTML files agree with it; every letter the history says was sent is there with
   the SHA-256 recorded when it was sent.

Problems are English msgids with parameters, translated where they are shown.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from mangxanh.core.analysis.types import msgid
from mangxanh.core.evidence import chain_digest, document_bytes, sha256_hex

PACKAGE_FORMAT = "mangxanh-evidence/1"
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
HISTORY = "history.json"
GENESIS = "0" * 64
# A package is read into memory to be checked; refuse what no case's evidence could weigh.
MAX_PACKAGE_BYTES = 2 * 1024**3
MAX_FILES = 20_000


def signing_key(secret: bytes) -> Ed25519PrivateKey:
    """The department's signing key, derived from its secret (configured, or generated once)."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"mangxanh-evidence-key:" + secret).digest())


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint(key: Ed25519PublicKey) -> str:
    """What a department publishes so that a court can tell its key: SHA-256 of the raw key, grouped."""
    hexed = hashlib.sha256(public_bytes(key)).hexdigest()[:32].upper()
    return ":".join(hexed[i:i + 4] for i in range(0, 32, 4))


def load_public_key(data: bytes) -> Ed25519PublicKey:
    """A public key as PEM, or as the 64 hex digits of its raw bytes."""
    text = data.strip()
    try:
        if text.startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(text)
            if isinstance(key, Ed25519PublicKey):
                return key
            raise ValueError("not an Ed25519 key")
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text.decode("ascii")))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"Not an Ed25519 public key (PEM or 64 hex digits): {exc}") from None


@dataclass
class PackageReport:
    """What checking a package found: the facts it states, and each problem (msgid, parameters)."""

    facts: dict[str, Any] = field(default_factory=dict)
    problems: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, what: str, **params: Any) -> None:
        self.problems.append((what, params))

    def describe(self, translate: Any = str) -> list[str]:
        return [translate(what).format(**params) for what, params in self.problems]


def verify_package(data: bytes, *, expected_key: Ed25519PublicKey | None = None,
                   audit_key: bytes | None = None) -> PackageReport:
    """Check an evidence package (the ZIP's bytes) as described above; never raises on bad content."""
    report = PackageReport()
    if len(data) > MAX_PACKAGE_BYTES:
        report.add(msgid("The package is larger than {n} bytes."), n=MAX_PACKAGE_BYTES)
        return report
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
        if len(infos) > MAX_FILES:
            report.add(msgid("The package holds more than {n} files."), n=MAX_FILES)
            return report
        files = {info.filename: archive.read(info) for info in infos if not info.is_dir()}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        report.add(msgid("This is not a readable ZIP file: {error}"), error=str(exc))
        return report
    manifest = _signed_manifest(files, report, expected_key)
    if manifest is None:
        return report
    _check_files(files, manifest, report)
    if not report.ok:
        return report
    history = _load_json(files, HISTORY, report)
    if isinstance(history, dict):
        _check_history(history, manifest, report, audit_key)
        _check_bindings(history, manifest, files, report)
    return report


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[dict[str, Any]]:
    """The objects of a JSON list (a package is untrusted: anything else counts as nothing)."""
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []


def _load_json(files: Mapping[str, bytes], name: str, report: PackageReport) -> Any:
    try:
        return json.loads(files[name].decode("utf-8"))
    except KeyError:
        report.add(msgid("{file} is missing from the package."), file=name)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        report.add(msgid("{file} is not valid JSON: {error}"), file=name, error=str(exc))
    return None


def _signed_manifest(files: Mapping[str, bytes], report: PackageReport, expected: Ed25519PublicKey | None
                     ) -> dict[str, Any] | None:
    manifest = _load_json(files, MANIFEST, report)
    if not isinstance(manifest, dict) or manifest.get("format") != PACKAGE_FORMAT:
        if report.ok:
            report.add(msgid("{file} is not a manifest of format {format}."), file=MANIFEST, format=PACKAGE_FORMAT)
        return None
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(manifest["signing_key"]["public_key"]))
    except (KeyError, TypeError, ValueError):
        report.add(msgid("The manifest does not name a valid signing key."))
        return None
    report.facts |= {"case_id": _dict(manifest.get("case")).get("id"), "issuer": manifest.get("issuer"),
                     "created_at": manifest.get("created_at"), "fingerprint": fingerprint(key)}
    if expected is not None and public_bytes(expected) != public_bytes(key):
        report.add(msgid("It is signed with key {found}, not with the expected key {expected}."),
                   found=fingerprint(key), expected=fingerprint(expected))
        return None
    try:
        key.verify(files.get(SIGNATURE, b""), files[MANIFEST])
    except InvalidSignature:
        report.add(msgid("The manifest's signature does not hold: the manifest was changed or not signed "
                         "with this key."))
        return None
    return manifest


def _check_files(files: Mapping[str, bytes], manifest: Mapping[str, Any], report: PackageReport) -> None:
    listed = {entry["path"]: entry for entry in _dicts(manifest.get("files")) if isinstance(entry.get("path"), str)}
    for path, entry in sorted(listed.items()):
        body = files.get(path)
        if body is None:
            report.add(msgid("{file} is listed in the manifest but missing from the package."), file=path)
        elif len(body) != entry.get("bytes") or not hmac.compare_digest(sha256_hex(body), str(entry.get("sha256"))):
            report.add(msgid("{file} is not the file that was packed: its SHA-256 or size differs."), file=path)
    for path in sorted(set(files) - set(listed) - {MANIFEST, SIGNATURE}):
        report.add(msgid("{file} is in the package but not in the manifest."), file=path)
    report.facts["files"] = len(listed)


def _check_history(history: Mapping[str, Any], manifest: Mapping[str, Any], report: PackageReport,
                   audit_key: bytes | None) -> None:
    events = _dicts(history.get("events"))
    prev = GENESIS
    for position, event in enumerate(events, start=1):
        if event.get("seq") != position:
            report.add(msgid("History: an event is missing before event {seq}, or it was renumbered."),
                       seq=event.get("seq"))
            return
        if event.get("prev_hash") != prev:
            report.add(msgid("History: event {seq} does not link to the event before it."), seq=position)
            return
        if audit_key is not None:
            fields = {name: event.get(name) for name in ("seq", "actor_id", "kind", "before", "after", "note",
                                                         "created_at")} | {"case_id": history.get("case_id")}
            version = event.get("hash_version")
            if version not in (1, 2) or not hmac.compare_digest(
                    chain_digest(prev, fields, key=audit_key, version=version), str(event.get("hash"))):
                report.add(msgid("History: event {seq} does not match its signature under the audit key."),
                           seq=position)
                return
        prev = str(event.get("hash"))
    head = _dict(manifest.get("history"))
    if head.get("events") != len(events) or head.get("head") != (prev if events else None):
        report.add(msgid("History: it does not end at the head the manifest states."))
    report.facts |= {"events": len(events), "digests_recomputed": audit_key is not None}


def _check_bindings(history: Mapping[str, Any], manifest: Mapping[str, Any], files: Mapping[str, bytes],
                    report: PackageReport) -> None:
    captures = {c.get("id"): c for c in _dicts(manifest.get("captures"))}
    letters = {entry.get("id"): entry for entry in _dicts(manifest.get("letters"))}
    for event in _dicts(history.get("events")):
        after = _dict(event.get("after"))
        if isinstance(after.get("capture_id"), int):
            capture = captures.get(after["capture_id"])
            if capture is None or str(capture.get("file")) not in files:
                report.add(msgid("History: event {seq} rests on capture {id}, which is not in the package."),
                           seq=event.get("seq"), id=after["capture_id"])
            elif not hmac.compare_digest(sha256_hex(files[capture["file"]]), str(after.get("capture_sha256"))):
                report.add(msgid("{file} is not what event {seq} of the history recorded."),
                           file=capture["file"], seq=event.get("seq"))
        if event.get("kind") == "action_sent" and isinstance(after.get("letter_id"), int):
            letter = letters.get(after["letter_id"])
            recorded = (after.get("pdf_sha256"), after.get("docx_sha256"))
            if letter is None or any(str(letter.get(k)) not in files for k in ("pdf", "docx")):
                report.add(msgid("History: event {seq} sent letter {id}, which is not in the package."),
                           seq=event.get("seq"), id=after["letter_id"])
            elif (sha256_hex(files[letter["pdf"]]), sha256_hex(files[letter["docx"]])) != recorded:
                report.add(msgid("Letter {number} is not the one event {seq} of the history says was sent."),
                           number=letter.get("number"), seq=event.get("seq"))
    for capture in captures.values():
        _check_capture_files(capture, files, report)
    report.facts |= {"captures": len(captures), "letters": len(letters)}


def _check_capture_files(capture: Mapping[str, Any], files: Mapping[str, bytes], report: PackageReport) -> None:
    """A capture's .txt and .html beside its JSON say the same as the JSON (the one that is hashed)."""
    try:
        document = json.loads(files[capture["file"]])
    except (KeyError, TypeError, ValueError):
        document = None
    if not isinstance(document, dict):
        report.add(msgid("{file} is missing or is not a capture."), file=str(capture.get("file")))
        return
    if document_bytes(document) != files[capture["file"]]:
        report.add(msgid("{file} is not in canonical form."), file=capture["file"])
    elif not hmac.compare_digest(sha256_hex(files[capture["file"]]), str(capture.get("sha256"))):
        report.add(msgid("{file} does not hash to the digest written when it was captured."), file=capture["file"])
    text = files.get(str(capture.get("text_file")))
    if text is not None and text.decode("utf-8", "replace") != document.get("text"):
        report.add(msgid("{file} does not hold the capture's text."), file=capture["text_file"])
    html = files.get(str(capture.get("html_file")))
    if (html is None) != (document.get("html_sha256") is None) or (
            html is not None and sha256_hex(html) != document.get("html_sha256")):
        report.add(msgid("The HTML of {file} is missing or is not the page that was captured."), file=capture["file"])
