"""Settings: the only place that reads the environment (PRILAVOK_* variables and .env)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from prilavok.consult.kernel.addresses import parse_networks
from prilavok.consult.kernel.throttle import DEFAULT_RULES, parse_rule


def default_static_dir() -> Path:
    """The web assets: package data when installed, the checkout's static/ in development."""
    here = Path(__file__).resolve().parent
    installed = here / "static"
    return installed if installed.is_dir() else here.parent / "static"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PRILAVOK_", env_file=".env", extra="ignore")

    host: str = "127.0.0.1"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "debug", "info", "warning", "error"] = (
        "INFO"
    )
    # /metrics needs `Authorization: Bearer <token>`; or serve it on metrics_port only (e.g. an
    # address the internet cannot reach). Both empty: no /metrics.
    metrics_token: str = ""
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # "json": one JSON object a line, for log collectors.
    log_format: Literal["text", "json"] = "text"
    port: int = 8080
    data_dir: Path = Path("data")
    database_url: str = ""
    # SQLite only. FULL: every commit (so every acknowledged message) survives a power loss, at
    # one fsync per commit group; NORMAL: survives a crash of the process but may lose the last
    # commits when the machine loses power (docs/architecture.md, "What survives a power loss").
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    redis_url: str = ""
    # Processes that share this channel share Socket.IO rooms.
    redis_channel: str = "prilavok"
    # "routed": a message goes only to the processes hosting its room (prilavok/room_manager);
    # "broadcast": python-socketio's stock manager, every message to every process.
    redis_routing: Literal["routed", "broadcast"] = "routed"
    # A process that has not beaten for this long is taken for dead and its rooms removed.
    redis_host_ttl_seconds: float = Field(default=6.0, ge=1)
    # Signs visitor tokens and operator session cookies; generated and kept in data_dir if unset.
    secret_key: str = ""
    public_url: str = ""
    # The shop signs prilavok('identify') ids with it (HMAC-SHA256); empty: names are unverified.
    shop_secret: str = ""
    max_message_length: int = Field(default=4000, ge=1)
    default_capacity: int = Field(default=4, ge=1)
    # A visit ends after this much silence; the next page view starts a new one.
    visit_gap_seconds: int = 30 * 60
    # An operator whose process has not beaten its heart for this long counts as gone.
    presence_ttl_seconds: int = 60
    heartbeat_seconds: float = 15.0
    # The session cookie is Secure anyway when public_url is https (session_cookie_secure).
    cookie_secure: bool = False
    # Migrate on start; a deployment that migrates separately turns it off.
    auto_migrate: bool = True
    # ---- Abuse ----
    # Rate limits in the `limits` notation: "N/unit" (second, minute, hour, day) joined by ";",
    # each window must have room; an empty value turns a limit off. Defaults:
    # consult/kernel/throttle.py.
    limit_visitor_messages: str = DEFAULT_RULES["visitor_messages"]
    limit_address_sockets: str = DEFAULT_RULES["address_sockets"]
    limit_address_conversations: str = DEFAULT_RULES["address_conversations"]
    limit_visitor_callbacks: str = DEFAULT_RULES["visitor_callbacks"]
    limit_address_callbacks: str = DEFAULT_RULES["address_callbacks"]
    limit_login_failures: str = DEFAULT_RULES["login_failures"]
    limit_address_login_failures: str = DEFAULT_RULES["address_login_failures"]
    limit_address_page_codes: str = DEFAULT_RULES["address_page_codes"]
    # Reverse proxies whose X-Forwarded-For is believed: addresses or networks, comma-separated.
    trusted_proxies: str = ""
    # An operator session with no request and no console open for this long ends.
    operator_session_idle_minutes: int = Field(default=12 * 60, ge=1)
    # Threads that hash passwords (argon2: a core and 64 MiB each while they work).
    password_hash_threads: int = Field(default=1, ge=1, le=16)
    static_dir: Path = Field(default_factory=default_static_dir)

    # ---- Offers over Telegram, Viber and SMS ----
    # The delivery worker runs inside every serving process (rows are claimed, never shared).
    offers_worker: bool = True
    # A message with no read signal for this long is unread; three in a row switch channels.
    offers_unread_hours: float = Field(default=24, gt=0)
    offers_quiet_from_hour: int = Field(default=21, ge=0, le=23)
    offers_quiet_to_hour: int = Field(default=10, ge=0, le=23)
    offers_sms_max_segments: int = Field(default=3, ge=1, le=10)
    # The shop (its API keys' shop id) whose customers the widget's signed identities are:
    # their carts and purchases become its events. Empty: the widget feeds none.
    widget_shop_id: str = Field(default="", max_length=64)
    offers_lease_seconds: int = Field(default=300, ge=2)
    telegram_token: str = ""
    telegram_api_base: str = "https://api.telegram.org"
    # Telegram sends it back in X-Telegram-Bot-Api-Secret-Token; the webhook is off without it.
    telegram_webhook_secret: str = Field(default="", pattern=r"^[A-Za-z0-9_-]{0,256}$")
    telegram_bot_username: str = ""
    telegram_staff_chat_id: int | None = None
    telegram_per_second: float = Field(default=30, gt=0)
    viber_token: str = ""
    viber_api_base: str = "https://chatapi.viber.com/pa"
    viber_sender_name: str = "Prilavok"
    viber_chat_uri: str = ""
    # SMS.ru's api_id; SMS is off without it.
    sms_api_key: str = ""
    sms_api_base: str = "https://sms.ru"
    sms_sender: str = ""
    # Makes /bot/sms/smsru/<secret> the status callback address; off when empty.
    sms_callback_secret: str = ""

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        # The common forms name no driver; the service runs on the asyncio ones.
        for plain, driver in (
            ("postgresql://", "postgresql+asyncpg://"),
            ("postgres://", "postgresql+asyncpg://"),
            ("sqlite://", "sqlite+aiosqlite://"),
        ):
            if value.startswith(plain):
                return driver + value[len(plain) :]
        if value and not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError(
                "use sqlite+aiosqlite:///path/file.db or postgresql+asyncpg://user@host/name"
            )
        return value

    @field_validator(
        "limit_visitor_messages",
        "limit_address_sockets",
        "limit_address_conversations",
        "limit_visitor_callbacks",
        "limit_address_callbacks",
        "limit_login_failures",
        "limit_address_login_failures",
        "limit_address_page_codes",
        mode="after",
    )
    @classmethod
    def _rule(cls, value: str) -> str:
        parse_rule(value)  # ValueError: a start-up error that names the setting
        return value

    @field_validator("trusted_proxies", mode="after")
    @classmethod
    def _networks(cls, value: str) -> str:
        parse_networks(value.split(","))
        return value

    def limit_rules(self) -> dict[str, str]:
        return {name: getattr(self, f"limit_{name}") for name in DEFAULT_RULES}

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'prilavok.db').resolve()}"

    @property
    def session_cookie_secure(self) -> bool:
        return self.cookie_secure or self.public_url.strip().lower().startswith("https://")

    def resolved_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        # Private from its creation: no moment in which another user could read it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(key)
        return key
