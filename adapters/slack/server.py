"""The aiohttp web server for HTTP mode: ``POST /slack/events``, ``GET /healthz``,
``GET /metrics`` (Prometheus) and people's private calendar feeds,
``GET /calendar/<token>.ics``.

Events, slash commands and interactivity all arrive at one URL, as Bolt expects. The one
thing added to Bolt's own aiohttp adapter is a guard: Bolt parses the body before it
checks the signature, and a ``payload=`` field that is not JSON, or an event without its
``event``, would end as a 500 inside Bolt. Here such a body gets a 401 when it is
unsigned and a 400 when it is signed but unreadable; either way the server keeps serving.
A body that cannot be decoded at all (not UTF-8, or a ``charset`` Python does not know)
is a 400 before anything else, on the install pages too.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.payload_utils import (
    to_action,
    to_command,
    to_event,
    to_message,
    to_options,
    to_shortcut,
    to_step,
    to_view,
)
from slack_sdk.signature import SignatureVerifier

from bot.ops.metrics import CONTENT_TYPE_LATEST, render_metrics

__all__ = ["CALENDAR_PATH", "EVENTS_PATH", "HEALTH_PATH", "METRICS_PATH", "REPORT_PATH",
           "CalendarFeed", "ReportPage", "build_web_app"]

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
REPORT_PATH = "/admin/report"
#: a feed token is what :func:`secrets.token_urlsafe` makes: letters, digits, ``-`` and ``_``
CALENDAR_PATH = "/calendar/{token:[A-Za-z0-9_-]{1,200}}.ics"
#: a feed token -> the calendar text, or None when the token is unknown or revoked
CalendarFeed = Callable[[str], str | None]
#: the report as text: (workspace or None for all, since, until, format) -> body;
#: raises ValueError for a month or format it cannot read
ReportPage = Callable[[str | None, str | None, str | None, str], str]
_REPORT_TYPES = {"html": "text/html", "csv": "text/csv", "json": "application/json"}
_BOLT_EXTRACTORS = (to_action, to_command, to_event, to_message, to_options, to_shortcut,
                    to_step, to_view)


async def _health(_: web.Request) -> web.Response:
    return web.Response(text="ok")


async def _metrics(_: web.Request) -> web.Response:
    """Prometheus scrapes this; it holds counts and timings, never who said what."""
    return web.Response(body=render_metrics(),
                        headers={"Content-Type": CONTENT_TYPE_LATEST})


class _ReportEndpoint:
    """``GET /admin/report``: the programme report for whoever holds the token.

    No token configured: 404, the page does not exist. A missing or wrong bearer token:
    401, compared in constant time. ``workspace`` (``slack:T…``), ``since``/``until``
    (``2026-01``) and ``format`` (``html``, ``csv``, ``json``) are optional."""

    def __init__(self, page: ReportPage, *, token: str | None) -> None:
        self._page = page
        self._token = token

    async def handle(self, request: web.Request) -> web.Response:
        if not self._token:
            raise web.HTTPNotFound()
        if not self._authorised(request.headers.get("Authorization", "")):
            log.warning("refused a report request without the right token")
            return web.Response(status=401, text="a valid bearer token is required",
                                headers={"WWW-Authenticate": 'Bearer realm="notnow report"'})
        query = request.query
        fmt = query.get("format", "html")
        if fmt not in _REPORT_TYPES:
            return web.Response(status=400, text="format must be html, csv or json")
        try:
            body = await asyncio.to_thread(self._page, query.get("workspace") or None,
                                           query.get("since") or None,
                                           query.get("until") or None, fmt)
        except ValueError:
            return web.Response(status=400, text="since and until are months, like 2026-01")
        return web.Response(text=body, content_type=_REPORT_TYPES[fmt], charset="utf-8",
                            headers={"Cache-Control": "no-store",
                                     "X-Content-Type-Options": "nosniff"})

    def _authorised(self, header: str) -> bool:
        scheme, _, given = header.partition(" ")
        expected = (self._token or "").encode()
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(),
                                                                  expected)


class _CalendarEndpoint:
    """``GET /calendar/<token>.ics``: a person's check-ins for their calendar app.

    The token is the only key; the lookup (by its hash, see
    :mod:`bot.nudges.calendar_feed`) and the rendering happen in the core. Unknown and
    revoked tokens get the same 404, and the token is never logged."""

    def __init__(self, feed: CalendarFeed) -> None:
        self._feed = feed

    async def handle(self, request: web.Request) -> web.Response:
        body = await asyncio.to_thread(self._feed, request.match_info["token"])
        if body is None:
            raise web.HTTPNotFound()
        return web.Response(text=body, content_type="text/calendar", charset="utf-8",
                            headers={"Cache-Control": "private, no-store",
                                     "X-Content-Type-Options": "nosniff",
                                     "Referrer-Policy": "no-referrer"})


class _BoltEndpoint:
    """Feeds HTTP requests to Bolt, refusing the ones Bolt cannot even parse."""

    def __init__(self, app: AsyncApp, *, signing_secret: str) -> None:
        self._app = app
        self._verifier = SignatureVerifier(signing_secret)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await _body_text(request)
        if body is None:
            return _undecodable()
        bolt_request = self._parse(body, request)
        if bolt_request is None:
            signed = self._verifier.is_valid_request(body, dict(request.headers))
            log.warning("refused an unreadable Slack request (signed=%s)", signed)
            return web.Response(status=400 if signed else 401, text="unreadable request")
        response = await self._app.async_dispatch(bolt_request)
        return await to_aiohttp_response(response)

    @staticmethod
    def _parse(body: str, request: web.Request) -> AsyncBoltRequest | None:
        try:
            parsed = AsyncBoltRequest(body=body, query=request.query_string,
                                      headers=_headers(request))
        except Exception:  # Bolt raises whatever json/urllib raise on a malformed body
            return None
        return parsed if _readable(parsed.body) else None


def _undecodable() -> web.Response:
    return web.Response(status=400, text="body is not text in its declared charset")


async def _body_text(request: web.Request) -> str | None:
    """The body as text, or ``None`` when it cannot be decoded: aiohttp decodes with the
    ``Content-Type`` charset, and an unknown one raises ``LookupError``."""
    try:
        return await request.text()
    except (UnicodeDecodeError, LookupError):
        log.warning("refused a request whose body cannot be decoded")
        return None


async def _bolt_request(request: web.Request) -> AsyncBoltRequest | None:
    """Bolt's own translation (``to_bolt_request``), minus the 500 on an undecodable body."""
    body = await _body_text(request)
    if body is None:
        return None
    return AsyncBoltRequest(body=body, query=request.query_string, headers=_headers(request))


