"""Fetch-and-authorise, and who works a case: claim, assign, unassign, its district.

Every entry point reaches a case through :func:`access_case`, which checks the permission table
and the district scope in one place, so no route can forget either. A refusal raises
:class:`~mangxanh.domains.accounts.permissions.PermissionRefused` with what was tried; the entry
point records it in the audit log in a transaction of its own (the refused one is rolled back).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from mangxanh.db import utcnow
from mangxanh.domains.accounts.models import Role, User
from mangxanh.domains.accounts.permissions import Action, PermissionRefused, require
from mangxanh.domains.audit.models import AuditKind, CaseEventKind
from mangxanh.domains.audit.service import access_stream, record_audit, record_event
from mangxanh.domains.cases.models import Case
from mangxanh.errors import InvalidInput, MangXanhError, NotFound

MAX_DISTRICT_CHARS = 100
# A rule routes a case to a district with the route "district:<name>".
DISTRICT_ROUTE = "district:"


def get_case(session: Session, *, case_id: int) -> Case:
    case = session.scalar(
        select(Case).where(Case.id == case_id)
        .options(joinedload(Case.item), selectinload(Case.findings), selectinload(Case.decisions))
    )
    if case is None:
        raise NotFound("Case {case_id} does not exist.", case_id=case_id)
    return case


def access_case(session: Session, *, user: User, case_id: int, need: Action = Action.VIEW_CASE) -> Case:
    """The case, once ``user`` may take ``need`` on it; PermissionRefused (or NotFound) otherwise."""
    case = get_case(session, case_id=case_id)
    try:
        require(user, need)
    except PermissionRefused as refused:
        refused.case_id = case.id
        raise
    if user.role == Role.DISTRICT_OFFICER and (not user.district or case.district != user.district):
        raise PermissionRefused("This case belongs to another district than yours ({district}).", user=user,
                                tried=need, case_id=case.id, district=user.district or "—")
    return case


def record_refusal(session: Session, refused: PermissionRefused, *, address: str | None = None) -> None:
    """Keep a refused action in the audit log: who tried what, on which case."""
    user = session.get(User, refused.user_id)
    stream = access_stream(refused.case_id) if refused.case_id is not None else f"user:{refused.user_id}"
    record_audit(session, kind=AuditKind.PERMISSION_REFUSED, stream=stream, actor=user, case_id=refused.case_id,
                 address=address, data={"action": refused.action.value, "reason": refused.message,
                                        "params": {k: str(v) for k, v in refused.params.items()}})


def record_rejected_request(session: Session, *, user: User, case_id: int, request: str, error: MangXanhError,
                            address: str | None = None) -> None:
    """Keep a request refused for what it said in the case's access log: who asked what, and why not."""
    record_audit(session, kind=AuditKind.REQUEST_REFUSED, stream=access_stream(case_id),
                 actor=session.get(User, user.id), case_id=case_id, address=address,
                 data={"request": request[:200], "kind": type(error).__name__, "reason": error.message,
                       "params": {k: str(v)[:200] for k, v in error.params.items()}})


def _colleague(session: Session, user_id: int) -> User:
    colleague = session.get(User, user_id)
    if colleague is None or not colleague.is_active:
        raise NotFound("No active account with number {id}.", id=user_id)
    if colleague.role not in (Role.SUPERVISOR, Role.ANALYST, Role.DISTRICT_OFFICER):
        raise InvalidInput("Cases are assigned to analysts, supervisors and district officers only.")
    return colleague


def _set_assignee(session: Session, case: Case, assignee: User | None, *, actor: User) -> Case:
    if case.assignee_id == (assignee.id if assignee else None):
        return case
    before = {"assignee_id": case.assignee_id}
    case.assignee_id = assignee.id if assignee else None
    case.updated_at = utcnow()
    session.flush()
    kind = CaseEventKind.ASSIGNED if assignee else CaseEventKind.UNASSIGNED
    record_event(session, case_id=case.id, kind=kind, actor=actor, before=before,
                 after={"assignee_id": case.assignee_id, "assignee": assignee.display_name if assignee else None})
    return case


def claim(session: Session, *, user: User, case_id: int) -> Case:
    """Take a case: it is now the user's."""
    case = access_case(session, user=user, case_id=case_id, need=Action.CLAIM)
    return _set_assignee(session, case, user, actor=user)


def assign(session: Session, *, user: User, case_id: int, assignee_id: int) -> Case:
    """Hand a case to a colleague (who must be able to see it)."""
    case = access_case(session, user=user, case_id=case_id, need=Action.ASSIGN)
    colleague = _colleague(session, assignee_id)
    if colleague.role == Role.DISTRICT_OFFICER and colleague.district != case.district:
        raise InvalidInput("{name} works in another district than this case's.", name=colleague.display_name)
    return _set_assignee(session, case, colleague, actor=user)


def unassign(session: Session, *, user: User, case_id: int) -> Case:
    """Give a case back to the queue; only a supervisor may take it from someone else."""
    case = access_case(session, user=user, case_id=case_id, need=Action.UNASSIGN)
    if case.assignee_id not in (None, user.id):
        access_case(session, user=user, case_id=case_id, need=Action.ASSIGN)
    return _set_assignee(session, case, None, actor=user)


def set_district(session: Session, *, user: User, case_id: int, district: str) -> Case:
    """Route a case to a district by hand (its officers then see and handle it); empty clears it."""
    case = access_case(session, user=user, case_id=case_id, need=Action.SET_DISTRICT)
    district = " ".join(district.split())
    if len(district) > MAX_DISTRICT_CHARS:
        raise InvalidInput("A district name has at most {n} characters.", n=MAX_DISTRICT_CHARS)
    if (case.district or "") == district:
        return case
    before = {"district": case.district}
    case.district = district or None
    case.updated_at = utcnow()
    session.flush()
    record_event(session, case_id=case.id, kind=CaseEventKind.DISTRICT_SET, actor=user, before=before,
                 after={"district": case.district})
    return case


def district_of_route(route: str | None) -> str | None:
    """The district a rule's route names ("district:Hoàn Kiếm"), if it names one."""
    if route and route.startswith(DISTRICT_ROUTE):
        return route[len(DISTRICT_ROUTE):].strip()[:MAX_DISTRICT_CHARS] or None
    return None


def colleagues(session: Session) -> list[User]:
    """The staff a case can be handed to, by name."""
    return list(session.scalars(select(User).where(
        User.is_active.is_(True), User.role.in_([Role.SUPERVISOR.value, Role.ANALYST.value,
                                                  Role.DISTRICT_OFFICER.value])).order_by(User.display_name)))


def districts(session: Session) -> list[str]:
    """The districts cases and officers are in, for the console's choices."""
    names = set(session.scalars(select(Case.district).where(Case.district.is_not(None)).distinct()))
    names |= set(session.scalars(select(User.district).where(User.district.is_not(None)).distinct()))
    return sorted(name for name in names if name)
