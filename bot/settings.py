"""Process settings, read from the environment (and a ``.env`` file) by pydantic-settings.

The names are an operator-facing contract (see the README), so each field is bound to its
exact environment variable instead of relying on a prefix.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_CONTENT_DIR", "Settings", "default_db_path"]

DEFAULT_CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"


def default_db_path() -> str:
    """``$XDG_DATA_HOME/notnow/db`` (``~/.local/share/notnow/db``): outside the checkout,
    so a ``git clean`` never wipes anyone's journal."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "notnow" / "db")


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    """Everything the process needs to know about where it runs."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    db: str = Field(default_factory=default_db_path, validation_alias=_env("NOTNOW_DB"))
    content_dir: Path = Field(
        default=DEFAULT_CONTENT_DIR, validation_alias=_env("NOTNOW_CONTENT_DIR")
    )

    log_format: Literal["text", "json"] = Field(
        default="text", validation_alias=_env("NOTNOW_LOG_FORMAT"))
    log_salt: str = Field(default="notnow", validation_alias=_env("NOTNOW_LOG_SALT"))

    slack_bot_token: str | None = Field(default=None, validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_signing_secret: str | None = Field(
        default=None, validation_alias=_env("SLACK_SIGNING_SECRET")
    )
    slack_app_token: str | None = Field(default=None, validation_alias=_env("SLACK_APP_TOKEN"))
    slack_api_url: str | None = Field(default=None, validation_alias=_env("SLACK_API_URL"))
    slack_client_id: str | None = Field(default=None, validation_alias=_env("SLACK_CLIENT_ID"))
    slack_client_secret: str | None = Field(
        default=None, validation_alias=_env("SLACK_CLIENT_SECRET")
    )

    #: the bearer token ``GET /admin/report`` asks for (HTTP mode); unset, the page is off
    report_token: str | None = Field(default=None, validation_alias=_env("NOTNOW_REPORT_TOKEN"))
    #: where people's calendar apps reach this installation's web server (HTTP mode), e.g.
    #: ``https://notnow.example.org``; unset, ``calendar feed`` says there is no feed here
    public_url: str | None = Field(default=None, validation_alias=_env("NOTNOW_PUBLIC_URL"))

    discord_token: str | None = Field(default=None, validation_alias=_env("DISCORD_TOKEN"))
    discord_api_url: str | None = Field(default=None, validation_alias=_env("DISCORD_API_URL"))
    discord_gateway_url: str | None = Field(
        default=None, validation_alias=_env("DISCORD_GATEWAY_URL")
    )
