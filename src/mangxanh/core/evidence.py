"""Evidence in a form anyone can check without the database: one canonical JSON, one SHA-256.

A capture is what was seen of an item at one moment: its text, the SHA-256 of the page's HTML
where a page was fetched, its metadata as the source sent them, when, and by which process.
Its digest is the SHA-256 of its canonical document, the same bytes an evidence package ships
as ``captures/capture-N.json``: whoever holds the package can recompute it with any SHA-256 tool
and compare it with the digest the case's history recorded when the capture was taken.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

CAPTURE_FORMAT = "mangxanh-capture/1"


def canonical(fields: Mapping[str, Any]) -> str:
    """One text for the same fields, whatever their order or the database they were read from.

    The standard encoder's output (sorted keys, no spaces, non-ASCII as is) defines it. orjson
    writes the same bytes for strings, 64-bit integers, booleans, None, lists and string-keyed
    objects, about five times faster (verifying the audit trail encodes a million records); any
    other value (a float, whose text the two may write differently) goes to the standard encoder.
    """
    values = {name: value.isoformat() if isinstance(value, datetime) else value for name, value in fields.items()}
    if _plain(values):
        try:
            return orjson.dumps(values, option=orjson.OPT_SORT_KEYS).decode("utf-8")
        except orjson.JSONEncodeError:  # a lone surrogate: the standard encoder writes it as an escape
            pass
    return standard_canonical(values)


def standard_canonical(values: Mapping[str, Any]) -> str:
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _plain(container: dict[str, Any] | list[Any]) -> bool:
    """Whether the object or list holds only what orjson writes exactly as the standard encoder does
    (written as loops: this runs once per audit record)."""
    if type(container) is dict:
        for key in container:
            if type(key) is not str:
                return False
        children: Any = container.values()
    else:
        children = container
    for child in children:
        kind = type(child)
        if kind is str or kind is bool or child is None:
            continue
        if kind is int:
            if not _INT64_MIN <= child <= _INT64_MAX:
                return False
        elif kind is dict or kind is list:
            if not _plain(child):
                return False
        else:
            return False
    return True


def capture_document(*, text: str, html_sha256: str | None, meta: Mapping[str, Any], captured_at: datetime,
                     process: str) -> dict[str, Any]:
    """The capture as one JSON object (the HTML by its digest: the bytes themselves travel as a file)."""
    return {"format": CAPTURE_FORMAT, "text": text, "html_sha256": html_sha256, "meta": dict(meta),
            "captured_at": captured_at.isoformat(), "process": process}


def document_bytes(document: Mapping[str, Any]) -> bytes:
    return canonical(document).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def capture_digest(document: Mapping[str, Any]) -> str:
    """The capture's SHA-256, over its canonical bytes."""
    return sha256_hex(document_bytes(document))


def capture_intact(*, text: str, html: bytes | None, html_sha256: str | None, meta: Mapping[str, Any],
                   captured_at: datetime, process: str, sha256: str) -> bool:
    """Whether a capture's stored parts still hash to the digest it was written with (its HTML to its own)."""
    if (html is None) != (html_sha256 is None) or (html is not None and sha256_hex(html) != html_sha256):
        return False
    document = capture_document(text=text, html_sha256=html_sha256, meta=meta, captured_at=captured_at,
                                process=process)
    return capture_digest(document) == sha256


def chain_digest(prev_hash: str, fields: Mapping[str, Any], *, key: bytes, version: int) -> str:
    """The digest that chains an audit record to the one before it: version 1 plain SHA-256 (before
    the audit key existed), version 2 HMAC-SHA256 under the key. An evidence package's history is
    checked with the same function, without the database."""
    message = (prev_hash + canonical(fields)).encode("utf-8")
    if version == 1:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
