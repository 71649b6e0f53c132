"""The contests in the staff console: teachers' and organisers' contests, their results, the question bank.

A teacher sees and creates contests for their own classes; an education officer creates public
contests too, keeps the question bank (XLSX in and out) and reads every contest's roll-up by
school and district.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from mangxanh.domains.accounts.models import User
from mangxanh.domains.accounts.permissions import Action, allowed
from mangxanh.domains.education.contests import bank, ranking
from mangxanh.domains.education.contests import service as contests
from mangxanh.domains.education.contests.models import ContestKind, Participant, Question, Topic
from mangxanh.domains.education.contests.results import results_xlsx
from mangxanh.domains.education.library import shipped_library
from mangxanh.errors import InvalidInput, MangXanhError
from mangxanh.i18n import LOCAL_TZ
from mangxanh.i18n import gettext as _
from mangxanh.web.deps import DbSession, check_csrf, permitted, render, web_session
from mangxanh.web.labels import error_message

router = APIRouter()
RUNNER = Depends(permitted(Action.RUN_CONTESTS))
BANK_KEEPER = Depends(permitted(Action.MANAGE_QUESTIONS))
ROUND_ROWS = 3
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LOCAL_INPUT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


def topic_labels() -> dict[str, str]:
    return {t.value: _(bank.TOPIC_NAMES[t]) for t in Topic}


@router.get("/cuoc-thi", response_class=HTMLResponse)
def contests_page(*, request: Request, user: User = RUNNER, session: DbSession) -> Response:
    return render(request, "console/contests.html", {
        "user": user, "contests": contests.contests_of(session, user=user),
        "keeps_bank": allowed(user, Action.MANAGE_QUESTIONS)})


def _form_page(request: Request, session: Session, user: User, *, form: dict[str, Any], error: str | None = None,
               status_code: int = 200) -> Response:
    counts = {topic: n for topic, n in session.execute(
        select(Question.topic, func.count()).where(Question.active.is_(True)).group_by(Question.topic))}
    return render(request, "console/contest_new.html", {
        "user": user, "form": form, "error": error, "topics": topic_labels(), "counts": counts,
        "public_allowed": allowed(user, Action.MANAGE_QUESTIONS), "rows": range(ROUND_ROWS)}, status_code=status_code)


@router.get("/cuoc-thi/moi", response_class=HTMLResponse)
def new_contest_page(*, request: Request, user: User = RUNNER, session: DbSession) -> Response:
    return _form_page(request, session, user, form={"kind": ContestKind.CLASS.value, "minutes": ["20"] * ROUND_ROWS,
                                                    "questions": ["20"] * ROUND_ROWS})


def _local(value: str, label: str) -> datetime:
    try:
        return datetime.strptime(value.strip(), LOCAL_INPUT).replace(tzinfo=LOCAL_TZ).astimezone(UTC)
    except ValueError:
        raise InvalidInput("{field}: enter a date and a time.", field=label) from None


def _whole(value: str, label: str) -> int:
    if not value.strip().isdigit() or len(value.strip()) > 7:
        raise InvalidInput("{field}: enter a whole number.", field=label)
    return int(value)


def _minutes(value: str, label: str) -> int:
    """Minutes as people write them ("20", "1,5"), in seconds."""
    text = value.strip().replace(",", ".")
    try:
        minutes = float(text) if len(text) <= 7 else -1.0
    except ValueError:
        minutes = -1.0
    if not minutes > 0:
        raise InvalidInput("{field}: enter the minutes allowed, such as 20 or 1,5.", field=label)
    return round(minutes * 60)


def plan_from_form(form: dict[str, Any]) -> contests.ContestPlan:
    """What the creation form says, as a plan for the service (which checks the rest)."""
    rounds: list[contests.RoundPlan] = []
    for i in range(ROUND_ROWS):
        opens, closes = form["opens"][i], form["closes"][i]
        if not opens.strip() and not closes.strip():
            continue
        label = _("Round %(n)s") % {"n": len(rounds) + 1}
        rounds.append(contests.RoundPlan(opens_at=_local(opens, label), closes_at=_local(closes, label),
                                         duration_s=_minutes(form["minutes"][i], label),
                                         question_count=_whole(form["questions"][i], label)))
    kind = ContestKind.PUBLIC if form["kind"] == ContestKind.PUBLIC.value else ContestKind.CLASS
    units: tuple[contests.UnitPlan, ...]
    if kind == ContestKind.CLASS:
        units = (contests.UnitPlan(district=form["district"], name=form["school"]),)
    else:
        units = tuple(_unit_line(line, number) for number, line in enumerate(form["units"].splitlines(), start=1)
                      if line.strip())
    return contests.ContestPlan(title=form["title"], description=form["description"], kind=kind,
                                rounds=tuple(rounds), units=units, topics=tuple(form["topics"]),
                                classes=tuple(form["classes"].splitlines()) if kind == ContestKind.CLASS else ())


def _unit_line(line: str, number: int) -> contests.UnitPlan:
    parts = [p.strip() for p in line.split("|")]
    if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] and not parts[2].isdigit()):
        raise InvalidInput("Line {number} of the units: write “district | school or unit | head count”.",
                           number=number)
    return contests.UnitPlan(district=parts[0], name=parts[1],
                             enrolment=int(parts[2]) if len(parts) == 3 and parts[2] else None)


@router.post("/cuoc-thi/moi", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
async def create_contest(*, request: Request, user: User = RUNNER, session: DbSession) -> Response:
    raw = await request.form()

    def one(name: str, limit: int = 200_000) -> str:
        value = raw.get(name)
        return value[:limit] if isinstance(value, str) else ""

    def many(name: str) -> list[str]:
        values = [v[:100] for v in raw.getlist(name) if isinstance(v, str)]
        return (values + [""] * ROUND_ROWS)[:ROUND_ROWS]

    form = {"title": one("title", 400), "description": one("description", 4000), "kind": one("kind", 16),
            "school": one("school", 400), "district": one("district", 200), "classes": one("classes", 8000),
            "units": one("units"), "topics": [t for t in raw.getlist("topics") if isinstance(t, str)][:10],
            "opens": many("opens"), "closes": many("closes"), "minutes": many("minutes"),
            "questions": many("questions")}
    # The form is read here, on the event loop (a repeated field needs the whole form); the work
    # runs in a thread in the request's own transaction.
    return await run_in_threadpool(_create, request, session, user, form)


def _create(request: Request, session: Session, user: User, form: dict[str, Any]) -> Response:
    try:
        contest = contests.create_contest(session, user=user, plan=plan_from_form(form))
    except MangXanhError as exc:
        session.rollback()
        return _form_page(request, session, user, form=form, error=error_message(exc), status_code=422)
    contest_id = contest.id
    session.commit()
    web_session(request).flash(_("Contest created. Share its address with the participants."), "success")
    return RedirectResponse(f"/cuoc-thi/{contest_id}", status_code=303)


def _results(session: Session, contest_id: int) -> dict[str, Any]:
    return {"standings": ranking.leaderboard(session, contest_id=contest_id),
            "units": ranking.unit_results(session, contest_id=contest_id),
            "districts": ranking.district_results(session, contest_id=contest_id)}


@router.get("/cuoc-thi/{contest_id}", response_class=HTMLResponse)
def contest_page(*, request: Request, contest_id: int, user: User = RUNNER, session: DbSession) -> Response:
    contest = contests.access_contest(session, user=user, contest_id=contest_id)
    registered = session.scalar(select(func.count()).select_from(Participant)
                                .where(Participant.contest_id == contest.id)) or 0
    base = str(request.app.state.settings.public_url or request.base_url).rstrip("/")
    return render(request, "console/contest.html", {
        "user": user, "contest": contest, "rounds": contests.rounds_of(session, contest_id=contest.id),
        "registered": registered, "address": f"{base}/thi/{contest.slug}", "topics": topic_labels(),
        **_results(session, contest.id)})


@router.get("/cuoc-thi/{contest_id}/ket-qua.xlsx")
def results_file(*, contest_id: int, user: User = RUNNER, session: DbSession) -> Response:
    contest = contests.access_contest(session, user=user, contest_id=contest_id)
    data = results_xlsx(title=contest.title, gettext=_, **_results(session, contest.id))
    return Response(data, media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="ket-qua-{contest.slug}.xlsx"'})


def _bank_page(request: Request, session: Session, user: User, *, error: str | None = None,
               problems: list[bank.RowProblem] | None = None, status_code: int = 200) -> Response:
    questions = list(session.scalars(select(Question).order_by(Question.code)))
    return render(request, "console/question_bank.html", {
        "user": user, "questions": questions, "topics": topic_labels(), "letters": bank.LETTERS, "error": error,
        "shipped": len(bank.seed_drafts()),
        "problems": [(p.row, error_message(p.error)) for p in problems or []]}, status_code=status_code)


@router.get("/cuoc-thi/ngan-hang/cau-hoi", response_class=HTMLResponse)
def bank_page(*, request: Request, user: User = BANK_KEEPER, session: DbSession) -> Response:
    return _bank_page(request, session, user)


@router.get("/cuoc-thi/ngan-hang/cau-hoi.xlsx")
def bank_file(*, user: User = BANK_KEEPER, session: DbSession) -> Response:
    return Response(bank.export_xlsx(session, gettext=_), media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="ngan-hang-cau-hoi.xlsx"'})


@router.post("/cuoc-thi/ngan-hang/cau-hoi", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def import_bank(*, request: Request, file: Annotated[UploadFile, File()], user: User = BANK_KEEPER,
                session: DbSession) -> Response:
    data = file.file.read(bank.MAX_XLSX_BYTES + 1)
    try:
        outcome = bank.import_xlsx(session, data=data, library=shipped_library(), gettext=_)
    except bank.ImportRefused as exc:
        session.rollback()
        return _bank_page(request, session, user, error=error_message(exc), problems=exc.problems, status_code=422)
    web_session(request).flash(_("Imported: %(created)s new questions, %(updated)s updated.")
                               % {"created": outcome.created, "updated": outcome.updated}, "success")
    return RedirectResponse("/cuoc-thi/ngan-hang/cau-hoi", status_code=303)



@router.post("/cuoc-thi/ngan-hang/cau-hoi-mau", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def add_shipped_questions(*, request: Request, user: User = BANK_KEEPER, session: DbSession) -> Response:
    """Put the questions shipped with the platform in the bank (those already there by code are refreshed)."""
    outcome = bank.seed_bank(session, library=shipped_library())
    session.commit()
    web_session(request).flash(_("Imported: %(created)s new questions, %(updated)s updated.")
                               % {"created": outcome.created, "updated": outcome.updated}, "success")
    return RedirectResponse("/cuoc-thi/ngan-hang/cau-hoi", status_code=303)
