"""A local Discord: the REST routes and the gateway notnow uses, on 127.0.0.1.

The real discord.py client talks to it over real sockets, so the tests exercise the
library's own parsing, gateway handshake and HTTP code, not a mock of it. Payload shapes
follow Discord's developer documentation (gateway events HELLO, IDENTIFY, READY,
INTERACTION_CREATE, MESSAGE_CREATE; interaction callbacks, webhooks, channels), kept to
the fields discord.py reads. Two details matter to discord.py and are honoured on
purpose: JSON responses carry ``Content-Type: application/json`` exactly (anything else
is read as text), and gateway frames are zlib-stream compressed when the client asks
for ``compress=zlib-stream``.

Everything the bot does over REST is recorded as a :class:`RestCall`, so a test can
assert on what would have reached Discord.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

__all__ = ["DM_CLOSED", "DiscordStandIn", "RestCall"]

API = "/api/v10"
DISCORD_EPOCH_MS = 1_420_070_400_000
# A member's permissions in the guild channel, as Discord sends them (no Manage Server),
# and the Manage Server bit (0x20) members in ``managers`` hold on top.
MEMBER_PERMISSIONS = 2248473465835073
MANAGE_GUILD = 0x20
DM_CLOSED = {"code": 50007, "message": "Cannot send messages to this user"}
EPHEMERAL, LOADING = 1 << 6, 1 << 7
Json = dict[str, Any]


@dataclass
class RestCall:
    """One HTTP request the bot made, with the parsed body and what the stand-in answered."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: dict[str, tuple[str, bytes]]
    status: int = 200
    response: Any = None
    at: float = field(default_factory=time.perf_counter)


class _Connection:
    """One gateway websocket; frames are zlib-stream compressed when the client asked."""

    def __init__(self, ws: web.WebSocketResponse, compress: str | None) -> None:
        self.ws = ws
        self.seq = 0
        self._zlib = zlib.compressobj() if compress == "zlib-stream" else None

    async def send_text(self, text: str) -> None:
        if self._zlib is None:
            await self.ws.send_str(text)
        else:
            data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
            await self.ws.send_bytes(data)

    async def send(self, payload: Json) -> None:
        await self.send_text(json.dumps(payload))


