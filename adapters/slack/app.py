"""Build the Bolt app: settings and a coach in, a ready :class:`AsyncApp` out.

Kept apart from the web server and Socket Mode so both transports, and the tests, run
exactly the same app.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import aiohttp
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.client import make_web_client
from adapters.slack.delivery import Delivery
from adapters.slack.listeners import ReportMaker, SlackListeners
from adapters.slack.oauth import oauth_settings
from bot.conversation.command_handlers import report_reply
from bot.messages import Reply
from bot.settings import Settings
from bot.storage.event_ledger import EventLedger

if TYPE_CHECKING:
    from bot.conversation.engine import Coach

__all__ = ["SlackConfigError", "build_slack_app", "report_maker"]


class SlackConfigError(ValueError):
    """The settings cannot run a Slack app; the message says which variable is missing."""


def build_slack_app(
    settings: Settings,
    coach: Coach,
    *,
    session: aiohttp.ClientSession | None = None,
    delivery: Delivery | None = None,
) -> AsyncApp:
    """The Bolt app with notnow's listeners.

    Single workspace: ``SLACK_BOT_TOKEN``. Several workspaces: ``SLACK_CLIENT_ID`` and
    ``SLACK_CLIENT_SECRET`` (Bolt's OAuth flow). HTTP mode needs ``SLACK_SIGNING_SECRET``
    to check that requests come from Slack; Socket Mode (``SLACK_APP_TOKEN``) does not.
    ``session`` is shared by every Web API call (see :func:`make_web_client`);
    ``delivery`` by the listeners and the nudge sender (one DM cache).

    :raises SlackConfigError: neither a bot token nor OAuth credentials are set, or HTTP
        mode lacks its signing secret.
    """
    oauth = oauth_settings(settings)
    if oauth is None and not settings.slack_bot_token:
        raise SlackConfigError("set SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET)")
    if not settings.slack_app_token and not settings.slack_signing_secret:
        raise SlackConfigError(
            "set SLACK_SIGNING_SECRET for HTTP mode, or SLACK_APP_TOKEN for Socket Mode"
        )
    token = None if oauth else settings.slack_bot_token
    client = make_web_client(settings, token=token, session=session)
    with _without_bolt_token_warning():
        app = _bolt_app(settings, client, oauth)
    ledger = EventLedger(store=coach.store, clock=coach.clock)
    SlackListeners(coach=coach, ledger=ledger, delivery=delivery,
                   reports=report_maker(coach)).register(app)
    return app


def report_maker(coach: Coach) -> ReportMaker:
    """The programme report for one workspace, from the coach's store and clock."""

    def make(workspace: str, fmt: str) -> Reply:
        return report_reply(coach.store, content=coach.content, clock=coach.clock,
                            workspace=workspace, fmt=fmt or "html")

    return make


def _bolt_app(
    settings: Settings, client: AsyncWebClient, oauth: AsyncOAuthSettings | None
) -> AsyncApp:
    return AsyncApp(
        name="notnow",
        client=client,
        # An empty secret is fine in Socket Mode, where Slack authenticates the socket.
        signing_secret=settings.slack_signing_secret or "",
        oauth_settings=oauth,
        # Ack first, then work: the engine's turn runs after Slack got its answer.
        process_before_response=False,
    )


class _DropMessage(logging.Filter):
    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self._text


@contextmanager
def _without_bolt_token_warning() -> Iterator[None]:
    """Bolt reads ``SLACK_BOT_TOKEN`` from the environment on its own and then warns that
    the client's token wins. The client carries that same token from the settings, so the
    warning would only send an operator looking for a problem that is not there."""
    logger = logging.getLogger(f"slack_bolt.{AsyncApp.__name__}")
    quiet = _DropMessage("As you gave `client` as well, `token` will be unused.")
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)
