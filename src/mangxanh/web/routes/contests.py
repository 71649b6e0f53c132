"""The contests' public pages: registering, taking a round one question at a time, the result,
the certificate and its verification, the leaderboard.

Everything works without JavaScript (each answer is a form); contest.js saves each answer as it is
given through the JSON API (routes/contests_api.py), keeps the clock and survives a lost
connection. The participant's secret is kept in the signed session cookie; an attempt is reached
through its own secret key in the address, which the answer requests carry.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from mangxanh.connectors.sms import SmsGateway, SmsNotSent
from mangxanh.db import unit_of_work, utcnow
from mangxanh.domains.education.contests import attempts, ranking, registration
from mangxanh.domains.education.contests import service as contests
from mangxanh.domains.education.contests.certificates import certificate, render_certificate, spoken_duration
from mangxanh.domains.education.contests.models import Contest, ContestRound, Participant, Question
from mangxanh.domains.education.library import shipped_library
from mangxanh.errors import MangXanhError
from mangxanh.i18n import gettext as _
from mangxanh.web.deps import DbSession, web_session
from mangxanh.web.labels import error_message
from mangxanh.web.portal_input import public_form, text
from mangxanh.web.routes.portal import render

router = APIRouter()
log = logging.getLogger(__name__)
TOKENS = "thi"
LETTERS = "ABCD"
LEADERBOARD_ROWS = 100


def keys(request: Request) -> registration.ParticipantKeys:
    known: registration.ParticipantKeys | None = getattr(request.app.state, "participant_keys", None)
    if known is None:
        known = request.app.state.participant_keys = registration.ParticipantKeys(
            request.app.state.settings.effective_secret_key())
    return known


def sms_gateway(request: Request) -> SmsGateway | None:
    settings = request.app.state.settings
    return SmsGateway(settings.sms_gateway_url, settings.sms_gateway_token) if settings.sms_gateway_url else None


def _token(request: Request, contest: Contest) -> str | None:
    value = web_session(request).data.get(TOKENS, {}).get(str(contest.id))
    return value if isinstance(value, str) else None


def _remember(request: Request, contest: Contest, token: str) -> None:
    ws = web_session(request)
    tokens = dict(ws.data.get(TOKENS, {}))
    tokens[str(contest.id)] = token
    # The last few contests of this browser, so the cookie stays small.
    ws.data[TOKENS] = dict(list(tokens.items())[-8:])
    ws.dirty = True


def round_state(round_: ContestRound, now: datetime) -> str:
    return "upcoming" if now < round_.opens_at else "open" if now < round_.closes_at else "closed"


def _contest_page(request: Request, session: Session, contest: Contest, *, status_code: int = 200,
                  error: str | None = None, values: dict[str, str] | None = None) -> Response:
    now = utcnow()
    participant = registration.participant_by_token(session, contest_id=contest.id, token=_token(request, contest))
    taken = attempts.attempts_of(session, participant_id=participant.id) if participant else {}
    rounds = contests.rounds_of(session, contest_id=contest.id)
    return render(request, "contests/contest.html", {
        "contest": contest, "rounds": [(r, round_state(r, now), taken.get(r.id)) for r in rounds],
        "units": contests.units_of(session, contest_id=contest.id), "participant": participant,
        "registration_open": registration.registration_open(session, contest=contest, now=now),
        "error": error, "values": values or {}}, status_code=status_code)


@router.get("/thi", response_class=HTMLResponse)
def contests_page(*, request: Request, session: DbSession) -> Response:
    return render(request, "contests/list.html", {"contests": contests.open_contests(session, now=utcnow())})


@router.get("/thi/chung-nhan", response_class=HTMLResponse)
def verify_lookup(ma: str = "") -> Response:
    code = "".join(c for c in ma.upper() if c.isalnum())[:16]
    return RedirectResponse(f"/thi/chung-nhan/{code or '-'}", status_code=303)


@router.get("/thi/chung-nhan/{code}", response_class=HTMLResponse)
def verify_page(*, request: Request, session: DbSession, code: str) -> Response:
    try:
        cert = certificate(session, code=code)
    except MangXanhError as exc:
        return render(request, "contests/verify.html", {"cert": None, "code": code[:20], "error": error_message(exc)},
                      status_code=404)
    return render(request, "contests/verify.html", {"cert": cert, "code": cert.code,
                                                    "duration": spoken_duration(cert.duration_ms)})


@router.get("/thi/chung-nhan/{code}/giay-chung-nhan.pdf")
def certificate_pdf(*, request: Request, session: DbSession, code: str) -> Response:
    cert = certificate(session, code=code)
    settings = request.app.state.settings
    base = settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
    pdf = render_certificate(cert, organiser=settings.agency_name, place=settings.letter_place,
                             verify_url=f"{base}/thi/chung-nhan/{cert.code}")
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="giay-chung-nhan-{cert.code}.pdf"'})


@router.get("/thi/{slug}", response_class=HTMLResponse)
def contest_page(*, request: Request, session: DbSession, slug: str) -> Response:
    return _contest_page(request, session, contests.public_contest(session, slug=slug))


@router.post("/thi/{slug}/dang-ky", response_class=HTMLResponse)
def register(*, request: Request, session: DbSession, tasks: BackgroundTasks, slug: str,
             form: FormData = Depends(public_form)) -> Response:
    contest = contests.public_contest(session, slug=slug)
    values = {name: text(form, name)[:200] for name in ("full_name", "birth_date", "unit_id", "class_name", "phone",)}
    gateway = sms_gateway(request)
    try:
        _participant, token, code = registration.register(
            session, contest=contest, keys=keys(request), now=utcnow(), needs_sms=gateway is not None,
            form=registration.Registration(full_name=values["full_name"], birth_date=values["birth_date"],
                                           unit_id=values["unit_id"], phone=values["phone"],
                                           class_name=values["class_name"]))
    except MangXanhError as exc:
        session.rollback()
        return _contest_page(request, session, contest, error=error_message(exc), values=values, status_code=422)
    session.commit()
    _remember(request, contest, token)
    if gateway is not None and code is not None:
        phone = registration.normalise_phone(values["phone"])
        tasks.add_task(_send_code, gateway, phone, _("Your confirmation code for {title}: {code}").format(
            title=contest.title[:60], code=code))
    return RedirectResponse(f"/thi/{contest.slug}", status_code=303)


def _send_code(gateway: SmsGateway, phone: str, message: str) -> None:
    try:
        gateway.send(to=phone, text=message)
    except SmsNotSent:
        log.exception("contest confirmation SMS not sent")


def _own(request: Request, session: Session, contest: Contest, *, for_update: bool = False) -> Participant | None:
    return registration.participant_by_token(session, contest_id=contest.id, token=_token(request, contest),
                                             for_update=for_update)


@router.post("/thi/{slug}/xac-nhan", response_class=HTMLResponse)
def confirm(*, request: Request, session: DbSession, slug: str, form: FormData = Depends(public_form)) -> Response:
    contest = contests.public_contest(session, slug=slug)
    participant, token = _own(request, session, contest, for_update=True), _token(request, contest)
    if participant is None or token is None:
        return _contest_page(request, session, contest, error=_("Register first."), status_code=422)
    try:
        registration.confirm_phone(session, participant=participant, token=token, code=text(form, "code")[:20],
                                   now=utcnow())
    except MangXanhError as exc:
        # A wrong code counts as a try: kept, then said.
        session.commit()
        return _contest_page(request, session, contest, error=error_message(exc), status_code=422)
    session.commit()
    return RedirectResponse(f"/thi/{contest.slug}", status_code=303)


@router.post("/thi/{slug}/vong/{number}", response_class=HTMLResponse)
def start(*, request: Request, session: DbSession, slug: str, number: int,
          form: FormData = Depends(public_form)) -> Response:
    contest = contests.public_contest(session, slug=slug)
    participant = _own(request, session, contest, for_update=True)
    round_ = next((r for r in contests.rounds_of(session, contest_id=contest.id) if r.number == number), None)
    if participant is None or round_ is None:
        return _contest_page(request, session, contest, error=_("Register first."), status_code=422)
    guess = text(form, "guess").strip().replace(".", "").replace(" ", "")
    try:
        _attempt, key = attempts.start_attempt(session, participant=participant, round_=round_, now=utcnow(),
                                               guess=int(guess) if guess.isdigit() and len(guess) < 10 else -1)
    except MangXanhError as exc:
        session.rollback()
        return _contest_page(request, session, contest, error=error_message(exc), status_code=422)
    session.commit()
    return RedirectResponse(f"/thi/bai/{key}", status_code=303)


def question_context(view: attempts.AttemptView, key: str) -> dict[str, Any]:
    return {"view": view, "key": key, "letters": LETTERS, "deadline": view.deadline.isoformat()}


@router.get("/thi/bai/{key}", response_class=HTMLResponse)
def attempt_page(*, request: Request, key: str) -> Response:
    # A write transaction, though a GET: an attempt whose time is up is finished by whoever looks first.
    with unit_of_work(request.app.state.sessions) as session:
        view = attempts.current(session, key=key, now=utcnow())
    if view.finished or view.question is None:
        return RedirectResponse(f"/thi/bai/{key}/ket-qua", status_code=303)
    return render(request, "contests/attempt.html", question_context(view, key))


@router.post("/thi/bai/{key}", response_class=HTMLResponse)
def answer_form(*, request: Request, session: DbSession, key: str, form: FormData = Depends(public_form)) -> Response:
    """One answer without JavaScript: record it (or hand the attempt in) and show where it stands."""
    now = utcnow()
    position, question_id, choice = (text(form, n).strip() for n in ("position", "question_id", "choice"))
    try:
        if text(form, "action") == "submit":
            attempts.submit(session, key=key, now=now)
        else:
            picked = LETTERS.index(choice) if len(choice) == 1 and choice in LETTERS else attempts.SKIPPED
            attempts.answer(session, key=key, now=now, position=int(position) if position.isdigit() else -1,
                            question_id=int(question_id) if question_id.isdigit() else -1, choice=picked)
    except attempts.TimeIsUp:
        session.commit()
    except MangXanhError as exc:
        session.rollback()
        view = attempts.current(session, key=key, now=now)
        session.commit()
        if view.finished or view.question is None:
            return RedirectResponse(f"/thi/bai/{key}/ket-qua", status_code=303)
        return render(request, "contests/attempt.html", {**question_context(view, key), "error": error_message(exc)},
                      status_code=409)
    session.commit()
    return RedirectResponse(f"/thi/bai/{key}", status_code=303)


@router.get("/thi/bai/{key}/ket-qua", response_class=HTMLResponse)
def result_page(*, request: Request, key: str) -> Response:
    with unit_of_work(request.app.state.sessions) as session:
        view = attempts.current(session, key=key, now=utcnow())
        if not view.finished:
            return RedirectResponse(f"/thi/bai/{key}", status_code=303)
        return _result(request, session, key)


def _result(request: Request, session: Session, key: str) -> Response:
    """The finished attempt with every question, the answer given, the right one and why."""
    attempt = attempts.by_key(session, key=key)
    questions = {q.id: q for q in session.scalars(select(Question).where(Question.id.in_(attempt.question_ids)))}
    review = [(questions[qid], attempt.answers[i] if i < len(attempt.answers) else attempts.SKIPPED)
              for i, qid in enumerate(attempt.question_ids)]
    round_ = session.get(ContestRound, attempt.round_id)
    assert round_ is not None
    contest = session.get(Contest, round_.contest_id)
    library = shipped_library()
    return render(request, "contests/result.html", {
        "attempt": attempt, "review": review, "letters": LETTERS, "contest": contest, "round": round_,
        "duration": spoken_duration(attempt.duration_ms or 0),
        "articles": {q.article: (a.title if (a := library.article(q.article)) else q.article) for q, _c in review}})


@router.get("/thi/{slug}/xep-hang", response_class=HTMLResponse)
def leaderboard_page(*, request: Request, session: DbSession, slug: str, vong: int = 0) -> Response:
    contest = contests.public_contest(session, slug=slug)
    rounds = contests.rounds_of(session, contest_id=contest.id)
    chosen = next((r for r in rounds if r.number == vong), None)
    standings = ranking.leaderboard(session, contest_id=contest.id, round_id=chosen.id if chosen else None)
    counts = {r.id: attempts.finished_count(session, round_id=r.id) for r in rounds}
    return render(request, "contests/leaderboard.html", {
        "contest": contest, "rounds": rounds, "chosen": chosen, "standings": standings[:LEADERBOARD_ROWS],
        "total": len(standings), "counts": counts, "now": utcnow()})