class DiscordStandIn:
    """Serve ``/api/v10/...`` and a gateway at ``/gateway``; start with :meth:`start`."""

    def __init__(self, *, token: str = "test-token", heartbeat_interval_ms: int = 41_250) -> None:
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self._ids = itertools.count(1)
        self.app_id = self.snowflake()
        self.bot_user = self._user_object(self.app_id, "notnow", bot=True)
        self.guild_id, self.guild_channel_id = self.snowflake(), self.snowflake()
        self.calls: list[RestCall] = []
        self.identifies: list[Json] = []
        self.commands: list[Json] = []
        self.users: dict[str, Json] = {}
        self.messages: dict[str, Json] = {}
        self.dm_channels: dict[str, str] = {}
        self.dms_closed: set[str] = set()
        self.managers: set[str] = set()  # user ids whose member.permissions has Manage Server
        self.cdn: dict[str, bytes] = {}  # path under /attachments/ -> a person's upload
        self.cdn_fetches: list[str] = []  # paths the bot downloaded, in order
        self._interactions: dict[str, Json] = {}
        self._originals: dict[str, str] = {}
        self._answered: set[str] = set()
        self._live: _Connection | None = None
        self._live_changed = asyncio.Event()
        self._waiters: list[tuple[Callable[[RestCall], bool], asyncio.Future[RestCall]]] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API + "/{tail:.*}", self._rest)
        app.router.add_get("/attachments/{tail:.*}", self._cdn)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def snowflake(self) -> str:
        """A real-looking id: milliseconds since Discord's epoch, then a counter."""
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return str((ms << 22) | (next(self._ids) & 0x3FFFFF))

    # -- gateway -----------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = _Connection(ws, request.query.get("compress"))
        await conn.send({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                if frame.get("op") == 1:
                    await conn.send({"op": 11})
                elif frame.get("op") == 2:
                    await self._identify(conn, frame["d"])
                elif frame.get("op") == 6:
                    await self._dispatch_on(conn, "RESUMED", {})
                    self._set_live(conn)
        finally:
            if self._live is conn:
                self._live = None
        return ws

    async def _identify(self, conn: _Connection, data: Json) -> None:
        self.identifies.append(data)
        ready = {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": self.guild_id, "unavailable": True}],
            "session_id": f"session-{len(self.identifies)}",
            "resume_gateway_url": self.gateway_url,
            "shard": data.get("shard", [0, 1]),
            "application": {"id": self.app_id, "flags": 0},
        }
        await self._dispatch_on(conn, "READY", ready)
        await self._dispatch_on(conn, "GUILD_CREATE", self._guild_object())
        self._set_live(conn)

    def _set_live(self, conn: _Connection) -> None:
        self._live = conn
        self._live_changed.set()

    async def wait_until_connected(self, *, identifies: int = 1, timeout: float = 10) -> None:
        """Wait until the bot has sent its ``identifies``-th IDENTIFY and got READY."""
        async with asyncio.timeout(timeout):
            while self._live is None or len(self.identifies) < identifies:
                self._live_changed.clear()
                await self._live_changed.wait()

    async def _dispatch_on(self, conn: _Connection, event: str, data: Any) -> None:
        conn.seq += 1
        await conn.send({"op": 0, "t": event, "s": conn.seq, "d": data})

    async def dispatch(self, event: str, data: Any) -> float:
        """Send a dispatch (op 0) to the connected bot; returns when it was sent."""
        if self._live is None:
            raise RuntimeError("no bot is connected to the gateway")
        sent_at = time.perf_counter()
        await self._dispatch_on(self._live, event, data)
        return sent_at

    async def send_raw(self, text: str) -> None:
        """Send a frame as is, e.g. something that is not JSON at all."""
        if self._live is None:
            raise RuntimeError("no bot is connected to the gateway")
        await self._live.send_text(text)

    # -- REST --------------------------------------------------------------------------

    _ROUTES: tuple[tuple[str, str, str], ...] = (
        ("GET", r"/gateway", "_get_gateway"),
        ("GET", r"/gateway/bot", "_get_gateway_bot"),
        ("GET", r"/users/@me", "_get_me"),
        ("GET", r"/users/(?P<user_id>\d+)", "_get_user"),
        ("GET", r"/(?:oauth2/)?applications/@me", "_get_application"),
        ("GET", r"/applications/\d+/commands", "_get_commands"),
        ("PUT", r"/applications/\d+/commands", "_put_commands"),
        ("POST", r"/interactions/(?P<iid>\d+)/(?P<token>[^/]+)/callback", "_callback"),
        ("PATCH", r"/webhooks/\d+/(?P<token>[^/]+)/messages/@original", "_edit_original"),
        ("POST", r"/webhooks/\d+/(?P<token>[^/]+)", "_followup"),
        ("POST", r"/users/@me/channels", "_create_dm"),
        ("POST", r"/channels/(?P<channel_id>\d+)/messages", "_create_message"),
        ("PATCH", r"/channels/\d+/messages/(?P<message_id>\d+)", "_edit_message"),
    )
    _NO_AUTH = ("/interactions/", "/webhooks/")

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body, files = await _read_body(request)
        call = RestCall(request.method, path, dict(request.query), body, files)
        authorised = request.headers.get("Authorization") == f"Bot {self.token}"
        if not authorised and not path.startswith(self._NO_AUTH):
            status, answer = 401, {"code": 0, "message": "401: Unauthorized"}
        else:
            status, answer = self._route(call)
        call.status, call.response = status, answer
        self._record(call)
        if answer is None:
            return web.Response(status=204)
        return web.Response(
            status=status,
            body=json.dumps(answer).encode(),
            headers={"Content-Type": "application/json"},
        )

    def _route(self, call: RestCall) -> tuple[int, Any]:
        for method, pattern, name in self._ROUTES:
            match = re.fullmatch(pattern, call.path)
            if match and method == call.method:
                result: tuple[int, Any] = getattr(self, name)(call, **match.groupdict())
                return result
        return 404, {"code": 0, "message": "404: Not Found"}

    def _record(self, call: RestCall) -> None:
        self.calls.append(call)
        for predicate, future in list(self._waiters):
            if not future.done() and predicate(call):
                future.set_result(call)

    async def wait_for_call(
        self, predicate: Callable[[RestCall], bool], *, after: int = 0, timeout: float = 10
    ) -> RestCall:
        """The first call from index ``after`` on that matches, waiting for it if need be."""
        for call in self.calls[after:]:
            if predicate(call):
                return call
        future: asyncio.Future[RestCall] = asyncio.get_running_loop().create_future()
        entry = (predicate, future)
        self._waiters.append(entry)
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self._waiters.remove(entry)

    def _get_gateway(self, call: RestCall) -> tuple[int, Any]:
        return 200, {"url": self.gateway_url}

    def _get_gateway_bot(self, call: RestCall) -> tuple[int, Any]:
        limit = {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}
        return 200, {"url": self.gateway_url, "shards": 1, "session_start_limit": limit}

    def _get_me(self, call: RestCall) -> tuple[int, Any]:
        return 200, self.bot_user

    def _get_user(self, call: RestCall, user_id: str) -> tuple[int, Any]:
        if user_id in self.users:
            return 200, self.users[user_id]
        return 404, {"code": 10013, "message": "Unknown User"}

    def _get_application(self, call: RestCall) -> tuple[int, Any]:
        owner = self._user_object(self.snowflake(), "owner")
        return 200, {
            "id": self.app_id, "name": "notnow", "icon": None, "description": "",
            "bot_public": True, "bot_require_code_grant": False, "owner": owner,
            "verify_key": "0" * 64, "flags": 0, "team": None, "summary": "",
            "interactions_endpoint_url": None, "bot": self.bot_user,
        }  # fmt: skip

    def _get_commands(self, call: RestCall) -> tuple[int, Any]:
        return 200, self.commands

    def _put_commands(self, call: RestCall) -> tuple[int, Any]:
        self.commands = [
            {"id": self.snowflake(), "application_id": self.app_id, "version": self.snowflake(),
             "default_member_permissions": None, "nsfw": False, **command}
            for command in call.json
        ]  # fmt: skip
        return 200, self.commands

    def _callback(self, call: RestCall, iid: str, token: str) -> tuple[int, Any]:
        interaction = self._interactions.get(token)
        if interaction is None or interaction["id"] != iid:
            return 404, {"code": 10062, "message": "Unknown interaction"}
        if token in self._answered:
            return 400, {"code": 40060, "message": "Interaction has already been acknowledged."}
        self._answered.add(token)
        kind, data = call.json["type"], call.json.get("data") or {}
        message: Json | None = None
        if kind in (4, 5):
            flags = (data.get("flags") or 0) | (LOADING if kind == 5 else 0)
            message = self._store(self._channel_of(interaction), data, flags=flags)
            self._originals[token] = message["id"]
        elif kind == 7:
            message = self._edit(interaction["message"]["id"], data)
        if "with_response" not in call.query:
            return 204, None
        answer: Json = {
            "interaction": {
                "id": iid, "type": interaction["type"],
                "response_message_id": message["id"] if message else None,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(message and message["flags"] & EPHEMERAL),
            }
        }  # fmt: skip
        if message is not None:
            answer["resource"] = {"type": kind, "message": message}
        return 200, answer

    def _edit_original(self, call: RestCall, token: str) -> tuple[int, Any]:
        original = self._originals.get(token)
        if original is None:
            return 404, {"code": 10008, "message": "Unknown Message"}
        return 200, self._edit(original, call.json or {}, files=call.files)

    def _followup(self, call: RestCall, token: str) -> tuple[int, Any]:
        interaction = self._interactions.get(token)
        if interaction is None or token not in self._answered:
            return 404, {"code": 10015, "message": "Unknown Webhook"}
        original = self._originals.get(token)
        if original and self.messages[original]["flags"] & LOADING:
            # The first followup after a deferral replaces the "thinking..." message.
            keep = self.messages[original]["flags"] & EPHEMERAL
            message = self._edit(original, call.json or {}, files=call.files)
            message["flags"] = keep
        else:
            flags = (call.json or {}).get("flags") or 0
            message = self._store(self._channel_of(interaction), call.json or {}, flags, call.files)
        return (200, message) if call.query.get("wait") in ("1", "true") else (204, None)

    def _create_dm(self, call: RestCall) -> tuple[int, Any]:
        user_id = str(call.json["recipient_id"])
        channel_id = self.dm_channels.setdefault(user_id, self.snowflake())
        recipient = self.users.get(user_id) or self._user_object(user_id, f"user{user_id[-4:]}")
        return 200, {"id": channel_id, "type": 1, "last_message_id": None, "flags": 0,
                     "recipients": [recipient]}  # fmt: skip

    def _create_message(self, call: RestCall, channel_id: str) -> tuple[int, Any]:
        owner = next((u for u, c in self.dm_channels.items() if c == channel_id), None)
        if owner in self.dms_closed:
            return 403, DM_CLOSED
        body = call.json or {}
        if body.get("nonce") and body.get("enforce_nonce"):
            # Discord answers a repeated nonce (from the same author, within minutes)
            # with the message it already created, instead of posting it twice.
            for message in self.messages.values():
                if message["channel_id"] == channel_id and message.get("nonce") == body["nonce"]:
                    return 200, message
        return 200, self._store(channel_id, body, body.get("flags") or 0, call.files)

    def _edit_message(self, call: RestCall, message_id: str) -> tuple[int, Any]:
        if message_id not in self.messages:
            return 404, {"code": 10008, "message": "Unknown Message"}
        return 200, self._edit(message_id, call.json or {}, files=call.files)

    # -- objects -----------------------------------------------------------------------

    def _store(
        self, channel_id: str, body: Json, flags: int = 0, files: dict | None = None
    ) -> Json:
        message = self._message_object(channel_id, self.bot_user, body.get("content") or "")
        message.update(flags=flags, nonce=body.get("nonce"), components=body.get("components", []))
        message["attachments"] = self._attachments(files or {})
        self.messages[message["id"]] = message
        return message

    def _edit(self, message_id: str, body: Json, files: dict | None = None) -> Json:
        message = self.messages[message_id]
        if "content" in body:
            message["content"] = body["content"] or ""
        if "components" in body:
            message["components"] = body["components"] or []
        if files:
            message["attachments"] = self._attachments(files)
        message["flags"] &= ~LOADING
        message["edited_timestamp"] = _now()
        return message

    def _attachments(self, files: dict[str, tuple[str, bytes]]) -> list[Json]:
        return [
            {"id": self.snowflake(), "filename": name, "size": len(data),
             "content_type": "application/json", "proxy_url": "",
             "url": f"http://127.0.0.1:{self.port}/attachments/{name}"}
            for name, data in files.values()
        ]  # fmt: skip

    def _channel_of(self, interaction: Json) -> str:
        return str(interaction.get("channel_id") or (interaction.get("channel") or {}).get("id"))

    @staticmethod
    def _user_object(user_id: str, username: str, *, bot: bool = False) -> Json:
        return {"id": user_id, "username": username, "discriminator": "0", "global_name": username,
                "avatar": None, "bot": bot, "public_flags": 0}  # fmt: skip

    def _message_object(self, channel_id: str, author: Json, content: str) -> Json:
        return {
            "id": self.snowflake(), "channel_id": channel_id, "author": author, "content": content,
            "timestamp": _now(), "edited_timestamp": None, "tts": False, "mention_everyone": False,
            "mentions": [], "mention_roles": [], "attachments": [], "embeds": [], "pinned": False,
            "type": 0, "flags": 0, "components": [],
        }  # fmt: skip

    def _guild_object(self) -> Json:
        everyone = {
            "id": self.guild_id,
            "name": "@everyone",
            "permissions": "2248473465835073",
            "position": 0,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
        }
        channel = {
            "id": self.guild_channel_id,
            "type": 0,
            "guild_id": self.guild_id,
            "name": "general",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }
        return {
            "id": self.guild_id, "name": "Job Seekers", "icon": None, "owner_id": self.snowflake(),
            "roles": [everyone], "emojis": [], "stickers": [], "features": [], "member_count": 2,
            "channels": [channel], "threads": [], "members": [], "presences": [],
            "voice_states": [], "unavailable": False, "large": False, "joined_at": _now(),
            "preferred_locale": "en-US",
        }  # fmt: skip

    # -- what a person does --------------------------------------------------------------

    def add_user(self, username: str) -> Json:
        user = self._user_object(self.snowflake(), username)
        self.users[user["id"]] = user
        return user

    def dm_channel_of(self, user: Json) -> str:
        return self.dm_channels.setdefault(user["id"], self.snowflake())

    def _interaction(
        self, kind: int, user: Json, data: Json, *, in_dm: bool, dm_of: Json | None = None
    ) -> Json:
        """``dm_of`` puts the interaction in that person's DM instead of ``user``'s: a
        forged payload, since Discord only lets a DM's own person interact there."""
        token = f"tok-{self.snowflake()}"
        payload: Json = {
            "id": self.snowflake(), "application_id": self.app_id, "type": kind, "data": data,
            "token": token, "version": 1, "locale": "en-US", "entitlements": [],
            "app_permissions": "2248473465835073", "attachment_size_limit": 10_485_760,
        }  # fmt: skip
        if in_dm:
            owner = dm_of or user
            channel_id = self.dm_channel_of(owner)
            payload.update(
                user=user, channel_id=channel_id, context=1,
                authorizing_integration_owners={"0": "0"},
                channel={"id": channel_id, "type": 1, "flags": 0, "recipients": [owner]},
            )  # fmt: skip
        else:
            permissions = MEMBER_PERMISSIONS | (MANAGE_GUILD if user["id"] in self.managers else 0)
            member = {"user": user, "roles": [], "joined_at": _now(), "deaf": False, "mute": False,
                      "flags": 0, "pending": False, "nick": None, "avatar": None,
                      "permissions": str(permissions), "premium_since": None}  # fmt: skip
            payload.update(
                guild_id=self.guild_id, channel_id=self.guild_channel_id, member=member, context=0,
                guild={"id": self.guild_id, "locale": "en-US", "features": []},
                guild_locale="en-US", authorizing_integration_owners={"0": self.guild_id},
                channel={"id": self.guild_channel_id, "type": 0, "guild_id": self.guild_id,
                         "name": "general", "permissions": "2248473465835073", "flags": 0},
            )  # fmt: skip
        self._interactions[token] = payload
        return payload

    def slash_command(
        self, user: Json, subcommand: str, *, in_dm: bool = False, dm_of: Json | None = None,
        options: dict[str, str] | None = None,
    ) -> Json:
        """``/notnow <subcommand>`` as an INTERACTION_CREATE (type 2) payload; ``options``
        are the subcommand's string options (type 3), by name."""
        command_id = next(
            (c["id"] for c in self.commands if c["name"] == "notnow"), self.snowflake()
        )
        given = [{"name": name, "type": 3, "value": value}
                 for name, value in (options or {}).items()]
        data = {"id": command_id, "name": "notnow", "type": 1,
                "options": [{"name": subcommand, "type": 1, "options": given}]}  # fmt: skip
        return self._interaction(2, user, data, in_dm=in_dm or dm_of is not None, dm_of=dm_of)

    def component_click(
        self,
        user: Json,
        message: Json,
        custom_id: str,
        *,
        values: list[str] | None = None,
        dm_of: Json | None = None,
    ) -> Json:
        """A button (or, with ``values``, a string select) on ``message``, type 3."""
        data: Json = {"custom_id": custom_id, "component_type": 2 if values is None else 3}
        if values is not None:
            data["values"] = values
        payload = self._interaction(3, user, data, in_dm=True, dm_of=dm_of)
        payload["message"] = json.loads(json.dumps(message))
        return payload

    def dm_message(self, user: Json, content: str, *, dm_of: Json | None = None,
                   attachments: list[Json] | None = None) -> Json:
        """MESSAGE_CREATE for something the person typed in their DM with the bot (or,
        forged, one naming ``dm_of``'s DM as its channel), with files they attached
        (from :meth:`attachment`)."""
        message = self._message_object(self.dm_channel_of(dm_of or user), user, content)
        message.update(nonce=self.snowflake(), channel_type=1, attachments=attachments or [])
        return message

    def attachment(self, filename: str, data: bytes, *,
                   content_type: str | None = "text/plain; charset=utf-8") -> Json:
        """A file a person attached, as Discord's attachment object describes it: its
        ``url`` is on this stand-in (standing in for ``cdn.discordapp.com``), which
        serves the bytes. ``size`` is what Discord reports; a test may change it."""
        attachment_id = self.snowflake()
        path = f"{self.snowflake()}/{attachment_id}/{filename}"
        self.cdn[path] = data
        url = f"http://127.0.0.1:{self.port}/attachments/{path}"
        found: Json = {"id": attachment_id, "filename": filename, "size": len(data),
                       "url": url, "proxy_url": url}  # fmt: skip
        if content_type is not None:
            found["content_type"] = content_type
        return found

    async def _cdn(self, request: web.Request) -> web.Response:
        path = request.match_info["tail"]
        self.cdn_fetches.append(path)
        data = self.cdn.get(path)
        if data is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=data, content_type="application/octet-stream")

    # -- what a test looks at ------------------------------------------------------------

    def messages_in(self, channel_id: str) -> list[Json]:
        return [m for m in self.messages.values() if m["channel_id"] == channel_id]

    def sends(self) -> list[RestCall]:
        """Every call that created or changed a message, whatever the route."""
        writes = ("/messages", "/callback", "/webhooks/")
        return [
            c
            for c in self.calls
            if c.method in ("POST", "PATCH") and any(w in c.path for w in writes)
        ]


async def _read_body(request: web.Request) -> tuple[Any, dict[str, tuple[str, bytes]]]:
    files: dict[str, tuple[str, bytes]] = {}
    if request.content_type.startswith("multipart/"):
        payload: Any = None
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            raw = await part.read()  # type: ignore[union-attr]
            if part.name == "payload_json":  # type: ignore[union-attr]
                payload = json.loads(raw)
            else:
                files[part.name or ""] = (part.filename or "", bytes(raw))  # type: ignore[union-attr]
        return payload, files
    text = await request.text()
    return (json.loads(text) if text else None), files


def _now() -> str:
    return datetime.now(UTC).isoformat()
