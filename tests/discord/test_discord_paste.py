"""A rejection email attached in the Discord DM reaches the engine as a Paste.

The real discord.py client gets MESSAGE_CREATE with an attachment whose URL is on the
stand-in, downloads it with ``Attachment.read``, and the real coach (recording the
inputs it was given, the boundary under test) receives a Paste.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from adapters.discord import start_discord
from bot.app import build_coach
from bot.clock import ManualClock
from bot.messages import MAX_PASTE_CHARS, Paste, Text
from bot.settings import Settings
from tests.discord.conftest import Json, Person, RunningBot
from tests.slack.test_slack_paste import EMAIL, FULL_EMAIL, RecordingCoach
from tests.standins.discord_api import DiscordStandIn


class RecordingBot(RunningBot):
    """The running bot, its coach recording the inputs the adapter handed it."""

    recording: RecordingCoach

    async def start(self, *, sync: bool = False) -> None:
        built = build_coach(self.settings, clock=self.clock)
        self.recording = RecordingCoach(store=built.store, content=built.content,
                                        clock=built.clock)
        self.coach = self.recording
        seen = len(self.standin.identifies)
        self.task = asyncio.create_task(start_discord(self.settings, self.coach, sync=sync))
        await self.standin.wait_until_connected(identifies=seen + 1)

    def pastes(self) -> list[Paste]:
        return [event for event in self.recording.inputs if isinstance(event, Paste)]


@pytest.fixture
async def bot(settings: Settings, standin: DiscordStandIn,
              clock: ManualClock) -> AsyncIterator[RecordingBot]:
    running = RecordingBot(settings, standin, clock)
    await running.start()
    yield running
    await running.stop()


async def _attach(person: Person, attachment: Json, text: str = "") -> None:
    message = person.standin.dm_message(person.user, text, attachments=[attachment])
    await person._turn(message, event="MESSAGE_CREATE")


async def test_an_eml_attachment_reaches_the_engine_as_a_paste(
    bot: RecordingBot, standin: DiscordStandIn, person: Callable[[str], Person]
) -> None:
    ada = person("ada")
    await _attach(ada, standin.attachment("rejection.eml", EMAIL.encode(),
                                          content_type="message/rfc822"))
    assert bot.pastes() == [Paste(EMAIL, filename="rejection.eml")]
    assert ada.text  # the engine's answer reached the DM
    assert len(standin.cdn_fetches) == 1


async def test_a_txt_attachment_in_latin_1_is_read_leniently(
    bot: RecordingBot, standin: DiscordStandIn, person: Callable[[str], Person]
) -> None:
    text = "Chère Mme Lefèvre,\nnous avons retenu une autre candidature."
    await _attach(person("bea"), standin.attachment("reponse.txt", text.encode("latin-1"),
                                                    content_type=None))
    assert bot.pastes() == [Paste(text, filename="reponse.txt")]


async def test_another_type_gets_what_is_accepted(
    bot: RecordingBot, standin: DiscordStandIn, person: Callable[[str], Person]
) -> None:
    cai = person("cai")
    await _attach(cai, standin.attachment("offer.pdf", b"%PDF-1.7",
                                          content_type="application/pdf"), "status")
    assert ".eml or .txt" in cai.text
    assert not bot.pastes() and not standin.cdn_fetches
    assert Text("status") in bot.recording.inputs  # what was typed with it is still heard


async def test_an_attachment_too_large_is_not_downloaded(
    bot: RecordingBot, standin: DiscordStandIn, person: Callable[[str], Person]
) -> None:
    dee = person("dee")
    await _attach(dee, standin.attachment("thread.eml", b"x" * (MAX_PASTE_CHARS + 1)))
    assert "larger than I can read" in dee.text
    assert not bot.pastes() and not standin.cdn_fetches


async def test_a_long_typed_message_stays_text(
    bot: RecordingBot, person: Callable[[str], Person]
) -> None:
    typed = "\n".join(f"line {n} of an email pasted into the message box" for n in range(40))
    await person("eve").send(typed)
    assert Text(typed) in bot.recording.inputs and not bot.pastes()


async def test_an_eml_attachment_becomes_a_checked_case_and_a_draft_in_two_turns(
    bot: RecordingBot, standin: DiscordStandIn, person: Callable[[str], Person]
) -> None:
    """Issue 12's promise on Discord: the attachment, then "that's right", the draft."""
    cy = person("cy")
    await _attach(cy, standin.attachment("rejection.eml", FULL_EMAIL.encode(),
                                         content_type="message/rfc822"))  # turn 1
    assert "found in the email" in cy.text and "Company: Lumenfield" in cy.text
    await cy.pick("that's right")  # turn 2
    assert "step 1 done" in cy.text and "```" in cy.text and "Subject:" not in cy.text
