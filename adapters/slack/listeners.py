"""Bolt listeners: one per kind of Slack request, each a translation and one engine call.

Every listener acknowledges first. Slack gives an app three seconds before it shows the
person an error, and the engine may touch the disk, so the engine runs after the ack, off
the event loop (:class:`~adapters.common.turns.TurnRunner`, shared with Discord), and the
replies follow through the Web API.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from adapters.common.turns import TurnRunner
from adapters.slack.delivery import Delivery
from adapters.slack.files import read_shared_file
from adapters.slack.inputs import (
    PLATFORM,
    action_channel,
    command_input,
    dm_files,
    dm_text,
    picked_option,
    request_key,
    who_from_action,
    who_from_command,
    who_from_event,
)
from adapters.slack.profile import is_workspace_admin, users_info
from adapters.slack.render import ACTION_PREFIX
from bot.conversation.commands import parse_command
from bot.messages import Command, Input, Paste, Reply, Text, UserRef
from bot.storage.event_ledger import EventLedger

if TYPE_CHECKING:
    from adapters.common.turns import CoachPort

__all__ = ["COMMAND", "DM_NOTICE", "ReportMaker", "SlackListeners"]

log = logging.getLogger(__name__)

COMMAND = "/notnow"
# The only words the adapter says itself: where the conversation went. The coaching,
# which is private, happens in the DM.
DM_NOTICE = "I've sent you a direct message, so we can talk in private. See you there."


#: builds the programme report for a workspace (``"slack:T…"``) in a format (``html``...)
ReportMaker = Callable[[str, str], Reply]


class SlackListeners:
    """Holds what the listeners share and registers them on an :class:`AsyncApp`.

    ``reports`` builds the programme report; without it, everyone is refused."""

    def __init__(
        self,
        *,
        coach: CoachPort,
        ledger: EventLedger,
        delivery: Delivery | None = None,
        turns: TurnRunner | None = None,
        reports: ReportMaker | None = None,
    ) -> None:
        self._coach = coach
        self._ledger = ledger
        self._delivery = delivery or Delivery()
        self._turns = turns or TurnRunner(coach=coach)
        self._reports = reports

    def register(self, app: AsyncApp) -> None:
        app.command(COMMAND)(self.on_command)
        app.event("message")(self.on_message)
        app.event("app_home_opened")(self.on_home_opened)
        app.action(re.compile(f"^{ACTION_PREFIX}"))(self.on_choice)
        app.action(re.compile(".*"))(self.on_unknown_action)

    def _once(self, key: object) -> str | None:
        """The ledger key of a request, so it is acted on once (``None``: nothing to
        dedupe by).

        Slack retries a slow event delivery (``X-Slack-Retry-Num``) with the same
        ``event_id``; a slash command or click has no such id, but a replay of its signed
        body (accepted by the signature check for five minutes) carries the same
        :func:`request_key`. A turn records the key in its own commit (one durable write
        for the turn and its dedupe), so processes sharing a store agree, and a repeat
        racing the first delivery still loses. Checked after Bolt acked the request, so
        the ack never waits for the disk.
        """
        return self._ledger.key(PLATFORM, key) if isinstance(key, str) and key else None

    async def _first_delivery(self, once: str | None) -> bool:
        """For what is not a turn (the programme report): ``False`` for a request
        already handled, recorded on its own."""
        if once is None:
            return True
        try:
            first = await asyncio.to_thread(self._ledger.first_time, PLATFORM,
                                            once.removeprefix(f"{PLATFORM}:"))
        except Exception:  # a broken ledger must not silence the bot
            log.exception("event ledger failed; handling the request anyway")
            return True
        if not first:
            log.info("slack request already handled; skipping the repeat")
        return first

    async def on_command(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack(text=DM_NOTICE, response_type="ephemeral")
        who = who_from_command(body)
        if who is None:
            log.warning("slash command without team_id/user_id ignored")
            return
        await self._turn(client, who, command_input(str(body.get("text") or "")),
                         once=self._once(request_key(body)))

    async def on_message(
        self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
    ) -> None:
        text = dm_text(event)
        shared = dm_files(event)
        who = who_from_event(body, event)
        channel = event.get("channel")
        if (text is None and shared is None) or who is None or not isinstance(channel, str):
            return
        once = self._once(body.get("event_id"))
        if shared is not None:
            await self._file_share(client, who, *shared, said_in=channel, once=once)
        elif text is not None:
            await self._turn(client, who, text, said_in=channel, once=once)

    async def on_choice(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        who = who_from_action(body)
        picked = picked_option(action)
        if who is None or picked is None:
            log.warning("block action %s without user or value ignored", action.get("action_id"))
            return
        choice, label = picked
        once = self._once(request_key(body))
        if once is not None and await self._turns.call(who, self._ledger.seen, once):
            log.info("slack request already handled; skipping the repeat")
            return  # not even the button's "chosen" mark again (a read, no write)
        channel = action_channel(body)
        message = body.get("message")
        # Only a message in the clicker's own DM is marked answered: the payload names
        # the channel, and a signed payload can still name anyone's.
        if (
            channel is not None
            and isinstance(message, dict)
            and channel == await self._delivery.open_dm(client, who)
        ):
            block_id = action.get("block_id")
            await self._delivery.mark_chosen(
                client,
                who,
                channel,
                message,
                block_id if isinstance(block_id, str) else None,
                label,
            )
        await self._turn(client, who, choice, once=once)

    async def on_unknown_action(self, ack: AsyncAck, action: dict[str, Any]) -> None:
        await ack()
        log.info("ignoring slack action %r: not one of ours", action.get("action_id"))

    async def on_home_opened(
        self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
    ) -> None:
        who = who_from_event(body, event)
        if event.get("tab") != "home" or who is None:
            return
        # No dedupe: the overview only reads, and publishing it twice is harmless.
        # No profile sync here: it would store a record (name, time zone) for someone who
        # only looked at the tab. Their first turn syncs it; the overview reads only.
        replies = await self._turns.call(who, self._coach.overview, who)
        if replies is not None:
            await self._delivery.publish_home(client, who, replies)

    async def _turn(
        self, client: AsyncWebClient, who: UserRef, event: Input, *,
        said_in: str | None = None, once: str | None = None,
    ) -> None:
        """One turn: find the DM, learn the time zone, ask the engine, post the replies.

        Replies go to the DM Slack opens for ``who`` (``conversations.open``), never to a
        channel the payload names: a signed body can still claim ``channel_type=im`` for
        a public channel. A message ``said_in`` any other channel is not said to the
        coach in private, so it is not a turn at all.
        """
        async with self._turns.hold(who):
            channel = await self._private_channel(client, who, said_in)
            if channel is None:
                return
            report = _report_asked(event)
            if report is not None:
                if not await self._first_delivery(once):
                    return
                replies = await self._report(client, who, report)
            else:
                replies = await self._turns.take_turn(
                    who, event, once=once, profile=users_info(client, who, dm_channel=channel))
            if replies:
                await self._delivery.post(client, who, channel, replies)

    async def _private_channel(self, client: AsyncWebClient, who: UserRef,
                               said_in: str | None) -> str | None:
        """``who``'s DM with the app, or ``None`` when there is none or the message was
        ``said_in`` another channel (see :meth:`_turn`)."""
        channel = await self._delivery.open_dm(client, who)
        if channel is None:
            return None  # logged by Delivery; without a DM there is nowhere private to talk
        if said_in is not None and said_in != channel:
            log.warning(
                "ignored a message outside the person's DM (team=%s user=%s)",
                who.workspace,
                who.user,
            )
            return None
        return channel

    async def _file_share(self, client: AsyncWebClient, who: UserRef,
                          files: list[dict[str, Any]], said: Text | None, *,
                          said_in: str, once: str | None = None) -> None:
        """A file shared in the DM: an email or text file goes to the engine as a
        :class:`Paste`; anything else gets what is accepted, and the words typed with
        it (if any) are still a turn, so nothing the person said is dropped."""
        async with self._turns.hold(who):
            channel = await self._private_channel(client, who, said_in)
            if channel is None:
                return
            read = await read_shared_file(client, files[0])
            if isinstance(read, Paste):
                replies = await self._turns.take_turn(
                    who, read, once=once, profile=users_info(client, who, dm_channel=channel))
            else:
                replies = [Reply(read)]
                if said is not None:
                    replies += await self._turns.take_turn(
                        who, said, once=once,
                        profile=users_info(client, who, dm_channel=channel)) or []
            if replies:
                await self._delivery.post(client, who, channel, replies)

    async def _report(self, client: AsyncWebClient, who: UserRef,
                      asked: Command) -> list[Reply] | None:
        """The programme report, as a file, for a workspace admin or owner; anyone else
        gets the engine's refusal, and nothing is built."""
        if self._reports is not None and await is_workspace_admin(client, who):
            workspace = f"{who.platform}:{who.workspace}"
            reply = await self._turns.call(who, self._reports, workspace, asked.arg)
            return [reply] if reply is not None else None
        return await self._turns.take_turn(who, Command("report"))


def _report_asked(event: Input) -> Command | None:
    """``report`` (``/notnow report``, or typed in the DM), read by the engine's parser."""
    command = parse_command(event.text) if isinstance(event, Text) else event
    if isinstance(command, Command) and command.name == "report":
        return command
    return None
