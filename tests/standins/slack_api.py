"""A local Slack: the Web API methods notnow calls, and Slack's signed requests to the app.

Two halves, both over real loopback sockets:

- :class:`SlackStandIn` is an aiohttp server that answers Web API calls the way Slack
  does (``{"ok": true, ...}`` with the fields slack_sdk and Bolt read; shapes follow
  api.slack.com's method pages and bolt-python's ``tests/mock_web_api_server``) and
  records each one as a :class:`ApiCall`. It can fail a method with a Slack error code
  or answer HTTP 429 with ``Retry-After``.
- :class:`SlackSide` sends what Slack would send to the app: form-encoded slash commands,
  ``event_callback`` JSON, ``payload=`` interactivity, each signed with ``v0`` HMAC of
  ``v0:{timestamp}:{body}`` and stamped with ``X-Slack-Request-Timestamp``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
from aiohttp import web

__all__ = [
    "BOT_USER_ID",
    "ApiCall",
    "Person",
    "SentRequest",
    "SlackSide",
    "SlackStandIn",
    "block_actions",
    "blocks_text",
    "dm_channel_id",
    "dm_message",
    "event_callback",
    "file_share_message",
    "option_values",
    "sign",
    "slash_command",
]

Json = dict[str, Any]
BOT_USER_ID = "UNOTNOWBOT"
BOT_ID = "BNOTNOWBOT"
APP_ID = "ANOTNOW01"


def dm_channel_id(team: str, user: str) -> str:
    """The DM between the bot and ``user`` in ``team``: stable, unique per pair."""
    return "D" + hashlib.sha1(f"{team}:{user}".encode()).hexdigest()[:10].upper()


def sign(secret: str, timestamp: int | str, body: str) -> str:
    """Slack's request signature: ``v0=`` + HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class ApiCall:
    """One Web API request the app made, with what the stand-in answered."""

    method: str
    params: Json
    headers: dict[str, str]
    status: int = 200
    response: Any = None
    at: float = field(default_factory=time.perf_counter)

    @property
    def token(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        return auth.removeprefix("Bearer ") or self.params.get("token")


class SlackStandIn:
    """``async with SlackStandIn() as slack:`` then point ``SLACK_API_URL`` at ``slack.api_url``.

    ``tokens`` maps bot tokens to team ids (auth.test answers with the token's team);
    an unknown ``xoxb-`` token belongs to ``default_team``.
    """

    def __init__(
        self, *, tokens: dict[str, str] | None = None, default_team: str = "T0001"
    ) -> None:
        self.calls: list[ApiCall] = []
        self.tokens = dict(tokens or {})
        self.default_team = default_team
        self.timezones: dict[str, str] = {}
        self.admins: set[str] = set()  # users.info says is_admin for these user ids
        self.uploads: dict[str, bytes] = {}
        self.shared: dict[str, tuple[Json, bytes]] = {}  # file id -> (file object, bytes)
        self.messages: dict[str, list[Json]] = {}  # channel -> messages, oldest first
        self._faults: dict[str, list[tuple[int, Json, dict[str, str]]]] = {}
        self._hangs: dict[str, bool] = {}  # method -> whether to keep the message first
        self.hung = asyncio.Event()
        self._closing = asyncio.Event()
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self.url = ""

    # -- lifecycle ------------------------------------------------------------------

    async def start(self) -> SlackStandIn:
        app = web.Application(client_max_size=16 * 1024**2)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/v1/{file_id}", self._upload)
        app.router.add_get("/files-pri/{team_file}/download/{name}", self._download)
        app.router.add_get("/link/", self._socket_mode)
        app.router.add_post("/hooks/{path:.*}", self._response_url)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        self._closing.set()
        for socket in self._sockets:
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> SlackStandIn:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    @property
    def hooks_url(self) -> str:
        """Stands in for ``https://hooks.slack.com`` (slash commands' ``response_url``)."""
        return f"{self.url}/hooks"

    # -- steering -------------------------------------------------------------------

    def fail(self, method: str, error: str, *, times: int = 1) -> None:
        """The next ``times`` calls to ``method`` answer ``{"ok": false, "error": error}``."""
        fault = (200, {"ok": False, "error": error}, {})
        self._faults.setdefault(method, []).extend([fault] * times)

    def rate_limit(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        """The next ``times`` calls to ``method`` answer HTTP 429 with ``Retry-After``."""
        fault = (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})
        self._faults.setdefault(method, []).extend([fault] * times)

    def hang(self, method: str, *, after_storing: bool) -> None:
        """The next call to ``method`` never gets an answer, like a process dying while it
        waits: with ``after_storing`` the message is kept first (it was delivered, the
        sender never heard back), without it Slack never saw it. ``hung`` is set then."""
        self._hangs[method] = after_storing

    def share_file(self, name: str, data: bytes, *, mimetype: str = "text/plain",
                   user: str = "U0PERSON", team: str | None = None) -> Json:
        """A file a person uploaded, as Slack describes it in ``files.info`` and in a
        ``file_share`` event; ``url_private_download`` points here (standing in for
        ``files.slack.com``) and answers only with a bot token as a Bearer header.
        ``size`` is what Slack reports; a test may change it."""
        team = team or self.default_team
        file_id = f"F{next(self._ids):08d}"
        base = f"{self.url}/files-pri/{team}-{file_id}"
        file = {
            "id": file_id, "created": int(time.time()), "timestamp": int(time.time()),
            "name": name, "title": name, "mimetype": mimetype,
            "filetype": name.rsplit(".", 1)[-1] if "." in name else "binary",
            "pretty_type": mimetype, "user": user, "user_team": team, "editable": False,
            "size": len(data), "mode": "hosted", "is_external": False, "external_type": "",
            "is_public": False, "public_url_shared": False, "display_as_bot": False,
            "username": "", "url_private": f"{base}/{name}",
            "url_private_download": f"{base}/download/{name}",
            "permalink": f"https://{team.lower()}.slack.com/files/{user}/{file_id}/{name}",
        }  # fmt: skip
        self.shared[file_id] = (file, data)
        return file

    # -- reading what happened --------------------------------------------------------

    def calls_to(self, method: str, *, ok_only: bool = False) -> list[ApiCall]:
        return [
            c
            for c in self.calls
            if c.method == method and (not ok_only or (c.status == 200 and c.response.get("ok")))
        ]

    def posted(self, channel: str | None = None) -> list[Json]:
        """Messages the app successfully posted (``chat.postMessage`` params), in order."""
        return [
            c.params
            for c in self.calls_to("chat.postMessage", ok_only=True)
            if channel is None or c.params.get("channel") == channel
        ]

    def last_message(self, channel: str) -> Json:
        """The newest message in a channel as Slack stores it (with ``ts`` and block ids)."""
        return self.messages[channel][-1]

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        *,
        where: Callable[[ApiCall], bool] | None = None,
        timeout: float = 5.0,
    ) -> list[ApiCall]:
        """Wait until at least ``count`` matching calls were made; return all matches."""

        def matches() -> list[ApiCall]:
            return [c for c in self.calls if c.method == method and (where is None or where(c))]

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(matches()) >= count), timeout)
        return matches()

    async def settle(self, quiet: float = 0.3, timeout: float = 5.0) -> None:
        """Wait until no call arrived for ``quiet`` seconds: a turn's follow-ups are done."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            seen = len(self.calls)
            await asyncio.sleep(quiet)
            if len(self.calls) == seen:
                return
        raise TimeoutError("the app kept calling the Web API")

    # -- Socket Mode ------------------------------------------------------------------

    async def _socket_mode(self, request: web.Request) -> web.WebSocketResponse:
        """The websocket ``apps.connections.open`` hands out: ``hello`` first, then
        envelopes from :meth:`push`; each ack the app sends back is recorded as a
        ``socket.ack`` call."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self._sockets),
                "debug_info": {"host": "applink-standin", "approximate_connection_time": 18060},
                "connection_info": {"app_id": APP_ID},
            }
        )
        await self._record(
            ApiCall(method="socket.connect", params={}, headers=dict(request.headers))
        )
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                await self._record(
                    ApiCall(method="socket.ack", params=json.loads(message.data), headers={})
                )
        return ws

    async def push(self, kind: str, payload: Json) -> str:
        """Send one Socket Mode envelope (``slash_commands``, ``events_api`` or
        ``interactive``) to the connected app; returns its ``envelope_id``."""
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            envelope.update(retry_attempt=0, retry_reason="")
        await self._sockets[-1].send_json(envelope)
        return envelope_id

    # -- the Web API ------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: Json = dict(request.query)
        raw = await request.read()
        if raw:
            if request.content_type == "application/json":
                params.update(json.loads(raw))
            else:
                params.update(parse_qsl(raw.decode(), keep_blank_values=True))
        for key in ("blocks", "metadata", "view", "files"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        call = ApiCall(method=method, params=params, headers=dict(request.headers))
        if method in self._hangs:
            if self._hangs.pop(method):
                self._answer(method, params, call.token)
            self.hung.set()
            await self._closing.wait()  # no answer, ever: the client is killed meanwhile
        faults = self._faults.get(method)
        if faults:
            call.status, call.response, extra = faults.pop(0)
        else:
            call.response, extra = self._answer(method, params, call.token), {}
        await self._record(call)
        return web.json_response(call.response, status=call.status, headers=extra)

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads[request.match_info["file_id"]] = await request.read()
        await self._record(
            ApiCall(
                method="upload",
                params={"file_id": request.match_info["file_id"]},
                headers=dict(request.headers),
                response={"ok": True},
            )
        )
        return web.Response(text=f"OK - {len(self.uploads[request.match_info['file_id']])}")

    async def _download(self, request: web.Request) -> web.Response:
        """A file's bytes, for a bot token only; Slack answers anything else with its
        sign-in page, never the file."""
        file_id = request.match_info["team_file"].rsplit("-", 1)[-1]
        call = ApiCall(method="files.download", params={"file": file_id},
                       headers=dict(request.headers))
        stored = self.shared.get(file_id)
        if not (call.token or "").startswith("xoxb-"):
            call.status, call.response = 302, {"ok": False, "error": "not_authed"}
            answer = web.Response(status=302, headers={"Location": "https://slack.com/signin"})
        elif stored is None or stored[0]["name"] != request.match_info["name"]:
            call.status, call.response = 404, {"ok": False, "error": "file_not_found"}
            answer = web.Response(status=404, text="Not found")
        else:
            call.response = {"ok": True}
            answer = web.Response(body=stored[1], content_type="application/octet-stream")
        await self._record(call)
        return answer

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        call = ApiCall(method="response_url", params=body, headers=dict(request.headers))
        call.response = {"ok": True}
        await self._record(call)
        return web.Response(text="ok")

    async def _record(self, call: ApiCall) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def _team(self, token: str | None) -> str:
        return self.tokens.get(token or "", self.default_team)

    def _answer(self, method: str, p: Json, token: str | None) -> Json:
        if method == "oauth.v2.access":
            return self._oauth_access(p)
        if not (token or "").startswith(("xoxb-", "xapp-")):
            return {"ok": False, "error": "not_authed"}
        # An org-wide token acts in the workspace named by ``team_id`` (Bolt sends it);
        # auth.test always describes the token itself.
        team = self._team(token)
        if method != "auth.test":
            team = str(p.get("team_id") or team)
        if method == "apps.connections.open":
            if not (token or "").startswith("xapp-"):
                return {"ok": False, "error": "invalid_auth"}
            return {
                "ok": True,
                "url": f"ws://{self.url.removeprefix('http://')}/link/?ticket={uuid.uuid4()}",
            }
        if method == "auth.test":
            return {
                "ok": True,
                "url": f"https://{team.lower()}.slack.com/",
                "team": f"Team {team}",
                "user": "notnow",
                "team_id": team,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "conversations.open":
            channel = dm_channel_id(team, str(p.get("users", "")).split(",")[0])
            return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": channel}}
        if method == "chat.postMessage":
            message = self._store_message(team, p)
            return {
                "ok": True,
                "channel": p.get("channel"),
                "ts": message["ts"],
                "message": message,
            }
        if method == "chat.update":
            return self._update(p)
        if method == "users.info":
            user = str(p.get("user", ""))
            tz = self.timezones.get(user, "Europe/Berlin")
            return {
                "ok": True,
                "user": {
                    "id": user,
                    "team_id": team,
                    "name": user.lower(),
                    "deleted": False,
                    "real_name": f"Person {user}",
                    "profile": {"real_name": f"Person {user}", "display_name": user.lower()},
                    "tz": tz,
                    "tz_label": tz,
                    "tz_offset": 3600,
                    "is_admin": user in self.admins,
                    "is_owner": False,
                    "is_primary_owner": False,
                    "is_restricted": False,
                    "is_ultra_restricted": False,
                    "is_bot": False,
                    "is_app_user": False,
                    "updated": 1700000000,
                },
            }
        if method == "views.publish":
            view = dict(p.get("view") or {})
            view.update(
                id=f"V{next(self._ids):08d}",
                team_id=team,
                app_id=APP_ID,
                bot_id=BOT_ID,
                hash=uuid.uuid4().hex[:16],
            )
            return {"ok": True, "view": view}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ids):08d}"
            return {"ok": True, "upload_url": f"{self.url}/upload/v1/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = p.get("files") or []
            return {
                "ok": True,
                "files": [{"id": f.get("id"), "title": f.get("title")} for f in files],
            }
        if method == "files.info":
            stored = self.shared.get(str(p.get("file", "")))
            if stored is None:
                return {"ok": False, "error": "file_not_found"}
            return {"ok": True, "file": stored[0], "comments": [],
                    "response_metadata": {"next_cursor": ""}}
        if method == "conversations.history":
            history = list(reversed(self.messages.get(str(p.get("channel")), [])))
            if str(p.get("include_all_metadata", "")).lower() not in ("1", "true"):
                # Slack leaves metadata out unless asked for it.
                history = [{k: v for k, v in m.items() if k != "metadata"} for m in history]
            limit = int(p.get("limit") or 100)
            return {"ok": True, "messages": history[:limit], "has_more": len(history) > limit,
                    "pin_count": 0}
        return {"ok": True}

    def _oauth_access(self, p: Json) -> Json:
        """Exchange an OAuth code for a bot token. A code ``code-for-T123`` installs the
        app in team ``T123``; the new token is then known to auth.test."""
        code = str(p.get("code", ""))
        if not code.startswith("code-for-"):
            return {"ok": False, "error": "invalid_code"}
        team = code.removeprefix("code-for-")
        token = f"xoxb-{team.lower()}-installed"
        self.tokens[token] = team
        return {
            "ok": True,
            "access_token": token,
            "token_type": "bot",
            "scope": ("chat:write,commands,im:history,im:read,im:write,users:read,"
                      "files:write,files:read"),
            "bot_user_id": BOT_USER_ID,
            "app_id": APP_ID,
            "team": {"name": f"Team {team}", "id": team},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": "U0ADMIN"},
        }

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _store_message(self, team: str, p: Json) -> Json:
        """Keep the message as Slack would return it in a payload: every block gets a
        ``block_id`` (Slack assigns one when the app did not)."""
        blocks = [
            dict(b, block_id=b.get("block_id") or uuid.uuid4().hex[:5])
            for b in p.get("blocks") or []
        ]
        message = {
            "type": "message",
            "subtype": "bot_message",
            "text": p.get("text", ""),
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": team,
            "ts": self._next_ts(),
            "blocks": blocks,
        }
        if p.get("metadata"):
            message["metadata"] = p["metadata"]
        self.messages.setdefault(str(p.get("channel")), []).append(message)
        return message

    def _update(self, p: Json) -> Json:
        for message in self.messages.get(str(p.get("channel")), []):
            if message["ts"] == p.get("ts"):
                message.update(
                    text=p.get("text", message["text"]), blocks=p.get("blocks", message["blocks"])
                )
                return {
                    "ok": True,
                    "channel": p.get("channel"),
                    "ts": p.get("ts"),
                    "text": message["text"],
                    "message": message,
                }
        return {"ok": False, "error": "message_not_found"}


@dataclass
class SentRequest:
    """What the app answered to one request Slack sent, and how long it took."""

    status: int
    text: str
    seconds: float

    def json(self) -> Any:
        return json.loads(self.text)


def slash_command(
    team: str,
    user: str,
    text: str = "",
    *,
    channel: str = "C0GENERAL",
    hooks_url: str = "https://hooks.slack.com",
) -> Json:
    """The fields of a ``/notnow`` slash command request (form-encoded over HTTP)."""
    n = uuid.uuid4().hex
    return {
        "token": "legacy-verification-token",
        "team_id": team,
        "team_domain": team.lower(),
        "channel_id": channel,
        "channel_name": "general",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/notnow",
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": f"{hooks_url}/commands/{team}/{n[:10]}/{n[10:]}",
        "trigger_id": f"{n[:8]}.{n[8:16]}.{n[16:]}",
    }


def event_callback(team: str, event: Json, *, event_id: str | None = None) -> Json:
    """The Events API envelope around one event."""
    return {
        "token": "legacy-verification-token",
        "team_id": team,
        "context_team_id": team,
        "context_enterprise_id": None,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{uuid.uuid4().hex}",
    }


def dm_message(team: str, user: str, text: str) -> Json:
    """A ``message.im`` event: the person typed ``text`` in the app's DM. Slack escapes
    ``&``, ``<`` and ``>`` in typed text; mentions arrive as ``<@U…>`` and ``<!channel>``."""
    ts = f"{time.time():.6f}"
    return {
        "type": "message",
        "client_msg_id": str(uuid.uuid4()),
        "text": text,
        "user": user,
        "ts": ts,
        "team": team,
        "channel": dm_channel_id(team, user),
        "event_ts": ts,
        "channel_type": "im",
    }


def file_share_message(team: str, user: str, files: list[Json], text: str = "") -> Json:
    """A ``message`` event with ``subtype: file_share``: the person uploaded ``files``
    (objects from :meth:`SlackStandIn.share_file`) into the app's DM, with ``text``."""
    event = dm_message(team, user, text)
    event.update(subtype="file_share", files=files, upload=True, display_as_bot=False)
    return event


def block_actions(team: str, user: str, message: Json, value: str) -> Json:
    """The interactivity payload of clicking the button (or picking the menu entry)
    whose value is ``value`` in ``message``."""
    channel = dm_channel_id(team, user)
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": f"{int(time.time())}.1.{uuid.uuid4().hex}",
        "team": {"id": team, "domain": team.lower()},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "directmessage"},
        "message": message,
        "state": {"values": {}},
        "response_url": f"https://hooks.slack.com/actions/{team}/1/x",
        "actions": [_find_action(message, value)],
    }


