"""Analysts' decisions as training rows for the toxicity model (``model train --extra-rows``)."""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mangxanh.domains.cases.models import Case, Decision
from mangxanh.domains.content.models import StoredItem

# The model's labels: 0 CLEAN, 1 OFFENSIVE, 2 HATE. A decision of "no action" is the analyst
# saying the flag was wrong, which is exactly the example the model needs to learn from.
LABEL_OF_CATEGORY = {"HATE_DISCRIM": 2, "OFFENSIVE_LANG": 1, "DEFAME_INSULT": 1}
NO_ACTION = "no_action"


def label_for(decision: Decision) -> int | None:
    if decision.action == NO_ACTION:
        return 0
    return LABEL_OF_CATEGORY.get(decision.category)


def export_decisions(session: Session, out: Path) -> int:
    """Write one row per decided item (its latest decision); other categories are left out.

    The file is written whole or not at all.
    """
    latest: dict[int, tuple[str, int]] = {}
    rows = session.execute(
        select(Decision, StoredItem.id, StoredItem.text).join(Case, Decision.case_id == Case.id)
        .join(StoredItem, Case.item_id == StoredItem.id).order_by(Decision.id)
    ).all()
    for decision, item_id, text in rows:
        label = label_for(decision)
        if label is None:
            latest.pop(item_id, None)
        else:
            latest[item_id] = (text, label)
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".decisions-", suffix=".csv", dir=out.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(["free_text", "label_id"])
            writer.writerows(latest.values())
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return len(latest)
