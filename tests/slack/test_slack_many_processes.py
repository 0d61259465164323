"""Several processes, one PostgreSQL: nudges go out once, Slack retries are handled once."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import aiohttp
import psycopg

from bot.clock import ManualClock
from bot.content.loader import load_content
from bot.conversation.actions import ACTIONS
from bot.conversation.people import PersonRepo, new_case
from bot.messages import UserRef
from bot.nudges.book import NudgeBook
from bot.nudges.plan import NudgePlanner
from bot.settings import DEFAULT_CONTENT_DIR
from bot.storage.postgres import PostgresStore
from tests.conftest import REPO
from tests.slack.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.standins.slack_api import SlackSide, SlackStandIn, dm_channel_id

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
PEOPLE = 1000


def empty_database(url: str) -> None:
    PostgresStore(url).close()  # migrated
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE notnow_records")


def plan_one_due_nudge_each(url: str, people: int) -> None:
    """People with one due check-in each, written straight through the store's API."""
    store = PostgresStore(url)
    content = load_content(DEFAULT_CONTENT_DIR, known_actions=ACTIONS)
    clock = ManualClock(NOW)
    repo = PersonRepo(store=store, content=content, clock=clock)
    planner = NudgePlanner(book=NudgeBook(store), content=content, clock=clock)
    for n in range(people):
        user = UserRef("slack", "T0001", f"U{n:05d}")
        person = repo.fresh(user)
        person["settings"]["window"] = {"start": "00:00", "end": "23:59",
                                        "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}
        case = new_case(person, now_iso=NOW.isoformat())
        case.update(company="Acme", role="Engineer", contact="Dana Reyes", status="open")
        planner.plan(person, case, "connect", on=date(2026, 11, 30))
        repo.save(user, person)
    store.close()


def env_for(url: str, slack_api: SlackStandIn) -> dict[str, str]:
    return {**os.environ, "NOTNOW_DB": url, "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": slack_api.api_url,
            "PYTHONPATH": str(REPO)}


async def test_two_dispatchers_send_each_of_1000_nudges_exactly_once(
        postgres_url: str, slack_api: SlackStandIn) -> None:
    empty_database(postgres_url)
    await asyncio.to_thread(plan_one_due_nudge_each, postgres_url, PEOPLE)
    env = env_for(postgres_url, slack_api)
    procs = [await asyncio.create_subprocess_exec(
        sys.executable, "-m", "adapters.cli", "nudges", "send-due", "--now", NOW.isoformat(),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        for _ in range(2)]
    outputs = [await asyncio.wait_for(p.communicate(), timeout=600) for p in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()[-2000:]
    sent = [int(out.decode().split("sent=")[1].split(",")[0]) for out, _ in outputs]
    assert sum(sent) == PEOPLE and min(sent) > 0  # both worked, neither repeated the other

    per_nudge = Counter(
        m["metadata"]["event_payload"]["nudge_id"]
        for messages in slack_api.messages.values() for m in messages if m.get("metadata"))
    assert len(per_nudge) == PEOPLE and set(per_nudge.values()) == {1}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_two_slack_processes_share_state_and_dedupe_retries(
        postgres_url: str, slack_api: SlackStandIn, tmp_path: Path) -> None:
    empty_database(postgres_url)
    env = env_for(postgres_url, slack_api)
    ports = [free_port(), free_port()]
    procs = [await asyncio.create_subprocess_exec(
        sys.executable, "-m", "adapters.cli", "slack", "--port", str(port), env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE) for port in ports]
    try:
        async with aiohttp.ClientSession() as session:
            sides = [SlackSide(session, url=f"http://127.0.0.1:{port}/slack/events",
                               signing_secret=SIGNING_SECRET, hooks_url=slack_api.hooks_url)
                     for port in ports]
            for port in ports:
                await wait_healthy(session, port)
            channel = dm_channel_id("T0001", "U0SHARED")
            # the first process starts the conversation...
            assert (await sides[0].slash("T0001", "U0SHARED", "start")).status == 200
            await slack_api.wait_for("chat.postMessage", 1)
            await slack_api.settle()
            # ...the same event, delivered to one process and retried to the other
            first = await sides[0].dm("T0001", "U0SHARED", "okay", event_id="EvSHARED1")
            retry = await sides[1].dm("T0001", "U0SHARED", "okay", event_id="EvSHARED1",
                                      retry_num=1)
            assert first.status == retry.status == 200
            await slack_api.settle(quiet=0.5)
            answers = [m for m in slack_api.posted(channel) if "steady" in str(m)]
            confused = [m for m in slack_api.posted(channel) if "catch that" in str(m)]
            assert (len(answers), len(confused)) == (1, 0)  # one turn, not a second one
            # the second process continues the conversation where the first left it
            before = len(slack_api.posted(channel))
            await sides[1].dm("T0001", "U0SHARED", "1", event_id="EvSHARED2")
            await slack_api.wait_for("chat.postMessage", before + 1,
                                     where=lambda c: c.params.get("channel") == channel)
            await slack_api.settle()
            assert "Which company" in str(slack_api.posted(channel)[-1])
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            await asyncio.wait_for(proc.wait(), timeout=30)


async def wait_healthy(session: aiohttp.ClientSession, port: int) -> None:
    for _ in range(300):
        try:
            async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"the Slack process on port {port} never became healthy")
