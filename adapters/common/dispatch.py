"""The nudge dispatcher as every adapter builds it, in one place, so a change to what
the dispatcher needs from the core is made once for ``serve``, ``send-due`` and the
console."""

from __future__ import annotations

from collections.abc import Mapping

from bot.conversation.engine import Coach
from bot.interfaces import NudgeSender
from bot.nudges.dispatcher import NudgeDispatcher

__all__ = ["nudge_dispatcher"]


def nudge_dispatcher(coach: Coach, senders: Mapping[str, NudgeSender]) -> NudgeDispatcher:
    """A dispatcher sending through ``senders`` (keyed by ``UserRef.platform``)."""
    return NudgeDispatcher.using(coach, senders=senders)
