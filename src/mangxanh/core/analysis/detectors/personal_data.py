"""Personal-data detector: people's data exposed (DOXXING) and children identified and bullied
(CHILD_PRIVACY_BULLY).

Finds Vietnamese mobile numbers (03x/05x/07x/08x/09x, +84 and 84 forms, with spaces, dots or
dashes), 12-digit CCCD and 9-digit CMND numbers after an ID word, bank account numbers after a bank
name or "STK", e-mail addresses, licence plates, street addresses and full names, then weighs the
words around them (``personal_data.yaml``):

- DOXXING: the more kinds of data about one person, the higher; shaming and calls to harass
  ("bóc phốt", "ai biết thì share", "ae cứ gọi hỏi thăm") raise it. A poster's own contact (a
  shop's hotline, a landlord, a lost pet, a charity's account, an official notice) stays under 0.5
  unless the text also shames or hunts someone.
- CHILD_PRIVACY_BULLY: a child (grade, school, age, "con bé", "thằng bé") identified by name,
  class code, school or address, together with bullying words.

Vietnamese caveats:
- Numbers are ambiguous: a 10-digit order number or an account number can look like a phone, so
  ID numbers need an ID word before them, accounts need a bank word, and numbers after "mã đơn"
  are skipped. Landlines, 1900/1800 and three-digit hotlines are never phones here.
- Names are found by capitals and family names; text in all lower case loses full names, and
  "Hà Nội" or "Lâm Đồng" are places, not people (see ``place_words``).
- "nó", "hắn", "bà ta" carry contempt only sometimes; they weigh little alone.
- A bullying word right after "bị" ("bị bạn trêu") tells of a victim, usually a parent asking for
  help, and is not counted.
- ``needs`` includes ``author``: a business author posting its own hotline is not doxxing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mangxanh.core.analysis.detector import DataFile
from mangxanh.core.analysis.types import Finding, Item, Span, merge_spans, msgid
from mangxanh.core.datafile import checked_patterns, read_yaml
from mangxanh.core.text import MappedText, fold_accents, normalise
from mangxanh.errors import ConfigurationError

DATA_FILE = "personal_data.yaml"
DATA_KINDS = ("id", "bank", "email", "plate", "phone", "address")
# msgid(): the console shows these in the user's language.
LABELS = {"id": msgid("ID number"), "bank": msgid("bank account"), "email": msgid("e-mail"),
          "plate": msgid("licence plate"), "phone": msgid("phone number"), "address": msgid("address"),
          "name": msgid("name"), "class": msgid("class"), "school": msgid("school")}
# Number formats, matched on the normalised (lower-case) text.
_PHONE = r"(?<![\w+])(?:\(?\+84\)?[\s.\-]?|84[\s.\-]?|0)(?:3[2-9]|5[2689]|7[06-9]|8[1-9]|9\d)(?:[\s.\-]?\d){7}(?!\d)"
_EMAIL = r"(?<![\w.+\-])[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"
_PLATE = r"(?<![\w.])\d{2}\s?-?\s?[a-zđ]{1,2}\d?(?:\s?-\s?(?:\d{3}\.?\d{2}|\d{4})|\s\d{3}\.\d{2})(?!\w)"
_NOT_MONEY = r"(?![\d])(?!\s?(?:đ|vnđ|vnd|đồng|k\b|tr\b|triệu|nghìn|usd|%))"
# Words before a given name ("tên Hùng", "thằng Khải", "cô Lan") and words that start a school's name.
KIN_WORDS = frozenset({"tên", "ten", "thằng", "thang", "con", "bé", "be", "cháu", "chau", "cô", "co", "thầy", "thay",
                       "anh", "chị", "chi", "em", "lão", "lao"})
SCHOOL_WORDS = frozenset({"trường", "truong", "thcs", "thpt", "th"})
SCHOOL_PAIRS = frozenset({"tiểu học", "tieu hoc", "mầm non", "mam non", "mẫu giáo", "mau giao"})
_WORD = re.compile(r"[\w\-]+")
_DIGIT = re.compile(r"\d")
# Phones, IDs, accounts and plates all have six digits or more in a run with separators.
_DIGIT_RUN = re.compile(r"\d[\d\s.\-]{4,}\d")
# Below this a finding is noise for the review queue (a lone number, a building and a floor).
MIN_SCORE = 0.4
_DIACRITIC = re.compile("[\u00c0-\u024f\u1e00-\u1eff]")
_VICTIM = re.compile(r"(?<!\w)(?:bị|bi)\s(?:\w+\s){0,2}$")
ADDRESS_GAP = 25


@dataclass(frozen=True, slots=True)
class Cues:
    """Named groups in one alternation, and its accent-folded twin for text without diacritics."""

    accented: re.Pattern[str]
    folded: re.Pattern[str]

    def scan(self, text: str, plain: bool) -> list[re.Match[str]]:
        return list((self.folded if plain else self.accented).finditer(text))


@dataclass(frozen=True, slots=True)
class PersonalDataRules:
    version: str
    data: Cues              # groups: id, bank, email, plate, phone (numbers in id_num, bank_num)
    not_phone: re.Pattern[str]
    address: Cues           # groups numbered, other, named
    exposure: Cues          # groups w0, w1, ... with the weights below, then own, goodwill
    exposure_weights: tuple[float, ...]
    child: Cues             # groups child, class, bully
    surnames: frozenset[str]    # lower case, accented and folded
    middle_names: frozenset[str]
    places: frozenset[str]
    business_authors: tuple[str, ...]


def _patterns(raw: Any, *, label: str, escape: bool = False) -> str:
    """Validate a list of regexes (or words) and join them; errors name the entry."""
    return "|".join(f"(?:{p})" for p in checked_patterns(raw, label=label, escape=escape, noun="entry"))


def _cues(groups: list[tuple[str, str]]) -> Cues:
    body = r"(?<!\w)(?:" + "|".join(f"(?P<{name}>{alternation})" for name, alternation in groups) + r")(?!\w)"
    return Cues(re.compile(body), re.compile(fold_accents(body)))


def _words(raw: Any, *, label: str) -> list[str]:
    if not isinstance(raw, list) or not raw or not all(isinstance(w, str) and w.strip() for w in raw):
        raise ConfigurationError("{label}: expected a non-empty list of words", label=label)
    return [str(w).strip() for w in raw]


def parse_rules(data: Any, *, where: str) -> PersonalDataRules:
    """Validate a parsed data file; errors name the file, the entry and the problem."""
    if not isinstance(data, dict):
        raise ConfigurationError("{where}: expected a mapping", where=where)

    def listed(key: str, *, escape: bool = False) -> str:
        return _patterns(data.get(key), label=f"{where}: {key}", escape=escape)

    banks, accounts, ids = listed("banks", escape=True), listed("account_words"), listed("id_words")
    numbers = Cues(*(re.compile(body) for body in _data_bodies(ids, banks, accounts)))
    raw_exposure = data.get("exposure")
    if not isinstance(raw_exposure, list) or not raw_exposure:
        raise ConfigurationError("{where}: 'exposure' must be a list of weighted pattern lists", where=where)
    groups, weights = [], []
    for index, entry in enumerate(raw_exposure, start=1):
        label = f"{where}: exposure {index}"
        weight = entry.get("weight") if isinstance(entry, dict) else None
        if not isinstance(weight, int | float) or isinstance(weight, bool) or not 0 < weight <= 1:
            raise ConfigurationError("{label}: 'weight' must be a number in (0, 1]", label=label)
        groups.append((f"w{index - 1}", _patterns(entry.get("patterns"), label=label)))
        weights.append(float(weight))
    authors = data.get("business_authors")
    if not isinstance(authors, list) or not all(isinstance(a, str) and a.strip() for a in authors):
        raise ConfigurationError("{where}: 'business_authors' must be a list of words", where=where)
    parts = data.get("address_parts")
    if not isinstance(parts, dict) or set(parts) != {"numbered", "other", "named"}:
        raise ConfigurationError("{where}: 'address_parts' must map numbered, other and named to patterns", where=where)
    return PersonalDataRules(
        version=str(data.get("version", "unversioned")),
        data=numbers,
        not_phone=re.compile(r"(?<!\w)(?:" + listed("not_phone_words") + r")\W{0,3}$"),
        address=_cues([(key, _patterns(parts[key], label=f"{where}: address_parts.{key}"))
                       for key in ("numbered", "other", "named")]),
        exposure=_cues([*groups, ("own", listed("own_contact")), ("goodwill", listed("goodwill"))]),
        exposure_weights=tuple(weights),
        child=_cues([("class", listed("class_code")), ("bully", listed("bully")), ("child", listed("child"))]),
        surnames=frozenset(form for w in _words(data.get("surnames"), label=f"{where}: surnames")
                           for form in (w.lower(), fold_accents(w).lower())),
        middle_names=frozenset(fold_accents(w).lower()
                               for w in _words(data.get("middle_names"), label=f"{where}: middle_names")),
        places=frozenset(fold_accents(w).lower() for w in _words(data.get("places"), label=f"{where}: places")),
        business_authors=tuple(a.lower() for a in authors),
    )


def _data_bodies(ids: str, banks: str, accounts: str) -> tuple[str, str]:
    """The numbers regex: context-led IDs and accounts first, so that they win over a phone."""
    id_number = rf"(?<!\w)(?:{ids})[^\d\n]{{0,30}}?(?P<id_num>\d(?:[\s.\-]?\d){{8}}(?:(?:[\s.\-]?\d){{3}})?)(?!\d)"
    account = (rf"(?<!\w)(?:{accounts}|{banks})(?!\w)[^\d\n]{{0,25}}?"
               rf"(?P<bank_num>\d(?:[ .\-]?\d){{5,18}}){_NOT_MONEY}")
    body = f"(?P<id>{id_number})|(?P<bank>{account})|(?P<email>{_EMAIL})|(?P<plate>{_PLATE})|(?P<phone>{_PHONE})"
    return body, fold_accents(body)


def load_rules(path: Path | None = None) -> PersonalDataRules:
    where, data = read_yaml(__package__, DATA_FILE, path)
    return parse_rules(data, where=where)


@dataclass(frozen=True, slots=True)
class Word:
    """A word of the normalised text, where it came from, and whether the poster capitalised it."""

    text: str
    start: int          # in the normalised text
    end: int
    span: Span          # in the original text
    capital: bool
    shouted: bool       # written all in capitals


def cased_words(item: Item, mapped: MappedText) -> list[Word]:
    """Words of the normalised text with the case of the original (which may be NFD or dodged)."""
    words = []
    starts, ends, original = mapped.starts, mapped.ends, item.text
    for match in _WORD.finditer(mapped.text):
        start, end = starts[match.start()], ends[match.end() - 1]
        first = original[start]
        capital = first.isupper() or first.isdigit()
        words.append(Word(match.group(), match.start(), match.end(), (start, end), capital,
                          capital and original[start:end].isupper()))
    return words


def _capitalised_run(words: list[Word], first: int, limit: int) -> int:
    """Index after the run of capitalised words that follow ``words[first]`` one space apart."""
    last = first
    while last + 1 < len(words) and last + 1 - first <= limit and words[last + 1].capital \
            and words[last + 1].start == words[last].end + 1:
        last += 1
    return last + 1


def find_names(words: list[Word], rules: PersonalDataRules) -> list[Span]:
    """Full names (a family name and one to three capitalised words) and given names after "tên",
    "thằng", "cô", "bé" ...; spans in the original text."""
    spans: list[Span] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word.capital and word.text in rules.surnames:
            end = _capitalised_run(words, i, 3)
            run = words[i:end]
            folded = [fold_accents(w.text) for w in run]
            shouting = all(w.shouted for w in run) and (len(run) < 3 or folded[1] not in rules.middle_names)
            if len(run) >= 2 and " ".join(folded[:2]) not in rules.places and not shouting:
                spans.append((run[0].span[0], run[-1].span[1]))
                i = end
                continue
        if word.text in KIN_WORDS and i + 1 < len(words) and words[i + 1].capital and not words[i + 1].shouted \
                and not words[i + 1].text[0].isdigit():
            spans.append(words[i + 1].span)
        i += 1
    return spans


def find_schools(words: list[Word]) -> list[Span]:
    """School words ("trường", "THCS", "tiểu học", "mầm non") followed by a capitalised name."""
    spans = []
    for i in range(len(words) - 1):
        pair = i > 0 and f"{words[i - 1].text} {words[i].text}" in SCHOOL_PAIRS
        if not (words[i].text in SCHOOL_WORDS or pair) or not words[i + 1].capital \
                or words[i + 1].text in SCHOOL_WORDS or words[i + 1].text[0].isdigit():
            continue
        first = i - 1 if pair else i
        while first > 0 and (words[first - 1].text in SCHOOL_WORDS or f"{words[first - 2].text} {words[first - 1].text}"
                             in SCHOOL_PAIRS):
            first -= 2 if words[first - 1].text not in SCHOOL_WORDS else 1
        spans.append((words[max(first, 0)].span[0], words[_capitalised_run(words, i + 1, 3) - 1].span[1]))
    return spans


def _addresses(words: list[Word], mapped: MappedText, parts: list[re.Match[str]]) -> list[Span]:
    """Runs of address parts at most ADDRESS_GAP apart; a run counts with a numbered part or two parts."""
    runs: list[tuple[int, int, int, bool]] = []
    by_end = {w.end: n for n, w in enumerate(words)}
    for match in parts:
        start, end = mapped.original_span(*match.span())
        # Take in the capitalised or numbered words that follow: "phố Cây Gạo Đỏ", "hẻm 203 Lê Văn Sỹ".
        last = by_end.get(match.end())
        if match.lastgroup == "named" and (last is None or last + 1 >= len(words) or not words[last + 1].capital):
            continue  # "đường phía Tây", "tòa nhà": a keyword with nothing named after it
        if last is not None:
            end = max(end, words[_capitalised_run(words, last, 3) - 1].span[1])
        if runs and start - runs[-1][1] <= ADDRESS_GAP:
            run_start, _, count, numbered = runs[-1]
            runs[-1] = (run_start, end, count + 1, numbered or match.lastgroup == "numbered")
        else:
            runs.append((start, end, 1, match.lastgroup == "numbered"))
    return [(start, end) for start, end, count, numbered in runs if count >= 2 or numbered]


class PersonalDataDetector:
    """Finds people's personal data exposed with intent to shame or harass, and children's.

    Two categories, one finding each: DOXXING with spans on the data themselves (numbers,
    addresses, names), CHILD_PRIVACY_BULLY with spans on what identifies the child and the
    bullying words.
    """

    name = "personal_data"
    needs = frozenset({"text", "author"})
    provides = frozenset({"DOXXING", "CHILD_PRIVACY_BULLY"})

    def __init__(self, path: Path | None = None) -> None:
        self._file = DataFile(load_rules, path)

    @property
    def rules(self) -> PersonalDataRules:
        return self._file.get()

    @property
    def version(self) -> str:
        return f"1.0+{self.rules.version}"

    def _numbers(self, mapped: MappedText, plain: bool) -> dict[str, list[Span]]:
        """Phones, ID numbers, accounts, e-mails and plates, by kind, as spans of the text as written."""
        rules, text = self.rules, mapped.text
        found: dict[str, list[Span]] = {}
        for match in rules.data.scan(text, plain) if _DIGIT_RUN.search(text) or "@" in text else ():
            kind = str(match.lastgroup)
            if kind == "phone" and rules.not_phone.search(text, max(0, match.start() - 25), match.start()):
                continue
            start, end = match.span({"id": "id_num", "bank": "bank_num"}.get(kind, kind))
            found.setdefault(kind, []).append(mapped.original_span(start, end))
        return found

    def locate(self, text: str) -> dict[str, list[Span]]:
        """Every piece of personal data in ``text`` by kind (``DATA_KINDS``), whatever the intent around it."""
        mapped = normalise(text)
        plain = _DIACRITIC.search(mapped.text) is None
        found = self._numbers(mapped, plain)
        parts = self.rules.address.scan(mapped.text, plain)
        addresses = _addresses(cased_words(Item(text=text), mapped), mapped, parts) if parts else []
        if addresses:
            found["address"] = addresses
        return found

    def detect(self, item: Item) -> list[Finding]:
        rules = self.rules
        mapped = normalise(item.text)
        text = mapped.text
        plain = _DIACRITIC.search(text) is None
        found = self._numbers(mapped, plain)
        child_cues: dict[str, list[Span]] = {}
        for match in rules.child.scan(text, plain):
            group = str(match.lastgroup)
            if group == "bully" and _VICTIM.search(text, max(0, match.start() - 15), match.start()):
                continue
            child_cues.setdefault(group, []).append(mapped.original_span(*match.span()))
        # A home address has a number or two parts; without either only a child's case goes on.
        parts = rules.address.scan(text, plain) if _DIGIT.search(text) or "bully" in child_cues else []
        if not found and "bully" not in child_cues and len(parts) < 2 \
                and not any(m.lastgroup == "numbered" for m in parts):
            return []
        words = cased_words(item, mapped)
        addresses = _addresses(words, mapped, parts)
        if addresses:
            found["address"] = addresses
        # A name inside an address is a street's ("ngõ 7 Trần Duy Hưng"), not a person's.
        names = [(s, e) for s, e in find_names(words, rules)
                 if not any(s < a_end and a_start < e for a_start, a_end in addresses)]
        findings = []
        if found:
            findings.extend(self._doxxing(item, mapped, found, names, plain))
        if "child" in child_cues and "bully" in child_cues:
            findings.extend(self._child(item, found, names, find_schools(words), child_cues))
        return findings

    def _doxxing(self, item: Item, mapped: MappedText, found: dict[str, list[Span]], names: list[Span],
                 plain: bool) -> list[Finding]:
        rules = self.rules
        exposure, strong, own, goodwill = 0.0, False, False, False
        seen: set[str] = set()
        for match in rules.exposure.scan(mapped.text, plain):
            group = str(match.lastgroup)
            if group == "own":
                own = True
            elif group == "goodwill":
                goodwill = True
            elif match.group() not in seen:
                seen.add(match.group())
                weight = rules.exposure_weights[int(group[1:])]
                exposure += weight
                strong = strong or weight >= 0.3
        author = item.author.lower()
        own = own or any(word in author for word in rules.business_authors)
        kinds = [kind for kind in DATA_KINDS if kind in found] + (["name"] if names else [])
        score = 0.2 + 0.12 * len(kinds) + (0.15 if "id" in found else 0.0) + min(exposure, 0.5)
        if not strong and (own or goodwill):
            # A shop's hotline, a lost pet, a notice, a thank-you: the poster's own or given freely.
            score = min(score, 0.3 if goodwill else 0.35)
        if score < MIN_SCORE:
            return []
        spans = [span for kind in DATA_KINDS for span in found.get(kind, [])] + names
        return [self._finding(item, "DOXXING", score, spans, kinds,
                              msgid("Personal data exposed ({kinds}): {terms}"))]

    def _child(self, item: Item, found: dict[str, list[Span]], names: list[Span], schools: list[Span],
               cues: dict[str, list[Span]]) -> list[Finding]:
        identity = {"name": names, "class": cues.get("class", []), "school": schools,
                    "address": found.get("address", []), "phone": found.get("phone", [])}
        kinds = [kind for kind, spans in identity.items() if spans]
        if not kinds:
            return []
        bullying = len({item.text[s:e].lower() for s, e in cues["bully"]})
        score = 0.45 + 0.08 * min(len(kinds), 3) + 0.08 * min(bullying, 3)
        spans = [span for spans in identity.values() for span in spans] + cues["bully"]
        return [self._finding(item, "CHILD_PRIVACY_BULLY", score, spans, kinds,
                              msgid("A child identified and bullied ({kinds}): {terms}"))]

    def _finding(self, item: Item, category: str, score: float, spans: list[Span], kinds: list[str],
                 explanation: str) -> Finding:
        merged = merge_spans(spans)
        return Finding(
            category=category,
            score=round(max(0.0, min(score, 0.99)), 4),
            spans=merged,
            detector=self.name,
            detector_version=self.version,
            explanation=explanation,
            explanation_params={"kinds": ", ".join(LABELS[k] for k in kinds),
                                "terms": ", ".join(dict.fromkeys(f"«{item.text[s:e]}»" for s, e in merged))},
        )
