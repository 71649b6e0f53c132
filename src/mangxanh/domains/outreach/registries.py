"""Editing the registries the detectors read: the state bodies' official channels and the corrections.

The same mechanism as the rules (domains/rulebook): a new text is checked in full before it is
saved, and a broken one is refused with its line and reason while the registry in force stays; it
can be tried on recent items first; versions are append-only, the shipped file is version 0. Every
process asks for the versions in force at the start of each batch (apply_registries), so a saved
version reaches the web app, import commands and workers without a restart.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from threading import Lock
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from mangxanh.core.analysis.detectors.false_info import CORRECTIONS_FILE, Correction, Corrections, parse_corrections
from mangxanh.core.analysis.detectors.impersonation import AGENCIES_FILE, parse_registry
from mangxanh.core.analysis.pipeline import Pipeline
from mangxanh.core.analysis.types import msgid
from mangxanh.domains.accounts.models import User
from mangxanh.domains.audit.models import AuditKind
from mangxanh.domains.audit.service import SYSTEM_STREAM, record_audit
from mangxanh.domains.outreach.models import CorrectionScan, RegistryVersion
from mangxanh.errors import ConfigurationError, InvalidInput, NotFound

log = logging.getLogger(__name__)
MAX_REGISTRY_CHARS = 500_000
SHIPPED = 0
_DETECTORS_PACKAGE = "mangxanh.core.analysis.detectors"


@dataclass(frozen=True)
class RegistryKind:
    """A registry: its name in addresses, the database and its detector's ``registry_name``; its file."""

    name: str
    title: str  # a msgid
    filename: str
    entries: str  # the top-level key listing the entries
    parse: Callable[..., Any]


REGISTRIES = {
    "agencies": RegistryKind("agencies", msgid("Official channels of state bodies"), AGENCIES_FILE, "agencies",
                             parse_registry),
    "corrections": RegistryKind("corrections", msgid("Official corrections"), CORRECTIONS_FILE, "corrections",
                                parse_corrections),
}


def registry_kind(name: str) -> RegistryKind:
    kind = REGISTRIES.get(name)
    if kind is None:
        raise NotFound("No registry named {name}.", name=name)
    return kind


def shipped_text(kind: RegistryKind) -> str:
    return resources.files(_DETECTORS_PACKAGE).joinpath(kind.filename).read_text(encoding="utf-8")


def registry_in_force(session: Session, kind: RegistryKind) -> tuple[int, str]:
    """The latest saved version of the registry and its text, or the shipped file (version 0)."""
    latest = session.scalars(select(RegistryVersion).where(RegistryVersion.registry_name == kind.name)
                             .order_by(RegistryVersion.id.desc()).limit(1)).first()
    return (latest.id, latest.text) if latest else (SHIPPED, shipped_text(kind))


def registry_versions(session: Session, kind: RegistryKind, *, limit: int = 20) -> list[RegistryVersion]:
    return list(session.scalars(select(RegistryVersion).options(joinedload(RegistryVersion.author))
                                .where(RegistryVersion.registry_name == kind.name)
                                .order_by(RegistryVersion.id.desc()).limit(limit)))


def get_registry_version(session: Session, kind: RegistryKind, version_id: int
                         ) -> tuple[int, str, RegistryVersion | None]:
    """A saved version of this registry (0: as shipped): its number, its text and its row."""
    if version_id == SHIPPED:
        return SHIPPED, shipped_text(kind), None
    version = session.get(RegistryVersion, version_id)
    if version is None or version.registry_name != kind.name:
        raise NotFound("No version {n} of this registry.", n=version_id)
    return version.id, version.text, version


_ENTRY = re.compile(r"\b(?:agency|correction) (\d+)(?: \(([^)]*)\))?(?:: (.*))?")


def _entry_line(text: str, kind: RegistryKind, index: int) -> int:
    """The line where the registry's ``index``-th entry (from 1) begins, or 0 when it cannot be told."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return 0
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == kind.entries and isinstance(value, yaml.SequenceNode) and 0 < index <= len(value.value):
                return int(value.value[index - 1].start_mark.line) + 1
    return 0


def _key_line(text: str, key: str) -> int:
    match = re.search(rf"^{re.escape(key)}\s*:", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 0


def _refusal(text: str, kind: RegistryKind, exc: ConfigurationError) -> InvalidInput:
    """The check's complaint as the editor reads it: the line, the entry and what is wrong."""
    label = str(exc.params.get("label") or exc.params.get("where") or "")
    entry = _ENTRY.search(label)
    if entry:
        line = _entry_line(text, kind, int(entry.group(1)))
        place = " · ".join(p for p in (entry.group(2), entry.group(3)) if p) or entry.group(1)
    else:
        quoted = re.search(r"'(\w+)'", exc.message)
        line, place = (_key_line(text, quoted.group(1)) if quoted else 0), label.split(": ", 1)[-1]
    # The check's own message, its place given as the editor finds it ("HN-2026-102 · keywords").
    reason = InvalidInput(exc.message, **{**exc.params, "label": place, "where": place})
    if line:
        return InvalidInput("The registry was not saved; the one in force is unchanged. Line {line}, {reason}",
                            line=line, reason=reason)
    return InvalidInput("The registry was not saved; the one in force is unchanged. {reason}", reason=reason)


