"""The question bank: the team's seed questions, and questions imported and exported as XLSX.

An import is all or nothing: every row is checked first and, when any is wrong, the file is
refused with one message per bad row (its number as the spreadsheet shows it) and nothing
changes. A row whose code is already in the bank updates that question; codes are how a bank
travels between a district and the department without duplicates.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from mangxanh.core.analysis.types import msgid
from mangxanh.db import utcnow
from mangxanh.domains.education.contests.models import Question, Topic
from mangxanh.domains.education.library import Library, folded
from mangxanh.errors import InvalidInput, MangXanhError

LETTERS = "ABCD"
MAX_TEXT, MAX_CHOICE, MAX_EXPLANATION, MAX_CODE = 400, 200, 600, 20
MAX_IMPORT_ROWS = 5000
MAX_XLSX_BYTES = 5 * 1024 * 1024
# Column headers as msgids: exported in the reader's language, recognised in either on import.
COLUMNS = (msgid("Code"), msgid("Topic"), msgid("Question"), msgid("Choice A"), msgid("Choice B"), msgid("Choice C"),
           msgid("Choice D"), msgid("Answer"), msgid("Explanation"), msgid("Library article"), msgid("In use"))
TOPIC_NAMES = {Topic.CODE_OF_CONDUCT: msgid("Code of conduct"), Topic.ONLINE_SAFETY: msgid("Online safety"),
               Topic.PERSONAL_DATA: msgid("Personal data"), Topic.SCAMS: msgid("Online scams"),
               Topic.CHILDREN_ONLINE: msgid("Children online")}


@dataclass(frozen=True, slots=True)
class QuestionDraft:
    code: str
    topic: str
    article: str
    text: str
    choices: tuple[str, ...]
    answer: int
    explanation: str
    active: bool = True


@dataclass(frozen=True, slots=True)
class RowProblem:
    row: int
    error: MangXanhError


class ImportRefused(InvalidInput):
    """The file was refused as a whole; ``problems`` says what is wrong with each bad row."""

    def __init__(self, message: str, *, problems: list[RowProblem], **params: object) -> None:
        super().__init__(message, **params)
        self.problems = problems


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    created: int
    updated: int


def check_draft_question(draft: QuestionDraft, library: Library) -> QuestionDraft:
    """The question cleaned, or the first thing wrong with it."""
    code = draft.code.strip().upper()
    if not code or len(code) > MAX_CODE or not all(c.isalnum() or c in "-_." for c in code):
        raise InvalidInput("The code must be 1 to {n} letters, digits or dashes.", n=MAX_CODE)
    if draft.topic not in set(Topic):
        raise InvalidInput("Unknown topic “{topic}”.", topic=draft.topic[:60])
    if library.article(draft.article.strip()) is None:
        raise InvalidInput("No library article “{slug}”.", slug=draft.article[:80])
    text, explanation = draft.text.strip(), draft.explanation.strip()
    if not text or len(text) > MAX_TEXT:
        raise InvalidInput("The question must have 1 to {n} characters.", n=MAX_TEXT)
    if not explanation or len(explanation) > MAX_EXPLANATION:
        raise InvalidInput("The explanation must have 1 to {n} characters.", n=MAX_EXPLANATION)
    choices = tuple(c.strip() for c in draft.choices)
    if len(choices) != len(LETTERS) or any(not c or len(c) > MAX_CHOICE for c in choices):
        raise InvalidInput("Each of the four choices must have 1 to {n} characters.", n=MAX_CHOICE)
    if len({folded(c) for c in choices}) != len(choices):
        raise InvalidInput("Two choices say the same thing.")
    if not 0 <= draft.answer < len(LETTERS):
        raise InvalidInput("The answer must be one of A, B, C or D.")
    return QuestionDraft(code, draft.topic, draft.article.strip(), text, choices, draft.answer, explanation,
                         draft.active)


def _apply(question: Question, draft: QuestionDraft) -> None:
    question.topic, question.article, question.text = draft.topic, draft.article, draft.text
    question.choices, question.answer, question.explanation = list(draft.choices), draft.answer, draft.explanation
    question.active, question.updated_at = draft.active, utcnow()


def save_questions(session: Session, *, drafts: Iterable[QuestionDraft]) -> ImportOutcome:
    """Create or update (by code) already checked questions."""
    wanted = {d.code: d for d in drafts}
    known = {q.code: q for q in session.scalars(select(Question).where(Question.code.in_(list(wanted))))}
    for code, draft in wanted.items():
        question = known.get(code)
        if question is None:
            question = Question(code=code)
            session.add(question)
        _apply(question, draft)
    session.flush()
    return ImportOutcome(created=len(wanted) - len(known), updated=len(known))


@cache
def seed_drafts() -> tuple[QuestionDraft, ...]:
    """The team's questions shipped with the platform (questions.yaml)."""
    source = resources.files("mangxanh.domains.education").joinpath("questions.yaml").read_text("utf-8")
    rows = yaml.safe_load(source)["questions"]
    return tuple(QuestionDraft(code=r["code"], topic=r["topic"], article=r["article"], text=r["text"],
                               choices=tuple(r["choices"]), answer=LETTERS.index(r["answer"]),
                               explanation=r["explanation"]) for r in rows)


