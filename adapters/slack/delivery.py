"""Every Web API call that puts something in front of a person, with its failure mode.

Delivery never raises: a workspace that uninstalled the app (``token_revoked``), a user
who left (``account_inactive``) or a deleted DM (``channel_not_found``) is logged with the
team and user and the turn ends. One broken workspace must not take the others down.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import (
    SlackMessage,
    chosen_blocks,
    code_messages,
    home_view,
    render_reply,
)
from bot.messages import ExportFile, Reply, UserRef
from bot.metrics import PLATFORM_API_ERRORS

__all__ = ["EXPECTED_ERRORS", "Delivery"]

log = logging.getLogger(__name__)

T = TypeVar("T")

# Errors that describe the workspace or the person, not a bug: logged without a traceback.
EXPECTED_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "cannot_dm_bot",
        "user_not_found",
        "account_inactive",
        "token_revoked",
        "invalid_auth",
        "is_archived",
        "user_disabled",
        "missing_scope",
        "ratelimited",
    }
)


class Delivery:
    """Posts replies into a person's DM, keeping the DM channel id per process.

    Slack's ``conversations.open`` is idempotent, so the cache only saves a round trip;
    it is dropped for a user as soon as Slack says the channel is gone.
    """

    def __init__(self) -> None:
        self._dm_channels: dict[str, str] = {}

    async def open_dm(self, client: AsyncWebClient, who: UserRef) -> str | None:
        """The DM channel id with ``who``, or ``None`` (logged) when Slack refuses."""
        cached = self._dm_channels.get(who.key)
        if cached:
            return cached
        response = await self._call(
            who, "conversations.open", client.conversations_open(users=who.user)
        )
        channel = response.get("channel") if response is not None else None
        channel_id = channel.get("id") if isinstance(channel, dict) else None
        if isinstance(channel_id, str) and channel_id:
            self._dm_channels[who.key] = channel_id
            return channel_id
        return None

    async def post(
        self, client: AsyncWebClient, who: UserRef, channel: str, replies: Sequence[Reply]
    ) -> bool:
        """Post the replies in order; stop at the first refusal, since the rest would be
        refused for the same reason. ``True`` when everything arrived."""
        for reply in replies:
            has_body = bool(reply.text.strip() or reply.draft or reply.options)
            if has_body:
                for message in render_reply(reply):
                    if not await self._post_message(client, who, channel, message):
                        return False
            if reply.file is not None and not await self._upload(client, who, channel, reply.file):
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
        await self._call(
            who,
            "chat.update",
            client.chat_update(
                channel=channel,
                ts=ts,
                text=str(message.get("text") or "…"),
                blocks=chosen_blocks(blocks, block_id, label),
            ),
        )

    async def publish_home(
        self, client: AsyncWebClient, who: UserRef, replies: Sequence[Reply]
    ) -> None:
        await self._call(
            who,
            "views.publish",
            client.views_publish(user_id=who.user, view=home_view(list(replies))),
        )

    async def _post_message(
        self, client: AsyncWebClient, who: UserRef, channel: str, message: SlackMessage
    ) -> bool:
        kwargs: dict[str, Any] = {}
        if message.metadata is not None:
            kwargs["metadata"] = message.metadata
        response = await self._call(
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
        if response is None:
            self._dm_channels.pop(who.key, None)
        return response is not None

    async def _upload(
        self, client: AsyncWebClient, who: UserRef, channel: str, file: ExportFile
    ) -> bool:
        """Upload into the DM; if Slack refuses the upload, the content still arrives
        as code blocks, because the person asked for their data."""
        uploaded = await self._call(
            who,
            "files_upload_v2",
            client.files_upload_v2(
                channel=channel, filename=file.filename, title=file.filename, content=file.content
            ),
        )
        if uploaded is not None:
            return True
        for message in code_messages(file.filename, file.content):
            if not await self._post_message(client, who, channel, message):
                return False
        return True

    async def _call(self, who: UserRef, method: str, call: Awaitable[T]) -> T | None:
        """Await one Web API call; ``None`` (and a log line naming team and user) on failure."""
        try:
            return await call
        except SlackApiError as exc:
            error = str(exc.response.get("error", "unknown_error"))
            PLATFORM_API_ERRORS.labels("slack", error).inc()
            level = logging.WARNING if error in EXPECTED_ERRORS else logging.ERROR
            log.log(
                level,
                "slack %s failed: %s (team=%s user=%s)",
                method,
                error,
                who.workspace,
                who.user,
            )
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            PLATFORM_API_ERRORS.labels("slack", type(exc).__name__).inc()
            log.error("slack %s failed: %r (team=%s user=%s)", method, exc, who.workspace, who.user)
        return None
