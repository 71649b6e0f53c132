"""Editing the rules while the platform runs.

A new text is parsed and checked in full before it is saved; a broken one is refused with its
line and reason and the rules in force stay as they were. Every process (the web app, import
commands, workers) asks for the rules in force at the start of each batch, so a saved version
reaches all of them without a restart; parsing happens only when the version changed.
"""

from __future__ import annotations

import difflib
import logging
from importlib import resources
from threading import Lock

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from mangxanh.core.rules import RuleSet
from mangxanh.core.rules.loader import RULES_FILE, RuleProblem, parse_rules
from mangxanh.core.taxonomy import Taxonomy
from mangxanh.domains.accounts.models import User
from mangxanh.domains.audit.models import AuditKind
from mangxanh.domains.audit.service import SYSTEM_STREAM, record_audit
from mangxanh.domains.rulebook.models import RulesVersion
from mangxanh.errors import ConfigurationError, InvalidInput, NotFound

log = logging.getLogger(__name__)
MAX_RULES_CHARS = 200_000
SHIPPED = 0  # the version number of the rules file that ships with the platform


def shipped_text() -> str:
    return resources.files("mangxanh.core.rules").joinpath(RULES_FILE).read_text(encoding="utf-8")


def rules_in_force(session: Session) -> tuple[int, str]:
    """The latest saved version and its text, or the shipped file (version 0)."""
    latest = session.scalars(select(RulesVersion).order_by(RulesVersion.id.desc()).limit(1)).first()
    return (latest.id, latest.text) if latest else (SHIPPED, shipped_text())


def versions(session: Session, *, limit: int = 20) -> list[RulesVersion]:
    return list(session.scalars(select(RulesVersion).options(joinedload(RulesVersion.author))
                                .order_by(RulesVersion.id.desc()).limit(limit)))


def check_rules(text: str, taxonomy: Taxonomy) -> RuleSet:
    """Parse a proposed text; InvalidInput names the line and the reason."""
    if len(text) > MAX_RULES_CHARS:
        raise InvalidInput("The rules text is longer than {n} characters.", n=MAX_RULES_CHARS)
    try:
        return parse_rules(text, taxonomy=taxonomy, where="rules")
    except ConfigurationError as exc:
        if isinstance(exc.params.get("reason"), RuleProblem):
            raise InvalidInput("The rules were not saved; the rules in force are unchanged. Line {line}: {reason}",
                               line=exc.params.get("line", 0), reason=exc.params["reason"]) from None
        raise InvalidInput("The rules were not saved; the rules in force are unchanged. {problem}",
                           problem=str(exc)) from None


def get_version(session: Session, version_id: int) -> tuple[int, str, RulesVersion | None]:
    """A saved version (0: the rules as shipped): its number, its text, and its row."""
    if version_id == SHIPPED:
        return SHIPPED, shipped_text(), None
    version = session.get(RulesVersion, version_id)
    if version is None:
        raise NotFound("No rules version {n}.", n=version_id)
    return version.id, version.text, version


def diff_lines(old: str, new: str, *, old_name: str, new_name: str) -> list[tuple[str, str]]:
    """The unified diff of two rules texts, as (kind, line): kind is "add", "remove", "hunk" or "same"."""
    lines = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), old_name, new_name, lineterm="", n=3):
        kind = ("hunk" if line.startswith("@@") else "file" if line.startswith(("---", "+++"))
                else "add" if line.startswith("+") else "remove" if line.startswith("-") else "same")
        lines.append((kind, line))
    return lines


def save_rules(session: Session, *, text: str, taxonomy: Taxonomy, author: User | None, note: str = ""
               ) -> RulesVersion:
    """Save a new version: it must parse, say why it was saved, and differ from the rules in force."""
    text = text.replace("\r\n", "\n")
    check_rules(text, taxonomy)
    if not note.strip():
        raise InvalidInput("Say what changed and why: the note is required to save the rules.")
    in_force, current = rules_in_force(session)
    if text.strip() == current.replace("\r\n", "\n").strip():
        raise InvalidInput("This text is the rules in force (version {n}): nothing was saved.", n=in_force)
    version = RulesVersion(text=text, note=note.strip()[:500], author_id=author.id if author else None)
    session.add(version)
    session.flush()
    record_audit(session, kind=AuditKind.RULES_SAVED, stream=SYSTEM_STREAM, actor=author,
                 subject=f"rules:{version.id}", data={"note": version.note})
    return version


class RulesCache:
    """The parsed rules of the version in force, re-parsed only when a newer version is saved."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._key: tuple[object, ...] | None = None
        self._rules: RuleSet | None = None

    def current(self, session: Session, *, taxonomy: Taxonomy, fallback: RuleSet) -> RuleSet:
        """The rules in force; ``fallback`` (the rules this process started with) when none was saved."""
        newest = select(RulesVersion.id, RulesVersion.created_at).order_by(RulesVersion.id.desc()).limit(1)
        latest = session.execute(newest).first()
        if latest is None:
            return fallback
        # The database and the save time are part of the key: ids alone repeat across databases.
        key = (str(session.get_bind().engine.url), latest.id, latest.created_at)
        with self._lock:
            if key != self._key:
                try:
                    text = session.get_one(RulesVersion, latest.id).text
                    self._rules = parse_rules(text, taxonomy=taxonomy, where=f"rules version {latest.id}")
                except ConfigurationError:
                    # Saved texts were checked; this happens only if the taxonomy changed since. Keep
                    # the rules already in use rather than stop ingestion.
                    log.exception("rules version %s no longer loads; keeping the rules in use", latest.id)
                    self._rules = fallback
                self._key = key
            return self._rules or fallback


_shared = RulesCache()


def current_rules(session: Session, *, taxonomy: Taxonomy, fallback: RuleSet) -> RuleSet:
    """The rules in force for this process, cached until a newer version is saved."""
    return _shared.current(session, taxonomy=taxonomy, fallback=fallback)
