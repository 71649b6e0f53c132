"""Translations: English msgids, Vietnamese first.

Catalogues are read from the ``.po`` files shipped in ``locale/`` (no compile step to forget),
once per process. Dates and numbers are formatted in the user's locale with Babel.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LANGUAGES = ("vi", "en")
DOMAIN = "messages"
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
current_language: ContextVar[str] = ContextVar("current_language", default="vi")


@cache
def catalogue(lang: str) -> dict[str, str]:
    """msgid → translation for ``lang`` (empty for English, the source language)."""
    if lang == "en":
        return {}
    po = resources.files("mangxanh").joinpath(f"locale/{lang}/LC_MESSAGES/{DOMAIN}.po")
    with po.open("rb") as handle:
        parsed = read_po(handle, locale=lang)
    table: dict[str, str] = {}
    for m in parsed:
        if not m.id or m.fuzzy:
            continue
        if isinstance(m.id, tuple):
            # A plural entry is keyed by its singular msgid; Vietnamese has one form.
            forms = m.string if isinstance(m.string, tuple) else (m.string,)
            if forms and forms[0]:
                table[str(m.id[0])] = str(forms[0])
        elif m.string:
            table[str(m.id)] = str(m.string)
    return table


def gettext(message: str) -> str:
    return catalogue(current_language.get()).get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    # Vietnamese has one plural form; English uses the msgid pair.
    if current_language.get() == "en":
        return singular if n == 1 else plural
    return catalogue(current_language.get()).get(singular, singular)


def format_time(value: datetime | None) -> str:
    if value is None:
        return "—"
    lang = current_language.get()
    return format_datetime(value.astimezone(LOCAL_TZ), "dd/MM/yyyy HH:mm", locale=lang)


def format_day(value: date) -> str:
    """A calendar day as Vietnamese write it (27/11/2026), whatever the language."""
    return value.strftime("%d/%m/%Y")


def format_number(value: float | int) -> str:
    return format_decimal(value, locale=current_language.get())


__all__ = ["LANGUAGES", "catalogue", "current_language", "format_day", "format_number", "format_time",
           "gettext", "ngettext"]
