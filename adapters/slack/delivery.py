"""Every Web API call that puts something in front of a person, with its failure mode.

One path for everything Slack is sent: replies to a turn, the App Home, and check-ins
(nudges) from the dispatcher. Each refusal is counted, logged with the team and user, and
raised as :class:`~bot.interfaces.DeliveryError`; the methods a listener uses swallow it
(``open_dm``, ``post``, ``mark_chosen``, ``publish_home``), because a workspace that
uninstalled the app (``token_revoked``), a user who left (``account_inactive``) or a
deleted DM (``channel_not_found``) ends that turn, not the app. The nudge sender uses the
raising ones, so the dispatcher can retry or give up.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.common.recent import DEFAULT_CAPACITY, RecentMap
from adapters.slack import render
from bot.interfaces import DeliveryError
from bot.messages import ExportFile, Reply, UserRef
from bot.ops.metrics import PLATFORM_API_ERRORS

__all__ = ["EXPECTED_ERRORS", "HISTORY_LIMIT", "PERMANENT", "Delivery"]

log = logging.getLogger(__name__)

T = TypeVar("T")

# Errors that describe the workspace or the person, not a bug: logged without a traceback.
EXPECTED_ERRORS = frozenset({
    "channel_not_found", "not_in_channel", "cannot_dm_bot", "user_not_found", "account_inactive",
    "token_revoked", "invalid_auth", "is_archived", "user_disabled", "missing_scope", "ratelimited",
})
# The person is gone for good: retrying cannot help.
PERMANENT = frozenset({"user_not_found", "account_inactive", "user_disabled", "cannot_dm_bot",
                       "is_bot"})
HISTORY_LIMIT = 50
# A post's refusals that mean the channel id itself is wrong: nothing was posted.
STALE_CHANNEL = frozenset({"channel_not_found", "is_archived", "not_in_channel"})


class Delivery:
    """Posts into a person's DM, keeping the DM channel id of recent people.

    Slack's ``conversations.open`` is idempotent, so the cache only saves a round trip;
    it is bounded (:class:`RecentMap`), and dropped for a user as soon as a post to the
    channel fails. Share one instance between the listeners and the nudge sender.
    """

    def __init__(self, *, capacity: int = DEFAULT_CAPACITY) -> None:
        self._dm_channels: RecentMap[str, str] = RecentMap(capacity=capacity)

    # -- for listeners: never raise -----------------------------------------------------

    async def open_dm(self, client: AsyncWebClient, who: UserRef) -> str | None:
        """The DM channel id with ``who``, or ``None`` (logged) when Slack refuses."""
        try:
            return await self.dm_channel(client, who)
        except DeliveryError:
            return None

    async def post(
        self, client: AsyncWebClient, who: UserRef, channel: str, replies: Sequence[Reply]
    ) -> bool:
        """Post the replies in order; stop at the first refusal, since the rest would be
        refused for the same reason. ``True`` when everything arrived."""
        try:
            await self.send(client, who, channel, replies)
        except DeliveryError:
            return False
        return True

    async def mark_chosen(
        self,
        client: AsyncWebClient,
        who: UserRef,
        channel: str,
        message: dict[str, Any],
        block_id: str | None,
        label: str,
    ) -> None:
        """Replace the clicked message's buttons by "You chose: ..." so it reads as
        answered and cannot be clicked again."""
        ts = message.get("ts")
        blocks = message.get("blocks")
        if not isinstance(ts, str) or not isinstance(blocks, list):
            return
        await self._quietly(
            who,
            "chat.update",
            client.chat_update(
                channel=channel,
                ts=ts,
                text=str(message.get("text") or "…"),
                blocks=render.chosen_blocks(blocks, block_id, label),
            ),
        )

    async def publish_home(
        self, client: AsyncWebClient, who: UserRef, replies: Sequence[Reply]
    ) -> None:
        await self._quietly(
            who,
            "views.publish",
            client.views_publish(user_id=who.user, view=render.home_view(list(replies))),
        )

    # -- for the nudge sender: raise DeliveryError ----------------------------------------

    async def dm_channel(self, client: AsyncWebClient, who: UserRef) -> str:
        """The DM channel id with ``who``.

        :raises DeliveryError: Slack refused to open it, or answered without an id.
        """
        cached = self._dm_channels.get(who.key)
        if cached:
            return cached
        response = await self._api(
            who, "conversations.open", client.conversations_open(users=who.user)
        )
        channel = response.get("channel")
        channel_id = channel.get("id") if isinstance(channel, dict) else None
        if not isinstance(channel_id, str) or not channel_id:
            raise DeliveryError("no_dm_channel", retryable=True)
        self._dm_channels.put(who.key, channel_id)
        return channel_id

    async def send(
        self, client: AsyncWebClient, who: UserRef, channel: str, replies: Sequence[Reply]
    ) -> None:
        """Post the replies in order, each as one or more messages, with any file.

        :raises DeliveryError: Slack refused a message (the rest are not tried).
        """
        for reply in replies:
            if reply.text.strip() or reply.draft or reply.options:
                for message in render.render_reply(reply):
                    await self._post_message(client, who, channel, message)
            if reply.file is not None:
                await self._upload(client, who, channel, reply.file)

    async def send_nudge(
        self, client: AsyncWebClient, who: UserRef, replies: Sequence[Reply], *, nudge_id: str,
        dm_channel: str | None = None,
    ) -> None:
        """A check-in into ``who``'s DM, each message tagged with ``nudge_id`` in its
        metadata so :meth:`nudge_in_history` can find it after a crash.

        ``dm_channel``: the DM as ``conversations.open`` gave it at one of the person's
        turns (stored with them), used when this process has none cached, so a pass after
        a restart does not open every DM again (a Tier 3 method: about 50 a minute). If
        Slack no longer knows that channel, the DM is opened afresh and the check-in
        posted there; nothing was posted to the stale one.

        :raises DeliveryError: Slack refused the DM or a message.
        """
        tagged = [r if r.nudge_id else dataclasses.replace(r, nudge_id=nudge_id)
                  for r in replies]
        stored = dm_channel if dm_channel and not self._dm_channels.get(who.key) else None
        if stored is not None:
            try:
                await self.send(client, who, stored, tagged)
            except DeliveryError as exc:
                if exc.reason not in STALE_CHANNEL:
                    raise
                log.info("stored DM channel no longer valid (%s); opening it again "
                         "(team=%s user=%s)", exc.reason, who.workspace, who.user)
            else:
                self._dm_channels.put(who.key, stored)
                return
        channel = await self.dm_channel(client, who)
        await self.send(client, who, channel, tagged)

    async def nudge_in_history(self, client: AsyncWebClient, who: UserRef, nudge_id: str) -> bool:
        """Whether the DM's recent history holds a message tagged with ``nudge_id``.

        :raises DeliveryError: Slack refused the DM or its history.
        """
        channel = await self.dm_channel(client, who)
        history = await self._api(who, "conversations.history", client.conversations_history(
            channel=channel, limit=HISTORY_LIMIT, include_all_metadata=True))
        for message in history.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            is_nudge = metadata.get("event_type") == render.NUDGE_EVENT
            if is_nudge and payload.get("nudge_id") == nudge_id:
                return True
        return False

    # -- one Web API call -----------------------------------------------------------------

    async def _post_message(
        self, client: AsyncWebClient, who: UserRef, channel: str, message: render.SlackMessage
    ) -> None:
        kwargs: dict[str, Any] = {}
        if message.metadata is not None:
            kwargs["metadata"] = message.metadata
        try:
            await self._api(
                who,
                "chat.postMessage",
                client.chat_postMessage(
                    channel=channel,
                    text=message.text,
                    blocks=message.blocks,
                    unfurl_links=False,
                    unfurl_media=False,
                    **kwargs,
                ),
            )
        except DeliveryError:
            self._dm_channels.discard(who.key)
            raise

    async def _upload(
        self, client: AsyncWebClient, who: UserRef, channel: str, file: ExportFile
    ) -> None:
        """Upload into the DM; if Slack refuses the upload, the content still arrives
        as code blocks, because the person asked for their data."""
        uploaded = await self._quietly(
            who,
            "files_upload_v2",
            client.files_upload_v2(
                channel=channel, filename=file.filename, title=file.filename, content=file.content
            ),
        )
        if uploaded is not None:
            return
        for message in render.code_messages(file.filename, file.content):
            await self._post_message(client, who, channel, message)

    async def _quietly(self, who: UserRef, method: str, call: Awaitable[T]) -> T | None:
        """:meth:`_api`, with a refusal (already logged) as ``None``."""
        try:
            return await self._api(who, method, call)
        except DeliveryError:
            return None

    async def _api(self, who: UserRef, method: str, call: Awaitable[T]) -> T:
        """Await one Web API call; a refusal is counted, logged with team and user, and
        raised as :class:`DeliveryError` (retryable unless the person is gone for good).
        """
        try:
            return await call
        except SlackApiError as exc:
            error = str(exc.response.get("error", "unknown_error"))
            PLATFORM_API_ERRORS.labels("slack", error).inc()
            level = logging.WARNING if error in EXPECTED_ERRORS else logging.ERROR
            log.log(level, "slack %s failed: %s (team=%s user=%s)",
                    method, error, who.workspace, who.user)
            raise DeliveryError(error, retryable=error not in PERMANENT) from None
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            PLATFORM_API_ERRORS.labels("slack", type(exc).__name__).inc()
            log.error("slack %s failed: %r (team=%s user=%s)", method, exc, who.workspace,
                      who.user)
            raise DeliveryError(f"network: {exc!r}", retryable=True) from None
