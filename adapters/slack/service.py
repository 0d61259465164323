"""Start and stop the Slack adapter, on its own (``notnow slack``) or beside others.

:class:`SlackAdapter` is Slack behind the common adapter interface that ``notnow serve``
(and ``notnow slack``) loops over; :func:`start_slack` returns once the app is listening.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp

from adapters.common.turns import size_worker_pool
from adapters.slack.app import build_slack_app
from adapters.slack.delivery import Delivery
from adapters.slack.nudges import SlackNudgeSender
from adapters.slack.server import CalendarFeed, ReportPage, build_web_app
from bot.conversation.command_handlers import report_text
from bot.nudges.calendar_feed import feed_for
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.conversation.engine import Coach

__all__ = ["SlackAdapter", "SlackService", "start_slack"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class SlackService:
    """A running Slack adapter.

    ``port`` is the bound HTTP port (useful with ``port=0``); in Socket Mode the server
    there only answers ``/healthz``. ``app`` carries the Web API client and, with OAuth,
    the installation store; ``delivery`` is what the listeners post through.
    """

    app: AsyncApp
    port: int
    socket_mode: bool
    delivery: Delivery
    _runner: web.AppRunner
    _socket: AsyncSocketModeHandler | None
    _session: aiohttp.ClientSession

    def nudge_sender(self) -> SlackNudgeSender:
        """Nudges through the app's clients and the listeners' Delivery (one DM cache)."""
        return SlackNudgeSender.for_app(self.app, delivery=self.delivery)

    async def stop(self) -> None:
        """Close the socket, stop accepting requests, then close the Web API session."""
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self._socket.close_async()
        await self._runner.cleanup()
        await self._session.close()


def report_page(coach: Coach) -> ReportPage:
    """``/admin/report``'s body, from the coach's store and clock."""

    def page(workspace: str | None, since: str | None, until: str | None, fmt: str) -> str:
        return report_text(coach.store, clock=coach.clock, workspace=workspace, since=since,
                           until=until, fmt=fmt)

    return page


def calendar_page(coach: Coach) -> CalendarFeed:
    """``/calendar/<token>.ics``'s body, from the coach's store, content and clock."""

    def page(token: str) -> str | None:
        return feed_for(coach.store, token, content=coach.content, clock=coach.clock)

    return page


async def start_slack(
    settings: Settings, coach: Coach, *, port: int = 3000, host: str = "0.0.0.0"
) -> SlackService:
    """Build the app and start listening: Socket Mode when ``SLACK_APP_TOKEN`` is set,
    else HTTP on ``host:port`` (``/slack/events``). Returns once ready.

    :raises SlackConfigError: the settings lack a token or secret (message says which).
    :raises OSError: the port is taken.
    """
    size_worker_pool(coach.store.workers)
    session = aiohttp.ClientSession()
    try:
        return await _start(settings, coach, session=session, port=port, host=host)
    except BaseException:
        await session.close()
        raise


async def _start(
    settings: Settings, coach: Coach, *, session: aiohttp.ClientSession, port: int, host: str
) -> SlackService:
    delivery = Delivery()
    app = build_slack_app(settings, coach, session=session, delivery=delivery)
    socket: AsyncSocketModeHandler | None = None
    if settings.slack_app_token:
        socket = AsyncSocketModeHandler(app, settings.slack_app_token)
        web_app = build_web_app(None, signing_secret=None, report=report_page(coach),
                                report_token=settings.report_token,
                                calendar_feed=calendar_page(coach))
    else:
        web_app = build_web_app(app, signing_secret=settings.slack_signing_secret,
                                report=report_page(coach), report_token=settings.report_token,
                                calendar_feed=calendar_page(coach))
    runner = web.AppRunner(web_app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else port
    if socket is not None:
        try:
            await socket.connect_async()
        except BaseException:
            await runner.cleanup()
            raise
    mode = "Socket Mode" if socket else f"HTTP on {host}:{bound}/slack/events"
    log.info("notnow Slack adapter ready (%s)", mode)
    return SlackService(
        app=app,
        port=bound,
        socket_mode=socket is not None,
        delivery=delivery,
        _runner=runner,
        _socket=socket,
        _session=session,
    )


class SlackAdapter:
    """Slack as an :class:`~adapters.common.adapter.Adapter`: ``start`` is
    :func:`start_slack`, and it runs until stopped."""

    name = "slack"

    def __init__(self, settings: Settings, coach: Coach, *, port: int = 3000,
                 host: str = "0.0.0.0") -> None:
        self._settings = settings
        self._coach = coach
        self._port = port
        self._host = host
        self.service: SlackService | None = None

    async def start(self) -> None:
        """:raises SlackConfigError: a token or secret is missing. :raises OSError: the
        port is taken."""
        self.service = await start_slack(self._settings, self._coach, port=self._port,
                                         host=self._host)

    async def wait_closed(self) -> None:
        await asyncio.Event().wait()  # the app serves until told to stop

    async def stop(self) -> None:
        service, self.service = self.service, None
        if service is not None:
            await service.stop()

    def nudge_sender(self) -> SlackNudgeSender:
        if self.service is None:
            raise RuntimeError("the Slack adapter is not started")
        return self.service.nudge_sender()
