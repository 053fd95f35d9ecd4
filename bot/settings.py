"""Settings: validated once at the entry point and passed down.

Sources, strongest first: ``ICBT_*`` environment variables, then the TOML file in ``config/``
(``config/icbt.toml`` unless ``ICBT_CONFIG`` names another), then the defaults below. Deep code never
reads the environment; it gets a ``Settings``.
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from bot.errors import ConfigError

DEFAULT_CONFIG_FILE = Path("config/icbt.toml")
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/icbt.sqlite3"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ICBT_", extra="forbid", frozen=True)

    database_url: str = DEFAULT_DATABASE_URL
    content_dir: Path = Path("content")

    telegram_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None

    staff_chat_id: int | None = None
    therapist_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)

    timezone: str = "Europe/Stockholm"
    language: str = "en"

    sweep_interval_seconds: int = Field(default=60, ge=5, le=3600)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # inbound: group commit and sweeps (docs/operations.md, docs/scaling.md)
    group_commit_max_batch: int = Field(default=50, ge=1, le=1000)  # events sharing one transaction
    sweep_chunk: int = Field(default=500, ge=1, le=100_000)  # participants ticked per sweep transaction
    # processes that tick a big sweep (scheduler/sweep_pool.py); unset: one per core (none on a single core)
    sweep_workers: int | None = Field(default=None, ge=0, le=64)
    # bulk writes without SQLAlchemy's per-row work (bot/storage/bulk.py); false: plain SQLAlchemy, the
    # same rows more slowly (the fallback when a SQLAlchemy upgrade breaks the fast path's internals)
    storage_fast_path: bool = True

    # -- safety: crisis resources shown on a risk hit (defaults: Sweden; every site must check its own) --
    staff_mode: Literal["telegram", "none"] = "telegram"  # "none": explicitly no staff group, said honestly
    crisis_country: str = "SE"
    emergency_number: str = "112"
    crisis_line_name: str = Field(default="Mind Självmordslinjen", min_length=2, max_length=80)
    crisis_line_number: str = "90101"
    crisis_line_hours: str = Field(default="open around the clock", max_length=80)
    crisis_line_url: str = "https://mind.se"

    # where /progress pictures are written before the sender sends them
    charts_dir: Path = Path("var/charts")

    @field_validator("crisis_country")
    @classmethod
    def _country_code(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z]{2}", value):
            raise ValueError("must be a two-letter country code such as SE")
        return value.upper()

    @field_validator("emergency_number", "crisis_line_number")
    @classmethod
    def _phone_number(cls, value: str) -> str:
        if not re.fullmatch(r"\+?[0-9][0-9 \-]{1,18}[0-9]", value.strip()):
            raise ValueError(f"{value!r} is not a phone number (digits, spaces, -, an optional leading +)")
        return value.strip()

    @field_validator("crisis_line_url")
    @classmethod
    def _crisis_url(cls, value: str) -> str:
        if value and not re.fullmatch(r"https?://[^\s]+", value):
            raise ValueError("must be empty or start with http:// or https://")
        return value

    # -- trial: the allocation seed, and how long words are kept (see docs/trial.md) --
    trial_seed: SecretStr | None = None  # required by `icbt run`; the demo uses a fixed, announced seed
    trial_retention_days: int = Field(default=90, ge=0, le=36500)  # answers of applicants not taken in
    trial_outbox_purge_days: int = Field(default=30, ge=0, le=3650)  # payloads of sent messages

    # -- measures: a site's own wording for licensed questionnaires (never committed here) -----------
    site_content_dir: Path | None = None
    symptom_rise_threshold: float = Field(default=5.0, gt=0, le=50)  # points on the check's instrument
    diary_late_days: int = Field(default=1, ge=0, le=7)  # a missed diary day can be filled until the end of day+N

    @field_validator("site_content_dir")
    @classmethod
    def _site_dir_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"{value} is not a directory (the site's wording overlay, e.g. /etc/icbt/site)")
        return value

    # -- relay (therapist side): see docs/operations.md, "The staff group" --
    therapist_names: dict[int, str] = Field(default_factory=dict)  # Telegram user id -> name in signatures
    therapist_signature: str = "— Your therapist {name}"  # added under each relayed reply; {name} optional
    relay_question_days: int = Field(default=1, ge=1, le=10)  # answer questions within N working days
    relay_report_days: int = Field(default=2, ge=1, le=10)  # weekly feedback within N working days
    relay_escalate_hours: int = Field(default=4, ge=1, le=72)  # after the therapist's nudge, tell the group
    # URGENT alerts repeat until /ack after these gaps in minutes, the last one over and over (back-off);
    # after the escalation count of repeats the group and the on-call contact are told as well.
    relay_urgent_backoff_minutes: Annotated[list[int], NoDecode] = Field(default_factory=lambda: [5, 15, 60])
    relay_urgent_escalate_after: int = Field(default=3, ge=1, le=50)
    oncall_chat_id: int | None = None  # a private chat the bot may write to (the on-call person /start-ed it)
    relay_day_end_hour: int = Field(default=17, ge=1, le=23)  # a working day's answers are due by this hour
    relay_holidays: Annotated[list[date], NoDecode] = Field(default_factory=list)  # not working days
    relay_stall_days: int = Field(default=4, ge=1, le=30)  # not moved in a module: nudge, then a therapist task
    staff_topics: bool = True  # one forum topic per participant; false: reply-to routing in a plain group
    # sender: the overall pace (at most this many messages counted at once, each from its request
    # until a second after its answer; Telegram allows about 30 a second per bot), requests in flight
    # at once, and how long a claim on an outbox row lasts before another process may take it over
    # (PostgreSQL, several processes). See docs/scaling.md.
    sender_per_second: int = Field(default=30, ge=1, le=1000)
    sender_max_in_flight: int = Field(default=16, ge=1, le=256)
    sender_lease_seconds: int = Field(default=60, ge=10, le=3600)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file's values arrive as init kwargs; the environment must win over them.
        return (env_settings, init_settings, file_secret_settings)

    @field_validator("therapist_ids", "admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("relay_urgent_backoff_minutes", mode="before")
    @classmethod
    def _split_minutes(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, int):
            value = [value]
        if not value or any(int(v) < 1 or int(v) > 1440 for v in value):
            raise ValueError("must be one or more minutes between 1 and 1440, e.g. 5,15,60")
        return value

    @field_validator("relay_holidays", mode="before")
    @classmethod
    def _split_days(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("therapist_signature")
    @classmethod
    def _signature_fields(cls, value: str) -> str:
        try:
            value.format(name="Anna")
        except (KeyError, IndexError, ValueError):
            raise ValueError("may use only {name} (the therapist's name from therapist_names)") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Stockholm)") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + value.split(":///", 1)[1]
        if not (value.startswith("sqlite+aiosqlite://") or value.startswith("postgresql+asyncpg://")):
            raise ValueError("must be sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB")
        return value

    @field_validator("telegram_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build settings from file + environment, or raise ``ConfigError`` with one readable line."""
    path = config_file or Path(os.environ.get("ICBT_CONFIG", DEFAULT_CONFIG_FILE))
    file_values: dict[str, Any] = {}
    if path.exists():
        try:
            file_values = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config error: {path}: {exc}") from None
    elif config_file is not None:
        raise ConfigError(f"config error: {path}: file not found")
    file_values.update(overrides)
    try:
        return Settings(**file_values)
    except ValidationError as exc:
        raise ConfigError(_one_line(exc, path)) from None


def _one_line(exc: ValidationError, path: Path) -> str:
    err = exc.errors()[0]
    name = str(err["loc"][0]) if err["loc"] else "?"
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = f"unknown setting (in {path})"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"config error: ICBT_{name.upper()}: {message}{more}"
