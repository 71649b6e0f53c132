import csv
import io
from datetime import UTC, datetime

import pytest

from mangxanh.connectors.csv_export import read_csv
from mangxanh.connectors.csv_layouts import LAYOUTS, layout_names
from mangxanh.core.items import Numbered, RawItem, Refusal
from mangxanh.errors import InvalidInput


def _csv(rows: list[list[str]], *, delimiter: str = ",", bom: bool = False) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


def _read(data: bytes, layout, **kwargs) -> tuple[list[RawItem], dict[int, str]]:
    out = list(read_csv(io.BytesIO(data), layout, **kwargs))
    return [o.item for o in out if isinstance(o, Numbered)], {e.position: e.reason for e in out
                                                               if isinstance(e, Refusal)}


CROWDTANGLE_HEADER = ["Page Name", "User Name", "Facebook Id", "Page Category", "Likes at Posting",
                      "Followers at Posting", "Post Created", "Post Created Date", "Post Created Time", "Type",
                      "Total Interactions", "Likes", "Comments", "Shares", "Love", "Wow", "Haha", "Sad", "Angry",
                      "Care", "URL", "Message", "Link", "Final Link", "Image Text", "Link Text", "Description"]


def _ct_row(url: str, message: str, created: str, likes: str = "120", followers: str = "15200") -> list[str]:
    return ["Hội Cư Dân Cầu Giấy", "hoicudancaugiay", "100064000000001", "Community", "", followers, created,
            created[:10], created[11:19], "Status", "200", likes, "18", "41", "30", "2", "5", "1", "0", "4", url,
            message, "", "", "", "", ""]


def test_facebook_posts_from_crowdtangle() -> None:
    data = _csv([CROWDTANGLE_HEADER,
                 _ct_row("https://www.facebook.com/hoicudancaugiay/posts/1001",
                         "Sáng nay đường Láng ngập sâu,\nmọi người tránh nhé.", "2026-11-20 07:45:00 ICT"),
                 _ct_row("https://www.facebook.com/hoicudancaugiay/posts/1002", "Ai nhặt được ví ở Cầu Giấy không ạ?",
                         "2026-11-19 20:10:00 EST", likes="1,204", followers="15.300")])
    items, errors = _read(data, "facebook_posts")
    assert errors == {}
    first, second = items
    assert first.platform == "facebook" and first.kind == "post" and first.parent_id is None
    assert first.external_id == first.url == "https://www.facebook.com/hoicudancaugiay/posts/1001"
    assert first.text == "Sáng nay đường Láng ngập sâu,\nmọi người tránh nhé."
    assert first.author == "Hội Cư Dân Cầu Giấy" and first.author_handle == "hoicudancaugiay"
    assert first.author_followers == 15200 and first.shares == 41 and first.comments == 18
    assert first.reactions == 120 + 30 + 2 + 5 + 1 + 0 + 4  # Likes + Love + Wow + Haha + Sad + Angry + Care
    assert first.published_at == datetime(2026, 11, 20, 0, 45, tzinfo=UTC)
    assert second.published_at == datetime(2026, 11, 20, 1, 10, tzinfo=UTC)
    assert second.reactions == 1204 + 42 and second.author_followers == 15300
    assert first.raw["Page Category"] == "Community" and first.raw["csv_line"] == 2
    assert "Message" not in first.raw  # the text is the item's text, not repeated in raw


def test_facebook_posts_from_meta_content_library_columns() -> None:
    data = _csv([["id", "creation_time", "text", "post_owner.name", "post_owner.username",
                  "statistics.reaction_count", "statistics.share_count", "statistics.comment_count", "url"],
                 ["987654321_111", "2026-11-20T08:00:00+07:00", "Tuyển cộng tác viên online, lương 500k/ngày",
                  "Việc Làm Nhanh", "vieclamnhanh", "33", "7", "12", "https://www.facebook.com/987654321/posts/111"]])
    [item], errors = _read(data, "facebook_posts")
    assert errors == {}
    assert item.external_id == "987654321_111" and item.author == "Việc Làm Nhanh"
    assert (item.reactions, item.shares, item.comments) == (33, 7, 12)
    assert item.published_at == datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def test_facebook_comments_with_replies_and_day_first_dates() -> None:
    data = _csv([["Comment ID", "Post ID", "Parent ID", "Name", "Profile ID", "Date", "Likes", "Comment", "Replies",
                  "Comment URL"],
                 ["c1", "1001", "", "Lê Minh Châu", "100070001", "20/11/2026 08:05", "4", "Cảm ơn ad đã báo!", "1",
                  "https://www.facebook.com/hoicudancaugiay/posts/1001?comment_id=c1"],
                 ["c2", "1001", "c1", "Phạm Quốc Dũng", "100070002", "20/11/2026 08:07:30", "0",
                  "Chỗ ngã tư Láng Hạ còn ngập không bạn?", "0", ""]])
    items, errors = _read(data, "facebook_comments")
    assert errors == {}
    top, reply = items
    assert top.kind == reply.kind == "comment" and top.platform == "facebook"
    assert top.parent_id == "1001" and reply.parent_id == "c1"
    assert top.author == "Lê Minh Châu" and top.author_handle == "100070001" and top.reactions == 4
    assert top.comments == 1 and top.url.endswith("comment_id=c1") and reply.url is None
    assert top.published_at == datetime(2026, 11, 20, 1, 5, tzinfo=UTC)
    assert reply.published_at == datetime(2026, 11, 20, 1, 7, 30, tzinfo=UTC)


