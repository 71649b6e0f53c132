"""Near-duplicate clustering for coordinated campaigns: one text copied, with small edits, by many pages.

Pure and in memory: texts become MinHash signatures over character shingles of their normalised,
accent-folded form; an LSH banding index finds earlier texts that share a band, and a text joins the
cluster of the most similar candidate whose estimated Jaccard similarity reaches the threshold.

- Deterministic: hashes are CRC-32 (fixed, unseeded by the interpreter), never Python's ``hash()``
  of strings, so the same texts added in the same order give the same clusters in every process.
- Fast: one hash per shingle ("one permutation hashing" with densification), sorted in C; about
  10,000 texts a second of 200 characters on one core.
- Memory-bounded: at most ``max_items`` signatures are kept (oldest evicted first), buckets hold at
  most ``bucket_limit`` entries and a cluster remembers at most ``max_members`` keys; counts and
  spread over time are kept for every cluster with more than one member.

Vietnamese caveats: accents are folded, so a copy typed without diacritics still matches; character
shingles tolerate teen-code edits ("ko", "dc") but a full rewording is a different text — paraphrases
belong to the false-information detector, not here. Short texts (a few words) are noisy: the caller
should skip texts under ``min_chars``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from array import array
from collections import Counter, deque
from dataclasses import dataclass
from datetime import date, datetime
from itertools import chain

_NON_WORD = re.compile(rb"[^a-z0-9]+")
_MASK = 0xFFFFFFFF


def shingle_text(text: str) -> bytes:
    """Lower case, accents folded ("Đường" → "duong"), everything but ASCII letters and digits one space.

    Folding goes through NFD and drops the combining marks, all in C; letters outside Latin
    (emoji, other scripts) are dropped too, which suits Vietnamese text.
    """
    folded = unicodedata.normalize("NFD", text.lower().replace("đ", "d")).encode("ascii", "ignore")
    return _NON_WORD.sub(b" ", folded).strip()


def signature(text: str, *, num_perm: int = 128, shingle: int = 4, seed: int = 0x6D78) -> array[int]:
    """A one-permutation MinHash signature of ``num_perm`` 32-bit values (``num_perm`` a power of two)."""
    data = shingle_text(text)
    crc = zlib.crc32
    hashes = {crc(data[i : i + shingle], seed) for i in range(max(1, len(data) - shingle + 1))}
    shift = 32 - (num_perm.bit_length() - 1)
    slots: list[int | None] = [None] * num_perm
    # Descending order: the last value written to a bin (its high bits) is that bin's minimum.
    for value in sorted(hashes, reverse=True):
        slots[value >> shift] = value
    filled = [i for i, v in enumerate(slots) if v is not None]
    if not filled:
        return array("I", [0] * num_perm)
    # Densification: an empty bin borrows the next filled bin's value, mixed with the distance.
    result = array("I", [0] * num_perm)
    nxt = filled[0] + num_perm
    for i in range(num_perm - 1, -1, -1):
        own = slots[i]
        if own is not None:
            result[i] = own
            nxt = i
        else:
            borrowed = slots[nxt % num_perm]
            assert borrowed is not None
            result[i] = (borrowed * 0x9E3779B1 + (nxt - i)) & _MASK
    return result


def estimate(a: array[int], b: array[int]) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two signatures."""
    return sum(1 for x, y in zip(a, b, strict=True) if x == y) / len(a)


def _lane_masks(lanes: int) -> tuple[int, int]:
    low31 = int.from_bytes(b"\xff\xff\xff\x7f" * lanes, "little")
    return low31, low31 | int.from_bytes(b"\x00\x00\x00\x80" * lanes, "little")


def _equal_lanes(a: int, b: int, low31: int, full: int) -> int:
    """How many 32-bit lanes of two packed signatures are equal, in a few big-integer operations."""
    x = a ^ b
    # A lane of x is zero iff adding 0x7FFFFFFF to its low 31 bits sets no high bit and x has none.
    return (~(((x & low31) + low31) | x | low31) & full).bit_count()


@dataclass(frozen=True, slots=True)
class CampaignCluster:
    """A snapshot of one cluster: who posted the text and when."""

    id: str
    size: int
    members: tuple[str, ...]
    first_seen: datetime | None
    last_seen: datetime | None
    per_day: tuple[tuple[date, int], ...]


class _Cluster:
    __slots__ = ("first_seen", "id", "last_seen", "live", "members", "per_day", "size")

    def __init__(self, cluster_id: str) -> None:
        self.id = cluster_id
        self.size = 0
        self.live = 0
        self.members: list[str] = []
        self.first_seen: datetime | None = None
        self.last_seen: datetime | None = None
        self.per_day: Counter[date] = Counter()


