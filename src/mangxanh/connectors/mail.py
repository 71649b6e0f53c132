"""E-mail out, over SMTP: the notices the platform sends (overdue cases to supervisors, for now).

Nothing is sent unless ``MANGXANH_SMTP_HOST`` is set. The connection is bounded in time, and
encrypted with STARTTLS (the default) or implicit TLS unless told otherwise; a failure is raised
to the caller, who decides whether it can wait for the next tick.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

SECURITY = ("starttls", "ssl", "none")


@dataclass(frozen=True, slots=True)
class Mailer:
    host: str
    port: int
    sender: str
    sender_name: str = ""
    username: str = ""
    password: str = ""
    security: str = "starttls"
    timeout_s: float = 20.0

    def message(self, *, to: list[str], subject: str, body: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = formataddr((self.sender_name, self.sender)) if self.sender_name else self.sender
        message["To"] = ", ".join(to)
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        message.set_content(body)  # UTF-8, so every Vietnamese letter arrives as written
        return message

    def send(self, *, to: list[str], subject: str, body: str) -> None:
        """Send one message to ``to`` (raises smtplib.SMTPException or OSError when it cannot)."""
        if not to:
            return
        message = self.message(to=to, subject=subject, body=body)
        context = ssl.create_default_context()
        if self.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        with client:
            if self.security == "starttls":
                client.starttls(context=context)
            if self.username:
                client.login(self.username, self.password)
            client.send_message(message)
