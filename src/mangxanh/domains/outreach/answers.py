"""Answering a rumour: a correction post for the department's official channels and a notice asking the
partner pages to share it, drafted from an official correction, approved by a supervisor, then published.

Both are outward actions on the rumour's case (``publish_correction`` and ``counter_messaging``), so
they go through the actions' four eyes, permissions and case history; this module keeps their texts
together, the correction they rest on, and where and when the correction went out.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from mangxanh.core.analysis.detectors.false_info import Correction, Corrections
from mangxanh.core.taxonomy import Taxonomy
from mangxanh.core.workflow.actions import ActionState
from mangxanh.db import utcnow
from mangxanh.domains.accounts.models import User
from mangxanh.domains.actions import service as actions
from mangxanh.domains.cases.work import access_case
from mangxanh.domains.outreach.models import RumourAnswer
from mangxanh.errors import InvalidInput, NotFound

MAX_POST_CHARS = actions.MAX_NOTE_CHARS


def correction_in_force(corrections: Corrections, correction_id: str) -> Correction:
    found = next((c for c in corrections.entries if c.id == correction_id), None)
    if found is None:
        raise InvalidInput("No correction in force has the code {id}: add it to the corrections registry first.",
                           id=correction_id[:80])
    return found


def draft_texts(correction: Correction) -> tuple[str, str]:
    """A first wording of the post and of the partners' notice, which the drafter edits.

    Written in Vietnamese, as they go out (the language of the city's channels, not of the console).
    """
    body = correction.body or "cơ quan chức năng"
    truth = correction.truth or correction.title
    post = (f"THÔNG TIN CẢI CHÍNH\n\nThời gian qua, trên mạng xã hội lan truyền thông tin “{correction.claim}”. "
            f"Đây là thông tin sai sự thật.\n\n{truth}\n\nNguồn chính thức: {body} — {correction.url}\n\n"
            "Đề nghị người dân không chia sẻ, bình luận thông tin chưa được kiểm chứng và theo dõi thông tin "
            "chính thức trên các kênh của cơ quan nhà nước.")
    notice = (f"Kính gửi các trang, nhóm đối tác: đề nghị chia sẻ thông tin cải chính của {body} "
              f"về “{correction.claim}” (bài gốc: {correction.url}) trong ngày hôm nay, giữ nguyên nội dung "
              "và đường dẫn nguồn chính thức. "
              "Trân trọng cảm ơn sự phối hợp của quý trang.")
    return post, notice


def draft_answer(session: Session, *, user: User, case_id: int, taxonomy: Taxonomy, corrections: Corrections,
                 correction_id: str, post: str, notice: str = "", topic: str = "") -> RumourAnswer:
    """Draft the answer on a decided case: the correction post and, when given, the partners' notice."""
    correction = correction_in_force(corrections, correction_id)
    post, notice = post.replace("\r\n", "\n").strip(), notice.replace("\r\n", "\n").strip()
    if not post:
        raise InvalidInput("Write the correction post.")
    if len(post) > MAX_POST_CHARS or len(notice) > MAX_POST_CHARS:
        raise InvalidInput("The post and the notice are at most {n} characters each.", n=MAX_POST_CHARS)
    if correction.url not in post:
        raise InvalidInput("The post must link to the official source: {url}", url=correction.url)
    publish = actions.draft_action(session, user=user, case_id=case_id, kind="publish_correction", taxonomy=taxonomy,
                                   note=post)
    share = (actions.draft_action(session, user=user, case_id=case_id, kind="counter_messaging", taxonomy=taxonomy,
                                  note=notice) if notice else None)
    answer = RumourAnswer(case_id=case_id, correction_id=correction.id, topic=topic.strip()[:80], post=post,
                          notice=notice, source_url=correction.url, publish_action_id=publish.id,
                          notice_action_id=share.id if share else None)
    session.add(answer)
    session.flush()
    return answer


def get_answer(session: Session, *, user: User, answer_id: int) -> RumourAnswer:
    """The answer, once ``user`` may see its case."""
    answer = session.scalar(select(RumourAnswer).where(RumourAnswer.id == answer_id)
                            .options(joinedload(RumourAnswer.publish_action), joinedload(RumourAnswer.notice_action)))
    if answer is None:
        raise NotFound("No answer with number {id}.", id=answer_id)
    access_case(session, user=user, case_id=answer.case_id)
    return answer


def _actions(answer: RumourAnswer) -> list[int]:
    return [answer.publish_action_id] + ([answer.notice_action_id] if answer.notice_action_id else [])


def approve_answer(session: Session, *, user: User, answer_id: int) -> RumourAnswer:
    """A supervisor who did not draft it approves the post and the notice together."""
    answer = get_answer(session, user=user, answer_id=answer_id)
    for action_id in _actions(answer):
        if actions.get_action(session, action_id).state == ActionState.DRAFTED.value:
            actions.approve(session, user=user, action_id=action_id)
    return answer


def publish_answer(session: Session, *, user: User, answer_id: int, url: str, now: datetime | None = None
                   ) -> RumourAnswer:
    """Record that the approved post is out at ``url`` (done at once) and the notice sent to the partners."""
    answer = get_answer(session, user=user, answer_id=answer_id)
    url = url.strip()
    if not url.startswith("https://") or len(url) > 500 or any(c.isspace() for c in url):
        raise InvalidInput("Give the published post's https:// address (at most 500 characters).")
    if answer.publish_action.state != ActionState.APPROVED.value:
        raise InvalidInput("The correction is published once a supervisor has approved it.")
    actions.send_without_letter(session, user=user, action_id=answer.publish_action_id)
    notice = answer.notice_action
    if notice is not None and notice.state == ActionState.APPROVED.value:
        actions.send_without_letter(session, user=user, action_id=notice.id)
    answer.published_at, answer.published_url = now or utcnow(), url
    session.flush()
    return answer


def answers_of_case(session: Session, case_id: int) -> list[RumourAnswer]:
    return list(session.scalars(select(RumourAnswer).where(RumourAnswer.case_id == case_id)
                                .order_by(RumourAnswer.id)))


def recent_answers(session: Session, *, limit: int = 50) -> list[RumourAnswer]:
    return list(session.scalars(select(RumourAnswer).order_by(RumourAnswer.id.desc()).limit(limit)
                                .options(joinedload(RumourAnswer.publish_action), joinedload(RumourAnswer.case))))