class CampaignIndex:
    """Groups near-duplicate texts as they arrive; ``add`` returns the text's cluster id."""

    def __init__(
        self,
        *,
        num_perm: int = 128,
        rows: int = 3,
        shingle: int = 4,
        threshold: float = 0.3,
        max_items: int = 50_000,
        max_members: int = 1_000,
        bucket_limit: int = 32,
        max_candidates: int = 8,
    ) -> None:
        if num_perm < 8 or num_perm & (num_perm - 1) or num_perm > 1024:
            raise ValueError("num_perm must be a power of two between 8 and 1024")
        if not 0 < rows <= num_perm or not 0 < threshold <= 1:
            raise ValueError("rows must be in [1, num_perm] and threshold in (0, 1]")
        self.num_perm, self.rows, self.shingle, self.threshold = num_perm, rows, shingle, threshold
        self.max_items, self.max_members, self.bucket_limit = max_items, max_members, bucket_limit
        self.max_candidates = max_candidates
        self._bands = num_perm // rows
        self._buckets: dict[bytes, list[str]] = {}
        self._signatures: dict[str, int] = {}  # packed: 32 bits a value, little-endian
        self._low31, self._full = _lane_masks(num_perm)
        self._cluster_of: dict[str, str] = {}
        self._clusters: dict[str, _Cluster] = {}
        self._order: deque[str] = deque()

    def __len__(self) -> int:
        return len(self._signatures)

    def _band_keys(self, sig: array[int] | int) -> list[bytes]:
        raw = sig.to_bytes(4 * self.num_perm, "little") if isinstance(sig, int) else sig.tobytes()
        width = 4 * self.rows
        return [bytes((band,)) + raw[band * width : (band + 1) * width] for band in range(self._bands)]

    def add(self, key: str, text: str, at: datetime | None = None) -> str:
        """Index ``text`` under ``key``; adding a key again changes nothing and returns its cluster."""
        known = self._cluster_of.get(key)
        if known is not None:
            return known
        sig = signature(text, num_perm=self.num_perm, shingle=self.shingle)
        bands = self._band_keys(sig)
        best_score, best_cluster = 0.0, ""
        shared: Counter[str] = Counter(chain.from_iterable(filter(None, map(self._buckets.get, bands))))
        # The texts sharing the most bands are the likeliest near-duplicates; only those are compared.
        packed = int.from_bytes(sig.tobytes(), "little")
        for other, _ in shared.most_common(self.max_candidates):
            score = _equal_lanes(packed, self._signatures[other], self._low31, self._full) / self.num_perm
            if score >= self.threshold and score > best_score:
                best_score, best_cluster = score, self._cluster_of[other]
        if not best_cluster:
            best_cluster = "cmp-" + hashlib.blake2b(key.encode("utf-8"), digest_size=6).hexdigest()
            self._clusters[best_cluster] = _Cluster(best_cluster)
        cluster = self._clusters[best_cluster]
        cluster.size += 1
        cluster.live += 1
        if len(cluster.members) < self.max_members:
            cluster.members.append(key)
        if at is not None:
            cluster.first_seen = at if cluster.first_seen is None else min(cluster.first_seen, at)
            cluster.last_seen = at if cluster.last_seen is None else max(cluster.last_seen, at)
            cluster.per_day[at.date()] += 1
        self._signatures[key] = packed
        self._cluster_of[key] = best_cluster
        self._order.append(key)
        limit = self.bucket_limit
        for bucket in map(self._buckets.setdefault, bands, [[] for _ in bands]):
            bucket.append(key)
            if len(bucket) > limit:
                del bucket[0]
        while len(self._order) > self.max_items:
            self._evict(self._order.popleft())
        return best_cluster

    def _evict(self, key: str) -> None:
        sig = self._signatures.pop(key)
        for band in self._band_keys(sig):
            bucket = self._buckets.get(band)
            if bucket is not None and key in bucket:
                bucket.remove(key)
                if not bucket:
                    del self._buckets[band]
        cluster = self._clusters[self._cluster_of.pop(key)]
        cluster.live -= 1
        if cluster.live == 0 and cluster.size == 1:
            del self._clusters[cluster.id]

    def cluster_of(self, key: str) -> str | None:
        return self._cluster_of.get(key)

    def members(self, cluster_id: str) -> tuple[str, ...]:
        return tuple(self._clusters[cluster_id].members)

    def cluster(self, cluster_id: str) -> CampaignCluster:
        found = self._clusters[cluster_id]
        return CampaignCluster(found.id, found.size, tuple(found.members), found.first_seen, found.last_seen,
                               tuple(sorted(found.per_day.items())))

    def clusters(self, *, min_size: int = 2) -> list[CampaignCluster]:
        """Clusters of at least ``min_size`` texts, largest first, then earliest."""
        chosen = [self.cluster(c.id) for c in self._clusters.values() if c.size >= min_size]
        return sorted(chosen, key=lambda c: (-c.size, c.first_seen or datetime.min, c.id))