def check_registry(kind: RegistryKind, text: str) -> Any:
    """Parse a proposed text as the detector would; InvalidInput names the line and the reason."""
    if len(text) > MAX_REGISTRY_CHARS:
        raise InvalidInput("The registry's text is longer than {n} characters.", n=MAX_REGISTRY_CHARS)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        # PyYAML's own wording is English: the place is said, with what to check (as for the rules).
        mark = getattr(exc, "problem_mark", None)
        raise InvalidInput("The registry was not saved; the one in force is unchanged. Line {line}, {reason}",
                           line=mark.line + 1 if mark else 0,
                           reason=InvalidInput("not valid YAML at column {column}: check the brackets, colons, "
                                               "quotes and indentation", column=mark.column + 1 if mark else 0)
                           ) from None
    try:
        return kind.parse(data, where="registry")
    except ConfigurationError as exc:
        raise _refusal(text, kind, exc) from None


def save_registry(session: Session, *, kind: RegistryKind, text: str, author: User | None, note: str = ""
                  ) -> RegistryVersion:
    """Save a new version: it must parse, say why it was saved, and differ from the version in force."""
    text = text.replace("\r\n", "\n")
    proposed = check_registry(kind, text)
    if not note.strip():
        raise InvalidInput("Say what changed and why: the note is required to save the registry.")
    in_force, current = registry_in_force(session, kind)
    if text.strip() == current.replace("\r\n", "\n").strip():
        raise InvalidInput("This text is the registry in force (version {n}): nothing was saved.", n=in_force)
    version = RegistryVersion(registry_name=kind.name, text=text, note=note.strip()[:500],
                              author_id=author.id if author else None)
    session.add(version)
    session.flush()
    if kind.name == "corrections":
        # The rumours already stored are looked for too, not only those to come (domains/outreach/corrections).
        changed = changed_corrections(kind.parse(yaml.safe_load(current), where="in force"), proposed)
        if changed:
            session.add(CorrectionScan(version_id=version.id, corrections=changed))
    record_audit(session, kind=AuditKind.REGISTRY_SAVED, stream=SYSTEM_STREAM, actor=author,
                 subject=f"{kind.name}:{version.id}", data={"note": version.note})
    return version


def parse_version(kind: RegistryKind, version: RegistryVersion) -> Any:
    """A saved version as its detector reads it; its findings name the saved version ("2026.11+r7")."""
    parsed = kind.parse(yaml.safe_load(version.text), where=f"{kind.name} version {version.id}")
    return dataclasses.replace(parsed, version=f"{parsed.version}+r{version.id}")


def changed_corrections(before: Corrections, after: Corrections) -> list[str]:
    """The ids of the corrections ``after`` adds, or whose claim, keywords or denials it changes."""
    def matching(entry: Correction) -> tuple[object, ...]:
        return (entry.claim, tuple(k.pattern for k in entry.keywords),
                entry.denials.pattern if entry.denials else None, entry.url)

    known = {entry.id: matching(entry) for entry in before.entries}
    same_terms = (before.shorthand, before.stop, before.denials.pattern) == (after.shorthand, after.stop,
                                                                              after.denials.pattern)
    return [entry.id for entry in after.entries if not same_terms or known.get(entry.id) != matching(entry)]


class RegistryCache:
    """Puts the registries in force into a process's detectors, parsing a text only when it changed."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._applied: weakref.WeakKeyDictionary[Pipeline, dict[str, tuple[object, ...]]] = weakref.WeakKeyDictionary()
        self._shipped: dict[str, Any] = {}

    def apply(self, session: Session, pipeline: Pipeline) -> None:
        readers = {getattr(d, "registry_name", None): d for d in pipeline.detectors}
        newest = select(func.max(RegistryVersion.id)).group_by(RegistryVersion.registry_name)
        latest = {name: (version_id, saved) for name, version_id, saved in session.execute(
            select(RegistryVersion.registry_name, RegistryVersion.id, RegistryVersion.created_at)
            .where(RegistryVersion.id.in_(newest)))}
        url = str(session.get_bind().engine.url)
        with self._lock:
            for name, kind in REGISTRIES.items():
                detector = readers.get(name)
                if detector is None:
                    continue
                # The database and the save time are part of the key: ids alone repeat across databases.
                version_id, saved = latest.get(name, (None, None))
                key = (url, version_id, saved)
                applied = self._applied.setdefault(pipeline, {})
                if applied.get(name) == key:
                    continue
                detector.use_registry(self._parsed(session, kind, version_id))  # type: ignore[attr-defined]
                applied[name] = key

    def _parsed(self, session: Session, kind: RegistryKind, version_id: int | None) -> Any:
        if version_id is not None:
            try:
                return parse_version(kind, session.get_one(RegistryVersion, version_id))
            except (ConfigurationError, yaml.YAMLError):
                # Saved texts were checked; only a change of the checks since can make one fail.
                log.exception("%s version %s no longer loads; using the shipped registry", kind.name, version_id)
        if kind.name not in self._shipped:
            self._shipped[kind.name] = kind.parse(yaml.safe_load(shipped_text(kind)), where=kind.filename)
        return self._shipped[kind.name]


_shared = RegistryCache()


def apply_registries(session: Session, pipeline: Pipeline) -> None:
    """Give the pipeline's detectors the registries in force (one query when nothing changed)."""
    _shared.apply(session, pipeline)
