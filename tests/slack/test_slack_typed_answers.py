"""Typed answers in a Slack DM mean the same as clicks, at every menu."""

from __future__ import annotations

from adapters.slack.nudges import SlackNudgeSender
from bot.conversation.engine import Coach
from bot.conversation.people import PEOPLE
from bot.nudges.dispatcher import NudgeDispatcher
from tests.slack.test_slack_nudges import TEAM, USER, plan_due_reminder
from tests.standins.slack_api import Person, blocks_text


async def test_yes_typed_after_forget_deletes(person: Person, coach: Coach) -> None:
    await person.slash()
    await person.slash("forget")
    replies = await person.say("yes")
    assert any("deleted all your data" in blocks_text(m) for m in replies)
    assert coach.store.read(PEOPLE, f"slack:{person.team}:{person.user}") is None


async def test_a_misspelt_button_is_understood(person: Person) -> None:
    await person.slash()
    replies = await person.say("Gutted, honesty")
    assert any("Of course you are" in blocks_text(m) for m in replies)
    replies = await person.say("calmng exercise")
    assert any("slow things down" in blocks_text(m) for m in replies)


async def test_a_check_in_answered_in_words(coach: Coach, person: Person,
                                            service: object) -> None:
    nudge_id = plan_due_reminder(coach)
    sender = SlackNudgeSender(service.app.client)  # type: ignore[attr-defined]
    report = await NudgeDispatcher.using(coach, senders={"slack": sender}).send_due()
    assert report.sent == 1
    assert (person.team, person.user) == (TEAM, USER)
    replies = await person.say("show me the draft")
    assert any("Hi Dana," in blocks_text(m) for m in replies)
    nudge = coach.nudge_book.get(nudge_id)
    assert nudge is not None and nudge["state"] == "sent"