def test_youtube_comments_in_two_common_layouts() -> None:
    named = _csv([["Comment ID", "Video ID", "Parent ID", "Author", "Author Channel ID", "Text", "Published At",
                   "Likes", "Reply Count"],
                  ["Ugx1", "dQw4w9WgXcQ", "", "Hoàng Yến", "UCabc", "Video này nói sai sự thật về vắc xin",
                   "2026-11-20T03:00:00Z", "25", "2"],
                  ["Ugx1.r1", "dQw4w9WgXcQ", "Ugx1", "Đỗ Hùng", "UCdef", "Bạn có nguồn không?",
                   "2026-11-20T03:05:00Z", "1", "0"]])
    items, errors = _read(named, "youtube_comments")
    assert errors == {}
    assert [(i.external_id, i.parent_id) for i in items] == [("Ugx1", "dQw4w9WgXcQ"), ("Ugx1.r1", "Ugx1")]
    assert items[0].platform == "youtube" and items[0].reactions == 25 and items[0].comments == 2
    assert items[0].author_handle == "UCabc" and items[0].published_at == datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    # YouTube Data Tools writes camelCase API names.
    camel = _csv([["id", "replyCount", "likeCount", "publishedAt", "authorName", "text", "authorChannelId",
                   "isReply", "isReplyTo"],
                  ["Ugz9", "0", "3", "2026-11-21 10:00:00", "Ngọc Ánh", "Đăng ký kênh nhận quà miễn phí!!!", "UCxyz",
                   "0", ""]])
    [item], errors = _read(camel, "youtube_comments")
    assert errors == {} and item.author == "Ngọc Ánh" and item.parent_id is None and item.reactions == 3
    assert item.published_at == datetime(2026, 11, 21, 3, 0, tzinfo=UTC)  # no offset: Asia/Ho_Chi_Minh


def test_tiktok_comments_with_epoch_times_and_abbreviated_counts() -> None:
    data = _csv([["Comment ID", "Video ID", "Nickname", "Username", "Comment", "Create Time", "Digg Count",
                  "Reply Count"],
                 ["7310977412674093829", "7170139292767882522", "Bé Na", "bena.2008", "Clip này dựng chuyện à 😡",
                  "1795652100", "1.2K", "14"],
                 ["7310977412674093830", "7170139292767882522", "Tuấn", "tuan_hn", "Inbox mình mua hàng giá sỉ",
                  "1795652160000", "0", "0"]])
    items, errors = _read(data, "tiktok_comments")
    assert errors == {}
    first, second = items
    assert first.platform == "tiktok" and first.author == "Bé Na" and first.author_handle == "bena.2008"
    assert first.reactions == 1200 and first.comments == 14 and first.parent_id == "7170139292767882522"
    assert first.published_at == datetime.fromtimestamp(1795652100, tz=UTC)
    assert second.published_at == datetime.fromtimestamp(1795652160, tz=UTC)


def test_a_header_without_the_required_columns_stops_the_import() -> None:
    data = _csv([["Tên", "Ngày", "Lượt thích"], ["An", "20/11/2026", "3"]])
    with pytest.raises(InvalidInput) as caught:
        read_csv(io.BytesIO(data), "tiktok_comments")
    message = str(caught.value)
    assert "tiktok_comments" in message and "external_id" in message and "text" in message
    assert "Comment ID" in message
    with pytest.raises(InvalidInput, match="Unknown CSV layout"):
        read_csv(io.BytesIO(data), "myspace_posts")
    with pytest.raises(InvalidInput, match="empty"):
        read_csv(io.BytesIO(b""), "youtube_comments")
    with pytest.raises(InvalidInput, match="UTF-16"):
        read_csv(io.BytesIO("Comment ID,Text\r\n".encode("utf-16")), "youtube_comments")


