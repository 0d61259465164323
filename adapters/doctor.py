"""``notnow doctor``: check settings, content, database and tokens, and say what to fix.

Each check is independent and reports one line; nothing is changed except a probe record
written and deleted to prove the database takes writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from bot.settings import Settings

__all__ = ["Finding", "run_checks"]

PROBE = ("doctor", "probe")


@dataclass(frozen=True)
class Finding:
    ok: bool
    what: str
    fix: str = ""

    def line(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        label = "fix" if not self.ok else "note"
        return f"[{mark}] {self.what}" + (f"\n       {label}: {self.fix}" if self.fix else "")


def check_settings(settings: Settings) -> list[Finding]:
    found: list[Finding] = []
    slack = bool(settings.slack_bot_token or settings.slack_client_id)
    if not slack and not settings.discord_token:
        found.append(Finding(True, "no Slack or Discord settings: only `notnow console` can run",
                             "set SLACK_BOT_TOKEN (+ SLACK_SIGNING_SECRET or SLACK_APP_TOKEN) "
                             "and/or DISCORD_TOKEN to serve a community"))
    if slack and not (settings.slack_signing_secret or settings.slack_app_token):
        found.append(Finding(False, "Slack is configured without SLACK_SIGNING_SECRET (HTTP mode) "
                             "or SLACK_APP_TOKEN (Socket Mode)",
                             "copy the signing secret from Basic Information, or create an "
                             "app-level token with connections:write"))
    if settings.slack_app_token and not settings.slack_app_token.startswith("xapp-"):
        found.append(Finding(False, "SLACK_APP_TOKEN does not start with xapp-",
                             "use the app-level token, not the bot token"))
    if settings.slack_bot_token and not settings.slack_bot_token.startswith("xoxb-"):
        found.append(Finding(False, "SLACK_BOT_TOKEN does not start with xoxb-",
                             "use the Bot User OAuth Token from OAuth & Permissions"))
    if bool(settings.slack_client_id) != bool(settings.slack_client_secret):
        found.append(Finding(False, "only one of SLACK_CLIENT_ID and SLACK_CLIENT_SECRET is set",
                             "set both to distribute the app, or neither"))
    if not found:
        found.append(Finding(True, "settings are consistent"))
    return found


def check_content(settings: Settings) -> Finding:
    from bot.app import load_checked_content
    from bot.content.loader import ContentErrors

    try:
        content = load_checked_content(settings)
    except ContentErrors as exc:
        first = str(exc.errors[0])
        return Finding(False, f"content in {settings.content_dir}: {len(exc.errors)} problem(s), "
                       f"first: {first}", "run `notnow content check` and fix each line it names")
    return Finding(True, f"content in {settings.content_dir} ({len(content.templates)} templates)")


def check_database(settings: Settings) -> Finding:
    from bot.interfaces import StoreError
    from bot.storage import open_store

    try:
        store = open_store(settings.db)
    except StoreError as exc:
        if "in use by another notnow process" in str(exc):
            return Finding(True, f"database {_safe(settings.db)} is owned by a running notnow "
                           "process")
        return Finding(False, f"database {_safe(settings.db)}: {exc}",
                       "check NOTNOW_DB: a writable folder, or a reachable postgresql:// URL")
    try:
        store.write(*PROBE, {"ok": True})
        readable = store.read(*PROBE) == {"ok": True}
        store.delete(*PROBE)
    except (StoreError, OSError) as exc:
        return Finding(False, f"database {_safe(settings.db)} refused a write: {exc}",
                       "check permissions and free space")
    finally:
        store.close()
    kind = "PostgreSQL" if settings.db.startswith("postgres") else "TinyDB"
    return Finding(readable, f"database ({kind}) at {_safe(settings.db)} takes reads and writes")


async def check_slack(settings: Settings) -> Finding:
    import aiohttp
    from slack_sdk.errors import SlackApiError, SlackClientError

    from adapters.slack.nudges import rest_web_client

    try:
        async with rest_web_client(settings) as client:
            answer = await client.auth_test()
    except SlackApiError as exc:
        return Finding(False, f"Slack refused the bot token: {exc.response.get('error')}",
                       "reinstall the app to the workspace and copy the new xoxb- token")
    except (SlackClientError, aiohttp.ClientError, TimeoutError, OSError) as exc:
        return Finding(False, f"Slack's Web API is unreachable: {exc!r}",
                       "check the network, or SLACK_API_URL if it is set")
    return Finding(True, f"Slack token works: bot {answer.get('user')} in team "
                   f"{answer.get('team')}")


async def check_discord(settings: Settings) -> Finding:
    import aiohttp
    import discord

    from adapters.discord.sender import rest_client

    try:
        async with rest_client(settings) as client:
            me = client.user
    except discord.LoginFailure:
        return Finding(False, "Discord refused DISCORD_TOKEN",
                       "reset the token on the Bot page of the developer portal and set it again")
    except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
        return Finding(False, f"Discord's API is unreachable: {exc!r}",
                       "check the network, or DISCORD_API_URL if it is set")
    return Finding(True, f"Discord token works: logged in as {me}")


def run_checks(settings: Settings) -> list[Finding]:
    findings = [*check_settings(settings), check_content(settings), check_database(settings)]
    probes: list[Callable[[Settings], object]] = []
    if settings.slack_bot_token:
        probes.append(check_slack)
    if settings.discord_token:
        probes.append(check_discord)
    for probe in probes:
        findings.append(asyncio.run(probe(settings)))  # type: ignore[arg-type]
    return findings


def _safe(url: str) -> str:
    from bot.storage.urls import redact

    return redact(url)
