"""Text messages through the operator's HTTP SMS gateway (the one the department contracts).

The gateway is configured by the department, not given by a user, so its address may be on the
intranet; it gets a JSON POST of ``to`` and ``text`` with the token as a bearer, and any answer
other than 2xx is an error the caller reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from mangxanh.errors import MangXanhError


class SmsNotSent(MangXanhError):
    pass


@dataclass(frozen=True, slots=True)
class SmsGateway:
    url: str
    token: str
    timeout_s: float = 10.0

    def send(self, *, to: str, text: str) -> None:
        try:
            answer = httpx.post(self.url, json={"to": to, "text": text}, timeout=self.timeout_s,
                                headers={"Authorization": f"Bearer {self.token}"} if self.token else {})
        except httpx.HTTPError as exc:
            raise SmsNotSent("The SMS gateway could not be reached: {reason}", reason=type(exc).__name__) from exc
        if not answer.is_success:
            raise SmsNotSent("The SMS gateway refused the message (HTTP {status}).", status=answer.status_code)
