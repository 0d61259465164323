"""Multi-workspace installs: Bolt's OAuth flow with installations kept in files.

With ``SLACK_CLIENT_ID`` and ``SLACK_CLIENT_SECRET`` set, any workspace can install the
app from ``/slack/install``; Bolt stores each workspace's bot token and picks the right
one per request. The files sit next to the notnow database, so one backup covers both.
"""

from __future__ import annotations

import logging
from pathlib import Path

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.file import FileInstallationStore
from slack_sdk.oauth.state_store.file import FileOAuthStateStore

from bot.settings import Settings, default_db_path
from bot.storage.urls import redact

__all__ = ["BOT_SCOPES", "INSTALL_PATH", "REDIRECT_PATH", "oauth_dir", "oauth_settings"]

log = logging.getLogger(__name__)

# Keep in step with oauth_config.scopes.bot in deploy/slack-manifest.yml.
BOT_SCOPES = (
    "chat:write",
    "commands",
    "im:history",
    "im:read",
    "im:write",
    "users:read",
    "files:write",
)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_TTL_SECONDS = 600


def oauth_dir(settings: Settings) -> Path:
    """``<directory of NOTNOW_DB>/slack-oauth``; for an in-memory database, the default
    data directory, because installs must survive a restart even when test data need not."""
    db = settings.db
    if db.startswith("memory://") or "://" in db.removeprefix("tinydb://"):
        log.warning(
            "NOTNOW_DB=%s is not a path; keeping Slack installs under the default data dir",
            redact(db),
        )
        db = default_db_path()
    return Path(db.removeprefix("tinydb://")).expanduser().resolve().parent / "slack-oauth"


def oauth_settings(settings: Settings) -> AsyncOAuthSettings | None:
    """OAuth settings when the app is configured for several workspaces, else ``None``."""
    if not (settings.slack_client_id and settings.slack_client_secret):
        return None
    base = oauth_dir(settings)
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=FileInstallationStore(base_dir=str(base / "installations")),
        installation_store_bot_only=True,
        state_store=FileOAuthStateStore(
            expiration_seconds=STATE_TTL_SECONDS, base_dir=str(base / "states")
        ),
    )
