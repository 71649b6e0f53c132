"""What each kind of action is: whether it goes out (four eyes, a recipient, a deadline) and with what letter.

Kinds are the taxonomy's action codes, stable identifiers: which a case may take comes from its
category in the taxonomy; a label change or a new kind never breaks an old case. A test checks
that every action of the taxonomy has a kind here.
"""

from __future__ import annotations

from dataclasses import dataclass

from mangxanh.core.analysis.types import msgid


@dataclass(frozen=True, slots=True)
class Kind:
    code: str
    # Sent out: drafted by one person, approved by a supervisor who is not the drafter, then sent.
    outward: bool
    # The letter's subject ("V/v …") when the kind is sent by an official letter; None otherwise.
    subject: str | None = None
    # Who receives it by default: a platform (from the content), the police, VNNIC, the NCSC, a province.
    recipient: str = ""
    # What is asked, in the letter's body (Vietnamese administrative wording).
    request: str = ""
    # Sent, it waits for the recipient's answer under a deadline; False: done once it went out (a
    # correction published on the department's own channels answers nobody).
    awaits_answer: bool = True


KINDS: dict[str, Kind] = {kind.code: kind for kind in (
    Kind("request_takedown", True, "V/v đề nghị ngăn chặn, gỡ bỏ thông tin vi phạm pháp luật", "platform",
         "ngăn chặn, gỡ bỏ các thông tin vi phạm pháp luật nêu trên"),
    Kind("request_account_lock", True, "V/v đề nghị khóa tài khoản đăng tải thông tin vi phạm pháp luật", "platform",
         "tạm khóa các tài khoản, trang đã đăng tải thông tin vi phạm pháp luật nêu trên"),
    Kind("refer_police", True, "V/v chuyển thông tin có dấu hiệu vi phạm pháp luật để xác minh, xử lý", "police",
         "xác minh, xử lý theo thẩm quyền đối với các thông tin nêu trên"),
    Kind("refer_province", True, "V/v chuyển thông tin vi phạm để xem xét, xử lý theo thẩm quyền", "province",
         "xem xét, xử lý theo thẩm quyền đối với tổ chức, cá nhân đã đăng tải các thông tin nêu trên"),
    Kind("domain_suspend", True, "V/v đề nghị tạm ngừng hoạt động tên miền vi phạm pháp luật", "vnnic",
         "tạm ngừng hoạt động các tên miền đã đăng tải thông tin vi phạm pháp luật nêu trên"),
    Kind("report_ncsc", True, "V/v thông báo trang mạng, tài khoản có dấu hiệu lừa đảo", "ncsc",
         "cảnh báo, ngăn chặn các trang mạng, tài khoản có dấu hiệu lừa đảo nêu trên"),
    # A fine is issued by its own sanction decision, not by a letter of this platform.
    Kind("administrative_fine", True, recipient="offender"),
    Kind("notify_111", False),
    Kind("public_warning", False),
    # A correction on the department's official channels and a notice asking the partner pages to share
    # it (Decision 3550/QĐ-UBND): drafted from the official correction, approved by a supervisor.
    Kind("publish_correction", True, recipient="official", awaits_answer=False),
    Kind("counter_messaging", True, recipient="partners"),
    Kind("verify_with_agency", False),
    Kind("advise_victim", False),
    Kind("warn", False),
    Kind("no_action", False),
)}

# Decree 147/2024: 24 hours from a request; 48 for a well-founded user complaint; from 1/7/2026,
# 6 hours in a national-security emergency (Cybersecurity Law 116/2025).
DEADLINE_HOURS = (6, 24, 48)
DEFAULT_DEADLINE_HOURS = 24

# Recipients by default (proper names, so not translated); the drafter may change them.
PLATFORM_RECIPIENTS = {
    "facebook": "Công ty Meta Platforms, Inc. (Facebook)",
    "youtube": "Công ty Google LLC (YouTube)",
    "tiktok": "Công ty TikTok Pte. Ltd.",
    "zalo": "Công ty Cổ phần VNG (Zalo)",
}
RECIPIENTS = {
    "police": "Công an thành phố Hà Nội (Phòng An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao)",
    "vnnic": "Trung tâm Internet Việt Nam (VNNIC)",
    "ncsc": "Trung tâm Giám sát an toàn không gian mạng quốc gia (NCSC)",
    "province": "",
    "official": "Các kênh thông tin chính thức của Sở (cổng thông tin điện tử, trang mạng xã hội)",
    "partners": "Các trang, nhóm đối tác lan tỏa thông tin tích cực",
    "offender": "",
}
FALLBACK_PLATFORM = "Cục Phát thanh, truyền hình và thông tin điện tử"

# Labels of what a kind-specific detail means, for the forms and the case page.
FINE_DETAILS = {"decision_number": msgid("Sanction decision number"), "amount_vnd": msgid("Amount (VND)"),
                "offender": msgid("Person or organisation fined"), "paid": msgid("Paid")}


def default_recipient(kind: Kind, platform: str) -> str:
    if kind.recipient == "platform":
        return PLATFORM_RECIPIENTS.get(platform, FALLBACK_PLATFORM)
    return RECIPIENTS.get(kind.recipient, "")
