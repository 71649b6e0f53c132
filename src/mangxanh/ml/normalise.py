"""Vietnamese text normalisation used *only* to build model features.

The original text is never modified for output: spans always point into the
caller's string.  Normalisation exists because Vietnamese social-media text
hides the same insult behind many spellings ("đm", "đ.m", "dmmm", "ĐM",
"d m"), drops diacritics ("dit me"), and mixes in URLs, mentions and emoji
that carry no toxicity but make long posts look unfamiliar.

Everything here is pure Python (``re`` + ``unicodedata``) and deterministic,
so training and inference produce byte-identical features.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from itertools import chain
from typing import Final

# Teencode / abbreviation table.  Keys are already lower-cased, repeated
# letters collapsed and intra-word separators removed (see ``normalise_token``).
# Values are the canonical accented spelling.  Ambiguous very short tokens
# (e.g. "m" = "mày" or metre) are expanded because in comments they are
# overwhelmingly pronouns; the model still sees the raw token via char n-grams.
TEENCODE: Final[dict[str, str]] = {
    "dm": "địt mẹ", "đm": "địt mẹ", "dmm": "địt mẹ mày", "đmm": "địt mẹ mày",
    "dcm": "địt con mẹ", "đcm": "địt con mẹ", "dcmm": "địt con mẹ mày",
    "đcmm": "địt con mẹ mày", "dkm": "địt cụ mày", "đkm": "địt cụ mày",
    "dmcs": "địt mẹ cộng sản", "đmcs": "địt mẹ cộng sản",
    "vcl": "vãi cả lồn", "vkl": "vãi cả lồn", "vcc": "vãi cả cặc",
    "vl": "vãi lồn", "vlon": "vãi lồn", "vloz": "vãi lồn",
    "cc": "cặc", "cl": "cái lồn", "clm": "cái lồn mẹ", "clgt": "cái lồn gì thế",
    "loz": "lồn", "lozz": "lồn", "lon": "lồn", "l*n": "lồn", "lìn": "lồn",
    "buoi": "buồi", "cak": "cặc", "cax": "cặc", "kac": "cặc",
    "đéo": "đéo", "deo": "đéo", "đếch": "đéo", "dek": "đéo", "đek": "đéo",
    "éo": "đéo", "đ*o": "đéo", "d*o": "đéo", "đ*t": "địt", "dit": "địt",
    "djt": "địt", "đjt": "địt", "ditme": "địt mẹ", "dume": "đụ mẹ", "đụ": "đụ",
    "du": "đụ", "dmvn": "địt mẹ việt nam", "cmm": "con mẹ mày", "cmn": "con mẹ nó",
    "ko": "không", "k": "không", "kh": "không", "hok": "không", "hông": "không",
    "khong": "không", "hem": "không", "kg": "không", "kô": "không",
    "dc": "được", "đc": "được", "dk": "được", "đk": "được", "duoc": "được",
    "m": "mày", "mi": "mày", "t": "tao", "tau": "tao", "mk": "mình", "mik": "mình",
    "ng": "người", "ngta": "người ta", "j": "gì", "gi": "gì", "z": "vậy",
    "v": "vậy", "zậy": "vậy", "r": "rồi", "ròi": "rồi", "roi": "rồi",
    "bt": "biết", "bít": "biết", "bik": "biết", "nc": "nước", "ns": "nói",
    "cx": "cũng", "cg": "cũng", "vs": "với", "ae": "anh em", "ad": "admin",
    "ck": "chồng", "vk": "vợ", "bn": "bao nhiêu", "cs": "cộng sản",
    "bk": "bắc kỳ", "nk": "nam kỳ", "bbc": "bò bò cờ", "ncl": "nói chung là",
    "nt": "nhắn tin", "ib": "nhắn tin", "sdt": "số điện thoại", "đt": "điện thoại",
    "trc": "trước", "ntn": "như thế nào", "wa": "quá", "qá": "quá",
    "thik": "thích", "iu": "yêu", "yêu": "yêu", "ny": "người yêu", "cmt": "bình luận",
    "ngu": "ngu", "óc": "óc", "chó": "chó", "cho": "cho",
}

_URL_RE: Final = re.compile(r"(?:https?://|www\.)\S+|\b\S+\.(?:com|vn|net|org|ly|me)(?:/\S*)?\b|<url>", re.I)
_EMAIL_RE: Final = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b")
_MENTION_RE: Final = re.compile(r"@\w+")
_PHONE_RE: Final = re.compile(r"\b0\d{2,3}[ .]?\d{3}[ .]?\d{3,4}\b")
_NUMBER_RE: Final = re.compile(r"\b\d+(?:[.,]\d+)*(?:k|tr|đ|d|vnd|vnđ|%)?\b")
# Single letters glued by non-space separators: "đ.m", "v~l", "c.c", "l*n".
_SEP_WORD_RE: Final = re.compile(r"(?<!\w)\w(?:[.\-_~*^'`,]+\w)+(?!\w)")
_SEP_CHARS_RE: Final = re.compile(r"[.\-_~*^'`,]+")
_REPEAT_RE: Final = re.compile(r"(\w)\1{2,}")
_TOKEN_RE: Final = re.compile(r"\w+|[^\w\s]", re.UNICODE)
# A phone number is the only pattern above that matches a space, and only between digits: text
# splits into pieces no pattern reaches across at whitespace other than one space between digits.
_SPACED_DIGITS_RE: Final = re.compile(r"\d \d")
_PIECE_RE: Final = re.compile(r"(?:\S|(?<=\d) (?=\d))+")

# Characters that survive NFD decomposition without losing their base letter.
_FOLD_EXTRA: Final[dict[int, str]] = {ord("đ"): "d", ord("Đ"): "D"}

URL_TOKEN: Final = "xxurl"  # noqa: S105 - feature placeholder, not a secret
EMAIL_TOKEN: Final = "xxemail"  # noqa: S105 - feature placeholder, not a secret
MENTION_TOKEN: Final = "xxmention"  # noqa: S105 - feature placeholder, not a secret
PHONE_TOKEN: Final = "xxphone"  # noqa: S105 - feature placeholder, not a secret
NUMBER_TOKEN: Final = "xxnum"  # noqa: S105 - feature placeholder, not a secret
EMOJI_TOKEN: Final = "xxemoji"  # noqa: S105 - feature placeholder, not a secret


def _fold_slow(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.translate(_FOLD_EXTRA))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _fold_table() -> dict[int, str]:
    # Every Latin, Greek and Cyrillic letter and every combining mark, folded once up front.
    ranges = (range(0x80, 0x530), range(0x1E00, 0x1F00))
    return {code: _fold_slow(chr(code)) for block in ranges for code in block if _fold_slow(chr(code)) != chr(code)}


_FOLD_TABLE = _fold_table()
# Characters outside the table that NFD would still change (Hangul syllables and the like).
_NEEDS_NFD = re.compile(r"[\u0530-\u1dff\u1f00-\u30ff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def fold_accents(text: str) -> str:
    """Strip Vietnamese diacritics ("địt mẹ" -> "dit me").

    Many users type without accents; folded features let "dit me" and
    "địt mẹ" share evidence.  Same result as NFD and dropping combining marks (plus "đ",
    a separate code point), but through a translation table: this runs for every token.
    """
    if _NEEDS_NFD.search(text):
        return _fold_slow(text)
    return text.translate(_FOLD_TABLE)


def _is_emoji(ch: str) -> bool:
    """True for pictographic symbols (emoji, dingbats) – category ``So``/``Sk``."""
    return unicodedata.category(ch) in ("So", "Sk") or 0x1F000 <= ord(ch) <= 0x1FAFF


def _join_separated(match: re.Match[str]) -> str:
    """Join separator-obfuscated short words ("đ.m" -> "đm").

    Only applied when every piece is one or two characters, so that ordinary
    punctuation such as "quá.c" (missing space after a full stop) or decimal
    numbers are not glued into nonsense.
    """
    raw = match.group(0)
    if raw in TEENCODE:  # masked spellings such as "l*n", "đ*t"
        return TEENCODE[raw]
    parts = _SEP_CHARS_RE.split(raw)
    if all(len(p) <= 2 for p in parts) and not all(p.isdigit() for p in parts):
        return "".join(parts)
    return raw


_TOKEN_CACHE: dict[str, str] = {}
_TOKEN_CACHE_MAX: Final = 200_000
_PIECE_CACHE: dict[str, tuple[str, ...]] = {}


def normalise_token(token: str) -> str:
    """Normalise one already-lower-cased token and expand teencode.

    Used both for whole-comment features and per-token span features, so the
    span tagger and the classifier agree on what a word "is".  Memoised:
    comment streams reuse a small vocabulary and this runs on every token.
    """
    out = _TOKEN_CACHE.get(token)
    if out is None:
        if len(_TOKEN_CACHE) > _TOKEN_CACHE_MAX:  # bound memory in long-lived services
            _TOKEN_CACHE.clear()
        out = _TOKEN_CACHE[token] = _normalise_token_uncached(token)
    return out


def _normalise_token_uncached(token: str) -> str:
    if token.isspace() or not token:
        return token
    if len(token) == 1 and _is_emoji(token):
        return EMOJI_TOKEN
    tok = _SEP_WORD_RE.sub(_join_separated, token) if not token.isalnum() else token
    tok = _REPEAT_RE.sub(r"\1", tok)
    expanded = TEENCODE.get(tok)
    if expanded is None and len(tok) > 2 and tok[-1] == tok[-2]:
        # "dmm" is its own teencode; "vcll", "cccc" are emphasis - retry once collapsed.
        expanded = TEENCODE.get(tok[:-1])
    return expanded if expanded is not None else tok


def normalise_text(text: str) -> str:
    """Full-comment normalisation: NFC, lower-case, placeholders, de-obfuscation.

    Returns a space-separated token string suitable for word and character
    n-gram features.  Emoji become a placeholder *and* stay as themselves so
    that both "any emoji" and the specific emoji can carry weight.
    """
    return " ".join(chain.from_iterable(map(piece_words, text_pieces([text])[0])))


def text_pieces(texts: Sequence[str]) -> list[list[str]]:
    """Cut each text, NFC and lower-cased, where no rewrite of :func:`normalise_text` reaches across.

    Every rewrite stays inside one whitespace-separated chunk, except a phone number with
    spaces between its digits, and a chunk edge looks to the patterns exactly like a string
    edge: the words of a text are the words of its pieces end to end (see :func:`piece_words`).
    Pieces are the chunks, joined where a single space separates digits.
    """
    lowered = [unicodedata.normalize("NFC", text).lower() for text in texts]
    # The rewrites before the phone number only put letters between spaces, so a phone
    # number with a space inside has that space between two digits of the text already.
    return [_PIECE_RE.findall(low) if _SPACED_DIGITS_RE.search(low) else low.split() for low in lowered]


def piece_words(piece: str) -> tuple[str, ...]:
    """Normalised words of one piece of :func:`text_pieces`, memoised: pieces recur."""
    words = _PIECE_CACHE.get(piece)
    return words if words is not None else _piece_words(piece)


def _piece_words(piece: str) -> tuple[str, ...]:
    if len(_PIECE_CACHE) > _TOKEN_CACHE_MAX:  # bound memory in long-lived services
        _PIECE_CACHE.clear()
    words = _PIECE_CACHE[piece] = tuple(_normalise_lowered(piece).split())
    return words


def _normalise_lowered(text: str) -> str:
    text = _URL_RE.sub(f" {URL_TOKEN} ", text)
    if "@" in text:  # both patterns need one
        text = _EMAIL_RE.sub(f" {EMAIL_TOKEN} ", text)
        text = _MENTION_RE.sub(f" {MENTION_TOKEN} ", text)
    text = _PHONE_RE.sub(f" {PHONE_TOKEN} ", text)
    text = _NUMBER_RE.sub(f" {NUMBER_TOKEN} ", text)
    text = _SEP_WORD_RE.sub(_join_separated, text)
    out: list[str] = []
    for tok in _TOKEN_RE.findall(text):
        if len(tok) == 1 and not tok.isalnum():
            if _is_emoji(tok):
                out.append(EMOJI_TOKEN)
                out.append(tok)
            # Punctuation is dropped from word features; char n-grams of the
            # raw text keep smileys like ":)))" if they matter.
            continue
        out.append(normalise_token(tok))
    return " ".join(out)
