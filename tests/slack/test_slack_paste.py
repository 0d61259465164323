"""A rejection email shared in the Slack DM as a file reaches the engine as a Paste.

The real app (Bolt, slack_sdk) gets a signed ``file_share`` event, asks the stand-in's
``files.info`` and downloads the file with the bot token; the coach is the real one,
recording the inputs it was given, since that is the boundary under test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.app import build_coach
from bot.clock import ManualClock
from bot.conversation.engine import Coach
from bot.messages import MAX_PASTE_CHARS, Input, Paste, Profile, Reply, Text, UserRef
from bot.settings import Settings
from tests.slack.conftest import BOT_TOKEN
from tests.standins.slack_api import Person, SlackStandIn, blocks_text

EMAIL = (
    "From: Talent Team <careers@lumenfield.example>\r\n"
    "Subject: Your application for Data Analyst\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    "Hi Sam,\r\n\r\nThank you for meeting the team. After a lot of thought we have "
    "chosen another candidate for the Data Analyst role.\r\n\r\nBest wishes,\r\nNoor\r\n"
)


#: an email that says everything step 1 asks: logged and drafted in two turns
FULL_EMAIL = (
    "From: Noor Haddad <noor.haddad@lumenfield.example>\r\n"
    "Subject: Your application for Data Analyst at Lumenfield\r\n"
    "Date: Tue, 24 Nov 2026 16:05:00 +0000\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    "Hi Sam,\r\n\r\nThank you for your time during the final round for the Data Analyst "
    "role at Lumenfield. After a lot of thought we have decided to move forward with "
    "another candidate who had more experience with forecasting.\r\n\r\n"
    "Best wishes,\r\nNoor Haddad\r\nRecruiter\r\nLumenfield\r\n"
)


class RecordingCoach(Coach):
    """The real coach, keeping each input an adapter handed it."""

    def __init__(self, **parts: object) -> None:
        super().__init__(**parts)  # type: ignore[arg-type]
        self.inputs: list[Input] = []

    def handle(self, user: UserRef, event: Input, *, once: str | None = None,
               profile: Profile | None = None) -> list[Reply]:
        self.inputs.append(event)
        return super().handle(user, event, once=once, profile=profile)


@pytest.fixture
def coach(settings: Settings, clock: ManualClock) -> Iterator[RecordingCoach]:
    built = build_coach(settings, clock=clock)
    yield RecordingCoach(store=built.store, content=built.content, clock=built.clock)
    built.store.close()


def _pastes(coach: RecordingCoach) -> list[Paste]:
    return [event for event in coach.inputs if isinstance(event, Paste)]


def _said(replies: list[dict[str, object]]) -> str:
    return "\n".join(blocks_text(m) for m in replies)


async def test_an_eml_file_reaches_the_engine_as_a_paste(
    person: Person, slack_api: SlackStandIn, coach: RecordingCoach
) -> None:
    file = slack_api.share_file("rejection.eml", EMAIL.encode(), mimetype="message/rfc822")
    replies = await person.share(file)
    assert _pastes(coach) == [Paste(EMAIL, filename="rejection.eml")]
    assert replies  # the engine's answer was posted in the DM
    (download,) = slack_api.calls_to("files.download", ok_only=True)
    assert download.headers["Authorization"] == f"Bearer {BOT_TOKEN}"
    assert slack_api.calls_to("files.info", ok_only=True)


async def test_a_txt_file_in_latin_1_is_read_leniently(
    person: Person, slack_api: SlackStandIn, coach: RecordingCoach
) -> None:
    text = "Estimado Sr. Muñoz,\nlamentamos comunicarle que hemos elegido a otra persona."
    file = slack_api.share_file("respuesta.txt", text.encode("latin-1"))
    await person.share(file, "here it is")
    assert _pastes(coach) == [Paste(text, filename="respuesta.txt")]


async def test_a_file_of_another_type_gets_what_is_accepted(
    person: Person, slack_api: SlackStandIn, coach: RecordingCoach
) -> None:
    file = slack_api.share_file("offer.pdf", b"%PDF-1.7", mimetype="application/pdf")
    replies = await person.share(file, "status")
    assert ".eml or .txt" in _said(replies)
    assert not _pastes(coach) and not slack_api.calls_to("files.download")
    assert Text("status") in coach.inputs  # what was typed with it is still heard


async def test_a_file_too_large_is_not_downloaded(
    person: Person, slack_api: SlackStandIn, coach: RecordingCoach
) -> None:
    file = slack_api.share_file("thread.eml", b"x" * (MAX_PASTE_CHARS + 1))
    replies = await person.share(file)
    assert "larger than I can read" in _said(replies)
    assert not _pastes(coach) and not slack_api.calls_to("files.download")


async def test_a_file_larger_than_announced_is_refused_after_all(
    person: Person, slack_api: SlackStandIn, coach: RecordingCoach
) -> None:
    file = slack_api.share_file("thread.txt", b"y" * (MAX_PASTE_CHARS + 5000))
    file["size"] = 10
    replies = await person.share(file)
    assert "larger than I can read" in _said(replies)
    assert not _pastes(coach)


async def test_the_token_goes_to_no_other_host(
    person: Person, slack_api: SlackStandIn, coach: RecordingCoach
) -> None:
    file = slack_api.share_file("rejection.eml", EMAIL.encode())
    file["url_private_download"] = "http://127.0.0.2:9/steal/rejection.eml"
    file["url_private"] = file["url_private_download"]
    replies = await person.share(file)
    assert "could not fetch that file" in _said(replies)
    assert not _pastes(coach) and not slack_api.calls_to("files.download")


async def test_a_long_typed_message_stays_text(person: Person, coach: RecordingCoach) -> None:
    typed = "\n".join(f"line {n} of an email pasted into the message box" for n in range(40))
    await person.say(typed)
    assert Text(typed) in coach.inputs and not _pastes(coach)


async def test_an_eml_file_becomes_a_checked_case_and_a_draft_in_two_turns(
    person: Person, slack_api: SlackStandIn, coach: RecordingCoach
) -> None:
    """Issue 12's promise on Slack: the file, then "that's right", then the draft."""
    await person.slash()
    file = slack_api.share_file("rejection.eml", FULL_EMAIL.encode(),
                                mimetype="message/rfc822")
    replies = await person.share(file)  # turn 1
    said = _said(replies)
    assert "found in the email" in said and "Company: Lumenfield" in said
    assert "Role: Data Analyst" in said
    replies = await person.choose("right")  # turn 2
    said = _said(replies)
    assert "step 1 done" in said and "```" in said and "Subject:" not in said
