"""Multi-workspace installs: Bolt's OAuth flow with installations kept in files.

With ``SLACK_CLIENT_ID`` and ``SLACK_CLIENT_SECRET`` set, any workspace can install the
app from ``/slack/install``; Bolt stores each workspace's bot token and picks the right
one per request. The files sit next to the notnow database, so one backup covers both.

slack_sdk's file stores write with the process umask (bot tokens 0644 under the common
022) and never remove a state nobody came back with. The stores here keep every folder
0700 and every file 0600, and drop states once they expire or when too many are pending,
so visits to the public install page cannot fill the disk.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.file import FileInstallationStore
from slack_sdk.oauth.state_store.file import FileOAuthStateStore

from bot.settings import Settings, default_db_path
from bot.storage.urls import redact

__all__ = [
    "BOT_SCOPES",
    "INSTALL_PATH",
    "MAX_PENDING_STATES",
    "REDIRECT_PATH",
    "STATE_TTL_SECONDS",
    "PrivateInstallationStore",
    "PrivateStateStore",
    "installation_store",
    "oauth_dir",
    "oauth_settings",
    "uses_oauth",
]

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
    "files:read",  # a rejection email shared in the DM (files.info, its download)
)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_TTL_SECONDS = 600  # an install takes a person a minute or two; Bolt's default
MAX_PENDING_STATES = 200
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


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


def uses_oauth(settings: Settings) -> bool:
    """Whether bot tokens come from installations (OAuth) rather than ``SLACK_BOT_TOKEN``;
    with both set, OAuth wins, in the app and in ``nudges send-due`` alike."""
    return bool(settings.slack_client_id and settings.slack_client_secret)


def installation_store(settings: Settings) -> PrivateInstallationStore:
    """Where each workspace's bot token is kept: the app's, and ``nudges send-due``'s."""
    return PrivateInstallationStore(base_dir=str(oauth_dir(settings) / "installations"))


def oauth_settings(settings: Settings) -> AsyncOAuthSettings | None:
    """OAuth settings when the app is configured for several workspaces, else ``None``.

    Also tightens what an older version left readable to others in the OAuth folder.
    """
    if not uses_oauth(settings):
        return None
    base = oauth_dir(settings)
    try:
        _make_private(base)
    except OSError as exc:  # a read-only folder fails at install time, with Bolt's error
        log.warning("cannot make the Slack OAuth folder private: %s", exc.strerror)
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=installation_store(settings),
        installation_store_bot_only=True,
        state_store=PrivateStateStore(
            expiration_seconds=STATE_TTL_SECONDS, base_dir=str(base / "states")
        ),
    )


class PrivateInstallationStore(FileInstallationStore):
    """slack_sdk's file store, with the bot tokens readable by this user only."""

    def save(self, installation: Installation) -> None:
        _private_dir(Path(self.base_dir))
        super().save(installation)
        _make_private(Path(self.base_dir))

    def save_bot(self, bot: Bot) -> None:
        _private_dir(Path(self.base_dir))
        super().save_bot(bot)
        _make_private(Path(self.base_dir))


class PrivateStateStore(FileOAuthStateStore):
    """slack_sdk's file state store, bounded: each new state first removes the expired
    ones and, past :data:`MAX_PENDING_STATES`, the oldest (that install must start over).
    """

    def issue(self, *args: Any, **kwargs: Any) -> str:
        base = Path(self.base_dir)
        _private_dir(base)
        self._prune(base)
        state: str = super().issue(*args, **kwargs)
        (base / state).chmod(PRIVATE_FILE)
        return state

    def _prune(self, base: Path) -> None:
        cutoff = time.time() - self.expiration_seconds
        pending: list[tuple[float, str]] = []
        with os.scandir(base) as entries:
            for entry in entries:
                try:
                    if not entry.is_file():
                        continue
                    created = _issued_at(entry)
                except FileNotFoundError:  # consumed meanwhile
                    continue
                if created < cutoff:
                    Path(entry.path).unlink(missing_ok=True)
                else:
                    pending.append((created, entry.path))
        pending.sort()
        for _, path in pending[: max(0, len(pending) - MAX_PENDING_STATES + 1)]:
            Path(path).unlink(missing_ok=True)


def _issued_at(entry: os.DirEntry[str]) -> float:
    """When a state was issued: the ``time.time()`` slack_sdk writes into the file (the
    clock ``consume`` checks against), or the file's time if it holds anything else.
    The file's time alone would be the kernel's, which may disagree with the process's.

    :raises FileNotFoundError: the state was consumed meanwhile.
    """
    try:
        return float(Path(entry.path).read_text(encoding="utf-8").strip())
    except ValueError:
        return entry.stat().st_mtime


def _private_dir(path: Path) -> None:
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    path.chmod(PRIVATE_DIR)  # mkdir's mode passes through the umask


def _make_private(root: Path) -> None:
    """Folders 0700 and files 0600 from ``root`` down, whatever the umask made them."""
    _private_dir(root)
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            os.chmod(os.path.join(folder, name), PRIVATE_DIR)
        for name in files:
            os.chmod(os.path.join(folder, name), PRIVATE_FILE)