def _headers(request: web.Request) -> dict[str, Any]:
    return {key: request.headers.getall(key) for key in request.headers}


def _readable(body: object) -> bool:
    """Whether Bolt can route this body without tripping over its shape.

    Bolt reads ``body["event"]["type"]`` and ``body["actions"][0]`` unguarded while it
    routes, so a signed body that lacks them would fail inside Bolt with a 500. Running
    Bolt's own extractors here finds those bodies first.
    """
    if not isinstance(body, dict):
        return False
    try:
        for extract in _BOLT_EXTRACTORS:
            extract(body)
    except (KeyError, IndexError, TypeError, AttributeError):
        return False
    if body.get("type") == "event_callback":
        event = body.get("event")
        return isinstance(event, dict) and isinstance(event.get("type"), str)
    if body.get("type") == "block_actions":
        actions = body.get("actions")
        return isinstance(actions, list) and all(isinstance(a, dict) for a in actions)
    return True


def build_web_app(app: AsyncApp | None, *, signing_secret: str | None,
                  report: ReportPage | None = None,
                  report_token: str | None = None,
                  calendar_feed: CalendarFeed | None = None) -> web.Application:
    """The web application; without a Bolt app (Socket Mode) it only answers health checks
    (and the report page, given ``report``; it answers 404 unless ``report_token`` is set;
    and calendar feeds, given ``calendar_feed``).

    With OAuth configured, Bolt's install page and redirect are served too.
    """
    web_app = web.Application()
    web_app.router.add_get(HEALTH_PATH, _health)
    web_app.router.add_get(METRICS_PATH, _metrics)
    if report is not None:
        web_app.router.add_get(REPORT_PATH, _ReportEndpoint(report, token=report_token).handle)
    if calendar_feed is not None:
        web_app.router.add_get(CALENDAR_PATH, _CalendarEndpoint(calendar_feed).handle)
    if app is None or not signing_secret:
        return web_app
    endpoint = _BoltEndpoint(app, signing_secret=signing_secret)
    web_app.router.add_post(EVENTS_PATH, endpoint.handle)
    flow = app.oauth_flow
    if flow is not None:

        async def install(request: web.Request) -> web.StreamResponse:
            bolt_request = await _bolt_request(request)
            if bolt_request is None:
                return _undecodable()
            return await to_aiohttp_response(await flow.handle_installation(bolt_request))

        async def redirect(request: web.Request) -> web.StreamResponse:
            bolt_request = await _bolt_request(request)
            if bolt_request is None:
                return _undecodable()
            return await to_aiohttp_response(await flow.handle_callback(bolt_request))

        web_app.router.add_get(flow.install_path, install)
        web_app.router.add_get(flow.redirect_uri_path, redirect)
    return web_app
