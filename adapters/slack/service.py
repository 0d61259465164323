"""Start and stop the Slack adapter, on its own (``notnow slack``) or beside others.

:func:`start_slack` returns once the app is listening, so ``notnow serve`` can start
Slack and Discord on one event loop and stop them together; :func:`run` is the
blocking, single-adapter version for the CLI.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp

from adapters.slack.app import build_slack_app
from adapters.slack.server import build_web_app
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.engine import Coach

__all__ = ["SlackService", "run", "start_slack"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class SlackService:
    """A running Slack adapter.

    ``port`` is the bound HTTP port (useful with ``port=0``); in Socket Mode the server
    there only answers ``/healthz``. ``app`` carries the Web API client and, with OAuth,
    the installation store: ``SlackNudgeSender.for_app(service.app)`` sends nudges.
    """

    app: AsyncApp
    port: int
    socket_mode: bool
    _runner: web.AppRunner
    _socket: AsyncSocketModeHandler | None
    _session: aiohttp.ClientSession

    async def stop(self) -> None:
        """Close the socket, stop accepting requests, then close the Web API session."""
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self._socket.close_async()
        await self._runner.cleanup()
        await self._session.close()


async def start_slack(
    settings: Settings, coach: Coach, *, port: int = 3000, host: str = "0.0.0.0"
) -> SlackService:
    """Build the app and start listening: Socket Mode when ``SLACK_APP_TOKEN`` is set,
    else HTTP on ``host:port`` (``/slack/events``). Returns once ready.

    :raises SlackConfigError: the settings lack a token or secret (message says which).
    :raises OSError: the port is taken.
    """
    session = aiohttp.ClientSession()
    try:
        return await _start(settings, coach, session=session, port=port, host=host)
    except BaseException:
        await session.close()
        raise


async def _start(
    settings: Settings, coach: Coach, *, session: aiohttp.ClientSession, port: int, host: str
) -> SlackService:
    app = build_slack_app(settings, coach, session=session)
    socket: AsyncSocketModeHandler | None = None
    if settings.slack_app_token:
        socket = AsyncSocketModeHandler(app, settings.slack_app_token)
        web_app = build_web_app(None, signing_secret=None)
    else:
        web_app = build_web_app(app, signing_secret=settings.slack_signing_secret)
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
        _runner=runner,
        _socket=socket,
        _session=session,
    )


async def _serve_until_signalled(settings: Settings, coach: Coach, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(sig, stop.set)
    service = await start_slack(settings, coach, port=port)
    try:
        await stop.wait()
    finally:
        log.info("stopping the Slack adapter")
        await service.stop()


def run(settings: Settings, *, port: int = 3000, coach: Coach | None = None) -> None:
    """Run the Slack adapter until SIGINT/SIGTERM (``notnow slack [--port N]``).

    Pass ``coach`` when the caller built it (and reports content or store errors its own
    way); it is then the caller's to close. Without one, ``run`` builds and closes its own.

    :raises SlackConfigError: the settings lack a token or secret (message says which).
    """
    own = coach is None
    if coach is None:
        from bot.app import build_coach  # here, so importing the adapter never builds a coach

        coach = build_coach(settings)
    try:
        asyncio.run(_serve_until_signalled(settings, coach, port))
    finally:
        if own:
            coach.store.close()
