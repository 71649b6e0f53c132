"""Impersonation detector: pages, handles and sites that pose as a state agency (IMPERSONATE_GOV)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from mangxanh.core.analysis.detector import DataFile
from mangxanh.core.analysis.detectors.channels import Channel, handle_from_url, parse_channels
from mangxanh.core.analysis.detectors.scam import find_links, host_of, phrase_pattern, skeleton, suffixes
from mangxanh.core.analysis.types import Finding, Item, Span, merge_spans, msgid
from mangxanh.core.datafile import read_yaml
from mangxanh.core.text import fold_accents, normalise, tokens
from mangxanh.errors import ConfigurationError

AGENCIES_FILE = "agencies.yaml"
_NON_ALNUM = re.compile(r"[^a-z0-9]")
# The evidence's labels, translated in explanations fragment by fragment (web/templating.py): each
# stands before the «quoted» name it introduces, between "; ".
_LABELS = (msgid("page name"), msgid("handle"), msgid("close to the registered handle"), msgid("domain"),
           msgid("the item's address"), msgid("a state body missing from the registry"))


@dataclass(frozen=True, slots=True)
class Agency:
    id: str
    name: str
    names: tuple[tuple[str, ...], ...]  # canonical token sequences, filler dropped
    keys: tuple[str, ...]  # canonical concatenations, for handles and domains
    domains: tuple[str, ...]
    handles: frozenset[str]
    channels: tuple[Channel, ...] = ()
    contact: str = ""


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class _Near:
    """Words within one edit (or one swap) of a listed word: a deletion index, no pairwise distances."""

    def __init__(self, words: dict[str, str], min_length: int) -> None:
        self.exact = dict(words)
        self.min_length = min_length
        self.index: dict[str, str] = {}
        for word, value in words.items():
            if len(word) >= min_length:
                for variant in _deletions(word) | {word}:
                    self.index.setdefault(variant, value)

    def get(self, word: str) -> str | None:
        found = self.exact.get(word)
        if found is not None or len(word) < self.min_length:
            return found
        for variant in _deletions(word) | {word}:
            if (found := self.index.get(variant)) is not None:
                return found
        return None


@dataclass(frozen=True, slots=True)
class Registry:
    version: str
    agencies: tuple[Agency, ...]
    synonyms: dict[tuple[str, ...], tuple[str, ...]]
    longest: int
    concat: re.Pattern[str]
    concat_map: dict[str, str]
    filler: frozenset[str]
    community: frozenset[tuple[str, ...]]
    warning: re.Pattern[str]
    departments: frozenset[str]
    name_words: _Near  # any spelling one edit away from a word of an agency name → that word
    names: dict[tuple[str, ...], Agency]
    name_lengths: tuple[int, ...]
    shapes: _Near  # look-alike shape of a registered handle or domain → "agency|official"
    official_domains: frozenset[str]
    handles: frozenset[str]
    key_pattern: re.Pattern[str]  # every agency key, for handles and domains
    key_agency: dict[str, str]

    def official_host(self, host: str) -> bool:
        return host.endswith(".gov.vn") or not self.official_domains.isdisjoint(suffixes(host))

    def claimed(self, text: str) -> str | None:
        """The agency whose key a handle or domain contains."""
        match = self.key_pattern.search(self.squashed(text))
        return self.key_agency[match.group()] if match else None

    def words(self, text: str, *, keep_filler: bool = False) -> list[str]:
        """Canonical words of a name: folded, look-alike letters read, synonyms applied."""
        raw = [skeleton(t.folded) for t in tokens(normalise(text))]
        out: list[str] = []
        i = 0
        while i < len(raw):
            for size in range(min(self.longest, len(raw) - i), 0, -1):
                canonical = self.synonyms.get(tuple(raw[i : i + size]))
                if canonical is not None:
                    out.extend(canonical)
                    i += size
                    break
            else:
                out.append(raw[i])
                i += 1
        return out if keep_filler else [w for w in out if w not in self.filler]

    def squashed(self, text: str) -> str:
        """A handle or domain as one canonical string: "catp.hanoi" → "conganhn"."""
        text = _NON_ALNUM.sub("", skeleton(fold_accents(text.lower())))
        return self.concat.sub(lambda m: self.concat_map[m.group()], text).replace("tphn", "hn")


def _handle_skeleton(handle: str) -> str:
    text = _NON_ALNUM.sub("", skeleton(handle))
    return text[:-2] + "vn" if text.endswith("vm") else text


def _alternation(words: dict[str, str]) -> re.Pattern[str]:
    """Any of the words, longest first; matches nothing when there are none."""
    return re.compile("|".join(re.escape(k) for k in sorted(words, key=len, reverse=True) if k) or r"(?!x)x")


def _string_list(raw: dict[str, Any], key: str, label: str) -> list[str]:
    value = raw.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigurationError(msgid("{label}: '{key}' must be a non-empty list of strings"), label=label, key=key)
    return value


def parse_registry(data: Any, *, where: str) -> Registry:
    """Validate a parsed agency registry; errors name the file, the entry and the problem."""
    if not isinstance(data, dict) or not isinstance(data.get("agencies"), list) or not data["agencies"]:
        raise ConfigurationError(msgid("{where}: expected a mapping with a non-empty list of 'agencies'"), where=where)
    if not isinstance(data.get("synonyms"), dict):
        raise ConfigurationError(msgid("{where}: 'synonyms' must be a mapping of canonical: [variants]"), where=where)
    synonyms: dict[tuple[str, ...], tuple[str, ...]] = {}
    concat_map: dict[str, str] = {}
    short_forms: dict[str, set[str]] = {}
    for canonical, variants in data["synonyms"].items():
        label = f"{where}: synonyms ({canonical})"
        if not isinstance(variants, list) or not all(isinstance(v, str) and v.strip() for v in variants):
            raise ConfigurationError(msgid("{label}: variants must be a list of strings"), label=label)
        target = tuple(skeleton(w) for w in fold_accents(str(canonical).lower()).split())
        for variant in variants:
            key = tuple(skeleton(t.folded) for t in tokens(normalise(variant)))
            synonyms[key] = target
            joined = "".join(key)
            if len(joined) >= 4:
                concat_map[joined] = "".join(target)
            elif len(target) == 1:
                short_forms.setdefault(target[0], set()).add(joined)
    filler = frozenset(skeleton(w) for w in _string_list(data, "filler", where))
    registry = Registry(
        version=str(data.get("version", "unversioned")),
        agencies=(),
        synonyms=synonyms,
        longest=max((len(k) for k in synonyms), default=1),
        concat=_alternation(concat_map),
        concat_map=concat_map,
        filler=filler,
        community=frozenset(),
        warning=re.compile("|".join(phrase_pattern(w) for w in _string_list(data, "warning_words", where))),
        departments=frozenset(),
        name_words=_Near({}, 5),
        names={},
        name_lengths=(),
        shapes=_Near({}, 8),
        official_domains=frozenset(),
        handles=frozenset(),
        key_pattern=re.compile(r"(?!x)x"),
        key_agency={},
    )
    community = frozenset(tuple(registry.words(w)) for w in _string_list(data, "community_words", where))
    agencies, departments, seen = [], set(), set()
    for index, raw in enumerate(data["agencies"], start=1):
        label = f"{where}: agency {index}"
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not isinstance(raw.get("name"), str):
            raise ConfigurationError(msgid("{label}: needs 'id' and 'name'"), label=label)
        label = f"{label} ({raw['id']})"
        if raw["id"] in seen:
            raise ConfigurationError(msgid("{label}: duplicate id"), label=label)
        seen.add(raw["id"])
        names: list[tuple[str, ...]] = []
        keys: set[str] = set()
        for name in _string_list(raw, "names", label):
            full = registry.words(name, keep_filler=True)
            if not full:
                raise ConfigurationError(msgid("{label}: name {name!r} has no letters"), label=label, name=name)
            names.append(tuple(w for w in full if w not in filler))
            if full[0] == "so" and len(full) > 1:
                departments.add(full[1])
            options = [[w] if w not in filler else [w, *short_forms.get(w, ()), ""] for w in full]
            keys.update(registry.squashed("".join(combo)) for combo in itertools.product(*options))
        keys.update(registry.squashed(k) for k in raw.get("keys", []) if isinstance(k, str))
        domains = [d.lower() for d in _string_list(raw, "domains", label)]
        if any(host_of(d) != d for d in domains):
            raise ConfigurationError(msgid("{label}: 'domains' must be bare domain names"), label=label)
        channels = parse_channels(raw.get("channels", []), label=label)
        # A body whose pages are all listed as channels needs no bare 'handles' list.
        listed = _string_list(raw, "handles", label) if raw.get("handles") or not channels else []
        handles = frozenset([*(h.lower() for h in listed),
                             *(c.handle.lower() for c in channels if c.handle)])
        contact = raw.get("contact", "")
        if not isinstance(contact, str):
            raise ConfigurationError(msgid("{label}: 'contact' must be text"), label=label)
        agencies.append(Agency(raw["id"], raw["name"], tuple(names), tuple(k for k in keys if len(k) >= 5),
                               tuple(domains), handles, channels, contact.strip()))
    by_name = {key: a for a in reversed(agencies) for key in a.names}
    key_agency = {key: a.name for a in reversed(agencies) for key in a.keys}
    shapes = {_handle_skeleton(o): f"{a.name}|{o}" for a in reversed(agencies) for o in (*a.handles, *a.domains)}
    return Registry(registry.version, tuple(agencies), synonyms, registry.longest, registry.concat, concat_map,
                    filler, community, registry.warning, frozenset(departments),
                    _Near({w: w for key in by_name for w in key}, 5), by_name, tuple(sorted({len(k) for k in by_name})),
                    _Near(shapes, 8), frozenset(d for a in agencies for d in a.domains),
                    frozenset(h for a in agencies for h in a.handles),
                    _alternation(key_agency), key_agency)


def load_registry(path: Path | None = None) -> Registry:
    where, data = read_yaml(__package__, AGENCIES_FILE, path)
    return parse_registry(data, where=where)


@dataclass(frozen=True, slots=True)
class _Signal:
    weight: float
    agency: str
    evidence: str
    span: Span | None = None


_MEMO_SIZE = 10_000
Found = TypeVar("Found")


def _memo(memo: dict[str, Found], key: str, judge: Callable[[str], Found]) -> Found:
    """``judge(key)``, remembered (a bounded number of keys: long-lived workers see many pages)."""
    if key in memo:
        return memo[key]
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    found = memo[key] = judge(key)
    return found


class ImpersonationDetector:
    """Finds pages, handles and sites that claim a registered state agency's name but are not its own.

    Evidence comes from the author's page name, its handle, the item's address and domains in the
    text. A finding based only on the page name has no text span (empty tuple); its explanation says so.

    Vietnamese caveats: names are compared with accents folded and abbreviations expanded
    ("UBND TP HN", "CATP", "Sở TT&TT"), look-alike letters read (0/o, 1/l/i, rn/m, vm/vn) and one
    letter of spelling slack, so a real agency whose page is missing from the registry is flagged:
    the registry (``agencies.yaml``) must list every verified page. Short Vietnamese words are also
    names ("Sở" is a surname and a place, "Quán Sở" a restaurant); only full agency names count, and
    community pages ("Hội ...", "Yêu ...") that mention an agency are scored below a case.
    """

    name = "impersonation"
    needs = frozenset({"text", "url", "author", "author_handle"})
    provides = frozenset({"IMPERSONATE_GOV"})

    # The registry is edited in the console (domains/outreach/registries.py); this is its name there.
    registry_name = "agencies"

    def __init__(self, path: Path | None = None) -> None:
        self._file = DataFile(load_registry, path)
        # Pages, handles and hosts recur from item to item; what each says depends on nothing else.
        self._names: dict[str, _Signal | None] = {}
        self._handles: dict[str, _Signal | None] = {}
        self._hosts: dict[str, tuple[float, str] | None] = {}

    @property
    def registry(self) -> Registry:
        return self._file.get()

    @staticmethod
    def parse_registry_data(data: Any, *, where: str) -> Registry:
        return parse_registry(data, where=where)

    def use_registry(self, registry: Registry) -> None:
        """Judge with ``registry`` from now on; what was remembered of pages and hosts is forgotten."""
        self._file.replace(registry)
        self._names, self._handles, self._hosts = {}, {}, {}

    @property
    def version(self) -> str:
        return f"1.0+{self.registry.version}"

    def _name_signal(self, author: str) -> _Signal | None:
        return _memo(self._names, author, self._judge_name)

    def _handle_signal(self, handle: str) -> _Signal | None:
        return _memo(self._handles, handle, self._judge_handle)

    def _domain_signal(self, host: str) -> tuple[float, str] | None:
        return _memo(self._hosts, host, self._judge_domain)

    def _judge_name(self, author: str) -> _Signal | None:
        reg = self.registry
        full = reg.words(author, keep_filler=True)
        words = [reg.name_words.get(w) or w for w in full if w not in reg.filler]
        for start in range(len(words)):
            for size in reg.name_lengths:
                agency = reg.names.get(tuple(words[start : start + size]))
                # A short name ("Sở Y tế", "UBND Hà Nội") counts only at the start of the page name.
                if agency is None or (start > 0 and size < 3):
                    continue
                before = words[:start]
                communal = any(tuple(before[i : i + len(c)]) == c for c in reg.community for i in range(len(before)))
                return _Signal(0.3 if communal else 0.8, agency.name, f"page name «{author}»")
        generic = (full[:1] == ["ubnd"] and len(full) > 1) or (full[:1] == ["congan"] and len(full) > 1 and
                                                               full[1] in {"hn", "tp", "quan", "phuong", "xa"})
        if generic or (len(full) > 1 and full[0] == "so" and full[1] in reg.departments):
            return _Signal(0.65, "a state body missing from the registry", f"page name «{author}»")
        return None

    def _judge_handle(self, handle: str) -> _Signal | None:
        reg = self.registry
        found = reg.shapes.get(_handle_skeleton(handle))
        if found is not None:
            agency, official = found.split("|", 1)
            return _Signal(0.9, agency, f"handle «{handle}», close to the registered handle «{official}»")
        claimed = reg.claimed(handle)
        return _Signal(0.8, claimed, f"handle «{handle}»") if claimed else None

    def _judge_domain(self, host: str) -> tuple[float, str] | None:
        reg = self.registry
        if reg.official_host(host):
            return None
        found = reg.shapes.get(_handle_skeleton(host))
        if found is not None:
            return 0.85, found.split("|", 1)[0]
        claimed = reg.claimed(host)
        if claimed:
            return 0.85, claimed
        if "gov" in re.split(r"[.-]", host):
            return 0.75, "a state body (.gov.vn)"
        return None

    def _registered(self, handle: str, url_host: str) -> bool:
        reg = self.registry
        if handle and handle.lower() in reg.handles:
            return True
        return bool(url_host) and reg.official_host(url_host)

    def detect(self, item: Item) -> list[Finding]:
        reg = self.registry
        handle = item.author_handle.strip() or handle_from_url(item.url)
        url_host = host_of(item.url) if item.url else ""
        if self._registered(handle, url_host):
            return []
        signals: list[_Signal] = []
        if item.author.strip() and (found := self._name_signal(item.author)) is not None:
            signals.append(found)
        if handle and (found := self._handle_signal(handle)) is not None:
            signals.append(found)
        if url_host and (hit := self._domain_signal(url_host)) is not None:
            signals.append(_Signal(hit[0], hit[1], f"the item's address «{url_host}»"))
        warned = None
        for link in find_links(item.text):
            if (hit := self._domain_signal(link.host)) is not None:
                if warned is None:
                    warned = reg.warning.search(fold_accents(item.text.lower())) is not None
                # Quoting a fake domain to warn about it is not posing as the agency.
                weight = hit[0] * (0.4 if warned else 1.0)
                signals.append(_Signal(weight, hit[1], f"domain «{item.text[link.start:link.end]}»",
                                       (link.start, link.end)))
        if not signals:
            return []
        remaining = 1.0
        for signal in signals:
            remaining *= 1.0 - signal.weight
        score = min(1.0 - remaining, 0.99)
        if score < 0.3:
            return []
        best = max(signals, key=lambda s: s.weight)
        spans = merge_spans([s.span for s in signals if s.span is not None])
        evidence = "; ".join(s.evidence for s in signals)
        if not spans:
            evidence += "; " + msgid("found from the page's name or handle or address only: no span in the text")
        return [
            Finding(
                category="IMPERSONATE_GOV",
                score=round(score, 4),
                spans=spans,
                detector=self.name,
                detector_version=self.version,
                explanation=msgid("Poses as {agency} without being its registered page or site: {evidence}"),
                explanation_params={"agency": best.agency, "evidence": evidence},
            )
        ]
