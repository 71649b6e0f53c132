"""Scam detector: phishing links, look-alike domains, shortened links and scam phrasing (SCAM_FRAUD).

The link helpers here (``find_links``, ``skeleton``, ``host_under``, ``within_distance``) are shared with
the impersonation detector, which looks for the same tricks in domains that claim a state agency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mangxanh.core.analysis.detector import DataFile
from mangxanh.core.analysis.types import Finding, Item, Span, merge_spans, msgid
from mangxanh.core.datafile import read_yaml
from mangxanh.core.text import fold_accents, normalise
from mangxanh.errors import ConfigurationError

SCAM_FILE = "scam.yaml"
_SHORT_LINK = (0.55, "shortened link asking for money or credentials")
# The signals' labels, translated in explanations fragment by fragment (web/templating.py): each
# label stands alone between "; ", or before the «quoted» text it names.
_LABELS = (msgid("shortened link asking for money or credentials"), msgid("domain imitating"),
           msgid("domain imitating a .gov.vn state site"), msgid("punycode domain"),
           msgid("asks to reply privately by phone or Zalo or inbox"))
_UNSEEN = (-1.0, "")
_MEMO_SIZE = 10_000  # hosts remembered per detector; items keep linking to the same few

# Top-level domains accepted for a bare host without "http(s)://"; keeps "TP.HCM" or "5tr.Vi" out.
_BARE_TLDS = frozenset({
    "vn", "vm", "com", "net", "org", "info", "xyz", "top", "online", "site", "club", "io", "me", "ly", "gl", "gd",
    "at", "cc", "id", "co", "app", "link", "shop", "store", "vip", "live", "asia", "biz", "pro", "tk", "ml", "ga",
    "cf", "gq", "cn", "ru", "us", "uk", "tv", "ws", "icu", "buzz", "cyou", "fun", "click", "work", "today", "life",
    "world", "space", "website", "tech"
})
_LINK = re.compile(
    r"(?i)(?<![\w@./-])(https?://)?((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:xn--[a-z0-9-]+|[a-z]{2,24}))"
    r"(?![\w-])(?::\d{2,5})?(/[^\s<>\"'«»“”()]*)?"
)
# Every link has a letter or digit, a dot and a letter (before its top-level domain): texts without
# one, nearly all of them, skip the link pattern. Same flags, so the same letters count.
_MAYBE_LINK = re.compile(r"(?i)[a-z0-9]\.[a-z]")
_TRAILING = ".,;:!?)]}'\"…"
# Look-alike letters collapse to one skeleton letter ("vietc0mbank", "vletcombank" → "vletcombank").
_SKELETON_PAIRS = (("rn", "m"), ("vv", "w"))
_SKELETON_TABLE = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l", "3": "e", "4": "a", "5": "s", "7": "t"})
_NEGATION = re.compile(r"\b(khong|dung|chang|cha|tuyet doi khong|khong bao gio|khong nen)\b(\s+\w+){0,5}\s*$")
_CLAUSE_BREAK = re.compile(r"[.;:!?\n]")
_WORD = re.compile(r"\w+")
_AMOUNT = r"\d[\d.,]*\s*(d|vnd|dong|k|tr|trieu)\b"


@dataclass(frozen=True, slots=True)
class Link:
    host: str
    start: int
    end: int


def find_links(text: str) -> list[Link]:
    """Links and bare domains in ``text``, with their exact ranges in it."""
    if not _MAYBE_LINK.search(text):
        return []
    links = []
    for match in _LINK.finditer(text):
        host = match.group(2).lower()
        if not match.group(1) and host.rsplit(".", 1)[-1] not in _BARE_TLDS and "xn--" not in host:
            continue
        end = match.end()
        while end > match.end(2) and text[end - 1] in _TRAILING:
            end -= 1
        links.append(Link(host, match.start(), end))
    return links


def host_of(url: str) -> str:
    # An address nearly always opens with its link: one anchored match, not a scan of the whole address.
    match = _LINK.match(url)
    if match is not None and match.group(1):
        return match.group(2).lower()
    found = find_links(url)
    return found[0].host if found else ""


def suffixes(host: str) -> set[str]:
    """The host and every parent domain: "a.b.vn" → {"a.b.vn", "b.vn", "vn"}."""
    labels = host.split(".")
    return {".".join(labels[i:]) for i in range(len(labels))}


def skeleton(text: str) -> str:
    text = text.lower()
    for pair, single in _SKELETON_PAIRS:
        text = text.replace(pair, single)
    return text.translate(_SKELETON_TABLE)


def host_under(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def within_distance(a: str, b: str, limit: int) -> bool:
    """Levenshtein distance of ``a`` and ``b`` is at most ``limit`` (banded, early exit)."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
        if min(current) > limit:
            return False
        previous = current
    return previous[-1] <= limit


def phrase_pattern(phrase: str) -> str:
    """A plain phrase as a regex over folded text: whole words, any run of spaces between them."""
    return r"\b" + r"\s+".join(re.escape(w) for w in fold_accents(phrase.lower()).split()) + r"\b"