class SlackSide:
    """Sends what Slack sends: signed requests to the app's ``/slack/events`` URL.

    ``hooks_url`` is where slash commands' ``response_url`` points: give it the
    stand-in's :attr:`SlackStandIn.hooks_url` so nothing reaches hooks.slack.com.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        url: str,
        signing_secret: str,
        hooks_url: str = "https://hooks.slack.com",
    ) -> None:
        self.session = session
        self.url = url
        self.secret = signing_secret
        self.hooks_url = hooks_url

    async def post(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        timestamp: int | None = None,
        signature: str | None = "",
        headers: dict[str, str] | None = None,
    ) -> SentRequest:
        """POST a raw body. ``signature=""`` signs it correctly, ``None`` leaves it unsigned."""
        ts = int(time.time()) if timestamp is None else timestamp
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(ts),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        if signature is not None:
            all_headers["X-Slack-Signature"] = signature or sign(self.secret, ts, body)
        all_headers.update(headers or {})
        started = time.perf_counter()
        async with self.session.post(self.url, data=body.encode(), headers=all_headers) as resp:
            text = await resp.text()
        return SentRequest(resp.status, text, time.perf_counter() - started)

    async def slash(self, team: str, user: str, text: str = "") -> SentRequest:
        return await self.post(urlencode(slash_command(team, user, text, hooks_url=self.hooks_url)))

    async def event(
        self, team: str, event: Json, *, event_id: str | None = None, retry_num: int | None = None
    ) -> SentRequest:
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        body = json.dumps(event_callback(team, event, event_id=event_id))
        return await self.post(body, content_type="application/json", headers=headers)

    async def dm(
        self,
        team: str,
        user: str,
        text: str,
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
    ) -> SentRequest:
        event = dm_message(team, user, text)
        return await self.event(team, event, event_id=event_id, retry_num=retry_num)

    async def share(self, team: str, user: str, file: Json, text: str = "") -> SentRequest:
        return await self.event(team, file_share_message(team, user, [file], text))

    async def home_opened(self, team: str, user: str) -> SentRequest:
        event = {
            "type": "app_home_opened",
            "user": user,
            "channel": dm_channel_id(team, user),
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
        return await self.event(team, event)

    async def click(self, team: str, user: str, message: Json, value: str) -> SentRequest:
        payload = block_actions(team, user, message, value)
        return await self.post(urlencode({"payload": json.dumps(payload)}))


def _find_action(message: Json, value: str) -> Json:
    now = f"{time.time():.6f}"
    for block in message.get("blocks", []):
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("type") == "button" and element.get("value") == value:
                action = {
                    k: element[k] for k in ("action_id", "text", "value", "style") if k in element
                }
                return dict(action, type="button", block_id=block["block_id"], action_ts=now)
            for option in (
                element.get("options", []) if element.get("type") == "static_select" else []
            ):
                if option.get("value") == value:
                    return {
                        "type": "static_select",
                        "action_id": element["action_id"],
                        "block_id": block["block_id"],
                        "selected_option": option,
                        "placeholder": element.get("placeholder"),
                        "action_ts": now,
                    }
    raise LookupError(f"no button or menu entry with value {value!r} in the message")


def blocks_text(message: Json) -> str:
    """All visible mrkdwn of a posted message, for asserting on what the person reads."""
    parts = []
    for block in message.get("blocks", []):
        if block.get("type") == "section":
            parts.append(block["text"]["text"])
        elif block.get("type") == "context":
            parts.extend(e.get("text", "") for e in block["elements"])
    return "\n".join(parts)


def option_values(message: Json) -> list[str]:
    values = []
    for block in message.get("blocks", []):
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("type") == "button":
                values.append(element["value"])
            values.extend(o["value"] for o in element.get("options", []))
    return values


class Person:
    """One Slack user talking to the app; each method returns the messages it got back."""

    def __init__(
        self, slack: SlackSide, api: SlackStandIn, *, team: str = "T0001", user: str = "U0PERSON"
    ):
        self.slack = slack
        self.api = api
        self.team = team
        self.user = user
        self.channel = dm_channel_id(team, user)
        self.last_response: SentRequest | None = None

    def _mine(self, call: Any) -> bool:
        return call.params.get("channel") == self.channel and call.status == 200

    async def _turn(self, send: Any) -> list[Json]:
        before = len(self.api.posted(self.channel))
        response = self.last_response = await send
        assert response.status == 200, response.text
        await self.api.wait_for("chat.postMessage", before + 1, where=self._mine)
        await self.api.settle(quiet=0.15)
        return self.api.posted(self.channel)[before:]

    async def slash(self, text: str = "") -> list[Json]:
        return await self._turn(self.slack.slash(self.team, self.user, text))

    async def say(self, text: str, *, event_id: str | None = None) -> list[Json]:
        return await self._turn(self.slack.dm(self.team, self.user, text, event_id=event_id))

    async def share(self, file: Json, text: str = "") -> list[Json]:
        """Upload ``file`` (see :meth:`SlackStandIn.share_file`) into the DM."""
        return await self._turn(self.slack.share(self.team, self.user, file, text))

    def question(self) -> Json:
        """The newest message in the DM that still offers choices."""
        for message in reversed(self.api.messages.get(self.channel, [])):
            if option_values(message):
                return message
        raise LookupError("no open question in the DM")

    async def click(self, value: str) -> list[Json]:
        """Click the option with exactly ``value`` in the newest DM message offering it
        (an earlier question than the open one, such as the consent at the welcome)."""
        message = next(m for m in reversed(self.api.messages.get(self.channel, []))
                       if value in option_values(m))
        return await self._turn(self.slack.click(self.team, self.user, message, value))

    async def choose(self, answer: str) -> list[Json]:
        """Click the option whose value ends with ``=answer`` in the open question."""
        message = self.question()
        value = next(v for v in option_values(message) if v.endswith(f"={answer}"))
        return await self._turn(self.slack.click(self.team, self.user, message, value))
