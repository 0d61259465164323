"""``notnow doctor`` against the Slack and Discord stand-ins: what works, what to fix."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.conftest import REPO
from tests.standins.discord_api import DiscordStandIn
from tests.standins.slack_api import SlackStandIn

SLACK_TOKEN = "xoxb-1-2-doctor"


async def doctor(**env: str) -> tuple[int, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "adapters.cli", "doctor", env={**clean, **env,
                                                            "PYTHONPATH": str(REPO)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert b"Traceback" not in err, err.decode()
    return proc.returncode or 0, out.decode()


async def test_everything_fine(tmp_path: Path) -> None:
    async with SlackStandIn() as slack:
        discord = DiscordStandIn()
        await discord.start()
        try:
            code, out = await doctor(
                NOTNOW_DB=str(tmp_path / "db"), SLACK_BOT_TOKEN=SLACK_TOKEN,
                SLACK_SIGNING_SECRET="s", SLACK_API_URL=slack.api_url,
                DISCORD_TOKEN=discord.token, DISCORD_API_URL=discord.base_url)
        finally:
            await discord.close()
    assert code == 0, out
    assert "[ok  ] Slack token works" in out and "[ok  ] Discord token works" in out
    assert "[ok  ] database (TinyDB)" in out and "[ok  ] content in" in out


async def test_bad_tokens_missing_secret_and_broken_content_are_named(tmp_path: Path) -> None:
    async with SlackStandIn() as slack:
        slack.fail("auth.test", "invalid_auth")
        discord = DiscordStandIn()
        await discord.start()
        try:
            code, out = await doctor(
                NOTNOW_DB=str(tmp_path / "db"), NOTNOW_CONTENT_DIR=str(tmp_path / "nope"),
                SLACK_BOT_TOKEN=SLACK_TOKEN, SLACK_API_URL=slack.api_url,
                DISCORD_TOKEN="wrong", DISCORD_API_URL=discord.base_url)
        finally:
            await discord.close()
    assert code == 1
    assert "[FAIL] Slack refused the bot token: invalid_auth" in out
    assert "[FAIL] Discord refused DISCORD_TOKEN" in out
    assert "without SLACK_SIGNING_SECRET" in out
    assert "[FAIL] content in" in out and "content folder not found" in out
    assert out.count("fix:") >= 4


async def test_unreachable_postgres_is_reported(tmp_path: Path) -> None:
    code, out = await doctor(NOTNOW_DB="postgresql://notnow:hunter2@127.0.0.1:1/notnow")
    assert code == 1
    assert "[FAIL] database postgresql://notnow:***@127.0.0.1:1/notnow" in out
    assert "hunter2" not in out
