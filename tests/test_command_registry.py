"""One table of commands feeds the parser, the help text and the engine."""

from __future__ import annotations

import pytest

from bot.content.loader import Content
from bot.conversation.commands import COMMANDS, parse_command
from bot.conversation.engine import Coach
from bot.messages import Command, Text, UserRef
from tests.conversation import Conversation, skip_introduction


@pytest.mark.parametrize("spec", COMMANDS, ids=lambda s: s.name)
def test_every_command_is_typed_listed_and_handled(spec, content: Content,
                                                   conv: Conversation) -> None:
    assert parse_command(spec.name) == Command(spec.name)
    assert parse_command(f"/notnow {spec.name}") == Command(spec.name)
    for alias in spec.aliases:
        assert parse_command(alias) == Command(spec.name)
    conv.command("help")
    assert f"- {spec.usage}: {content.coach.commands[spec.name]}" in conv.text
    conv.command("start")
    skip_introduction(conv)
    conv.command(spec.name)
    assert "don't know the command" not in conv.text


def test_an_argument_only_where_the_command_takes_one() -> None:
    assert parse_command("pause 14") == Command("pause", "14")
    assert parse_command("status please") is None
    assert parse_command("stop the bot now") is None


def test_on_a_safety_hold_only_the_data_commands_run(coach: Coach) -> None:
    """While coaching is paused for someone's safety, their data stays theirs (status,
    export, forget, help); every other command stays with them on the safety screen."""
    user = UserRef("test", "T1", "U9")
    coach.handle(user, Command("start"))
    coach.handle(user, Text("I want to end my life"))
    for spec in COMMANDS:
        replies = coach.handle(user, Command(spec.name))
        on_screen = [o.label for r in replies for o in r.options]
        stays = (any("safety" in r.tags for r in replies)
                 or "Yes, I'm safe, let's continue" in on_screen)
        assert stays != spec.on_hold, spec.name
