"""Domain errors.

Each error keeps its message as an English gettext msgid plus parameters, so the CLI can print
it as is and the web can show it translated (Vietnamese first) without string surgery.
"""

from __future__ import annotations

from collections.abc import Callable


class MangXanhError(Exception):
    """Base of every error the platform raises on purpose."""

    def __init__(self, message: str, **params: object) -> None:
        self.message = message
        self.params = params
        super().__init__(message.format(**params) if params else message)

    def translated(self, gettext: Callable[[str], str]) -> str:
        text = gettext(self.message)
        return text.format(**self.params) if self.params else text


class ConfigurationError(MangXanhError):
    """A setting or a shipped data file is wrong; start-up stops."""


class NotFound(MangXanhError):
    pass


class Conflict(MangXanhError):
    pass


class Forbidden(MangXanhError):
    pass


class InvalidInput(MangXanhError):
    pass


class InvalidTransition(MangXanhError):
    """The case state machine does not allow this move."""
