"""The memoised, batched scoring paths give exactly what the plain definitions give."""
from __future__ import annotations

import math
import random
import unicodedata
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from mangxanh.ml import ToxicityModel
from mangxanh.ml import features as features_module
from mangxanh.ml import span_scorer as span_scorer_module
from mangxanh.ml.features import TfidfFeaturizer, Views, analyse, iter_views, make_views
from mangxanh.ml.normalise import _normalise_lowered, normalise_text, text_pieces
from mangxanh.ml.spans import _TOKEN_RE, tags_to_spans, tokenize, tokenize_many

# Phone numbers across spaces, placeholders, separators, odd whitespace and digits.
TRICKY = [
    "gọi 0912 345 678 nhé", "0912.345 678", "sđt 0912 345 6789, zalo 0988.123.456", "giá 5 000 đ, còn 1 2 3 cái",
    "xem https://shop.vn/abc hoặc www.abc.com và a@b.vn @ban_be", "Đ.M   thằng\tnày\nvcl  ", "  dmmm con chó 😒😒 ",
    "TP.HCM 3.5 tr 100k 50%", "٠١٢ ٣٤٥ ٦٧٨ và ０９１２ ３４５ ６７８", "İstanbul ΣΑΣ", "e\u0301 a\u0300 đ-é-o v~l l*n",
    "<url> xxurl 09 12 345", "...", "😒", "a b c d e f g",
]
FRAGMENTS = ["0912", "345", "678", "0", "9", " ", "  ", "\t", "\n", ".", ",", "@", "abc", "www.", "https://", "x.com",
             ".vn", "a@b.vn", "@user", "đ.m", "v~l", "l*n", "dmmm", "100k", "5tr", "3.5", "😒", "ĐM", "tp.hcm", "ngu",
             "vcl", "<url>", "đ", "-", "_", "é", "\u0301", "İ", "١٢٣", "０"]


def _fuzz(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 12))) for _ in range(count)]


@pytest.mark.parametrize("text", TRICKY)
def test_normalisation_by_pieces_matches_whole_text(text: str) -> None:
    assert normalise_text(text) == _normalise_lowered(unicodedata.normalize("NFC", text).lower())


def test_normalisation_by_pieces_matches_whole_text_fuzzed() -> None:
    for text in _fuzz(3000):
        assert normalise_text(text) == _normalise_lowered(unicodedata.normalize("NFC", text).lower()), repr(text)


def test_views_derive_the_token_lists() -> None:
    for text in TRICKY + _fuzz(300, seed=3):
        views = make_views(text)
        lowered = unicodedata.normalize("NFC", text).lower()
        assert views.raw == tuple(lowered.split())
        assert views.norm == tuple(normalise_text(text).split())
        assert iter_views([text]) == [Views(views.pieces)]
    assert text_pieces(["0912 345 678 gọi"]) == [["0912 345 678", "gọi"]]


def _reference(fz: TfidfFeaturizer, views: list[Views]) -> np.ndarray:
    """Sublinear TF-IDF with per-block L2 norms, straight from the definition."""
    out = np.zeros((len(views), fz.n_features))
    for row, v in enumerate(views):
        counts = Counter(fz.vocab[b][t] for b in fz.blocks for t in analyse(b, v) if t in fz.vocab[b])
        for col, c in counts.items():
            out[row, col] = (1 + math.log(c)) * fz.idf[col]
        for bi in range(len(fz.blocks)):
            cols = fz.block_of == bi
            norm = np.linalg.norm(out[row, cols])
            if norm > 0:
                out[row, cols] /= norm
    return out


def test_transform_matches_the_definition(model: ToxicityModel) -> None:
    views = iter_views(TRICKY + _fuzz(40) + ["đm thằng này ngu vcl ngu ngu", "Bài hát này hay quá, cảm ơn bạn"])
    x = model.featurizer.transform(views)
    assert x.has_sorted_indices
    np.testing.assert_allclose(x.toarray(), _reference(model.featurizer, views), rtol=1e-5, atol=1e-6)


def test_transform_is_the_same_after_its_memo_starts_afresh(model: ToxicityModel,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    views = iter_views(TRICKY + _fuzz(200, seed=11))
    expected = model.featurizer.transform(views)
    fresh = TfidfFeaturizer.from_json(model.featurizer.to_json(), model.featurizer.idf)
    monkeypatch.setattr(features_module, "_CACHE_MAX", 5)
    for start in range(0, len(views), 17):
        part = fresh.transform(views[start : start + 17])
        assert (part != expected[start : start + 17]).nnz == 0
        assert np.array_equal(part.indices, expected[start : start + 17].indices)


def test_batch_tokenizer_matches_one_text_at_a_time() -> None:
    texts = [*TRICKY, "", "   ", "trailing   \n", *_fuzz(200, seed=5)]
    tokens, starts, ends, text_of = tokenize_many(texts)
    for i, text in enumerate(texts):
        mine = text_of == i
        assert list(zip(starts[mine].tolist(), ends[mine].tolist(), strict=True)) == tokenize(text)
        assert [t for t, m in zip(tokens, mine, strict=True) if m] == _TOKEN_RE.findall(text)
        assert tokenize(text) == [m.span() for m in _TOKEN_RE.finditer(text)]


def test_batch_span_scores_match_the_reference(model: ToxicityModel) -> None:
    texts = [*TRICKY, "đm thằng này ngu vcl", "Lũ chó má cút hết đi", "", *_fuzz(100, seed=9)]
    scorer = model.span_scorer
    logit = model._span_logit
    for text, (offsets, scores), (spans, highest) in zip(texts, scorer.score_many(texts),
                                                          scorer.spans_many(texts, logit), strict=True):
        ref_offsets, ref_scores = scorer.reference(text)
        assert offsets == ref_offsets
        np.testing.assert_allclose(scores, ref_scores, rtol=0, atol=1e-9)
        assert spans == tags_to_spans(offsets, [s > logit for s in scores.tolist()])
        assert highest == max(scores.tolist(), default=-math.inf)


def test_predict_toxic_is_predict_filtered(model: ToxicityModel) -> None:
    texts = ["đm thằng này ngu vcl", "Bài hát này hay quá", "Lũ chó má cút hết đi", "hôm nay trời đẹp", "vl thật sự"]
    full = model.predict(texts)
    assert model.predict_toxic(texts, 0.3) == [(i, p) for i, p in enumerate(full) if p.toxic_score >= 0.3]
    assert model.predict_toxic(texts, 0.0) == list(enumerate(full))
    assert model.predict_toxic([], 0.3) == []


def test_memos_shared_by_threads_give_the_same_results(model: ToxicityModel, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [t for t in TRICKY + _fuzz(400, seed=13) if t.strip()]
    expected = model.predict(texts)
    fresh = ToxicityModel.load()
    # Memos start afresh while other threads read them.
    monkeypatch.setattr(features_module, "_CACHE_MAX", 300)
    monkeypatch.setattr(span_scorer_module, "_MEMO_MAX", 50)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda start: fresh.predict(texts[start : start + 37]), range(0, len(texts), 37)))
    assert [p for part in results for p in part] == expected
