"""Writing untrusted text into spreadsheets: a cell that starts like a formula is written as text.

A name typed in a form as ``=HYPERLINK(…)`` or ``+cmd|…`` would otherwise run as a formula in the
office that opens the workbook (CSV/formula injection); the leading apostrophe is the spreadsheet's
own way of saying "this is text", shown to nobody.
"""

from __future__ import annotations

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: object) -> object:
    """The value as written to a cell: numbers and dates as they are, formula-like text made inert."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
