"""A contest's results as an XLSX workbook: the participants' ranking, and the schools' and districts'."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

from mangxanh.core.sheets import cell_text
from mangxanh.domains.education.contests.ranking import Standing, UnitResult


def results_xlsx(*, title: str, standings: Sequence[Standing], units: Sequence[UnitResult],
                 districts: Sequence[UnitResult], gettext: Callable[[str], str]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    _ = gettext
    book = Workbook()
    people = book.active
    assert people is not None
    people.title = _("Participants")[:31]
    people.append([cell_text(title)])
    people["A1"].font = Font(bold=True, size=13)
    people.append([_("Rank"), _("Full name"), _("School or unit"), _("Class"), _("District"), _("Correct answers"),
                   _("Distance of the guess"), _("Time (seconds)"), _("Rounds taken")])
    for s in standings:
        people.append([s.rank, cell_text(s.full_name), cell_text(s.unit), cell_text(s.class_name or ""), s.district,
                       s.score, s.guess_distance,
                       round(s.duration_ms / 1000, 1), s.rounds])
    for name, rows in ((_("Schools and units"), units), (_("Districts"), districts)):
        sheet = book.create_sheet(name[:31])
        sheet.append([_("Rank"), _("District"), _("School or unit"), _("Participants"), _("Head count"),
                      _("Participation rate (%)"), _("Mean correct answers")])
        for r in rows:
            sheet.append([r.rank, r.district, cell_text(r.name), r.participants, r.enrolment or "",
                          round(r.rate * 100, 1) if r.rate is not None else "",
                          round(r.mean_score, 2) if r.mean_score is not None else ""])
    for sheet in book.worksheets:
        for column in "ABCDEFGHI":
            sheet.column_dimensions[column].width = 18
        sheet.column_dimensions["B"].width = 28
        sheet.column_dimensions["C"].width = 34
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
