"""The glue every adapter shares (``adapters/common``): turns, profiles, layout, lifecycle.

Unit tests run the shared pieces against the real coach on the in-memory store; the last
tests run them through the real Slack adapter and its Web API stand-in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.common.layout import (
    MAX_BUTTONS,
    as_buttons,
    list_item,
    map_lines,
    neutralize_fences,
    pack,
    shorten,
    split_text,
)
from adapters.common.profile import Profile, ProfileSync
from adapters.common.recent import RecentMap
from adapters.common.turns import PersonLocks, TurnRunner
from adapters.serve import serve
from adapters.slack import SlackService, start_slack
from bot.app import build_coach
from bot.clock import ManualClock
from bot.content.loader import Content
from bot.conversation.engine import Coach
from bot.conversation.people import PEOPLE
from bot.interfaces import StoreError
from bot.messages import Command, Input, Option, Reply, Text, UserRef
from bot.settings import Settings
from bot.storage import MemoryStore
from tests.discord.conftest import Person as DiscordPerson
from tests.discord.conftest import RunningBot, settle
from tests.standins.discord_api import DiscordStandIn
from tests.standins.slack_api import Person, SlackSide, SlackStandIn

SECRET = "my boss Dana Whitfield said no"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def person(n: int | str) -> UserRef:
    return UserRef("slack", "T0001", f"U{n}")


@pytest.fixture
def memory_coach(content: Content, clock: ManualClock) -> Coach:
    return Coach(store=MemoryStore(), content=content, clock=clock)


class EngineBug:
    """The real coach, with a bug on one input: the engine raises, quoting what was typed
    (as a careless ``ValueError(f"... {text}")`` would). Everything else is the coach's."""

    def __init__(self, coach: Coach, *, trigger: str) -> None:
        self._coach = coach
        self._handle = coach.handle  # the real one, even once a test puts this in its place
        self._trigger = trigger
        self.threads: list[int] = []

    def handle(self, user: UserRef, event: Input, *, once: str | None = None,
               profile: Profile | None = None) -> list[Reply]:
        self.threads.append(threading.get_ident())
        if isinstance(event, Text) and event.text == self._trigger:
            raise ValueError(f"could not read {event.text!r}")
        return self._handle(user, event, once=once, profile=profile)

    def overview(self, user: UserRef) -> list[Reply]:
        return self._coach.overview(user)

    def set_timezone(self, user: UserRef, tz: str) -> None:
        self._coach.set_timezone(user, tz)

    def set_display_name(self, user: UserRef, name: str) -> None:
        self._coach.set_display_name(user, name)


class DiskFullOnce(EngineBug):
    """The real coach, whose first profile save fails as a full disk would."""

    def __init__(self, coach: Coach) -> None:
        super().__init__(coach, trigger="")
        self.failures = 1

    def set_timezone(self, user: UserRef, tz: str) -> None:
        if self.failures:
            self.failures -= 1
            raise StoreError("no space left on device")
        super().set_timezone(user, tz)


# -- the turn runner ----------------------------------------------------------------------


async def test_the_lock_map_does_not_grow_after_ten_thousand_people(memory_coach: Coach) -> None:
    runner = TurnRunner(coach=memory_coach)
    gate = asyncio.Semaphore(64)

    async def turn(n: int) -> list[Reply] | None:
        async with gate, runner.hold(person(n)):
            assert len(runner.locks) >= 1
            return await runner.take_turn(person(n), Command("help"))

    answers = await asyncio.gather(*(turn(n) for n in range(10_000)))
    assert all(answers)  # every one of them had a real turn
    assert len(runner.locks) == 0


async def test_one_person_s_turns_wait_for_each_other_others_do_not() -> None:
    locks = PersonLocks()
    order: list[str] = []
    first_inside = asyncio.Event()

    async def first() -> None:
        async with locks.hold("a"):
            first_inside.set()
            await asyncio.sleep(0.05)
            order.append("a1 done")

    async def second_same_person() -> None:
        await first_inside.wait()
        async with locks.hold("a"):
            order.append("a2 in")

    async def someone_else() -> None:
        await first_inside.wait()
        async with locks.hold("b"):
            order.append("b in")

    await asyncio.gather(first(), second_same_person(), someone_else())
    assert order == ["b in", "a1 done", "a2 in"]
    assert len(locks) == 0


async def test_an_engine_failure_costs_one_answer_and_logs_no_user_text(
        memory_coach: Coach, caplog: pytest.LogCaptureFixture) -> None:
    engine = EngineBug(memory_coach, trigger=SECRET)
    runner = TurnRunner(coach=engine)
    who = person("BUG")
    with caplog.at_level(logging.DEBUG):
        assert await runner.take_turn(who, Text(SECRET)) is None
    [record] = [r for r in caplog.records if r.name == "adapters.common.turns"]
    logged = record.getMessage() + (record.exc_text or "") + repr(record.exc_info)
    assert "ValueError" in logged and who.user in logged
    assert SECRET not in logged and "Dana" not in logged  # frames and type only
    # The next answer is answered as usual.
    assert await runner.take_turn(who, Command("help"))


