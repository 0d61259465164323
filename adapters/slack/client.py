"""The Web API client every Slack call goes through.

One place decides the base URL (``SLACK_API_URL`` points tests and staging at a stand-in)
and how calls are retried: Slack answers bursts with HTTP 429 and a ``Retry-After``
header, and a dropped connection is worth one more try before a reply is lost.
"""

from __future__ import annotations

import logging
from typing import cast

import aiohttp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings

__all__ = ["DEFAULT_API_URL", "EffectiveLevelLogger", "api_base_url", "make_web_client"]

DEFAULT_API_URL = "https://slack.com/api/"


def api_base_url(settings: Settings) -> str:
    """``SLACK_API_URL`` or Slack's own, always with the trailing slash slack_sdk needs
    to join method names onto it."""
    url = settings.slack_api_url or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


class EffectiveLevelLogger(logging.LoggerAdapter[logging.Logger]):
    """A logger whose ``level`` is the level it actually logs at.

    slack_sdk skips building its debug lines with ``if logger.level <= logging.DEBUG``:
    the level set on that very logger, ``NOTSET`` (0) unless someone set it, so the
    guard always passes (slackapi/python-slack-sdk#1957). Every Web API call then
    formats its parameters, headers and response body, blocks and all, into a string
    nobody logs. Setting a level on slack_sdk's logger would freeze it; this answers
    from the logger tree at each call, so ``notnow -v`` (or a test turning slack_sdk up
    to DEBUG) still gets every line.
    """

    @property
    def level(self) -> int:
        return self.logger.getEffectiveLevel()


def make_web_client(
    settings: Settings, *, token: str | None, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    """A client with retries for rate limits (honouring ``Retry-After``) and for
    connection errors. ``token`` is ``None`` for a multi-workspace app: Bolt then hands
    each listener a copy carrying the right workspace's token (and the same session).

    Pass a long-lived ``session`` in a server: without one slack_sdk opens a connection,
    and a TLS handshake, for every call.
    """
    return AsyncWebClient(
        token=token,
        base_url=api_base_url(settings),
        session=session,
        timeout=30,
        # slack_sdk's own logger, read through its effective level (see the class)
        logger=cast(logging.Logger, EffectiveLevelLogger(
            logging.getLogger("slack_sdk.web.async_base_client"))),
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
        ],
    )
