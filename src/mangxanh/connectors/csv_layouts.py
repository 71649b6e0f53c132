"""Column layouts of the CSV files that common export tools produce, and custom mappings.

A layout maps each of our fields to the header names that tools use for it, in order of
preference: for each row the first listed column that is present and not empty gives the value.
That one rule covers tools that name a column differently (``Likes`` / ``diggCount``) and
values that fall back (a comment's parent is its ``Parent ID``, else its ``Video ID``).
Header names are compared after :func:`normalise_header` (case, spaces, ``_``/``.``/camelCase).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from mangxanh.core.items import PLATFORMS
from mangxanh.errors import InvalidInput

FIELDS = ("external_id", "text", "url", "author", "author_handle", "author_followers", "published_at",
          "reactions", "shares", "comments", "parent_id")
REQUIRED = ("external_id", "text")
COUNTS = ("author_followers", "reactions", "shares", "comments")
MAX_MAPPING_BYTES = 65_536
_SETTINGS = frozenset({"name", "platform", "kind", "columns", "date_format", "timezone", "reaction_columns"})
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_WORD = re.compile(r"[\W_]+")


def normalise_header(header: str) -> str:
    """``Post Created`` / ``post_created`` / ``postCreated`` / ``POST CREATED`` → ``post created``."""
    header = unicodedata.normalize("NFC", header.replace("\ufeff", "").strip())
    return _NON_WORD.sub(" ", _CAMEL.sub(" ", header).lower()).strip()


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    name: str
    platform: str
    kind: str
    columns: Mapping[str, tuple[str, ...]]
    date_format: str | None = None  # strptime format; None tries ISO 8601, epoch and day-first dates
    timezone: str = "Asia/Ho_Chi_Minh"  # for dates written without an offset
    # Summed into ``reactions`` when no column of ``columns["reactions"]`` is present (CrowdTangle).
    reaction_columns: tuple[str, ...] = field(default=())

    def candidates(self, field_name: str) -> tuple[str, ...]:
        return tuple(normalise_header(h) for h in self.columns.get(field_name, ()))


def _layout(name: str, platform: str, kind: str, reaction_columns: tuple[str, ...] = (),
            **columns: tuple[str, ...]) -> ColumnMapping:
    return ColumnMapping(name=name, platform=platform, kind=kind, columns=columns, reaction_columns=reaction_columns)


# CrowdTangle's historical-data CSV and Meta Content Library (flattened: ``statistics.reaction_count``).
_FACEBOOK_POSTS = _layout(
    "facebook_posts", "facebook", "post",
    reaction_columns=("Likes", "Love", "Wow", "Haha", "Sad", "Angry", "Care"),
    external_id=("Post ID", "id", "URL", "Post URL", "Permalink URL"),
    text=("Message", "text", "Post Text", "Content", "Body"),
    url=("URL", "Post URL", "Permalink URL", "Permalink"),
    author=("Page Name", "post_owner.name", "Author", "Name", "from.name", "Account Name"),
    author_handle=("User Name", "post_owner.username", "Username", "Handle", "Facebook Id", "post_owner.id",
                   "Page ID", "from.id"),
    author_followers=("Followers at Posting", "Likes at Posting", "Followers", "Page Followers"),
    published_at=("Post Created", "creation_time", "created_time", "Created", "Date", "Published At",
                  "Post Created Date"),
    reactions=("Reactions", "Total Reactions", "statistics.reaction_count", "reaction_count", "Reactions Count"),
    shares=("Shares", "statistics.share_count", "share_count", "Shares Count"),
    comments=("Comments", "statistics.comment_count", "comment_count", "Comments Count"),
)
# exportcomments-style sheets, Graph API / Facepager dumps, scraper outputs.
_FACEBOOK_COMMENTS = _layout(
    "facebook_comments", "facebook", "comment",
    external_id=("Comment ID", "id", "Comment URL", "Permalink URL"),
    text=("Comment", "Message", "text", "Comment Text", "Content", "Body"),
    url=("Comment URL", "Permalink URL", "Permalink", "URL"),
    author=("Author Name", "Name", "Author", "Profile Name", "from.name", "Commenter"),
    author_handle=("Profile ID", "Author ID", "from.id", "User ID", "Username", "Profile URL"),
    published_at=("Date", "created_time", "creation_time", "Comment Created", "Published At", "Time", "Timestamp"),
    reactions=("Likes", "like_count", "Reactions", "reaction_count", "Likes Count", "Reactions Count"),
    comments=("Replies", "Reply Count", "comment_count", "Replies Count"),
    parent_id=("Parent ID", "Parent Comment ID", "parent.id", "Reply To", "Post ID", "object_id"),
)
# YouTube Data API field names (commentId, textOriginal …), YouTube Data Tools, exportcomments.
_YOUTUBE_COMMENTS = _layout(
    "youtube_comments", "youtube", "comment",
    external_id=("Comment ID", "id", "cid"),
    text=("Text", "Comment", "textOriginal", "textDisplay", "Comment Text", "Content"),
    url=("Comment URL", "URL"),
    author=("Author", "Author Name", "authorDisplayName", "Name", "Display Name"),
    author_handle=("Author Handle", "Username", "authorChannelId", "Author Channel ID", "Channel ID",
                   "authorChannelUrl"),
    published_at=("Published At", "Date", "Published", "Created At", "Time", "Timestamp"),
    reactions=("Likes", "likeCount", "Like Count", "voteCount", "Votes"),
    comments=("Reply Count", "totalReplyCount", "Replies"),
    parent_id=("Parent ID", "isReplyTo", "Parent Comment ID", "Video ID"),
)
# TikTok Research API (like_count, parent_comment_id, create_time in epoch seconds) and scrapers
# (cid, diggCount, replyCommentTotal, uniqueId, repliesToId, createTimeISO).
_TIKTOK_COMMENTS = _layout(
    "tiktok_comments", "tiktok", "comment",
    external_id=("Comment ID", "cid", "id"),
    text=("Comment", "Text", "Comment Text", "Content"),
    url=("Comment URL", "URL"),
    author=("Nickname", "Nick Name", "Author", "Display Name", "Name"),
    author_handle=("Username", "Unique ID", "User Name", "Author Username", "uid", "User ID"),
    published_at=("Create Time ISO", "Create Time", "Created At", "Date", "Time", "Published At", "Timestamp"),
    reactions=("Likes", "Digg Count", "Like Count", "Likes Count"),
    comments=("Reply Count", "Reply Comment Total", "Replies"),
    parent_id=("Parent Comment ID", "Parent ID", "Replies To ID", "Reply To ID", "Reply To Comment ID", "Video ID",
               "Aweme ID"),
)

LAYOUTS: dict[str, ColumnMapping] = {m.name: m for m in (_FACEBOOK_POSTS, _FACEBOOK_COMMENTS, _YOUTUBE_COMMENTS,
                                                        _TIKTOK_COMMENTS)}


def layout_names() -> list[str]:
    return sorted(LAYOUTS)


def get_layout(layout: str | ColumnMapping) -> ColumnMapping:
    if isinstance(layout, ColumnMapping):
        return layout
    try:
        return LAYOUTS[layout]
    except KeyError:
        raise InvalidInput("Unknown CSV layout {layout}; known layouts: {names}", layout=str(layout)[:100],
                           names=", ".join(layout_names())) from None


def _header_names(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str) and value.strip():
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return tuple(value)
    return None


def mapping_from_dict(data: Any, *, source: str = "mapping") -> ColumnMapping:
    """Build a :class:`ColumnMapping` from decoded YAML/JSON; InvalidInput names what is wrong."""
    if not isinstance(data, dict):
        raise InvalidInput("Column mapping {path} must be a mapping with platform, kind and columns", path=source)
    unknown = sorted(str(key) for key in data if key not in _SETTINGS)
    if unknown:
        raise InvalidInput("Column mapping {path}: unknown setting {key}", path=source, key=", ".join(unknown))
    platform, kind = data.get("platform"), data.get("kind", "post")
    if platform not in PLATFORMS:
        raise InvalidInput("Column mapping {path}: platform must be one of {platforms}", path=source,
                           platforms=", ".join(sorted(PLATFORMS)))
    if kind not in ("post", "comment"):
        raise InvalidInput("Column mapping {path}: kind must be 'post' or 'comment'", path=source)
    raw_columns = data.get("columns")
    if not isinstance(raw_columns, dict):
        raise InvalidInput("Column mapping {path}: columns must map our fields to header names", path=source)
    columns: dict[str, tuple[str, ...]] = {}
    for key, value in raw_columns.items():
        if key not in FIELDS:
            raise InvalidInput("Column mapping {path}: unknown field {field}; fields are {fields}", path=source,
                               field=str(key)[:100], fields=", ".join(FIELDS))
        names = _header_names(value)
        if names is None:
            raise InvalidInput("Column mapping {path}: the column for {field} must be a header name or a list of them",
                               path=source, field=key)
        columns[key] = names
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise InvalidInput("Column mapping {path}: columns for {fields} are required", path=source,
                           fields=", ".join(missing))
    timezone = data.get("timezone", "Asia/Ho_Chi_Minh")
    try:
        ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput("Column mapping {path}: unknown time zone {timezone}", path=source,
                           timezone=str(timezone)[:100]) from None
    date_format = data.get("date_format")
    if date_format is not None and (not isinstance(date_format, str) or "%" not in date_format):
        raise InvalidInput("Column mapping {path}: date_format must be a strptime format, e.g. {example}",
                           path=source, example="%d/%m/%Y %H:%M")
    reaction_columns = data.get("reaction_columns", [])
    if reaction_columns and _header_names(reaction_columns) is None:
        raise InvalidInput("Column mapping {path}: reaction_columns must be a list of header names", path=source)
    return ColumnMapping(name=str(data.get("name") or source)[:100], platform=platform, kind=kind, columns=columns,
                         date_format=date_format, timezone=str(timezone),
                         reaction_columns=_header_names(reaction_columns) or ())


def load_mapping(path: str | Path) -> ColumnMapping:
    """Read a custom column mapping from a small YAML (``.yaml``/``.yml``) or JSON file."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_MAPPING_BYTES:
            raise InvalidInput("Column mapping {path} is larger than {limit} bytes", path=str(path),
                               limit=MAX_MAPPING_BYTES)
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("Column mapping {path} is not UTF-8 text", path=str(path)) from None
    except OSError as exc:
        raise InvalidInput("Column mapping {path} cannot be read ({reason})", path=str(path),
                           reason=exc.strerror or type(exc).__name__) from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput("Column mapping {path} is not valid YAML or JSON ({reason})", path=str(path),
                           reason=str(exc).splitlines()[0][:200]) from None
    return mapping_from_dict(data, source=str(path))