async def test_the_engine_runs_off_the_event_loop(memory_coach: Coach) -> None:
    engine = EngineBug(memory_coach, trigger=SECRET)
    await TurnRunner(coach=engine).take_turn(person(1), Command("help"))
    assert engine.threads and engine.threads[0] != threading.get_ident()


# -- profile sync -------------------------------------------------------------------------


async def test_a_profile_is_fetched_and_saved_once_per_person(memory_coach: Coach) -> None:
    sync = ProfileSync(coach=memory_coach)
    asked: list[int] = []

    async def users_info() -> Profile:
        asked.append(1)
        return Profile(timezone="America/Chicago", display_name="Dana Whitfield")

    for _ in range(3):
        await sync.ensure(person(1), users_info)
    assert asked == [1]
    record = memory_coach.store.read(PEOPLE, person(1).key)
    assert record is not None and record["display_name"] == "Dana Whitfield"
    assert record["settings"]["timezone"] == "America/Chicago"


async def test_a_new_profile_version_is_synced_again(memory_coach: Coach) -> None:
    """Discord hands the display name over with every event: a new one is passed on."""
    sync = ProfileSync(coach=memory_coach)
    for name in ("grace", "grace", "Grace H."):
        async def discord_user(name: str = name) -> Profile:
            return Profile(display_name=name)

        await sync.ensure(person(2), discord_user, version=name)
    record = memory_coach.store.read(PEOPLE, person(2).key)
    assert record is not None and record["display_name"] == "Grace H."


async def test_a_platform_that_will_not_say_is_not_asked_again(memory_coach: Coach) -> None:
    sync = ProfileSync(coach=memory_coach)
    asked: list[int] = []

    async def refused() -> Profile | None:
        asked.append(1)
        return None

    await sync.ensure(person(3), refused)
    await sync.ensure(person(3), refused)
    assert asked == [1]


async def test_a_profile_the_store_could_not_save_is_tried_next_turn(
        memory_coach: Coach) -> None:
    sync = ProfileSync(coach=DiskFullOnce(memory_coach))

    async def users_info() -> Profile:
        return Profile(timezone="Asia/Tokyo")

    await sync.ensure(person(4), users_info)  # logged, not raised
    assert memory_coach.store.read(PEOPLE, person(4).key) is None
    await sync.ensure(person(4), users_info)
    record = memory_coach.store.read(PEOPLE, person(4).key)
    assert record is not None and record["settings"]["timezone"] == "Asia/Tokyo"


async def test_the_synced_set_is_bounded(memory_coach: Coach) -> None:
    sync = ProfileSync(coach=memory_coach, capacity=100)

    async def nothing() -> None:
        return None

    for n in range(10_000):
        await sync.ensure(person(n), nothing)
    assert len(sync) == 100


def test_a_recent_map_forgets_the_least_recently_used() -> None:
    recent: RecentMap[str, int] = RecentMap(capacity=2)
    recent.put("a", 1)
    recent.put("b", 2)
    assert recent.get("a") == 1  # now "b" is the oldest
    recent.put("c", 3)
    assert "b" not in recent and recent.get("a") == 1 and recent.get("c") == 3


# -- layout -------------------------------------------------------------------------------


def test_split_text_prefers_breaks_and_respects_the_limit() -> None:
    text = "one two three\n\nfour five six seven\n\neight"
    pieces = split_text(text, 20, breaks=("\n\n", "\n"), strip="\n")
    assert pieces == ["one two three", "four five six seven", "eight"]
    hard = split_text("x" * 45, 20)
    assert hard == ["x" * 20, "x" * 20, "x" * 5]
    assert split_text("", 20) == []


def test_split_text_never_cuts_where_the_platform_says_not_to() -> None:
    def before_entity(text: str, cut: int) -> int:
        amp = text.rfind("&", max(0, cut - 5), cut)
        return amp if amp > 0 and ";" not in text[amp:cut] else cut

    pieces = split_text("&lt;" * 10, 10, safe_cut=before_entity)
    assert all(p.count("&") == p.count(";") for p in pieces)
    assert "".join(pieces) == "&lt;" * 10


def test_pack_joins_pieces_while_they_fit() -> None:
    assert pack(["aaaa", "bbbb", "cccc"], 10) == ["aaaa\n\nbbbb", "cccc"]
    assert pack([], 10) == []


def test_typed_fences_cannot_close_a_code_block() -> None:
    assert "```" not in neutralize_fences("end ``` here ``````")


def test_list_items_keep_their_marker_and_everything_else_is_escaped() -> None:
    assert list_item("- call Dana") == (False, "call Dana")
    assert list_item("  - nested") == (True, "nested")
    assert list_item("-not an item") is None
    out = map_lines("Plan:\n- <b>\n  - x", plain=str.upper,
                    item=lambda body, nested: f"{'>' if nested else ''}* {body.upper()}")
    assert out == "PLAN:\n* <B>\n>* X"


