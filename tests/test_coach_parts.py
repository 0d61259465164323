"""The coach's parts keep their promises: every command has a handler, locks don't pile up."""

from __future__ import annotations

import pytest

from bot.content.loader import Content
from bot.conversation import command_handlers, commands
from bot.conversation.commands import CommandSpec
from bot.conversation.engine import Coach
from bot.messages import Command, UserRef


def test_a_command_in_the_table_without_a_handler_stops_the_coach_from_starting(
        coach: Coach, content: Content, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(command_handlers, "COMMANDS",
                        (*commands.COMMANDS, CommandSpec("dance")))
    with pytest.raises(TypeError, match="'dance' has no handler"):
        Coach(store=coach.store, content=content, clock=coach.clock)


def test_no_lock_is_kept_for_people_once_their_turns_are_over(coach: Coach) -> None:
    for n in range(2_000):
        coach.handle(UserRef("test", "T1", f"U{n}"), Command("help"))
    assert len(coach.locks) == 0


def test_turns_and_dispatch_share_one_lock_per_person(coach: Coach) -> None:
    user = UserRef("test", "T1", "U1")
    with coach.person_lock(user) as held:
        assert coach.locks.of(user.key) is held
        assert len(coach.locks) == 1
