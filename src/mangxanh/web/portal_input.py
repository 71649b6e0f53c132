"""Reading what the public sends: a bounded body, a form with few fields and files, screenshots cleaned.

The portal's forms are open to anyone, so a request is read with hard limits before anything
else looks at it: the whole body (MAX_BODY_BYTES), the number of fields and files, each field's
size. A body over the limit is refused while it arrives, not after it was stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from mangxanh.domains.citizen_reports.screenshots import MAX_BYTES, MAX_SCREENSHOTS, CleanImage, clean_screenshot
from mangxanh.domains.citizen_reports.service import ReportForm
from mangxanh.errors import InvalidInput
from mangxanh.web.deps import CsrfRejected, web_session
from mangxanh.web.session import CSRF_FIELD

# Five screenshots of 5 MB and the answers, with the multipart framing.
MAX_BODY_BYTES = MAX_SCREENSHOTS * MAX_BYTES + 512 * 1024
MAX_FIELDS = 40
MAX_FIELD_BYTES = 64 * 1024
# The form's trap for robots: a field people never see.
TRAP_FIELD = "website"


class FormRefused(InvalidInput):
    """A public form that could not be read as sent (answered before the route runs)."""

    status_code = 400


class BodyTooLarge(FormRefused):
    status_code = 413


async def _read_bounded(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise BodyTooLarge("What was sent is larger than {mb} MB in all.", mb=limit // (1024 * 1024))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge("What was sent is larger than {mb} MB in all.", mb=limit // (1024 * 1024))
        chunks.append(chunk)
    # Kept where Starlette keeps a body it read itself, so the form parser reads this copy.
    request._body = b"".join(chunks)


async def public_form(request: Request) -> FormData:
    """The form of a public page, read within the limits, with its CSRF token checked."""
    await _read_bounded(request, MAX_BODY_BYTES)
    try:
        form = await request.form(max_files=MAX_SCREENSHOTS, max_fields=MAX_FIELDS, max_part_size=MAX_FIELD_BYTES)
    except StarletteHTTPException as exc:
        raise FormRefused("The form could not be read. Reload the page and send it again.") from exc
    submitted = form.get(CSRF_FIELD)
    if not web_session(request).csrf_ok(submitted if isinstance(submitted, str) else None):
        raise CsrfRejected()
    return form


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def report_form(form: FormData) -> ReportForm:
    return ReportForm(links=[v for v in form.getlist("links") if isinstance(v, str)], choice=text(form, "choice"),
                      platform=text(form, "platform"), description=text(form, "description"),
                      email=text(form, "email"), phone=text(form, "phone"))


@dataclass(frozen=True, slots=True)
class Upload:
    name: str
    data: bytes


def uploads(form: FormData) -> list[Upload]:
    """The files sent (empty file inputs, which browsers send as nameless parts, are skipped)."""
    out: list[Upload] = []
    for value in form.getlist("screenshots"):
        if isinstance(value, UploadFile) and (value.filename or value.size):
            data = value.file.read(MAX_BYTES + 1)
            out.append(Upload(value.filename or "?", data))
    return out


def cleaned(files: list[Upload]) -> list[CleanImage]:
    if len(files) > MAX_SCREENSHOTS:
        raise InvalidInput("A report can carry at most {n} screenshots.", n=MAX_SCREENSHOTS)
    return [clean_screenshot(f.data, name=f.name) for f in files]