def test_broken_rows_are_numbered_and_good_rows_go_through() -> None:
    header = "Comment ID,Author,Text,Published At,Likes,Reply Count,Parent ID,Comment URL\r\n"
    lines = [
        'y1,An,"Bình luận\r\nhai dòng",2026-11-20T08:00:00+07:00,1,0,,\r\n',  # lines 2-3
        "y2,Bình,Thiếu cột,2026-11-20T08:00:00+07:00,1\r\n",  # 4
        "y3,Chi,Số sai,2026-11-20T08:00:00+07:00,nhiều,0,,\r\n",  # 5
        "y4,Dũng,Ngày sai,hôm qua,1,0,,\r\n",  # 6
        "y5,Em,,2026-11-20T08:00:00+07:00,1,0,,\r\n",  # 7
        "y6,Giang,Link lạ,2026-11-20T08:00:00+07:00,1,0,,javascript:alert(1)\r\n",  # 8
        "\r\n",  # 9: blank, skipped
        "y7,Hà,Quá dài " + "x" * 120 + ",2026-11-20T08:00:00+07:00,1,0,,\r\n",  # 10
        ",Khánh,Không có mã,2026-11-20T08:00:00+07:00,1,0,,\r\n",  # 11
        "y8,Lan,Tốt,2026-11-20T08:00:00+07:00,-3,0,,\r\n",  # 12
        "y9,Minh,Cuối cùng,2026-11-20T08:00:00+07:00,2,0,y1,\r\n",  # 13
    ]
    data = header.encode() + "".join(lines).encode() + b"y10,Ng\xffa,Sai UTF-8,,0,0,,\r\n"
    items, errors = _read(data, "youtube_comments", max_text_chars=100)
    assert [i.external_id for i in items] == ["y1", "y9"]
    assert items[0].text == "Bình luận\r\nhai dòng" and items[1].parent_id == "y1"
    assert errors == {
        4: "expected 8 fields, found 5",
        5: "'Likes' is not a whole number: 'nhiều'",
        6: "'Published At' is not a date: 'hôm qua'",
        7: "the text ('Text') is empty",
        8: "'Comment URL' must start with http:// or https://",
        10: "'Text' is longer than 100 characters",
        11: "the id (Comment ID) is empty",
        12: "'Likes' is not a whole number: '-3'",
        14: "not valid UTF-8",
    }


def test_bom_semicolons_and_a_source_read_in_odd_chunks() -> None:
    data = _csv([["Comment ID", "Nickname", "Comment", "Create Time", "Likes"],
                 ["t1", "Mai", "Xem hết clip rồi mới nói nhé", "20/11/2026 09:00", "5"],
                 ["t2", "Nam", "Ủa vậy là sao;trời", "20/11/2026 09:01", "0"]], delimiter=";", bom=True)
    from_handle, errors = _read(data, "tiktok_comments")
    chunked = [o.item for o in read_csv((data[i:i + 7] for i in range(0, len(data), 7)), "tiktok_comments")
               if isinstance(o, Numbered)]
    assert errors == {} and chunked == from_handle
    assert [i.text for i in from_handle] == ["Xem hết clip rồi mới nói nhé", "Ủa vậy là sao;trời"]
    assert from_handle[0].external_id == "t1" and from_handle[0].published_at == datetime(2026, 11, 20, 2, 0,
                                                                                           tzinfo=UTC)


def test_an_overlong_line_is_skipped_without_being_held() -> None:
    data = (b"Comment ID,Comment\n" + b"t1,ok\n" + b"t2," + b"x" * 1_100_000 + b"\n" + b"t3,v\xe1\xba\xabn \xc4\x91i\n")
    out = list(read_csv(iter([data[i:i + 65536] for i in range(0, len(data), 65536)]), "tiktok_comments"))
    assert [type(o).__name__ for o in out] == ["Numbered", "Refusal", "Numbered"]
    assert out[1] == Refusal(3, "line longer than 1000000 bytes")
    assert isinstance(out[2], Numbered) and out[2].position == 4 and out[2].item.text == "vẫn đi"


def test_layout_registry() -> None:
    assert layout_names() == ["facebook_comments", "facebook_posts", "tiktok_comments", "youtube_comments"]
    assert all(LAYOUTS[name].name == name for name in layout_names())
    assert LAYOUTS["facebook_posts"].kind == "post" and LAYOUTS["tiktok_comments"].kind == "comment"


def test_an_unclosed_quote_costs_one_bounded_row_and_reading_goes_on() -> None:
    swallowed = b"".join(b"t%d,dong %d\n" % (i, i) for i in range(3, 20_000))  # lines inside the open quote
    data = b'Comment ID,Comment\nt1,ok\nt2,"never closed\n' + swallowed + b"t_last,fine\n"
    out = list(read_csv(io.BytesIO(data), "tiktok_comments", max_text_chars=500_000))
    assert out[1] == Refusal(3, "row longer than 131000 characters (an unclosed quote?)")
    ids = [o.item.external_id for o in out if isinstance(o, Numbered)]
    assert ids[0] == "t1" and ids[-1] == "t_last" and "t2" not in ids
    assert len([o for o in out if isinstance(o, Refusal)]) == 1
