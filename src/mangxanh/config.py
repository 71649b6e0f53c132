"""Settings, read from the environment (``MANGXANH_…``) or a ``.env`` file.

Nothing is built at import time: call :func:`get_settings` where settings are needed.
"""

from __future__ import annotations

import os
import secrets
import time
from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from mangxanh.errors import ConfigurationError

DEFAULT_VAR_DIR = Path("var")


class Settings(BaseSettings):
    """Every setting of the platform; each is ``MANGXANH_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="MANGXANH_", env_file=".env", extra="ignore")

    var_dir: Path = DEFAULT_VAR_DIR
    database_url: str = ""
    secret_key: str = ""
    # Signs the audit trail (HMAC). It must not live in the database: whoever can write the
    # database but not read this key cannot forge history that verifies.
    audit_key: str = ""
    # Signs evidence packages (Ed25519, derived from this secret). Kept outside the database like the
    # audit key; its public key (`mangxanh evidence public-key`) is what a court checks a package with.
    evidence_key: str = ""
    agency_name: str = "Sở Khoa học và Công nghệ Hà Nội"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Processes `mangxanh run` serves with (each its own interpreter: Python runs one request's code
    # at a time per process). One of them also runs the embedded scheduler and jobs.
    web_workers: int = Field(default=2, ge=1, le=32)
    case_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    session_max_age_s: int = Field(default=8 * 3600, ge=60)
    secure_cookies: bool = False
    default_locale: str = "vi"
    max_text_chars: int = Field(default=20_000, ge=100)
    # How long a request waits for a busy database (SQLite's write lock, a PostgreSQL row lock)
    # before it is answered 503 with Retry-After, instead of waiting without bound.
    db_busy_timeout_s: float = Field(default=5.0, gt=0, le=120)
    # Official letters (Decree 30/2020 layout): the letterhead, the number's symbol, who signs, who
    # gets copies. Lines are separated by "|". The issuing body defaults to the agency's name.
    letter_parent_body: str = "UBND THÀNH PHỐ HÀ NỘI"
    letter_issuing_body: str = ""
    letter_symbol: str = Field(default="SKHCN-TTĐT", pattern=r"^[^\s/]{2,40}$")
    letter_place: str = "Hà Nội"
    letter_signer_title: str = "KT. GIÁM ĐỐC|PHÓ GIÁM ĐỐC"
    letter_signer_name: str = ""
    letter_contact: str = ""
    letter_copies: str = "Giám đốc Sở (để báo cáo)"
    # Fetching feeds and pages. Private, loopback and link-local addresses are refused unless
    # allowed (tests serve on localhost; a deployment fetching an intranet mirror may need it).
    allow_private_fetch: bool = False
    # Citizens' reports: how many one address may begin, and one link may receive, in an hour.
    report_limit_per_address: int = Field(default=60, ge=1, le=1_000_000)
    report_limit_per_link: int = Field(default=200, ge=1, le=1_000_000)
    fetch_timeout_s: float = Field(default=15.0, gt=0, le=300)
    fetch_max_bytes: int = Field(default=5_000_000, ge=10_000)
    fetch_max_redirects: int = Field(default=5, ge=0, le=20)
    user_agent: str = "MangXanhBot/0.1 (+https://github.com/mangxanh)"
    # E-mail notices (overdue cases to supervisors). Empty host: none are sent; the console shows them anyway.
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: str = Field(default="starttls", pattern=r"^(starttls|ssl|none)$")
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_from: str = "mangxanh@localhost"
    # Contest registration: phone numbers confirmed by SMS through the operator's HTTP gateway
    # (POST of {"to", "text"} with the token as a bearer). Empty: numbers are taken as given.
    sms_gateway_url: str = Field(default="", pattern=r"^(https?://[^\s/]+(/[^\s]*)?)?$")
    sms_gateway_token: str = ""
    # The console's address as staff reach it, for the links in e-mails (default: http://HOST:PORT).
    public_url: str = Field(default="", pattern=r"^(https?://[^\s/]+(/[^\s]*)?)?$")
    # Scale-out: Celery broker on Redis. Empty means the embedded default (in-process scheduler).
    redis_url: str = ""
    worker_batch_size: int = Field(default=200, ge=1, le=5_000)
    # A message a worker took but never acknowledged (the worker died) goes to another worker this
    # long after delivery. Keep it above the slowest batch, or a slow batch is run twice.
    worker_visibility_timeout_s: int = Field(default=1800, ge=2, le=86_400)
    # How often each worker looks for such abandoned messages.
    worker_restore_interval_s: int = Field(default=10, ge=1, le=3_600)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("only sqlite:/// and postgresql+psycopg:// URLs are supported")
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            # SQLAlchemy would pick psycopg2, which we do not ship; psycopg 3 is the driver.
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @field_validator("default_locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in ("vi", "en"):
            raise ValueError("must be 'vi' or 'en'")
        return value

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'mangxanh.db'}"

    @property
    def effective_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def effective_secret_key(self) -> str:
        """The configured secret, or one generated once into ``var/secret_key`` (never a default)."""
        return self.secret_key or self._generated("secret_key")

    def effective_audit_key(self) -> bytes:
        """The key that signs the audit trail: configured, or generated once into ``var/audit_key``."""
        return (self.audit_key or self._generated("audit_key")).encode("utf-8")

    def effective_evidence_key(self) -> bytes:
        """The secret evidence packages are signed from: configured, or generated once into ``var/evidence_key``."""
        return (self.evidence_key or self._generated("evidence_key")).encode("utf-8")

    @property
    def audit_anchor_file(self) -> Path:
        """Where the signed heads of the audit trail are also appended, outside the database."""
        return self.var_dir / "audit-anchors.jsonl"

    def _generated(self, name: str) -> str:
        path = self.var_dir / name
        if path.exists():
            return path.read_text(encoding="ascii").strip()
        self.var_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        # Created exclusively: of two processes starting at once, one writes the key, both use it.
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            for _ in range(50):
                written = path.read_text(encoding="ascii").strip()
                if written:
                    return written
                time.sleep(0.01)
            raise ConfigurationError("{path} is empty: delete it or set the key", path=str(path)) from None
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(key)
        return key


def load_settings(**overrides: object) -> Settings:
    """Build settings; a bad value raises :class:`ConfigurationError` naming the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = "MANGXANH_" + "_".join(str(part) for part in error["loc"]).upper()
            problems.append(f"{name}: {error['msg']}")
        raise ConfigurationError("Invalid setting — " + "; ".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
