"""The cheap pre-test of a term against a text never rejects a text the term was counted in; a message is
found in a post that carries it (with a line of its own, without accents, by its link or hashtags) and
not in one that only speaks of the same topic."""

import json

from mangxanh.core.trends.copies import Message
from mangxanh.core.trends.terms import item_terms, may_carry
from mangxanh.demo.loader import demo_file_text

CORRECTION = ("Thông tin Hà Nội lấp một phần Hồ Gươm để xây ga tàu điện ngầm là sai sự thật. Ga ngầm C9 được thiết kế "
              "ngoài mặt hồ. Nguồn: https://mrb.hanoi.gov.vn/tin-tuc/khong-lap-ho-guom-xay-ga-c9")


def test_may_carry_is_true_for_every_term_of_a_text() -> None:
    texts = [json.loads(line)["text"] for line in demo_file_text().splitlines()]
    texts += ["THU PHIIII xe mayyy", "#HồGươm đẹp quá", "phố_cổ 123abc", "Ｈà Nội"]
    pairs = [(text, term) for text in texts for term in item_terms(text)]
    assert len(pairs) > 1_000 and all(may_carry(text, term) for text, term in pairs)
    assert not may_carry("Hôm nay trời đẹp", "ho guom") and not may_carry("ho va guom", "ho guom")


def test_a_message_is_found_in_the_posts_that_carry_it() -> None:
    message = Message.of(CORRECTION, links=["https://mrb.hanoi.gov.vn/tin-tuc/khong-lap-ho-guom-xay-ga-c9"])
    shared = "Mọi người lưu ý nhé! " + CORRECTION.split(" Nguồn")[0].replace("Hồ Gươm", "Ho Guom")
    assert message.containment(shared) >= 0.6 and message.carried_by(shared)
    assert message.carried_by("Xem tại đây", url="https://mrb.hanoi.gov.vn/tin-tuc/khong-lap-ho-guom-xay-ga-c9/")
    rumour = "Hà Nội sắp lấp một phần Hồ Gươm để xây ga tàu điện ngầm, share gấp"
    assert not message.carried_by(rumour)
    tagged = Message.of("Sống đẹp trên mạng", tags=["#HàNộiVănMinh", "#NghĩTrướcKhiĐăng"])
    assert tagged.carried_by("Cùng nhau nhé #hànộivănminh #NghĩTrướcKhiĐăng")
    assert not tagged.carried_by("Chỉ một thẻ #HàNộiVănMinh")
    assert not Message.of("Ngắn").carried_by("Ngắn")  # too short to be matched by its text alone
