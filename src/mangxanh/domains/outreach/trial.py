"""Trying a registry's new text on recent items before it is saved: what its detector would find differently."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mangxanh.core.analysis.pipeline import Pipeline
from mangxanh.domains.cases.models import Case
from mangxanh.domains.content.models import StoredItem
from mangxanh.domains.content.service import as_core_item
from mangxanh.domains.outreach.registries import RegistryKind, apply_registries


@dataclass(frozen=True)
class TrialChange:
    item_id: int
    natural_key: str
    case_id: int | None
    before: float | None  # the detector's highest score on the item with the registry in force
    after: float | None  # and with the proposed text
    subject: str  # what the finding names: the correction's title, the agency


def _strongest(findings: list[Any]) -> tuple[float | None, str]:
    if not findings:
        return None, ""
    best = max(findings, key=lambda f: f.score)
    params = best.explanation_params
    return best.score, str(params.get("title") or params.get("agency") or params.get("name") or "")


def trial(session: Session, *, kind: RegistryKind, proposed: Any, pipeline: Pipeline, last: int
          ) -> tuple[int, list[TrialChange]]:
    """How many of the ``last`` stored items were judged, and those the proposed registry judges otherwise."""
    current = next(d for d in pipeline.detectors if getattr(d, "registry_name", None) == kind.name)
    apply_registries(session, pipeline)
    trying = type(current)()
    trying.use_registry(proposed)  # type: ignore[attr-defined]
    items = list(session.scalars(select(StoredItem).order_by(StoredItem.id.desc()).limit(last)))
    cases = {item_id: case_id for item_id, case_id in session.execute(
        select(Case.item_id, Case.id).where(Case.item_id.in_([i.id for i in items])).order_by(Case.id))}
    changes = []
    for item in items:
        core = as_core_item(item)
        before, _ = _strongest(current.detect(core))
        after, subject = _strongest(trying.detect(core))
        if before != after:
            changes.append(TrialChange(item.id, item.natural_key, cases.get(item.id), before, after, subject))
    return len(items), changes