@dataclass(frozen=True, slots=True)
class Brand:
    name: str
    keywords: tuple[str, ...]  # skeletons
    domains: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Phrase:
    label: str
    pattern: re.Pattern[str]
    weight: float
    triggers: frozenset[str]  # words one of which a text needs before the pattern is tried; empty: always


@dataclass(frozen=True, slots=True)
class ScamData:
    version: str
    brands: tuple[Brand, ...]
    official: frozenset[str]
    shorteners: tuple[str, ...]
    money_context: re.Pattern[str]
    phrases: tuple[Phrase, ...]
    protective: re.Pattern[str]
    call_to_action: re.Pattern[str]


def _strings(data: dict[str, Any], key: str, where: str) -> list[str]:
    value = data.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigurationError("{where}: '{key}' must be a non-empty list of strings", where=where, key=key)
    return value


def _compile(source: str, label: str) -> re.Pattern[str]:
    try:
        return re.compile(source)
    except re.error as exc:
        raise ConfigurationError("{label}: invalid regex: {error}", label=label, error=str(exc)) from None


def parse_scam_data(data: Any, *, where: str) -> ScamData:
    """Validate a parsed scam data file; errors name the file, the entry and the problem."""
    if not isinstance(data, dict):
        raise ConfigurationError("{where}: expected a mapping", where=where)
    brands = []
    for index, raw in enumerate(data.get("brands") or [], start=1):
        label = f"{where}: brand {index}"
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise ConfigurationError("{label}: missing 'name'", label=label)
        label = f"{label} ({raw['name']})"
        keywords, domains = raw.get("keywords"), raw.get("domains")
        for key, value in (("keywords", keywords), ("domains", domains)):
            if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
                raise ConfigurationError("{label}: '{key}' must be a non-empty list of strings", label=label, key=key)
        assert isinstance(keywords, list) and isinstance(domains, list)
        if any(not find_links(d) or find_links(d)[0].host != d.lower() for d in domains):
            raise ConfigurationError("{label}: 'domains' must be bare domain names", label=label)
        brands.append(Brand(raw["name"], tuple(skeleton(k) for k in keywords), tuple(d.lower() for d in domains)))
    if not brands:
        raise ConfigurationError("{where}: 'brands' must be a non-empty list", where=where)
    phrases = []
    for index, raw in enumerate(data.get("phrases") or [], start=1):
        label = f"{where}: phrase {index}"
        if not isinstance(raw, dict) or not isinstance(raw.get("phrase", raw.get("regex")), str):
            raise ConfigurationError("{label}: needs 'phrase' or 'regex'", label=label)
        text = raw.get("phrase") or raw["regex"]
        label = f"{label} ({text})"
        weight = raw.get("weight")
        if not isinstance(weight, int | float) or not 0 < weight < 1:
            raise ConfigurationError("{label}: 'weight' must be a number in (0, 1)", label=label)
        source = phrase_pattern(text) if "phrase" in raw else fold_accents(text)
        triggers = raw.get("triggers", [])
        if not isinstance(triggers, list) or not all(isinstance(t, str) and t.strip() for t in triggers):
            raise ConfigurationError("{label}: 'triggers' must be a list of words", label=label)
        words = frozenset(fold_accents(t.lower()) for t in triggers)
        if "phrase" in raw:
            words = frozenset(fold_accents(text.lower()).split()[:1])
        phrases.append(Phrase(str(raw.get("label", text)), _compile(source, label), float(weight), words))
    # An amount of money ("1.200.000đ", "500k", "2 triệu") is money context whatever the words.
    money = "|".join([_AMOUNT, *(phrase_pattern(p) for p in _strings(data, "money_context", where))])
    protective = "|".join(phrase_pattern(p) for p in _strings(data, "protective", where))
    actions = _strings(data, "call_to_action", where)
    for index, source in enumerate(actions, start=1):
        _compile(source, f"{where}: call_to_action {index}")
    return ScamData(
        version=str(data.get("version", "unversioned")),
        brands=tuple(brands),
        official=frozenset(d for b in brands for d in b.domains),
        shorteners=tuple(s.lower() for s in _strings(data, "shorteners", where)),
        money_context=re.compile(money),
        phrases=tuple(phrases),
        protective=re.compile(protective),
        call_to_action=re.compile("|".join(f"(?:{a})" for a in actions)),
    )


def load_scam_data(path: Path | None = None) -> ScamData:
    where, data = read_yaml(__package__, SCAM_FILE, path)
    return parse_scam_data(data, where=where)


