"""Every user-facing string has a Vietnamese translation with the same placeholders."""

import re
from pathlib import Path

from babel.messages.pofile import read_po

from mangxanh import i18n

LOCALE = Path(__file__).resolve().parents[1] / "src" / "mangxanh" / "locale"
PLACEHOLDER = re.compile(r"\{\w+\}|%\(\w+\)s")


def test_every_extracted_message_is_translated_to_vietnamese() -> None:
    with (LOCALE / "messages.pot").open("rb") as handle:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    catalogue = i18n.catalogue("vi")
    missing = sorted(template - set(catalogue))
    assert not missing, f"untranslated: {missing}"
    for msgid, text in catalogue.items():
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(text)), msgid


def test_templates_and_code_have_no_string_missing_from_the_template() -> None:
    """Run `make i18n` after adding strings; this test notices when that was forgotten."""
    from babel.messages.extract import extract_from_dir

    root = Path(__file__).resolve().parents[1]
    # The same keywords as `make i18n`, read from the Makefile so the two never drift apart.
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    block = re.search(r"^EXTRACT_KEYWORDS :=(.*?)(?<!\\)\n", makefile, re.S | re.M)
    assert block is not None
    keywords: dict[str, tuple[int, ...] | None] = {}
    for name, spec in re.findall(r"-k (\w+)(?::([\d,]+))?", block.group(1)):
        keywords[name] = tuple(int(n) for n in spec.split(",")) if spec else None
    assert {"_", "ngettext", "FetchError"} <= set(keywords)
    method_map = [("src/mangxanh/**.py", "python"), ("src/mangxanh/web/templates/**.html", "jinja2")]
    options = {"src/mangxanh/web/templates/**.html": {"extensions": "jinja2.ext.i18n,jinja2.ext.do"}}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(root), method_map, options_map=options, keywords=keywords
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    with (LOCALE / "messages.pot").open("rb") as handle:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    assert not found - template, f"run `make i18n`: {sorted(found - template)}"


def test_vietnamese_is_the_default_language() -> None:
    assert i18n.current_language.get() == "vi"
    assert i18n.gettext("Case queue") == "Hàng đợi hồ sơ"


def test_every_kind_of_audit_record_has_a_vietnamese_label() -> None:
    from mangxanh.domains.audit.models import AuditKind, CaseEventKind
    from mangxanh.i18n import catalogue, current_language
    from mangxanh.web.labels import audit_labels, event_labels

    vietnamese = catalogue("vi")
    token = current_language.set("en")  # the labels as msgids
    try:
        tables = ((CaseEventKind, event_labels()), (AuditKind, audit_labels()))
    finally:
        current_language.reset(token)
    for kinds, labels in tables:
        assert set(labels) == {kind.value for kind in kinds}
        assert [label for label in labels.values() if label not in vietnamese] == []
