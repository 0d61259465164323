"""The one lifecycle every chat platform implements, so ``notnow serve`` can loop over
adapters instead of naming each.

An adapter is built from settings and a coach, started on a running event loop, asked for
the sender the nudge dispatcher uses, and stopped. What happens in between (Slack's Bolt
app and web server, Discord's gateway client) is the adapter's own business.
"""

from __future__ import annotations

from typing import Protocol

from bot.interfaces import NudgeSender

__all__ = ["Adapter"]


class Adapter(Protocol):
    """A chat platform the coach talks on."""

    @property
    def name(self) -> str:
        """The platform, as in ``UserRef.platform`` (``"slack"``, ``"discord"``)."""
        ...

    async def start(self) -> None:
        """Connect and return once turns can be taken and nudges sent.

        :raises ValueError: the settings lack a token or secret (the message says which).
        :raises OSError: a port is taken or the platform cannot be reached.
        """
        ...

    async def wait_closed(self) -> None:
        """Return (or raise what stopped it) when the adapter stops by itself; an adapter
        that only stops when told never returns."""
        ...

    async def stop(self) -> None:
        """Disconnect and release what ``start`` opened; safe to call more than once, and
        after a failed ``start``."""
        ...

    def nudge_sender(self) -> NudgeSender:
        """The sender for this platform's check-ins, sharing the running connection.
        Only valid after ``start``."""
        ...
