"""A reported link, and the one identity every way of writing it shares.

People paste links as their app shares them: the mobile site (m.facebook.com), a short form
(youtu.be, fb.watch), with tracking parameters (fbclid, utm_*, si, igshid…). Reports of one post
must join one case, so each link is reduced to an *identity*: lower-case host without the
mobile or www prefix, the path without a trailing slash, only the query parameters that name the
content, sorted. The identity is what reports are grouped by and what a new item is keyed on;
the link as typed is kept for staff, and the canonical form is fetched.

Short links that only the platform can expand (vt.tiktok.com, fb.me) keep their own identity:
expanding them means asking the platform, which the fetch does later where the site allows.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from mangxanh.errors import InvalidInput

MAX_LINK_CHARS = 2_000
MAX_LINKS = 10
# The identity is an item's external id when the report brings new content: it must fit one.
MAX_IDENTITY_CHARS = 200

# Parameters that only say who shared the link and how: never part of what the link shows.
TRACKING = frozenset({
    "fbclid", "gclid", "dclid", "msclkid", "igshid", "igsh", "si", "feature", "pp", "mibextid", "ref", "refsrc",
    "ref_src", "ref_url", "_rdr", "_rdc", "__cft__", "__tn__", "__xts__", "hc_ref", "hc_location", "fref",
    "comment_tracking", "share_source", "share_medium", "sender_device", "sender_web_id", "is_from_webapp",
    "is_copy_url", "web_id", "_t", "_r", "u_code", "preview_pb", "language", "lang", "rdid", "share_url",
    "share_app_id", "share_link_id", "social_sharing", "zarsrc", "zl3rd", "utm_id", "tt_from", "app",
})

# Hosts of each platform, by the ending of the host (after the www/mobile prefix is dropped).
PLATFORM_HOSTS: tuple[tuple[str, str], ...] = (
    ("facebook.com", "facebook"), ("fb.com", "facebook"), ("fb.watch", "facebook"), ("fb.me", "facebook"),
    ("messenger.com", "facebook"),
    ("youtube.com", "youtube"), ("youtu.be", "youtube"), ("youtube-nocookie.com", "youtube"),
    ("tiktok.com", "tiktok"),
    ("zalo.me", "zalo"), ("zaloapp.com", "zalo"), ("zalo.vn", "zalo"),
)
# Vietnamese news sites reported most: their items are news articles.
NEWS_HOSTS = frozenset({
    "vnexpress.net", "dantri.com.vn", "tuoitre.vn", "thanhnien.vn", "vietnamnet.vn", "laodong.vn", "zingnews.vn",
    "znews.vn", "kenh14.vn", "24h.com.vn", "vtc.vn", "vov.vn", "nhandan.vn", "hanoimoi.vn", "baomoi.com",
    "soha.vn", "cafef.vn", "tienphong.vn", "vietnamplus.vn", "kinhtedothi.vn",
})
MOBILE_PREFIXES = ("www.", "m.", "mobile.", "web.", "touch.", "mbasic.", "vm.", "vt.")
SOCIAL_PLATFORMS = frozenset({"facebook", "youtube", "tiktok", "zalo"})
TIKTOK_VIDEO = re.compile(r"/@[^/]+/video/(\d+)")
# Short hosts whose links stand for one canonical page.
SHORT_VIDEO = "youtu.be"


@dataclass(frozen=True, slots=True)
class Link:
    typed: str  # as the reporter wrote it (trimmed)
    url: str  # the canonical form, fetched and stored
    identity: str  # what reports of the same content share
    platform: str  # guessed from the host; the reporter may correct it


def _host(netloc_host: str) -> str:
    host = netloc_host.lower().rstrip(".")
    for prefix in MOBILE_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix):]
            break
    return host


def platform_of(host: str) -> str:
    for ending, platform in PLATFORM_HOSTS:
        if host == ending or host.endswith("." + ending):
            return platform
    if host in NEWS_HOSTS:
        return "news"
    return "web"


def _refuse_private_host(host: str) -> None:
    """A link to this machine or a private network is not content anyone else can see: refused now.

    Names are not resolved here (the fetch checks every address it connects to); literal
    addresses and the names that always mean this machine are refused at once.
    """
    if host in ("localhost", "localhost.localdomain") or host.endswith((".localhost", ".local", ".internal")):
        raise InvalidInput("The link {link} points to a private address, which nobody else can open.", link=host)
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return
    if not address.is_global:
        raise InvalidInput("The link {link} points to a private address, which nobody else can open.", link=host)


def _content_query(host: str, path: str, query: str) -> list[tuple[str, str]]:
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=False)
            if k.lower() not in TRACKING and not k.lower().startswith("utm_")]
    if host.endswith("youtube.com") and path == "/watch":
        kept = [(k, v) for k, v in kept if k == "v"]
    return sorted(kept)


def _canonical(host: str, path: str, query: list[tuple[str, str]]) -> tuple[str, str, list[tuple[str, str]]]:
    """Rewrite the short and embedded forms of a platform's links to the form its pages use."""
    if host == SHORT_VIDEO and path.strip("/"):
        return "youtube.com", "/watch", [("v", path.strip("/").split("/")[0])]
    if host.endswith("youtube.com"):
        for prefix in ("/shorts/", "/embed/", "/live/", "/v/"):
            if path.startswith(prefix) and len(path) > len(prefix):
                return "youtube.com", "/watch", [("v", path[len(prefix):].split("/")[0])]
    if host in ("fb.com", "messenger.com"):
        host = "facebook.com"
    if host == "tiktok.com" and path.startswith("/v/") and path.endswith(".html"):
        # The mobile share form /v/<id>.html is the video page /video/<id>.
        return host, "/video/" + path[3:-5], []
    return host, path, query