def test_labels_are_shortened_with_an_ellipsis() -> None:
    assert shorten("Yes", 5) == "Yes"
    assert shorten("Yes, delete everything", 10) == "Yes, dele…"


def test_up_to_ten_options_are_buttons_when_their_values_fit() -> None:
    ten = tuple(Option(f"q={n}", f"Answer {n}") for n in range(MAX_BUTTONS))
    assert as_buttons(ten)
    assert not as_buttons((*ten, Option("q=10", "Answer 10")))
    assert not as_buttons(ten[:1], value_fits=lambda value: len(value) < 3)


# -- through the Slack adapter ------------------------------------------------------------


@pytest.fixture
async def slack_api() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def settings(tmp_path: Path, slack_api: SlackStandIn,
             monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in ("SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "DISCORD_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return Settings(_env_file=None, db=str(tmp_path / "db"),
                    slack_bot_token="xoxb-17653672481-19874698323-notnowtests",
                    slack_signing_secret=SIGNING_SECRET,
                    slack_api_url=slack_api.api_url, slack_app_token=None,
                    slack_client_id=None, slack_client_secret=None, discord_token=None)


@pytest.fixture
def slack_coach(settings: Settings, clock: ManualClock) -> Iterator[Coach]:
    built = build_coach(settings, clock=clock)
    yield built
    built.store.close()


async def test_nudges_and_replies_share_one_slack_delivery_path(
        settings: Settings, slack_coach: Coach, slack_api: SlackStandIn) -> None:
    """A nudge after a turn goes to the DM the turn opened, without opening it again, and
    still carries its id in the message metadata for the in-doubt check."""
    service: SlackService = await start_slack(settings, slack_coach, port=0, host="127.0.0.1")
    try:
        async with aiohttp.ClientSession() as session:
            slack = SlackSide(session, url=f"http://127.0.0.1:{service.port}/slack/events",
                              signing_secret=SIGNING_SECRET, hooks_url=slack_api.hooks_url)
            dana = Person(slack, slack_api)
            assert await dana.slash("start")
        sender = service.nudge_sender()
        who = UserRef("slack", dana.team, dana.user)
        assert await sender.was_delivered(who, "n-7") is False
        await sender.deliver(who, [Reply("Did you hear back?")], nudge_id="n-7")
        assert slack_api.posted(dana.channel)[-1]["metadata"] == {
            "event_type": "notnow_nudge", "event_payload": {"nudge_id": "n-7"}}
        assert await sender.was_delivered(who, "n-7") is True
        assert len(slack_api.calls_to("conversations.open")) == 1
    finally:
        await service.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_serve_stops_every_started_adapter_when_another_fails_to_start(
        settings: Settings, slack_coach: Coach) -> None:
    """Slack starts, then Discord cannot (no token): ``serve`` raises, and Slack's port
    is closed again instead of serving on with nobody to stop it."""
    port = _free_port()
    with pytest.raises(ValueError, match="DISCORD_TOKEN"):
        await serve(settings, slack_coach, slack=True, discord=True, slack_port=port,
                    stop=asyncio.Event())
    with pytest.raises(OSError):
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


# -- through the Discord adapter ----------------------------------------------------------


@pytest.fixture
async def discord_bot(tmp_path: Path, clock: ManualClock) -> AsyncIterator[RunningBot]:
    base, gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    standin = DiscordStandIn()
    await standin.start()
    settings = Settings(_env_file=None, db=str(tmp_path / "discord-db"),
                        discord_token=standin.token, discord_api_url=standin.base_url,
                        discord_gateway_url=standin.gateway_url)
    running = RunningBot(settings, standin, clock)
    await running.start()
    yield running
    await running.stop()
    await standin.close()
    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


async def test_a_discord_engine_failure_logs_no_user_text_and_the_next_turn_works(
        discord_bot: RunningBot, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert discord_bot.coach is not None
    grace = DiscordPerson(discord_bot.standin, "grace")
    await grace.send("start")
    engine = EngineBug(discord_bot.coach, trigger=SECRET)
    monkeypatch.setattr(discord_bot.coach, "handle", engine.handle)
    # Warnings and errors, from the adapter or discord.py: what reaches an operator. (The
    # libraries' DEBUG payloads are cut to their gist by ``bot.ops.logs``.)
    with caplog.at_level(logging.WARNING):
        await discord_bot.standin.dispatch(
            "MESSAGE_CREATE", discord_bot.standin.dm_message(grace.user, SECRET))
        await settle(discord_bot.standin)
    logged = "\n".join(r.getMessage() + (r.exc_text or "") + repr(r.exc_info)
                       for r in caplog.records)
    assert "engine failed: ValueError" in logged
    assert SECRET not in logged
    await grace.send("help")
    assert grace.last  # answered as usual
