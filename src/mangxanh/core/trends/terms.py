"""The terms an item is counted under in the trends: two-syllable phrases and hashtags.

Vietnamese writes a space between syllables, not between words, and most words are two syllables
("phố cổ", "xe máy", "thu phí"). Adjacent syllable pairs within a clause, neither of them a
function word, stand for the words and short phrases a topic is made of; single syllables are too
ambiguous to be topics ("phí" is a fee, "cổ" old or a neck). No word-segmentation model is used:
a pair covers two-syllable words without one, costs a few microseconds an item at ingestion, and
the models on offer were trained on news prose, not on posts without accents or with teen-code.
Terms are compared without accents and case, so "thu phí" and "THU PHI" are one term; the first
accented spelling seen is kept as the term's label.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from importlib import resources

# A clause ends at punctuation or a line break: "phố. Cổ" is not the pair "phố cổ".
_CLAUSE = re.compile(r"[.!?…;:,()\[\]{}\"“”\n]+")
_SYLLABLE = re.compile(r"#\w+|[^\W\d_]+")
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")  # "phíííí" is "phí": no Vietnamese word has a letter thrice running
_LINK = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
MAX_TERMS = 40  # per item: a long post counts once under its first forty terms, not under hundreds
MAX_TERM_CHARS = 80


@lru_cache(maxsize=1 << 16)  # a few thousand syllables make up nearly all Vietnamese text
def fold(syllable: str) -> str:
    """Lower case, without accents ("Phố" → "pho", "Đường" → "duong"); letters outside Latin are kept."""
    if syllable.isascii():
        return syllable.lower()
    decomposed = unicodedata.normalize("NFD", syllable.lower().replace("đ", "d"))
    folded = decomposed.encode("ascii", "ignore").decode("ascii")
    # A syllable in another script has nothing left once its non-ASCII letters go: it keeps them.
    if folded.isalpha() or not decomposed:
        return folded
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def stop_words() -> frozenset[str]:
    text = resources.files(__package__).joinpath("stop_words.txt").read_text(encoding="utf-8")
    words = (w for line in text.splitlines() for w in line.split("#", 1)[0].split())
    return frozenset(unicodedata.normalize("NFC", w) for w in words)


_ASCII_WORD = re.compile(r"[a-z]+")


def may_carry(text: str, term: str) -> bool:
    """False only when the text cannot carry the term: a test a hundred times cheaper than item_terms, run
    first when many texts are searched for one term (a term's words, folded, appear in the folded text)."""
    key = term.lstrip("#")
    if not key.isascii():
        return True
    folded = unicodedata.normalize("NFD", _REPEATS.sub(r"\1", text.lower()).replace("đ", "d"))
    folded = folded.encode("ascii", "ignore").decode("ascii")
    if term.startswith("#"):
        return key in folded
    return key in " ".join(_ASCII_WORD.findall(folded))


def item_terms(text: str) -> dict[str, str]:
    """The item's terms: folded key → the spelling found (lower case, accents kept), in order of appearance.

    Function words are recognised by their accents; a post written without any keeps pairs such as
    "co the" (có thể), which the trends' baseline then finds common on every day.
    """
    stop = stop_words()
    found: dict[str, str] = {}
    for clause in _CLAUSE.split(_LINK.sub(" ", unicodedata.normalize("NFC", text))):
        syllables = _SYLLABLE.findall(_REPEATS.sub(r"\1", clause.lower()))
        keys = [fold(s) for s in syllables]
        for index, (syllable, key) in enumerate(zip(syllables, keys, strict=True)):
            if syllable.startswith("#"):
                if len(key) > 2:
                    found.setdefault(key[:MAX_TERM_CHARS], syllable[:MAX_TERM_CHARS])
            elif index + 1 < len(keys) and not syllables[index + 1].startswith("#"):
                second = keys[index + 1]
                if syllable in stop or syllables[index + 1] in stop or len(key) < 2 or len(second) < 2:
                    continue
                term = f"{key} {second}"[:MAX_TERM_CHARS]
                found.setdefault(term, f"{syllable} {syllables[index + 1]}"[:MAX_TERM_CHARS])
            if len(found) >= MAX_TERMS:
                return found
    return found