def imitated_brand(host: str, brands: tuple[Brand, ...]) -> Brand | None:
    """The brand whose name a host borrows, when the host is not one of that brand's own domains."""
    tokens = [skeleton(t) for t in re.split(r"[.-]", host) if t]
    joined = "".join(tokens)
    parents = suffixes(host)
    for brand in brands:
        if not parents.isdisjoint(brand.domains):
            continue
        for keyword in brand.keywords:
            if (keyword in joined) if len(keyword) >= 5 else (keyword in tokens):
                return brand
            if len(keyword) >= 6 and any(len(t) >= 6 and within_distance(t, keyword, 1) for t in tokens):
                return brand
    return None


class ScamDetector:
    """Finds scams and phishing: look-alike domains, shortened links asking for money, scam phrasing.

    Vietnamese caveats: scam wording is everyday wording ("làm nhiệm vụ" is also homework, "trúng
    thưởng" also a real lucky draw), so a phrase alone rarely reaches 0.5; several signals combine.
    Texts that warn about scams ("cảnh giác", "không bao giờ yêu cầu", "đừng chuyển") quote the same
    words; they are scored down unless they also push the reader to a phone number, Zalo or inbox,
    which warnings do not. Phrases right after a negation ("không cung cấp mã OTP") are ignored.
    Matching folds accents, so it also reads unaccented text, at the cost of rare homographs.
    """

    name = "scam"
    needs = frozenset({"text", "url"})
    provides = frozenset({"SCAM_FRAUD"})

    def __init__(self, path: Path | None = None) -> None:
        self._file = DataFile(load_scam_data, path)
        self._hosts: dict[str, tuple[float, str] | None] = {}

    @property
    def data(self) -> ScamData:
        return self._file.get()

    @property
    def version(self) -> str:
        return f"1.0+{self.data.version}"

    def _official(self, host: str) -> bool:
        return host.endswith(".gov.vn") or not self.data.official.isdisjoint(suffixes(host))

    def _link_signal(self, host: str, folded: str) -> tuple[float, str] | None:
        signal = self._host_signal(host)
        if signal is _SHORT_LINK and not self.data.money_context.search(folded):
            return None
        return signal

    def _host_signal(self, host: str) -> tuple[float, str] | None:
        """What the host alone says (memoised); ``_SHORT_LINK`` also needs money context in the text."""
        signal = self._hosts.get(host, _UNSEEN)
        if signal is _UNSEEN:
            if len(self._hosts) >= _MEMO_SIZE:
                self._hosts.clear()
            signal = self._hosts[host] = self._judge_host(host)
        return signal

    def _judge_host(self, host: str) -> tuple[float, str] | None:
        data = self.data
        if self._official(host):
            return None
        brand = imitated_brand(host, data.brands)
        if brand is not None:
            return 0.9, f"domain imitating «{brand.name}»"
        labels = re.split(r"[.-]", host)
        if "gov" in labels:
            return 0.9, "domain imitating a .gov.vn state site"
        if any(label.startswith("xn--") for label in host.split(".")):
            return 0.75, "punycode domain"
        if any(host_under(host, s) for s in data.shorteners):
            return _SHORT_LINK
        return None

    def detect(self, item: Item) -> list[Finding]:
        data = self.data
        mapped = normalise(item.text)
        folded = fold_accents(mapped.text)
        weights: dict[str, float] = {}
        spans: list[Span] = []
        for link in find_links(item.text):
            found = self._link_signal(link.host, folded)
            if found is not None:
                label = f"{found[1]} «{item.text[link.start:link.end]}»"
                weights[label] = found[0]
                spans.append((link.start, link.end))
        own_host = host_of(item.url) if item.url else ""
        own = self._link_signal(own_host, folded) if own_host else None
        if own is not None and own is not _SHORT_LINK:
            weights[f"{own[1]} (the item's own address {own_host})"] = own[0]
        phrase_seen = False
        present = set(_WORD.findall(folded))
        for phrase in data.phrases:
            if phrase.triggers and phrase.triggers.isdisjoint(present):
                continue
            for match in phrase.pattern.finditer(folded):
                before = _CLAUSE_BREAK.split(folded[max(0, match.start() - 50) : match.start()])[-1]
                if _NEGATION.search(before):
                    continue
                weights[f"«{phrase.label}»"] = max(weights.get(f"«{phrase.label}»", 0.0), phrase.weight)
                spans.append(mapped.original_span(match.start(), match.end()))
                phrase_seen = True
        if not weights:
            return []
        acting = data.call_to_action.search(folded) is not None
        if acting and phrase_seen:
            weights["asks to reply privately by phone or Zalo or inbox"] = 0.15
        remaining = 1.0
        for weight in weights.values():
            remaining *= 1.0 - weight
        score = 1.0 - remaining
        if not acting and data.protective.search(folded):
            # A warning or a news report quotes the scam; it does not run it.
            score *= 0.35
        if score < 0.4:
            return []
        return [
            Finding(
                category="SCAM_FRAUD",
                score=round(min(score, 0.99), 4),
                spans=merge_spans(spans),
                detector=self.name,
                detector_version=self.version,
                explanation=msgid("Scam signals: {signals}"),
                explanation_params={"signals": "; ".join(weights)},
            )
        ]
