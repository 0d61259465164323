"""Keep one bad gateway frame from taking the whole bot down.

discord.py lets an exception from decoding or parsing a dispatch escape the shard's
read loop, which closes the client: one malformed ``INTERACTION_CREATE`` (a missing
field, a payload shape Discord changes) or an undecodable frame would stop the bot for
everyone. Each new gateway socket gets its ``received_message`` wrapped so such a frame
is logged and dropped; reconnect signals and closed connections still pass through.

This reaches into two discord.py internals, ``ConnectionState._update_references`` (called
with every new gateway socket) and ``DiscordWebSocket.received_message``; both exist
unchanged from 2.0 to 2.7, and the malformed-event tests fail loudly if that changes.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord.gateway import DiscordWebSocket, ReconnectWebSocket

__all__ = ["guard_gateway"]

log = logging.getLogger(__name__)

_PASS_THROUGH = (ReconnectWebSocket, discord.ConnectionClosed)


def _guard_socket(ws: DiscordWebSocket) -> None:
    received = ws.received_message
    if getattr(received, "_notnow_guarded", False):
        return

    async def guarded(msg: Any, /) -> None:
        try:
            await received(msg)
        except _PASS_THROUGH:
            raise
        except Exception:
            # The frame may hold what someone typed: log its size, not its content.
            log.exception("Dropped a gateway frame (%d bytes) that could not be handled", len(msg))

    guarded._notnow_guarded = True  # type: ignore[attr-defined]
    ws.received_message = guarded  # type: ignore[method-assign]


def guard_gateway(client: discord.Client) -> None:
    """Guard every gateway socket ``client`` opens from now on (call before start)."""
    state = client._connection
    update_references = state._update_references

    def update_and_guard(ws: DiscordWebSocket) -> None:
        update_references(ws)
        _guard_socket(ws)

    state._update_references = update_and_guard  # type: ignore[method-assign]
