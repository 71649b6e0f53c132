"""Related cases (the same URL, author or campaign cluster) and merging a duplicate into its main case."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from mangxanh.core.workflow import TRANSITIONS, CaseStatus, apply_transition
from mangxanh.db import utcnow
from mangxanh.domains.accounts.models import Role, User
from mangxanh.domains.accounts.permissions import Action
from mangxanh.domains.audit.models import CaseEventKind
from mangxanh.domains.audit.service import record_event
from mangxanh.domains.cases.models import Case
from mangxanh.domains.cases.service import check_version
from mangxanh.domains.cases.work import access_case
from mangxanh.domains.content.models import StoredItem
from mangxanh.errors import InvalidInput

MAX_RELATED = 20
# The states a case may be merged from, as the state machine says.
MERGEABLE = TRANSITIONS["merge"].sources


@dataclass(frozen=True, slots=True)
class RelatedCase:
    case: Case
    reasons: tuple[str, ...]  # "url", "author", "cluster": what it shares with the case shown


def related_cases(session: Session, *, case: Case, user: User, limit: int = MAX_RELATED) -> list[RelatedCase]:
    """Other cases on the same URL, by the same author on the same platform, or in the same cluster.

    Newest first; a district officer sees those of their district only (as in the queue).
    """
    item = case.item
    shared = []
    if item.url:
        shared.append(StoredItem.url == item.url)
    if item.author_handle:
        shared.append((StoredItem.platform == item.platform) & (StoredItem.author_handle == item.author_handle))
    if item.cluster_id:
        shared.append(StoredItem.cluster_id == item.cluster_id)
    if not shared:
        return []
    # The items first (each condition has its index), then their cases (by item): never a scan of the cases.
    query = (select(Case).where(Case.item_id.in_(select(StoredItem.id).where(or_(*shared))), Case.id != case.id)
             .options(joinedload(Case.item)).order_by(Case.opened_at.desc(), Case.id.desc()).limit(limit))
    if user.role == Role.DISTRICT_OFFICER:
        query = query.where(Case.district == (user.district or "\x00"))
    found = []
    for other in session.scalars(query):
        reasons = tuple(reason for reason, same in (
            ("url", bool(item.url) and other.item.url == item.url),
            ("author", bool(item.author_handle) and other.item.platform == item.platform
             and other.item.author_handle == item.author_handle),
            ("cluster", bool(item.cluster_id) and other.item.cluster_id == item.cluster_id)) if same)
        found.append(RelatedCase(other, reasons))
    return found


def merge_duplicate(session: Session, *, case_id: int, into_id: int, actor: User,
                    expected_version: int | None = None) -> Case:
    """Close a case as a duplicate of a main case that stays open; both histories say so.

    The duplicate keeps its findings and history; its page and the queue point to the main case.
    A main case that is itself a duplicate is refused, naming the case it was merged into.
    """
    if case_id == into_id:
        raise InvalidInput("A case cannot be merged into itself.")
    duplicate = access_case(session, user=actor, case_id=case_id, need=Action.MERGE)
    check_version(duplicate, expected_version)
    main = access_case(session, user=actor, case_id=into_id, need=Action.MERGE)
    if main.duplicate_of_id is not None:
        raise InvalidInput("Case #{main} is itself merged into case #{root}: merge into #{root}.",
                           main=main.id, root=main.duplicate_of_id)
    if not CaseStatus(main.status).is_open:
        raise InvalidInput("Case #{main} is no longer open: a duplicate joins an open case.", main=main.id)
    target = apply_transition(CaseStatus(duplicate.status), "merge")
    before = {"status": duplicate.status}
    duplicate.status, duplicate.duplicate_of_id = target.value, main.id
    duplicate.updated_at = duplicate.closed_at = utcnow()
    session.flush()
    record_event(session, case_id=duplicate.id, kind=CaseEventKind.MERGED, actor=actor, before=before,
                 after={"status": duplicate.status, "transition": "merge", "into": main.id})
    record_event(session, case_id=main.id, kind=CaseEventKind.DUPLICATE_JOINED, actor=actor,
                 after={"duplicate": duplicate.id})
    return duplicate
