"""A case's evidence package, downloaded from the console (signed, and kept in the access log)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from mangxanh.core.evidence_package import signing_key
from mangxanh.db import unit_of_work
from mangxanh.domains.accounts.models import User
from mangxanh.domains.evidence.package import build_package, record_export
from mangxanh.web.deps import DbSession, current_user

router = APIRouter()


@router.get("/cases/{case_id}/evidence.zip")
def evidence_package(*, request: Request, case_id: int, user: User = Depends(current_user),
                     session: DbSession) -> Response:
    settings = request.app.state.settings
    package = build_package(session, user=user, case_id=case_id, key=signing_key(settings.effective_evidence_key()),
                            issuer=settings.agency_name)
    # Its own transaction: the request's is read-only (a GET); the package is not handed out unrecorded.
    with unit_of_work(request.app.state.sessions) as audit:
        record_export(audit, user=user, package=package, address=request.client.host if request.client else None)
    return Response(package.data, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{package.filename}"', "Cache-Control": "no-store"})