def normalise_link(raw: str, *, allow_private: bool = False) -> Link:
    """The canonical URL and identity of a link as typed; a link that is not a web address is refused.

    ``allow_private`` (the fetch policy's, for a closed test network) accepts private addresses.
    """
    typed = raw.strip()
    if not typed:
        raise InvalidInput("Enter the link of the content.")
    if len(typed) > MAX_LINK_CHARS:
        raise InvalidInput("A link is longer than {n} characters.", n=MAX_LINK_CHARS)
    if any(ch.isspace() or ord(ch) < 32 for ch in typed):
        raise InvalidInput("A link cannot contain spaces: {link}", link=typed[:100])
    candidate = typed if "://" in typed else "https://" + typed
    try:
        parts = urlsplit(candidate)
        hostname = parts.hostname or ""
        parts.port  # noqa: B018 - a malformed port raises here, not later
    except ValueError as exc:
        raise InvalidInput("This is not a web address: {link}", link=typed[:100]) from exc
    if parts.scheme.lower() not in ("http", "https") or ("." not in hostname.strip("[]") and ":" not in hostname):
        raise InvalidInput("This is not a web address: {link}", link=typed[:100])
    if parts.username or parts.password:
        raise InvalidInput("A link with a user name or password in it cannot be accepted: {link}", link=hostname)
    try:
        hostname = hostname.encode("idna").decode("ascii") if not hostname.isascii() else hostname
    except UnicodeError as exc:
        raise InvalidInput("This is not a web address: {link}", link=typed[:100]) from exc
    if not allow_private:
        _refuse_private_host(hostname)
    host = _host(hostname)
    path = parts.path.rstrip("/") or ""
    host, path, query = _canonical(host, path, _content_query(host, path, parts.query))
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    encoded = urlencode(query)
    # A TikTok video is the same whoever's handle its link names (the handle can change).
    video = TIKTOK_VIDEO.fullmatch(path) if host == "tiktok.com" else None
    identity = f"{host}{port}{'/video/' + video.group(1) if video else path}" + (f"?{encoded}" if encoded else "")
    if len(identity) > MAX_IDENTITY_CHARS:
        # Too long to be a key as it is: its digest is, prefixed by the host for whoever reads it.
        identity = f"{host[:100]}#{hashlib.sha256(identity.encode()).hexdigest()[:64]}"
    platform = platform_of(host)
    social = platform in SOCIAL_PLATFORMS
    url = urlunsplit(("https" if social else parts.scheme.lower(), (host if social else hostname.lower()) + port,
                      path or "/", encoded, ""))
    return Link(typed=typed, url=url, identity=identity, platform=platform)


def parse_links(values: list[str], *, allow_private: bool = False) -> list[Link]:
    """The distinct links of a report, in the order given; empty lines are skipped."""
    links: list[Link] = []
    seen: set[str] = set()
    for value in values:
        for line in value.splitlines() if value else ():
            if not line.strip():
                continue
            link = normalise_link(line, allow_private=allow_private)
            if link.identity not in seen:
                seen.add(link.identity)
                links.append(link)
    if len(links) > MAX_LINKS:
        raise InvalidInput("A report can name at most {n} links; send the others in another report.", n=MAX_LINKS)
    return links
