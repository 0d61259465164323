"""Build a ready coach from settings: the one place that wires store, content and clock."""

from __future__ import annotations

import logging

from bot.clock import SystemClock
from bot.content.loader import Content, load_content
from bot.conversation.actions import ACTIONS
from bot.conversation.engine import Coach
from bot.interfaces import Clock, Store
from bot.settings import Settings
from bot.storage import open_store

__all__ = ["build_coach", "load_checked_content"]

log = logging.getLogger(__name__)


def load_checked_content(settings: Settings) -> Content:
    """:raises ContentErrors: naming each file, line and key that is wrong."""
    return load_content(settings.content_dir, known_actions=ACTIONS)


def build_coach(settings: Settings, *, clock: Clock | None = None,
                store: Store | None = None) -> Coach:
    """``store``: one the caller opened already (the console opens it first, so that a
    second console hears at once that the data is in use); else ``settings.db``."""
    content = load_checked_content(settings)
    for note in content.notes:  # an admin's copy older than this version
        log.info("content: %s", note)
    store = open_store(settings.db) if store is None else store
    return Coach(store=store, content=content, clock=clock or SystemClock(),
                 public_url=settings.public_url)
