"""``notnow discord`` and ``notnow nudges send-due`` as real processes against the stand-in."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.clock import ManualClock
from bot.content.loader import load_content
from bot.conversation.actions import ACTIONS
from bot.conversation.engine import Coach
from bot.settings import DEFAULT_CONTENT_DIR
from bot.storage import TinyDBStore
from tests.conftest import REPO, START
from tests.discord.conftest import wait_until
from tests.discord.test_discord_nudges import plan_a_due_reminder
from tests.standins.discord_api import DiscordStandIn


def env_for(standin: DiscordStandIn, db: Path) -> dict[str, str]:
    return {**os.environ, "NOTNOW_DB": str(db), "DISCORD_TOKEN": standin.token,
            "DISCORD_API_URL": standin.base_url, "DISCORD_GATEWAY_URL": standin.gateway_url,
            "PYTHONPATH": str(REPO)}


async def test_notnow_discord_serves_and_stops_cleanly(standin: DiscordStandIn,
                                                       tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "adapters.cli", "discord", env=env_for(standin, tmp_path / "db"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await standin.wait_until_connected(timeout=60)
        ada = standin.add_user("ada")
        await standin.dispatch("INTERACTION_CREATE", standin.slash_command(ada, "start"))
        channel = standin.dm_channel_of(ada)
        await wait_until(lambda: any("three steps" in m["content"]
                                     for m in standin.messages_in(channel)), timeout=30)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr


async def test_send_due_delivers_over_rest_once(standin: DiscordStandIn, tmp_path: Path) -> None:
    db = tmp_path / "db"
    ada = standin.add_user("ada")
    store = TinyDBStore(db)
    coach = Coach(store=store, clock=ManualClock(START),
                  content=load_content(DEFAULT_CONTENT_DIR, known_actions=ACTIONS))
    plan_a_due_reminder(coach, str(ada["id"]))
    store.close()

    async def send_due() -> str:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "adapters.cli", "nudges", "send-due",
            "--now", START.isoformat(), env=env_for(standin, db), stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
        assert proc.returncode == 0, err.decode()
        return out.decode().strip()

    assert await send_due() == "sent=1"
    assert await send_due() == "nothing due"
    [message] = standin.messages_in(standin.dm_channel_of(ada))
    assert "Follow-up to Dana Reyes" in message["content"]
