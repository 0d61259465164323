"""Nudges into Slack DMs, for the dispatcher (``bot.dispatcher``).

Each nudge message carries its id in Slack message ``metadata``
(``event_type: notnow_nudge``). After a crash between sending and marking, the
dispatcher asks :meth:`SlackNudgeSender.was_delivered`, which reads the DM's recent
history with metadata included: a nudge already there is not sent twice.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import aiohttp
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.client import make_web_client
from adapters.slack.oauth import installation_store, uses_oauth
from adapters.slack.render import render_reply
from bot.interfaces import DeliveryError
from bot.messages import Reply, UserRef
from bot.metrics import PLATFORM_API_ERRORS
from bot.settings import Settings

__all__ = ["NUDGE_EVENT", "SlackNudgeSender", "rest_sender", "rest_web_client"]

log = logging.getLogger(__name__)

NUDGE_EVENT = "notnow_nudge"
HISTORY_LIMIT = 50
# The person is gone for good: retrying cannot help.
PERMANENT = frozenset({"user_not_found", "account_inactive", "user_disabled", "cannot_dm_bot",
                       "is_bot"})

ClientFor = Callable[[str], Awaitable[AsyncWebClient | None]]


class SlackNudgeSender:
    """``SlackNudgeSender(client)`` for one workspace's bot token, or
    ``SlackNudgeSender.for_app(app)`` to use each team's installation (OAuth)."""

    platform = "slack"

    def __init__(self, client: AsyncWebClient | None = None, *,
                 client_for: ClientFor | None = None) -> None:
        if client_for is None:
            if client is None:
                raise ValueError("pass a client or client_for")

            async def single(_team: str) -> AsyncWebClient | None:
                return client

            client_for = single
        self._client_for = client_for

    @classmethod
    def for_app(cls, app: AsyncApp) -> SlackNudgeSender:
        store = app.installation_store
        if store is None:
            return cls(app.client)
        return cls.for_installations(store, app.client)

    @classmethod
    def for_installations(cls, store: AsyncInstallationStore,
                          base: AsyncWebClient) -> SlackNudgeSender:
        """Each team's bot token from ``store``, on ``base``'s URL, session and retries."""

        async def from_installation(team: str) -> AsyncWebClient | None:
            bot = await store.async_find_bot(enterprise_id=None, team_id=team)
            if bot is None or not bot.bot_token:
                return None
            return AsyncWebClient(token=bot.bot_token, base_url=base.base_url,
                                  timeout=base.timeout, session=base.session,
                                  retry_handlers=base.retry_handlers)

        return cls(client_for=from_installation)

    async def deliver(self, user: UserRef, replies: Sequence[Reply], *, nudge_id: str) -> None:
        client = await self._client(user)
        channel = await self._dm(client, user)
        for reply in replies:
            tagged = reply if reply.nudge_id else dataclasses.replace(reply, nudge_id=nudge_id)
            for message in render_reply(tagged):
                kwargs: dict[str, Any] = {}
                if message.metadata is not None:
                    kwargs["metadata"] = message.metadata
                await _api(client.chat_postMessage(
                    channel=channel, text=message.text, blocks=message.blocks,
                    unfurl_links=False, unfurl_media=False, **kwargs))

    async def was_delivered(self, user: UserRef, nudge_id: str) -> bool | None:
        try:
            client = await self._client(user)
            channel = await self._dm(client, user)
            history = await _api(client.conversations_history(
                channel=channel, limit=HISTORY_LIMIT, include_all_metadata=True))
        except DeliveryError as exc:
            log.warning("cannot check Slack history for nudge %s: %s", nudge_id, exc.reason)
            return None
        for message in history.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == NUDGE_EVENT and payload.get("nudge_id") == nudge_id:
                return True
        return False

    async def _client(self, user: UserRef) -> AsyncWebClient:
        client = await self._client_for(user.workspace)
        if client is None:
            raise DeliveryError("no_installation", retryable=True)
        return client

    async def _dm(self, client: AsyncWebClient, user: UserRef) -> str:
        opened = await _api(client.conversations_open(users=user.user))
        channel = (opened.get("channel") or {}).get("id")
        if not isinstance(channel, str):
            raise DeliveryError("no_dm_channel", retryable=True)
        return channel


async def _api(call: Awaitable[Any]) -> Any:
    """Await a Web API call; Slack's refusals become :class:`DeliveryError`."""
    try:
        return await call
    except SlackApiError as exc:
        error = str(exc.response.get("error", "unknown_error"))
        PLATFORM_API_ERRORS.labels("slack", error).inc()
        raise DeliveryError(error, retryable=error not in PERMANENT) from None
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
        PLATFORM_API_ERRORS.labels("slack", type(exc).__name__).inc()
        raise DeliveryError(f"network: {exc!r}", retryable=True) from None


@contextlib.asynccontextmanager
async def rest_web_client(settings: Settings) -> AsyncIterator[AsyncWebClient]:
    """A Web API client on its own session with ``SLACK_BOT_TOKEN``, for ``notnow doctor``."""
    async with aiohttp.ClientSession() as session:
        yield make_web_client(settings, token=settings.slack_bot_token, session=session)


@contextlib.asynccontextmanager
async def rest_sender(settings: Settings) -> AsyncIterator[SlackNudgeSender]:
    """The sender for ``notnow nudges send-due``, without a running app: with OAuth, each
    person's team's bot token from the installation store, as the app uses; otherwise
    ``SLACK_BOT_TOKEN``."""
    oauth = uses_oauth(settings)
    async with aiohttp.ClientSession() as session:
        client = make_web_client(settings, token=None if oauth else settings.slack_bot_token,
                                 session=session)
        if oauth:
            yield SlackNudgeSender.for_installations(installation_store(settings), client)
        else:
            yield SlackNudgeSender(client)
