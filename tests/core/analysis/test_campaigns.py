import random
import subprocess
import sys
import time
from datetime import datetime, timedelta

import pytest

from mangxanh.core.analysis.campaigns import CampaignIndex, estimate, shingle_text, signature

RUMOUR = ("KHẨN CẤP: Từ thứ Hai tuần sau Hà Nội cấm toàn bộ xe máy, kể cả xe máy điện, lưu thông trong 12 quận "
          "nội thành. Vi phạm phạt 5 triệu đồng và tịch thu phương tiện. Thông tin đã được xác nhận, share ngay!")
SAME_TOPIC = [
    "Theo lộ trình, khu vực trong Vành đai 1 sẽ hạn chế xe máy chạy xăng từ năm 2028. Bạn ủng hộ hay phản đối?",
    "Sở GTVT khẳng định không có chuyện cấm toàn bộ xe máy từ tuần sau, người dân không nên hoang mang.",
    "Tôi phản đối cấm xe máy vội vàng, shipper và người bán hàng sống bằng xe máy, trạm sạc còn thiếu.",
    "Đi xe máy trong nội thành giờ cao điểm mệt thật, mong có thêm tuyến metro và xe buýt điện.",
]


def _edit(text: str, rnd: random.Random) -> str:
    """A copy with small edits: words dropped or swapped for teen code, emoji, accents sometimes lost."""
    words = text.split()
    swaps = {"không": "ko", "được": "dc", "Hà Nội": "HN", "mọi": "mn", "triệu": "tr"}
    out = []
    for word in words:
        roll = rnd.random()
        if roll < 0.05:
            continue
        out.append(swaps.get(word, word) if roll < 0.3 else word)
    edited = " ".join(out)
    prefix = rnd.choice(["", "🔴 ", "[Chuyển tiếp] ", "‼️ "])
    return prefix + (shingle_text(edited).decode() if rnd.random() < 0.2 else edited)


def test_forty_edited_copies_are_one_cluster_and_same_topic_texts_stay_apart() -> None:
    rnd = random.Random(7)
    index = CampaignIndex()
    start = datetime(2026, 11, 4, 7, 0)
    ids = {index.add(f"copy-{i}", _edit(RUMOUR, rnd), start + timedelta(hours=3 * i)) for i in range(40)}
    assert len(ids) == 1
    [rumour] = ids
    others = {index.add(f"topic-{i}", text) for i, text in enumerate(SAME_TOPIC)}
    assert rumour not in others and len(others) == len(SAME_TOPIC)
    cluster = index.cluster(rumour)
    assert cluster.size == 40 and len(index.members(rumour)) == 40
    assert cluster.first_seen == start and cluster.last_seen == start + timedelta(hours=117)
    assert sum(n for _, n in cluster.per_day) == 40 and cluster.per_day[0] == (start.date(), 6)
    assert [c.id for c in index.clusters()] == [rumour]


def test_adding_a_key_twice_changes_nothing() -> None:
    index = CampaignIndex()
    first = index.add("a", RUMOUR)
    assert index.add("a", "something else entirely") == first
    assert index.cluster(first).size == 1 and index.cluster_of("a") == first


def test_unaccented_copy_joins_the_accented_original() -> None:
    index = CampaignIndex()
    original = index.add("a", RUMOUR)
    assert index.add("b", shingle_text(RUMOUR).decode()) == original


def test_signatures_are_deterministic_across_processes() -> None:
    code = ("from mangxanh.core.analysis.campaigns import signature; "
            f"print(list(signature({RUMOUR!r}))[:16])")
    outputs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout
        for seed in ("1", "2")
    }
    assert outputs == {f"{list(signature(RUMOUR))[:16]}\n"}


def test_clusters_are_deterministic_for_the_same_order() -> None:
    rnd = random.Random(3)
    texts = [_edit(RUMOUR, rnd) for _ in range(10)] + SAME_TOPIC
    runs = []
    for _ in range(2):
        index = CampaignIndex()
        runs.append([index.add(str(i), t) for i, t in enumerate(texts)])
    assert runs[0] == runs[1]


def test_estimate_tracks_similarity() -> None:
    assert estimate(signature(RUMOUR), signature(RUMOUR)) == 1.0
    assert estimate(signature(RUMOUR), signature(SAME_TOPIC[0])) < 0.3


def test_memory_is_bounded() -> None:
    index = CampaignIndex(max_items=100)
    for i in range(300):
        index.add(str(i), f"tin số {i} về chủ đề {i * 7919 % 1000} ở phường {i % 13} hôm nay trời đẹp")
    assert len(index) == 100 and index.cluster_of("0") is None and index.cluster_of("299") is not None


def test_invalid_configuration() -> None:
    with pytest.raises(ValueError, match="power of two"):
        CampaignIndex(num_perm=100)


def test_adds_are_fast() -> None:
    rnd = random.Random(1)
    vocabulary = (RUMOUR + " " + " ".join(SAME_TOPIC)).split()
    texts = [" ".join(rnd.choice(vocabulary) for _ in range(45))[:200] for _ in range(1500)]
    index = CampaignIndex()
    began = time.perf_counter()
    for i, text in enumerate(texts):
        index.add(str(i), text)
    # The goal is 5,000 a second on a developer machine; the floor here leaves room for slow, shared CI runners.
    assert len(texts) / (time.perf_counter() - began) > 500
