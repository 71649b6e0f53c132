"""Jinja2 templates with gettext, Vietnamese dates and numbers, and autoescaping everywhere."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup, escape

from mangxanh import i18n
from mangxanh.core.analysis.types import merge_spans
from mangxanh.domains.accounts.models import User
from mangxanh.domains.accounts.permissions import Action, allowed


def highlight(text: str, spans: list[list[int]] | list[tuple[int, int]]) -> Markup:
    """The text, escaped, with each span wrapped in <mark>; spans past the end are clipped."""
    pieces: list[str] = []
    cursor = 0
    for start, end in merge_spans([(max(0, s), min(len(text), e)) for s, e in spans if s < min(len(text), e)]):
        pieces.append(str(escape(text[cursor:start])))
        pieces.append(f'<mark class="span">{escape(text[start:end])}</mark>')
        cursor = end
    pieces.append(str(escape(text[cursor:])))
    return Markup("".join(pieces))  # noqa: S704 - every piece of user text above is escaped


_FRAGMENT = re.compile(r"[^,;«]+(?=,|;|«|$)")


def _translate_fragments(value: str) -> str:
    """Translate the listed labels in a parameter ("phone number, address") and keep quotes as typed."""
    out, cursor = [], 0
    for match in _FRAGMENT.finditer(value):
        start, end = match.span()
        # Text inside «…» is the poster's own words: never translated.
        if value.count("«", 0, start) > value.count("»", 0, start):
            continue
        label = match.group().strip()
        if label:
            out.append(value[cursor:start] + match.group().replace(label, i18n.gettext(label)))
            cursor = end
    out.append(value[cursor:])
    return "".join(out)


def explain(finding: Any) -> str:
    """A finding's explanation in the user's language."""
    params = {key: _translate_fragments(str(value)) for key, value in (finding.explanation_params or {}).items()}
    text = i18n.gettext(finding.explanation)
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return str(finding.explanation).format(**params)


def message(msgid: str | None, params: dict[str, Any] | None = None) -> str:
    """A stored msgid and its parameters (a source's last error, say) in the user's language."""
    if not msgid:
        return "—"
    text = i18n.gettext(msgid)
    try:
        return text.format(**(params or {}))
    except (KeyError, IndexError, ValueError):
        return msgid


def first_problem(problems: list[dict[str, Any]]) -> str:
    """The first problem an audit verification stored, in the user's language."""
    if not problems:
        return "—"
    first = problems[0]
    places = ", ".join(message(str(text), dict(params)) for text, params in first.get("where", []))
    return f"{places}: {message(first.get('what'), first.get('params'))}"


def remaining(due: datetime | None, now: datetime | None = None) -> Markup:
    """Time left to a deadline ("còn 5 giờ", "còn 3 ngày"), or how late it is, marked for the eye when late."""
    if due is None:
        return Markup("")
    hours = (due - (now or datetime.now(UTC))).total_seconds() / 3600
    if hours < 0:
        late = int(-hours)
        text = (i18n.ngettext("%(n)s day overdue", "%(n)s days overdue", late // 24) % {"n": late // 24}
                if late >= 48 else i18n.ngettext("%(n)s hour overdue", "%(n)s hours overdue", max(late, 1))
                % {"n": max(late, 1)})
        return Markup('<span class="due late">{}</span>').format(text)
    left = int(hours)
    text = (i18n.ngettext("%(n)s day left", "%(n)s days left", left // 24) % {"n": left // 24} if left >= 48
            else i18n.ngettext("%(n)s hour left", "%(n)s hours left", left) % {"n": left} if left >= 1
            else i18n.gettext("less than an hour left"))
    return Markup('<span class="due{}">{}</span>').format(" soon" if left < 6 else "", text)


def may(user: User | None, action: str) -> bool:
    """Whether the signed-in user's role may take ``action`` (what the navigation offers them)."""
    return user is not None and allowed(user, Action(action))


def make_templates() -> Jinja2Templates:
    directory = Path(str(resources.files("mangxanh.web").joinpath("templates")))
    env = Environment(
        loader=FileSystemLoader(directory), autoescape=True, extensions=["jinja2.ext.i18n", "jinja2.ext.do"]
    )
    templates = Jinja2Templates(env=env)
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["dt"] = i18n.format_time
    env.filters["num"] = i18n.format_number
    env.filters["date_vi"] = i18n.format_day
    env.filters["highlight"] = highlight
    env.filters["explain"] = explain
    env.filters["first_problem"] = first_problem
    env.filters["remaining"] = remaining
    env.globals["message"] = message
    env.globals["current_language"] = i18n.current_language.get
    env.globals["may"] = may
    return templates