def seed_bank(session: Session, *, library: Library) -> ImportOutcome:
    """Put the shipped questions in the bank (updating them where their codes are there already)."""
    return save_questions(session, drafts=[check_draft_question(d, library) for d in seed_drafts()])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _topic(value: str, gettext: Callable[[str], str]) -> str:
    key = folded(value)
    for topic, name in TOPIC_NAMES.items():
        if key in (folded(topic.value), folded(name), folded(gettext(name))):
            return topic.value
    return value


def _columns(header: tuple[Any, ...], gettext: Callable[[str], str]) -> dict[str, int]:
    names = {folded(_cell(h)): i for i, h in enumerate(header)}
    found: dict[str, int] = {}
    for column in COLUMNS:
        index = names.get(folded(column), names.get(folded(gettext(column))))
        if index is None and column != "In use":
            raise ImportRefused("The first row must name the columns; “{column}” is missing.", problems=[],
                                column=gettext(column))
        if index is not None:
            found[column] = index
    return found


def read_xlsx(data: bytes, *, library: Library, gettext: Callable[[str], str]) -> list[QuestionDraft]:
    """Every question of the file checked, or ImportRefused with one problem per bad row."""
    from openpyxl import load_workbook  # only where a file is read
    from openpyxl.utils.exceptions import InvalidFileException

    if len(data) > MAX_XLSX_BYTES:
        raise ImportRefused("The file is larger than {mb} MB.", problems=[], mb=MAX_XLSX_BYTES // (1024 * 1024))
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise ImportRefused("This is not an Excel workbook (.xlsx) that can be read.", problems=[]) from exc
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise ImportRefused("The workbook is empty.", problems=[])
    where = _columns(header, gettext)
    drafts: list[QuestionDraft] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        if number - 1 > MAX_IMPORT_ROWS:
            raise ImportRefused("A file may hold at most {n} questions.", problems=[], n=MAX_IMPORT_ROWS)
        cells = {column: _cell(row[i]) if i < len(row) else "" for column, i in where.items()}
        if not any(cells.values()):
            continue
        try:
            letter = cells["Answer"].upper()
            draft = check_draft_question(QuestionDraft(
                code=cells["Code"], topic=_topic(cells["Topic"], gettext), article=cells["Library article"],
                text=cells["Question"], choices=tuple(cells[f"Choice {x}"] for x in LETTERS),
                answer=LETTERS.index(letter) if len(letter) == 1 and letter in LETTERS else -1,
                explanation=cells["Explanation"],
                active=folded(cells.get("In use", "")) not in ("0", "khong", "no", "false")), library)
            if draft.code in seen:
                raise InvalidInput("The code {code} is also on row {row}.", code=draft.code, row=seen[draft.code])
            seen[draft.code] = number
            drafts.append(draft)
        except InvalidInput as exc:
            problems.append(RowProblem(number, exc))
    if problems:
        raise ImportRefused("Nothing was imported: {n} rows need correcting.", problems=problems, n=len(problems))
    if not drafts:
        raise ImportRefused("The workbook has no questions.", problems=[])
    return drafts


def import_xlsx(session: Session, *, data: bytes, library: Library, gettext: Callable[[str], str]) -> ImportOutcome:
    return save_questions(session, drafts=read_xlsx(data, library=library, gettext=gettext))


def export_xlsx(session: Session, *, gettext: Callable[[str], str]) -> bytes:
    """The whole bank, in the layout import reads (so a file can be exported, edited and imported)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = gettext("Question bank")[:31]
    sheet.append([gettext(c) for c in COLUMNS])
    for q in session.scalars(select(Question).order_by(Question.code)):
        sheet.append([q.code, gettext(TOPIC_NAMES[Topic(q.topic)]), q.text, *q.choices, LETTERS[q.answer],
                      q.explanation, q.article, 1 if q.active else 0])
    for column, width in zip("ABCDEFGHIJK", (10, 18, 60, 30, 30, 30, 30, 8, 60, 24, 8), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
