"""Whether a post carries a message: the department's correction or a campaign's text, shared by a partner page.

A partner rarely reposts a text word for word: it adds a line of its own ("Thông tin chính thức từ
…"), cuts the end, drops the accents. What is measured is containment: the share of the message's
character shingles (accent-folded, as the campaign clustering folds them) found in the post. A
post with most of the message in it carries it, however much it adds; one that merely speaks of
the same topic shares a few common shingles and does not. A post that links to the message's own
address carries it too, and so does one with all of a campaign message's hashtags.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from mangxanh.core.analysis.campaigns import shingle_text

SHINGLE = 5
CONTAINED = 0.6  # of the message's shingles found in the post
MIN_SHINGLES = 20  # a message shorter than this is matched by its link or hashtags only
_HASHTAG = re.compile(r"#\w+")


def shingles(text: str) -> frozenset[int]:
    data = shingle_text(text)
    return frozenset(zlib.crc32(data[i : i + SHINGLE]) for i in range(max(0, len(data) - SHINGLE + 1)))


def hashtags(text: str) -> frozenset[str]:
    return frozenset(tag.lower() for tag in _HASHTAG.findall(text))


@dataclass(frozen=True, slots=True)
class Message:
    """A text to find in posts, prepared once: its shingles, its links and its hashtags."""

    text: str
    links: tuple[str, ...]
    tags: frozenset[str]
    grams: frozenset[int]

    @classmethod
    def of(cls, text: str, *, links: Iterable[str] = (), tags: Iterable[str] = ()) -> Message:
        kept = tuple(link.strip().rstrip("/").lower() for link in links if link and link.strip())
        return cls(text, kept, frozenset(t.lower() for t in tags if t), shingles(text))

    def containment(self, post: str) -> float:
        if not self.grams:
            return 0.0
        return len(self.grams & shingles(post)) / len(self.grams)

    def carried_by(self, post: str, *, url: str = "") -> bool:
        lowered = f"{post} {url}".lower()
        if any(link in lowered for link in self.links):
            return True
        if self.tags and self.tags <= hashtags(post):
            return True
        return len(self.grams) >= MIN_SHINGLES and self.containment(post) >= CONTAINED
