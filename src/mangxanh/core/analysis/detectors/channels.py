"""The pages and accounts a state body runs on the platforms, and reading a page's handle from its address."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mangxanh.core.analysis.detectors.scam import host_of, host_under
from mangxanh.core.analysis.types import msgid
from mangxanh.errors import ConfigurationError

_PLATFORM_HOSTS = ("facebook.com", "fb.com", "tiktok.com", "zalo.me", "youtube.com", "instagram.com", "x.com")
_NOT_HANDLES = frozenset({"groups", "g", "watch", "profile.php", "permalink.php", "story.php", "share", "pages"})


@dataclass(frozen=True, slots=True)
class Channel:
    """One of an agency's own pages or accounts on a platform, as the department registered it."""

    platform: str
    url: str
    handle: str
    verified: bool  # the platform's own verification badge, checked by the department


def handle_from_url(url: str) -> str:
    """The page handle in a platform address: facebook.com/<handle>/posts/1 → "<handle>"."""
    host = host_of(url)
    if not host or not any(host_under(host, h) for h in _PLATFORM_HOSTS):
        return ""
    path = url.split(host, 1)[-1].split("?", 1)[0].strip("/").split("/")
    first = path[0].lstrip("@") if path and path[0] else ""
    return "" if first.lower() in _NOT_HANDLES else first


def parse_channels(raw: Any, *, label: str) -> tuple[Channel, ...]:
    """An agency's registered channels: platform, an https address, the handle (read from the address when
    not given) and whether the platform verified it."""
    if not isinstance(raw, list):
        raise ConfigurationError(msgid("{label}: 'channels' must be a list"), label=label)
    channels = []
    for number, entry in enumerate(raw, start=1):
        where = f"{label}: channel {number}"
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) and entry[k].strip()
                                                  for k in ("platform", "url")):
            raise ConfigurationError(msgid("{label}: needs 'platform' and 'url'"), label=where)
        if not entry["url"].startswith("https://") or not host_of(entry["url"]):
            raise ConfigurationError(msgid("{label}: 'url' must be an https address"), label=where)
        handle = entry.get("handle") or handle_from_url(entry["url"])
        verified = entry.get("verified", False)
        if not isinstance(handle, str) or not isinstance(verified, bool):
            raise ConfigurationError(msgid("{label}: 'handle' must be text and 'verified' true or false"), label=where)
        channels.append(Channel(entry["platform"].strip().lower(), entry["url"].strip(), handle.strip(), verified))
    return tuple(channels)
