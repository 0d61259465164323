"""Nudges into Slack DMs, for the dispatcher (``bot.nudges.dispatcher``).

Each nudge message carries its id in Slack message ``metadata``
(``event_type: notnow_nudge``). After a crash between sending and marking, the
dispatcher asks :meth:`SlackNudgeSender.was_delivered`, which reads the DM's recent
history with metadata included: a nudge already there is not sent twice.

The sending itself is :class:`~adapters.slack.delivery.Delivery`'s, the same path every
reply takes; this module only finds the right workspace's client. Inside ``notnow serve``
the sender shares the running app's Delivery, DM cache included.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import aiohttp
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.client import make_web_client
from adapters.slack.delivery import Delivery
from adapters.slack.oauth import installation_store, uses_oauth
from adapters.slack.render import NUDGE_EVENT
from bot.interfaces import DeliveryError
from bot.messages import Reply, UserRef
from bot.settings import Settings

__all__ = ["NUDGE_EVENT", "SlackNudgeSender", "rest_sender", "rest_web_client"]

log = logging.getLogger(__name__)

ClientFor = Callable[[str], Awaitable[AsyncWebClient | None]]


class SlackNudgeSender:
    """``SlackNudgeSender(client)`` for one workspace's bot token, or
    ``SlackNudgeSender.for_app(app)`` to use each team's installation (OAuth)."""

    platform = "slack"

    def __init__(self, client: AsyncWebClient | None = None, *,
                 client_for: ClientFor | None = None, delivery: Delivery | None = None) -> None:
        if client_for is None:
            if client is None:
                raise ValueError("pass a client or client_for")

            async def single(_team: str) -> AsyncWebClient | None:
                return client

            client_for = single
        self._client_for = client_for
        self._delivery = delivery or Delivery()

    @classmethod
    def for_app(cls, app: AsyncApp, *, delivery: Delivery | None = None) -> SlackNudgeSender:
        """The running app's client, or each team's installation with OAuth; pass the
        listeners' ``delivery`` to share its DM cache."""
        store = app.installation_store
        if store is None:
            return cls(app.client, delivery=delivery)
        return cls.for_installations(store, app.client, delivery=delivery)

    @classmethod
    def for_installations(cls, store: AsyncInstallationStore, base: AsyncWebClient, *,
                          delivery: Delivery | None = None) -> SlackNudgeSender:
        """Each team's bot token from ``store``, on ``base``'s URL, session and retries."""

        async def from_installation(team: str) -> AsyncWebClient | None:
            bot = await store.async_find_bot(enterprise_id=None, team_id=team)
            if bot is None or not bot.bot_token:
                return None
            return AsyncWebClient(token=bot.bot_token, base_url=base.base_url,
                                  timeout=base.timeout, session=base.session,
                                  retry_handlers=base.retry_handlers)

        return cls(client_for=from_installation, delivery=delivery)

    async def deliver(self, user: UserRef, replies: Sequence[Reply], *, nudge_id: str,
                      dm_channel: str | None = None) -> None:
        """:raises DeliveryError: no installation for the team, or Slack refused."""
        client = await self._client(user)
        await self._delivery.send_nudge(client, user, replies, nudge_id=nudge_id,
                                        dm_channel=dm_channel)

    async def was_delivered(self, user: UserRef, nudge_id: str) -> bool | None:
        try:
            client = await self._client(user)
            return await self._delivery.nudge_in_history(client, user, nudge_id)
        except DeliveryError as exc:
            log.warning("cannot check Slack history for nudge %s: %s", nudge_id, exc.reason)
            return None

    async def _client(self, user: UserRef) -> AsyncWebClient:
        client = await self._client_for(user.workspace)
        if client is None:
            raise DeliveryError("no_installation", retryable=True)
        return client


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
